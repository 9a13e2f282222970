/* history.c - the history route (history.h): its parameters, and the rows
 * as core/history.c makes them for the CLI too. */
#include <stdlib.h>
#include "core/history.h"
#include "ops/timefmt.h"
#include "web/history.h"
#include "web/request.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000

int web_h_history(struct web_request *rq)
{
	char *since = NULL, *platform = NULL, *limit = NULL;
	char since_ts[32];
	int n = LIMIT_DEFAULT, status;
	int64_t ms;
	struct pp_error err = { 0 };
	json_t *rows = NULL;

	if (request_query_get(rq->query, "since", &since) < 0 ||
	    request_query_get(rq->query, "platform", &platform) < 0 ||
	    request_query_get(rq->query, "limit", &limit) < 0) {
		status = web_reply_error(rq, 400, "the query is not valid");
		goto out;
	}
	if (limit && request_int_range(limit, 1, LIMIT_MAX, &n) < 0) {
		status = web_reply_error(rq, 400, "limit must be a number from 1 to %d", LIMIT_MAX);
		goto out;
	}
	if (since && ts_parse_bound(since, ts_now_ms(), &ms) < 0) {
		status = web_reply_error(rq, 400,
					 "since: expected an RFC 3339 time (2026-11-29T07:00:00Z), a "
					 "date (2026-11-29) or a duration back from now (90m, 24h, 7d)");
		goto out;
	}
	if (since)
		ts_format(ms, since_ts);
	struct history_filter f = {
		.since = since ? since_ts : NULL, .platform = platform && *platform ? platform : NULL,
		.limit = n, .newest_first = true,
	};
	if (history_json(rq->shared->env->state, &f, &rows, &err) < 0) {
		status = web_reply_pp_error(rq, &err);
		goto out;
	}
	status = web_reply_json(rq, 200, json_pack("{s:o, s:I}", "entries", rows, "count",
						   (json_int_t)json_array_size(rows)));
out:
	free(since);
	free(platform);
	free(limit);
	return status;
}
