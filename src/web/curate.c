/* curate.c - the curation routes (curate.h): each runs core curation
 * (core/curate.c) on the request's image while no publish runs, and the
 * listing forgets an image that left the folder. */
#include "core/curate.h"
#include "web/curate.h"

static int curate_route(struct web_request *rq, enum curate_action a)
{
	struct web_service *svc = rq->shared->svc;
	struct curate_result r;
	struct pp_error err = { 0 };
	web_log_field(rq, LF_STR("action", curate_action_name(a)));
	web_log_field(rq, LF_BOOL("preview_only", rq->shared->env->cfg->debug));
	web_service_lock_images(svc);
	int rc = curate_image(rq->shared->env, &rq->ctx, a, rq->filename, &r, &err);
	web_service_unlock_images(svc);
	if (rc < 0) {
		curate_result_release(&r);
		return web_reply_pp_error(rq, &err);
	}
	if (!r.preview_only)
		web_service_forget(svc, rq->filename);
	json_t *o = curate_result_json(rq->filename, &r);
	curate_result_release(&r);
	return web_reply_json(rq, 200, o);
}

int web_h_keep(struct web_request *rq)
{
	return curate_route(rq, CURATE_KEEP);
}

int web_h_remove(struct web_request *rq)
{
	return curate_route(rq, CURATE_REMOVE);
}

int web_h_delete(struct web_request *rq)
{
	return curate_route(rq, CURATE_DELETE);
}
