/* server.c - the daemon: libmicrohttpd with an internal epoll thread pool,
 * its connection callbacks, start and stop, and the dispatcher that runs
 * the rows of web_routes[] (routes.c).
 *
 * The dispatcher alone takes the correlation id, checks auth, limits bodies,
 * times the request, writes the route's web_* line (with the fields its
 * handler added) and the `http_request` line, and sets X-Correlation-ID and
 * Server-Timing on every response, errors included: no handler does any of
 * that itself. The routes that wait or compute for long (AI, publishing,
 * resizing images) run on worker lanes (lanes.c) with the connection
 * suspended, so they never hold a pool thread that other requests are
 * waiting on; what such a route can answer at once (a 304, a cached copy)
 * its quick handler answers first on the pool thread.
 *
 * The request target is taken raw, as the client sent it (libmicrohttpd's
 * unescaping is turned off); request.c splits and decodes it, once, so
 * "%2F" inside a file name can never become a path separator. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "telemetry/observe.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "web/auth.h"
#include "web/conns.h"
#include "web/head.h"
#include "web/lanes.h"
#include "web/metrics.h"
#include "web/request.h"
#include "web/routes.h"
#include "web/server.h"
#include "web/service.h"

#define LOGGER "web"
#define BODY_MAX (64 * 1024)

struct server {
	struct web_shared shared;       /* what the handlers see */
	struct web_conns *conns;        /* the connections: limits and deadlines */
	atomic_int active;           /* requests between first call and completion */
	struct web_lanes *lanes;        /* where the laned routes' handlers run */
};

/* One request on a connection, from its request line to its completion. */
struct conn {
	struct web_request rq;       /* first: what the handler gets */
	struct server *srv;
	struct MHD_Connection *mhd;
	struct web_conn *sock;       /* the connection's record in srv->conns */
	char *target;                /* the raw request target, path and query */
	const struct route *matched; /* the route template the path matched, also
					for a 405: the log line's and metrics' route */
	int64_t t0;
	bool counted;                /* begun: counted in srv->active */
	bool body_too_large;
	bool started, done;          /* on a lane: handed to it, its handler finished */
	int64_t queued_at;           /* when it was handed to its lane */
	char allow_buf[64];          /* Allow header of a 405 */
};

_Static_assert(offsetof(struct conn, rq) == 0, "a request is the start of its conn");

static struct conn *conn_of(const struct web_request *rq)
{
	return (struct conn *)rq;
}

static const char *header(const struct web_request *rq, const char *name)
{
	return MHD_lookup_connection_value(conn_of(rq)->mhd, MHD_HEADER_KIND, name);
}

/* The peer's address as text, "unknown" when there is none. */
static void peer_address(const struct web_request *rq, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn_of(rq)->mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* The client: the peer, or, when the peer is one of [Web] trusted_proxies,
 * the last address of X-Forwarded-For that is not a trusted proxy (what the
 * nearest proxy saw). X-Forwarded-For from anyone else is never read. */
static void client_address(const struct web_request *rq, char *out, size_t n)
{
	const char *trusted = conn_of(rq)->srv->shared.env->cfg->web_trusted_proxies;
	peer_address(rq, out, n);
	if (!trusted || !*trusted || !request_list_has(trusted, out))
		return;
	const char *xff = rq->header(rq, "X-Forwarded-For");
	char hop[64];
	/* walk from the right: hops appended by trusted proxies are skipped */
	for (size_t k = request_list_count(xff); k-- > 0;) {
		if (request_list_item(xff, k, hop, sizeof(hop)) < 0 || !*hop)
			return;
		if (!request_list_has(trusted, hop)) {
			snprintf(out, n, "%s", hop);
			return;
		}
	}
}

/* ---- the dispatcher ----------------------------------------------------- */

/* Finds the route; sets rq.route, or answers 404 / 405 / 400. Returns true
 * when a handler should run. */
static bool route_request(struct conn *c)
{
	struct web_request *rq = &c->rq;
	c->allow_buf[0] = '\0';
	for (size_t i = 0; i < web_nroutes; i++) {
		const struct route *r = &web_routes[i];
		char *param = NULL;
		if (!request_match(r->pattern, rq->path, &param))
			continue;
		if (!c->matched)
			c->matched = r;
		/* HEAD is GET without the body (libmicrohttpd leaves it out). */
		bool get = !strcmp(r->method, "GET");
		if (strcmp(r->method, rq->method) && !(get && !strcmp(rq->method, "HEAD"))) {
			free(param);
			size_t n = strlen(c->allow_buf);
			snprintf(c->allow_buf + n, sizeof(c->allow_buf) - n, "%s%s%s", n ? ", " : "",
				 r->method, get ? ", HEAD" : "");
			continue;
		}
		rq->route = r;
		c->matched = r;
		free(rq->filename);
		rq->filename = param; /* NULL when the segment did not decode */
		break;
	}
	if (!rq->route) {
		if (c->matched) {
			rq->allow = c->allow_buf;
			web_reply_error(rq, 405, "Method Not Allowed");
		} else {
			web_reply_error(rq, 404, "Not Found");
		}
		return false;
	}
	bool (*param_ok)(const char *) = rq->route->param_ok ? rq->route->param_ok
							     : request_filename_ok;
	if (strchr(rq->route->pattern, '{') && !param_ok(rq->filename)) {
		web_reply_error(rq, 400, rq->route->param_ok ? "Invalid id" : "Invalid filename");
		return false;
	}
	return true;
}

static bool authorize(struct conn *c)
{
	struct web_request *rq = &c->rq;
	const struct route *r = rq->route;
	struct web_auth *a = c->srv->shared.auth;
	bool api = (r->flags & NEED_AUTH) ||
		   ((r->flags & METRICS_AUTH) && !c->srv->shared.metrics_public);
	if (api && !web_auth_check_api(a, header(rq, "Authorization"))) {
		rq->www_authenticate = web_auth_challenge(a);
		web_reply_error(rq, 401, "Not authenticated");
		return false;
	}
	if ((r->flags & NEED_ADMIN) && web_auth_admin_configured(a) && !web_request_is_admin(rq)) {
		web_reply_error(rq, 403, "Admin login required");
		return false;
	}
	return true;
}

static char *server_timing(const struct web_request *rq, double total)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < rq->timing.n; i++)
		buf_addf(&b, "%s;dur=%.1f, ", rq->timing.t[i].name, rq->timing.t[i].ms);
	buf_addf(&b, "total;dur=%.1f", total);
	return buf_detach(&b);
}

/* The route's web_* line: filename, duration, the handler's own fields,
 * status, error. */
static void log_event(const struct web_request *rq, int64_t ms)
{
	const struct route *r = rq->route;
	if (!r || !r->event_ok)
		return;
	bool ok = rq->status >= 200 && rq->status < 300;
	struct log_field f[WEB_LOG_FIELDS_MAX + 5];
	size_t n = 0;
	f[n++] = LF_STR("filename", rq->filename);
	f[n++] = LF_MS(r->ms_field, ms);
	for (size_t i = 0; i < rq->nlog; i++)
		f[n++] = rq->log[i];
	f[n++] = LF_INT("status", rq->status);
	f[n++] = LF_STR("error", ok ? NULL : rq->error);
	f[n++] = LF_END;
	log_json(ok ? LOG_INFO : LOG_ERROR, LOGGER, ok ? r->event_ok : r->event_err, rq->cid, f);
}

/* The connection's record in the registry (its socket context). */
static struct web_conn *sock_of(struct MHD_Connection *mhd)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result send_response(struct conn *c)
{
	struct web_request *rq = &c->rq;
	web_conns_phase(c->srv->conns, c->sock, CONN_BUSY);
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
	double total = elapsed_ms_f(c->t0);
	int64_t ms = elapsed_ms(c->t0);
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
	if (rq->close_connection)
		MHD_add_response_header(resp, "Connection", "close");
	if (rq->route && rq->route->csp)
		MHD_add_response_header(resp, "Content-Security-Policy", rq->route->csp);
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
	enum MHD_Result ret = MHD_queue_response(c->mhd, (unsigned)rq->status, resp);
	MHD_destroy_response(resp);

	log_event(rq, ms);
	const char *route = c->matched ? c->matched->pattern : NULL;
	/* `cache` only where a copy was served: from the cache or made now. */
	log_json(LOG_INFO, LOGGER, "http_request", rq->cid,
		 (const struct log_field[]){ LF_STR("method", rq->method), LF_STR("path", rq->path),
					     LF_STR("route", route), LF_INT("status", rq->status),
					     LF_MS("duration_ms", ms), LF_INT("bytes", len),
					     rq->cache ? LF_STR("cache", rq->cache) : LF_END, LF_END });
	web_metrics_observe_request(c->srv->shared.metrics, rq->method,
				    c->matched ? (int)(c->matched - web_routes) : -1, rq->status,
				    total / 1000.0);
	free(st);
	return ret;
}

/* A head that web_head_check refused: answered with the connection closed,
 * so that nothing after it is read as a request; the route looked up first
 * so that the log lines and the metrics name it. */
static enum MHD_Result reply_refused_head(struct conn *c, const struct head_refusal *why)
{
	route_request(c);
	c->rq.allow = NULL;
	c->rq.close_connection = true;
	web_reply_error(&c->rq, why->status, "%s", why->message);
	return send_response(c);
}

/* 413, with the route looked up first so that the log lines and the metrics
 * name it (and a route's web_*_error line is written). */
static enum MHD_Result reply_too_large(struct conn *c)
{
	route_request(c);
	c->rq.allow = NULL;
	web_reply_error(&c->rq, 413, "Request body too large (at most %d bytes)", BODY_MAX);
	return send_response(c);
}

/* A request's handler on its route's lane; the connection, suspended
 * meanwhile, is resumed to send the response. Its wait for the lane is the
 * Server-Timing entry "queue". */
static void lane_job(void *arg)
{
	struct conn *c = arg;
	pp_ctx_time(&c->rq.ctx, "queue", elapsed_ms_f(c->queued_at));
	c->rq.route->handler(&c->rq);
	c->done = true;
	MHD_resume_connection(c->mhd);
}

/* Hands the request to its route's lane, the connection suspended so that
 * this thread goes back to the others. The connection is suspended first:
 * the job may finish, and resume it, before this returns. A full lane is
 * answered 503 with its Retry-After once the connection is resumed. */
static enum MHD_Result start_on_lane(struct conn *c)
{
	enum web_lane lane = c->rq.route->lane;
	struct pp_error err = { 0 };
	c->started = true;
	c->queued_at = now_monotonic();
	MHD_suspend_connection(c->mhd);
	if (web_lanes_run(c->srv->lanes, lane, lane_job, c, &err) < 0) {
		c->rq.retry_after = web_lane_defs[lane].retry_after_s;
		web_reply_error(&c->rq, 503, "%s", err.msg);
		c->done = true;
		MHD_resume_connection(c->mhd);
	}
	return MHD_YES;
}

/* The first call for a request (its headers are in): starts its clock and
 * takes its correlation id. */
static void conn_begin(struct conn *c, struct server *srv, struct MHD_Connection *mhd,
		       const char *method)
{
	c->srv = srv;
	c->mhd = mhd;
	c->sock = sock_of(mhd);
	c->t0 = now_monotonic();
	/* The head is in: the body's deadline runs from now. */
	web_conns_phase(srv->conns, c->sock, CONN_BODY);
	web_request_init(&c->rq, &srv->shared, method, c->target);
	c->rq.header = header;
	c->rq.client_address = client_address;
	correlation_from_headers(MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, "X-Request-ID"),
				 MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, "traceparent"),
				 c->rq.cid);
	atomic_fetch_add(&srv->active, 1);
	c->counted = true;
}

static void conn_free(struct conn *c)
{
	if (c->counted) {
		atomic_fetch_sub(&c->srv->active, 1);
		web_request_release(&c->rq);
	}
	free(c->target);
	free(c);
}

/* Called with the request line, before anything is decoded: keeps the raw
 * target, which becomes the request's context (*req_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mhd)
{
	(void)cls;
	struct conn *c = xcalloc(1, sizeof(*c));
	c->target = xstrdup(uri ? uri : "");
	c->t0 = now_monotonic();
	/* libmicrohttpd ends a request it refuses before our handler saw it
	 * (a malformed header line, an unknown HTTP version) without telling
	 * on_completed: the connection's close frees it then. */
	web_conn_set_request(sock_of(mhd), c);
	return c;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mhd, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct server *srv = cls;
	struct conn *c = *req_cls;
	(void)version;
	if (!c) {
		/* on_uri always runs first; without it, the path is all there is. */
		c = on_uri(NULL, url, mhd);
		*req_cls = c;
	}
	if (!c->counted) {
		conn_begin(c, srv, mhd, method);
		struct head_refusal why;
		if (web_head_check(mhd, method, c->target, &why) < 0)
			return reply_refused_head(c, &why);
		if (request_length_exceeds(MHD_lookup_connection_value(mhd, MHD_HEADER_KIND,
								       "Content-Length"),
					   BODY_MAX)) {
			c->body_too_large = true;
			return reply_too_large(c);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (c->rq.body.len + *upload_size > BODY_MAX)
			c->body_too_large = true;
		else
			buf_add(&c->rq.body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (c->started) {
		/* Resumed: the handler on its lane finished. */
		return c->done ? send_response(c) : MHD_YES;
	}
	/* The request is read: no deadline runs while it is served. */
	web_conns_phase(srv->conns, c->sock, CONN_BUSY);
	if (c->body_too_large)
		return reply_too_large(c);
	if (!route_request(c) || !authorize(c))
		return send_response(c);
	if (c->rq.route->lane != LANE_NONE) {
		if (c->rq.route->quick && c->rq.route->quick(&c->rq))
			return send_response(c);
		return start_on_lane(c);
	}
	c->rq.route->handler(&c->rq);
	return send_response(c);
}

/* A request libmicrohttpd answered itself, the dispatcher never having seen
 * it: a head past what it reads (WEB_CONNECTION_MEMORY) or one it could not
 * parse. Its http_request line has the status libmicrohttpd sent, a new
 * correlation id (the head's headers are not kept) and null for what
 * libmicrohttpd does not tell: the method and the body's size. A client
 * that left before its head was in made no request and gets no line. */
static void log_answered_by_mhd(struct server *srv, struct conn *c, struct MHD_Connection *mhd)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_HTTP_STATUS);
	if (!ci)
		return;
	char cid[CORRELATION_ID_MAX + 1];
	char *path = request_path(c->target);
	correlation_from_headers(NULL, NULL, cid);
	log_info(LOGGER, "http_request", cid, LF_NULL("method"), LF_STR("path", path),
		 LF_NULL("route"), LF_INT("status", ci->http_status), LF_MS("duration_ms", elapsed_ms(c->t0)),
		 LF_NULL("bytes"));
	web_metrics_observe_request(srv->shared.metrics, "", -1, (int)ci->http_status,
				    elapsed_ms_f(c->t0) / 1000.0);
	free(path);
}

static void on_completed(void *cls, struct MHD_Connection *mhd, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct conn *c = *req_cls;
	(void)toe;
	/* The next request's head has its deadline from now. */
	web_conns_phase(srv->conns, sock_of(mhd), CONN_HEAD);
	if (c && !c->counted)
		log_answered_by_mhd(srv, c, mhd);
	web_conn_set_request(sock_of(mhd), NULL);
	if (c)
		conn_free(c);
	*req_cls = NULL;
}

/* libmicrohttpd's accept policy: the limit per client, and room near the
 * connection limit (conns.c). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct server *srv = cls;
	return web_conns_admit(srv->conns, addr, len) ? MHD_YES : MHD_NO;
}

/* Each connection accepted and closed: its record in the registry is its
 * socket context. */
static void on_connection(void *cls, struct MHD_Connection *mhd, void **socket_context,
			  enum MHD_ConnectionNotificationCode what)
{
	struct server *srv = cls;
	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn *left = web_conn_request(*socket_context);
		if (left) { /* refused by libmicrohttpd: answered, never completed */
			log_answered_by_mhd(srv, left, mhd);
			conn_free(left);
		}
		web_conns_closed(srv->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ad =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ad ? ad->client_addr : NULL;
	socklen_t len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							: sizeof(struct sockaddr_in);
	*socket_context = web_conns_opened(srv->conns, sa, len, fd ? fd->connect_fd : -1);
}

/* Keeps the path and query as sent: request.c decodes them, once. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

__attribute__((format(printf, 2, 0)))
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

#define MAX_CONNECTIONS 1000
#define CONNECTIONS_PER_CLIENT 32
#define FD_RESERVE 128
/* Connections accepted by the kernel that the server has yet to take: a
 * burst of connects (a flood's, reconnecting as fast as it is refused)
 * waits here instead of being dropped, which would cost a client that
 * arrives meanwhile a second (its SYN sent again). The kernel caps it at
 * net.core.somaxconn. */
#define LISTEN_BACKLOG 4096

/* How many connections the server can hold: MAX_CONNECTIONS, or fewer when
 * the descriptor limit leaves no room for them and FD_RESERVE more (the
 * state database, the log, image copies, the workers' HTTP calls). The soft
 * limit is raised to the hard one first. */
static unsigned connection_capacity(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return MAX_CONNECTIONS;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { .rlim_cur = rl.rlim_max == RLIM_INFINITY ? 65536 : rl.rlim_max,
				     .rlim_max = rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= MAX_CONNECTIONS + FD_RESERVE)
		return MAX_CONNECTIONS;
	return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)rl.rlim_cur - FD_RESERVE
					    : (unsigned)rl.rlim_cur / 2;
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
	struct server srv = { .shared = { .env = env, .metrics_public = cfg->metrics_public } };
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
	if (web_auth_new(cfg, session_key, &srv.shared.auth, err) < 0) {
		free(session_key);
		return -1;
	}
	free(session_key);
	if (env->state)
		web_auth_use_state(srv.shared.auth, env->state);
	/* A key file of this machine's: other replicas sign with their own
	 * (photopub check warns of it too). */
	if (cfg->state_backend == STATE_POSTGRES && cfg->web_admin_pw && !cfg->web_session_secret)
		log_warning("web", "web_session_secret_missing", NULL,
			    LF_STR("key", "WEB_SESSION_SECRET"),
			    LF_STR("hint", "replicas over one state accept each other's admin "
					   "sessions only with the same WEB_SESSION_SECRET"));
	if (!is_loopback((struct sockaddr *)&ss) && !web_auth_api_required(srv.shared.auth) &&
	    !opts->allow_remote) {
		pp_fail_kind(err, "web", PP_ERR_CONFIG,
			     "refusing to serve on %s without authentication: set WEB_AUTH_TOKEN or "
			     "WEB_AUTH_USER and WEB_AUTH_PASS, or allow it with --allow-remote "
			     "([Web] allow_remote = true)", opts->host);
		web_auth_free(srv.shared.auth);
		return -1;
	}
	srv.shared.svc = web_service_new(env);
	srv.lanes = web_lanes_new();
	/* The metrics keep route_names: it lives as long as the server. */
	const char **names = xcalloc(web_nroutes, sizeof(*names));
	for (size_t i = 0; i < web_nroutes; i++)
		names[i] = web_routes[i].pattern;
	if (cfg->metrics_enabled) {
		srv.shared.metrics = web_metrics_new(names, web_nroutes);
		observe_install(web_metrics_observer(srv.shared.metrics));
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
	struct web_conns_limits lim = {
		.max = connection_capacity(), .per_client = CONNECTIONS_PER_CLIENT,
		.head_timeout_s = cfg->web_head_timeout, .body_timeout_s = cfg->web_body_timeout,
		.exempt = cfg->web_trusted_proxies,
	};
	if (web_conns_new(&lim, &srv.conns, err) < 0)
		goto out;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)opts->port, on_accept, &srv, on_request, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, /* first: before any message */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, lim.max,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONNECTION_MEMORY,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)LISTEN_BACKLOG,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
		MHD_OPTION_END);
	if (!d) {
		pp_fail(err, "web", "cannot listen on %s:%d: %s", opts->host, opts->port,
			strerror(errno));
		goto out;
	}
	unsigned port = bound_port(d);
	log_info(LOGGER, "web_server_start", NULL, LF_STR("host", opts->host), LF_INT("port", port),
		 LF_INT("threads", threads), LF_INT("max_connections", lim.max),
		 LF_INT("max_connections_per_client", lim.per_client),
		 LF_INT("head_timeout_s", lim.head_timeout_s), LF_INT("body_timeout_s", lim.body_timeout_s),
		 LF_STR("storage", env->storage->ops->name),
		 LF_STR("ai", env->ai->ops->name),
		 LF_BOOL("auth_required", web_auth_api_required(srv.shared.auth)),
		 LF_BOOL("admin_configured", web_auth_admin_configured(srv.shared.auth)));
	/* The one line for the person who started it: where to point a browser. */
	const char *shown = !strcmp(opts->host, "0.0.0.0") ? "127.0.0.1"
			    : !strcmp(opts->host, "::") ? "::1" : opts->host;
	bool v6 = strchr(shown, ':') != NULL;
	printf("photopub serve: open http://%s%s%s:%u/\n", v6 ? "[" : "", shown, v6 ? "]" : "", port);
	fflush(stdout);
	if (opts->port_file) {
		/* Whoever waits for the port file finds every start-up line written. */
		log_flush();
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
	while ((atomic_load(&srv.active) > 0 || web_lanes_pending(srv.lanes) > 0) &&
	       elapsed_ms(t0) < (int64_t)opts->shutdown_grace_s * 1000) {
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	int left = (int)web_lanes_pending(srv.lanes);
	if (left > 0) {
		/* A handler on a lane outlived the grace period: it still uses the
		 * services, so leave them standing; the caller exits. */
		log_warning(LOGGER, "web_server_stop_timeout", NULL, LF_INT("requests", left),
			    LF_MS("waited_ms", elapsed_ms(t0)));
		rc = 1;
		return rc;
	}
	MHD_stop_daemon(d);
	log_info(LOGGER, "web_server_stopped", NULL, LF_MS("shutdown_ms", elapsed_ms(t0)));
	web_conns_free(srv.conns);
	srv.conns = NULL;
	rc = 0;
out:
	web_conns_free(srv.conns);
	web_lanes_free(srv.lanes);
	observe_install(NULL);
	web_service_free(srv.shared.svc);
	web_auth_free(srv.shared.auth);
	web_metrics_free(srv.shared.metrics);
	free(names);
	return rc;
}
