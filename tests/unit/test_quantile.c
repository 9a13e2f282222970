/* test_quantile.c - the log-linear histogram: nearest-rank percentiles
 * against exact ones computed by sorting, on several distributions, within
 * the stated relative error; exact min, max and small values; bounded
 * memory; merging and iteration. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ops/quantile.h"
#include "testutil.h"

/* xorshift64*: deterministic, the same on every libc. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0; /* [0, 1) */
}

static double gauss(void)
{
	double u = unif(), v = unif();
	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank on a sorted array: the value of rank ceil(pm/1000 * n). */
static uint64_t exact(const uint64_t *sorted, size_t n, unsigned pm)
{
	size_t rank = (size_t)(((uint64_t)n * pm + 999) / 1000);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static const unsigned per_mille[] = { 1, 10, 100, 250, 500, 750, 900, 950, 990, 999, 1000 };

/* Adds the n values to a histogram and checks every percentile. */
static void check(const char *name, uint64_t *v, size_t n)
{
	struct hist h = { 0 };
	for (size_t i = 0; i < n; i++)
		hist_add(&h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(h.count, n);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[n - 1]);
	assert_int_equal(hist_percentile(&h, 1000), v[n - 1]);
	for (size_t k = 0; k < sizeof(per_mille) / sizeof(*per_mille); k++) {
		uint64_t want = exact(v, n, per_mille[k]), got = hist_percentile(&h, per_mille[k]);
		double err = want ? fabs((double)got - (double)want) / (double)want : (double)got;
		if (want < HIST_EXACT_BELOW && got != want)
			fail_msg("%s p%.1f: %llu, exact %llu (values below %u must be exact)", name,
				 per_mille[k] / 10.0, (unsigned long long)got, (unsigned long long)want,
				 HIST_EXACT_BELOW);
		if (err > HIST_REL_ERROR)
			fail_msg("%s p%.1f: %llu, exact %llu: relative error %.5f > %.5f", name,
				 per_mille[k] / 10.0, (unsigned long long)got, (unsigned long long)want,
				 err, HIST_REL_ERROR);
	}
	/* Bounded memory: at most the exact region and one block per octave. */
	assert_true(hist_memory(&h) <= (HIST_EXACT_BELOW + (HIST_OCTAVES - 1) * 256) * sizeof(uint64_t));
	hist_release(&h);
	assert_int_equal(h.count, 0);
}

#define N 200000

static void test_stated_bound_is_within_one_percent(void **state)
{
	(void)state;
	assert_true(HIST_REL_ERROR <= 0.01);
}

static void test_uniform(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	rng_state = 1;
	for (size_t i = 0; i < N; i++)
		v[i] = rnd() % 3600001; /* 0 ms … 1 h */
	check("uniform", v, N);
	free(v);
}

static void test_lognormal(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	rng_state = 2;
	for (size_t i = 0; i < N; i++)
		v[i] = (uint64_t)llround(1800 * exp(0.6 * gauss()));
	check("log-normal", v, N);
	free(v);
}

static void test_bimodal(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	rng_state = 3;
	for (size_t i = 0; i < N; i++) {
		double x = (rnd() & 1) ? 40 + 8 * gauss() : 5200 + 700 * gauss();
		v[i] = x < 0 ? 0 : (uint64_t)llround(x);
	}
	check("bimodal", v, N);
	free(v);
}

static void test_heavy_tail(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	rng_state = 4;
	for (size_t i = 0; i < N; i++) /* Pareto, alpha 1.1: a few values in the hours */
		v[i] = (uint64_t)llround(20.0 / pow(1.0 - unif(), 1 / 1.1));
	check("heavy tail", v, N);
	free(v);
}

static void test_small_values_exact(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	rng_state = 5;
	for (size_t i = 0; i < N; i++)
		v[i] = rnd() % 512;
	check("0..511", v, N);
	free(v);
}

static void test_constant_and_single(void **state)
{
	(void)state;
	uint64_t *v = malloc(1000 * sizeof(*v));
	for (size_t i = 0; i < 1000; i++)
		v[i] = 777777;
	check("constant", v, 1000);
	/* A constant above the exact region is reported exactly: min and max clamp it. */
	struct hist h = { 0 };
	for (int i = 0; i < 10; i++)
		hist_add(&h, 123457);
	assert_int_equal(hist_percentile(&h, 500), 123457);
	hist_release(&h);

	v[0] = 4242;
	check("single", v, 1);
	v[0] = 0;
	check("single zero", v, 1);
	uint64_t big[2] = { UINT64_MAX, (uint64_t)1 << 62 };
	check("64-bit range", big, 2);
	free(v);
}

static void test_empty(void **state)
{
	(void)state;
	struct hist h = { 0 };
	assert_int_equal(hist_percentile(&h, 500), 0);
	struct hist_iter it = { 0 };
	assert_false(hist_next(&h, &it));
	assert_int_equal(hist_memory(&h), 0);
}

static void test_memory_does_not_grow_with_count(void **state)
{
	(void)state;
	struct hist h = { 0 };
	rng_state = 6;
	for (int i = 0; i < 100000; i++)
		hist_add(&h, rnd() % 3600001);
	size_t after_100k = hist_memory(&h);
	for (int i = 0; i < 2000000; i++)
		hist_add(&h, rnd() % 3600001);
	assert_int_equal(hist_memory(&h), after_100k);
	/* 0 … 1 h touches the exact region and the octaves up to 2^22. */
	assert_true(after_100k <= (512 + 14 * 256) * sizeof(uint64_t));
	hist_release(&h);
}

static void test_merge_equals_single_pass(void **state)
{
	(void)state;
	struct hist a = { 0 }, b = { 0 }, all = { 0 };
	rng_state = 7;
	for (int i = 0; i < 50000; i++) {
		uint64_t x = (uint64_t)llround(900 * exp(gauss()));
		hist_add(i % 3 ? &a : &b, x);
		hist_add(&all, x);
	}
	hist_merge(&a, &b);
	assert_int_equal(a.count, all.count);
	assert_int_equal(a.min, all.min);
	assert_int_equal(a.max, all.max);
	for (size_t k = 0; k < sizeof(per_mille) / sizeof(*per_mille); k++)
		assert_int_equal(hist_percentile(&a, per_mille[k]), hist_percentile(&all, per_mille[k]));
	/* Merging into an empty histogram copies. */
	struct hist c = { 0 };
	hist_merge(&c, &all);
	assert_int_equal(hist_percentile(&c, 950), hist_percentile(&all, 950));
	hist_release(&a);
	hist_release(&b);
	hist_release(&c);
	hist_release(&all);
}

static void test_iteration_covers_every_value(void **state)
{
	(void)state;
	struct hist h = { 0 };
	rng_state = 8;
	for (int i = 0; i < 30000; i++)
		hist_add(&h, rnd() % 100000);
	struct hist_iter it = { 0 };
	uint64_t total = 0, last_hi = 0;
	bool first = true;
	while (hist_next(&h, &it)) {
		assert_true(it.lo <= it.hi);
		assert_true(first || it.lo > last_hi);
		/* A bucket is at most 1/256 of its lower bound wide. */
		assert_true(it.lo < HIST_EXACT_BELOW || (it.hi - it.lo + 1) * 256 <= it.lo);
		first = false;
		last_hi = it.hi;
		total += it.count;
	}
	assert_int_equal(total, h.count);
	hist_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stated_bound_is_within_one_percent),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_lognormal),
		cmocka_unit_test(test_bimodal),
		cmocka_unit_test(test_heavy_tail),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_constant_and_single),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_memory_does_not_grow_with_count),
		cmocka_unit_test(test_merge_equals_single_pass),
		cmocka_unit_test(test_iteration_covers_every_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
