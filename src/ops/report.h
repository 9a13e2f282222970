/* report.h - what `photopub report` gathers from logs in one pass: the
 * statistics of stats.h, every stage / web event / HTTP endpoint as a series
 * of time buckets (each a histogram), and the slowest runs and requests.
 *
 * Time buckets are an hour while the logs span at most 3 days, a day up to
 * 120 days, a week beyond; when the span grows past a limit the buckets
 * already filled are merged into the coarser ones, so memory stays bounded
 * by the number of series times at most ~120 buckets. */
#ifndef PHOTOPUB_OPS_REPORT_H
#define PHOTOPUB_OPS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "ops/quantile.h"
#include "ops/stats.h"
#include "util/buf.h"
#include "util/error.h"

#define REPORT_TOP 10          /* slowest runs / requests kept */
#define REPORT_MAX_SERIES 200  /* time series (stages + web events + endpoints) */

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
};

void report_init(struct report *r);
void report_release(struct report *r);

/* Adds one input (NULL or "-": standard input). */
int report_read(struct report *r, const char *path, struct pp_error *err);

/* Renders the whole HTML document into out (report_html.c). */
void report_html(const struct report *r, struct buf *out);

#endif
