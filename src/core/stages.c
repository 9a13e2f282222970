/* stages.c - list, select, vision, caption and sidecar: the stages shared
 * by a run and by the web's analyze route. Each stage's duration is taken
 * once, here, or from the facade whose one call the stage is (the AI's). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "caption/format.h"
#include "caption/sidecar.h"
#include "core/stages.h"
#include "publish/publisher.h"
#include "publish/session_store.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"

#define LOGGER "workflow"

static int fail(struct stage_ctx *r, const struct pp_error *cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills r->err: the cause's kind, where and retry_after, and the message
 * formatted (it may quote the cause's) and sanitized, since it reaches
 * stdout and web replies as well as the log. */
static int fail(struct stage_ctx *r, const struct pp_error *cause, const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(r->err.msg)];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	r->err = *cause;
	if (r->err.kind == PP_ERR_NONE)
		r->err.kind = PP_ERR_INTERNAL;
	char *clean = sanitize(tmp);
	snprintf(r->err.msg, sizeof(r->err.msg), "%s", clean);
	free(clean);
	return -1;
}

int stage_list(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	int rc = storage_list(r->storage, r->ctx, &r->list, &err);
	r->t.ms[STAGE_LIST] = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, &err, "cannot list the image folder: %s", err.msg);
	log_info(LOGGER, "images_listed", pp_cid(r->ctx), LF_STR("storage", r->storage->ops->name),
		 LF_INT("count", r->list.n),
		 LF_MS(stage_defs[STAGE_LIST].ms_key, r->t.ms[STAGE_LIST]));
	return 0;
}

/* msg with the private temp copy's path, and then its base name, replaced
 * by the image's name: what the user knows the file as. Caller frees. */
static char *in_image_terms(const struct selection *sel, const char *msg)
{
	const char *path = sel->temp_path, *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *pats[] = { path, base };
	char *cur = xstrdup(msg);
	for (size_t k = 0; k < 2; k++) {
		struct buf b = BUF_INIT;
		size_t n = strlen(pats[k]);
		for (const char *p = cur, *hit; *p; p = hit + n) {
			hit = strstr(p, pats[k]);
			if (!hit) {
				buf_adds(&b, p);
				break;
			}
			buf_add(&b, p, (size_t)(hit - p));
			buf_adds(&b, sel->name);
		}
		free(cur);
		cur = buf_detach(&b);
	}
	return cur;
}

/* Sets the selected image aside: moved to the quarantine folder (unless it
 * is "none"), recorded in state so that nothing offers it again, logged.
 * The listing forgets it. */
static void quarantine(struct stage_ctx *r, const char *reason)
{
	struct pp_error err = { 0 };
	char *moved_to = NULL;
	if (storage_quarantine(r->storage, r->ctx, r->sel.name, &moved_to, &err) < 0)
		log_error(LOGGER, "quarantine_error", pp_cid(r->ctx), LF_STR("image", r->sel.name),
			  LF_STR("error", err.msg));
	struct quarantine_entry q = {
		.sha256 = r->sel.sha256, .content_hash = r->sel.content_hash, .image = r->sel.name,
		.reason = reason, .moved_to = moved_to, .correlation_id = pp_cid(r->ctx),
	};
	bool recorded = state_quarantine_add(r->state, &q, &err) == 0;
	if (!recorded)
		log_error(LOGGER, "state_error", pp_cid(r->ctx), LF_STR("error", err.msg));
	log_warning(LOGGER, "image_quarantined", pp_cid(r->ctx), LF_STR("image", r->sel.name),
		    LF_STR("sha256", r->sel.sha256), LF_STR("reason", reason),
		    LF_STR("moved_to", moved_to), LF_BOOL("recorded", recorded));
	storage_list_remove(&r->list, r->sel.name);
	r->quarantined++;
	free(moved_to);
}

/* Chooses and downloads an image and checks that it decodes. An image that
 * does not (or whose pixels do not match its header) is skipped for the
 * next candidate, unless the caller asked for exactly that one; a run that
 * posts quarantines it too. */
static int choose_decodable(struct stage_ctx *r, const char *select, struct pp_error *err)
{
	for (;;) {
		if (selection_choose(r->storage, r->state, r->ctx, &r->list, select, &r->queue,
				     &r->sel, err) < 0)
			return -1;
		/* Refuse a file that is not an image before anything is published. */
		if (image_probe(r->sel.temp_path, &r->info, err) == 0)
			return 0;
		char *said = in_image_terms(&r->sel, err->msg);
		pp_fail_kind(err, err->where, err->kind, "%s", said);
		free(said);
		log_error(LOGGER, "image_probe_error", pp_cid(r->ctx), LF_STR("image", r->sel.name),
			  LF_STR("error", err->msg));
		/* A type this machine has no decoder for (HEIC without libvips'
		 * heif module) is left where it is, for the next candidate. */
		if (err->kind == PP_ERR_UNSUPPORTED && !select) {
			storage_list_remove(&r->list, r->sel.name);
			selection_release(&r->sel);
			pp_error_clear(err);
			continue;
		}
		/* Anything but the file's fault (the libvips module missing, say)
		 * keeps its own words and sets nothing aside. */
		if (err->kind != PP_ERR_UNDECODABLE)
			return -1;
		if (r->quarantine) {
			char *reason = in_image_terms(&r->sel, err->msg);
			quarantine(r, reason);
			free(reason);
		}
		else
			storage_list_remove(&r->list, r->sel.name); /* a dry run only skips it */
		if (select) {
			pp_fail_kind(err, "workflow", PP_ERR_UNDECODABLE, "%s is not a decodable image%s",
				     r->sel.name, r->quarantine ? " (quarantined)" : "");
			return -1;
		}
		selection_unclaim(r->state, r->ctx, &r->sel);
		selection_release(&r->sel);
		pp_error_clear(err);
	}
}

int stage_select(struct stage_ctx *r, const char *select)
{
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	/* The queue a preview shows is the one this run stores and posts from. */
	int rc = select ? 0 : queue_build(r->state, r->cfg, &r->list, &r->queue, &err);
	if (rc == 0 && !select)
		rc = queue_store(r->state, &r->queue, r->ctx, &err);
	if (rc == 0)
		rc = choose_decodable(r, select, &err);
	/* The reference the AI reads the image from: a temporary link, or a
	 * data: URL of a downscaled copy. */
	if (rc == 0 && r->ai->ops->needs_url &&
	    storage_image_url(r->storage, r->ctx, r->sel.name, r->sel.temp_path, &r->image_url,
			      &err) < 0)
		rc = -1;
	r->t.ms[STAGE_SELECT] = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, &err, "%s", err.msg);
	log_info(LOGGER, "image_selected", pp_cid(r->ctx), LF_STR("image", r->sel.name),
		 LF_STR("sha256", r->sel.sha256), LF_INT("bytes", r->sel.size),
		 LF_INT("width", r->info.width), LF_INT("height", r->info.height),
		 LF_INT("downloads", r->sel.downloads),
		 r->sel.queue_position ? LF_INT("queue_position", r->sel.queue_position)
				       : LF_NULL("queue_position"),
		 LF_MS(stage_defs[STAGE_SELECT].ms_key, r->t.ms[STAGE_SELECT]));
	return 0;
}

int stage_vision(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	struct ai_image img = { .name = r->sel.name, .path = r->sel.temp_path,
				.url = r->image_url, .sha256 = r->sel.sha256 };
	long ms = -1;
	int rc = ai_analyze(r->ai, r->ctx, &img, &r->analysis, &ms, &err);
	r->t.ms[STAGE_VISION] = ms;
	if (rc < 0)
		return fail(r, &err, "image analysis failed: %s", err.msg);
	return 0;
}

int stage_caption(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	const struct config *cfg = r->cfg;
	struct caption_spec spec;
	publisher_caption_spec(cfg, &spec);
	long ms = -1;
	int rc = ai_caption(r->ai, r->ctx, &r->analysis, &spec, cfg->sd_caption_enabled,
			    &r->caption, &ms, &err);
	r->t.ms[STAGE_CAPTION] = ms;
	if (rc < 0)
		return fail(r, &err, "caption generation failed: %s", err.msg);
	log_info(LOGGER, "caption_generated", pp_cid(r->ctx),
		 LF_INT("caption_length", utf8_strlen(r->caption.caption)),
		 LF_BOOL("has_sd", r->caption.sd_caption && *r->caption.sd_caption),
		 LF_MS(stage_defs[STAGE_CAPTION].ms_key, r->t.ms[STAGE_CAPTION]));
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

int stage_sidecar(struct stage_ctx *r, bool write)
{
	const struct config *cfg = r->cfg;
	struct storage *st = r->storage;
	if (!r->caption.sd_caption || !*r->caption.sd_caption)
		return 0;
	struct storage_meta meta = { 0 };
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	if (write && storage_has(st, STORAGE_FILE_IDS))
		storage_metadata(st, r->ctx, r->sel.name, &meta, &err);
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
		.caption = r->caption.caption,
		.alt_text = r->analysis.alt_text,
	};
	r->sidecar_text = sidecar_build(r->caption.sd_caption, &f, &r->analysis,
					cfg->extended_metadata_enabled);
	free(created);
	if (!write)
		return 0;
	int rc = storage_sidecar_write(st, r->ctx, r->sel.name, r->sidecar_text, &err);
	r->t.ms[STAGE_SIDECAR] = elapsed_ms(t0);
	const char *key = stage_defs[STAGE_SIDECAR].ms_key;
	if (rc < 0) {
		log_error(LOGGER, "sidecar_upload_error", pp_cid(r->ctx), LF_STR("image", r->sel.name),
			  LF_MS(key, r->t.ms[STAGE_SIDECAR]), LF_STR("error", err.msg));
		return -1;
	}
	log_info(LOGGER, "sidecar_upload_complete", pp_cid(r->ctx), LF_STR("image", r->sel.name),
		 LF_MS(key, r->t.ms[STAGE_SIDECAR]), LF_STR("error", NULL));
	return 0;
}

void stage_publish_input(const struct stage_ctx *s, const struct caption_override *ov,
			 size_t nov, const char *first_correlation_id, struct publish_input *in)
{
	*in = (struct publish_input){
		.ctx = *s->ctx,   /* the job keeps its own copy of the id, without the sink */
		.image_path = s->sel.temp_path,
		.image_name = s->sel.name,
		.sha256 = s->sel.sha256,
		.info = &s->info,
		.analysis = &s->analysis,
		.caption = s->caption.caption,
		.sd_caption = s->caption.sd_caption,
		.storage = s->storage,
		.alt_text = s->analysis.alt_text,
		.overrides = ov,
		.noverrides = nov,
		.sessions = session_store_state(s->state),
		.first_correlation_id = first_correlation_id,
	};
}

void stage_ctx_release(struct stage_ctx *s)
{
	storage_list_release(&s->list);
	queue_release(&s->queue);
	selection_unclaim(s->state, s->ctx, &s->sel);
	selection_release(&s->sel);
	analysis_release(&s->analysis);
	caption_result_release(&s->caption);
	free(s->image_url);
	free(s->sidecar_text);
	s->image_url = s->sidecar_text = NULL;
}
