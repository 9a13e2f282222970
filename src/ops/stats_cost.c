/* stats_cost.c - the AI cost table of `photopub stats`: tokens and
 * estimated USD per UTC day and model, from the AI call lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ops/stats_cost.h"
#include "util/buf.h"

#define OTHER "(other)"

void stats_cost_release(struct stats_cost *c)
{
	free(c->v);
	*c = (struct stats_cost){ 0 };
}

static struct stats_cost_row *row_get(struct stats_cost *c, const char *day, const char *model)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].day, day) && !strcmp(c->v[i].model, model))
			return &c->v[i];
	if (c->n >= STATS_COST_MAX_ROWS) {
		if (strcmp(model, OTHER) || strcmp(day, OTHER))
			return row_get(c, OTHER, OTHER);
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	struct stats_cost_row *r = &c->v[c->n++];
	*r = (struct stats_cost_row){ 0 };
	snprintf(r->day, sizeof(r->day), "%s", day);
	snprintf(r->model, sizeof(r->model), "%s", model);
	return r;
}

static uint64_t count_of(const struct logline *l, const char *key, bool *seen)
{
	const struct ll_member *m = ll_find(l, key);
	int64_t v;
	if (!m || !ll_int(&m->val, &v) || v < 0)
		return 0;
	*seen = true;
	return (uint64_t)v;
}

void stats_cost_add(struct stats_cost *c, const struct logline *l)
{
	char day[16], model[64];
	time_t t = (time_t)(l->ts_ms / 1000);
	struct tm tm;
	bool counted = false;

	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
		return;
	if (!ll_find_str(l, "model", model, sizeof(model)))
		snprintf(model, sizeof(model), "unknown");
	struct stats_cost_row *r = row_get(c, day, model);
	r->calls++;
	r->prompt_tokens += count_of(l, "prompt_tokens", &counted);
	r->completion_tokens += count_of(l, "completion_tokens", &counted);
	const struct ll_member *cost = ll_find(l, "cost_usd");
	double d;
	if (cost && ll_double(&cost->val, &d) && d >= 0)
		r->cost_usd += d;
	else if (counted)
		r->unpriced++;
}

void stats_cost_merge(struct stats_cost *dst, const struct stats_cost *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct stats_cost_row *s = &src->v[i];
		struct stats_cost_row *d = row_get(dst, s->day, s->model);
		d->calls += s->calls;
		d->prompt_tokens += s->prompt_tokens;
		d->completion_tokens += s->completion_tokens;
		d->cost_usd += s->cost_usd;
		d->unpriced += s->unpriced;
	}
}

static int by_day_model(const void *a, const void *b)
{
	const struct stats_cost_row *x = *(const struct stats_cost_row *const *)a;
	const struct stats_cost_row *y = *(const struct stats_cost_row *const *)b;
	int d = strcmp(x->day, y->day);
	return d ? d : strcmp(x->model, y->model);
}

/* The rows sorted; the caller frees the array. */
static const struct stats_cost_row **sorted(const struct stats_cost *c)
{
	const struct stats_cost_row **v = xmalloc((c->n + 1) * sizeof(*v));
	for (size_t i = 0; i < c->n; i++)
		v[i] = &c->v[i];
	v[c->n] = NULL;
	qsort(v, c->n, sizeof(*v), by_day_model);
	return v;
}

void stats_cost_print(const struct stats_cost *c, FILE *out)
{
	fprintf(out, "\n%-14s%-24s %7s %12s %12s %12s %8s\n", "ai cost", "model", "calls",
		"prompt tok", "complet tok", "cost usd", "unpriced");
	if (!c->n) {
		fprintf(out, "  (none)\n");
		return;
	}
	const struct stats_cost_row **v = sorted(c);
	for (size_t i = 0; v[i]; i++)
		fprintf(out, "  %-10s  %-24.24s %7llu %12llu %12llu %12.6f %8llu\n", v[i]->day,
			v[i]->model, (unsigned long long)v[i]->calls,
			(unsigned long long)v[i]->prompt_tokens,
			(unsigned long long)v[i]->completion_tokens, v[i]->cost_usd,
			(unsigned long long)v[i]->unpriced);
	free(v);
}

json_t *stats_cost_json(const struct stats_cost *c)
{
	json_t *a = json_array();
	const struct stats_cost_row **v = sorted(c);
	for (size_t i = 0; v[i]; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:I}", "day", v[i]->day,
						   "model", v[i]->model, "calls",
						   (json_int_t)v[i]->calls, "prompt_tokens",
						   (json_int_t)v[i]->prompt_tokens,
						   "completion_tokens",
						   (json_int_t)v[i]->completion_tokens, "cost_usd",
						   round(v[i]->cost_usd * 1e10) / 1e10,
						   "unpriced_calls",
						   (json_int_t)v[i]->unpriced));
	free(v);
	return a;
}
