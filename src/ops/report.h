/* report.h - what `photopub report` gathers from logs in one pass: the
 * statistics of stats.h, every stage / web event / HTTP endpoint as a series
 * of time buckets (each a histogram), and the slowest runs and requests.
 *
 * Time buckets are an hour while the logs span at most 3 days, a day up to
 * 120 days, a week beyond; when the span grows past a limit the buckets
 * already filled are merged into the coarser ones, so memory stays bounded
 * by the number of series times at most ~120 buckets.
 *
 * What went wrong (report_failed.c): the newest REPORT_FAILED failed runs
 * (success false in workflow_timing), each with the stage or platforms
 * that failed, its error and its warning / error lines (kept from a ring of
 * the latest such lines, with images_listed), and every platform's failure reasons counted
 * (publisher_publish lines with success false, by error_kind, else by the
 * error's text). */
#ifndef PHOTOPUB_OPS_REPORT_H
#define PHOTOPUB_OPS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "ops/logline.h"
#include "ops/quantile.h"
#include "ops/stats.h"
#include "util/buf.h"
#include "util/error.h"

#define REPORT_TOP 10          /* slowest runs / requests kept */
#define REPORT_MAX_SERIES 200  /* time series (stages + web events + endpoints) */
#define REPORT_FAILED 20       /* failed runs listed, newest first */
#define REPORT_RUN_LINES 30    /* lines kept per listed failed run */
#define REPORT_RECENT 512      /* latest warning / error lines, to find a run's */
#define REPORT_REASONS 64      /* distinct (platform, reason) pairs counted */

enum report_kind { RK_STAGE, RK_WEB, RK_HTTP };

struct tbucket {
	int64_t key;               /* bucket start / granularity */
	struct hist h;
};

struct tseries {
	char *name;                /* "total_ms", "web_analyze_ms", "GET /api/images/random" */
	enum report_kind kind;
	uint64_t errors;
	struct hist all;
	struct tbucket *b;         /* sorted by key */
	size_t n, cap;
};

struct slow {
	int64_t ms, ts_ms;
	bool ok;
	char cid[130];
	char what[160];            /* image, or "METHOD path" */
	char detail[200];          /* the error, or the status */
};

struct failed_run {
	int64_t ts_ms, total_ms;
	char cid[130];
	char image[160];
	char where[200];           /* the stage ("vision analysis") or platforms that failed */
	char error[300];
	char *lines[REPORT_RUN_LINES]; /* its warning / error lines, then workflow_timing (raw) */
	size_t nlines;
};

struct fail_reason {
	char platform[40];
	char reason[120];          /* error_kind ("rate_limited"), or the error's text */
	char example[300];         /* the newest error of the group */
	uint64_t count;
};

struct recent_line {
	char *raw;
	char cid[130];
};

struct report {
	struct stats st;
	int64_t gran_ms;           /* bucket width */
	bool have_ts;
	int64_t min_ts, max_ts;
	struct tseries *ts;
	size_t nts, capts;
	uint64_t series_dropped;   /* samples of series past REPORT_MAX_SERIES */
	struct slow runs[REPORT_TOP], reqs[REPORT_TOP];
	size_t nruns, nreqs;
	struct failed_run *failed;  /* REPORT_FAILED slots, nfailed used (any order) */
	size_t nfailed;
	uint64_t failed_seen;       /* every failed run, listed or not (a listed id once) */
	struct fail_reason *reasons; /* REPORT_REASONS slots */
	size_t nreasons;
	uint64_t reasons_other;     /* failures past REPORT_REASONS distinct reasons */
	struct recent_line *recent; /* ring of REPORT_RECENT */
	size_t recent_next;
};

/* One line for the failures (report_failed.c): raw is the line as read
 * (n bytes), l its parse. */
void report_failed_line(struct report *r, const struct logline *l, const char *raw, size_t n);
void report_failed_release(struct report *r);
/* The failed runs newest first, into a new array of nfailed pointers
 * (caller frees the array). */
const struct failed_run **report_failed_sorted(const struct report *r);
/* The listed failed run of cid, or NULL. */
const struct failed_run *report_failed_find(const struct report *r, const char *cid);

void report_init(struct report *r);
void report_release(struct report *r);

/* Adds one input (NULL or "-": standard input). */
int report_read(struct report *r, const char *path, struct pp_error *err);

/* Renders the whole HTML document into out (report_html.c). */
void report_html(const struct report *r, struct buf *out);

/* Parts of it (report_html_failed.c): the "What went wrong" section; the
 * time when of run cid, a link to the run's own section when it is a listed
 * failed run; a time as "2026-11-29 07:00:00". */
void report_html_failures(const struct report *r, struct buf *out);
void report_html_run_time(struct buf *out, const struct report *r, const char *cid,
			  const char *when);
void report_fmt_time(int64_t ms, char *out, size_t cap);

#endif
