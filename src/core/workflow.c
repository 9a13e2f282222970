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
#include "core/workflow.h"
#include "image/image.h"
#include "publish/parallel.h"
#include "publish/publisher.h"
#include "telemetry/clock.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"

#define LOGGER "workflow"

/* Everything one run holds; released in one place. */
struct run {
	const struct workflow_env *env;
	const struct workflow_options *opts;
	struct workflow_result *out;
	struct pp_ctx ctx;
	bool dry, debug;

	const struct publisher_ops *ops[WORKFLOW_MAX_PLATFORMS];
	size_t nops;

	struct storage_list list;
	struct selection sel;
	struct image_info info;
	struct analysis analysis;
	struct caption_result caption;
	char *sidecar_text;

	int64_t start;
	struct preview_timings t;
};

void workflow_result_release(struct workflow_result *r)
{
	free(r->image);
	free(r->archived_as);
	free(r->error);
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
		json_object_set_new(e, "error", p->error ? json_string(p->error) : json_null());
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

static int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Messages reach stdout as well as the log: no secret in them. */
	free(r->out->error);
	r->out->error = sanitize(tmp);
	return -1;
}

/* ---- stages ------------------------------------------------------------- */

static int stage_list(struct run *r)
{
	struct pp_error err = { 0 };
	struct storage *st = r->env->storage;
	int64_t t0 = now_monotonic();
	int rc = st->ops->list(st, &r->ctx, &r->list, &err);
	r->t.list_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, "cannot list the image folder: %s", err.msg);
	log_info(LOGGER, "images_listed", r->ctx.correlation_id, LF_STR("storage", st->ops->name),
		 LF_INT("count", r->list.n), LF_MS("dropbox_list_images_ms", r->t.list_ms));
	return 0;
}

static int stage_select(struct run *r)
{
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	int rc = selection_choose(r->env->storage, r->env->state, &r->ctx, &r->list,
				  r->opts->select, &r->sel, &err);
	if (rc == 0) {
		r->out->image = xstrdup(r->sel.name);
		/* Refuse a file that is not an image before anything is published. */
		rc = image_probe(r->sel.temp_path, &r->info, &err);
		if (rc < 0) {
			log_error(LOGGER, "image_probe_error", r->ctx.correlation_id,
				  LF_STR("image", r->sel.name), LF_STR("error", err.msg));
			snprintf(err.msg, sizeof(err.msg), "%s is not a decodable image", r->sel.name);
		}
	}
	r->t.select_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, "%s", err.msg);
	log_info(LOGGER, "image_selected", r->ctx.correlation_id, LF_STR("image", r->sel.name),
		 LF_STR("sha256", r->sel.sha256), LF_INT("bytes", r->sel.size),
		 LF_INT("width", r->info.width), LF_INT("height", r->info.height),
		 LF_INT("downloads", r->sel.downloads), LF_MS("image_selection_ms", r->t.select_ms));
	return 0;
}

static int stage_vision(struct run *r)
{
	struct pp_error err = { 0 };
	struct ai *ai = r->env->ai;
	struct storage *st = r->env->storage;
	char *url = NULL;
	int64_t t0 = now_monotonic();
	int rc = 0;
	if (ai->ops->needs_url)
		rc = st->ops->image_url(st, &r->ctx, r->sel.name, r->sel.temp_path, &url, &err);
	if (rc == 0) {
		struct ai_image img = { .name = r->sel.name, .path = r->sel.temp_path, .url = url,
					.sha256 = r->sel.sha256 };
		long ms;
		rc = ai_analyze(ai, &r->ctx, &img, &r->analysis, &ms, &err);
	}
	r->t.vision_ms = elapsed_ms(t0);
	free(url);
	if (rc < 0)
		return fail(r, "image analysis failed: %s", err.msg);
	return 0;
}

static int stage_caption(struct run *r)
{
	struct pp_error err = { 0 };
	const struct config *cfg = r->env->cfg;
	struct caption_spec spec;
	ai_caption_spec(cfg, &spec);
	int64_t t0 = now_monotonic();
	int rc = ai_caption(r->env->ai, &r->ctx, &r->analysis, &spec, cfg->sd_caption_enabled,
			    &r->caption, &err);
	r->t.caption_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, "caption generation failed: %s", err.msg);
	log_info(LOGGER, "caption_generated", r->ctx.correlation_id,
		 LF_INT("caption_length", utf8_strlen(r->caption.caption)),
		 LF_BOOL("has_sd", r->caption.sd_caption && *r->caption.sd_caption),
		 LF_MS("caption_generation_ms", r->t.caption_ms));
	return 0;
}

static char *utc_now(void)
{
	char buf[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* Builds the sidecar text (also for preview) and writes it unless dry. */
static void stage_sidecar(struct run *r)
{
	const struct config *cfg = r->env->cfg;
	struct storage *st = r->env->storage;
	if (!r->caption.sd_caption || !*r->caption.sd_caption)
		return;
	struct storage_meta meta = { 0 };
	struct pp_error err = { 0 };
	bool dropbox = cfg->backend == STORAGE_DROPBOX;
	int64_t t0 = now_monotonic();
	if (dropbox && !r->dry && !r->debug && st->ops->metadata)
		st->ops->metadata(st, &r->ctx, r->sel.name, &meta, &err);
	char *created = utc_now();
	struct sidecar_fields f = {
		.image_file = r->sel.name,
		.dropbox_file_id = meta.id,
		.dropbox_rev = meta.rev,
		.sha256 = r->sel.sha256,
		.created = created,
		.sd_caption_version = "v1.0",
		.model_version = r->caption.model,
		.artist_alias = cfg->artist_alias,
	};
	r->sidecar_text = sidecar_build(r->caption.sd_caption, &f, &r->analysis,
					cfg->extended_metadata_enabled);
	free(created);
	if (r->dry || r->debug)
		return;
	int rc = st->ops->sidecar_write(st, &r->ctx, r->sel.name, r->sidecar_text, &err);
	r->t.sidecar_ms = elapsed_ms(t0);
	if (rc < 0)
		log_error(LOGGER, "sidecar_upload_error", r->ctx.correlation_id,
			  LF_STR("image", r->sel.name), LF_MS("sidecar_write_ms", r->t.sidecar_ms),
			  LF_STR("error", err.msg));
	else
		log_info(LOGGER, "sidecar_upload_complete", r->ctx.correlation_id,
			 LF_STR("image", r->sel.name), LF_MS("sidecar_write_ms", r->t.sidecar_ms),
			 LF_STR("error", NULL));
}

static void stage_publish(struct run *r)
{
	struct workflow_result *out = r->out;
	open_results(r);
	if (r->dry) {
		for (size_t i = 0; i < r->nops; i++)
			out->platforms[i].result.error = xstrdup("not published (dry publish)");
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
		.correlation_id = r->ctx.correlation_id,
		.image_path = r->sel.temp_path,
		.image_name = r->sel.name,
		.sha256 = r->sel.sha256,
		.info = &r->info,
		.analysis = &r->analysis,
		.caption = r->caption.caption,
		.sd_caption = r->caption.sd_caption,
		.storage = r->env->storage,
	};
	struct publish_result res[WORKFLOW_MAX_PLATFORMS] = { 0 };
	int64_t t0 = now_monotonic();
	out->abandoned = publish_parallel(r->env->cfg, r->ops, r->nops, &in,
					  r->env->cfg->publish_timeout, res);
	r->t.publish_ms = elapsed_ms(t0);
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
		int rc = st->ops->archive(st, &r->ctx, r->sel.name, &out->archived_as, &err);
		r->t.archive_ms = elapsed_ms(t0);
		if (rc == 0) {
			out->archived = true;
			log_info(LOGGER, "image_archived", r->ctx.correlation_id,
				 LF_STR("image", r->sel.name), LF_STR("archived_as", out->archived_as),
				 LF_MS("archive_ms", r->t.archive_ms));
		} else {
			log_error(LOGGER, "archive_error", r->ctx.correlation_id,
				  LF_STR("image", r->sel.name), LF_MS("archive_ms", r->t.archive_ms),
				  LF_STR("error", err.msg));
		}
	}
	/* Once a platform has the image, it is posted whether or not the move
	 * into the archive worked: recording it keeps it from being posted twice. */
	if (state_mark_posted(r->env->state, r->sel.sha256,
			      r->sel.content_hash[0] ? r->sel.content_hash : NULL, &err) < 0)
		log_error(LOGGER, "state_error", r->ctx.correlation_id, LF_STR("error", err.msg));
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
			.image = r->sel.name, .sha256 = r->sel.sha256, .platform = out->platforms[i].name,
			.post_id = p->post_id, .success = p->success, .error = p->error,
			.correlation_id = r->ctx.correlation_id,
		};
	}
	if (out->nplatforms &&
	    state_add_history(r->env->state, rows, out->nplatforms, &err) < 0)
		log_error(LOGGER, "state_error", r->ctx.correlation_id, LF_STR("error", err.msg));
}

/* ---- the summary lines -------------------------------------------------- */

static void log_summary(struct run *r)
{
	struct workflow_result *out = r->out;
	int64_t total = elapsed_ms(r->start);
	r->t.total_ms = total;
	struct log_field f[24 + WORKFLOW_MAX_PLATFORMS];
	char names[WORKFLOW_MAX_PLATFORMS][48];
	size_t n = 0;
	f[n++] = LF_STR("image", out->image);
	f[n++] = LF_MS("dropbox_list_images_ms", r->t.list_ms);
	f[n++] = LF_MS("image_selection_ms", r->t.select_ms);
	f[n++] = LF_MS("vision_analysis_ms", r->t.vision_ms);
	f[n++] = LF_MS("caption_generation_ms", r->t.caption_ms);
	f[n++] = LF_MS("sidecar_write_ms", r->t.sidecar_ms);
	f[n++] = LF_MS("publish_parallel_ms", r->t.publish_ms);
	f[n++] = LF_MS("archive_ms", r->t.archive_ms);
	f[n++] = LF_MS("total_ms", total);
	for (size_t i = 0; i < r->nops; i++) {
		snprintf(names[i], sizeof(names[i]), "publish_%s_ms", r->ops[i]->name);
		f[n++] = LF_MS(names[i], i < out->nplatforms ? out->platforms[i].result.duration_ms : -1);
	}
	f[n++] = LF_BOOL("preview_mode", r->opts->preview);
	f[n++] = LF_BOOL("dry_publish", r->dry);
	f[n++] = LF_BOOL("success", out->success);
	f[n++] = LF_STR("error", out->error);
	f[n++] = LF_END;
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_timing",
		 r->ctx.correlation_id, f);

	json_t *results = workflow_results_json(out);
	log_json(out->success ? LOG_INFO : LOG_ERROR, LOGGER, "workflow_complete",
		 r->ctx.correlation_id,
		 (const struct log_field[]){
			 LF_BOOL("success", out->success), LF_STR("image", out->image),
			 LF_BOOL("archived", out->archived), LF_STR("archived_as", out->archived_as),
			 LF_JSON("results", results), LF_STR("error", out->error), LF_END });
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
		.t = PREVIEW_TIMINGS_INIT,
	};
	*out = (struct workflow_result){ 0 };
	if (opts->correlation_id)
		snprintf(out->correlation_id, sizeof(out->correlation_id), "%s", opts->correlation_id);
	else
		uuid4(out->correlation_id);
	r.ctx.correlation_id = out->correlation_id;
	choose_publishers(&r);
	log_info(LOGGER, "workflow_start", r.ctx.correlation_id,
		 LF_STR("storage", env->storage->ops->name), LF_STR("ai", env->ai->ops->name),
		 LF_BOOL("preview_mode", opts->preview), LF_BOOL("dry_publish", r.dry),
		 LF_BOOL("debug", r.debug), LF_STR("select", opts->select));

	if (r.nops == 0 && !r.dry) {
		fail(&r, "no platform to publish to");
		goto done;
	}
	if (stage_list(&r) < 0 || stage_select(&r) < 0)
		goto done;
	if (opts->analysis) {
		/* The caller already has the analysis (web: analyze, then publish). */
		r.analysis = *opts->analysis;
		*opts->analysis = (struct analysis){ 0 };
	} else if (stage_vision(&r) < 0) {
		goto done;
	}
	if (stage_caption(&r) < 0)
		goto done;
	stage_sidecar(&r);
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
				 out->platforms[i].result.error ? out->platforms[i].result.error : "failed");
		fail(&r, "every platform failed (%s)", buf_str(&b));
		buf_release(&b);
	}
done:
	out->exit_code = out->success ? 0 : 1;
	log_summary(&r);
	if (opts->preview && opts->report) {
		struct preview p = {
			.cfg = env->cfg, .result = out, .image = r.sel.name, .sha256 = r.sel.sha256,
			.bytes = r.sel.size, .info = r.sel.name ? &r.info : NULL,
			.analysis = r.caption.caption ? &r.analysis : NULL,
			.caption = r.caption.caption, .sd_caption = r.caption.sd_caption,
			.caption_model = r.caption.model, .sidecar = r.sidecar_text,
			.image_path = r.sel.temp_path, .ops = r.ops, .nops = r.nops, .timings = &r.t,
			.correlation_id = r.ctx.correlation_id,
		};
		preview_write(&p, opts->report);
	}
	storage_list_release(&r.list);
	selection_release(&r.sel);
	analysis_release(&r.analysis);
	caption_result_release(&r.caption);
	free(r.sidecar_text);
	return out->exit_code;
}
