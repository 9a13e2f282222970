/* gallery.c - the grid's list of images and their thumbnails (gallery.h):
 * the list is the service's listing snapshot, filtered, sorted and paged
 * here; a thumbnail comes from the storage when it makes them (Dropbox)
 * or from libvips over a download, and is kept in the service's cache of
 * resized copies under its name, content identity and size. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "image/image.h"
#include "state/state.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "web/gallery.h"
#include "web/image_cache.h"
#include "web/request.h"

#define WHERE "web"
#define THUMB_QUALITY 80

const struct thumb_size web_thumb_sizes[] = {
	{ "w256h256", 256, 256 },
	{ "w480h320", 480, 320 },
	{ "w640h480", 640, 480 },
	{ "w960h640", 960, 640 },
	{ "w1024h768", 1024, 768 },
	{ NULL, 0, 0 },
};

const struct thumb_size *web_thumb_size_find(const char *name)
{
	if (!name)
		return &web_thumb_sizes[0];
	for (const struct thumb_size *t = web_thumb_sizes; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

const char *web_thumb_size_names(void)
{
	return "w256h256, w480h320, w640h480, w960h640, w1024h768";
}

/* ---- the list ------------------------------------------------------------ */

static const char *const sort_names[] = {
	[GALLERY_SORT_NAME] = "name", [GALLERY_SORT_MODIFIED] = "modified",
	[GALLERY_SORT_SIZE] = "size",
};

void gallery_query_release(struct gallery_query *gq)
{
	free(gq->q);
	gq->q = NULL;
}

/* A whole number from min to max, or -1. */
static int size_param(const char *v, long min, long max, size_t *out)
{
	int n;
	if (request_int_range(v, min, max, &n) < 0)
		return -1;
	*out = (size_t)n;
	return 0;
}

int gallery_query_parse(const char *query, struct gallery_query *gq, struct pp_error *err)
{
	char *sort = NULL, *order = NULL, *offset = NULL, *limit = NULL;
	int rc = -1;

	*gq = (struct gallery_query){ .limit = GALLERY_LIMIT_DEFAULT };
	if (request_query_get(query, "sort", &sort) < 0 || request_query_get(query, "order", &order) < 0 ||
	    request_query_get(query, "q", &gq->q) < 0 ||
	    request_query_get(query, "offset", &offset) < 0 ||
	    request_query_get(query, "limit", &limit) < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_INVALID, "the query does not decode (a bad %% escape)");
		goto out;
	}
	if (sort) {
		size_t i = 0;
		while (i < sizeof(sort_names) / sizeof(sort_names[0]) && strcmp(sort, sort_names[i]))
			i++;
		if (i == sizeof(sort_names) / sizeof(sort_names[0])) {
			pp_fail_kind(err, WHERE, PP_ERR_INVALID, "sort must be name, modified or size");
			goto out;
		}
		gq->sort = (enum gallery_sort)i;
	}
	if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
		pp_fail_kind(err, WHERE, PP_ERR_INVALID, "order must be asc or desc");
		goto out;
	}
	gq->desc = order && !strcmp(order, "desc");
	if (offset && size_param(offset, 0, 1000000000, &gq->offset) < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_INVALID, "offset must be a whole number from 0");
		goto out;
	}
	if (limit && size_param(limit, 1, GALLERY_LIMIT_MAX, &gq->limit) < 0) {
		pp_fail_kind(err, WHERE, PP_ERR_INVALID, "limit must be a whole number from 1 to %d",
			     GALLERY_LIMIT_MAX);
		goto out;
	}
	if (gq->q && !*gq->q) {
		free(gq->q);
		gq->q = NULL;
	}
	rc = 0;
out:
	free(sort);
	free(order);
	free(offset);
	free(limit);
	return rc;
}

/* qsort has no context argument: the order is passed in the array. */
struct ranked {
	const struct storage_item *it;
	const struct gallery_query *gq;
};

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c = 0;
	if (a->gq->sort == GALLERY_SORT_MODIFIED)
		c = cmp_i64(a->it->mtime_ns, b->it->mtime_ns);
	else if (a->gq->sort == GALLERY_SORT_SIZE)
		c = cmp_i64(a->it->size, b->it->size);
	if (c == 0)
		c = strcmp(a->it->name, b->it->name);
	return a->gq->desc ? -c : c;
}

/* Whether the image may be offered: not posted, not quarantined. */
static bool offerable(struct state *st, const struct storage_item *it)
{
	if (!st)
		return true;
	if ((it->content_hash[0] && state_is_posted_content_hash(st, it->content_hash)) ||
	    (it->sha256[0] && state_is_posted_sha256(st, it->sha256)))
		return false;
	return !state_is_quarantined(st, it->sha256, it->content_hash);
}

int web_gallery_list(struct web_service *svc, const struct workflow_env *env,
		     const struct pp_ctx *ctx, const struct gallery_query *gq, json_t **out,
		     struct pp_error *err)
{
	struct web_listing *l = web_listing_take(svc, ctx, err);
	if (!l)
		return -1;
	const struct storage_list *list = web_listing_items(l);
	struct ranked *r = xcalloc(list->n ? list->n : 1, sizeof(*r));
	size_t n = 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct storage_item *it = &list->items[i];
		if (gq->q && !strcasestr(it->name, gq->q))
			continue;
		if (!offerable(env->state, it))
			continue;
		r[n++] = (struct ranked){ .it = it, .gq = gq };
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	json_t *names = json_array();
	for (size_t i = gq->offset; i < n && i - gq->offset < gq->limit; i++)
		json_array_append_new(names, json_string(r[i].it->name));
	*out = json_pack("{s:o, s:I}", "filenames", names, "count", (json_int_t)n);
	free(r);
	web_listing_drop(l);
	return 0;
}

/* ---- thumbnails ------------------------------------------------------------ */

/* Copies what identifies the listed image called name into it (no name):
 * 0, or -1 with kind "not_found" when it is not listed. peek: from a fresh
 * snapshot only, 1 when there is none (nothing listed meanwhile). */
static int listed(struct web_service *svc, const struct pp_ctx *ctx, const char *name, bool peek,
		  struct storage_item *it, struct pp_error *err)
{
	struct web_listing *l = peek ? web_listing_peek(svc) : web_listing_take(svc, ctx, err);
	if (!l)
		return peek ? 1 : -1;
	const struct storage_list *list = web_listing_items(l);
	bool found = false;
	for (size_t i = 0; i < list->n && !found; i++)
		if (!strcmp(list->items[i].name, name)) {
			*it = list->items[i];
			it->name = NULL;
			found = true;
		}
	web_listing_drop(l);
	return found ? 0 : pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND, "Image not found");
}

/* On the daemon's thread a remote folder is never listed: only peeked. */
static bool must_peek(const struct workflow_env *env, bool quick)
{
	return quick && storage_has(env->storage, STORAGE_TEMP_LINKS);
}

static char *thumb_etag(const struct storage_item *it, const struct thumb_size *size)
{
	const char *id = it->sha256[0] ? it->sha256 : it->content_hash[0] ? it->content_hash : "0";
	return xasprintf("\"t-%.24s-%lld-%s\"", id, (long long)it->mtime_ns, size->name);
}

char *web_thumbnail_etag(struct web_service *svc, const struct workflow_env *env,
			 const struct pp_ctx *ctx, const char *name, const struct thumb_size *size,
			 bool quick)
{
	struct pp_error err = { 0 };
	struct storage_item it;
	if (listed(svc, ctx, name, must_peek(env, quick), &it, &err) != 0)
		return NULL;
	return thumb_etag(&it, size);
}

/* A thumbnail made here: the image downloaded into memory, then libvips
 * within the image module's decode bounds. */
static int local_thumbnail(struct storage *st, const struct pp_ctx *ctx, const char *name,
			   const struct thumb_size *size, unsigned char **data, size_t *len,
			   struct pp_error *err)
{
	int fd = memfd_create("photopub-thumb", MFD_CLOEXEC);
	if (fd < 0)
		return pp_fail(err, WHERE, "cannot allocate memory for the image");
	int rc = -1;
	if (storage_download(st, ctx, name, fd, err) < 0)
		goto out;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int64_t t0 = now_monotonic();
	rc = image_jpeg_fit(path, size->width, size->height, THUMB_QUALITY, data, len, err);
	pp_ctx_time(ctx, "resize", elapsed_ms_f(t0));
	if (rc < 0) {
		/* The message starts with the memory file's name: name the image. */
		char why[sizeof(err->msg)];
		const char *rest = strchr(err->msg, ' ');
		snprintf(why, sizeof(why), "%s", rest ? rest : " is not a decodable image");
		pp_fail_kind(err, WHERE, err->kind == PP_ERR_NONE ? PP_ERR_UNDECODABLE : err->kind,
			     "%s%s", name, why);
	}
out:
	close(fd);
	return rc;
}

int web_thumbnail(struct web_service *svc, const struct workflow_env *env,
		  const struct pp_ctx *ctx, const char *name, const struct thumb_size *size,
		  bool cached_only, struct buf *out, char **etag, const char **cache,
		  struct pp_error *err)
{
	struct storage_item it;
	*etag = NULL;
	*cache = NULL;
	int found = listed(svc, ctx, name, must_peek(env, cached_only), &it, err);
	if (found != 0)
		return found < 0 ? -1 : 0;
	char *tag = thumb_etag(&it, size);
	char *key = xasprintf("thumb\n%s\n%s", name, tag);
	struct image_cache *copies = web_service_copies(svc);
	int rc = -1;
	if (image_cache_get(copies, key, out)) {
		*cache = "hit";
		rc = 1;
		goto out;
	}
	if (cached_only) {
		rc = 0;
		goto out;
	}
	unsigned char *data = NULL;
	size_t len = 0;
	int made;
	if (storage_has(env->storage, STORAGE_THUMBNAILS)) {
		made = storage_thumbnail(env->storage, ctx, name, size->name, (char **)&data, &len, err);
		/* A type the backend makes no thumbnail of (Dropbox: HEIC) is made here. */
		if (made < 0 && err->kind == PP_ERR_UNSUPPORTED) {
			pp_error_clear(err);
			made = local_thumbnail(env->storage, ctx, name, size, &data, &len, err);
		}
	} else {
		made = local_thumbnail(env->storage, ctx, name, size, &data, &len, err);
	}
	if (made < 0)
		goto out;
	image_cache_put(copies, key, data, len);
	buf_add(out, data, len);
	free(data);
	*cache = "miss";
	rc = 1;
out:
	free(key);
	if (rc == 1)
		*etag = tag;
	else
		free(tag);
	return rc;
}
