/* retry.c - the retry route (retry.h): core/retry.c on the request's run
 * while no other publish runs; the listing forgets an image it archived. */
#include <stdlib.h>
#include <string.h>
#include "core/retry.h"
#include "telemetry/correlation.h"
#include "web/request.h"
#include "web/retry.h"
#include "web/service.h"

bool web_retry_id_ok(const char *id)
{
	return id && request_id_valid(id, strlen(id));
}

int web_h_retry(struct web_request *rq)
{
	struct web_service *svc = rq->shared->svc;
	char *platform = NULL;
	web_log_field(rq, LF_BOOL("any_success", false));
	web_log_field(rq, LF_BOOL("partial", false));
	if (request_query_get(rq->query, "platform", &platform) < 0)
		return web_reply_error(rq, 400, "the query is not valid");
	struct retry_options ro = { .ctx = &rq->ctx, .run = rq->filename,
				    .platform = platform && *platform ? platform : NULL };
	struct retry_result r;
	web_service_lock_images(svc);
	retry_run(rq->shared->env, &ro, &r);
	web_service_unlock_images(svc);
	free(platform);
	if (r.wr.archived)
		web_service_forget(svc, r.wr.image);
	int status;
	if (r.wr.nplatforms == 0) {
		status = web_reply_pp_error(rq, &r.wr.err);
	} else {
		web_log_field(rq, LF_BOOL("any_success", r.wr.success));
		web_log_field(rq, LF_BOOL("partial", r.partial));
		status = web_reply_json(rq, 200, retry_result_json(&r, rq->cid));
	}
	retry_result_release(&r);
	return status;
}
