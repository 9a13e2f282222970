/* stage.h - the stages of a run, declared once.
 *
 * One row per stage, in pipeline order: its name (the `stage` label of
 * /metrics and the bar of `photopub trace`), its key in `workflow_timing`
 * and the preview (name + "_ms"), and where else it appears. Everything that
 * lists stages — workflow_timing, the preview, /metrics, stats, trace and
 * the waterfall — loops over this table, so a new stage is one row here and
 * the code that runs it. Human output (the preview, stats, trace, report)
 * shows a stage's label instead of its key: stage_label. */
#ifndef PHOTOPUB_TYPES_STAGE_H
#define PHOTOPUB_TYPES_STAGE_H

#include <stddef.h>
#include <stdint.h>

/* The publish_<platform>_ms of every platform follow this stage's key. */
#define STAGE_PLATFORMS 1u
/* The whole run: not a step of the pipeline, shown last. */
#define STAGE_WHOLE 2u
/* Run by the storage backend: its label names it, "list images (local)". */
#define STAGE_BACKEND 4u

/*        id       name                   label                  flags */
#define PP_STAGES(X)                                                          \
	X(LIST,    "dropbox_list_images", "list images",        STAGE_BACKEND)   \
	X(SELECT,  "image_selection",     "select image",       0)               \
	X(VISION,  "vision_analysis",     "vision analysis",    0)               \
	X(CAPTION, "caption_generation",  "generate caption",   0)               \
	X(SIDECAR, "sidecar_write",       "write sidecar",      0)               \
	X(PUBLISH, "publish_parallel",    "publish (parallel)", STAGE_PLATFORMS) \
	X(ARCHIVE, "archive",             "archive",            0)               \
	X(TOTAL,   "total",               "total",              STAGE_WHOLE)

enum pp_stage {
#define X(id, name, label, flags) STAGE_##id,
	PP_STAGES(X)
#undef X
	STAGE_COUNT
};

struct stage_def {
	const char *name;        /* "vision_analysis" */
	const char *ms_key;      /* "vision_analysis_ms" */
	const char *label;       /* "vision analysis": for people */
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

/* The human label of the workflow_timing key key[0..n) (or of a stage's
 * name, without "_ms"), written into out (cap bytes) and returned:
 * "vision analysis"; "list images (local)" for a STAGE_BACKEND stage when
 * backend is known (NULL or "": "list images"); "publish telegram" for
 * publish_telegram_ms; any other key as it is. */
const char *stage_label(const char *key, size_t n, const char *backend, char *out, size_t cap);

#endif
