/* prices.h - what a chat-completions call costs: the list prices of known
 * models (one table in prices.c), overridable by `[openAI] prices`, and the
 * estimate of one call from its token counts. */
#ifndef PHOTOPUB_AI_PRICES_H
#define PHOTOPUB_AI_PRICES_H

#include "util/error.h"

struct price {
	double input_per_m;        /* USD per 1M prompt tokens */
	double output_per_m;       /* USD per 1M completion tokens */
};

/* Checks an override text: "model=input/output" entries separated by ';' or
 * ',' (spaces allowed), prices in USD per 1M tokens, >= 0. 0, or -1 with err
 * naming the bad entry. NULL and "" are valid (no overrides). */
int price_check_overrides(const char *overrides, struct pp_error *err);

/* The price of model ("gpt-4o-2024-08-06", "openai/gpt-4o" on a router):
 * an override naming it exactly (or its name without the router prefix)
 * first, else the table's row whose model is the name or the name's prefix
 * followed by "-<digit>" (a dated snapshot), the longest such row. 0 with
 * *out, -1 when the model is unknown (its cost is never guessed). */
int price_lookup(const char *overrides, const char *model, struct price *out);

/* USD for prompt and completion token counts (negative counts as 0). */
double price_cost(const struct price *p, long prompt_tokens, long completion_tokens);

#endif
