/* service.c - the web's operations on the pipeline.
 *
 * Owns the listing cache: one snapshot of the folder, reference-counted so a
 * request keeps using the snapshot it took while another replaces it, kept
 * 30 s and refreshed by one request at a time. Analyze runs the same stages
 * as `photopub run` (core/stages.c); publish runs the workflow itself with
 * --select semantics, one publish at a time so an image cannot go out twice.
 * Also owns the cache of resized copies the image route serves. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "caption/sidecar.h"
#include "core/stages.h"
#include "image/image.h"
#include "publish/prepare.h"
#include "publish/publisher.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/url.h"
#include "web/approve.h"
#include "web/image_cache.h"
#include "web/queue.h"
#include "web/service.h"

#define LOGGER "web"
#define LISTING_TTL_NS (30LL * 1000000000)
#define IMAGE_MAX ((size_t)256 << 20)
#define COPIES_MAX_BYTES ((size_t)32 << 20)


struct listing {
	atomic_int refs;
	struct storage_list list;
	int64_t at;
};

struct web_service {
	const struct workflow_env *env;
	pthread_mutex_t lock;        /* cur and its refresh */
	struct listing *cur;
	pthread_mutex_t publish_lock;
	struct image_cache *copies;  /* resized copies, COPIES_MAX_BYTES at most */
	struct web_walk *walk;       /* where "Next image" is in the posting queue */
};

struct web_service *web_service_new(const struct workflow_env *env)
{
	struct web_service *svc = xcalloc(1, sizeof(*svc));
	svc->env = env;
	pthread_mutex_init(&svc->lock, NULL);
	pthread_mutex_init(&svc->publish_lock, NULL);
	svc->copies = image_cache_new(COPIES_MAX_BYTES);
	svc->walk = web_walk_new();
	return svc;
}

static void listing_unref(struct listing *l)
{
	if (l && atomic_fetch_sub(&l->refs, 1) == 1) {
		storage_list_release(&l->list);
		free(l);
	}
}

void web_service_free(struct web_service *svc)
{
	if (!svc)
		return;
	listing_unref(svc->cur);
	pthread_mutex_destroy(&svc->lock);
	pthread_mutex_destroy(&svc->publish_lock);
	image_cache_free(svc->copies);
	web_walk_free(svc->walk);
	free(svc);
}

/* The current listing (a reference the caller drops with listing_unref). */
static struct listing *get_listing(struct web_service *svc, const struct pp_ctx *ctx,
				   struct pp_error *err)
{
	struct listing *l = NULL;
	int64_t now = now_monotonic();
	pthread_mutex_lock(&svc->lock);
	if (svc->cur && now - svc->cur->at < LISTING_TTL_NS) {
		l = svc->cur;
		atomic_fetch_add(&l->refs, 1);
		pthread_mutex_unlock(&svc->lock);
		return l;
	}
	/* Refresh while holding the lock: concurrent requests wait for this
	 * one listing instead of each listing the folder. */
	struct listing *fresh = xcalloc(1, sizeof(*fresh));
	if (storage_list(svc->env->storage, ctx, &fresh->list, err) < 0) {
		free(fresh);
		pthread_mutex_unlock(&svc->lock);
		return NULL;
	}
	fresh->at = now_monotonic();
	atomic_init(&fresh->refs, 2); /* the cache's and the caller's */
	listing_unref(svc->cur);
	svc->cur = fresh;
	pthread_mutex_unlock(&svc->lock);
	return fresh;
}

/* The listing as the gallery sees it: struct web_listing is struct listing. */
struct web_listing *web_listing_take(struct web_service *svc, const struct pp_ctx *ctx,
				     struct pp_error *err)
{
	return (struct web_listing *)get_listing(svc, ctx, err);
}

struct web_listing *web_listing_peek(struct web_service *svc)
{
	struct listing *l = NULL;
	if (pthread_mutex_trylock(&svc->lock) != 0)
		return NULL;
	if (svc->cur && now_monotonic() - svc->cur->at < LISTING_TTL_NS) {
		l = svc->cur;
		atomic_fetch_add(&l->refs, 1);
	}
	pthread_mutex_unlock(&svc->lock);
	return (struct web_listing *)l;
}

const struct storage_list *web_listing_items(const struct web_listing *l)
{
	return &((const struct listing *)l)->list;
}

void web_listing_drop(struct web_listing *l)
{
	listing_unref((struct listing *)l);
}

struct image_cache *web_service_copies(struct web_service *svc)
{
	return svc->copies;
}

static void invalidate_listing(struct web_service *svc)
{
	pthread_mutex_lock(&svc->lock);
	listing_unref(svc->cur);
	svc->cur = NULL;
	pthread_mutex_unlock(&svc->lock);
}

/* Copies the listed image called name into *one (a one-item list the
 * caller releases). Fails with kind "not_found" when it is not listed. */
static int listed_item(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		       struct storage_list *one, struct pp_error *err)
{
	struct listing *l = get_listing(svc, ctx, err);
	if (!l)
		return -1;
	for (size_t i = 0; i < l->list.n && !one->n; i++)
		if (!strcmp(l->list.items[i].name, name)) {
			one->items = xcalloc(1, sizeof(*one->items));
			one->items[0] = l->list.items[i];
			one->items[0].name = xstrdup(name);
			one->n = 1;
		}
	listing_unref(l);
	return one->n ? 0 : pp_fail_kind(err, "web", PP_ERR_NOT_FOUND, "Image not found");
}

/* ---- random ------------------------------------------------------------- */

struct link_job {
	struct storage *st;
	const char *name;
	const struct pp_ctx *ctx;
	char *url;
	struct pp_error err;
};

static void *fetch_link(void *arg)
{
	struct link_job *j = arg;
	if (storage_image_url(j->st, j->ctx, j->name, NULL, &j->url, &j->err) < 0)
		j->url = NULL;
	return NULL;
}

static char *local_url(const char *name)
{
	char *esc = url_escape(name);
	char *url = xasprintf("/api/images/%s/file", esc);
	free(esc);
	return url;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* Reads and parses the sidecar of name; *sc is zeroed when there is none. */
static int read_sidecar(struct storage *st, const struct pp_ctx *ctx, const char *name,
			struct sidecar *sc, bool *has, struct pp_error *err)
{
	char *text = NULL;
	int warnings = 0;
	*sc = (struct sidecar){ 0 };
	*has = false;
	if (storage_sidecar_read(st, ctx, name, &text, err) < 0)
		return -1;
	if (text) {
		*has = true;
		sidecar_parse(text, sc, &warnings, NULL);
		free(text);
	}
	return 0;
}

int web_random_image(struct web_service *svc, const struct pp_ctx *ctx, json_t **out,
		     struct pp_error *err)
{
	struct storage *st = svc->env->storage;
	struct listing *l = get_listing(svc, ctx, err);
	if (!l)
		return -1;
	int rc = -1;
	if (l->list.n == 0) {
		storage_no_images(&l->list, "web", err);
		goto out;
	}
	/* The posting queue from its head, one image further each time. */
	const struct storage_item *it = NULL;
	if (web_walk_next(svc->walk, svc->env, &l->list, &it, err) < 0)
		goto out;
	if (!it) {
		pp_fail_kind(err, "web", PP_ERR_NO_IMAGES, "No images found");
		goto out;
	}

	/* The temporary link (a remote call for Dropbox) and the sidecar at once. */
	/* A TIFF or HEIC, which browsers do not show, comes from the image
	 * route as a JPEG instead. */
	const struct storage_image_type *type = storage_image_type_of(it->name);
	bool remote = storage_has(st, STORAGE_TEMP_LINKS) && (!type || type->web);
	struct link_job job = { .st = st, .name = it->name, .ctx = ctx };
	pthread_t tid;
	bool threaded = remote && pthread_create(&tid, NULL, fetch_link, &job) == 0;
	struct sidecar sc;
	bool has = false;
	struct pp_error serr = { 0 };
	int src = read_sidecar(st, ctx, it->name, &sc, &has, &serr);
	if (threaded)
		pthread_join(tid, NULL);
	else if (remote)
		fetch_link(&job);
	else
		job.url = local_url(it->name);
	if (src < 0)
		log_warning(LOGGER, "web_sidecar_read_error", pp_cid(ctx),
			    LF_STR("image", it->name), LF_STR("error", serr.msg));
	if (!job.url) {
		*err = job.err;
		sidecar_release(&sc);
		goto out;
	}
	json_t *o = json_object();
	json_object_set_new(o, "filename", json_string(it->name));
	json_object_set_new(o, "temp_url", json_string(job.url));
	json_object_set_new(o, "sha256", str_or_null(it->sha256));
	json_object_set_new(o, "content_hash", str_or_null(it->content_hash));
	json_object_set_new(o, "caption", has ? str_or_null(sidecar_caption(&sc)) : json_null());
	json_object_set_new(o, "sd_caption", has ? str_or_null(sc.sd_caption) : json_null());
	json_object_set_new(o, "alt_text", has ? str_or_null(sidecar_alt_text(&sc)) : json_null());
	json_object_set_new(o, "metadata", has && sc.meta ? json_incref(sc.meta) : json_null());
	json_object_set_new(o, "has_sidecar", json_boolean(has));
	*out = o;
	free(job.url);
	sidecar_release(&sc);
	rc = 0;
out:
	listing_unref(l);
	return rc;
}

int web_queue(struct web_service *svc, const struct pp_ctx *ctx, size_t limit, json_t **out,
	      struct pp_error *err)
{
	struct listing *l = get_listing(svc, ctx, err);
	if (!l)
		return -1;
	int rc = web_queue_json(svc->env, &l->list, limit, out, err);
	listing_unref(l);
	return rc;
}

/* ---- analyze ------------------------------------------------------------ */

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* The answer from a sidecar that already has a caption (no AI call). */
static json_t *from_sidecar(const char *name, const struct sidecar *sc)
{
	json_t *meta = sc->meta;
	json_t *tags = json_object_get(meta, "tags");
	json_t *o = json_object();
	json_object_set_new(o, "filename", json_string(name));
	json_object_set_new(o, "description",
			    json_string(json_is_string(json_object_get(meta, "description"))
						? json_string_value(json_object_get(meta, "description"))
						: ""));
	json_object_set_new(o, "mood",
			    json_string(json_is_string(json_object_get(meta, "mood"))
						? json_string_value(json_object_get(meta, "mood"))
						: ""));
	json_object_set_new(o, "tags", json_is_array(tags) ? json_incref(tags) : json_array());
	json_object_set_new(o, "nsfw", json_boolean(json_is_true(json_object_get(meta, "nsfw"))));
	json_object_set_new(o, "caption", json_string(sidecar_caption(sc)));
	json_object_set_new(o, "sd_caption", str_or_null(sc->sd_caption));
	json_object_set_new(o, "alt_text", str_or_null(sidecar_alt_text(sc)));
	json_object_set_new(o, "sidecar_written", json_false());
	json_object_set_new(o, "cache_hit", json_true());
	return o;
}

int web_analyze(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		bool force_refresh, json_t **out, bool *cache_hit, struct pp_error *err)
{
	const struct workflow_env *env = svc->env;
	struct stage_ctx s = {
		.cfg = env->cfg, .storage = env->storage, .ai = env->ai, .state = env->state,
		.ctx = ctx,
	};
	stage_times_init(&s.t);
	*cache_hit = false;
	if (listed_item(svc, ctx, name, &s.list, err) < 0)
		return -1;
	if (!force_refresh) {
		struct sidecar sc;
		bool has = false;
		if (read_sidecar(env->storage, ctx, name, &sc, &has, err) == 0 && has &&
		    *sidecar_caption(&sc)) {
			*out = from_sidecar(name, &sc);
			*cache_hit = true;
			sidecar_release(&sc);
			stage_ctx_release(&s);
			return 0;
		}
		if (has)
			sidecar_release(&sc);
	}

	int rc = -1;
	if (stage_select(&s, name) < 0)
		goto fail;
	log_info(LOGGER, "web_vision_analysis_start", pp_cid(ctx), LF_STR("image", name));
	if (stage_vision(&s) < 0 || stage_caption(&s) < 0)
		goto fail;
	bool written = false;
	if (s.caption.sd_caption && *s.caption.sd_caption) {
		int wr = stage_sidecar(&s, true);
		written = wr == 0;
		log_json(wr == 0 ? LOG_INFO : LOG_ERROR, LOGGER,
			 wr == 0 ? "web_sidecar_upload_complete" : "web_sidecar_upload_error",
			 pp_cid(ctx),
			 (const struct log_field[]){ LF_STR("image", name),
						     LF_MS(stage_defs[STAGE_SIDECAR].ms_key, s.t.ms[STAGE_SIDECAR]),
						     LF_END });
	}
	json_t *o = json_object();
	json_object_set_new(o, "filename", json_string(name));
	json_object_set_new(o, "description", json_string(s.analysis.description ? s.analysis.description : ""));
	json_object_set_new(o, "mood", json_string(s.analysis.mood ? s.analysis.mood : ""));
	json_object_set_new(o, "tags", strv_json(&s.analysis.tags));
	json_object_set_new(o, "nsfw", json_boolean(s.analysis.nsfw));
	json_object_set_new(o, "caption", json_string(s.caption.caption));
	json_object_set_new(o, "sd_caption", str_or_null(s.caption.sd_caption));
	json_object_set_new(o, "alt_text", str_or_null(s.analysis.alt_text));
	json_object_set_new(o, "sidecar_written", json_boolean(written));
	json_object_set_new(o, "cache_hit", json_false());
	*out = o;
	rc = 0;
	goto out;
fail:
	*err = s.err;
out:
	stage_ctx_release(&s);
	return rc;
}

/* ---- publish ------------------------------------------------------------ */

void web_service_lock_images(struct web_service *svc)
{
	pthread_mutex_lock(&svc->publish_lock);
}

void web_service_unlock_images(struct web_service *svc)
{
	pthread_mutex_unlock(&svc->publish_lock);
}

void web_service_forget(struct web_service *svc, const char *name)
{
	(void)name; /* the listing is one snapshot: it is dropped whole */
	invalidate_listing(svc);
}

bool web_platform_enabled(struct web_service *svc, const char *name)
{
	const struct publisher_ops *p = publisher_find(name);
	return p && p->enabled(svc->env->cfg);
}

json_t *web_platforms_json(struct web_service *svc)
{
	json_t *a = json_array();
	for (size_t i = 0; publishers[i]; i++)
		if (publishers[i]->enabled(svc->env->cfg))
			json_array_append_new(a, json_string(publishers[i]->name));
	return a;
}

int web_publish(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		const struct strv *platforms, const struct web_approval *ap, json_t **out,
		struct pp_error *err)
{
	if (platforms) {
		if (platforms->n == 0)
			return pp_fail_kind(err, "web", PP_ERR_BAD_PLATFORM, "platforms is empty");
		for (size_t i = 0; i < platforms->n; i++)
			if (!web_platform_enabled(svc, platforms->v[i]))
				return pp_fail_kind(err, "web", PP_ERR_BAD_PLATFORM,
						    "unknown or disabled platform: %s", platforms->v[i]);
	}
	struct storage_list one = { 0 };
	if (listed_item(svc, ctx, name, &one, err) < 0)
		return -1;
	storage_list_release(&one);

	struct workflow_options wo = {
		.ctx = ctx, .select = name,
		.platforms = platforms ? (const char *const *)platforms->v : NULL,
		.nplatforms = platforms ? platforms->n : 0,
		.caption = ap ? ap->caption : NULL, .alt_text = ap ? ap->alt_text : NULL,
		.overrides = ap ? ap->ov : NULL, .noverrides = ap ? ap->nov : 0,
	};
	struct workflow_result r;
	pthread_mutex_lock(&svc->publish_lock);
	workflow_run(svc->env, &wo, &r);
	pthread_mutex_unlock(&svc->publish_lock);
	if (r.archived)
		invalidate_listing(svc);
	int rc = 0;
	if (r.nplatforms == 0 && workflow_error(&r)) {
		*err = r.err;
		rc = -1;
	} else {
		json_t *o = json_object();
		json_object_set_new(o, "filename", json_string(name));
		json_object_set_new(o, "results", workflow_results_json(&r));
		json_object_set_new(o, "archived", json_boolean(r.archived));
		json_object_set_new(o, "any_success", json_boolean(r.success));
		*out = o;
	}
	workflow_result_release(&r);
	return rc;
}

/* ---- image bytes (local storage) ---------------------------------------- */

/* The widths copies are made at: powers of two and the steps halfway
 * between. A request is served the largest at most its width, so the
 * widths phones ask for (device pixels times CSS pixels) share a few
 * copies; never more than asked for. */
static const int copy_widths[] = { 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512,
				   768, 1024, 1536, 2048, 3072, 4096 };

int web_image_copy_width(int width)
{
	int w = 0;
	if (width <= 0)
		return 0;
	for (size_t i = 0; i < sizeof(copy_widths) / sizeof(copy_widths[0]); i++)
		if (copy_widths[i] <= width)
			w = copy_widths[i];
	return w ? w : copy_widths[0];
}

static char *etag_of(const struct storage_item *it, int width)
{
	return xasprintf("\"%.24s-%lld-w%d\"", it->sha256[0] ? it->sha256 : "0",
			 (long long)it->mtime_ns, width);
}

/* The cache key of a copy: the name and its ETag, which holds the content's
 * identity (hash and modification time) and the width. */
static char *copy_key(const char *name, const char *etag)
{
	return xasprintf("%s\n%s", name, etag);
}

char *web_image_etag(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		     int width)
{
	struct pp_error err = { 0 };
	struct storage_list one = { 0 };
	if (listed_item(svc, ctx, name, &one, &err) < 0)
		return NULL;
	char *tag = etag_of(&one.items[0], web_image_copy_width(width));
	storage_list_release(&one);
	return tag;
}

int web_image_cached(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		     int width, struct buf *out, const char **content_type, char **etag,
		     struct pp_error *err)
{
	struct storage_list one = { 0 };
	width = web_image_copy_width(width);
	if (listed_item(svc, ctx, name, &one, err) < 0)
		return -1;
	char *tag = etag_of(&one.items[0], width);
	storage_list_release(&one);
	char *key = copy_key(name, tag);
	bool hit = width > 0 && image_cache_get(svc->copies, key, out);
	free(key);
	if (!hit) {
		free(tag);
		return 0;
	}
	*content_type = "image/jpeg";
	*etag = tag;
	return 1;
}

static int read_fd(int fd, struct buf *out)
{
	char chunk[65536];
	lseek(fd, 0, SEEK_SET);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > IMAGE_MAX)
			return -1;
		buf_add(out, chunk, (size_t)n);
	}
}

int web_image_bytes(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		    int width, struct buf *out, const char **content_type, char **etag,
		    const char **cache, struct pp_error *err)
{
	struct storage *st = svc->env->storage;
	struct storage_list one = { 0 };
	char *key = NULL;
	width = web_image_copy_width(width);
	*cache = NULL;
	if (listed_item(svc, ctx, name, &one, err) < 0)
		return -1;
	*etag = etag_of(&one.items[0], width);
	storage_list_release(&one);

	int rc = -1;
	int fd = -1;
	if (width > 0) {
		/* Another request may have made it while this one waited. */
		key = copy_key(name, *etag);
		if (image_cache_get(svc->copies, key, out)) {
			*content_type = "image/jpeg";
			*cache = "hit";
			rc = 0;
			goto out;
		}
	}
	fd = memfd_create("photopub-image", MFD_CLOEXEC);
	if (fd < 0) {
		pp_fail(err, "web", "cannot allocate memory for the image");
		goto out;
	}
	if (storage_download(st, ctx, name, fd, err) < 0)
		goto out;
	/* The original as it is, in a type browsers show; a TIFF or HEIC goes
	 * as a full-size JPEG. */
	const struct storage_image_type *type = storage_image_type_of(name);
	if (width <= 0 && type && type->web) {
		if (read_fd(fd, out) < 0) {
			pp_fail(err, "web", "cannot read the image");
			goto out;
		}
		*content_type = type->mime;
		rc = 0;
		goto out;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	unsigned char *data = NULL;
	size_t len = 0;
	if (prepare_jpeg_bytes(ctx, path, width, &data, &len, err) < 0) {
		/* The message starts with the memory file's name ("7 is 30000x30000
		 * …", "7 is not a decodable image: …"): it names the image instead. */
		char why[sizeof(err->msg)];
		const char *rest = strchr(err->msg, ' ');
		snprintf(why, sizeof(why), "%s", rest ? rest : " is not a decodable image");
		pp_fail_kind(err, "web", err->kind == PP_ERR_NONE ? PP_ERR_UNDECODABLE : err->kind,
			     "%s%s", name, why);
		goto out;
	}
	if (key)
		image_cache_put(svc->copies, key, data, len);
	buf_add(out, data, len);
	free(data);
	*content_type = "image/jpeg";
	*cache = "miss";
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(key);
	if (rc < 0) {
		free(*etag);
		*etag = NULL;
	}
	return rc;
}
