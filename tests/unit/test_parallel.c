/* test_parallel.c - publish_parallel_observed: every outcome reaches the
 * observer once, in the order they end, and a platform that ends while the
 * observer runs is not left waiting for the deadline; each platform gets
 * the id of the run that first sent the post (this run's when unset). */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "publish/parallel.h"
#include "telemetry/clock.h"
#include "testutil.h"
#include "util/buf.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int publish_slow(const struct config *cfg, const struct publish_input *in,
			struct publish_result *out, struct pp_error *err)
{
	sleep_ms(100);
	out->success = true;
	out->post_id = xstrdup("slow");
	return 0;
}

static int publish_fast(const struct config *cfg, const struct publish_input *in,
			struct publish_result *out, struct pp_error *err)
{
	return pp_fail(err, "test", "refused at once");
}

static const struct publisher_ops slow_ops = { .name = "slow", .publish = publish_slow };
static const struct publisher_ops fast_ops = { .name = "fast", .publish = publish_fast };

struct seen {
	size_t order[4];
	size_t n;
};

/* The first call takes longer than the slow platform: it ends while the
 * lock is released. */
static void observe(void *arg, size_t i, const struct publish_result *r)
{
	struct seen *s = arg;
	if (s->n == 0)
		sleep_ms(300);
	s->order[s->n++] = i;
}

static void test_an_outcome_during_the_observer_is_not_missed(void **state)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	const struct publisher_ops *ops[] = { &slow_ops, &fast_ops };
	struct publish_input in = { .ctx = { .correlation_id = "c" }, .image_name = "a.jpg" };
	struct publish_result res[2];
	memset(res, 0, sizeof(res));
	struct seen seen = { 0 };
	struct publish_observer obs = { .outcome = observe, .arg = &seen };
	int64_t t0 = now_monotonic();
	size_t abandoned = publish_parallel_observed(&cfg, ops, 2, &in, 10, res, &obs);
	int64_t ms = elapsed_ms(t0);
	assert_int_equal(abandoned, 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.order[0], 1); /* the fast one ended first */
	assert_int_equal(seen.order[1], 0);
	assert_true(res[0].success);
	assert_string_equal(res[0].post_id, "slow");
	assert_false(res[1].success);
	assert_non_null(strstr(res[1].err.msg, "refused at once"));
	/* well before the 10 s deadline */
	if (ms > 5000)
		fail_msg("waited %lld ms for an outcome that had arrived", (long long)ms);
	publish_result_release(&res[0]);
	publish_result_release(&res[1]);
}

/* Reports the first_correlation_id it was given as its post id. */
static int publish_first_id(const struct config *cfg, const struct publish_input *in,
			    struct publish_result *out, struct pp_error *err)
{
	if (!in->first_correlation_id)
		return pp_fail(err, "test", "no first_correlation_id");
	out->success = true;
	out->post_id = xstrdup(in->first_correlation_id);
	return 0;
}

static const struct publisher_ops first_id_ops = { .name = "first", .publish = publish_first_id };

static void test_first_correlation_id(void **state)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	const struct publisher_ops *ops[] = { &first_id_ops };
	struct publish_result res[1];
	const char *earlier = "run-that-first-sent-it";
	/* unset: this run's id */
	struct publish_input in = { .ctx = { .correlation_id = "this-run" }, .image_name = "a.jpg" };
	memset(res, 0, sizeof(res));
	publish_parallel(&cfg, ops, 1, &in, 10, res);
	assert_true(res[0].success);
	assert_string_equal(res[0].post_id, "this-run");
	publish_result_release(&res[0]);
	/* set (a retry, a resumed run): that run's */
	in.first_correlation_id = earlier;
	memset(res, 0, sizeof(res));
	publish_parallel(&cfg, ops, 1, &in, 10, res);
	assert_true(res[0].success);
	assert_string_equal(res[0].post_id, "run-that-first-sent-it");
	publish_result_release(&res[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_outcome_during_the_observer_is_not_missed),
		cmocka_unit_test(test_first_correlation_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
