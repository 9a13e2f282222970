/* stats_print.c - the two renderings of struct stats: aligned columns for a
 * terminal, and the --json object (shape in docs/operations.md). */
#include <stdlib.h>
#include <string.h>
#include "ops/stats.h"
#include "ops/timefmt.h"
#include "types/stage.h"
#include "util/buf.h"

#define NAME_MAX_WIDTH 64

struct section {
	const char *title;
	const struct stats_group *g;
	bool pipeline;
	const char *json_key;
};

static void sections(const struct stats *st, struct section out[4])
{
	out[0] = (struct section){ "workflow stage", &st->stages, true, "stages" };
	out[1] = (struct section){ "web event", &st->web, false, "web" };
	out[2] = (struct section){ "http request", &st->http, false, "http" };
	out[3] = (struct section){ "publisher", &st->publishers, false, "publishers" };
}

/* The name of a series for people: a stage's label, others as they are. */
static const char *row_name(const struct stats *st, const struct section *sec,
			    const struct stats_series *s, char *out, size_t cap)
{
	if (!sec->pipeline)
		return s->name;
	char backends[STATS_MAX_BACKENDS * 26];
	return stage_label(s->name, s->len, stats_backends(st, backends, sizeof(backends)), out, cap);
}

static void print_row(FILE *out, int width, const char *name, const struct stats_series *s)
{
	size_t len = strlen(name);
	if (len > (size_t)width)
		fprintf(out, "  %.*s...", width - 3, name);
	else
		fprintf(out, "  %-*s", width, name);
	fprintf(out, " %9llu %7llu", (unsigned long long)s->h.count, (unsigned long long)s->errors);
	for (int i = 0; i < 4; i++) {
		if (s->h.count)
			fprintf(out, " %8llu",
				(unsigned long long)hist_percentile(&s->h, stats_percentiles[i]));
		else
			fprintf(out, " %8s", "-");
	}
	if (s->h.count)
		fprintf(out, " %8llu\n", (unsigned long long)s->h.max);
	else
		fprintf(out, " %8s\n", "-");
}

void stats_print(const struct stats *st, FILE *out)
{
	struct section sec[4];
	sections(st, sec);
	int width = 24;
	char label[160];
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < sec[k].g->n; i++) {
			int l = (int)strlen(row_name(st, &sec[k], sec[k].g->v[i], label, sizeof(label)));
			if (l > width)
				width = l < NAME_MAX_WIDTH ? l : NAME_MAX_WIDTH;
		}

	fprintf(out, "%llu lines", (unsigned long long)st->lines);
	if (st->in_window) {
		char a[32], b[32];
		ts_format(st->first_ms, a);
		ts_format(st->last_ms, b);
		fprintf(out, ", %llu in the window from %s to %s", (unsigned long long)st->in_window,
			a, b);
	}
	fprintf(out, "\nskipped: %llu not JSON, %llu truncated, %llu foreign\n",
		(unsigned long long)st->not_json, (unsigned long long)st->truncated,
		(unsigned long long)st->foreign);

	for (int k = 0; k < 4; k++) {
		const struct stats_group *g = sec[k].g;
		fprintf(out, "\n%-*s   %9s %7s %8s %8s %8s %8s %8s\n", width, sec[k].title, "count",
			"errors", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms");
		if (!g->n) {
			fprintf(out, "  (none)\n");
			continue;
		}
		const struct stats_series **v = stats_group_sorted(g, sec[k].pipeline);
		for (size_t i = 0; v[i]; i++)
			print_row(out, width, row_name(st, &sec[k], v[i], label, sizeof(label)), v[i]);
		free(v);
	}
	stats_cost_print(&st->cost, out);
	fprintf(out, "\npercentiles: nearest rank; exact below %u ms, within %.1f %% above; max exact\n",
		HIST_EXACT_BELOW, HIST_REL_ERROR * 100);
}

static json_t *series_json(const struct stats_series *s, bool publisher)
{
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)s->h.count));
	json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
	for (int i = 0; i < 4; i++)
		json_object_set_new(o, stats_percentile_names[i],
				    s->h.count ? json_integer((json_int_t)hist_percentile(
							 &s->h, stats_percentiles[i]))
					       : json_null());
	json_object_set_new(o, "max", s->h.count ? json_integer((json_int_t)s->h.max) : json_null());
	if (publisher) {
		json_object_set_new(o, "success", json_integer((json_int_t)s->success));
		json_object_set_new(o, "failure", json_integer((json_int_t)s->failure));
	}
	return o;
}

json_t *stats_to_json(const struct stats *st)
{
	json_t *root = json_object();
	json_object_set_new(root, "lines", json_integer((json_int_t)st->lines));
	json_t *skipped = json_object();
	json_object_set_new(skipped, "not_json", json_integer((json_int_t)st->not_json));
	json_object_set_new(skipped, "truncated", json_integer((json_int_t)st->truncated));
	json_object_set_new(skipped, "foreign", json_integer((json_int_t)st->foreign));
	json_object_set_new(root, "skipped", skipped);
	struct section sec[4];
	sections(st, sec);
	for (int k = 0; k < 4; k++) {
		json_t *o = json_object();
		const struct stats_series **v = stats_group_sorted(sec[k].g, sec[k].pipeline);
		for (size_t i = 0; v[i]; i++)
			json_object_set_new(o, v[i]->name, series_json(v[i], k == 3));
		free(v);
		json_object_set_new(root, sec[k].json_key, o);
	}
	json_object_set_new(root, "ai_cost", stats_cost_json(&st->cost));
	return root;
}
