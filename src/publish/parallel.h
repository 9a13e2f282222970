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

#endif
