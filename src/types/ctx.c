/* ctx.c - the request's timing sink. */
#include <string.h>
#include "types/ctx.h"

void pp_timing_init(struct pp_timing *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
}

void pp_timing_release(struct pp_timing *t)
{
	pthread_mutex_destroy(&t->lock);
}

void pp_ctx_time(const struct pp_ctx *ctx, const char *name, double ms)
{
	struct pp_timing *t = ctx ? ctx->timing : NULL;
	if (!t || ms < 0)
		return;
	pthread_mutex_lock(&t->lock);
	size_t i = 0;
	while (i < t->n && strcmp(t->t[i].name, name))
		i++;
	if (i < t->n) {
		t->t[i].ms += ms;
	} else if (t->n < PP_TIMING_MAX) {
		t->t[t->n].name = name;
		t->t[t->n].ms = ms;
		t->n++;
	}
	pthread_mutex_unlock(&t->lock);
}
