/* stats.h - latency statistics over photopub logs, in one streaming pass and
 * bounded memory.
 *
 * What is aggregated (lines of our shape, see logline.h, inside the time
 * window):
 *   stages      every `*_ms` number of `workflow_timing` (null is no sample);
 *               a stage's errors are its samples from runs whose `success`
 *               is false (for total_ms: the failed runs);
 *   web         every `web_*_ms` number of the web events (logger `web`,
 *               message `web_…`); events whose name ends in `_error` are errors;
 *   http        `http_request` by "METHOD route STATUSCLASS" (the `route`
 *               template when present, else `path`; "2xx"…), duration_ms;
 *               5xx are errors;
 *   publishers  `publisher_publish` by platform: duration_ms, success / failure
 *               (errors = failures);
 *   cost        `vision_analysis` and `caption_call` by UTC day and model:
 *               tokens and cost_usd (stats_cost.h).
 * Each group holds at most a fixed number of series; what comes after that
 * is added to a series called "(other)". The `storage` of `images_listed`
 * lines names the backends that listed images, for the human label of the
 * listing stage ("list images (local)"). */
#ifndef PHOTOPUB_OPS_STATS_H
#define PHOTOPUB_OPS_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ops/logline.h"
#include "ops/quantile.h"
#include "ops/stats_cost.h"
#include "util/error.h"

#define STATS_OTHER "(other)"
#define STATS_MAX_HTTP 1000   /* distinct http series */
#define STATS_MAX_SERIES 256  /* distinct stages, web events, publishers */
#define STATS_MAX_BACKENDS 4  /* storage backends named in a label */

struct stats_series {
	char *name;
	size_t len;                 /* strlen(name) */
	uint64_t events;            /* lines that touched the series (samples or null) */
	uint64_t errors;
	uint64_t success, failure;  /* publishers */
	struct hist h;              /* the samples, ms */
};

struct stats_group {
	struct stats_series **v;  /* in order of first appearance */
	size_t n, cap;
	size_t limit;             /* series before "(other)" */
	uint64_t overflow;        /* samples that went to "(other)" */
	uint32_t *slots;          /* hash index into v (index + 1; 0 = empty) */
	size_t nslots;
};

struct stats {
	/* input */
	uint64_t lines;           /* every line but blank ones */
	uint64_t not_json, truncated, foreign;
	uint64_t ours, in_window; /* our lines; those inside --since / --until */
	uint64_t bytes;
	int64_t first_ms, last_ms; /* timestamps of the window's lines (when in_window) */
	/* window: lines with since <= timestamp < until count */
	bool has_since, has_until;
	int64_t since_ms, until_ms;
	/* results */
	uint64_t runs, failed_runs;         /* workflow_timing lines */
	uint64_t requests, requests_5xx;    /* http_request lines */
	struct stats_group stages, web, http, publishers;
	struct stats_cost cost;             /* vision_analysis, caption_call lines */
	char backends[STATS_MAX_BACKENDS][24]; /* storage backends met, in order */
	size_t nbackends;
	/* lookup caches (internal) */
	struct stats_series *stage_cache[LL_MAX_MEMBERS];
	struct stats_series *web_cache[LL_MAX_MEMBERS];
};

/* stats_init before use, stats_release after; the window fields may be set
 * between the two, before the first line. */
void stats_init(struct stats *st);
void stats_release(struct stats *st);

/* Classifies and aggregates one line (as logread returns it: s[n] readable
 * and '\n' or '\0'). */
void stats_add_line(struct stats *st, const char *s, size_t n, bool too_long);

/* The same for a line already classified (kind) and parsed (l). Returns
 * true when the line is ours and inside the window. */
bool stats_add_parsed(struct stats *st, enum ll_kind kind, const struct logline *l);

/* Reads a whole input (a path, or NULL / "-" for standard input). -1 with
 * err filled when it cannot be opened or read. */
int stats_read(struct stats *st, const char *path, struct pp_error *err);

/* The series called name, or NULL. nocase compares ASCII case-insensitively. */
const struct stats_series *stats_group_find(const struct stats_group *g, const char *name,
					    bool nocase);

/* The group's series in output order (pipeline order for stages, by name for
 * the others, "(other)" last). The caller frees the array (not the series). */
const struct stats_series **stats_group_sorted(const struct stats_group *g, bool pipeline_order);

/* The backends met, joined by ", " into out ("" when none); returns out. */
const char *stats_backends(const struct stats *st, char *out, size_t cap);

/* Percentiles printed and exported, in per mille. */
extern const unsigned stats_percentiles[4];       /* 500, 900, 950, 990 */
extern const char *const stats_percentile_names[4]; /* "p50", "p90", "p95", "p99" */

/* The aligned terminal report. */
void stats_print(const struct stats *st, FILE *out);
/* The --json object (see docs/operations.md). The caller owns the reference. */
json_t *stats_to_json(const struct stats *st);

#endif
