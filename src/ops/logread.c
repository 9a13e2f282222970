/* logread.c - the line reader of logread.h: one window buffer of
 * LOGREAD_MAX_LINE + 1 MiB, refilled with read(2) or with zlib's inflate when
 * the input starts with gzip's magic bytes. Owns the file descriptor (not
 * standard input's), the window and the zlib state. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "ops/logread.h"
#include "telemetry/log.h"
#include "util/buf.h"

#define CHUNK (1u << 20)      /* window space beyond the longest line */
#define READ_SIZE (1024u << 10) /* one read: small enough to stay in the CPU's cache */
#define RAW_CHUNK (256u << 10)

struct logread {
	int fd;
	bool own_fd;
	char *name;
	/* gzip */
	bool gz, gz_done;
	z_stream z;
	unsigned char *raw;
	bool in_eof;          /* the file itself is read to its end */
	/* a range of a plain file (logread_open_range) */
	bool ranged;
	uint64_t pos, stop;
	/* the window: bytes [start, end) not yet returned; '\n' searched from scan */
	char *buf;
	size_t cap, start, end, scan;
	bool eof;             /* no more bytes will come */
	bool skipping;        /* inside a line longer than the limit */
	uint64_t bytes;
};

static const char empty_line[] = "\n";

static ssize_t read_some(int fd, void *p, size_t n)
{
	ssize_t got;
	do
		got = read(fd, p, n);
	while (got < 0 && errno == EINTR);
	return got;
}

int logread_open(const char *path, struct logread **out, struct pp_error *err)
{
	*out = NULL;
	bool is_stdin = !path || !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pp_fail(err, "logread", "cannot open %s: %s", path, strerror(errno));
	if (!is_stdin)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct logread *r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->own_fd = !is_stdin;
	r->name = xstrdup(is_stdin ? "-" : path);
	r->cap = LOGREAD_MAX_LINE + CHUNK + 1; /* + the sentinel '\n' */
	r->buf = xmalloc(r->cap);

	/* The first bytes decide: gzip's magic 1f 8b, or plain text. */
	while (r->end < 2) {
		ssize_t got = read_some(fd, r->buf + r->end, CHUNK);
		if (got < 0) {
			pp_fail(err, "logread", "cannot read %s: %s", r->name, strerror(errno));
			logread_close(r);
			return -1;
		}
		if (got == 0) {
			r->in_eof = true;
			break;
		}
		r->end += (size_t)got;
	}
	if (r->end >= 2 && (unsigned char)r->buf[0] == 0x1f && (unsigned char)r->buf[1] == 0x8b) {
		r->gz = true;
		r->raw = xmalloc(r->end > RAW_CHUNK ? r->end : RAW_CHUNK);
		memcpy(r->raw, r->buf, r->end);
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
			pp_fail(err, "logread", "cannot start gzip decompression");
			logread_close(r);
			return -1;
		}
		r->z.next_in = r->raw;
		r->z.avail_in = (uInt)r->end;
		r->end = 0;
	} else {
		r->bytes = r->end;
	}
	*out = r;
	return 0;
}

int logread_open_range(const char *path, uint64_t offset, uint64_t len, struct logread **out,
		       struct pp_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pp_fail(err, "logread", "cannot open %s: %s", path, strerror(errno));
	posix_fadvise(fd, (off_t)offset, (off_t)len, POSIX_FADV_SEQUENTIAL);
	struct logread *r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->own_fd = true;
	r->name = xstrdup(path);
	r->cap = LOGREAD_MAX_LINE + CHUNK + 1;
	r->buf = xmalloc(r->cap);
	r->ranged = true;
	r->pos = offset;
	r->stop = offset + len;
	*out = r;
	return 0;
}

/* Inflates into the window's free space; returns the bytes produced (0 at the
 * end of the data), -1 on a corrupt stream. */
static ssize_t inflate_some(struct logread *r, size_t space, struct pp_error *err)
{
	if (r->gz_done)
		return 0;
	r->z.next_out = (unsigned char *)r->buf + r->end;
	r->z.avail_out = (uInt)space;
	while (r->z.avail_out == space) {
		if (r->z.avail_in == 0 && !r->in_eof) {
			ssize_t got = read_some(r->fd, r->raw, RAW_CHUNK);
			if (got < 0)
				return pp_fail(err, "logread", "cannot read %s: %s", r->name, strerror(errno));
			if (got == 0)
				r->in_eof = true;
			r->z.next_in = r->raw;
			r->z.avail_in = (uInt)got;
		}
		int ret = inflate(&r->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			/* Another member may follow (cat a.gz b.gz). */
			if (r->z.avail_in == 0 && !r->in_eof) {
				ssize_t got = read_some(r->fd, r->raw, RAW_CHUNK);
				if (got < 0)
					return pp_fail(err, "logread", "cannot read %s: %s", r->name,
						       strerror(errno));
				if (got == 0)
					r->in_eof = true;
				r->z.next_in = r->raw;
				r->z.avail_in = (uInt)got;
			}
			if (r->z.avail_in > 0 && r->z.next_in[0] == 0x1f) {
				inflateReset(&r->z);
				continue;
			}
			if (r->z.avail_in > 0)
				log_warning("ops", "log_read_warning", NULL, LF_STR("file", r->name),
					    LF_STR("problem", "bytes after the gzip data ignored"));
			r->gz_done = true;
			break;
		}
		if (ret == Z_BUF_ERROR && r->z.avail_in == 0 && r->in_eof) {
			log_warning("ops", "log_read_warning", NULL, LF_STR("file", r->name),
				    LF_STR("problem", "the gzip data ends early"));
			r->gz_done = true;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return pp_fail(err, "logread", "%s: corrupt gzip data (%s)", r->name,
				       r->z.msg ? r->z.msg : "inflate failed");
	}
	return (ssize_t)(space - r->z.avail_out);
}

/* Moves the pending bytes to the front and adds more; 0 at the end. */
static ssize_t fill(struct logread *r, struct pp_error *err)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	size_t space = r->cap - 1 - r->end;
	if (space > READ_SIZE)
		space = READ_SIZE;
	ssize_t got;
	if (r->gz) {
		got = inflate_some(r, space, err);
	} else if (r->in_eof) {
		got = 0;
	} else if (r->ranged) {
		if (space > r->stop - r->pos)
			space = (size_t)(r->stop - r->pos);
		do
			got = space ? pread(r->fd, r->buf + r->end, space, (off_t)r->pos) : 0;
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return pp_fail(err, "logread", "cannot read %s: %s", r->name, strerror(errno));
		r->pos += (uint64_t)got;
	} else {
		got = read_some(r->fd, r->buf + r->end, space);
		if (got < 0)
			return pp_fail(err, "logread", "cannot read %s: %s", r->name, strerror(errno));
	}
	if (got > 0) {
		r->end += (size_t)got;
		r->bytes += (uint64_t)got;
	}
	return got;
}

int logread_next(struct logread *r, struct logline_raw *line, struct pp_error *err)
{
	for (;;) {
		char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl) {
			size_t at = (size_t)(nl - r->buf);
			if (r->skipping || at - r->start > LOGREAD_MAX_LINE) {
				r->skipping = false;
				*line = (struct logline_raw){ empty_line, 0, true };
			} else {
				*line = (struct logline_raw){ r->buf + r->start, at - r->start, false };
			}
			r->start = r->scan = at + 1;
			return 1;
		}
		r->scan = r->end;
		if (r->skipping || r->end - r->start > LOGREAD_MAX_LINE) {
			/* Drop what we have of an over-long line. */
			r->skipping = true;
			r->start = r->end = r->scan = 0;
		}
		if (r->eof) {
			if (r->skipping) {
				r->skipping = false;
				*line = (struct logline_raw){ empty_line, 0, true };
				return 1;
			}
			if (r->start < r->end) { /* a last line without '\n' */
				r->buf[r->end] = '\n';
				*line = (struct logline_raw){ r->buf + r->start, r->end - r->start, false };
				r->start = r->scan = r->end;
				return 1;
			}
			return 0;
		}
		ssize_t got = fill(r, err);
		if (got < 0)
			return -1;
		if (got == 0)
			r->eof = true;
	}
}

uint64_t logread_bytes(const struct logread *r)
{
	return r->bytes;
}

bool logread_gzip(const struct logread *r)
{
	return r->gz;
}

const char *logread_name(const struct logread *r)
{
	return r->name;
}

void logread_close(struct logread *r)
{
	if (!r)
		return;
	if (r->gz)
		inflateEnd(&r->z);
	if (r->own_fd)
		close(r->fd);
	free(r->raw);
	free(r->buf);
	free(r->name);
	free(r);
}
