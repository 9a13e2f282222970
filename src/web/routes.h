/* routes.h - the web routes: the table of { method, pattern, handler, flags,
 * log line } rows, the request a handler is given, and how it answers and
 * adds its own fields to its route's web_* line. The daemon (server.c)
 * does what every route needs around the handler. */
#ifndef PHOTOPUB_WEB_ROUTES_H
#define PHOTOPUB_WEB_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/workflow.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "web/auth.h"
#include "web/lanes.h"
#include "web/metrics.h"
#include "web/service.h"

/* What the daemon does before a route's handler runs. */
enum route_flags {
	NEED_AUTH = 1 << 0,    /* Bearer / Basic when configured */
	NEED_ADMIN = 1 << 1,   /* the admin session cookie when web_admin_pw is set */
	METRICS_AUTH = 1 << 3, /* API auth unless [Web] metrics_public */
};

struct web_request;

/* Adding a route:
 *  1. a handler in routes.c that reads its parameters with request.h,
 *     calls the web service with &rq->ctx and answers with web_reply_*;
 *  2. a row in web_routes[] with the flags the dispatcher must check, the
 *     lane it runs on when it waits or computes for long and, for a web_*
 *     line, its event names and ms_field;
 *  3. its own log fields through web_log_field, and each in docs/telemetry.md;
 *  4. a test in tests/e2e/test_web.py, and the route in its ROUTES. */
struct route {
	const char *method;    /* "GET" also answers HEAD */
	const char *pattern;   /* "/api/images/{filename}/analyze": the {…} segment
				  becomes web_request.filename, checked by
				  request_filename_ok before the handler runs */
	/* Fills the response of rq (status, body, headers) and returns its
	 * status. Never writes the route's web_* or http_request line. */
	int (*handler)(struct web_request *rq);
	unsigned flags;        /* enum route_flags */
	/* Where the handler runs: LANE_NONE, on the daemon's thread that read
	 * the request; else on that worker lane (lanes.h), the connection
	 * suspended meanwhile, so it never holds a thread other requests wait
	 * on. */
	enum web_lane lane;
	/* With a lane: tried first on the daemon's thread, for what it can
	 * answer at once (a bad argument, 304, a copy in a cache). Returns 1
	 * when it answered, 0 when the handler must run on the lane. NULL:
	 * always the lane. */
	int (*quick)(struct web_request *rq);
	/* The route's web_* line, written by the daemon once the response is
	 * sent: event_ok on 2xx, else event_err, both NULL for none. Its fields:
	 * filename, ms_field (the request's duration), what the handler added
	 * with web_log_field, status, error. */
	const char *event_ok;
	const char *event_err;
	const char *ms_field;
	const char *csp;       /* Content-Security-Policy of every response, or NULL */
	/* The check of the {…} segment; NULL: request_filename_ok (an image
	 * name). */
	bool (*param_ok)(const char *param);
};

/* The routes, in the order they are tried; the index of a row is its
 * metrics route. */
extern const struct route web_routes[];
extern const size_t web_nroutes;

/* What the handlers share; the daemon owns it and what it points to. */
struct web_shared {
	const struct workflow_env *env;
	struct web_service *svc;
	struct web_auth *auth;
	struct web_metrics *metrics; /* NULL when [Web] metrics = false */
	bool metrics_public;
};

#define WEB_LOG_FIELDS_MAX 4

/* One request. The daemon fills the first part before the handler runs;
 * the handler (or the daemon, for the errors it answers itself) fills the
 * response. Every pointer is owned by the request unless marked static,
 * and freed by web_request_release. */
struct web_request {
	const struct web_shared *shared;
	const struct route *route;   /* the route whose handler runs */
	char method[16];
	char *path;                  /* raw, without the query */
	char *query;                 /* raw, after '?'; NULL when none */
	char *filename;              /* the decoded {filename} segment */
	struct buf body;
	char cid[CORRELATION_ID_MAX + 1];
	struct pp_timing timing;     /* the Server-Timing entries */
	struct pp_ctx ctx;           /* the request's context: cid and timing sink */
	/* The first value of a request header, NULL when absent (valid for
	 * the request); the client's address as text, "unknown" when unknown. */
	const char *(*header)(const struct web_request *rq, const char *name);
	void (*client_address)(const struct web_request *rq, char *out, size_t n);

	/* the response */
	int status;
	json_t *json;                /* JSON body, or */
	struct buf raw;              /* raw body with content_type */
	const char *content_type;    /* static */
	char *etag;
	const char *cache_control;   /* static; NULL: no-store */
	char *set_cookie;
	int retry_after;             /* seconds, 0: none */
	bool close_connection;       /* "Connection: close": read nothing more on it */
	const char *cache;           /* static: "hit" or "miss" on a route that answers
					from a cache (the http_request line's `cache`);
					NULL elsewhere */
	const char *allow;           /* Allow header of a 405; not owned */
	const char *www_authenticate; /* static */
	char *error;                 /* message of an error reply (sanitized) */
	/* The route's own fields of its web_* line, in the order added. */
	struct log_field log[WEB_LOG_FIELDS_MAX];
	size_t nlog;
};

/* Sets up rq for a request of method on target (the raw request target, path
 * and query): status 500 until something answers. */
void web_request_init(struct web_request *rq, const struct web_shared *shared, const char *method,
		      const char *target);
/* Frees what rq owns (not rq itself). */
void web_request_release(struct web_request *rq);

/* Answers with {"detail": message}: the message is formatted, sanitized and
 * kept in rq->error for the log line. Returns status. */
int web_reply_error(struct web_request *rq, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answers with body (reference taken). Returns status. */
int web_reply_json(struct web_request *rq, int status, json_t *body);

/* Answers with err's message and the status its kind has (util/error.h);
 * a 503 gets a Retry-After. Returns the status. */
int web_reply_pp_error(struct web_request *rq, const struct pp_error *err);

/* Adds f to the route's web_* line, after its duration and before status.
 * A key added again keeps its place and takes the new value, so a handler
 * may add its fields first with the values its errors log. String values
 * must live as long as rq. */
void web_log_field(struct web_request *rq, struct log_field f);

/* Whether the request carries a valid admin session cookie (false when no
 * admin password is configured). */
bool web_request_is_admin(const struct web_request *rq);

#endif
