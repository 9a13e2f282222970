/* observe.h - where measured durations go besides the log: an optional
 * observer (the web server's /metrics) that the workflow and the publishers
 * report to. Without one installed every call is a no-op. */
#ifndef PHOTOPUB_TELEMETRY_OBSERVE_H
#define PHOTOPUB_TELEMETRY_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>
#include "types/stage.h"

struct observer {
	void *ctx;
	/* A stage of a run took ms. */
	void (*stage)(void *ctx, enum pp_stage stage, int64_t ms);
	/* One platform's publish: its name (a row of the publishers table),
	 * whether it published, and how long it took (-1: unknown). */
	void (*publish)(void *ctx, const char *platform, bool success, int64_t ms);
};

/* Installs (or with NULL removes) the observer. The observer must outlive
 * every call made while it is installed. */
void observe_install(const struct observer *o);

void observe_stage(enum pp_stage stage, int64_t ms);
void observe_publish(const char *platform, bool success, int64_t ms);

#endif
