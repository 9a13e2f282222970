/* test_lanes.c - web/lanes: a lane runs at most its workers at once, keeps
 * at most its queue waiting and runs those in order, refuses the next, and
 * ends its threads when it has no job left. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "web/lanes.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool released;
static int running, most, done_order[64], ndone;

static void job(void *arg)
{
	int id = (int)(intptr_t)arg;
	pthread_mutex_lock(&lock);
	running++;
	if (running > most)
		most = running;
	pthread_cond_broadcast(&cond);
	while (!released)
		pthread_cond_wait(&cond, &lock);
	running--;
	done_order[ndone++] = id;
	pthread_mutex_unlock(&lock);
}

static void wait_running(int n)
{
	pthread_mutex_lock(&lock);
	while (running < n)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void test_workers_queue_and_order(void **state)
{
	(void)state;
	const struct lane_def *d = &web_lane_defs[LANE_IMAGE];
	unsigned workers = d->workers, queue = d->queue;
	assert_true(workers + queue < 64);
	struct web_lanes *l = web_lanes_new();
	struct pp_error err = { 0 };
	for (unsigned i = 0; i < workers; i++)
		assert_int_equal(web_lanes_run(l, LANE_IMAGE, job, (void *)(intptr_t)i, &err), 0);
	wait_running((int)workers);
	for (unsigned i = workers; i < workers + queue; i++)
		assert_int_equal(web_lanes_run(l, LANE_IMAGE, job, (void *)(intptr_t)i, &err), 0);
	assert_int_equal(web_lanes_pending(l), workers + queue);
	/* Full: refused, with the lane's words. */
	assert_int_equal(web_lanes_run(l, LANE_IMAGE, job, (void *)(intptr_t)99, &err), -1);
	assert_int_equal(err.kind, PP_ERR_UNAVAILABLE);
	assert_string_equal(err.msg, d->busy);
	/* Another lane is not held by this one. */
	pp_error_clear(&err);
	assert_int_equal(web_lanes_run(l, LANE_SLOW, job, (void *)(intptr_t)50, &err), 0);
	wait_running((int)workers + 1);

	pthread_mutex_lock(&lock);
	released = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	while (web_lanes_pending(l) > 0)
		usleep(1000);
	web_lanes_free(l);
	assert_int_equal(ndone, (int)(workers + queue + 1));
	assert_int_equal(most, (int)workers + 1);
	/* The waiting jobs ran in the order they came, after the first ones. */
	int last = -1;
	for (int i = 0; i < ndone; i++) {
		int id = done_order[i];
		if (id >= (int)workers && id < (int)(workers + queue)) {
			assert_true(id > last);
			last = id;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers_queue_and_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
