/* loader.c - image.h and the offline analyzer for libphotopub.so: forwards
 * to libphotopub-image.so, which is loaded (with libvips and its ~80
 * libraries) on the first real use. The web server answers /health, random
 * images and the API without ever loading it until an image is decoded —
 * about 13 MB less resident memory at rest — and `run` loads it when it
 * probes its image. The static library the tests link has image.c itself
 * instead of this file. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ai/ai.h"
#include "image/api.h"
#include "telemetry/log.h"
#include "util/buf.h"

#define MODULE "libphotopub-image.so"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct image_api *api;
static char *argv0_saved;
static bool wanted;           /* image_init was called */
static bool started;          /* api->init succeeded */
static char load_error[600];

/* The module beside this one, loaded and started once. */
static const struct image_api *get_api(struct pp_error *err)
{
	pthread_mutex_lock(&lock);
	if (!api && !load_error[0]) {
		Dl_info di;
		char *path = NULL;
		if (dladdr((void *)&get_api, &di) && di.dli_fname && strrchr(di.dli_fname, '/'))
			path = xasprintf("%.*s/" MODULE,
					 (int)(strrchr(di.dli_fname, '/') - di.dli_fname), di.dli_fname);
		void *h = dlopen(path ? path : MODULE, RTLD_NOW | RTLD_LOCAL);
		free(path);
		const struct image_api *a = h ? dlsym(h, IMAGE_API_SYMBOL) : NULL;
		if (!a || a->version != IMAGE_API_VERSION)
			snprintf(load_error, sizeof(load_error), "cannot load " MODULE ": %s",
				 h ? "no usable entry table" : dlerror());
		else
			api = a;
	}
	if (api && wanted && !started) {
		struct pp_error ierr = { 0 };
		if (api->init(argv0_saved, &ierr) == 0)
			started = true;
		else
			snprintf(load_error, sizeof(load_error), "%s", ierr.msg);
	}
	const struct image_api *a = api && (started || !wanted) ? api : NULL;
	if (!a)
		pp_fail(err, "image", "%s", load_error[0] ? load_error : "libvips is not started");
	pthread_mutex_unlock(&lock);
	return a;
}

int image_init(const char *argv0, struct pp_error *err)
{
	(void)err;
	pthread_mutex_lock(&lock);
	free(argv0_saved);
	argv0_saved = xstrdup(argv0 ? argv0 : "photopub");
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

/* ---- the offline analyzer, opened on its first call -------------------- */

struct lazy_ai {
	struct ai base;
	const struct config *cfg;
	pthread_mutex_t lock;
	struct ai *real;
};

static struct ai *real_ai(struct ai *ai, struct pp_error *err)
{
	struct lazy_ai *l = (struct lazy_ai *)ai;
	pthread_mutex_lock(&l->lock);
	if (!l->real) {
		const struct image_api *a = get_api(err);
		if (a && a->local_ai->open(l->cfg, &l->real, err) < 0)
			l->real = NULL;
	}
	struct ai *r = l->real;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static int lazy_open(const struct config *cfg, struct ai **out, struct pp_error *err)
{
	(void)err;
	struct lazy_ai *l = xcalloc(1, sizeof(*l));
	l->base.ops = &local_ai;
	l->cfg = cfg;
	pthread_mutex_init(&l->lock, NULL);
	*out = &l->base;
	return 0;
}

static void lazy_close(struct ai *ai)
{
	struct lazy_ai *l = (struct lazy_ai *)ai;
	if (l->real)
		l->real->ops->close(l->real);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int lazy_analyze(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
			struct analysis *out, struct ai_call *call, struct pp_error *err)
{
	struct ai *r = real_ai(ai, err);
	return r ? r->ops->analyze(r, ctx, img, out, call, err) : -1;
}

static int lazy_caption(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
			const struct caption_spec *spec, bool with_sd, struct caption_result *out,
			struct ai_call *call, struct pp_error *err)
{
	struct ai *r = real_ai(ai, err);
	return r ? r->ops->caption(r, ctx, an, spec, with_sd, out, call, err) : -1;
}

static const char *lazy_vision_model(const struct ai *ai)
{
	struct ai *r = real_ai((struct ai *)ai, NULL);
	return r ? r->ops->vision_model(r) : "photopub-local";
}

static const char *lazy_caption_model(const struct ai *ai)
{
	struct ai *r = real_ai((struct ai *)ai, NULL);
	return r ? r->ops->caption_model(r) : "photopub-local";
}

const struct ai_ops local_ai = {
	.name = "local",
	.needs_url = false,
	.open = lazy_open,
	.close = lazy_close,
	.analyze = lazy_analyze,
	.caption = lazy_caption,
	.vision_model = lazy_vision_model,
	.caption_model = lazy_caption_model,
};
