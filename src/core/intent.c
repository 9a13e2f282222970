/* intent.c - settling publish intents and resolving those of killed runs
 * (intent.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/intent.h"
#include "publish/publisher.h"
#include "state/queue.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/proc.h"

#define LOGGER "workflow"

/* An intent of another host is resolved once it is this much older than
 * the publish time limit: no run of that host can still be sending it. */
#define FOREIGN_LEASE_S 3600

static bool has_outcome(const struct journal_intent *j, enum journal_outcome o)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->platforms[i].outcome == o)
			return true;
	return false;
}

static json_t *outcomes_json(const struct journal_intent *j)
{
	json_t *o = json_object();
	for (size_t i = 0; i < j->n; i++)
		json_object_set_new(o, j->platforms[i].platform,
				    json_string(journal_outcome_name(j->platforms[i].outcome)));
	return o;
}

int intent_record(struct state *st, const struct journal_intent *j, bool posted,
		  struct pp_error *err)
{
	struct history_row rows[JOURNAL_MAX_PLATFORMS];
	for (size_t i = 0; i < j->n; i++) {
		const struct journal_platform *p = &j->platforms[i];
		rows[i] = (struct history_row){
			.image = j->image, .sha256 = j->sha256, .platform = p->platform,
			.post_id = p->outcome == JOURNAL_POSTED ? p->post_id : NULL,
			.success = p->outcome == JOURNAL_POSTED,
			.error = p->outcome == JOURNAL_POSTED ? NULL : p->error,
			.correlation_id = p->correlation_id ? p->correlation_id : j->correlation_id,
			.url = p->outcome == JOURNAL_POSTED ? p->url : NULL,
		};
	}
	if (state_begin(st, err) < 0)
		return -1;
	int rc = 0;
	if (posted)
		rc = state_mark_posted(st, j->sha256, j->content_hash, err);
	if (rc == 0 && posted)
		rc = state_queue_remove(st, j->image, err); /* it leaves the posting queue */
	if (rc == 0 && j->n)
		rc = state_add_history(st, rows, j->n, err);
	if (rc == 0)
		rc = state_journal_finish(st, j->id, err);
	/* A failure above rolled its own part back; the group commits the
	 * rest only when everything went in. */
	if (rc < 0) {
		state_rollback(st);
		return -1;
	}
	return state_commit(st, err);
}

int intent_settle(const struct workflow_env *env, const struct pp_ctx *ctx,
		  const struct journal_intent *j, bool unknown_is_posted,
		  struct settle_result *out, struct pp_error *err)
{
	*out = (struct settle_result){ .archive_ms = -1 };
	out->posted = has_outcome(j, JOURNAL_POSTED) ||
		      (unknown_is_posted && has_outcome(j, JOURNAL_UNKNOWN));
	if (out->posted && env->cfg->archive_enabled) {
		struct pp_error aerr = { 0 };
		int64_t t0 = now_monotonic();
		int rc = storage_archive(env->storage, ctx, j->image, &out->archived_as, &aerr);
		out->archive_ms = elapsed_ms(t0);
		if (rc == 0) {
			out->archived = true;
			if (state_journal_set_archived(env->state, j->id, out->archived_as, &aerr) < 0)
				log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("error", aerr.msg));
			log_info(LOGGER, "image_archived", pp_cid(ctx), LF_STR("image", j->image),
				 LF_STR("archived_as", out->archived_as),
				 LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, out->archive_ms));
		} else if (aerr.kind != PP_ERR_NOT_FOUND) {
			/* Once a platform has the image, it is posted whether or not
			 * the move worked: recording it keeps it from going out twice. */
			log_error(LOGGER, "archive_error", pp_cid(ctx), LF_STR("image", j->image),
				  LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, out->archive_ms),
				  LF_STR("error", aerr.msg));
		}
	}
	if (intent_record(env->state, j, out->posted, err) < 0) {
		log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("error", err->msg));
		return -1;
	}
	return 0;
}

/* A copy of s that lives as long as j. */
static const char *keep(struct journal_intent *j, const char *s)
{
	strv_push(j->strings, s);
	return j->strings->v[j->strings->n - 1];
}

static bool is_enabled(const struct config *cfg, const struct publisher_ops *ops)
{
	return ops && ops->enabled(cfg);
}

static bool foreign_and_fresh(const struct config *cfg, const struct journal_intent *j)
{
	struct tm tm = { 0 };
	if (!j->started_at || !strptime(j->started_at, "%Y-%m-%dT%H:%M:%S", &tm))
		return false;
	time_t started = timegm(&tm);
	return time(NULL) - started < FOREIGN_LEASE_S + cfg->publish_timeout;
}

/* Asks each pending platform of j whether it has the post; fills resend[]
 * with the ones to send again. Returns whether any is to be sent. */
static bool resolve(const struct workflow_env *env, const struct pp_ctx *ctx,
		    struct journal_intent *j, bool resend[JOURNAL_MAX_PLATFORMS])
{
	bool any = false;
	for (size_t i = 0; i < j->n; i++) {
		struct journal_platform *p = &j->platforms[i];
		resend[i] = false;
		if (p->outcome != JOURNAL_PENDING)
			continue;
		const struct publisher_ops *ops = publisher_find(p->platform);
		struct publish_ref ref = {
			.correlation_id = p->correlation_id ? p->correlation_id : j->correlation_id,
			.image_name = j->image, .sha256 = j->sha256,
		};
		char *post_id = NULL;
		struct pp_error why = { 0 };
		int landed = ops && ops->landed ? ops->landed(env->cfg, &ref, &post_id, &why) : -1;
		struct journal_platform now = *p;
		if (landed == 1) {
			now.outcome = JOURNAL_POSTED;
			now.post_id = post_id;
			now.error = NULL;
		} else if (landed == 0 && is_enabled(env->cfg, ops)) {
			resend[i] = any = true;
			free(post_id);
			continue; /* stays pending until it is sent again */
		} else if (landed == 0) {
			now.outcome = JOURNAL_FAILED;
			now.error = "not sent: the run was interrupted, and the platform is now off";
		} else {
			now.outcome = JOURNAL_UNKNOWN;
			now.error = why.msg[0] ? why.msg
				  : "outcome unknown: the run was interrupted before the platform answered";
		}
		struct pp_error err = { 0 };
		if (state_journal_set(env->state, j->id, &now, &err) < 0)
			log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("error", err.msg));
		p->outcome = now.outcome;
		p->post_id = now.post_id ? keep(j, now.post_id) : p->post_id;
		p->error = now.error ? keep(j, now.error) : NULL;
		free(post_id);
	}
	return any;
}

static void log_recovered(const struct pp_ctx *ctx, const struct journal_intent *j,
			  const char *action, const struct settle_result *s)
{
	json_t *outcomes = outcomes_json(j);
	log_warning(LOGGER, "publish_intent_recovered", pp_cid(ctx), LF_STR("image", j->image),
		    LF_STR("sha256", j->sha256), LF_STR("intent_correlation_id", j->correlation_id),
		    LF_STR("started_at", j->started_at), LF_STR("action", action),
		    LF_JSON("platforms", outcomes), LF_BOOL("posted", s && s->posted),
		    LF_BOOL("archived", s && s->archived));
	json_decref(outcomes);
}

int intent_recover(const struct workflow_env *env, const struct pp_ctx *ctx,
		   struct recovery *out, struct pp_error *err)
{
	*out = (struct recovery){ 0 };
	if (state_journal_open(env->state, &out->all, &out->n, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++) {
		struct journal_intent *j = &out->all[k];
		enum proc_liveness live = proc_owner_liveness(j->owner);
		if (live == PROC_ALIVE || (live == PROC_ELSEWHERE && foreign_and_fresh(env->cfg, j)))
			continue; /* its run is still at work */
		bool resend[JOURNAL_MAX_PLATFORMS];
		if (out->resume) {
			/* one image per run: leave the others for the next runs, but
			 * settle those with nothing to send */
			bool pending = has_outcome(j, JOURNAL_PENDING);
			if (pending)
				continue;
		}
		if (resolve(env, ctx, j, resend)) {
			if (!out->resume) {
				out->resume = j;
				memcpy(out->resend, resend, sizeof(resend));
			}
			continue;
		}
		struct settle_result s;
		struct pp_error serr = { 0 };
		if (intent_settle(env, ctx, j, true, &s, &serr) == 0)
			log_recovered(ctx, j, "settled", &s);
		free(s.archived_as);
	}
	return 0;
}

void intent_log_resume(const struct pp_ctx *ctx, const struct journal_intent *j)
{
	log_recovered(ctx, j, "resume", NULL);
}

void intent_abandon_resume(const struct workflow_env *env, const struct pp_ctx *ctx,
			   struct recovery *r, const char *why)
{
	struct journal_intent *j = r->resume;
	if (!j)
		return;
	why = keep(j, why);
	for (size_t i = 0; i < j->n; i++) {
		if (!r->resend[i])
			continue;
		struct journal_platform *p = &j->platforms[i];
		p->outcome = JOURNAL_FAILED;
		p->error = why;
		struct pp_error err = { 0 };
		if (state_journal_set(env->state, j->id, p, &err) < 0)
			log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("error", err.msg));
		r->resend[i] = false;
	}
	struct settle_result s;
	struct pp_error err = { 0 };
	if (intent_settle(env, ctx, j, true, &s, &err) == 0)
		log_recovered(ctx, j, "settled", &s);
	free(s.archived_as);
	r->resume = NULL;
}

void recovery_release(struct recovery *r)
{
	state_journal_release(r->all, r->n);
	*r = (struct recovery){ 0 };
}
