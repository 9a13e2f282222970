/* parallel.h - publishing to several platforms at once: one thread per
 * platform, each with a time limit, so a hung platform cannot hold the run. */
#ifndef PHOTOPUB_PUBLISH_PARALLEL_H
#define PHOTOPUB_PUBLISH_PARALLEL_H

#include "publish/publisher.h"

/* Runs ops[i]->publish for i < n at the same time and waits at most
 * timeout_s seconds for all of them. results[i] receives each outcome,
 * duration_ms included; a platform still running at the deadline is
 * reported as failed with error "timeout" and left to finish on its own
 * (it works on private copies of everything in *in, but reads cfg and
 * in->storage: the caller keeps those alive or exits the process). Logs one
 * `publisher_publish` line per platform. Returns how many platforms were
 * left running. */
size_t publish_parallel(const struct config *cfg, const struct publisher_ops *const *ops,
		      size_t n, const struct publish_input *in, int timeout_s,
		      struct publish_result *results);

/* Called on the waiting thread as each platform ends, with its index and
 * result (or the timeout result at the deadline), before the function
 * returns: the journal records each outcome as it arrives. */
struct publish_observer {
	void (*outcome)(void *arg, size_t i, const struct publish_result *r);
	void *arg;
};

/* publish_parallel, telling obs (may be NULL) of each outcome. */
size_t publish_parallel_observed(const struct config *cfg,
				 const struct publisher_ops *const *ops, size_t n,
				 const struct publish_input *in, int timeout_s,
				 struct publish_result *results,
				 const struct publish_observer *obs);

#endif
