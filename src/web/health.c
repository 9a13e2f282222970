/* health.c - the liveness and readiness probes (health.h). Liveness
 * touches nothing but the process; readiness runs a trivial query on the
 * state and the storage backend's ready op, and names what failed. The
 * messages are the state's and storage's own, which never carry a secret
 * (a URL's password is cut out where the connection is made). */
#include <jansson.h>
#include <stdlib.h>
#include "state/state.h"
#include "storage/storage.h"
#include "telemetry/sanitize.h"
#include "telemetry/log.h"
#include "web/health.h"

#define LOGGER "web"

int web_h_health_live(struct web_request *rq)
{
	return web_reply_json(rq, 200, json_pack("{s:b}", "live", 1));
}

/* "ok", or what err says (sanitized), as a new JSON string. */
static json_t *verdict(int rc, const struct pp_error *err)
{
	if (rc == 0)
		return json_string("ok");
	char *msg = sanitize(err->msg[0] ? err->msg : "unreachable");
	json_t *v = json_string(msg);
	free(msg);
	return v;
}

int web_h_health_ready(struct web_request *rq)
{
	const struct workflow_env *env = rq->shared->env;
	struct pp_error serr = { 0 }, gerr = { 0 };
	int s = env->state ? state_ping(env->state, &serr) : 0;
	int g = storage_ready(env->storage, &rq->ctx, &gerr);
	bool ready = s == 0 && g == 0;
	json_t *o = json_pack("{s:b}", "ready", ready);
	json_object_set_new(o, "state", verdict(s, &serr));
	json_object_set_new(o, "storage", verdict(g, &gerr));
	if (!ready) {
		rq->retry_after = 5;
		free(rq->error);
		rq->error = sanitize(s ? serr.msg : gerr.msg);
		/* Only the failures: probes come every few seconds. */
		log_warning(LOGGER, "web_not_ready", rq->cid,
			    LF_STR("state", json_string_value(json_object_get(o, "state"))),
			    LF_STR("storage", json_string_value(json_object_get(o, "storage"))));
	}
	return web_reply_json(rq, ready ? 200 : 503, o);
}
