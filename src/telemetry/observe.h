/* observe.h - where measured durations go besides the log: an optional
 * observer (the web server's /metrics) that the workflow and the publishers
 * report to. Without one installed every call is a no-op. */
#ifndef PHOTOPUB_TELEMETRY_OBSERVE_H
#define PHOTOPUB_TELEMETRY_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

struct observer {
	void *ctx;
	/* stage: "vision_analysis", "publish_telegram", "total", … */
	void (*stage)(void *ctx, const char *stage, int64_t ms);
	void (*publish)(void *ctx, const char *platform, bool success);
};

/* Installs (or with NULL removes) the observer. The observer must outlive
 * every call made while it is installed. */
void observe_install(const struct observer *o);

void observe_stage(const char *stage, int64_t ms);
void observe_publish(const char *platform, bool success);

#endif
