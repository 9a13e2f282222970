/* fsutil.h - small file-system helpers: atomic writes, whole-file reads,
 * private temp files, mkdir -p and the rule for safe file names. */
#ifndef PHOTOPUB_UTIL_FSUTIL_H
#define PHOTOPUB_UTIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/error.h"

/* Writes data to path atomically: a temp file in the same folder, fsync,
 * rename over path. On failure path is unchanged and no temp file remains. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct pp_error *err);

/* Writes all len bytes to fd, retrying short writes and EINTR. 0 or -1 (errno set). */
int fs_write_all(int fd, const void *data, size_t len);

/* Reads the whole file into *data (NUL-terminated, caller frees) and its
 * length into *len (may be NULL). Fails when the file is larger than max. */
int fs_read_file(const char *path, char **data, size_t *len, size_t max,
		 struct pp_error *err);

/* Creates path and its missing parents with mode. An existing folder is fine. */
int fs_mkdir_p(const char *path, mode_t mode, struct pp_error *err);

#define FS_TEMP_PREFIX "photopub-"

/* Creates an empty private (0600) temp file in $TMPDIR (or /tmp), named
 * "photopub-<pid>-XXXXXX<suffix>". *path_out is the caller's to unlink and free; *fd_out is
 * open for reading and writing. */
int fs_temp_file(const char *suffix, char **path_out, int *fd_out, struct pp_error *err);

/* Unlinks a file made by fs_temp_file and forgets it. */
void fs_temp_remove(const char *path);

/* Installs SIGINT/SIGTERM handlers that unlink every temp file still open
 * (made by fs_temp_file, not yet removed) and then die of the signal, so no
 * private copy of an image outlives an interrupted run. */
void fs_temp_cleanup_on_signals(void);

/* Temp names that say who made them: "<prefix><pid>-…". A run killed with
 * SIGKILL leaves such files (or folders) behind; fs_sweep_stale, called by
 * the next run, removes those of dir whose maker is no longer running, and
 * leaves a running process's alone. Returns how many it removed. */
int fs_sweep_stale(const char *dir, const char *prefix);

/* fs_sweep_stale of $TMPDIR for fs_temp_file's files. */
int fs_temp_sweep(void);

/* Copies the file src to dst (created with mode, replaced atomically). */
int fs_copy_file(const char *src, const char *dst, mode_t mode, struct pp_error *err);

/* True when name is a plain file name: not empty, not "." or "..", no '/',
 * no control characters, at most 255 bytes. Anything else could leave the folder. */
bool fs_name_is_safe(const char *name);

/* True when path is one or more names that fs_name_is_safe accepts joined
 * by single '/' ("keep", "curated/keep"): no leading or trailing '/', no
 * "." or ".." part, at most 1024 bytes. It names a folder inside another. */
bool fs_relpath_is_safe(const char *path);

/* "a/b" from dir "a" and name "b"; caller frees. */
char *fs_join(const char *dir, const char *name);

/* Base name without the last extension ("a.b.jpg" -> "a.b"); caller frees. */
char *fs_stem(const char *name);

/* Extension including the dot, or "" (points into name). */
const char *fs_ext(const char *name);

#endif
