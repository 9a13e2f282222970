/* lanes.c - the worker lanes (lanes.h): the table of lanes, and for each a
 * count of running jobs and a queue of waiting ones. A lane has threads
 * only while it has jobs: a job that finds a free worker starts a thread,
 * which then takes the waiting jobs in order and ends when none is left,
 * so an idle server holds no worker thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include "util/buf.h"
#include "web/lanes.h"

const struct lane_def web_lane_defs[LANE_COUNT] = {
	[LANE_SLOW] = { .name = "slow", .workers = 32, .queue = 0, .retry_after_s = 5,
			.busy = "Server busy: too many analyses or publishes at once" },
	/* Two at once: a big decode takes a core, and the machine has two;
	 * the daemon's threads keep the rest. */
	[LANE_IMAGE] = { .name = "image", .workers = 2, .queue = 8, .retry_after_s = 2,
			 .busy = "Server busy: too many images being resized" },
};

struct lane;

struct job {
	void (*fn)(void *arg);
	void *arg;
	struct lane *lane;
	struct job *next;
};

struct lane {
	const struct lane_def *def;
	struct web_lanes *owner;
	unsigned running;
	unsigned waiting;
	struct job *head, *tail;
};

struct web_lanes {
	pthread_mutex_t lock;    /* every lane */
	pthread_cond_t idle;     /* a thread ended */
	unsigned threads;        /* lane threads alive */
	struct lane lanes[LANE_COUNT];
};

struct web_lanes *web_lanes_new(void)
{
	struct web_lanes *l = xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	for (size_t i = 0; i < LANE_COUNT; i++) {
		l->lanes[i].def = &web_lane_defs[i];
		l->lanes[i].owner = l;
	}
	return l;
}

void web_lanes_free(struct web_lanes *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	while (l->threads > 0)
		pthread_cond_wait(&l->idle, &l->lock);
	pthread_mutex_unlock(&l->lock);
	pthread_cond_destroy(&l->idle);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* A lane's thread: its first job, then the waiting ones, in order. */
static void *lane_thread(void *arg)
{
	struct job *j = arg;
	struct lane *ln = j->lane;
	struct web_lanes *l = ln->owner;
	for (;;) {
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&l->lock);
		j = ln->head;
		if (!j) {
			ln->running--;
			l->threads--;
			pthread_cond_broadcast(&l->idle);
			pthread_mutex_unlock(&l->lock);
			return NULL;
		}
		ln->head = j->next;
		if (!ln->head)
			ln->tail = NULL;
		ln->waiting--;
		pthread_mutex_unlock(&l->lock);
	}
}

int web_lanes_run(struct web_lanes *l, enum web_lane lane, void (*fn)(void *arg), void *arg,
		  struct pp_error *err)
{
	struct lane *ln = &l->lanes[lane];
	struct job *j = xcalloc(1, sizeof(*j));
	j->fn = fn;
	j->arg = arg;
	j->lane = ln;
	pthread_mutex_lock(&l->lock);
	if (ln->running < ln->def->workers) {
		pthread_t tid;
		pthread_attr_t attr;
		ln->running++;
		l->threads++;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&tid, &attr, lane_thread, j);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			ln->running--;
			l->threads--;
			pthread_mutex_unlock(&l->lock);
			free(j);
			return pp_fail_kind(err, "web", PP_ERR_UNAVAILABLE, "%s", ln->def->busy);
		}
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	if (ln->waiting >= ln->def->queue) {
		pthread_mutex_unlock(&l->lock);
		free(j);
		return pp_fail_kind(err, "web", PP_ERR_UNAVAILABLE, "%s", ln->def->busy);
	}
	if (ln->tail)
		ln->tail->next = j;
	else
		ln->head = j;
	ln->tail = j;
	ln->waiting++;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

unsigned web_lanes_pending(struct web_lanes *l)
{
	unsigned n = 0;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < LANE_COUNT; i++)
		n += l->lanes[i].running + l->lanes[i].waiting;
	pthread_mutex_unlock(&l->lock);
	return n;
}
