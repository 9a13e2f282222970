/* stages.c - list, select, vision, caption and sidecar: the stages shared
 * by a run and by the web's analyze route. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "caption/format.h"
#include "caption/sidecar.h"
#include "core/stages.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"

#define LOGGER "workflow"

static int fail(struct stage_ctx *r, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct stage_ctx *r, const char *kind, const char *fmt, ...)
{
	va_list ap;
	snprintf(r->error_kind, sizeof(r->error_kind), "%s", kind);
	char tmp[1024];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Messages reach stdout and web replies as well as the log. */
	free(r->error);
	r->error = sanitize(tmp);
	return -1;
}


int stage_list(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	struct storage *st = r->storage;
	int64_t t0 = now_monotonic();
	int rc = st->ops->list(st, &r->ctx, &r->list, &err);
	r->t.list_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, "storage", "cannot list the image folder: %s", err.msg);
	log_info(LOGGER, "images_listed", r->ctx.correlation_id, LF_STR("storage", st->ops->name),
		 LF_INT("count", r->list.n), LF_MS("dropbox_list_images_ms", r->t.list_ms));
	return 0;
}

int stage_select(struct stage_ctx *r, const char *select)
{
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	int rc = selection_choose(r->storage, r->state, &r->ctx, &r->list,
				  select, &r->sel, &err);
	const char *kind = err.kind[0] ? err.kind : "storage";
	if (rc == 0) {
		/* Refuse a file that is not an image before anything is published. */
		rc = image_probe(r->sel.temp_path, &r->info, &err);
		if (rc < 0) {
			log_error(LOGGER, "image_probe_error", r->ctx.correlation_id,
				  LF_STR("image", r->sel.name), LF_STR("error", err.msg));
			snprintf(err.msg, sizeof(err.msg), "%s is not a decodable image", r->sel.name);
			kind = "undecodable";
		}
	}
	r->t.select_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, kind, "%s", err.msg);
	log_info(LOGGER, "image_selected", r->ctx.correlation_id, LF_STR("image", r->sel.name),
		 LF_STR("sha256", r->sel.sha256), LF_INT("bytes", r->sel.size),
		 LF_INT("width", r->info.width), LF_INT("height", r->info.height),
		 LF_INT("downloads", r->sel.downloads), LF_MS("image_selection_ms", r->t.select_ms));
	return 0;
}

int stage_vision(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	struct ai *ai = r->ai;
	struct storage *st = r->storage;
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
		return fail(r, "ai", "image analysis failed: %s", err.msg);
	return 0;
}

int stage_caption(struct stage_ctx *r)
{
	struct pp_error err = { 0 };
	const struct config *cfg = r->cfg;
	struct caption_spec spec;
	ai_caption_spec(cfg, &spec);
	int64_t t0 = now_monotonic();
	int rc = ai_caption(r->ai, &r->ctx, &r->analysis, &spec, cfg->sd_caption_enabled,
			    &r->caption, &err);
	r->t.caption_ms = elapsed_ms(t0);
	if (rc < 0)
		return fail(r, "ai", "caption generation failed: %s", err.msg);
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

int stage_sidecar(struct stage_ctx *r, bool write)
{
	const struct config *cfg = r->cfg;
	struct storage *st = r->storage;
	if (!r->caption.sd_caption || !*r->caption.sd_caption)
		return 0;
	struct storage_meta meta = { 0 };
	struct pp_error err = { 0 };
	bool dropbox = cfg->backend == STORAGE_DROPBOX;
	int64_t t0 = now_monotonic();
	if (dropbox && write && st->ops->metadata)
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
	if (!write)
		return 0;
	int rc = st->ops->sidecar_write(st, &r->ctx, r->sel.name, r->sidecar_text, &err);
	r->t.sidecar_ms = elapsed_ms(t0);
	if (rc < 0) {
		log_error(LOGGER, "sidecar_upload_error", r->ctx.correlation_id,
			  LF_STR("image", r->sel.name), LF_MS("sidecar_write_ms", r->t.sidecar_ms),
			  LF_STR("error", err.msg));
		return -1;
	}
	log_info(LOGGER, "sidecar_upload_complete", r->ctx.correlation_id,
		 LF_STR("image", r->sel.name), LF_MS("sidecar_write_ms", r->t.sidecar_ms),
		 LF_STR("error", NULL));
	return 0;
}

void stage_ctx_release(struct stage_ctx *s)
{
	storage_list_release(&s->list);
	selection_release(&s->sel);
	analysis_release(&s->analysis);
	caption_result_release(&s->caption);
	free(s->sidecar_text);
	free(s->error);
	s->sidecar_text = s->error = NULL;
}
