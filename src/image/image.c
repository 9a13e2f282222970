/* image.c - image.h for the rest of photopub: forwards every call to
 * libphotopub-image.so (libvips and its ~80 libraries), loaded on the first
 * call that needs pixels. Until then a process has none of them mapped: the
 * web server answers /health, random images and the API at about half the
 * resident memory, and --help never pays for them. The module is looked for
 * beside the real binary, in ../lib/photopub/ from it (an installed tree,
 * wherever its prefix), then in the directory it was installed to;
 * $PHOTOPUB_IMAGE_MODULE names the file instead. A failure says dlerror's
 * reason for every path tried. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image/api.h"
#include "image/image.h"
#include "telemetry/glib_route.h"
#include "util/buf.h"

#define MODULE "libphotopub-image.so"
#ifndef PHOTOPUB_PKGLIBDIR
#define PHOTOPUB_PKGLIBDIR "/usr/local/lib/photopub"
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct image_api *api;
static char *argv0_saved;
static bool wanted;           /* image_init was called */
static bool started;          /* api->init succeeded */
static char load_error[2048];

/* The folder of the running binary, symlinks resolved; "" when unknown. */
static void exe_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	out[0] = '\0';
	if (!realpath("/proc/self/exe", exe))
		return;
	char *slash = strrchr(exe, '/');
	if (slash && slash != exe) {
		*slash = '\0';
		snprintf(out, n, "%s", exe);
	}
}

/* Tries each place in turn; the first that loads and has a table of this
 * version wins. Fills load_error with every path and why it failed. */
static const struct image_api *load(void)
{
	char dir[PATH_MAX];
	exe_dir(dir, sizeof(dir));
	const char *env = getenv("PHOTOPUB_IMAGE_MODULE");
	char *paths[4];
	size_t n = 0;
	if (env && *env) {
		paths[n++] = xstrdup(env);
	} else {
		if (*dir) {
			paths[n++] = xasprintf("%s/" MODULE, dir);
			paths[n++] = xasprintf("%s/../lib/photopub/" MODULE, dir);
		}
		paths[n++] = xstrdup(PHOTOPUB_PKGLIBDIR "/" MODULE);
	}
	struct buf why = BUF_INIT;
	const struct image_api *a = NULL;
	for (size_t i = 0; i < n && !a; i++) {
		void *h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			/* dlerror's reason starts with the path */
			const char *reason = dlerror();
			buf_addf(&why, "%s%s", i ? "; " : "", reason ? reason : paths[i]);
			continue;
		}
		a = dlsym(h, IMAGE_API_SYMBOL);
		if (!a || a->version != IMAGE_API_VERSION) {
			buf_addf(&why, "%s%s: %s", i ? "; " : "", paths[i],
				 a ? "its table is of another version" : "it has no " IMAGE_API_SYMBOL);
			a = NULL;
			dlclose(h);
		}
	}
	if (!a)
		snprintf(load_error, sizeof(load_error), "cannot load " MODULE " (tried %s)",
			 buf_str(&why));
	buf_release(&why);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	return a;
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
		if (api->init(argv0_saved, &ierr) == 0)
			started = true;
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

int image_data_url(const char *path, char **url, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->data_url(path, url, err) : -1;
}

int image_measure(const char *path, struct image_measure *m, struct pp_error *err)
{
	const struct image_api *a = get_api(err);
	return a ? a->measure(path, m, err) : -1;
}
