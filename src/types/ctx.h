/* ctx.h - the call context: the correlation id of one run or one web request
 * and, for a web request, the sink its timed calls report to (the
 * Server-Timing header). A context is made in exactly two places — a run
 * (workflow_run) and a web request (the dispatcher) — and passed down by
 * pointer; nothing below copies or rebuilds it. */
#ifndef PHOTOPUB_TYPES_CTX_H
#define PHOTOPUB_TYPES_CTX_H

#include <pthread.h>
#include <stddef.h>

#define PP_TIMING_MAX 8

/* Durations summed by name, in the order first reported. Safe to report to
 * from several threads of the same request. */
struct pp_timing {
	pthread_mutex_t lock;
	struct {
		const char *name;    /* static string: "storage", "ai", … */
		double ms;
	} t[PP_TIMING_MAX];
	size_t n;
};

struct pp_ctx {
	const char *correlation_id;  /* owned by whoever made the context */
	struct pp_timing *timing;    /* NULL: durations go to the log lines only */
};

void pp_timing_init(struct pp_timing *t);
void pp_timing_release(struct pp_timing *t);

/* Adds ms to the entry called name (a static string) of ctx's sink; a no-op
 * without a sink, for a NULL ctx or a negative ms. */
void pp_ctx_time(const struct pp_ctx *ctx, const char *name, double ms);

/* ctx's correlation id, or NULL for a NULL ctx. */
static inline const char *pp_cid(const struct pp_ctx *ctx)
{
	return ctx ? ctx->correlation_id : NULL;
}

#endif
