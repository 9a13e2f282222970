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
	int64_t start;
};

void workflow_result_release(struct workflow_result *r)
{
	free(r->image);
	free(r->archived_as);
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
		json_object_set_new(e, "error", publish_error(p) ? json_string(publish_error(p)) : json_null());
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

static void stage_publish(struct run *r)
{
	struct workflow_result *out = r->out;
	open_results(r);
	if (r->dry) {
		for (size_t i = 0; i < r->nops; i++)
			snprintf(out->platforms[i].result.err.msg,
				 sizeof(out->platforms[i].result.err.msg), "not published (dry publish)");
		return;
	}
	if (r->debug) {
		/* Upstream's debug mode: nothing is sent, every platform reports success. */
		for (size_t i = 0; i < r->nops; i++) {
			out->platforms[i].result.success = true;
			out->platforms[i].result.post_id = xstrdup("debug");
		}
		return;
	}
	struct publish_input in = {
		.ctx = *r->s.ctx,   /* the job keeps its own copy of the id, without the sink */
		.image_path = r->s.sel.temp_path,
		.image_name = r->s.sel.name,
		.sha256 = r->s.sel.sha256,
		.info = &r->s.info,
		.analysis = &r->s.analysis,
		.caption = r->s.caption.caption,
		.sd_caption = r->s.caption.sd_caption,
		.storage = r->env->storage,
	};
	struct publish_result res[WORKFLOW_MAX_PLATFORMS] = { 0 };
	int64_t t0 = now_monotonic();
	out->abandoned = publish_parallel(r->env->cfg, r->ops, r->nops, &in,
					  r->env->cfg->publish_timeout, res);
	r->s.t.ms[STAGE_PUBLISH] = elapsed_ms(t0);
	pp_ctx_time(r->s.ctx, "publish", (double)r->s.t.ms[STAGE_PUBLISH]);
	for (size_t i = 0; i < r->nops; i++)
		out->platforms[i].result = res[i];
}

static bool any_success(const struct workflow_result *out)
{
	for (size_t i = 0; i < out->nplatforms; i++)
		if (out->platforms[i].result.success)
			return true;
	return false;
}

/* Archive, then record the posted hashes. */
static void stage_archive_and_record(struct run *r)
{
	const struct config *cfg = r->env->cfg;
	struct storage *st = r->env->storage;
	struct workflow_result *out = r->out;
	struct pp_error err = { 0 };
	if (cfg->archive_enabled) {
		int64_t t0 = now_monotonic();
		int rc = storage_archive(st, r->s.ctx, r->s.sel.name, &out->archived_as, &err);
		r->s.t.ms[STAGE_ARCHIVE] = elapsed_ms(t0);
		if (rc == 0) {
			out->archived = true;
			log_info(LOGGER, "image_archived", pp_cid(r->s.ctx),
				 LF_STR("image", r->s.sel.name), LF_STR("archived_as", out->archived_as),
				 LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, r->s.t.ms[STAGE_ARCHIVE]));
		} else {
			log_error(LOGGER, "archive_error", pp_cid(r->s.ctx),
				  LF_STR("image", r->s.sel.name), LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, r->s.t.ms[STAGE_ARCHIVE]),
				  LF_STR("error", err.msg));
		}
	}
	/* Once a platform has the image, it is posted whether or not the move
	 * into the archive worked: recording it keeps it from being posted twice. */
	if (state_mark_posted(r->env->state, r->s.sel.sha256,
			      r->s.sel.content_hash[0] ? r->s.sel.content_hash : NULL, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
}

/* One history row per platform that was tried, success or not. */
static void stage_history(struct run *r)
{
	struct workflow_result *out = r->out;
	struct pp_error err = { 0 };
	struct history_row rows[WORKFLOW_MAX_PLATFORMS];
	for (size_t i = 0; i < out->nplatforms; i++) {
		const struct publish_result *p = &out->platforms[i].result;
		rows[i] = (struct history_row){
			.image = r->s.sel.name, .sha256 = r->s.sel.sha256, .platform = out->platforms[i].name,
			.post_id = p->post_id, .success = p->success, .error = publish_error(p),
			.correlation_id = pp_cid(r->s.ctx),
		};
	}
	if (out->nplatforms &&
	    state_add_history(r->env->state, rows, out->nplatforms, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
}

/* ---- the summary lines -------------------------------------------------- */

static void log_summary(struct run *r)
{
	struct workflow_result *out = r->out;
	const int64_t *ms = r->s.t.ms;
	r->s.t.ms[STAGE_TOTAL] = elapsed_ms(r->start);
	struct log_field f[STAGE_COUNT + WORKFLOW_MAX_PLATFORMS + 8];
	char names[WORKFLOW_MAX_PLATFORMS][48];
	size_t n = 0;
	f[n++] = LF_STR("image", out->image);
	/* The stages in table order, the whole run last; each platform's time
	 * after the publish stage's (DESIGN §4 keeps total_ms before them). */
	for (size_t s = 0; s < STAGE_COUNT; s++) {
		f[n++] = LF_MS(stage_defs[s].ms_key, ms[s]);
		observe_stage((enum pp_stage)s, ms[s]);
	}
	for (size_t i = 0; i < r->nops; i++) {
		snprintf(names[i], sizeof(names[i]), "publish_%s_ms", r->ops[i]->name);
		f[n++] = LF_MS(names[i], i < out->nplatforms ? out->platforms[i].result.duration_ms : -1);
	}
	f[n++] = LF_BOOL("preview_mode", r->opts->preview);
	f[n++] = LF_BOOL("dry_publish", r->dry);
	f[n++] = LF_BOOL("success", out->success);
	f[n++] = LF_STR("error", workflow_error(out));
	f[n++] = LF_END;
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_timing",
		 pp_cid(r->s.ctx), f);

	json_t *results = workflow_results_json(out);
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_complete",
		 pp_cid(r->s.ctx),
		 (const struct log_field[]){
			 LF_BOOL("success", out->success), LF_STR("image", out->image),
			 LF_BOOL("archived", out->archived), LF_STR("archived_as", out->archived_as),
			 LF_JSON("results", results), LF_STR("error", workflow_error(out)), LF_END });
	json_decref(results);
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
		       .ctx = opts->ctx },
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
	if (stage_list(&r.s) < 0 || stage_select(&r.s, opts->select) < 0)
		goto stage_failed;
	out->image = xstrdup(r.s.sel.name);
	if (stage_vision(&r.s) < 0 || stage_caption(&r.s) < 0)
		goto stage_failed;
	stage_sidecar(&r.s, !r.dry && !r.debug);
	stage_publish(&r);
	if (r.dry) {
		out->success = true;
	} else if (any_success(out)) {
		out->success = true;
		if (!r.debug) {
			stage_archive_and_record(&r);
			stage_history(&r);
		}
	} else {
		stage_history(&r);
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
	if (!out->image && r.s.sel.name)
		out->image = xstrdup(r.s.sel.name); /* selected, then failed (does not decode) */
done:
	out->exit_code = out->success ? 0 : pp_error_exit_code(out->err.kind);
	log_summary(&r);
	if (opts->preview && opts->report) {
		struct preview p = {
			.cfg = env->cfg, .result = out, .image = r.s.sel.name, .sha256 = r.s.sel.sha256,
			.bytes = r.s.sel.size, .info = r.s.sel.name ? &r.s.info : NULL,
			.analysis = r.s.caption.caption ? &r.s.analysis : NULL,
			.caption = r.s.caption.caption, .sd_caption = r.s.caption.sd_caption,
			.caption_model = r.s.caption.model, .sidecar = r.s.sidecar_text,
			.image_path = r.s.sel.temp_path, .ops = r.ops, .nops = r.nops, .timings = &r.s.t,
			.correlation_id = pp_cid(r.s.ctx),
		};
		preview_write(&p, opts->report);
	}
	stage_ctx_release(&r.s);
	return out->exit_code;
}
