/* stages.h - the stages one image goes through before it is published:
 * list, select (download + decode check), vision, caption, sidecar. The run
 * orchestrator (workflow.c) and the web server's analyze route both call
 * these, so the pipeline exists once. Each stage times itself into
 * s->t and writes its own event line; a failing stage fills s->error. */
#ifndef PHOTOPUB_CORE_STAGES_H
#define PHOTOPUB_CORE_STAGES_H

#include <stdbool.h>
#include "ai/ai.h"
#include "config/config.h"
#include "types/models.h"
#include "types/stage.h"
#include "core/queue.h"
#include "core/selection.h"
#include "image/image.h"
#include "state/state.h"
#include "storage/storage.h"

struct stage_ctx {
	/* set by the caller */
	const struct config *cfg;
	struct storage *storage;
	struct ai *ai;
	struct state *state;
	const struct pp_ctx *ctx;    /* the run's or the request's */
	bool quarantine;             /* set undecodable images aside (a run that posts);
					otherwise they are only skipped */

	/* filled by the stages; released by stage_ctx_release */
	struct storage_list list;
	struct queue queue;          /* the posting queue of list (a run without select) */
	struct selection sel;
	struct image_info info;
	struct analysis analysis;
	struct caption_result caption;
	char *image_url;             /* the AI's reference to the image, when it needs one */
	char *sidecar_text;
	struct pp_error err;         /* why a stage failed; msg sanitized: safe for
					stdout and the web */
	struct stage_times t;        /* -1 for a stage that did not run */
	unsigned quarantined;        /* images set aside while selecting */
};

/* Lists the folder into s->list. */
int stage_list(struct stage_ctx *s);
/* Chooses (select: exactly that name; else the head of the posting queue,
 * which a writable state stores first) and downloads the image, checks
 * that it decodes, and makes the AI's reference to it when the AI needs one. */
int stage_select(struct stage_ctx *s, const char *select);
/* The AI's description of the selected image. */
int stage_vision(struct stage_ctx *s);
/* Caption and sd_caption. */
int stage_caption(struct stage_ctx *s);
/* Builds the sidecar text; writes it unless write is false. A write failure
 * is logged, not fatal: returns -1 only so callers can report it. */
int stage_sidecar(struct stage_ctx *s, bool write);

struct publish_input;
struct caption_override;

/* What the platforms are sent of s: its selected image (temp copy, name,
 * hash, info), analysis, caption and alt text, the platforms' own captions
 * ov[0..nov) and the run that first sent the post. Points into s. */
void stage_publish_input(const struct stage_ctx *s, const struct caption_override *ov,
			 size_t nov, const char *first_correlation_id, struct publish_input *in);

void stage_ctx_release(struct stage_ctx *s);

#endif
