/* approve.h - what a run publishes once its caption is generated: the
 * caption and alt text a person approved (workflow_options), an edit of
 * the caption, the platforms' own captions; or, for a run that finishes an
 * interrupted post, what that post had approved (the journal). */
#ifndef PHOTOPUB_CORE_APPROVE_H
#define PHOTOPUB_CORE_APPROVE_H

#include "caption/approval.h"
#include "core/stages.h"
#include "core/workflow.h"
#include "publish/publisher.h"
#include "state/state.h"

struct approved {
	/* The platforms' own captions; platform names are static, captions
	 * point into the options or the journal (both outlive the run). */
	struct caption_override ov[WORKFLOW_MAX_PLATFORMS];
	size_t nov;
	const char *source;          /* "generated", "given", "edited", "resumed" */
};

/* Applies opts to s: the given caption into s->caption.caption, the given
 * alt text into s->analysis.alt_text, then opts->edit; the overrides of the
 * platforms in ops into *out. Logs `caption_approved`. -1 with err filled
 * when the edit aborts the run (s unchanged but for what was applied). */
int approve_run(const struct workflow_options *opts, struct stage_ctx *s,
		const struct publisher_ops *const *ops, size_t nops, struct approved *out,
		struct pp_error *err);

/* What the interrupted post j had: its caption, sd_caption and alt text into
 * s, its platforms' own captions into *out. Logs `caption_approved`. */
void approve_resumed(const struct journal_intent *j, struct stage_ctx *s, struct approved *out);

/* The override of platform in a, or NULL. */
const char *approved_override(const struct approved *a, const char *platform);

#endif
