/* routes.c - the web routes: the table `web_routes[]` and one handler per
 * row, each doing only its own work (reading its parameters, calling the
 * web service, answering, adding its own fields to its web_* line), plus
 * the request's lifecycle and the replies every handler uses. Correlation
 * id, auth, limits, timing and the log lines are the daemon's (server.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "storage/storage.h"
#include "telemetry/sanitize.h"
#include "util/embedded.h"
#include "util/strv.h"
#include "web/curate.h"
#include "web/gallery.h"
#include "web/health.h"
#include "web/history.h"
#include "web/retry.h"
#include "web/approve.h"
#include "web/queue.h"
#include "web/request.h"
#include "web/routes.h"

#define LOGGER "web"

#define INDEX_CSP                                                                      \
	"default-src 'self'; img-src 'self' https: data: blob:; "                      \
	"style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "        \
	"connect-src 'self'; frame-ancestors 'none'"

/* ---- the request and its replies --------------------------------------- */

void web_request_init(struct web_request *rq, const struct web_shared *shared, const char *method,
		      const char *target)
{
	const char *q = request_query(target);
	rq->shared = shared;
	pp_timing_init(&rq->timing);
	rq->ctx = (struct pp_ctx){ .correlation_id = rq->cid, .timing = &rq->timing };
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	rq->path = request_path(target);
	rq->query = q ? xstrdup(q) : NULL;
	rq->status = 500;
}

void web_request_release(struct web_request *rq)
{
	free(rq->path);
	free(rq->query);
	free(rq->filename);
	buf_release(&rq->body);
	buf_release(&rq->raw);
	json_decref(rq->json);
	free(rq->etag);
	free(rq->set_cookie);
	free(rq->error);
	pp_timing_release(&rq->timing);
}

int web_reply_error(struct web_request *rq, int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(rq->error);
	rq->error = sanitize(msg);
	json_decref(rq->json);
	rq->json = json_pack("{s:s}", "detail", rq->error);
	rq->status = status;
	return status;
}

int web_reply_json(struct web_request *rq, int status, json_t *body)
{
	json_decref(rq->json);
	rq->json = body;
	rq->status = status;
	return status;
}

void web_log_field(struct web_request *rq, struct log_field f)
{
	for (size_t i = 0; i < rq->nlog; i++) {
		if (!strcmp(rq->log[i].key, f.key)) {
			rq->log[i] = f;
			return;
		}
	}
	/* More fields than a route declares: a bug, not a request's fault. */
	if (rq->nlog == WEB_LOG_FIELDS_MAX)
		abort();
	rq->log[rq->nlog++] = f;
}

bool web_request_is_admin(const struct web_request *rq)
{
	struct web_auth *a = rq->shared->auth;
	if (!web_auth_admin_configured(a))
		return false;
	char *cookie = request_cookie(rq->header(rq, "Cookie"), ADMIN_COOKIE);
	bool ok = web_auth_check_admin(a, cookie);
	free(cookie);
	return ok;
}

#define RETRY_AFTER_DEFAULT_S 30

/* The error's kind decides the status (the table in util/error.h); a 503
 * says when to come back: what the remote service asked for, or 30 s. */
static int reply_pp_error(struct web_request *rq, const struct pp_error *err)
{
	int status = pp_error_http_status(err->kind);
	if (status == 503)
		rq->retry_after = err->retry_after > 0 ? err->retry_after : RETRY_AFTER_DEFAULT_S;
	return web_reply_error(rq, status, "%s", err->msg[0] ? err->msg : "internal error");
}

int web_reply_pp_error(struct web_request *rq, const struct pp_error *err)
{
	return reply_pp_error(rq, err);
}

/* The request body as a JSON value (JSON null when empty), or NULL with
 * 400 answered when it is not JSON. Caller decrefs. */
static json_t *body_json(struct web_request *rq)
{
	if (rq->body.len == 0)
		return json_null();
	json_t *v = json_loadb(rq->body.data, rq->body.len, JSON_DECODE_ANY, NULL);
	if (!v)
		web_reply_error(rq, 400, "Malformed JSON body");
	return v;
}

/* ---- handlers ----------------------------------------------------------- */

static int h_index(struct web_request *rq)
{
	const struct embedded_file *f = embedded_find("index.html");
	if (!f)
		return web_reply_error(rq, 404, "Not Found");
	buf_add(&rq->raw, f->data, f->size);
	rq->content_type = "text/html; charset=utf-8";
	rq->cache_control = "no-cache";
	rq->status = 200;
	return 200;
}

static int h_health(struct web_request *rq)
{
	return web_reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

static int h_random(struct web_request *rq)
{
	struct pp_error err = { 0 };
	json_t *out = NULL;
	if (web_random_image(rq->shared->svc, &rq->ctx, &out, &err) < 0)
		return reply_pp_error(rq, &err);
	free(rq->filename);
	rq->filename = xstrdup(json_string_value(json_object_get(out, "filename")));
	return web_reply_json(rq, 200, out);
}

static int h_analyze(struct web_request *rq)
{
	struct pp_error err = { 0 };
	json_t *out = NULL;
	bool hit = false;
	char *force;
	web_log_field(rq, LF_BOOL("cache_hit", false));
	if (request_query_get(rq->query, "force_refresh", &force) < 0)
		return web_reply_error(rq, 400, "force_refresh is not a valid query value");
	int rc = web_analyze(rq->shared->svc, &rq->ctx, rq->filename, request_truthy(force), &out, &hit,
			     &err);
	free(force);
	if (rc < 0)
		return reply_pp_error(rq, &err);
	web_log_field(rq, LF_BOOL("cache_hit", hit));
	return web_reply_json(rq, 200, out);
}

/* The body's "platforms" (a list of names, duplicates dropped) into
 * *platforms with *given set, or absent / null: *given false. -1 when it is
 * something else. */
static int platforms_of(json_t *body, struct strv *platforms, bool *given)
{
	size_t i;
	json_t *v;
	json_t *p = json_object_get(body, "platforms");
	*given = false;
	if (!p || json_is_null(p))
		return 0;
	if (!json_is_array(p))
		return -1;
	json_array_foreach(p, i, v) {
		if (!json_is_string(v))
			return -1;
		strv_push_unique(platforms, json_string_value(v));
	}
	*given = true;
	return 0;
}

static int h_publish(struct web_request *rq)
{
	struct pp_error err = { 0 };
	struct strv platforms = STRV_INIT;
	bool given;
	json_t *out = NULL;
	web_log_field(rq, LF_BOOL("any_success", false));
	web_log_field(rq, LF_BOOL("archived", false));
	json_t *body = body_json(rq);
	if (!body)
		return rq->status;
	if (!json_is_object(body) && !json_is_null(body)) {
		json_decref(body);
		return web_reply_error(rq, 422, "Body must be a JSON object");
	}
	int rc = platforms_of(body, &platforms, &given);
	if (rc < 0) {
		json_decref(body);
		strv_release(&platforms);
		return web_reply_error(rq, 422, "platforms must be a list of platform names");
	}
	struct web_approval ap;
	if (web_approval_parse(rq->shared->env->cfg, body, &ap, &err) < 0) {
		json_decref(body);
		strv_release(&platforms);
		return web_reply_error(rq, 422, "%s", err.msg);
	}
	rc = web_publish(rq->shared->svc, &rq->ctx, rq->filename, given ? &platforms : NULL, &ap,
			 &out, &err);
	json_decref(body); /* holds the approval's strings */
	strv_release(&platforms);
	if (rc < 0)
		return reply_pp_error(rq, &err);
	web_log_field(rq, LF_BOOL("any_success", json_is_true(json_object_get(out, "any_success"))));
	web_log_field(rq, LF_BOOL("archived", json_is_true(json_object_get(out, "archived"))));
	return web_reply_json(rq, 200, out);
}

/* The ?w= of an image request into *width (0 when absent); -1 with 400
 * answered when it is no width from 16 to 4096. */
static int image_width(struct web_request *rq, int *width)
{
	char *w;
	*width = 0;
	if (request_query_get(rq->query, "w", &w) < 0 ||
	    (w && request_int_range(w, 16, 4096, width) < 0)) {
		free(w);
		web_reply_error(rq, 400, "w must be a width from 16 to 4096");
		return -1;
	}
	free(w);
	return 0;
}

/* On the daemon's thread: everything but making a copy or reading the
 * file (a bad argument, a local image only, 304, a copy in the cache). */
static int h_image_file_quick(struct web_request *rq)
{
	struct pp_error err = { 0 };
	int width;
	if (storage_has(rq->shared->env->storage, STORAGE_TEMP_LINKS)) {
		web_reply_error(rq, 404, "Not Found");
		return 1;
	}
	if (image_width(rq, &width) < 0)
		return 1;
	const char *inm = rq->header(rq, "If-None-Match");
	if (inm) {
		char *tag = web_image_etag(rq->shared->svc, &rq->ctx, rq->filename, width);
		if (tag && request_etag_matches(inm, tag)) {
			rq->etag = tag;
			rq->status = 304;
			rq->cache_control = "private, max-age=3600";
			return 1;
		}
		free(tag);
	}
	int rc = web_image_cached(rq->shared->svc, &rq->ctx, rq->filename, width, &rq->raw,
				  &rq->content_type, &rq->etag, &err);
	if (rc < 0) {
		reply_pp_error(rq, &err);
		return 1;
	}
	if (rc == 0)
		return 0;
	rq->cache = "hit";
	rq->cache_control = "private, max-age=3600";
	rq->status = 200;
	return 1;
}

/* On the image lane: the copy made (or found, when a request ahead of this
 * one made it), or the original read. */
static int h_image_file(struct web_request *rq)
{
	struct pp_error err = { 0 };
	int width;
	if (image_width(rq, &width) < 0)
		return rq->status;
	if (web_image_bytes(rq->shared->svc, &rq->ctx, rq->filename, width, &rq->raw, &rq->content_type,
			    &rq->etag, &rq->cache, &err) < 0)
		return reply_pp_error(rq, &err);
	rq->cache_control = "private, max-age=3600";
	rq->status = 200;
	return 200;
}

static int h_login(struct web_request *rq)
{
	struct web_auth *a = rq->shared->auth;
	char client[64];
	if (!web_auth_admin_configured(a))
		return web_reply_error(rq, 503, "Admin login is not configured");
	rq->client_address(rq, client, sizeof(client));
	int wait = web_auth_login_wait(a, client);
	if (wait < 0) {
		rq->retry_after = RETRY_AFTER_DEFAULT_S;
		return web_reply_error(rq, 503, "Logins are unavailable: the state cannot be read");
	}
	if (wait > 0) {
		rq->retry_after = wait;
		return web_reply_error(rq, 429, "Too many failed logins; try again in %d s", wait);
	}
	json_t *body = body_json(rq);
	if (!body)
		return rq->status;
	json_t *pw = json_object_get(body, "password");
	if (!json_is_string(pw) || strlen(json_string_value(pw)) != json_string_length(pw)) {
		json_decref(body);
		return web_reply_error(rq, 422, "Body must be a JSON object with a password");
	}
	bool ok = web_auth_password_ok(a, json_string_value(pw));
	json_decref(body);
	if (!ok) {
		web_auth_login_failed(a, client);
		log_warning(LOGGER, "web_admin_login_failed", rq->cid, LF_STR("client", client));
		return web_reply_error(rq, 401, "Invalid password");
	}
	rq->set_cookie = web_auth_session_cookie(a);
	log_info(LOGGER, "web_admin_login", rq->cid, LF_STR("client", client));
	return web_reply_json(rq, 200, json_pack("{s:b}", "admin", 1));
}

static int h_status(struct web_request *rq)
{
	json_t *o = json_pack("{s:b}", "admin", web_request_is_admin(rq));
	json_object_set_new(o, "admin_configured",
			    json_boolean(web_auth_admin_configured(rq->shared->auth)));
	json_object_set_new(o, "auth_required", json_boolean(web_auth_api_required(rq->shared->auth)));
	json_object_set_new(o, "platforms", web_platforms_json(rq->shared->svc));
	return web_reply_json(rq, 200, o);
}

static int h_logout(struct web_request *rq)
{
	char *cookie = request_cookie(rq->header(rq, "Cookie"), ADMIN_COOKIE);
	web_auth_revoke(rq->shared->auth, cookie);
	free(cookie);
	rq->set_cookie = web_auth_clear_cookie(rq->shared->auth);
	return web_reply_json(rq, 200, json_pack("{s:b}", "admin", 0));
}

static int h_metrics(struct web_request *rq)
{
	if (!rq->shared->metrics)
		return web_reply_error(rq, 404, "Not Found ([Web] metrics = false)");
	web_metrics_render(rq->shared->metrics, &rq->raw);
	rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rq->status = 200;
	return 200;
}

/* ---- the table ---------------------------------------------------------- */

const struct route web_routes[] = {
	{ .method = "GET", .pattern = "/", .handler = h_index, .csp = INDEX_CSP },
	{ .method = "GET", .pattern = "/health", .handler = h_health },
	{ .method = "GET", .pattern = "/health/live", .handler = web_h_health_live },
	{ .method = "GET", .pattern = "/health/ready", .handler = web_h_health_ready },
	{ .method = "GET", .pattern = "/metrics", .handler = h_metrics, .flags = METRICS_AUTH },
	{ .method = "GET", .pattern = "/api/images/random", .handler = h_random,
	  .event_ok = "web_random_image", .event_err = "web_random_image_error",
	  .ms_field = "web_random_image_ms" },
	{ .method = "GET", .pattern = "/api/queue", .handler = web_route_queue,
	  .event_ok = "web_queue", .event_err = "web_queue_error", .ms_field = "web_queue_ms" },
	{ .method = "GET", .pattern = "/api/images/{filename}/file", .handler = h_image_file,
	  .lane = LANE_IMAGE, .quick = h_image_file_quick },
	{ .method = "GET", .pattern = "/api/images/list", .handler = web_h_list,
	  .event_ok = "web_image_list", .event_err = "web_image_list_error",
	  .ms_field = "web_image_list_ms" },
	{ .method = "GET", .pattern = "/api/images/{filename}/thumbnail", .handler = web_h_thumbnail,
	  .lane = LANE_IMAGE, .quick = web_h_thumbnail_quick },
	{ .method = "POST", .pattern = "/api/images/{filename}/analyze", .handler = h_analyze,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_analyze_complete",
	  .event_err = "web_analyze_error", .ms_field = "web_analyze_ms" },
	{ .method = "POST", .pattern = "/api/images/{filename}/publish", .handler = h_publish,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_publish_complete",
	  .event_err = "web_publish_error", .ms_field = "web_publish_ms" },
	{ .method = "POST", .pattern = "/api/images/{filename}/keep", .handler = web_h_keep,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_curate_complete",
	  .event_err = "web_curate_error", .ms_field = "web_curate_ms" },
	{ .method = "POST", .pattern = "/api/images/{filename}/remove", .handler = web_h_remove,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_curate_complete",
	  .event_err = "web_curate_error", .ms_field = "web_curate_ms" },
	{ .method = "POST", .pattern = "/api/images/{filename}/delete", .handler = web_h_delete,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_curate_complete",
	  .event_err = "web_curate_error", .ms_field = "web_curate_ms" },
	{ .method = "GET", .pattern = "/api/history", .handler = web_h_history,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW },
	{ .method = "POST", .pattern = "/api/history/{id}/retry", .handler = web_h_retry,
	  .flags = NEED_AUTH | NEED_ADMIN, .lane = LANE_SLOW, .event_ok = "web_retry_complete",
	  .event_err = "web_retry_error", .ms_field = "web_retry_ms", .param_ok = web_retry_id_ok },
	{ .method = "GET", .pattern = "/api/platforms", .handler = h_platforms },
	{ .method = "POST", .pattern = "/api/caption/preview", .handler = h_caption_preview,
	  .flags = NEED_AUTH },
	{ .method = "POST", .pattern = "/api/admin/login", .handler = h_login },
	{ .method = "GET", .pattern = "/api/admin/status", .handler = h_status },
	{ .method = "POST", .pattern = "/api/admin/logout", .handler = h_logout },
};

const size_t web_nroutes = sizeof(web_routes) / sizeof(web_routes[0]);
