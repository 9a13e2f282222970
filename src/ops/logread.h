/* logread.h - reads log files line by line, in bounded memory: plain files,
 * standard input, and gzip-compressed input (recognised by its magic bytes,
 * whatever the file is called; concatenated gzip members are read on).
 *
 *   struct logread *r;
 *   if (logread_open(path, &r, &err) < 0) …       (NULL or "-": stdin)
 *   while ((rc = logread_next(r, &line)) > 0) …   (rc < 0: read error, in err)
 *   logread_close(r);
 *
 * A line longer than LOGREAD_MAX_LINE is not returned whole: it comes back
 * once with `too_long` set and no bytes, and the reader skips to its end. */
#ifndef PHOTOPUB_OPS_LOGREAD_H
#define PHOTOPUB_OPS_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define LOGREAD_MAX_LINE (1u << 20) /* 1 MiB */

struct logread;

struct logline_raw {
	const char *s;   /* the line without its '\n'; s[n] is '\n' (readable); valid
			    until the next call */
	size_t n;
	bool too_long;   /* longer than LOGREAD_MAX_LINE: s is empty */
};

/* Opens path (NULL or "-" for standard input). The caller closes *out. */
int logread_open(const char *path, struct logread **out, struct pp_error *err);

/* Opens the plain (uncompressed) file path to read only the bytes
 * [offset, offset + len): a part of a large file that starts at a line's
 * first byte, for several readers at once. The caller closes *out. */
int logread_open_range(const char *path, uint64_t offset, uint64_t len, struct logread **out,
		       struct pp_error *err);

/* The next line: 1 with *line filled, 0 at the end, -1 on a read or
 * decompression error (err filled; the lines before it were good). A gzip
 * stream that stops early ends the input like a plain file cut short. */
int logread_next(struct logread *r, struct logline_raw *line, struct pp_error *err);

/* Bytes of input read so far (decompressed). */
uint64_t logread_bytes(const struct logread *r);
/* True when the input was gzip-compressed. */
bool logread_gzip(const struct logread *r);
/* The name to show for the input ("-" for standard input). */
const char *logread_name(const struct logread *r);

void logread_close(struct logread *r);

#endif
