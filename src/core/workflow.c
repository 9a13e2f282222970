/* workflow.c - the orchestrator of one run (DESIGN §1).
 *
 * Owns the order of the stages, their timing, and the two summary lines:
 * `workflow_timing` (every stage's *_ms, null for a stage that did not run)
 * and `workflow_complete`, written exactly once on every exit path. The
 * stages themselves live elsewhere: selection.c, the storage, AI and
 * publisher tables, sidecar.c, state.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "caption/format.h"
#include "caption/sidecar.h"
#include "core/approve.h"
#include "core/intent.h"
#include "core/preview.h"
#include "core/selection.h"
#include "core/stages.h"
#include "core/workflow.h"
#include "image/image.h"
#include "publish/parallel.h"
#include "publish/publisher.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/observe.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/proc.h"

#define LOGGER "workflow"

/* Everything one run holds; released in one place. */
struct run {
	const struct workflow_env *env;
	const struct workflow_options *opts;
	struct workflow_result *out;
	bool dry, debug;

	const struct publisher_ops *ops[WORKFLOW_MAX_PLATFORMS];
	size_t nops;

	struct stage_ctx s;          /* the image's trip through the stages */
	struct approved ap;          /* the platforms' own captions */
	int64_t start;

	/* The publish journal: this run's intent, or the one of a killed run
	 * that this run finishes (rec.resume). row[i] is ops[i]'s platform in *j. */
	struct recovery rec;
	struct journal_intent own;
	struct journal_intent *j;    /* NULL until the intent is recorded */
	size_t row[WORKFLOW_MAX_PLATFORMS];
	char owner[PROC_OWNER_MAX];
	char resume_claim[65];       /* the SHA-256 this run claimed to resume; "" none */
};

void workflow_result_release(struct workflow_result *r)
{
	free(r->image);
	free(r->archived_as);
	free(r->caption);
	free(r->alt_text);
	for (size_t i = 0; i < r->nplatforms; i++)
		publish_result_release(&r->platforms[i].result);
	*r = (struct workflow_result){ 0 };
}

json_t *workflow_results_json(const struct workflow_result *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < r->nplatforms; i++) {
		const struct publish_result *p = &r->platforms[i].result;
		json_t *e = json_object();
		json_object_set_new(e, "success", json_boolean(p->success));
		json_object_set_new(e, "post_id", p->post_id ? json_string(p->post_id) : json_null());
		json_object_set_new(e, "url", p->url ? json_string(p->url) : json_null());
		json_object_set_new(e, "error", publish_error(p) ? json_string(publish_error(p)) : json_null());
		if (p->dry_run)
			json_object_set_new(e, "dry_run", json_true());
		json_object_set_new(o, r->platforms[i].name, e);
	}
	return o;
}

static bool wanted(const struct workflow_options *opts, const char *name)
{
	if (!opts->platforms)
		return true;
	for (size_t i = 0; i < opts->nplatforms; i++)
		if (!strcmp(opts->platforms[i], name))
			return true;
	return false;
}

static void choose_publishers(struct run *r)
{
	for (size_t i = 0; publishers[i] && r->nops < WORKFLOW_MAX_PLATFORMS; i++)
		if (publishers[i]->enabled(r->env->cfg) && wanted(r->opts, publishers[i]->name))
			r->ops[r->nops++] = publishers[i];
}

/* The results list holds the platforms the publish stage reached. */
static void open_results(struct run *r)
{
	r->out->nplatforms = r->nops;
	for (size_t i = 0; i < r->nops; i++) {
		r->out->platforms[i].name = r->ops[i]->name;
		r->out->platforms[i].result.duration_ms = -1;
	}
}

static int fail(struct run *r, enum pp_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct run *r, enum pp_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(r->out->err.msg)];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Messages reach stdout as well as the log: no secret in them. */
	char *clean = sanitize(tmp);
	pp_fail_kind(&r->out->err, "workflow", kind, "%s", clean);
	free(clean);
	return -1;
}

/* Records each platform's outcome in the journal as it arrives. A platform
 * past its time limit counts as failed, as it does for the run. */
static void journal_outcome(void *arg, size_t i, const struct publish_result *res)
{
	struct run *r = arg;
	struct journal_platform p = r->j->platforms[r->row[i]];
	p.outcome = res->success ? JOURNAL_POSTED : JOURNAL_FAILED;
	p.post_id = res->success ? res->post_id : NULL;
	p.url = res->success ? res->url : NULL;
	p.error = res->success ? NULL : publish_error(res);
	p.correlation_id = pp_cid(r->s.ctx);
	struct pp_error err = { 0 };
	if (state_journal_set(r->env->state, r->j->id, &p, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
}

/* A run resuming a killed run's intent claims its image first: a
 * concurrent run that found the same intent leaves it to this one. */
static int claim_resume(struct run *r)
{
	struct pp_error err = { 0 };
	const struct journal_intent *j = r->rec.resume;
	int c = state_claim(r->env->state, j->sha256, j->content_hash, pp_cid(r->s.ctx), false,
			    STATE_CLAIM_LEASE_S, &err);
	if (c < 0)
		return fail(r, PP_ERR_DB, "cannot claim the image to resume: %s", err.msg);
	if (c == 0)
		r->rec.resume = NULL;
	else
		snprintf(r->resume_claim, sizeof(r->resume_claim), "%s", j->sha256);
	return 0;
}

/* Before any platform is called: this run's intent, or the resumed one's
 * platforms marked as sent again by this run. The run's claim of the image
 * is renewed first (its lease starts again), and lost is a failure. */
static int journal_begin(struct run *r)
{
	struct pp_error err = { 0 };
	if (r->s.sel.claimed) {
		int c = state_claim(r->env->state, r->s.sel.sha256, r->s.sel.content_hash,
				    pp_cid(r->s.ctx), false, STATE_CLAIM_LEASE_S, &err);
		if (c < 0)
			return fail(r, PP_ERR_DB, "cannot renew the claim of %s: %s", r->s.sel.name,
				    err.msg);
		if (c == 0)
			return fail(r, PP_ERR_CONFLICT, "another run claimed %s meanwhile",
				    r->s.sel.name);
	}
	if (r->rec.resume) {
		r->j = r->rec.resume;
		for (size_t i = 0; i < r->nops; i++) {
			struct journal_platform *p = &r->j->platforms[r->row[i]];
			p->correlation_id = pp_cid(r->s.ctx); /* outlives the run's use of j */
			if (state_journal_set(r->env->state, r->j->id, p, &err) < 0)
				return fail(r, PP_ERR_DB, "cannot record the publish intent: %s", err.msg);
		}
		return 0;
	}
	proc_owner(r->owner);
	r->own = (struct journal_intent){
		.correlation_id = pp_cid(r->s.ctx), .image = r->s.sel.name, .sha256 = r->s.sel.sha256,
		.content_hash = r->s.sel.content_hash, .caption = r->s.caption.caption,
		.sd_caption = r->s.caption.sd_caption, .owner = r->owner, .n = r->nops,
		.alt_text = r->s.analysis.alt_text,
	};
	for (size_t i = 0; i < r->nops; i++) {
		r->own.platforms[i] = (struct journal_platform){
			.platform = r->ops[i]->name, .outcome = JOURNAL_PENDING,
			.correlation_id = pp_cid(r->s.ctx),
			.caption = approved_override(&r->ap, r->ops[i]->name),
		};
		r->row[i] = i;
	}
	/* What the platforms were sent, for a retry that sends it again. */
	json_t *analysis = analysis_to_json(&r->s.analysis);
	char *analysis_text = json_dumps(analysis, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(analysis);
	r->own.analysis = analysis_text;
	int rc = state_journal_begin(r->env->state, &r->own, &err);
	free(analysis_text);
	r->own.analysis = NULL;
	if (rc < 0)
		return fail(r, PP_ERR_DB, "cannot record the publish intent: %s", err.msg);
	r->j = &r->own;
	return 0;
}

static int stage_publish(struct run *r)
{
	struct workflow_result *out = r->out;
	open_results(r);
	if (r->dry) {
		/* As upstream: each platform succeeds, marked as dry; nothing is sent. */
		for (size_t i = 0; i < r->nops; i++) {
			out->platforms[i].result.success = true;
			out->platforms[i].result.dry_run = true;
		}
		return 0;
	}
	if (r->debug) {
		/* Upstream's debug mode: nothing is sent, every platform reports success. */
		for (size_t i = 0; i < r->nops; i++) {
			out->platforms[i].result.success = true;
			out->platforms[i].result.post_id = xstrdup("debug");
			out->platforms[i].result.debug = true;
		}
		return 0;
	}
	if (journal_begin(r) < 0)
		return -1;
	struct publish_input in;
	stage_publish_input(&r->s, r->ap.ov, r->ap.nov, r->j->correlation_id, &in);
	struct publish_result res[WORKFLOW_MAX_PLATFORMS] = { 0 };
	int64_t t0 = now_monotonic();
	struct publish_observer obs = { .outcome = journal_outcome, .arg = r };
	out->abandoned = publish_parallel_observed(r->env->cfg, r->ops, r->nops, &in,
						   r->env->cfg->publish_timeout, res, &obs);
	r->s.t.ms[STAGE_PUBLISH] = elapsed_ms(t0);
	pp_ctx_time(r->s.ctx, "publish", (double)r->s.t.ms[STAGE_PUBLISH]);
	for (size_t i = 0; i < r->nops; i++)
		out->platforms[i].result = res[i];
	return 0;
}

/* The run finishes the resumed intent: its image, and only the platforms
 * to send again (enabled: intent_recover checked). Returns the image. */
static const char *resume_platforms(struct run *r)
{
	const struct journal_intent *j = r->rec.resume;
	r->nops = 0;
	for (size_t i = 0; i < j->n && r->nops < WORKFLOW_MAX_PLATFORMS; i++) {
		const struct publisher_ops *ops = publisher_find(j->platforms[i].platform);
		if (!r->rec.resend[i] || !ops)
			continue;
		r->row[r->nops] = i;
		r->ops[r->nops++] = ops;
	}
	return j->image;
}

static bool any_success(const struct workflow_result *out)
{
	for (size_t i = 0; i < out->nplatforms; i++)
		if (out->platforms[i].result.success)
			return true;
	return false;
}

/* The journal's rows take this run's results; then the intent is settled:
 * archived and recorded as posted when a platform has the image, one
 * history row per platform, finished. */
static void stage_settle(struct run *r)
{
	struct workflow_result *out = r->out;
	for (size_t i = 0; i < out->nplatforms; i++) {
		const struct publish_result *p = &out->platforms[i].result;
		struct journal_platform *row = &r->j->platforms[r->row[i]];
		row->outcome = p->success ? JOURNAL_POSTED : JOURNAL_FAILED;
		row->post_id = p->success ? p->post_id : NULL;
		row->url = p->success ? p->url : NULL;
		row->error = p->success ? NULL : publish_error(p);
		row->correlation_id = pp_cid(r->s.ctx);
	}
	struct settle_result s;
	struct pp_error err = { 0 };
	/* A resumed intent keeps its "unknown" platforms: the image may be
	 * there, so it is archived like a posted one. */
	intent_settle(r->env, r->s.ctx, r->j, r->j == r->rec.resume, &s, &err);
	r->s.t.ms[STAGE_ARCHIVE] = s.archive_ms;
	out->archived = s.archived;
	out->archived_as = s.archived_as;
	if (r->j == r->rec.resume)
		r->rec.resume = NULL; /* finished */
}

void workflow_result_keep_caption(struct workflow_result *r, const char *caption,
				  const char *alt_text)
{
	free(r->caption);
	free(r->alt_text);
	r->caption = caption && *caption ? xstrdup(caption) : NULL;
	r->alt_text = alt_text && *alt_text ? xstrdup(alt_text) : NULL;
}

/* ---- the summary lines -------------------------------------------------- */

bool workflow_partial(const struct workflow_result *r)
{
	size_t ok = 0;
	for (size_t i = 0; i < r->nplatforms; i++)
		ok += r->platforms[i].result.success;
	return ok > 0 && ok < r->nplatforms;
}

void workflow_log_timing(const struct workflow_summary *w)
{
	const struct workflow_result *out = w->out;
	const int64_t *ms = w->times->ms;
	struct log_field f[STAGE_COUNT + WORKFLOW_MAX_PLATFORMS + 9];
	char names[WORKFLOW_MAX_PLATFORMS][48];
	size_t n = 0;
	f[n++] = LF_STR("image", out->image);
	/* The stages in table order, the whole run last; each platform's time
	 * after the publish stage's (DESIGN §4 keeps total_ms before them). */
	for (size_t s = 0; s < STAGE_COUNT; s++) {
		f[n++] = LF_MS(stage_defs[s].ms_key, ms[s]);
		observe_stage((enum pp_stage)s, ms[s]);
	}
	for (size_t i = 0; i < w->nops && i < WORKFLOW_MAX_PLATFORMS; i++) {
		snprintf(names[i], sizeof(names[i]), "publish_%s_ms", w->ops[i]->name);
		f[n++] = LF_MS(names[i], i < out->nplatforms ? out->platforms[i].result.duration_ms : -1);
	}
	f[n++] = LF_BOOL("preview_mode", w->preview);
	f[n++] = LF_BOOL("dry_publish", w->dry);
	f[n++] = LF_BOOL("success", out->success);
	f[n++] = LF_STR("error", workflow_error(out));
	if (w->retry_of)
		f[n++] = LF_STR("retry_of", w->retry_of);
	f[n++] = LF_END;
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_timing", pp_cid(w->ctx), f);
}

void workflow_log_complete(const struct workflow_summary *w)
{
	const struct workflow_result *out = w->out;
	json_t *results = workflow_results_json(out);
	struct log_field f[10];
	size_t n = 0;
	f[n++] = LF_BOOL("success", out->success);
	f[n++] = LF_STR("image", out->image);
	f[n++] = LF_BOOL("archived", out->archived);
	f[n++] = LF_STR("archived_as", out->archived_as);
	f[n++] = LF_JSON("results", results);
	f[n++] = LF_BOOL("partial", w->partial);
	f[n++] = LF_STR("error", workflow_error(out));
	f[n++] = LF_STR("alt_text", w->alt_text);
	if (w->retry_of)
		f[n++] = LF_STR("retry_of", w->retry_of);
	f[n++] = LF_END;
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_complete", pp_cid(w->ctx), f);
	json_decref(results);
}

static void log_summary(struct run *r)
{
	r->s.t.ms[STAGE_TOTAL] = elapsed_ms(r->start);
	struct workflow_summary w = {
		.ctx = r->s.ctx, .out = r->out, .times = &r->s.t, .ops = r->ops, .nops = r->nops,
		.preview = r->opts->preview, .dry = r->dry, .alt_text = r->s.analysis.alt_text,
		.partial = !r->dry && !r->debug && workflow_partial(r->out),
	};
	workflow_log_timing(&w);
	workflow_log_complete(&w);
}

int workflow_run(const struct workflow_env *env, const struct workflow_options *opts,
		 struct workflow_result *out)
{
	struct run r = {
		.env = env, .opts = opts, .out = out,
		.dry = opts->dry_publish || opts->preview,
		.debug = opts->debug || env->cfg->debug,
		.start = now_monotonic(),
		.s = { .cfg = env->cfg, .storage = env->storage, .ai = env->ai, .state = env->state,
		       .ctx = opts->ctx,
		       .quarantine = !(opts->dry_publish || opts->preview || opts->debug ||
				       env->cfg->debug) },
	};
	*out = (struct workflow_result){ 0 };
	stage_times_init(&r.s.t);
	choose_publishers(&r);
	log_info(LOGGER, "workflow_start", pp_cid(r.s.ctx),
		 LF_STR("storage", env->storage->ops->name), LF_STR("ai", env->ai->ops->name),
		 LF_BOOL("preview_mode", opts->preview), LF_BOOL("dry_publish", r.dry),
		 LF_BOOL("debug", r.debug), LF_STR("select", opts->select));

	if (r.nops == 0 && !r.dry) {
		fail(&r, PP_ERR_BAD_PLATFORM, "no platform to publish to");
		goto done;
	}
	const char *select = opts->select;
	if (!r.dry && !r.debug) {
		struct pp_error err = { 0 };
		if (intent_recover(env, r.s.ctx, &r.rec, &err) < 0) {
			fail(&r, PP_ERR_DB, "cannot read the publish journal: %s", err.msg);
			goto done;
		}
		/* A run asked for one image posts that one: another's unfinished
		 * post waits for a run that chooses for itself. */
		if (r.rec.resume && select && strcmp(select, r.rec.resume->image))
			r.rec.resume = NULL;
		if (r.rec.resume && claim_resume(&r) < 0)
			goto done;
		if (r.rec.resume) {
			intent_log_resume(r.s.ctx, r.rec.resume);
			select = resume_platforms(&r);
		}
	}
	if (stage_list(&r.s) < 0)
		goto stage_failed;
	if (r.rec.resume && !storage_list_has(&r.s.list, select)) {
		intent_abandon_resume(env, r.s.ctx, &r.rec, "not sent again: the image is no longer "
							   "in the folder");
		select = opts->select;
		r.nops = 0;
		choose_publishers(&r);
	}
	if (stage_select(&r.s, select) < 0)
		goto stage_failed;
	out->image = xstrdup(r.s.sel.name);
	if (stage_vision(&r.s) < 0 || stage_caption(&r.s) < 0)
		goto stage_failed;
	/* A resumed post keeps what its other platforms got. */
	if (r.rec.resume)
		approve_resumed(r.rec.resume, &r.s, &r.ap);
	else if (approve_run(opts, &r.s, r.ops, r.nops, &r.ap, &out->err) < 0)
		goto done;
	stage_sidecar(&r.s, !r.dry && !r.debug);
	if (stage_publish(&r) < 0)
		goto done;
	if (r.dry) {
		out->success = true;
	} else if (any_success(out)) {
		out->success = true;
		if (!r.debug)
			stage_settle(&r);
	} else {
		if (!r.debug)
			stage_settle(&r);
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < out->nplatforms; i++)
			buf_addf(&b, "%s%s: %s", i ? "; " : "", out->platforms[i].name,
				 publish_error(&out->platforms[i].result)
					 ? publish_error(&out->platforms[i].result) : "failed");
		fail(&r, PP_ERR_PUBLISH, "every platform failed (%s)", buf_str(&b));
		buf_release(&b);
	}
	goto done;
stage_failed:
	out->err = r.s.err;
	if (r.rec.resume)
		intent_abandon_resume(env, r.s.ctx, &r.rec, r.s.err.msg);
	if (!out->image && r.s.sel.name)
		out->image = xstrdup(r.s.sel.name); /* selected, then failed (does not decode) */
done:
	out->exit_code = out->success ? 0 : pp_error_exit_code(out->err.kind);
	log_summary(&r);
	if (opts->preview && opts->report) {
		struct preview p = {
			.cfg = env->cfg, .result = out, .image = r.s.sel.name, .sha256 = r.s.sel.sha256,
			.queue_position = r.s.sel.queue_position,
			.bytes = r.s.sel.size, .info = r.s.sel.name ? &r.s.info : NULL,
			.analysis = r.s.caption.caption ? &r.s.analysis : NULL,
			.caption = r.s.caption.caption, .sd_caption = r.s.caption.sd_caption,
			.caption_model = r.s.caption.model, .sidecar = r.s.sidecar_text,
			.image_path = r.s.sel.temp_path, .ops = r.ops, .nops = r.nops, .timings = &r.s.t,
			.overrides = r.ap.ov, .noverrides = r.ap.nov,
			.correlation_id = pp_cid(r.s.ctx),
			.state = env->state, .content_hash = r.s.sel.content_hash, .ai = env->ai,
		};
		preview_write(&p, opts->report);
	}
	workflow_result_keep_caption(out, r.s.caption.caption, r.s.analysis.alt_text);
	stage_ctx_release(&r.s);
	if (r.resume_claim[0]) {
		struct pp_error err = { 0 };
		if (state_claim_release(env->state, r.resume_claim, pp_cid(r.s.ctx), &err) < 0)
			log_error(LOGGER, "state_error", pp_cid(r.s.ctx), LF_STR("error", err.msg));
	}
	recovery_release(&r.rec);
	return out->exit_code;
}
