/* stage.c - the stage table and its lookups. */
#include <stdio.h>
#include <string.h>
#include "types/stage.h"

const struct stage_def stage_defs[STAGE_COUNT] = {
#define X(id, n, l, f) [STAGE_##id] = { .name = n, .ms_key = n "_ms", .label = l, .flags = f },
	PP_STAGES(X)
#undef X
};

void stage_times_init(struct stage_times *t)
{
	for (size_t i = 0; i < STAGE_COUNT; i++)
		t->ms[i] = -1;
}

int stage_by_key(const char *key, size_t n)
{
	for (size_t i = 0; i < STAGE_COUNT; i++)
		if (strlen(stage_defs[i].ms_key) == n && !memcmp(stage_defs[i].ms_key, key, n))
			return (int)i;
	return -1;
}

const char *stage_label(const char *key, size_t n, const char *backend, char *out, size_t cap)
{
	size_t base = n > 3 && !memcmp(key + n - 3, "_ms", 3) ? n - 3 : n;
	for (size_t i = 0; i < STAGE_COUNT; i++) {
		const struct stage_def *d = &stage_defs[i];
		if (strlen(d->name) != base || memcmp(d->name, key, base))
			continue;
		if (d->flags & STAGE_BACKEND && backend && *backend)
			snprintf(out, cap, "%s (%s)", d->label, backend);
		else
			snprintf(out, cap, "%s", d->label);
		return out;
	}
	if (base > 8 && !memcmp(key, "publish_", 8))
		snprintf(out, cap, "publish %.*s", (int)(base - 8), key + 8);
	else
		snprintf(out, cap, "%.*s", (int)n, key);
	return out;
}
