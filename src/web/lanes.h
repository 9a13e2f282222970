/* lanes.h - the worker lanes: where the routes that must not hold one of
 * the daemon's few threads run (AI calls and publishing, which wait on
 * remote services; image resizing, which takes a core for seconds). Each
 * lane runs at most `workers` jobs at once, each on a thread of its own,
 * and keeps at most `queue` more waiting, in order; past that a job is
 * refused and its request answered 503 with Retry-After. The lanes are
 * the rows of web_lane_defs[]. */
#ifndef PHOTOPUB_WEB_LANES_H
#define PHOTOPUB_WEB_LANES_H

#include "util/error.h"

enum web_lane {
	LANE_NONE = 0, /* on the daemon's thread */
	LANE_SLOW,     /* analyze, publish */
	LANE_IMAGE,    /* resized copies of images */
	LANE_COUNT,
};

struct lane_def {
	const char *name;
	unsigned workers;   /* jobs running at once */
	unsigned queue;     /* jobs waiting, past those running */
	int retry_after_s;  /* the Retry-After of a refused job's 503 */
	const char *busy;   /* the detail of that 503 */
};

extern const struct lane_def web_lane_defs[LANE_COUNT];

struct web_lanes;

struct web_lanes *web_lanes_new(void);
/* Waits for the lanes' threads to end (each ends when its lane has no job
 * left), then frees. Call once no job can be added. */
void web_lanes_free(struct web_lanes *l);

/* Runs fn(arg) on lane: on a new thread when fewer than `workers` run,
 * else after the jobs ahead of it when fewer than `queue` wait. Returns -1
 * with err filled, fn never called, when the lane is full or no thread can
 * be started. */
int web_lanes_run(struct web_lanes *l, enum web_lane lane, void (*fn)(void *arg), void *arg,
		  struct pp_error *err);

/* Jobs running or waiting, on every lane. */
unsigned web_lanes_pending(struct web_lanes *l);

#endif
