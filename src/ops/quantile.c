/* quantile.c - the log-linear histogram of quantile.h: bucket layout,
 * nearest-rank percentiles, merging and iteration. */
#include <stdlib.h>
#include <string.h>
#include "ops/quantile.h"
#include "util/buf.h"

#define SUB (1u << HIST_SUB_BITS) /* buckets per octave above the linear region */

static unsigned oct_size(unsigned k)
{
	return k == 0 ? HIST_EXACT_BELOW : SUB;
}

/* Octave and bucket of v. */
static void locate(uint64_t v, unsigned *k, unsigned *idx)
{
	if (v < HIST_EXACT_BELOW) {
		*k = 0;
		*idx = (unsigned)v;
		return;
	}
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS + 1 */
	*k = e - HIST_SUB_BITS;
	*idx = (unsigned)(v >> *k) - SUB;
}

/* Inclusive bounds of bucket idx of octave k. */
static void bounds(unsigned k, unsigned idx, uint64_t *lo, uint64_t *hi)
{
	if (k == 0) {
		*lo = *hi = idx;
		return;
	}
	*lo = (uint64_t)(idx + SUB) << k;
	*hi = *lo + ((uint64_t)1 << k) - 1;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_release(struct hist *h)
{
	for (unsigned k = 0; k < HIST_OCTAVES; k++)
		free(h->oct[k]);
	hist_init(h);
}

static uint64_t *octave(struct hist *h, unsigned k)
{
	if (!h->oct[k])
		h->oct[k] = xcalloc(oct_size(k), sizeof(uint64_t));
	return h->oct[k];
}

void hist_add(struct hist *h, uint64_t v)
{
	unsigned k, idx;
	locate(v, &k, &idx);
	octave(h, k)[idx]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned k = 0; k < HIST_OCTAVES; k++) {
		if (!src->oct[k])
			continue;
		uint64_t *d = octave(dst, k);
		for (unsigned i = 0; i < oct_size(k); i++)
			d[i] += src->oct[k][i];
	}
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t hist_percentile(const struct hist *h, unsigned per_mille)
{
	if (h->count == 0)
		return 0;
	if (per_mille == 0)
		per_mille = 1;
	if (per_mille >= 1000)
		return h->max;
	/* rank = ceil(per_mille * N / 1000), in integers (N < 2^54 here). */
	uint64_t rank = (h->count * per_mille + 999) / 1000;
	if (rank == 0)
		rank = 1;
	uint64_t cum = 0;
	for (unsigned k = 0; k < HIST_OCTAVES; k++) {
		const uint64_t *o = h->oct[k];
		if (!o)
			continue;
		for (unsigned i = 0; i < oct_size(k); i++) {
			cum += o[i];
			if (cum < rank)
				continue;
			uint64_t lo, hi;
			bounds(k, i, &lo, &hi);
			uint64_t v = lo + (hi - lo) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

size_t hist_memory(const struct hist *h)
{
	size_t n = 0;
	for (unsigned k = 0; k < HIST_OCTAVES; k++)
		if (h->oct[k])
			n += oct_size(k) * sizeof(uint64_t);
	return n;
}

bool hist_next(const struct hist *h, struct hist_iter *it)
{
	for (; it->oct < HIST_OCTAVES; it->oct++, it->idx = 0) {
		const uint64_t *o = h->oct[it->oct];
		if (!o)
			continue;
		for (; it->idx < oct_size(it->oct); it->idx++) {
			if (!o[it->idx])
				continue;
			bounds(it->oct, it->idx, &it->lo, &it->hi);
			it->count = o[it->idx];
			it->idx++;
			return true;
		}
	}
	return false;
}
