/* svg_chart.h - the inline SVG charts of the HTML report: percentiles over
 * time, a latency histogram, and success / failure bars. Each function
 * appends one <svg> element (with a viewBox, scaled by CSS) to out; every
 * string taken from the logs is escaped. */
#ifndef PHOTOPUB_OPS_SVG_CHART_H
#define PHOTOPUB_OPS_SVG_CHART_H

#include <stddef.h>
#include <stdint.h>
#include "ops/quantile.h"
#include "util/buf.h"

#define CHART_W 560
#define CHART_H 240

struct chart_line {
	const char *label;     /* "p95" */
	const char *color;     /* "#d97706" */
	const double *y;       /* one value per point, in ms */
};

struct time_chart {
	const char *title;     /* accessible name of the chart */
	size_t npoints;
	const int64_t *t_ms;   /* start of each point's bucket, increasing */
	int64_t t_min_ms, t_max_ms; /* the x domain: first and last bucket start */
	int64_t step_ms;       /* bucket width */
	const struct chart_line *lines;
	size_t nlines;
};

/* Buckets with a value up to which the time chart draws bars, not lines. */
#define CHART_FEW_POINTS 6

/* Lines of percentiles over time; consecutive buckets are joined, a
 * missing bucket breaks the line. With at most CHART_FEW_POINTS buckets
 * that hold a value: a bar per line and bucket, with its point and value. */
void svg_time_chart(struct buf *out, const struct time_chart *c);

/* The distribution of h's values (log scale beyond 60 ms) with dashed
 * markers at p50 / p95 / p99. */
void svg_histogram(struct buf *out, const char *title, const struct hist *h);

struct bar_row {
	const char *label;
	uint64_t ok, fail;
};

/* One horizontal bar per row: successes and failures stacked. */
void svg_bars(struct buf *out, const char *title, const struct bar_row *rows, size_t n);

#endif
