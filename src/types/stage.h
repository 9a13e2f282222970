/* stage.h - the stages of a run, declared once.
 *
 * One row per stage, in pipeline order: its name (the `stage` label of
 * /metrics and the bar of `photopub trace`), its key in `workflow_timing`
 * and the preview (name + "_ms"), and where else it appears. Everything that
 * lists stages — workflow_timing, the preview, /metrics, stats, trace and
 * the waterfall — loops over this table, so a new stage is one row here and
 * the code that runs it. */
#ifndef PHOTOPUB_TYPES_STAGE_H
#define PHOTOPUB_TYPES_STAGE_H

#include <stddef.h>
#include <stdint.h>

/* The publish_<platform>_ms of every platform follow this stage's key. */
#define STAGE_PLATFORMS 1u
/* The whole run: not a step of the pipeline, shown last. */
#define STAGE_WHOLE 2u

/*        id       name                    flags */
#define PP_STAGES(X)                                   \
	X(LIST,    "dropbox_list_images", 0)               \
	X(SELECT,  "image_selection",     0)               \
	X(VISION,  "vision_analysis",     0)               \
	X(CAPTION, "caption_generation",  0)               \
	X(SIDECAR, "sidecar_write",       0)               \
	X(PUBLISH, "publish_parallel",    STAGE_PLATFORMS) \
	X(ARCHIVE, "archive",             0)               \
	X(TOTAL,   "total",               STAGE_WHOLE)

enum pp_stage {
#define X(id, name, flags) STAGE_##id,
	PP_STAGES(X)
#undef X
	STAGE_COUNT
};

struct stage_def {
	const char *name;        /* "vision_analysis" */
	const char *ms_key;      /* "vision_analysis_ms" */
	unsigned flags;
};

extern const struct stage_def stage_defs[STAGE_COUNT];

/* Durations in ms of one run, indexed by enum pp_stage; -1 for a stage
 * that did not run (null in workflow_timing, never 0). */
struct stage_times {
	int64_t ms[STAGE_COUNT];
};

void stage_times_init(struct stage_times *t);

/* The stage whose ms_key is key[0..n), or -1. */
int stage_by_key(const char *key, size_t n);

#endif
