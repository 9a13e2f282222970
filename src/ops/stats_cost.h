/* stats_cost.h - what the AI calls cost, per UTC day and model, from the
 * `vision_analysis` and `caption_call` lines (prompt_tokens,
 * completion_tokens, cost_usd): part of `photopub stats`. Bounded: at most
 * STATS_COST_MAX_ROWS (day, model) rows, the rest counted in one
 * "(other)" row. */
#ifndef PHOTOPUB_OPS_STATS_COST_H
#define PHOTOPUB_OPS_STATS_COST_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "ops/logline.h"

#define STATS_COST_MAX_ROWS 512

struct stats_cost_row {
	char day[11];              /* "2026-12-03", UTC */
	char model[64];
	uint64_t calls;
	uint64_t prompt_tokens, completion_tokens;
	double cost_usd;           /* of the calls with a cost */
	uint64_t unpriced;         /* calls with tokens and cost_usd null */
};

struct stats_cost {
	struct stats_cost_row *v;  /* in order of first appearance */
	size_t n, cap;
};

void stats_cost_release(struct stats_cost *c);
/* Adds one `vision_analysis` or `caption_call` line. */
void stats_cost_add(struct stats_cost *c, const struct logline *l);
/* Adds every row of src to dst. */
void stats_cost_merge(struct stats_cost *dst, const struct stats_cost *src);
/* The terminal table, by day then model ("(none)" when empty). */
void stats_cost_print(const struct stats_cost *c, FILE *out);
/* [{day, model, calls, prompt_tokens, completion_tokens, cost_usd,
 * unpriced_calls}, …] by day then model, cost_usd to ten decimals; new
 * reference. */
json_t *stats_cost_json(const struct stats_cost *c);

#endif
