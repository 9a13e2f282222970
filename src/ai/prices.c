/* prices.c - the list prices of the OpenAI models photopub knows, as one
 * table, the `[openAI] prices` overrides, and the cost estimate of a call.
 *
 * Prices: USD per 1M tokens (standard tier, input without caching, output),
 * as listed on https://openai.com/api/pricing in June 2025. A model not in
 * the table and not overridden has no price: its cost is logged as null. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ai/prices.h"

#define WHERE "ai.prices"

static const struct {
	const char *model;
	struct price price;
} price_table[] = {
	{ "gpt-4o",       {  2.50, 10.00 } },
	{ "gpt-4o-mini",  {  0.15,  0.60 } },
	{ "gpt-4.1",      {  2.00,  8.00 } },
	{ "gpt-4.1-mini", {  0.40,  1.60 } },
	{ "gpt-4.1-nano", {  0.10,  0.40 } },
	{ "o1",           { 15.00, 60.00 } },
	{ "o1-mini",      {  1.10,  4.40 } },
	{ "o3",           {  2.00,  8.00 } },
	{ "o3-mini",      {  1.10,  4.40 } },
	{ "o4-mini",      {  1.10,  4.40 } },
};

static const char *without_router(const char *model)
{
	const char *m = strrchr(model, '/');
	return m ? m + 1 : model;
}

/* One override entry s[0..n): "model=input/output". 0 with name span and
 * price filled, -1 when malformed. */
static int parse_entry(const char *s, size_t n, const char **name, size_t *name_len,
		       struct price *p)
{
	char buf[256];
	char *eq, *slash, *end;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	eq = strchr(buf, '=');
	if (!eq || eq == buf)
		return -1;
	*name = s;
	*name_len = (size_t)(eq - buf);
	while (*name_len > 0 && isspace((unsigned char)buf[*name_len - 1]))
		(*name_len)--;
	slash = strchr(eq + 1, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	p->input_per_m = strtod(eq + 1, &end);
	if (end == eq + 1 || strspn(end, " \t") != strlen(end) || !(p->input_per_m >= 0))
		return -1;
	p->output_per_m = strtod(slash + 1, &end);
	if (end == slash + 1 || strspn(end, " \t") != strlen(end) || !(p->output_per_m >= 0))
		return -1;
	return 0;
}

/* Walks the entries of text: 1 with *out when one names want (NULL: none
 * does), -1 with *bad the span of the first malformed one, else 0. */
static int scan(const char *text, const char *want, struct price *out, const char **bad,
		size_t *bad_len)
{
	const char *s = text;
	while (s && *s) {
		size_t n = strcspn(s, ";,");
		const char *name;
		size_t name_len;
		struct price p;
		if (strspn(s, " \t") < n) {
			if (parse_entry(s, n, &name, &name_len, &p) < 0) {
				*bad = s;
				*bad_len = n;
				return -1;
			}
			if (want && strlen(want) == name_len && strncmp(name, want, name_len) == 0) {
				*out = p;
				return 1;
			}
		}
		s += n;
		if (*s)
			s++;
	}
	return 0;
}

int price_check_overrides(const char *overrides, struct pp_error *err)
{
	const char *bad = NULL;
	size_t bad_len = 0;
	struct price p;
	if (scan(overrides, NULL, &p, &bad, &bad_len) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "price \"%.*s\": expected model=input/output (USD per 1M tokens)",
				    (int)bad_len, bad);
	return 0;
}

int price_lookup(const char *overrides, const char *model, struct price *out)
{
	const char *bad;
	size_t bad_len, best_len = 0;
	const char *m;
	int best = -1;

	if (!model || !*model)
		return -1;
	if (scan(overrides, model, out, &bad, &bad_len) == 1)
		return 0;
	m = without_router(model);
	if (m != model && scan(overrides, m, out, &bad, &bad_len) == 1)
		return 0;
	for (size_t i = 0; i < sizeof(price_table) / sizeof(price_table[0]); i++) {
		size_t n = strlen(price_table[i].model);
		if (strncmp(m, price_table[i].model, n))
			continue;
		if (m[n] && !(m[n] == '-' && isdigit((unsigned char)m[n + 1])))
			continue;
		if (n > best_len) {
			best_len = n;
			best = (int)i;
		}
	}
	if (best < 0)
		return -1;
	*out = price_table[best].price;
	return 0;
}

double price_cost(const struct price *p, long prompt_tokens, long completion_tokens)
{
	double in = prompt_tokens > 0 ? (double)prompt_tokens : 0.0;
	double out = completion_tokens > 0 ? (double)completion_tokens : 0.0;
	return (in * p->input_per_m + out * p->output_per_m) / 1e6;
}
