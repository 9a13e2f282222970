/* local.c - the local-folder storage backend: images in one folder on disk,
 * `<stem>.txt` sidecars beside them and an archive sub-folder.
 *
 * Owns the folder's directory descriptor. Every file operation is relative to
 * it (openat, fstatat, renameat2, mkdirat with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW)
 * and takes only validated plain names, so nothing can reach outside the folder.
 * Symbolic links are refused always: checking where a link points and then
 * opening it would race with a change of the link, and images are plain files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "caption/sidecar.h"
#include "image/image.h"
#include "state/state.h"
#include "storage/content_hash.h"
#include "storage/local_stats.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/utf8.h"

#define LOGGER "storage"
#define SIDECAR_TEMP_PREFIX ".photopub-sidecar-" /* "<pid>-<random>.tmp" follows */
#define WHERE "storage.local"
#define SIDECAR_MAX (1u << 20)
#define MAX_AUTORENAME 10000

struct local {
	struct storage base;
	int dirfd;           /* the image folder, O_RDONLY | O_DIRECTORY */
	char *path;          /* its real path, for messages */
	char *prefix;        /* path + "/": the hash-cache keys of its files */
	char *archive;       /* archive sub-folder name */
	struct state *st;    /* hash cache; may be NULL */
};

static _Atomic uint64_t files_hashed;
static _Atomic uint64_t bytes_hashed;

uint64_t local_storage_files_hashed(void) { return atomic_load(&files_hashed); }
uint64_t local_storage_bytes_hashed(void) { return atomic_load(&bytes_hashed); }

static struct local *to_local(struct storage *s)
{
	return (struct local *)s;
}

static int64_t mtime_ns_of(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* name with control characters shown as '?', for messages. */
static const char *shown(const char *name, char buf[300])
{
	return storage_shown(name, buf);
}

/* Refuses anything but a plain image file name of the folder. */
static int check_image_name(struct local *l, const char *name, struct pp_error *err)
{
	char b[300];
	if (!name || !fs_name_is_safe(name))
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "refusing file name \"%s\": only plain names inside the image "
				    "folder %s are allowed", name ? shown(name, b) : "(null)", l->path);
	if (!storage_is_image_name(name))
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "refusing file name \"%s\": not an image (.jpg, .jpeg, .png)",
				    shown(name, b));
	return 0;
}

/* Describes a failed openat/fstatat of name in err. */
static int open_fail(struct local *l, const char *name, int e, struct pp_error *err)
{
	char b[300];
	if (e == ENOENT)
		return pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND, "Selected file not found: %s (in %s)",
				    shown(name, b), l->path);
	if (e == ELOOP)
		return pp_fail_kind(err, WHERE, PP_ERR_REFUSED,
				    "refusing %s in %s: it is a symbolic link, and links are not "
				    "followed in the image folder", shown(name, b), l->path);
	return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot open %s in %s: %s", shown(name, b), l->path,
			    strerror(e));
}

/* Opens a regular file of the folder dirfd (the image folder or one inside
 * it) for reading; *fd and *sb on success. */
static int open_regular_in(struct local *l, int dirfd, const char *name, int *fd,
			   struct stat *sb, struct pp_error *err)
{
	char b[300];
	int f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (f < 0)
		return open_fail(l, name, errno, err);
	if (fstat(f, sb) < 0) {
		int e = errno;
		close(f);
		return open_fail(l, name, e, err);
	}
	if (!S_ISREG(sb->st_mode)) {
		close(f);
		return pp_fail_kind(err, WHERE, PP_ERR_REFUSED, "refusing %s in %s: not a regular file",
				    shown(name, b), l->path);
	}
	*fd = f;
	return 0;
}

static int open_regular(struct local *l, const char *name, int *fd, struct stat *sb,
			struct pp_error *err)
{
	return open_regular_in(l, l->dirfd, name, fd, sb, err);
}

/* Both digests of an open file, counted in the hashing statistics. */
static int hash_file(struct local *l, const char *name, int fd, int64_t size,
		     struct hash_entry *e, struct pp_error *err)
{
	char b[300];
	struct pp_error why = { 0 };
	if (hash_fd(fd, e->sha256, e->content_hash, &why) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot hash %s in %s: %s", shown(name, b),
				    l->path, why.msg);
	atomic_fetch_add(&files_hashed, 1);
	atomic_fetch_add(&bytes_hashed, (uint64_t)size);
	return 0;
}

/* ---- open / close ---------------------------------------------------------- */

static int local_validate(const struct config *cfg, struct config_error *e)
{
	struct stat sb;
	if (!cfg->storage_path) {
		config_fail(e, cfg->path, "Storage", "path",
			    "required with the local backend: the folder that holds the images");
		config_hint(e, "set [Storage] path to the image folder");
		return -1;
	}
	if (stat(cfg->storage_path, &sb) < 0)
		return config_fail(e, cfg->path, "Storage", "path", "cannot use %s: %s",
				   cfg->storage_path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return config_fail(e, cfg->path, "Storage", "path", "%s is not a folder",
				   cfg->storage_path);
	return 0;
}

static int local_sweep(struct storage *s)
{
	return fs_sweep_stale(to_local(s)->path, SIDECAR_TEMP_PREFIX);
}

static int local_open(const struct config *cfg, struct state *st, struct storage **out,
		      struct pp_error *err)
{
	const char *path = cfg->storage_path;
	const char *archive = cfg->archive && *cfg->archive ? cfg->archive : "archive";
	char real[PATH_MAX];

	*out = NULL;
	if (!path || !*path)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "no image folder configured ([Storage] path)");
	if (!fs_name_is_safe(archive))
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "the archive folder name \"%s\" must be a plain folder name "
				    "inside %s", archive, path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND,
					    "the image folder %s does not exist", path);
		if (errno == ENOTDIR)
			return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "the image folder %s is not a folder",
					    path);
		return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot open the image folder %s: %s", path,
				    strerror(errno));
	}
	if (!realpath(path, real)) {
		int e = errno;
		close(fd);
		return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot resolve the image folder %s: %s", path,
				    strerror(e));
	}
	struct local *l = xcalloc(1, sizeof(*l));
	l->base.ops = &local_storage;
	l->dirfd = fd;
	l->path = xstrdup(real);
	l->prefix = fs_join(real, ""); /* "/" gives "/": keys stay "<folder>/<name>" */
	l->archive = xstrdup(archive);
	l->st = st;
	*out = &l->base;
	return 0;
}

static void local_close(struct storage *s)
{
	struct local *l = to_local(s);
	if (!l)
		return;
	close(l->dirfd);
	free(l->path);
	free(l->prefix);
	free(l->archive);
	free(l);
}

/* ---- list -------------------------------------------------------------------- */

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_item *)a)->name,
		      ((const struct storage_item *)b)->name);
}

/* Regular image files of the folder (no links, no hidden files, no folders),
 * sorted by name. */
static int scan_folder(struct local *l, struct storage_list *out, struct pp_error *err)
{
	int fd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t cap = 0;

	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot list the image folder %s: %s", l->path,
				    strerror(e));
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				int e = errno;
				closedir(d);
				storage_list_release(out);
				return pp_fail_kind(err, WHERE, PP_ERR_IO,
						    "cannot list the image folder %s: %s", l->path,
						    strerror(e));
			}
			break;
		}
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		if (!storage_is_image_name(name)) {
			if (de->d_type != DT_DIR)
				storage_list_skip(out, name);
			continue;
		}
		if (!fs_name_is_safe(name) || !utf8_is_text(name, strlen(name))) {
			/* It could not be named in JSON, a URL or a mail header as it is. */
			log_warning(LOGGER, "storage_name_skipped", NULL, LF_STR("image", name),
				    LF_STR("error", "the name is not UTF-8 text: rename the file"));
			continue;
		}
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		struct stat sb;
		if (fstatat(l->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->items = xrealloc(out->items, cap * sizeof(*out->items));
		}
		struct storage_item *it = &out->items[out->n++];
		memset(it, 0, sizeof(*it));
		it->name = xstrdup(name);
		it->size = (int64_t)sb.st_size;
		it->mtime_ns = mtime_ns_of(&sb);
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	return 0;
}

/* Fills one item's digests from the cache or, on a miss, by reading it once.
 * Returns 1 when the file vanished (drop it), 0 otherwise; a file that cannot
 * be read keeps "" digests and a warning line. */
static int fill_hashes(struct local *l, const struct pp_ctx *ctx, struct storage_item *it,
		       bool *in_tx, long *hashed)
{
	struct pp_error err = { 0 };
	struct hash_entry e;
	char *key = xasprintf("%s%s", l->prefix, it->name);
	int fd = -1, rc = 0;

	if (state_cache_get(l->st, key, it->size, it->mtime_ns, &e))
		goto found;
	struct stat sb;
	if (open_regular(l, it->name, &fd, &sb, &err) < 0) {
		if (err.kind == PP_ERR_NOT_FOUND) {
			rc = 1;
			goto out;
		}
		goto warn;
	}
	/* The file may have changed since the folder was read: describe what is
	 * hashed, so the cache entry matches the bytes. */
	it->size = (int64_t)sb.st_size;
	it->mtime_ns = mtime_ns_of(&sb);
	if (hash_file(l, it->name, fd, it->size, &e, &err) < 0)
		goto warn;
	(*hashed)++;
	if (!*in_tx && state_begin(l->st, &err) == 0)
		*in_tx = true;
	if (state_cache_put(l->st, key, it->size, it->mtime_ns, &e, &err) < 0)
		log_warning(LOGGER, "storage_cache_error", ctx ? ctx->correlation_id : NULL,
			    LF_STR("image", it->name), LF_STR("error", err.msg));
found:
	memcpy(it->sha256, e.sha256, sizeof(it->sha256));
	memcpy(it->content_hash, e.content_hash, sizeof(it->content_hash));
	goto out;
warn:
	log_warning(LOGGER, "storage_hash_error", ctx ? ctx->correlation_id : NULL,
		    LF_STR("image", it->name), LF_STR("error", err.msg));
out:
	if (fd >= 0)
		close(fd);
	free(key);
	return rc;
}

/* Without a state nothing is hashed here: the digests stay "" and sha256()
 * computes one on demand, so a listing never reads every image each time. */
static int local_list(struct storage *s, const struct pp_ctx *ctx, struct storage_list *out,
		      struct pp_error *err)
{
	struct local *l = to_local(s);
	bool in_tx = false;
	long hashed = 0;

	*out = (struct storage_list){ .folder = xstrdup(l->path) };
	if (scan_folder(l, out, err) < 0) {
		storage_list_release(out);
		return -1;
	}
	if (l->st && out->n > 0) {
		struct pp_error perr = { 0 };
		if (state_cache_preload(l->st, l->prefix, &perr) < 0)
			log_warning(LOGGER, "storage_cache_error", ctx ? ctx->correlation_id : NULL,
				    LF_STR("error", perr.msg));
		size_t kept = 0;
		for (size_t i = 0; i < out->n; i++) {
			if (fill_hashes(l, ctx, &out->items[i], &in_tx, &hashed) == 1) {
				free(out->items[i].name);
				continue;
			}
			out->items[kept++] = out->items[i];
		}
		out->n = kept;
		if (in_tx) {
			struct pp_error cerr = { 0 };
			if (state_commit(l->st, &cerr) < 0)
				log_warning(LOGGER, "storage_cache_error",
					    ctx ? ctx->correlation_id : NULL,
					    LF_STR("error", cerr.msg));
		}
	}
	log_debug(LOGGER, "storage_list", ctx ? ctx->correlation_id : NULL,
		  LF_STR("backend", "local"), LF_INT("images", out->n), LF_INT("hashed", hashed));
	return 0;
}

/* ---- download, image_url ------------------------------------------------------- */

static int copy_fd(int in, int out, int64_t size)
{
	int64_t left = size;
	bool use_sendfile = true;
	char *buf = NULL;
	int rc = -1;

	while (left > 0) {
		ssize_t n;
		if (use_sendfile) {
			n = sendfile(out, in, NULL, left > (1 << 30) ? (size_t)1 << 30 : (size_t)left);
			if (n < 0 && (errno == EINVAL || errno == ENOSYS) && left == size) {
				use_sendfile = false;
				continue;
			}
		} else {
			if (!buf)
				buf = xmalloc(1 << 20);
			n = read(in, buf, 1 << 20);
			for (ssize_t done = 0; n > 0 && done < n;) {
				ssize_t w = write(out, buf + done, (size_t)(n - done));
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					goto out;
				done += w;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break; /* shrank while copying: what was there is copied */
		left -= n;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int local_download(struct storage *s, const struct pp_ctx *ctx, const char *name, int fd,
			  struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb;
	int in = -1;
	char b[300];

	if (check_image_name(l, name, err) < 0 || open_regular(l, name, &in, &sb, err) < 0)
		return -1;
	int rc = 0;
	if (copy_fd(in, fd, (int64_t)sb.st_size) < 0)
		rc = pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot copy %s from %s: %s", shown(name, b),
				  l->path, strerror(errno));
	close(in);
	return rc;
}

/* The archive folder is opened without following a link, never created. */
static int local_download_archived(struct storage *s, const struct pp_ctx *ctx, const char *name,
				   int fd, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb;
	int in = -1;
	char b[300];

	if (check_image_name(l, name, err) < 0)
		return -1;
	int afd = openat(l->dirfd, l->archive, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0)
		return pp_fail_kind(err, WHERE, errno == ENOENT ? PP_ERR_NOT_FOUND : PP_ERR_IO,
				    "cannot open the archive folder %s in %s: %s", l->archive,
				    l->path, strerror(errno));
	int rc = open_regular_in(l, afd, name, &in, &sb, err);
	if (rc == 0 && copy_fd(in, fd, (int64_t)sb.st_size) < 0)
		rc = pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot copy %s from %s/%s: %s",
				  shown(name, b), l->path, l->archive, strerror(errno));
	if (in >= 0)
		close(in);
	close(afd);
	return rc;
}

static int local_image_url(struct storage *s, const struct pp_ctx *ctx, const char *name,
			   const char *local_path, char **url, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb;
	int fd = -1;

	*url = NULL;
	if (check_image_name(l, name, err) < 0)
		return -1;
	if (local_path)
		return image_data_url(local_path, s->data_url_px, url, err);
	/* No copy yet: read the folder's file through the descriptor opened
	 * without following links. */
	if (open_regular(l, name, &fd, &sb, err) < 0)
		return -1;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rc = image_data_url(proc, s->data_url_px, url, err);
	close(fd);
	return rc;
}

/* ---- sidecars ---------------------------------------------------------------- */

static int local_sidecar_read(struct storage *s, const struct pp_ctx *ctx, const char *name,
			      char **text, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct buf b = BUF_INIT;
	struct stat sb;
	char *sc = NULL;
	int fd = -1, rc = -1;
	char shown_buf[300];

	*text = NULL;
	if (check_image_name(l, name, err) < 0)
		return -1;
	sc = sidecar_name(name);
	if (open_regular(l, sc, &fd, &sb, err) < 0) {
		if (err && err->kind == PP_ERR_NOT_FOUND) {
			pp_error_clear(err);
			rc = 0; /* no sidecar: not an error */
		}
		goto out;
	}
	if (sb.st_size > (off_t)SIDECAR_MAX) {
		pp_fail_kind(err, WHERE, PP_ERR_TOO_LARGE, "the sidecar %s in %s is larger than %u bytes",
			     shown(sc, shown_buf), l->path, SIDECAR_MAX);
		goto out;
	}
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot read the sidecar %s in %s: %s",
				     shown(sc, shown_buf), l->path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > SIDECAR_MAX) {
			pp_fail_kind(err, WHERE, PP_ERR_TOO_LARGE,
				     "the sidecar %s in %s is larger than %u bytes",
				     shown(sc, shown_buf), l->path, SIDECAR_MAX);
			goto out;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	*text = buf_detach(&b);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	free(sc);
	return rc;
}

/* A hidden temp file in the folder, renamed over the sidecar: readers see
 * the old text or the new one, never a part. */
static int local_sidecar_write(struct storage *s, const struct pp_ctx *ctx, const char *name,
			       const char *text, struct pp_error *err)
{
	struct local *l = to_local(s);
	char tmp[64], b[300];
	char *sc = NULL;
	int fd = -1, rc = -1;
	bool created = false;

	if (check_image_name(l, name, err) < 0)
		return -1;
	sc = sidecar_name(name);
	for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
		uint64_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint64_t)now_monotonic() ^ ((uint64_t)getpid() << 32);
		snprintf(tmp, sizeof(tmp), SIDECAR_TEMP_PREFIX "%ld-%016" PRIx64 ".tmp",
			 (long)getpid(), r);
		fd = openat(l->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	created = fd >= 0;
	if (fd < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot create a temp file for the sidecar %s in %s: %s",
			     shown(sc, b), l->path, strerror(errno));
		goto out;
	}
	size_t len = strlen(text ? text : "");
	if (fchmod(fd, 0644) < 0 || fs_write_all(fd, text ? text : "", len) < 0 || fsync(fd) < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot write the sidecar %s in %s: %s", shown(sc, b),
			     l->path, strerror(errno));
		goto out;
	}
	int c = close(fd);
	fd = -1;
	if (c < 0 || renameat(l->dirfd, tmp, l->dirfd, sc) < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot write the sidecar %s in %s: %s", shown(sc, b),
			     l->path, strerror(errno));
		goto out;
	}
	fsync(l->dirfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && created)
		unlinkat(l->dirfd, tmp, 0);
	free(sc);
	return rc;
}

/* ---- metadata, sha256 -------------------------------------------------------- */

/* Describes a regular file of the folder by fstatat without following links. */
static int stat_regular(struct local *l, int dirfd, const char *name, struct stat *sb,
			struct pp_error *err)
{
	char b[300];
	if (fstatat(dirfd, name, sb, AT_SYMLINK_NOFOLLOW) < 0)
		return open_fail(l, name, errno, err);
	if (S_ISLNK(sb->st_mode))
		return open_fail(l, name, ELOOP, err);
	if (!S_ISREG(sb->st_mode))
		return pp_fail_kind(err, WHERE, PP_ERR_REFUSED, "refusing %s in %s: not a regular file",
				    shown(name, b), l->path);
	return 0;
}

static int local_metadata(struct storage *s, const struct pp_ctx *ctx, const char *name,
			  struct storage_meta *out, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb;

	if (check_image_name(l, name, err) < 0 || stat_regular(l, l->dirfd, name, &sb, err) < 0)
		return -1;
	snprintf(out->id, sizeof(out->id), "id:local:%" PRIx64 ":%" PRIx64, (uint64_t)sb.st_dev,
		 (uint64_t)sb.st_ino);
	snprintf(out->rev, sizeof(out->rev), "%016" PRIx64 "%016" PRIx64,
		 (uint64_t)mtime_ns_of(&sb), (uint64_t)sb.st_size);
	return 0;
}

static int local_sha256(struct storage *s, const struct pp_ctx *ctx, const char *name,
			char out[65], struct pp_error *err)
{
	struct local *l = to_local(s);
	struct hash_entry e;
	struct stat sb;
	char *key = NULL;
	int fd = -1, rc = -1;

	out[0] = '\0';
	if (check_image_name(l, name, err) < 0 || open_regular(l, name, &fd, &sb, err) < 0)
		return -1;
	key = xasprintf("%s%s", l->prefix, name);
	if (l->st && state_cache_get(l->st, key, (int64_t)sb.st_size, mtime_ns_of(&sb), &e) &&
	    e.sha256[0]) {
		memcpy(out, e.sha256, 65);
		rc = 0;
		goto out;
	}
	if (hash_file(l, name, fd, (int64_t)sb.st_size, &e, err) < 0)
		goto out;
	if (l->st) {
		struct pp_error perr = { 0 };
		if (state_cache_put(l->st, key, (int64_t)sb.st_size, mtime_ns_of(&sb), &e, &perr) < 0)
			log_warning(LOGGER, "storage_cache_error", ctx ? ctx->correlation_id : NULL,
				    LF_STR("image", name), LF_STR("error", perr.msg));
	}
	memcpy(out, e.sha256, 65);
	rc = 0;
out:
	close(fd);
	free(key);
	return rc;
}

/* ---- moving into a folder inside (archive, quarantine, keep, remove) ---------- */

/* Moves from dirfd/src to afd/dst unless dst exists. -1 with errno EEXIST
 * when it does. Falls back to a check-then-rename on file systems without
 * RENAME_NOREPLACE. */
static int move_noreplace(int dirfd, const char *src, int afd, const char *dst)
{
	if (renameat2(dirfd, src, afd, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	struct stat sb;
	if (fstatat(afd, dst, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dirfd, src, afd, dst);
}

/* The k-th candidate name: "a.jpg", then "a (1).jpg", "a (2).jpg", … */
static char *candidate(const char *stem, const char *ext, int k)
{
	return k == 0 ? xasprintf("%s%s", stem, ext) : xasprintf("%s (%d)%s", stem, k, ext);
}

/* Opens folder (plain names joined by '/') inside the image folder into
 * *afd, creating what is missing, one part at a time without following
 * links: nothing outside the folder can be reached or created. */
static int open_folder(struct local *l, const char *folder, int *afd, struct pp_error *err)
{
	char b[300];
	*afd = -1;
	if (!folder || !fs_relpath_is_safe(folder))
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "refusing folder \"%s\": only folders inside the image folder %s "
				    "are allowed", folder ? shown(folder, b) : "(null)", l->path);
	char *parts = xstrdup(folder), *save = NULL;
	int fd = l->dirfd, rc = 0;
	for (char *p = strtok_r(parts, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
			rc = pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot create the folder %s in %s: %s",
					  folder, l->path, strerror(errno));
			break;
		}
		int next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		if (fd != l->dirfd)
			close(fd);
		fd = next;
		if (next < 0) {
			if (e == ELOOP || e == ENOTDIR)
				rc = pp_fail_kind(err, WHERE, PP_ERR_REFUSED,
						  "%s in %s is not a folder (links are not "
						  "followed)", folder, l->path);
			else
				rc = pp_fail_kind(err, WHERE, PP_ERR_IO,
						  "cannot open the folder %s in %s: %s", folder,
						  l->path, strerror(e));
			break;
		}
	}
	free(parts);
	if (rc < 0) {
		if (fd >= 0 && fd != l->dirfd)
			close(fd);
		return -1;
	}
	*afd = fd;
	return 0;
}

static int local_move(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      const char *folder, char **moved_as, bool *sidecar, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb;
	char *stem = NULL, *sc = NULL, *target = NULL, *target_sc = NULL;
	int afd = -1, rc = -1;
	char b[300];

	*moved_as = NULL;
	*sidecar = false;
	if (check_image_name(l, name, err) < 0 || stat_regular(l, l->dirfd, name, &sb, err) < 0)
		return -1;

	if (open_folder(l, folder, &afd, err) < 0)
		return -1;

	stem = fs_stem(name);
	sc = sidecar_name(name);
	struct stat scb;
	bool has_sc = fstatat(l->dirfd, sc, &scb, AT_SYMLINK_NOFOLLOW) == 0 &&
		      S_ISREG(scb.st_mode);

	/* The first name free for the image and for its sidecar. */
	for (int k = 0;; k++) {
		free(target);
		free(target_sc);
		target = candidate(stem, fs_ext(name), k);
		target_sc = candidate(stem, ".txt", k);
		if (k > MAX_AUTORENAME || !fs_name_is_safe(target) || !fs_name_is_safe(target_sc)) {
			pp_fail_kind(err, WHERE, PP_ERR_IO,
				     "cannot move %s: no free name in %s/%s", shown(name, b),
				     l->path, folder);
			goto out;
		}
		struct stat tb;
		/* a sidecar there under that stem, left alone, is another's:
		 * with or without a sidecar of its own, the image goes on */
		if (fstatat(afd, target_sc, &tb, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (move_noreplace(l->dirfd, name, afd, target) == 0)
			break;
		if (errno == EEXIST)
			continue;
		if (errno == ENOENT) {
			open_fail(l, name, ENOENT, err);
			goto out;
		}
		pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot move %s into %s/%s: %s", shown(name, b),
			     l->path, folder, strerror(errno));
		goto out;
	}
	if (has_sc && move_noreplace(l->dirfd, sc, afd, target_sc) < 0 && errno != ENOENT)
		/* The image is archived: a sidecar left behind is worth a warning,
		 * not a failure of the archive. */
		log_warning(LOGGER, "storage_sidecar_archive_error",
			    ctx ? ctx->correlation_id : NULL, LF_STR("image", name),
			    LF_STR("sidecar", sc), LF_STR("error", strerror(errno)));
	fsync(afd);
	fsync(l->dirfd);
	*sidecar = has_sc;
	*moved_as = target;
	target = NULL;
	rc = 0;
out:
	if (afd >= 0)
		close(afd);
	free(stem);
	free(sc);
	free(target);
	free(target_sc);
	return rc;
}

/* ---- deleting ------------------------------------------------------------------ */

static int local_remove(struct storage *s, const struct pp_ctx *ctx, const char *name,
			bool *sidecar, struct pp_error *err)
{
	struct local *l = to_local(s);
	struct stat sb, scb;
	char b[300];

	*sidecar = false;
	if (check_image_name(l, name, err) < 0 || stat_regular(l, l->dirfd, name, &sb, err) < 0)
		return -1;
	if (unlinkat(l->dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return open_fail(l, name, ENOENT, err);
		return pp_fail_kind(err, WHERE, PP_ERR_IO, "cannot delete %s in %s: %s", shown(name, b),
				    l->path, strerror(errno));
	}
	char *sc = sidecar_name(name);
	if (fstatat(l->dirfd, sc, &scb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(scb.st_mode)) {
		if (unlinkat(l->dirfd, sc, 0) == 0)
			*sidecar = true;
		else if (errno != ENOENT)
			/* The image is gone: a sidecar left behind is worth a warning. */
			log_warning(LOGGER, "storage_sidecar_delete_error",
				    ctx ? ctx->correlation_id : NULL, LF_STR("image", name),
				    LF_STR("sidecar", sc), LF_STR("error", strerror(errno)));
	}
	free(sc);
	fsync(l->dirfd);
	return 0;
}

/* The folder is a directory this process may list, and still the one
 * opened (not removed, nor replaced by another). */
static int local_ready(struct storage *s, const struct pp_ctx *ctx, struct pp_error *err)
{
	(void)ctx;
	struct local *l = to_local(s);
	struct stat now, opened;
	if (stat(l->path, &now) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_UNAVAILABLE, "the image folder %s: %s", l->path,
				    strerror(errno));
	if (!S_ISDIR(now.st_mode) || access(l->path, R_OK | X_OK) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_UNAVAILABLE,
				    "the image folder %s is not a readable directory", l->path);
	if (fstat(l->dirfd, &opened) < 0 || opened.st_dev != now.st_dev ||
	    opened.st_ino != now.st_ino)
		return pp_fail_kind(err, WHERE, PP_ERR_UNAVAILABLE,
				    "the image folder %s is not the one opened: restart", l->path);
	return 0;
}

const struct storage_ops local_storage = {
	.name = "local",
	.section = "Storage",
	.caps = 0,
	.validate = local_validate,
	.open = local_open,
	.close = local_close,
	.list = local_list,
	.download = local_download,
	.image_url = local_image_url,
	.sidecar_read = local_sidecar_read,
	.sidecar_write = local_sidecar_write,
	.metadata = local_metadata,
	.move = local_move,
	.remove = local_remove,
	.sha256 = local_sha256,
	.sweep = local_sweep,
	.download_archived = local_download_archived,
	.ready = local_ready,
};
