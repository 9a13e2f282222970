/* fsutil.c - atomic writes, whole-file reads, private temp files, safe names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/buf.h"
#include "util/fsutil.h"

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct pp_error *err)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	int rc = -1;
	if (fd < 0) {
		pp_fail(err, "fs", "cannot create a file beside %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		pp_fail(err, "fs", "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		pp_fail(err, "fs", "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		pp_fail(err, "fs", "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int fs_read_file(const char *path, char **data, size_t *len, size_t max,
		 struct pp_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pp_fail_kind(err, "fs", errno == ENOENT ? PP_ERR_NOT_FOUND : PP_ERR_IO,
				    "cannot open %s: %s", path, strerror(errno));
	struct buf b = BUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pp_fail(err, "fs", "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			pp_fail(err, "fs", "%s is larger than %zu bytes", path, max);
			goto fail;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	*data = buf_detach(&b);
	return 0;
fail:
	close(fd);
	buf_release(&b);
	return -1;
}

int fs_mkdir_p(const char *path, mode_t mode, struct pp_error *err)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			pp_fail(err, "fs", "cannot create folder %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = 0;
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		rc = pp_fail(err, "fs", "cannot create folder %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

/* Temp files alive now, for the signal handler: fixed slots, no allocation. */
#define TEMP_SLOTS 32
static char temp_slots[TEMP_SLOTS][512];
static volatile sig_atomic_t temp_used[TEMP_SLOTS];
static pthread_mutex_t temp_lock = PTHREAD_MUTEX_INITIALIZER;

static void temp_track(const char *path)
{
	if (strlen(path) >= sizeof(temp_slots[0]))
		return;
	pthread_mutex_lock(&temp_lock);
	for (int i = 0; i < TEMP_SLOTS; i++)
		if (!temp_used[i]) {
			strcpy(temp_slots[i], path);
			temp_used[i] = 1;
			break;
		}
	pthread_mutex_unlock(&temp_lock);
}

void fs_temp_remove(const char *path)
{
	if (!path)
		return;
	unlink(path);
	pthread_mutex_lock(&temp_lock);
	for (int i = 0; i < TEMP_SLOTS; i++)
		if (temp_used[i] && !strcmp(temp_slots[i], path)) {
			temp_used[i] = 0;
			break;
		}
	pthread_mutex_unlock(&temp_lock);
}

static void on_fatal_signal(int sig)
{
	for (int i = 0; i < TEMP_SLOTS; i++)
		if (temp_used[i])
			unlink(temp_slots[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void fs_temp_cleanup_on_signals(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static const char *temp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

int fs_temp_file(const char *suffix, char **path_out, int *fd_out, struct pp_error *err)
{
	const char *dir = temp_dir();
	char *path = xasprintf("%s/" FS_TEMP_PREFIX "%ld-XXXXXX%s", dir, (long)getpid(),
			       suffix ? suffix : "");
	int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0) {
		pp_fail(err, "fs", "cannot create a temp file in %s: %s", dir, strerror(errno));
		free(path);
		return -1;
	}
	fchmod(fd, 0600);
	temp_track(path);
	*path_out = path;
	*fd_out = fd;
	return 0;
}

/* The pid that made name ("<prefix><pid>-…"), or 0 when name is not one. */
static pid_t maker_of(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (strncmp(name, prefix, pl) != 0)
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(name + pl, &end, 10);
	if (errno || end == name + pl || *end != '-' || pid <= 0 || pid > INT_MAX)
		return 0;
	return (pid_t)pid;
}

/* Removes name in dirfd: a file, or a folder of files (one level). */
static int remove_entry(int parent, const char *name)
{
	if (unlinkat(parent, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR);
}

int fs_sweep_stale(const char *dir, const char *prefix)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int removed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t pid = maker_of(de->d_name, prefix);
		if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (remove_entry(dirfd(d), de->d_name) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int fs_temp_sweep(void)
{
	return fs_sweep_stale(temp_dir(), FS_TEMP_PREFIX);
}

int fs_copy_file(const char *src, const char *dst, mode_t mode, struct pp_error *err)
{
	char *data = NULL;
	size_t len = 0;
	if (fs_read_file(src, &data, &len, (size_t)1 << 31, err) < 0)
		return -1;
	int rc = fs_write_atomic(dst, data, len, mode, err);
	free(data);
	return rc;
}

bool fs_name_is_safe(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool fs_relpath_is_safe(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	if (n == 0 || n > 1024)
		return false;
	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char part[256];
		if (len == 0 || len >= sizeof(part))
			return false;
		memcpy(part, p, len);
		part[len] = '\0';
		if (!fs_name_is_safe(part))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

char *fs_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

const char *fs_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name || strchr(dot, '/'))
		return name + strlen(name);
	return dot;
}

char *fs_stem(const char *name)
{
	return xstrndup(name, (size_t)(fs_ext(name) - name));
}
