/* server.h - `photopub serve`: the daemon (libmicrohttpd) and the
 * dispatcher that does, once for every route of routes.h, what every
 * request needs: correlation id, auth, body limits, timing, the web_* and
 * `http_request` lines and the X-Correlation-ID / Server-Timing headers. */
#ifndef PHOTOPUB_WEB_SERVER_H
#define PHOTOPUB_WEB_SERVER_H

#include <stdbool.h>
#include "core/workflow.h"
#include "util/error.h"

struct web_options {
	const char *host;          /* address to bind */
	int port;                  /* 0: any free port */
	bool allow_remote;         /* bind beyond loopback without API auth */
	unsigned threads;          /* 0: one per core */
	unsigned shutdown_grace_s; /* how long in-flight requests may finish */
	const char *port_file;     /* write the bound port here once listening (tests) */
};

/* Serves until SIGTERM or SIGINT (SIGHUP reopens the log file), then stops
 * accepting, lets in-flight requests finish within shutdown_grace_s and
 * returns 0. Returns -1 with err filled when the server cannot start, and 1
 * when requests were still running at the end of the grace period: they use
 * env, so the caller must leave with _exit() without releasing it. */
int web_serve(const struct workflow_env *env, const struct web_options *opts,
	      struct pp_error *err);

#endif
