/* waterfall.c - the waterfall of one correlation id (rules in trace.h): bars
 * from the http_request, web event and workflow_timing lines, or from the
 * nested lines' durations, and their terminal rendering. */
#include <stdlib.h>
#include <string.h>
#include "ops/logline.h"
#include "ops/trace.h"
#include "types/stage.h"
#include "util/buf.h"
#include "util/utf8.h"


/* The longest duration a bar is drawn for, about 35 years: a line claiming
 * more is read as having no duration, so that sums of durations and their
 * scaling to columns stay far from int64_t's limits, whatever a log holds. */
#define MAX_MS ((int64_t)1 << 40)

/* A duration in ms into *ms; *ms is left alone when v is none. */
static bool is_duration(const struct ll_value *v, int64_t *ms)
{
	int64_t x;
	if (!ll_int(v, &x) || x < 0 || x > MAX_MS)
		return false;
	*ms = x;
	return true;
}

struct bars {
	struct wf_bar *v;
	size_t n, cap;
	char backend[32];  /* the run's storage backend, "" when unknown */
};

static void add(struct bars *b, const char *name, size_t namelen, int64_t start, int64_t dur,
		int depth)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	struct wf_bar *w = &b->v[b->n++];
	memset(w, 0, sizeof(*w));
	if (namelen >= sizeof(w->name))
		namelen = sizeof(w->name) - 1;
	memcpy(w->name, name, namelen);
	stage_label(w->name, namelen, b->backend, w->label, sizeof(w->label));
	w->start_ms = start;
	w->duration_ms = dur < 0 ? 0 : dur;
	w->depth = depth;
}

static bool num(const struct logline *l, const char *key, int64_t *v)
{
	const struct ll_member *m = ll_find(l, key);
	return m && is_duration(&m->val, v);
}

static bool msg_is(const struct logline *l, const char *lit)
{
	return ll_str_eq(&l->m[3].val, lit);
}

static bool is_web_event(const struct logline *l, int64_t *ms, const struct ll_member **key)
{
	if (!ll_str_eq(&l->m[2].val, "web") || l->m[3].val.n < 5 ||
	    memcmp(l->m[3].val.p, "web_", 4) != 0)
		return false;
	for (unsigned i = 4; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		if (!m->key.escaped && m->key.n > 7 && !memcmp(m->key.p, "web_", 4) &&
		    !memcmp(m->key.p + m->key.n - 3, "_ms", 3) && is_duration(&m->val, ms)) {
			*key = m;
			return true;
		}
	}
	return false;
}

/* A nested line's duration: duration_ms, else its first *_ms number. */
static bool line_duration(const struct logline *l, int64_t *ms)
{
	if (num(l, "duration_ms", ms))
		return true;
	for (unsigned i = 4; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		if (!m->key.escaped && m->key.n > 3 && !memcmp(m->key.p + m->key.n - 3, "_ms", 3) &&
		    is_duration(&m->val, ms))
			return true;
	}
	return false;
}

static void add_run(struct bars *b, const struct logline *l, int64_t end, int depth)
{
	int64_t total = 0, cursor, v;
	const struct stage_def *whole = &stage_defs[STAGE_TOTAL];
	num(l, whole->ms_key, &total);
	cursor = end - total;
	add(b, whole->name, strlen(whole->name), cursor, total, depth);
	for (size_t s = 0; s < STAGE_COUNT; s++) {
		const struct stage_def *d = &stage_defs[s];
		if (d->flags & STAGE_WHOLE || !num(l, d->ms_key, &v))
			continue; /* the bar above, or null: the stage did not run */
		add(b, d->name, strlen(d->name), cursor, v, depth + 1);
		if (d->flags & STAGE_PLATFORMS) {
			for (unsigned i = 4; i < l->n; i++) {
				const struct ll_member *m = &l->m[i];
				int64_t p;
				if (m->key.escaped || m->key.n <= 11 || memcmp(m->key.p, "publish_", 8) ||
				    memcmp(m->key.p + m->key.n - 3, "_ms", 3) ||
				    stage_by_key(m->key.p, m->key.n) >= 0 || !is_duration(&m->val, &p))
					continue;
				add(b, m->key.p, m->key.n - 3, cursor, p, depth + 2);
			}
		}
		cursor += v;
	}
}

/* Stable insertion sort by start: bars are few, and equal starts keep
 * their line order. */
static void sort_by_start(struct wf_bar *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct wf_bar x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1].start_ms > x.start_ms; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

size_t trace_waterfall(const struct trace *t, struct wf_bar **out)
{
	struct bars b = { 0 };
	struct logline l;
	const struct trace_line *timing = NULL;
	bool http = false, web = false;
	int64_t ms;
	const struct ll_member *key;

	for (size_t i = 0; i < t->n; i++) {
		if (logline_parse(t->v[i].raw, t->v[i].n, &l) != LL_OURS)
			continue;
		const struct ll_member *storage = ll_find(&l, "storage");
		if ((msg_is(&l, "images_listed") || msg_is(&l, "workflow_start")) && storage &&
		    storage->val.type == LV_STRING)
			ll_copy(&storage->val, b.backend, sizeof(b.backend));
		if (msg_is(&l, "workflow_timing"))
			timing = &t->v[i];
		else if (msg_is(&l, "http_request"))
			http = true;
		else if (is_web_event(&l, &ms, &key))
			web = true;
	}
	int inner = (http ? 1 : 0) + (web ? 1 : 0);
	/* Outside in: the request, its web event, then the run. */
	for (int phase = 0; phase < 3; phase++)
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_line *tl = &t->v[i];
		if (logline_parse(tl->raw, tl->n, &l) != LL_OURS)
			continue;
		if (phase == 0 && msg_is(&l, "http_request")) {
			const struct ll_member *method = ll_find(&l, "method"), *path = ll_find(&l, "path"),
					       *status = ll_find(&l, "status");
			char name[160];
			size_t n = 0;
			if (method)
				n += ll_copy(&method->val, name + n, 16);
			name[n++] = ' ';
			if (path)
				n += ll_copy(&path->val, name + n, 120);
			if (status)
				n += (size_t)snprintf(name + n, sizeof(name) - n, " %.*s",
						      (int)status->val.n, status->val.p);
			if (!num(&l, "duration_ms", &ms))
				ms = 0; /* a request without its duration: a bar of none */
			add(&b, name, n, tl->ts_ms - ms, ms, 0);
		} else if (phase == 1 && is_web_event(&l, &ms, &key)) {
			add(&b, key->key.p, key->key.n - 3, tl->ts_ms - ms, ms, http ? 1 : 0);
		} else if (phase == 2 && tl == timing) {
			add_run(&b, &l, tl->ts_ms, inner);
		}
	}
	if (!timing) {
		/* A web request (or a run whose summary line is missing): every
		 * line with a duration is a bar ending at its timestamp. */
		size_t first = b.n;
		for (size_t i = 0; i < t->n; i++) {
			const struct trace_line *tl = &t->v[i];
			if (logline_parse(tl->raw, tl->n, &l) != LL_OURS || msg_is(&l, "http_request") ||
			    is_web_event(&l, &ms, &key) || !line_duration(&l, &ms))
				continue;
			char name[160];
			size_t n = ll_copy(&l.m[3].val, name, 100);
			const struct ll_member *platform = ll_find(&l, "platform");
			if (msg_is(&l, "publisher_publish") && platform) {
				n = (size_t)snprintf(name, sizeof(name), "publish ");
				n += ll_copy(&platform->val, name + n, 100);
			}
			add(&b, name, n, tl->ts_ms - ms, ms, inner);
		}
		if (b.n > first) /* b.v is NULL while there is no bar */
			sort_by_start(b.v + first, b.n - first);
	}
	if (b.n) {
		/* Time 0 is the outermost bar's start (the request, or the run);
		 * a nested bar that seems to start before it only does so by the
		 * rounding of timestamps to milliseconds: it starts at 0. */
		int64_t origin = b.v[0].start_ms;
		if (b.v[0].depth > 0)
			for (size_t i = 1; i < b.n; i++)
				if (b.v[i].start_ms < origin)
					origin = b.v[i].start_ms;
		for (size_t i = 0; i < b.n; i++)
			b.v[i].start_ms = b.v[i].start_ms > origin ? b.v[i].start_ms - origin : 0;
	}
	*out = b.v;
	return b.n;
}

void trace_print_waterfall(const struct wf_bar *bars, size_t nbars, int width, FILE *out)
{
	int64_t span = 1;
	int namew = 20;
	for (size_t i = 0; i < nbars; i++) {
		int64_t end = bars[i].start_ms + bars[i].duration_ms;
		if (end > span)
			span = end;
		int w = (int)strlen(bars[i].label) + 2 * bars[i].depth;
		if (w > namew)
			namew = w < 60 ? w : 60;
	}
	char scale[32];
	int sl = snprintf(scale, sizeof(scale), "%lld ms", (long long)span);
	fprintf(out, "%-*s %8s %8s  |0%*s|\n", namew, "waterfall", "start ms", "ms", width - 1, scale);
	(void)sl;
	for (size_t i = 0; i < nbars; i++) {
		const struct wf_bar *w = &bars[i];
		int c0 = (int)(w->start_ms * width / span);
		int c1 = (int)(((w->start_ms + w->duration_ms) * width + span - 1) / span);
		if (c0 >= width)
			c0 = width - 1;
		if (c1 <= c0)
			c1 = c0 + 1;
		if (c1 > width)
			c1 = width;
		int avail = namew - 2 * w->depth, len = (int)strlen(w->label);
		if (len > avail) {
			/* Cut on a character boundary and mark the cut. */
			int cut = avail > 1 ? (int)utf8_cut_bytes(w->label, (size_t)len,
								 (size_t)avail - 1) : 0;
			fprintf(out, "%*s%.*s…%*s", 2 * w->depth, "", cut, w->label, avail - 1 - cut, "");
		} else {
			fprintf(out, "%*s%-*s", 2 * w->depth, "", avail, w->label);
		}
		fprintf(out, " %8lld %8lld  |", (long long)w->start_ms, (long long)w->duration_ms);
		for (int c = 0; c < width; c++) {
			if (c < c0 || c >= c1)
				fputc(' ', out);
			else
				fputs(w->duration_ms ? "█" : "▏", out);
		}
		fputs("|\n", out);
	}
}
