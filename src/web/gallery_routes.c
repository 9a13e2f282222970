/* gallery_routes.c - the handlers of the gallery's routes (gallery.h):
 * reading their parameters, calling the gallery, answering. Their rows
 * are in routes.c's table; the daemon does auth, timing and the log lines. */
#include <stdlib.h>
#include <string.h>
#include "web/gallery.h"
#include "web/request.h"
#include "web/routes.h"

#define THUMB_CACHE_CONTROL "private, max-age=3600"

int web_h_list(struct web_request *rq)
{
	struct pp_error err = { 0 };
	struct gallery_query gq;
	json_t *out = NULL;
	web_log_field(rq, LF_NULL("count"));
	if (gallery_query_parse(rq->query, &gq, &err) < 0) {
		gallery_query_release(&gq);
		return web_reply_error(rq, 422, "%s", err.msg);
	}
	int rc = web_gallery_list(rq->shared->svc, rq->shared->env, &rq->ctx, &gq, &out, &err);
	gallery_query_release(&gq);
	if (rc < 0)
		return web_reply_pp_error(rq, &err);
	web_log_field(rq, LF_INT("count", json_integer_value(json_object_get(out, "count"))));
	return web_reply_json(rq, 200, out);
}

/* The ?size= of a thumbnail request, or NULL with 422 answered. */
static const struct thumb_size *thumb_size(struct web_request *rq)
{
	char *v = NULL;
	const struct thumb_size *t = NULL;
	if (request_query_get(rq->query, "size", &v) == 0)
		t = web_thumb_size_find(v);
	free(v);
	if (!t)
		web_reply_error(rq, 422, "size must be one of %s", web_thumb_size_names());
	return t;
}

static void answer(struct web_request *rq, char *etag, const char *cache)
{
	rq->etag = etag;
	rq->cache = cache;
	rq->content_type = "image/jpeg";
	rq->cache_control = THUMB_CACHE_CONTROL;
	rq->status = 200;
}

/* 1 with 304 answered when If-None-Match names the thumbnail's ETag. */
static int not_modified(struct web_request *rq, const struct thumb_size *size, bool quick)
{
	const char *inm = rq->header(rq, "If-None-Match");
	if (!inm)
		return 0;
	char *tag = web_thumbnail_etag(rq->shared->svc, rq->shared->env, &rq->ctx, rq->filename, size,
				       quick);
	if (!tag || !request_etag_matches(inm, tag)) {
		free(tag);
		return 0;
	}
	rq->etag = tag;
	rq->status = 304;
	rq->cache_control = THUMB_CACHE_CONTROL;
	return 1;
}

int web_h_thumbnail_quick(struct web_request *rq)
{
	struct pp_error err = { 0 };
	const struct thumb_size *size = thumb_size(rq);
	if (!size || not_modified(rq, size, true))
		return 1;
	char *etag = NULL;
	const char *cache = NULL;
	int rc = web_thumbnail(rq->shared->svc, rq->shared->env, &rq->ctx, rq->filename, size, true,
			       &rq->raw, &etag, &cache, &err);
	if (rc < 0) {
		web_reply_pp_error(rq, &err);
		return 1;
	}
	if (rc == 0)
		return 0;
	answer(rq, etag, cache);
	return 1;
}

int web_h_thumbnail(struct web_request *rq)
{
	struct pp_error err = { 0 };
	const struct thumb_size *size = thumb_size(rq);
	if (!size)
		return rq->status;
	if (not_modified(rq, size, false))
		return 304;
	char *etag = NULL;
	const char *cache = NULL;
	if (web_thumbnail(rq->shared->svc, rq->shared->env, &rq->ctx, rq->filename, size, false,
			  &rq->raw, &etag, &cache, &err) < 0)
		return web_reply_pp_error(rq, &err);
	answer(rq, etag, cache);
	return 200;
}
