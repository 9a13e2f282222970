/* server.c - the HTTP server: libmicrohttpd with an internal epoll thread
 * pool, the route table, and the dispatcher.
 *
 * Routes are rows of `routes[]` (method, pattern, handler, flags, the event
 * names of their log line). The dispatcher alone takes the correlation id,
 * checks auth, limits bodies, times the request, writes the route's web_*
 * event and the `http_request` line, and sets X-Correlation-ID and
 * Server-Timing on every response, errors included: no handler does any of
 * that itself. Slow routes (AI, publishing) run on a worker thread with the
 * connection suspended, so they never hold a pool thread that other
 * requests are waiting on.
 *
 * Paths are taken raw (libmicrohttpd's unescaping is turned off) and each
 * path segment is percent-decoded exactly once here, so "%2F" inside a file
 * name can never become a path separator. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "telemetry/observe.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/embedded.h"
#include "util/fsutil.h"
#include "web/auth.h"
#include "web/metrics.h"
#include "web/server.h"
#include "web/service.h"

#define LOGGER "web"
#define BODY_MAX (64 * 1024)
#define MAX_SLOW_WORKERS 32

struct server {
	const struct workflow_env *env;
	struct web_service *svc;
	struct web_auth *auth;
	struct web_metrics *metrics;
	bool metrics_public;
	atomic_int active;           /* requests between first call and completion */
	atomic_int workers;          /* slow handlers still running */
};

struct request;

enum route_flags {
	NEED_AUTH = 1 << 0,          /* Bearer / Basic when configured */
	NEED_ADMIN = 1 << 1,         /* the admin session cookie when web_admin_pw is set */
	SLOW = 1 << 2,               /* run on a worker thread, connection suspended */
	METRICS_AUTH = 1 << 3,       /* API auth unless [Web] metrics_public */
};

struct route {
	const char *method;
	const char *pattern;         /* "/api/images/{filename}/analyze" */
	int (*handler)(struct request *rq);
	unsigned flags;
	const char *event_ok;        /* the route's web_* line, or NULL */
	const char *event_err;
	const char *ms_field;        /* "web_analyze_ms" */
};

struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	const struct route *route;   /* the route whose handler runs */
	const struct route *matched; /* the route template the path matched, also
					for a 405: the log line's and metrics' route */
	char method[16];
	char *path;                  /* raw path, without the query */
	char *filename;              /* the decoded {filename} segment */
	struct buf body;
	bool body_too_large;
	char cid[CORRELATION_ID_MAX + 1];
	int64_t t0;
	struct pp_timing timing;     /* the Server-Timing entries */
	struct pp_ctx ctx;           /* the request's context: cid and timing */
	bool counted;
	/* a slow route's state */
	bool started, done;
	/* the response */
	int status;
	json_t *json;                /* JSON body, or */
	struct buf raw;              /* raw body with content_type */
	const char *content_type;
	char *etag;
	const char *cache_control;
	char *set_cookie;
	int retry_after;             /* seconds, 0: none */
	const char *allow;           /* Allow header of a 405 */
	char allow_buf[64];
	const char *www_authenticate;
	/* the web_* event's extra fields */
	bool ev_cache_hit, ev_any_success, ev_archived, ev_has_extra;
	char *error;                 /* message of an error reply (sanitized) */
	struct strv decoded;         /* decoded query values handed out by query() */
};

/* ---- small helpers ------------------------------------------------------ */

static int reply_error(struct request *rq, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reply_error(struct request *rq, int status, const char *fmt, ...)
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

static int reply_json(struct request *rq, int status, json_t *body)
{
	json_decref(rq->json);
	rq->json = body;
	rq->status = status;
	return status;
}

/* The status an error of this kind is answered with. */
static int status_of(const struct pp_error *err)
{
	static const struct { const char *kind; int status; } map[] = {
		{ "not_found", 404 }, { "no_images", 404 }, { "invalid_name", 400 },
		{ "refused", 404 }, { "bad_platform", 422 }, { "undecodable", 422 },
		{ "all_duplicates", 409 }, { "ai", 502 }, { "timeout", 504 },
		{ "rate_limited", 503 }, { "auth", 502 },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(err->kind, map[i].kind))
			return map[i].status;
	return err->http_status >= 500 ? 502 : 500;
}

static int reply_pp_error(struct request *rq, const struct pp_error *err)
{
	return reply_error(rq, status_of(err), "%s", err->msg[0] ? err->msg : "internal error");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes one path segment (once). NULL when malformed or when it
 * holds a NUL byte. */
static char *decode_segment(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				buf_release(&b);
				return NULL;
			}
			buf_addc(&b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

/* Matches path against pattern; a {filename} segment is decoded into *param. */
static bool match(const char *pattern, const char *path, char **param, bool *bad_param)
{
	*param = NULL;
	*bad_param = false;
	const char *p = pattern, *q = path;
	while (*p && *q) {
		if (*p != '/' || *q != '/')
			return false;
		p++;
		q++;
		const char *pe = strchrnul(p, '/'), *qe = strchrnul(q, '/');
		if (*p == '{') {
			if (qe == q)
				return false;
			char *v = decode_segment(q, (size_t)(qe - q));
			if (!v)
				*bad_param = true;
			free(*param);
			*param = v;
		} else if (pe - p != qe - q || strncmp(p, q, (size_t)(pe - p))) {
			free(*param);
			*param = NULL;
			return false;
		}
		p = pe;
		q = qe;
	}
	if (*p || *q) {
		free(*param);
		*param = NULL;
		return false;
	}
	return true;
}

static const char *header(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* A query parameter, percent-decoded once ('+' is a space) into *out (NULL
 * when absent; lives as long as the request). -1 when malformed. */
static int query(struct request *rq, const char *name, const char **out)
{
	const char *raw = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	*out = NULL;
	if (!raw)
		return 0;
	char *plus = xstrdup(raw);
	for (char *p = plus; *p; p++)
		if (*p == '+')
			*p = ' ';
	char *v = decode_segment(plus, strlen(plus));
	free(plus);
	if (!v)
		return -1;
	strv_push_owned(&rq->decoded, v);
	*out = v;
	return 0;
}

/* The request body as a JSON value (JSON null when empty), or NULL with
 * 400 answered when it is not JSON. Caller decrefs. */
static json_t *body_json(struct request *rq)
{
	if (rq->body.len == 0)
		return json_null();
	json_t *v = json_loadb(rq->body.data, rq->body.len, JSON_DECODE_ANY, NULL);
	if (!v)
		reply_error(rq, 400, "Malformed JSON body");
	return v;
}

/* Whether an If-None-Match value (a list of entity tags, or "*") matches
 * tag, by the weak comparison RFC 9110 prescribes for it. */
static bool etag_matches(const char *inm, const char *tag)
{
	const char *p = inm;
	size_t tl = strlen(tag);
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		const char *e = p;
		if (*e == '"') {
			e = strchr(e + 1, '"');
			e = e ? e + 1 : p + strlen(p);
		} else {
			e = strchrnul(e, ',');
		}
		if ((size_t)(e - p) == tl && !strncmp(p, tag, tl))
			return true;
		p = e;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

static bool truthy(const char *v)
{
	return v && (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		     !strcasecmp(v, "on"));
}

static void client_address(struct request *rq, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* ---- handlers ----------------------------------------------------------- */

static int h_index(struct request *rq)
{
	const struct embedded_file *f = embedded_find("index.html");
	if (!f)
		return reply_error(rq, 404, "Not Found");
	buf_add(&rq->raw, f->data, f->size);
	rq->content_type = "text/html; charset=utf-8";
	rq->cache_control = "no-cache";
	rq->status = 200;
	return 200;
}

static int h_health(struct request *rq)
{
	return reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

static int h_random(struct request *rq)
{
	struct pp_error err = { 0 };
	json_t *out = NULL;
	if (web_random_image(rq->srv->svc, &rq->ctx, &out, &err) < 0)
		return reply_pp_error(rq, &err);
	free(rq->filename);
	rq->filename = xstrdup(json_string_value(json_object_get(out, "filename")));
	return reply_json(rq, 200, out);
}

static int h_analyze(struct request *rq)
{
	struct pp_error err = { 0 };
	json_t *out = NULL;
	bool hit = false;
	rq->ev_has_extra = true;
	const char *force;
	if (query(rq, "force_refresh", &force) < 0)
		return reply_error(rq, 400, "force_refresh is not a valid query value");
	if (web_analyze(rq->srv->svc, &rq->ctx, rq->filename, truthy(force), &out,
			&hit, &err) < 0)
		return reply_pp_error(rq, &err);
	rq->ev_cache_hit = hit;
	return reply_json(rq, 200, out);
}

static int h_publish(struct request *rq)
{
	struct pp_error err = { 0 };
	struct strv platforms = STRV_INIT;
	bool have_platforms = false;
	json_t *out = NULL;
	rq->ev_has_extra = true;
	json_t *body = body_json(rq);
	if (!body)
		return rq->status;
	if (!json_is_object(body) && !json_is_null(body)) {
		json_decref(body);
		return reply_error(rq, 422, "Body must be a JSON object");
	}
	json_t *p = json_object_get(body, "platforms");
	if (p && !json_is_null(p)) {
		size_t i;
		json_t *v;
		bool ok = json_is_array(p);
		json_array_foreach(ok ? p : NULL, i, v) {
			if (!json_is_string(v)) {
				ok = false;
				break;
			}
			strv_push_unique(&platforms, json_string_value(v));
		}
		if (!ok) {
			json_decref(body);
			strv_release(&platforms);
			return reply_error(rq, 422, "platforms must be a list of platform names");
		}
		have_platforms = true;
	}
	json_decref(body);
	int rc = web_publish(rq->srv->svc, &rq->ctx, rq->filename, have_platforms ? &platforms : NULL,
			     &out, &err);
	strv_release(&platforms);
	if (rc < 0)
		return reply_pp_error(rq, &err);
	rq->ev_any_success = json_is_true(json_object_get(out, "any_success"));
	rq->ev_archived = json_is_true(json_object_get(out, "archived"));
	return reply_json(rq, 200, out);
}

static int h_image_file(struct request *rq)
{
	struct pp_error err = { 0 };
	if (storage_has(rq->srv->env->storage, STORAGE_TEMP_LINKS))
		return reply_error(rq, 404, "Not Found");
	const char *w;
	if (query(rq, "w", &w) < 0)
		return reply_error(rq, 400, "w must be a width from 16 to 4096");
	int width = 0;
	if (w) {
		char *end;
		long v = strtol(w, &end, 10);
		if (*end || v < 16 || v > 4096)
			return reply_error(rq, 400, "w must be a width from 16 to 4096");
		width = (int)v;
	}
	const char *inm = header(rq, "If-None-Match");
	if (inm) {
		char *tag = web_image_etag(rq->srv->svc, &rq->ctx, rq->filename, width);
		if (tag && etag_matches(inm, tag)) {
			rq->etag = tag;
			rq->status = 304;
			rq->cache_control = "private, max-age=3600";
			return 304;
		}
		free(tag);
	}
	if (web_image_bytes(rq->srv->svc, &rq->ctx, rq->filename, width, &rq->raw, &rq->content_type,
			    &rq->etag, &err) < 0)
		return reply_pp_error(rq, &err);
	rq->cache_control = "private, max-age=3600";
	rq->status = 200;
	return 200;
}

static int h_login(struct request *rq)
{
	struct web_auth *a = rq->srv->auth;
	char client[64];
	if (!web_auth_admin_configured(a))
		return reply_error(rq, 503, "Admin login is not configured");
	client_address(rq, client, sizeof(client));
	int wait = web_auth_login_wait(a, client);
	if (wait > 0) {
		rq->retry_after = wait;
		return reply_error(rq, 429, "Too many failed logins; try again in %d s", wait);
	}
	json_t *body = body_json(rq);
	if (!body)
		return rq->status;
	json_t *pw = json_object_get(body, "password");
	if (!json_is_string(pw) || strlen(json_string_value(pw)) != json_string_length(pw)) {
		json_decref(body);
		return reply_error(rq, 422, "Body must be a JSON object with a password");
	}
	bool ok = web_auth_password_ok(a, json_string_value(pw));
	json_decref(body);
	if (!ok) {
		web_auth_login_failed(a, client);
		log_warning(LOGGER, "web_admin_login_failed", rq->cid, LF_STR("client", client));
		return reply_error(rq, 401, "Invalid password");
	}
	rq->set_cookie = web_auth_session_cookie(a);
	log_info(LOGGER, "web_admin_login", rq->cid, LF_STR("client", client));
	return reply_json(rq, 200, json_pack("{s:b}", "admin", 1));
}

static bool is_admin(struct request *rq)
{
	const struct web_auth *a = rq->srv->auth;
	if (!web_auth_admin_configured(a))
		return false;
	return web_auth_check_admin(a, MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND,
								   ADMIN_COOKIE));
}

static int h_status(struct request *rq)
{
	json_t *o = json_pack("{s:b}", "admin", is_admin(rq));
	json_object_set_new(o, "admin_configured",
			    json_boolean(web_auth_admin_configured(rq->srv->auth)));
	json_object_set_new(o, "auth_required", json_boolean(web_auth_api_required(rq->srv->auth)));
	json_object_set_new(o, "platforms", web_platforms_json(rq->srv->svc));
	return reply_json(rq, 200, o);
}

static int h_logout(struct request *rq)
{
	rq->set_cookie = web_auth_clear_cookie(rq->srv->auth);
	return reply_json(rq, 200, json_pack("{s:b}", "admin", 0));
}

static int h_metrics(struct request *rq)
{
	if (!rq->srv->metrics)
		return reply_error(rq, 404, "Not Found ([Web] metrics = false)");
	web_metrics_render(rq->srv->metrics, &rq->raw);
	rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rq->status = 200;
	return 200;
}

static const struct route routes[] = {
	{ .method = "GET", .pattern = "/", .handler = h_index },
	{ .method = "GET", .pattern = "/health", .handler = h_health },
	{ .method = "GET", .pattern = "/metrics", .handler = h_metrics, .flags = METRICS_AUTH },
	{ .method = "GET", .pattern = "/api/images/random", .handler = h_random,
	  .event_ok = "web_random_image", .event_err = "web_random_image_error",
	  .ms_field = "web_random_image_ms" },
	{ .method = "GET", .pattern = "/api/images/{filename}/file", .handler = h_image_file },
	{ .method = "POST", .pattern = "/api/images/{filename}/analyze", .handler = h_analyze,
	  .flags = NEED_AUTH | NEED_ADMIN | SLOW, .event_ok = "web_analyze_complete",
	  .event_err = "web_analyze_error", .ms_field = "web_analyze_ms" },
	{ .method = "POST", .pattern = "/api/images/{filename}/publish", .handler = h_publish,
	  .flags = NEED_AUTH | NEED_ADMIN | SLOW, .event_ok = "web_publish_complete",
	  .event_err = "web_publish_error", .ms_field = "web_publish_ms" },
	{ .method = "POST", .pattern = "/api/admin/login", .handler = h_login },
	{ .method = "GET", .pattern = "/api/admin/status", .handler = h_status },
	{ .method = "POST", .pattern = "/api/admin/logout", .handler = h_logout },
	{ .method = NULL },
};

/* ---- the dispatcher ----------------------------------------------------- */

/* Finds the route; sets rq->route, or answers 404 / 405 / 400. Returns true
 * when a handler should run. */
static bool route_request(struct request *rq)
{
	bool bad = false;
	rq->allow_buf[0] = '\0';
	for (const struct route *r = routes; r->method; r++) {
		char *param = NULL;
		bool bad_param = false;
		if (!match(r->pattern, rq->path, &param, &bad_param))
			continue;
		if (!rq->matched)
			rq->matched = r;
		/* HEAD is GET without the body (libmicrohttpd leaves it out). */
		bool get = !strcmp(r->method, "GET");
		if (strcmp(r->method, rq->method) && !(get && !strcmp(rq->method, "HEAD"))) {
			free(param);
			size_t n = strlen(rq->allow_buf);
			snprintf(rq->allow_buf + n, sizeof(rq->allow_buf) - n, "%s%s%s", n ? ", " : "",
				 r->method, get ? ", HEAD" : "");
			continue;
		}
		rq->route = r;
		rq->matched = r;
		free(rq->filename);
		rq->filename = param; /* NULL when the segment did not decode */
		bad = bad_param;
		break;
	}
	if (!rq->route) {
		if (rq->matched) {
			rq->allow = rq->allow_buf;
			reply_error(rq, 405, "Method Not Allowed");
		} else {
			reply_error(rq, 404, "Not Found");
		}
		return false;
	}
	if (bad || (strchr(rq->route->pattern, '{') &&
		    (!rq->filename || !fs_name_is_safe(rq->filename) ||
		     !storage_is_image_name(rq->filename)))) {
		reply_error(rq, 400, "Invalid filename");
		return false;
	}
	return true;
}

static bool authorize(struct request *rq)
{
	const struct route *r = rq->route;
	struct web_auth *a = rq->srv->auth;
	bool api = (r->flags & NEED_AUTH) ||
		   ((r->flags & METRICS_AUTH) && !rq->srv->metrics_public);
	if (api && !web_auth_check_api(a, header(rq, "Authorization"))) {
		rq->www_authenticate = web_auth_challenge(a);
		reply_error(rq, 401, "Not authenticated");
		return false;
	}
	if ((r->flags & NEED_ADMIN) && web_auth_admin_configured(a) && !is_admin(rq)) {
		reply_error(rq, 403, "Admin login required");
		return false;
	}
	return true;
}

static char *server_timing(const struct request *rq, double total)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < rq->timing.n; i++)
		buf_addf(&b, "%s;dur=%.1f, ", rq->timing.t[i].name, rq->timing.t[i].ms);
	buf_addf(&b, "total;dur=%.1f", total);
	return buf_detach(&b);
}

static void log_event(struct request *rq, int64_t ms)
{
	const struct route *r = rq->route;
	if (!r || !r->event_ok)
		return;
	bool ok = rq->status >= 200 && rq->status < 300;
	struct log_field f[10];
	size_t n = 0;
	f[n++] = LF_STR("filename", rq->filename);
	f[n++] = LF_MS(r->ms_field, ms);
	if (rq->ev_has_extra && !strcmp(r->event_ok, "web_analyze_complete"))
		f[n++] = LF_BOOL("cache_hit", rq->ev_cache_hit);
	if (rq->ev_has_extra && !strcmp(r->event_ok, "web_publish_complete")) {
		f[n++] = LF_BOOL("any_success", rq->ev_any_success);
		f[n++] = LF_BOOL("archived", rq->ev_archived);
	}
	f[n++] = LF_INT("status", rq->status);
	f[n++] = LF_STR("error", ok ? NULL : rq->error);
	f[n++] = LF_END;
	log_json(ok ? LOG_INFO : LOG_ERROR, LOGGER, ok ? r->event_ok : r->event_err, rq->cid, f);
}

static enum MHD_Result send_response(struct request *rq)
{
	char *body = NULL;
	size_t len = 0;
	if (rq->json) {
		body = json_dumps(rq->json, JSON_COMPACT);
		len = body ? strlen(body) : 0;
		rq->content_type = "application/json";
	} else if (rq->status != 304) {
		len = rq->raw.len;
		body = buf_detach(&rq->raw);
	}
	double total = elapsed_ms_f(rq->t0);
	int64_t ms = elapsed_ms(rq->t0);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
										 : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	char *st = server_timing(rq, total);
	MHD_add_response_header(resp, "X-Correlation-ID", rq->cid);
	MHD_add_response_header(resp, "Server-Timing", st);
	if (rq->content_type)
		MHD_add_response_header(resp, "Content-Type", rq->content_type);
	MHD_add_response_header(resp, "Cache-Control", rq->cache_control ? rq->cache_control : "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (rq->route && rq->route->handler == h_index)
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; img-src 'self' https: data: blob:; "
					"style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
					"connect-src 'self'; frame-ancestors 'none'");
	if (rq->etag)
		MHD_add_response_header(resp, "ETag", rq->etag);
	if (rq->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", rq->set_cookie);
	if (rq->allow)
		MHD_add_response_header(resp, "Allow", rq->allow);
	if (rq->www_authenticate)
		MHD_add_response_header(resp, "WWW-Authenticate", rq->www_authenticate);
	if (rq->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", rq->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)rq->status, resp);
	MHD_destroy_response(resp);

	log_event(rq, ms);
	const char *route = rq->matched ? rq->matched->pattern : NULL;
	log_info(LOGGER, "http_request", rq->cid, LF_STR("method", rq->method),
		 LF_STR("path", rq->path), LF_STR("route", route), LF_INT("status", rq->status),
		 LF_MS("duration_ms", ms), LF_INT("bytes", len));
	web_metrics_observe_request(rq->srv->metrics, rq->method,
				    rq->matched ? (int)(rq->matched - routes) : -1, rq->status,
				    total / 1000.0);
	free(st);
	return ret;
}

/* 413, with the route looked up first so that the log lines and the metrics
 * name it (and a route's web_*_error line is written). */
static enum MHD_Result reply_too_large(struct request *rq)
{
	route_request(rq);
	rq->allow = NULL;
	reply_error(rq, 413, "Request body too large (at most %d bytes)", BODY_MAX);
	return send_response(rq);
}

static void *slow_worker(void *arg)
{
	struct request *rq = arg;
	rq->route->handler(rq);
	rq->done = true;
	atomic_fetch_sub(&rq->srv->workers, 1);
	MHD_resume_connection(rq->conn);
	return NULL;
}

static struct request *request_new(struct server *srv, struct MHD_Connection *c,
				   const char *url, const char *method)
{
	struct request *rq = xcalloc(1, sizeof(*rq));
	rq->srv = srv;
	rq->conn = c;
	rq->t0 = now_monotonic();
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	const char *q = strchr(url, '?');
	rq->path = q ? xstrndup(url, (size_t)(q - url)) : xstrdup(url);
	rq->status = 500;
	correlation_from_headers(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-ID"),
				 MHD_lookup_connection_value(c, MHD_HEADER_KIND, "traceparent"),
				 rq->cid);
	pp_timing_init(&rq->timing);
	rq->ctx = (struct pp_ctx){ .correlation_id = rq->cid, .timing = &rq->timing };
	atomic_fetch_add(&srv->active, 1);
	rq->counted = true;
	return rq;
}

static void request_free(struct request *rq)
{
	if (rq->counted)
		atomic_fetch_sub(&rq->srv->active, 1);
	free(rq->path);
	free(rq->filename);
	buf_release(&rq->body);
	buf_release(&rq->raw);
	json_decref(rq->json);
	free(rq->etag);
	free(rq->set_cookie);
	free(rq->error);
	strv_release(&rq->decoded);
	pp_timing_release(&rq->timing);
	free(rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct server *srv = cls;
	struct request *rq = *req_cls;
	(void)version;
	if (!rq) {
		rq = request_new(srv, c, url, method);
		*req_cls = rq;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > BODY_MAX) {
			rq->body_too_large = true;
			return reply_too_large(rq);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (rq->body.len + *upload_size > BODY_MAX)
			rq->body_too_large = true;
		else
			buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->started) {
		/* Resumed: the slow handler finished. */
		return rq->done ? send_response(rq) : MHD_YES;
	}
	if (rq->body_too_large)
		return reply_too_large(rq);
	if (!route_request(rq) || !authorize(rq))
		return send_response(rq);
	if (rq->route->flags & SLOW) {
		pthread_t tid;
		/* AI calls and publishing hold a thread each for seconds: past
		 * this many at once, answer 503 rather than pile up threads. */
		if (atomic_fetch_add(&srv->workers, 1) >= MAX_SLOW_WORKERS) {
			atomic_fetch_sub(&srv->workers, 1);
			rq->retry_after = 5;
			reply_error(rq, 503, "Server busy: too many analyses or publishes at once");
			return send_response(rq);
		}
		rq->started = true;
		MHD_suspend_connection(c);
		if (pthread_create(&tid, NULL, slow_worker, rq) != 0) {
			atomic_fetch_sub(&srv->workers, 1);
			MHD_resume_connection(c);
			reply_error(rq, 503, "Server busy");
			rq->done = true;
			return MHD_YES;
		}
		pthread_detach(tid);
		return MHD_YES;
	}
	rq->route->handler(rq);
	return send_response(rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*req_cls)
		request_free(*req_cls);
	*req_cls = NULL;
}

/* Keeps the path as sent: segments are decoded once, in route_request. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_warning(LOGGER, "http_server_message", NULL, LF_STR("text", msg));
}

/* ---- start, signals, stop ----------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
		   struct pp_error *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || !res)
		return pp_fail(err, "web", "cannot use host %s: %s", host, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static unsigned bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}

int web_serve(const struct workflow_env *env, const struct web_options *opts,
	      struct pp_error *err)
{
	const struct config *cfg = env->cfg;
	struct server srv = { .env = env, .metrics_public = cfg->metrics_public };
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc = -1;

	if (resolve(opts->host, opts->port, &ss, &sslen, err) < 0)
		return -1;
	char *key_path = xstrdup(cfg->state_path);
	char *slash = strrchr(key_path, '/');
	char *session_key = slash ? xasprintf("%.*s/web-session.key", (int)(slash - key_path), key_path)
				  : xstrdup("web-session.key");
	free(key_path);
	if (web_auth_new(cfg, session_key, &srv.auth, err) < 0) {
		free(session_key);
		return -1;
	}
	free(session_key);
	if (!is_loopback((struct sockaddr *)&ss) && !web_auth_api_required(srv.auth) &&
	    !opts->allow_remote) {
		pp_fail_kind(err, "web", "config",
			     "refusing to serve on %s without authentication: set WEB_AUTH_TOKEN or "
			     "WEB_AUTH_USER and WEB_AUTH_PASS, or allow it with --allow-remote "
			     "([Web] allow_remote = true)", opts->host);
		web_auth_free(srv.auth);
		return -1;
	}
	srv.svc = web_service_new(env);
	const char *names[sizeof(routes) / sizeof(routes[0])];
	size_t nroutes = 0;
	for (const struct route *r = routes; r->method; r++)
		names[nroutes++] = r->pattern;
	if (cfg->metrics_enabled) {
		srv.metrics = web_metrics_new(names, nroutes);
		observe_install(web_metrics_observer(srv.metrics));
	}

	/* Signals are taken by sigwait below; worker threads never see them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned threads = opts->threads ? opts->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)opts->port, NULL, NULL, on_request, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, /* first: before any message */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	if (!d) {
		pp_fail(err, "web", "cannot listen on %s:%d: %s", opts->host, opts->port,
			strerror(errno));
		goto out;
	}
	unsigned port = bound_port(d);
	log_info(LOGGER, "web_server_start", NULL, LF_STR("host", opts->host), LF_INT("port", port),
		 LF_INT("threads", threads), LF_STR("storage", env->storage->ops->name),
		 LF_STR("ai", env->ai->ops->name),
		 LF_BOOL("auth_required", web_auth_api_required(srv.auth)),
		 LF_BOOL("admin_configured", web_auth_admin_configured(srv.auth)));
	if (opts->port_file) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u\n", port);
		fs_write_atomic(opts->port_file, p, (size_t)n, 0644, NULL);
	}

	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			struct pp_error lerr = { 0 };
			if (log_reopen(&lerr) < 0)
				log_error(LOGGER, "log_reopen_error", NULL, LF_STR("error", lerr.msg));
			else
				log_info(LOGGER, "log_reopened", NULL);
			continue;
		}
		break;
	}

	/* Stop accepting, let what is in flight finish, then stop. */
	int64_t t0 = now_monotonic();
	/* Quiescing hands the listening socket back: close it now, so that new
	 * connections are refused instead of waiting in its backlog. */
	MHD_socket lfd = MHD_quiesce_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	log_info(LOGGER, "web_server_stopping", NULL, LF_STR("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"),
		 LF_INT("in_flight", atomic_load(&srv.active)));
	while ((atomic_load(&srv.active) > 0 || atomic_load(&srv.workers) > 0) &&
	       elapsed_ms(t0) < (int64_t)opts->shutdown_grace_s * 1000) {
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	int left = atomic_load(&srv.workers);
	if (left > 0) {
		/* A slow handler outlived the grace period: it still uses the
		 * services, so leave them standing; the caller exits. */
		log_warning(LOGGER, "web_server_stop_timeout", NULL, LF_INT("requests", left),
			    LF_MS("waited_ms", elapsed_ms(t0)));
		rc = 1;
		return rc;
	}
	MHD_stop_daemon(d);
	log_info(LOGGER, "web_server_stopped", NULL, LF_MS("shutdown_ms", elapsed_ms(t0)));
	rc = 0;
out:
	observe_install(NULL);
	web_service_free(srv.svc);
	web_auth_free(srv.auth);
	web_metrics_free(srv.metrics);
	return rc;
}
