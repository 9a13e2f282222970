/* trace.h - everything one correlation id did: its log lines in time order
 * and a waterfall of its stages.
 *
 * Waterfall construction (times in ms from the earliest start):
 *   - an `http_request` line is a bar ending at its timestamp, duration_ms
 *     long; a web event (`web_*` with a `web_*_ms` field) likewise, one
 *     level below it;
 *   - a `workflow_timing` line gives the run: a `total` bar ending at its
 *     timestamp, total_ms long, and the pipeline's stages under it, each
 *     starting where the previous stage that ran ended (start offsets are the
 *     sums of the earlier stages' durations), with the `publish_<platform>`
 *     bars side by side under `publish_parallel`;
 *   - without a workflow_timing line (a web request), every other line that
 *     carries a duration (`vision_analysis_ms`, `caption_generation_ms`,
 *     `sidecar_write_ms`, a publisher's `duration_ms`, …) is a bar ending at
 *     its timestamp, nested under the request.
 * The listing stage's label names the backend of the id's `images_listed`
 * (or `workflow_start`) line: its `storage`. */
#ifndef PHOTOPUB_OPS_TRACE_H
#define PHOTOPUB_OPS_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "util/error.h"

#define TRACE_MAX_LINES 100000 /* lines kept for one id */
#define TRACE_MIN_PREFIX 8      /* shortest id prefix `trace` accepts */
#define TRACE_MAX_IDS 1000      /* distinct ids a prefix may match, counted past it */

struct trace_line {
	int64_t ts_ms;
	uint64_t seq;    /* input order, for a stable sort */
	size_t id;       /* index of its correlation id in trace.ids */
	char *raw;       /* the line as read, NUL-terminated */
	size_t n;
};

struct trace {
	char *id;          /* as given (a prefix) until trace_resolve, then the full id */
	char **ids;        /* the distinct correlation ids starting with it, in order met */
	size_t nids;
	uint64_t ids_dropped; /* distinct ids past TRACE_MAX_IDS */
	struct trace_line *v;
	size_t n, cap;
	uint64_t lines_read;
	uint64_t dropped;  /* lines of the id past TRACE_MAX_LINES */
};

struct wf_bar {
	char name[160];   /* the stage, event or request ("dropbox_list_images") */
	char label[160];  /* name for people (stage_label: "list images (local)") */
	int64_t start_ms, duration_ms;
	int depth;
};

/* trace_init copies id; trace_release frees everything. */
void trace_init(struct trace *t, const char *id);
void trace_release(struct trace *t);

/* Adds the lines whose correlation id starts with t->id found in path (NULL
 * or "-": standard input). */
int trace_read(struct trace *t, const char *path, struct pp_error *err);

/* After the reads, settles on one id: the one equal to t->id if any, else the
 * only one starting with it; keeps only its lines and makes t->id that id.
 * Returns 0, or -1 when the prefix matches several ids (t->ids holds them;
 * err says so). With no match it returns 0 and t->n stays 0. */
int trace_resolve(struct trace *t, struct pp_error *err);

/* Sorts the lines by timestamp, input order among equal ones. */
void trace_sort(struct trace *t);

/* Builds the waterfall of the sorted lines into *bars (caller frees);
 * returns the number of bars. */
size_t trace_waterfall(const struct trace *t, struct wf_bar **bars);

/* The lines, compactly, then the waterfall with bars of `width` columns. */
void trace_print(const struct trace *t, const struct wf_bar *bars, size_t nbars, int width,
		 FILE *out);

/* Just the waterfall: name, start and duration in ms, and a bar of `width`
 * columns on a common time scale. */
void trace_print_waterfall(const struct wf_bar *bars, size_t nbars, int width, FILE *out);

/* {"correlation_id", "lines": [...], "waterfall": [...]}; caller owns it. */
json_t *trace_to_json(const struct trace *t, const struct wf_bar *bars, size_t nbars);

#endif
