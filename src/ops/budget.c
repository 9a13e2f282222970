/* budget.c - budget files (read with the project's INI reader), their key
 * grammar, and checking them against the statistics of a log. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/ini.h"
#include "ops/budget.h"
#include "telemetry/log.h"
#include "util/buf.h"

static int fail(struct budget_error *e, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct budget_error *e, int line, const char *key, const char *fmt, ...)
{
	va_list ap;
	e->line = line;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* "p95" -> 950, "max" -> 1000; 0 when stat is neither. */
static unsigned parse_stat(const char *stat)
{
	if (!strcmp(stat, "max"))
		return 1000;
	if (stat[0] != 'p' || !stat[1] || strlen(stat) > 4)
		return 0;
	unsigned v = 0;
	for (const char *p = stat + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (stat[1] == '0' || v < 1 || v > 100)
		return 0;
	return v * 10;
}

static bool parse_limit(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d) || d < 0)
		return false;
	*out = d;
	return true;
}

static const char *const latency_prefixes[4] = { "workflow", "web", "http", "publisher" };

static int parse_key(struct budget *b, const char *value, struct budget_error *e)
{
	const char *key = b->key;
	const char *dot = strchr(key, '.');
	if (!dot || !dot[1])
		return fail(e, b->line, key, "a budget key is PREFIX.NAME.STAT or error_rate.NAME");
	size_t plen = (size_t)(dot - key);
	const char *rest = dot + 1;

	if (plen == 10 && !strncmp(key, "error_rate", 10)) {
		b->error_rate = true;
		if (!strcmp(rest, "workflow")) {
			b->group = 0;
		} else if (!strcmp(rest, "http")) {
			b->group = 2;
		} else if (!strncmp(rest, "web.", 4) && rest[4]) {
			b->group = 1;
			b->series = xstrdup(rest + 4);
		} else if (!strncmp(rest, "publisher.", 10) && rest[10]) {
			b->group = 3;
			b->series = xstrdup(rest + 10);
		} else if (!strchr(rest, '.') && strcmp(rest, "web") && strcmp(rest, "publisher")) {
			b->group = 3;
			b->series = xstrdup(rest);
		} else {
			return fail(e, b->line, key,
				    "unknown error rate (error_rate.workflow, error_rate.http, "
				    "error_rate.web.EVENT, error_rate.PLATFORM)");
		}
		if (!parse_limit(value, &b->limit) || b->limit > 1)
			return fail(e, b->line, key,
				    "an error rate is a fraction from 0 to 1, not \"%s\"", value);
		return 0;
	}

	b->group = -1;
	for (int i = 0; i < 4; i++)
		if (strlen(latency_prefixes[i]) == plen && !strncmp(key, latency_prefixes[i], plen))
			b->group = i;
	if (b->group < 0)
		return fail(e, b->line, key,
			    "unknown prefix \"%.*s\" (workflow, web, http, publisher, error_rate)",
			    (int)plen, key);
	const char *last = strrchr(rest, '.');
	if (!last || last == rest || !last[1])
		return fail(e, b->line, key, "a latency budget is %s.NAME.STAT",
			    latency_prefixes[b->group]);
	b->per_mille = parse_stat(last + 1);
	if (!b->per_mille)
		return fail(e, b->line, key,
			    "the statistic (after the last dot) is p1 … p100 or max, not \"%s\"",
			    last + 1);
	b->series = xstrndup(rest, (size_t)(last - rest));
	size_t sl = strlen(b->series);
	if ((b->group == 0 || b->group == 1) && (sl < 4 || strcmp(b->series + sl - 3, "_ms")))
		return fail(e, b->line, key, "a %s stage is named like its log field, ending in _ms",
			    latency_prefixes[b->group]);
	if (b->group == 1 && strncmp(b->series, "web_", 4))
		return fail(e, b->line, key, "web event times are named web_…_ms");
	if (b->group == 2) {
		/* METHOD ROUTE CLASS */
		const char *sp1 = strchr(b->series, ' '), *sp2 = strrchr(b->series, ' ');
		const char *cls = sp2 ? sp2 + 1 : "";
		if (!sp1 || sp1 == sp2 || strlen(cls) != 3 || cls[0] < '1' || cls[0] > '5' ||
		    strcasecmp(cls + 1, "xx"))
			return fail(e, b->line, key,
				    "an http series is \"METHOD ROUTE CLASS\", e.g. "
				    "http.GET /api/images/random 2xx.p99");
	}
	if (!parse_limit(value, &b->limit))
		return fail(e, b->line, key, "a latency limit is a number of milliseconds, not \"%s\"",
			    value);
	return 0;
}

int budget_load(const char *path, struct budget_set *out, struct budget_error *e)
{
	struct ini_file f;
	int bad_line, rc = -1;
	memset(out, 0, sizeof(*out));
	memset(e, 0, sizeof(*e));
	if (ini_read(path, &f, &bad_line) < 0) {
		if (bad_line)
			fail(e, bad_line, NULL, "%s line %d: not an INI line", path, bad_line);
		else
			fail(e, 0, NULL, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < f.nsections; i++)
		if (strcasecmp(f.sections[i], "budget")) {
			fail(e, 0, NULL, "unknown section [%s]: budgets go in [budget]", f.sections[i]);
			goto out;
		}
	out->v = xcalloc(f.n ? f.n : 1, sizeof(*out->v));
	for (size_t i = 0; i < f.n; i++) {
		const struct ini_entry *en = &f.entries[i];
		if (strcasecmp(en->section, "budget")) {
			fail(e, en->line, en->key, "\"%s\" is outside the [budget] section", en->key);
			goto out;
		}
		for (size_t j = 0; j < out->n; j++)
			if (!strcmp(out->v[j].key, en->key)) {
				fail(e, en->line, en->key, "\"%s\" is set twice (line %d)", en->key,
				     out->v[j].line);
				goto out;
			}
		struct budget *b = &out->v[out->n++];
		b->key = xstrdup(en->key);
		b->line = en->line;
		if (parse_key(b, en->value, e) < 0)
			goto out;
	}
	if (out->n == 0) {
		fail(e, 0, NULL, "%s holds no budget ([budget] with keys like workflow.total_ms.p95)",
		     path);
		goto out;
	}
	rc = 0;
out:
	ini_release(&f);
	return rc;
}

void budget_release(struct budget_set *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].key);
		free(b->v[i].series);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static const struct stats_group *group_of(const struct stats *st, int g)
{
	switch (g) {
	case 0: return &st->stages;
	case 1: return &st->web;
	case 2: return &st->http;
	default: return &st->publishers;
	}
}

static void measure(struct budget *b, const struct stats *st)
{
	b->status = BUDGET_NO_DATA;
	uint64_t num = 0, den = 0;
	if (b->error_rate && b->group == 0) {
		num = st->failed_runs;
		den = st->runs;
	} else if (b->error_rate && b->group == 2) {
		num = st->requests_5xx;
		den = st->requests;
	} else {
		const struct stats_series *s =
			stats_group_find(group_of(st, b->group), b->series, true);
		if (!s)
			return;
		if (!b->error_rate) {
			if (!s->h.count)
				return;
			b->measured = (double)hist_percentile(&s->h, b->per_mille);
			b->status = b->measured > b->limit ? BUDGET_VIOLATED : BUDGET_OK;
			return;
		}
		num = b->group == 3 ? s->failure : s->errors;
		den = b->group == 3 ? s->success + s->failure : s->events;
	}
	if (!den)
		return;
	b->measured = (double)num / (double)den;
	b->status = b->measured > b->limit ? BUDGET_VIOLATED : BUDGET_OK;
}

size_t budget_check(struct budget_set *b, const struct stats *st)
{
	size_t violated = 0;
	for (size_t i = 0; i < b->n; i++) {
		measure(&b->v[i], st);
		const struct budget *x = &b->v[i];
		if (x->status != BUDGET_VIOLATED)
			continue;
		violated++;
		if (x->error_rate)
			log_warning("ops", "budget_violated", NULL, LF_STR("budget", x->key),
				    LF_DOUBLE("limit", x->limit), LF_DOUBLE("measured", x->measured));
		else /* milliseconds: whole numbers in the line */
			log_warning("ops", "budget_violated", NULL, LF_STR("budget", x->key),
				    LF_INT("limit_ms", llround(x->limit)),
				    LF_INT("measured_ms", llround(x->measured)));
	}
	return violated;
}

static const char *status_name(enum budget_status s, bool json)
{
	switch (s) {
	case BUDGET_OK: return json ? "ok" : "OK";
	case BUDGET_VIOLATED: return json ? "violated" : "VIOLATED";
	default: return json ? "no_data" : "no data";
	}
}

static void format_value(const struct budget *b, double v, char *out, size_t cap)
{
	if (b->error_rate)
		snprintf(out, cap, "%.2f %%", v * 100);
	else
		snprintf(out, cap, "%.0f ms", v);
}

void budget_print(const struct budget_set *b, FILE *out)
{
	int width = 24;
	for (size_t i = 0; i < b->n; i++) {
		int l = (int)strlen(b->v[i].key);
		if (l > width)
			width = l;
	}
	fprintf(out, "\n%-*s %12s %12s  %s\n", width, "budget", "limit", "measured", "result");
	for (size_t i = 0; i < b->n; i++) {
		const struct budget *x = &b->v[i];
		char lim[48], meas[48];
		format_value(x, x->limit, lim, sizeof(lim));
		if (x->status == BUDGET_NO_DATA)
			snprintf(meas, sizeof(meas), "-");
		else
			format_value(x, x->measured, meas, sizeof(meas));
		fprintf(out, "%-*s %12s %12s  %s\n", width, x->key, lim, meas,
			status_name(x->status, false));
	}
}

json_t *budget_to_json(const struct budget_set *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < b->n; i++) {
		const struct budget *x = &b->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "key", json_string(x->key));
		json_object_set_new(o, "limit", json_real(x->limit));
		json_object_set_new(o, "measured",
				    x->status == BUDGET_NO_DATA ? json_null() : json_real(x->measured));
		json_object_set_new(o, "status", json_string(status_name(x->status, true)));
		json_array_append_new(a, o);
	}
	return a;
}
