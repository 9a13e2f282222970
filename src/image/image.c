/* image.c - image.h for the rest of photopub: forwards every call to
 * libphotopub-image.so (libvips and its ~80 libraries), loaded on the first
 * call that needs pixels. Until then a process has none of them mapped: the
 * web server answers /health, random images and the API at about half the
 * resident memory, and --help never pays for them. The module's bytes are
 * compiled into the binary (image_module, made by the build), so the binary
 * is one file that works wherever it is copied or linked from: they are
 * written to an anonymous memory file and loaded from there.
 * An installed binary loads the module installed beside it instead
 * (PHOTOPUB_MODULE_RELPATH from the binary's real folder, e.g.
 * ../lib/x86_64-linux-gnu/photopub/libphotopub-image.so): what a package
 * runs is then a file dpkg-shlibdeps reads, so the package depends on
 * libvips; a copy of the binary without it falls back to the embedded one.
 * $PHOTOPUB_IMAGE_MODULE names a module file instead of both. A failure
 * says what was tried and dlerror's reason. */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "image/api.h"
#include "image/image.h"
#include "telemetry/glib_route.h"
#include "util/buf.h"
#include "util/embedded.h"
#include "util/fsutil.h"

#define MODULE "libphotopub-image.so"

/* The module, as the build embedded it (one row and the NULL one). */
extern const struct embedded_file image_module[];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct image_api *api;
static char *argv0_saved;
static bool wanted;           /* image_init was called */
static bool started;          /* api->init succeeded */
static char load_error[2048];

/* The embedded module in a memory file; its path for dlopen in path.
 * Returns the descriptor (kept open while the module is), or -1. */
static int module_file(char *path, size_t n)
{
	int fd = memfd_create(MODULE, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fs_write_all(fd, image_module[0].data, image_module[0].size) < 0) {
		close(fd);
		return -1;
	}
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

#ifndef PHOTOPUB_MODULE_RELPATH
#define PHOTOPUB_MODULE_RELPATH "../lib/photopub/" MODULE
#endif

/* The module installed beside the binary (PHOTOPUB_MODULE_RELPATH from the
 * folder of /proc/self/exe, resolved) in path; 0 when that file exists,
 * else -1. */
static int installed_module(char *path, size_t n)
{
	char exe[512]; /* longer ones take the embedded copy: each message fits */
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	char joined[600];
	int w = snprintf(joined, sizeof(joined), "%s/%s", dirname(exe), PHOTOPUB_MODULE_RELPATH);
	if (w < 0 || (size_t)w >= sizeof(joined))
		return -1;
	char *real = realpath(joined, NULL); /* NULL: no such file */
	if (!real)
		return -1;
	w = snprintf(path, n, "%s", real);
	free(real);
	return w >= 0 && (size_t)w < n ? 0 : -1;
}

/* Loads the module ($PHOTOPUB_IMAGE_MODULE, else the installed one, else
 * the embedded copy) and returns its table, or NULL with load_error saying
 * what was tried and why. */
static const struct image_api *load(void)
{
	char path[640], installed[700];
	const char *env = getenv("PHOTOPUB_IMAGE_MODULE");
	const char *file = env && *env ? env : NULL;
	const char *what = file ? "the module PHOTOPUB_IMAGE_MODULE names"
				: "the copy of " MODULE " inside the binary";
	if (!file && installed_module(path, sizeof(path)) == 0) {
		file = path;
		snprintf(installed, sizeof(installed), "the installed module %s", path);
		what = installed;
	}
	if (!file) {
		if (module_file(path, sizeof(path)) < 0) {
			snprintf(load_error, sizeof(load_error),
				 "cannot load %s: no memory file for it: %s", what, strerror(errno));
			return NULL;
		}
		file = path;
	}
	void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *reason = dlerror();
		/* dlerror names the file that failed: the module or a library it needs */
		snprintf(load_error, sizeof(load_error), "cannot load %s: %s", what,
			 reason ? reason : "unknown reason");
		return NULL;
	}
	const struct image_api *a = dlsym(h, IMAGE_API_SYMBOL);
	if (!a || a->version != IMAGE_API_VERSION) {
		snprintf(load_error, sizeof(load_error), "cannot load %s (%s): %s", what, file,
			 a ? "its table is of another version" : "it has no " IMAGE_API_SYMBOL);
		dlclose(h);
		return NULL;
	}
	return a;
}

static void stop_at_exit(void)
{
	pthread_mutex_lock(&lock);
	if (api && started)
		api->shutdown();
	started = false;
	pthread_mutex_unlock(&lock);
}

/* The module, loaded and started once. */
static const struct image_api *get_api(struct pp_error *err)
{
	pthread_mutex_lock(&lock);
	if (!api && !load_error[0])
		api = load();
	if (api && wanted && !started) {
		struct pp_error ierr = { 0 };
		glib_route_to_log(); /* libvips' GLib messages become log lines */
		if (api->init(argv0_saved, &ierr) == 0) {
			started = true;
			/* libvips' worker threads must not outlive the process's end
			 * (a command that returns without image_shutdown) */
			static bool registered;
			if (!registered)
				registered = atexit(stop_at_exit) == 0;
		}
		else
			snprintf(load_error, sizeof(load_error), "%s", ierr.msg);
	}
	const struct image_api *a = api && (started || !wanted) ? api : NULL;
	if (!a)
		pp_fail_kind(err, "image", PP_ERR_INTERNAL, "%s",
			     load_error[0] ? load_error : "libvips is not started");
	pthread_mutex_unlock(&lock);
	return a;
}

int image_init(const char *argv0, struct pp_error *err)
{
	(void)err;
	pthread_mutex_lock(&lock);
	if (!wanted || argv0) {
		free(argv0_saved);
		argv0_saved = xstrdup(argv0 ? argv0 : "photopub");
	}
	wanted = true;
	pthread_mutex_unlock(&lock);
	return 0;
}

void image_shutdown(void)
{
	pthread_mutex_lock(&lock);
	if (api && started)
		api->shutdown();
	started = false;
	wanted = false;
	free(argv0_saved);
	argv0_saved = NULL;
	pthread_mutex_unlock(&lock);
}

int image_probe(const char *path, struct image_info *info, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->probe(path, info, err) : -1;
}

int image_jpeg_copy(const char *path, int max_long, int max_width, int quality,
		    unsigned char **data, size_t *len, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->jpeg_copy(path, max_long, max_width, quality, data, len, err) : -1;
}

int image_jpeg_fit(const char *path, int box_w, int box_h, int quality, unsigned char **data,
		   size_t *len, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->jpeg_fit(path, box_w, box_h, quality, data, len, err) : -1;
}

int image_data_url(const char *path, int max_px, char **url, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->data_url(path, max_px, url, err) : -1;
}

int image_measure(const char *path, struct image_measure *m, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->measure(path, m, err) : -1;
}
