/* observe.c - the optional observer of stage durations and publish results. */
#include <stdatomic.h>
#include <stddef.h>
#include "telemetry/observe.h"

static _Atomic(const struct observer *) current;

void observe_install(const struct observer *o)
{
	atomic_store(&current, o);
}

void observe_stage(enum pp_stage stage, int64_t ms)
{
	const struct observer *o = atomic_load(&current);
	if (o && o->stage && ms >= 0 && stage < STAGE_COUNT)
		o->stage(o->ctx, stage, ms);
}

void observe_publish(const char *platform, bool success, int64_t ms)
{
	const struct observer *o = atomic_load(&current);
	if (o && o->publish)
		o->publish(o->ctx, platform, success, ms);
}
