/* clock.h - the one place durations are measured: CLOCK_MONOTONIC, never wall time. */
#ifndef PHOTOPUB_TELEMETRY_CLOCK_H
#define PHOTOPUB_TELEMETRY_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in nanoseconds. */
static inline int64_t now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whole milliseconds since start (a now_monotonic() value), rounded down:
 * 0 means it ran and took under a millisecond. */
static inline int64_t elapsed_ms(int64_t start)
{
	return (now_monotonic() - start) / 1000000;
}

/* Microseconds since start, for sub-millisecond figures (Server-Timing). */
static inline double elapsed_ms_f(int64_t start)
{
	return (double)(now_monotonic() - start) / 1e6;
}

#endif
