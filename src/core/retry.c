/* retry.c - one run's image sent again to the platforms it did not reach
 * (retry.h): find the run in the publish journal, choose its platforms,
 * fetch its image from the archive (or the folder, when it never left),
 * publish with what the run had approved, record, archive, summarize. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/approve.h"
#include "core/intent.h"
#include "core/retry.h"
#include "core/stages.h"
#include "image/image.h"
#include "publish/parallel.h"
#include "publish/publisher.h"
#include "storage/content_hash.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define LOGGER "workflow"

/* Everything one retry holds; released in one place. */
struct retry {
	const struct workflow_env *env;
	const struct retry_options *opts;
	struct retry_result *out;
	struct journal_intent *j;
	bool pick[JOURNAL_MAX_PLATFORMS];
	const struct publisher_ops *ops[WORKFLOW_MAX_PLATFORMS];
	size_t row[WORKFLOW_MAX_PLATFORMS];  /* ops[i]'s platform in *j */
	size_t nops;
	struct stage_ctx s;                   /* the image, its analysis and caption */
	struct approved ap;
	bool from_archive;                    /* the image was read from the archive */
	int64_t start;
};

static int fail(struct pp_error *err, enum pp_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills err with the message sanitized: it reaches stdout and the web. */
static int fail(struct pp_error *err, enum pp_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(err->msg)];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	char *clean = sanitize(tmp);
	pp_error_clear(err);
	pp_fail_kind(err, "retry", kind, "%s", clean);
	free(clean);
	return -1;
}

static bool left_to_send(enum journal_outcome o)
{
	/* pending in a finished intent: a retry that was killed while sending */
	return o == JOURNAL_FAILED || o == JOURNAL_UNKNOWN || o == JOURNAL_PENDING;
}

static bool turned_on(const struct config *cfg, const char *platform)
{
	const struct publisher_ops *ops = publisher_find(platform);
	return ops && ops->enabled(cfg);
}

/* "telegram, email" of j's platforms. */
static void names_of(const struct journal_intent *j, struct buf *b)
{
	for (size_t i = 0; i < j->n; i++)
		buf_addf(b, "%s%s", i ? ", " : "", j->platforms[i].platform);
}

static int choose_one(const struct config *cfg, const struct journal_intent *j,
		      const char *platform, bool pick[JOURNAL_MAX_PLATFORMS], struct pp_error *err)
{
	for (size_t i = 0; i < j->n; i++) {
		const struct journal_platform *p = &j->platforms[i];
		if (strcmp(p->platform, platform))
			continue;
		if (p->outcome == JOURNAL_POSTED)
			return fail(err, PP_ERR_CONFLICT,
				    "%s has the post of run %s already (post %s): it is never sent "
				    "twice", platform, j->correlation_id, p->post_id ? p->post_id : "-");
		if (!turned_on(cfg, platform))
			return fail(err, PP_ERR_BAD_PLATFORM,
				    "%s is off in the configuration: turn it on to retry it", platform);
		pick[i] = true;
		return 0;
	}
	struct buf b = BUF_INIT;
	names_of(j, &b);
	fail(err, PP_ERR_BAD_PLATFORM, "%s was not one of the platforms of run %s (%s)", platform,
	     j->correlation_id, buf_str(&b));
	buf_release(&b);
	return -1;
}

int retry_choose(const struct config *cfg, const struct journal_intent *j, const char *platform,
		 bool pick[JOURNAL_MAX_PLATFORMS], struct pp_error *err)
{
	memset(pick, 0, JOURNAL_MAX_PLATFORMS * sizeof(bool));
	if (!j->finished_at)
		return fail(err, PP_ERR_CONFLICT,
			    "run %s is not finished: it is still publishing, or it was interrupted "
			    "and the next `photopub run` settles it first; retry it afterwards",
			    j->correlation_id);
	if (platform)
		return choose_one(cfg, j, platform, pick, err);
	size_t n = 0;
	struct buf off = BUF_INIT;
	for (size_t i = 0; i < j->n; i++) {
		const struct journal_platform *p = &j->platforms[i];
		if (!left_to_send(p->outcome))
			continue;
		if (turned_on(cfg, p->platform)) {
			pick[i] = true;
			n++;
		} else {
			buf_addf(&off, "%s%s", off.len ? ", " : "", p->platform);
		}
	}
	int rc = 0;
	if (n == 0 && off.len)
		rc = fail(err, PP_ERR_CONFLICT, "nothing to retry in run %s: %s did not get the post, "
			  "but is off in the configuration now", j->correlation_id, buf_str(&off));
	else if (n == 0)
		rc = fail(err, PP_ERR_CONFLICT,
			  "nothing to retry in run %s: every platform has the post",
			  j->correlation_id);
	buf_release(&off);
	return rc;
}

/* ---- the image ---------------------------------------------------------- */

/* One place the image may be: the archive under name, or the folder. */
static int fetch_from(struct retry *r, bool archive, const char *name, struct pp_error *err)
{
	struct selection *sel = &r->s.sel;
	char *path = NULL;
	int fd = -1;
	const char *ext = fs_ext(name);
	if (fs_temp_file(*ext && strlen(ext) < 8 ? ext : ".img", &path, &fd, err) < 0)
		return -1;
	int rc = archive ? storage_download_archived(r->env->storage, r->s.ctx, name, fd, err)
			 : storage_download(r->env->storage, r->s.ctx, name, fd, err);
	if (rc == 0)
		rc = hash_fd(fd, sel->sha256, sel->content_hash, err);
	if (rc == 0 && strcmp(sel->sha256, r->j->sha256))
		rc = fail(err, PP_ERR_NOT_FOUND, "%s%s is not the image run %s posted (its bytes "
			  "differ)", archive ? "the archive's " : "", name, r->j->correlation_id);
	if (rc == 0)
		sel->size = lseek(fd, 0, SEEK_END);
	close(fd);
	if (rc < 0) {
		fs_temp_remove(path);
		free(path);
		return -1;
	}
	sel->temp_path = path;
	sel->downloads++;
	r->from_archive = archive;
	return 0;
}

/* Where the image is: in the archive under the name it got there; in the
 * folder when it never left (no platform had it); an intent of an older
 * photopub does not say: the folder, then the archive under its name. */
static int fetch(struct retry *r, struct pp_error *err)
{
	const struct journal_intent *j = r->j;
	int64_t t0 = now_monotonic();
	int rc;
	if (j->archived_as) {
		rc = fetch_from(r, true, j->archived_as, err);
	} else {
		rc = fetch_from(r, false, j->image, err);
		if (rc < 0 && err->kind == PP_ERR_NOT_FOUND && r->env->cfg->archive_enabled) {
			pp_error_clear(err);
			rc = fetch_from(r, true, j->image, err);
		}
	}
	if (rc == 0)
		rc = image_probe(r->s.sel.temp_path, &r->s.info, err);
	r->s.t.ms[STAGE_SELECT] = elapsed_ms(t0);
	if (rc < 0)
		return fail(err, err->kind == PP_ERR_NONE ? PP_ERR_INTERNAL : err->kind,
			    "cannot read the image %s of run %s: %s", j->image, j->correlation_id,
			    err->msg);
	log_info(LOGGER, "image_selected", pp_cid(r->s.ctx), LF_STR("image", j->image),
		 LF_STR("sha256", r->s.sel.sha256), LF_INT("bytes", r->s.sel.size),
		 LF_INT("width", r->s.info.width), LF_INT("height", r->s.info.height),
		 LF_INT("downloads", r->s.sel.downloads), LF_BOOL("from_archive", r->from_archive),
		 LF_MS(stage_defs[STAGE_SELECT].ms_key, r->s.t.ms[STAGE_SELECT]));
	return 0;
}

/* What the run sent: its analysis, then its caption, alt text and the
 * platforms' own captions (approve_resumed). */
static void approved(struct retry *r)
{
	json_t *a = r->j->analysis ? json_loads(r->j->analysis, 0, NULL) : NULL;
	if (a)
		analysis_load_json(a, &r->s.analysis);
	json_decref(a);
	approve_resumed(r->j, &r->s, &r->ap);
}

/* ---- publish and record ------------------------------------------------- */

/* A platform's journal row as res says, sent by the retry cid. */
static void fill_row(struct journal_platform *p, const struct publish_result *res,
		     const char *cid)
{
	p->outcome = res->success ? JOURNAL_POSTED : JOURNAL_FAILED;
	p->post_id = res->success ? res->post_id : NULL;
	p->url = res->success ? res->url : NULL;
	p->error = res->success ? NULL : publish_error(res);
	p->correlation_id = cid;
}

/* Each platform's outcome in the run's journal row as it arrives. */
static void journal_outcome(void *arg, size_t i, const struct publish_result *res)
{
	struct retry *r = arg;
	struct journal_platform p = r->j->platforms[r->row[i]];
	struct pp_error err = { 0 };
	fill_row(&p, res, pp_cid(r->s.ctx));
	if (state_journal_set(r->env->state, r->j->id, &p, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
}

static int publish(struct retry *r)
{
	struct workflow_result *out = &r->out->wr;
	struct pp_error err = { 0 };
	/* Pending first: a retry killed while sending leaves them to retry. */
	for (size_t i = 0; i < r->nops; i++) {
		struct journal_platform *p = &r->j->platforms[r->row[i]];
		p->outcome = JOURNAL_PENDING;
		p->correlation_id = pp_cid(r->s.ctx);
		if (state_journal_set(r->env->state, r->j->id, p, &err) < 0)
			return fail(&out->err, PP_ERR_DB, "cannot record the retry: %s", err.msg);
	}
	out->nplatforms = r->nops;
	for (size_t i = 0; i < r->nops; i++) {
		out->platforms[i].name = r->ops[i]->name;
		out->platforms[i].result.duration_ms = -1;
	}
	struct publish_input in;
	stage_publish_input(&r->s, r->ap.ov, r->ap.nov, r->j->correlation_id, &in);
	struct publish_result res[WORKFLOW_MAX_PLATFORMS] = { 0 };
	struct publish_observer obs = { .outcome = journal_outcome, .arg = r };
	int64_t t0 = now_monotonic();
	out->abandoned = publish_parallel_observed(r->env->cfg, r->ops, r->nops, &in,
						   r->env->cfg->publish_timeout, res, &obs);
	r->s.t.ms[STAGE_PUBLISH] = elapsed_ms(t0);
	pp_ctx_time(r->s.ctx, "publish", (double)r->s.t.ms[STAGE_PUBLISH]);
	for (size_t i = 0; i < r->nops; i++) {
		out->platforms[i].result = res[i];
		fill_row(&r->j->platforms[r->row[i]], &out->platforms[i].result, pp_cid(r->s.ctx));
		out->success = out->success || res[i].success;
	}
	return 0;
}

/* An image no platform had until now leaves the folder like after a run;
 * then the history rows of the platforms sent, in one transaction. */
static void record(struct retry *r)
{
	struct workflow_result *out = &r->out->wr;
	const struct config *cfg = r->env->cfg;
	struct pp_error err = { 0 };
	if (out->success && !r->from_archive && cfg->archive_enabled) {
		int64_t t0 = now_monotonic();
		int rc = storage_archive(r->env->storage, r->s.ctx, r->j->image, &out->archived_as,
					 &err);
		r->s.t.ms[STAGE_ARCHIVE] = elapsed_ms(t0);
		if (rc == 0) {
			out->archived = true;
			log_info(LOGGER, "image_archived", pp_cid(r->s.ctx), LF_STR("image", r->j->image),
				 LF_STR("archived_as", out->archived_as),
				 LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, r->s.t.ms[STAGE_ARCHIVE]));
			if (state_journal_set_archived(r->env->state, r->j->id, out->archived_as,
						       &err) < 0)
				log_error(LOGGER, "state_error", pp_cid(r->s.ctx),
					  LF_STR("error", err.msg));
		} else {
			log_error(LOGGER, "archive_error", pp_cid(r->s.ctx), LF_STR("image", r->j->image),
				  LF_MS(stage_defs[STAGE_ARCHIVE].ms_key, r->s.t.ms[STAGE_ARCHIVE]),
				  LF_STR("error", err.msg));
		}
		pp_error_clear(&err);
	}
	/* The rows sent, alone: the others keep the history they have. */
	struct journal_intent sent = *r->j;
	sent.n = 0;
	for (size_t i = 0; i < r->nops; i++) {
		sent.platforms[sent.n++] = r->j->platforms[r->row[i]];
		/* a platform past its time limit was never told: failed, as in a run */
		if (state_journal_set(r->env->state, r->j->id, &r->j->platforms[r->row[i]], &err) < 0) {
			log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
			pp_error_clear(&err);
		}
	}
	if (intent_record(r->env->state, &sent, out->success, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(r->s.ctx), LF_STR("error", err.msg));
	size_t posted = 0;
	for (size_t i = 0; i < r->j->n; i++)
		posted += r->j->platforms[i].outcome == JOURNAL_POSTED;
	r->out->partial = posted > 0 && posted < r->j->n;
}

/* The platforms picked, in the order of the publishers table. */
static void open_platforms(struct retry *r)
{
	for (size_t i = 0; i < r->j->n && r->nops < WORKFLOW_MAX_PLATFORMS; i++) {
		const struct publisher_ops *ops = publisher_find(r->j->platforms[i].platform);
		if (!r->pick[i] || !ops)
			continue;
		r->row[r->nops] = i;
		r->ops[r->nops++] = ops;
	}
}

static void log_start(const struct retry *r)
{
	json_t *names = json_array();
	for (size_t i = 0; i < r->nops; i++)
		json_array_append_new(names, json_string(r->ops[i]->name));
	log_info(LOGGER, "retry_start", pp_cid(r->s.ctx), LF_STR("retry_of", r->j->correlation_id),
		 LF_STR("image", r->j->image), LF_STR("archived_as", r->j->archived_as),
		 LF_JSON("platforms", names));
	json_decref(names);
}

static void log_summary(struct retry *r)
{
	r->s.t.ms[STAGE_TOTAL] = elapsed_ms(r->start);
	struct workflow_summary w = {
		.ctx = r->s.ctx, .out = &r->out->wr, .times = &r->s.t, .ops = r->ops,
		.nops = r->nops, .alt_text = r->s.analysis.alt_text, .partial = r->out->partial,
		.retry_of = r->out->retry_of,
	};
	workflow_log_timing(&w);
	workflow_log_complete(&w);
}

static int find_run(struct retry *r, struct pp_error *err)
{
	const char *run = r->opts->run;
	if (run && !*run)
		return fail(err, PP_ERR_INVALID, "the run's correlation id is empty");
	if (state_journal_find(r->env->state, run, run && strlen(run) >= RETRY_PREFIX_MIN, &r->j,
			       err) < 0) {
		if (err->kind == PP_ERR_NOT_FOUND && run && strlen(run) < RETRY_PREFIX_MIN)
			return fail(err, PP_ERR_NOT_FOUND, "%s (give the whole correlation id, or at "
				    "least its first %d characters)", err->msg, RETRY_PREFIX_MIN);
		return fail(err, err->kind, "%s", err->msg);
	}
	return 0;
}

int retry_run(const struct workflow_env *env, const struct retry_options *opts,
	      struct retry_result *out)
{
	struct retry r = {
		.env = env, .opts = opts, .out = out, .start = now_monotonic(),
		.s = { .cfg = env->cfg, .storage = env->storage, .ai = env->ai, .state = env->state,
		       .ctx = opts->ctx },
	};
	*out = (struct retry_result){ 0 };
	struct workflow_result *wr = &out->wr;
	stage_times_init(&r.s.t);
	if (find_run(&r, &wr->err) < 0)
		goto early;
	out->retry_of = xstrdup(r.j->correlation_id);
	wr->image = xstrdup(r.j->image);
	if (retry_choose(env->cfg, r.j, opts->platform, r.pick, &wr->err) < 0)
		goto early;
	open_platforms(&r);
	log_start(&r);
	r.s.sel.name = xstrdup(r.j->image);
	if (fetch(&r, &wr->err) < 0)
		goto done;
	approved(&r);
	if (publish(&r) < 0)
		goto done;
	record(&r);
	if (!wr->success) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < wr->nplatforms; i++)
			buf_addf(&b, "%s%s: %s", i ? "; " : "", wr->platforms[i].name,
				 publish_error(&wr->platforms[i].result)
					 ? publish_error(&wr->platforms[i].result) : "failed");
		fail(&wr->err, PP_ERR_PUBLISH, "every platform failed again (%s)", buf_str(&b));
		buf_release(&b);
	}
done:
	wr->exit_code = wr->success ? 0 : pp_error_exit_code(wr->err.kind);
	log_summary(&r);
	goto out;
early:
	/* Nothing was sent: the reason is the retry's one line. */
	wr->exit_code = pp_error_exit_code(wr->err.kind);
	log_warning(LOGGER, "retry_refused", pp_cid(r.s.ctx), LF_STR("run", opts->run),
		    LF_STR("retry_of", out->retry_of), LF_STR("platform", opts->platform),
		    LF_STR("kind", pp_error_name(wr->err.kind)), LF_STR("error", wr->err.msg));
out:
	workflow_result_keep_caption(wr, r.s.caption.caption, r.s.analysis.alt_text);
	stage_ctx_release(&r.s);
	if (r.j)
		state_journal_release(r.j, 1);
	return wr->exit_code;
}

json_t *retry_result_json(const struct retry_result *r, const char *correlation_id)
{
	json_t *o = json_object();
	json_object_set_new(o, "filename", r->wr.image ? json_string(r->wr.image) : json_null());
	json_object_set_new(o, "results", workflow_results_json(&r->wr));
	json_object_set_new(o, "archived", json_boolean(r->wr.archived));
	json_object_set_new(o, "any_success", json_boolean(r->wr.success));
	json_object_set_new(o, "partial", json_boolean(r->partial));
	json_object_set_new(o, "retry_of", r->retry_of ? json_string(r->retry_of) : json_null());
	json_object_set_new(o, "correlation_id", json_string(correlation_id));
	if (workflow_error(&r->wr))
		json_object_set_new(o, "error", json_string(workflow_error(&r->wr)));
	return o;
}

void retry_result_release(struct retry_result *r)
{
	workflow_result_release(&r->wr);
	free(r->retry_of);
	*r = (struct retry_result){ 0 };
}
