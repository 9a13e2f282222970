/* quantile.h - latency percentiles in bounded memory: a log-linear histogram.
 *
 * Values are non-negative integers (milliseconds). Values below
 * HIST_EXACT_BELOW each have their own bucket and are exact; above, every
 * power of two is split into 256 equal buckets, so a bucket is at most 1/256
 * of its lower bound wide and the value reported for it (its middle, kept
 * within the exact min and max) is within HIST_REL_ERROR = 1/512 (0.2 %) of
 * any value in it. Buckets are allocated per power of two only when a value
 * falls there, so a histogram costs 4 KiB plus 2 KiB per power of two it
 * touched, whatever the number of values (at most 114 KiB for the whole
 * 64-bit range).
 *
 * Percentiles use the nearest-rank method: the p-th percentile of N values is
 * the value of rank ceil(p/100 * N) (1-based) in sorted order. */
#ifndef PHOTOPUB_OPS_QUANTILE_H
#define PHOTOPUB_OPS_QUANTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 8                               /* 256 buckets per power of two */
#define HIST_EXACT_BELOW (2u << HIST_SUB_BITS)        /* 512: exact below */
#define HIST_OCTAVES (64 - HIST_SUB_BITS)             /* the linear region + 55 octaves */
#define HIST_REL_ERROR (1.0 / (2u << HIST_SUB_BITS))  /* 1/512 */

struct hist {
	uint64_t count;
	uint64_t min, max;     /* exact; meaningful when count > 0 */
	double sum;
	uint64_t *oct[HIST_OCTAVES]; /* oct[0]: 512 exact buckets; oct[k]: 256 buckets of width 2^k */
};

/* A histogram is ready when zeroed: struct hist h = { 0 } or hist_init(). */
void hist_init(struct hist *h);
/* Frees the buckets; h is empty and reusable afterwards. */
void hist_release(struct hist *h);

void hist_add(struct hist *h, uint64_t v);
/* Adds every value of src to dst (src unchanged). */
void hist_merge(struct hist *dst, const struct hist *src);

/* The nearest-rank percentile for per_mille in 1..1000 (950 = p95);
 * 0 when the histogram is empty. */
uint64_t hist_percentile(const struct hist *h, unsigned per_mille);

/* Bytes of bucket memory held. */
size_t hist_memory(const struct hist *h);

/* The non-empty buckets in increasing order: start with it = { 0 }, then
 * while (hist_next(h, &it)) use it.lo, it.hi (inclusive), it.count. */
struct hist_iter {
	unsigned oct, idx;     /* position (internal) */
	uint64_t lo, hi, count;
};
bool hist_next(const struct hist *h, struct hist_iter *it);

#endif
