/* stage.c - the stage table and its lookups. */
#include <string.h>
#include "types/stage.h"

const struct stage_def stage_defs[STAGE_COUNT] = {
#define X(id, n, f) [STAGE_##id] = { .name = n, .ms_key = n "_ms", .flags = f },
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
