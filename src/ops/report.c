/* report.c - the one pass behind `photopub report`: statistics, per-series
 * time buckets with their granularity growing with the span, and the
 * slowest runs and requests. Owns the series and their buckets. */
#include <stdlib.h>
#include <string.h>
#include "types/stage.h"
#include "ops/logline.h"
#include "ops/logread.h"
#include "ops/report.h"

#define HOUR_MS ((int64_t)3600 * 1000)
#define DAY_MS (24 * HOUR_MS)
#define WEEK_MS (7 * DAY_MS)

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	stats_init(&r->st);
	r->gran_ms = HOUR_MS;
}

void report_release(struct report *r)
{
	for (size_t i = 0; i < r->nts; i++) {
		struct tseries *t = &r->ts[i];
		for (size_t k = 0; k < t->n; k++)
			hist_release(&t->b[k].h);
		hist_release(&t->all);
		free(t->b);
		free(t->name);
	}
	free(r->ts);
	report_failed_release(r);
	stats_release(&r->st);
	memset(r, 0, sizeof(*r));
}

/* ---- time buckets ------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Merges every series' buckets into buckets of gran_ms (a multiple of the
 * current width). */
static void regrain(struct report *r, int64_t gran_ms)
{
	for (size_t i = 0; i < r->nts; i++) {
		struct tseries *t = &r->ts[i];
		size_t out = 0;
		for (size_t k = 0; k < t->n; k++) {
			int64_t key = floor_div(t->b[k].key * r->gran_ms, gran_ms);
			if (out > 0 && t->b[out - 1].key == key) {
				hist_merge(&t->b[out - 1].h, &t->b[k].h);
				hist_release(&t->b[k].h);
			} else {
				t->b[out] = t->b[k];
				t->b[out].key = key;
				out++;
			}
		}
		t->n = out;
	}
	r->gran_ms = gran_ms;
}

static void note_time(struct report *r, int64_t ts)
{
	if (!r->have_ts) {
		r->min_ts = r->max_ts = ts;
		r->have_ts = true;
	}
	if (ts < r->min_ts)
		r->min_ts = ts;
	if (ts > r->max_ts)
		r->max_ts = ts;
	int64_t span = r->max_ts - r->min_ts;
	int64_t want = span <= 3 * DAY_MS ? HOUR_MS : span <= 120 * DAY_MS ? DAY_MS : WEEK_MS;
	if (want > r->gran_ms)
		regrain(r, want);
}

static struct hist *bucket(struct tseries *t, int64_t key)
{
	/* Lines come mostly in time order: the last bucket first. */
	size_t lo = 0, hi = t->n;
	if (t->n && t->b[t->n - 1].key == key)
		return &t->b[t->n - 1].h;
	if (t->n && t->b[t->n - 1].key < key) {
		lo = hi = t->n;
	} else {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (t->b[mid].key < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < t->n && t->b[lo].key == key)
			return &t->b[lo].h;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->b = xrealloc(t->b, t->cap * sizeof(*t->b));
	}
	memmove(&t->b[lo + 1], &t->b[lo], (t->n - lo) * sizeof(*t->b));
	t->b[lo].key = key;
	hist_init(&t->b[lo].h);
	t->n++;
	return &t->b[lo].h;
}

static struct tseries *series(struct report *r, enum report_kind kind, const char *name, size_t n)
{
	for (size_t i = 0; i < r->nts; i++) {
		struct tseries *t = &r->ts[i];
		if (t->kind == kind && strlen(t->name) == n && !memcmp(t->name, name, n))
			return t;
	}
	if (r->nts == REPORT_MAX_SERIES) {
		r->series_dropped++;
		return NULL;
	}
	if (r->nts == r->capts) {
		r->capts = r->capts ? r->capts * 2 : 32;
		r->ts = xrealloc(r->ts, r->capts * sizeof(*r->ts));
	}
	struct tseries *t = &r->ts[r->nts++];
	memset(t, 0, sizeof(*t));
	t->name = xstrndup(name, n);
	t->kind = kind;
	return t;
}

static void sample(struct report *r, enum report_kind kind, const char *name, size_t n,
		   int64_t ts, const struct ll_value *v, bool error)
{
	int64_t ms;
	bool have = ll_int(v, &ms) && ms >= 0;
	if (!have && !error)
		return;
	struct tseries *t = series(r, kind, name, n);
	if (!t)
		return;
	if (error)
		t->errors++;
	if (!have)
		return;
	hist_add(&t->all, (uint64_t)ms);
	hist_add(bucket(t, floor_div(ts, r->gran_ms)), (uint64_t)ms);
}

/* ---- slowest ------------------------------------------------------------------ */

/* Keeps the REPORT_TOP slowest; returns the slot to fill, or NULL. */
static struct slow *slot(struct slow *v, size_t *n, int64_t ms)
{
	if (*n < REPORT_TOP)
		return &v[(*n)++];
	size_t min = 0;
	for (size_t i = 1; i < REPORT_TOP; i++)
		if (v[i].ms < v[min].ms)
			min = i;
	return ms > v[min].ms ? &v[min] : NULL;
}

/* ---- lines -------------------------------------------------------------------- */

static bool ends_ms(const struct ll_value *k)
{
	return !k->escaped && k->n > 3 && !memcmp(k->p + k->n - 3, "_ms", 3);
}

static void add_line(struct report *r, const struct logline *l, const char *raw, size_t rawlen)
{
	report_failed_line(r, l, raw, rawlen);
	const struct ll_value *msg = &l->m[3].val;
	int64_t ts = l->ts_ms, ms;
	note_time(r, ts);
	if (ll_str_eq(msg, "workflow_timing")) {
		const struct ll_member *ok = ll_find(l, "success"), *total = ll_find(l, stage_defs[STAGE_TOTAL].ms_key);
		bool failed = ok && ok->val.type == LV_FALSE;
		/* As in stats: a stage's errors are its samples from failed runs. */
		for (unsigned i = 4; i < l->n; i++)
			if (ends_ms(&l->m[i].key) && ll_int(&l->m[i].val, &ms) && ms >= 0)
				sample(r, RK_STAGE, l->m[i].key.p, l->m[i].key.n, ts, &l->m[i].val,
				       failed);
		struct slow *s;
		if (total && ll_int(&total->val, &ms) && (s = slot(r->runs, &r->nruns, ms))) {
			s->ms = ms;
			s->ts_ms = ts;
			s->ok = !failed;
			ll_find_str(l, "correlation_id", s->cid, sizeof(s->cid));
			ll_find_str(l, "image", s->what, sizeof(s->what));
			ll_find_str(l, "error", s->detail, sizeof(s->detail));
		}
	} else if (ll_str_eq(msg, "http_request")) {
		const struct ll_member *method = ll_find(l, "method"), *route = ll_find(l, "route"),
				       *path = ll_find(l, "path"), *status = ll_find(l, "status"),
				       *dur = ll_find(l, "duration_ms");
		int64_t code = 0;
		if (!method || method->val.type != LV_STRING || !dur)
			return;
		const struct ll_member *where = route && route->val.type == LV_STRING && route->val.n
							? route : path;
		if (!where || where->val.type != LV_STRING)
			return;
		char name[600];
		size_t n = ll_copy(&method->val, name, 32);
		name[n++] = ' ';
		n += ll_copy(&where->val, name + n, 512);
		bool have_code = status && ll_int(&status->val, &code);
		sample(r, RK_HTTP, name, n, ts, &dur->val, have_code && code >= 500);
		struct slow *s;
		if (ll_int(&dur->val, &ms) && (s = slot(r->reqs, &r->nreqs, ms))) {
			s->ms = ms;
			s->ts_ms = ts;
			s->ok = !(have_code && code >= 500);
			ll_find_str(l, "correlation_id", s->cid, sizeof(s->cid));
			size_t k = ll_copy(&method->val, s->what, 32);
			s->what[k++] = ' ';
			ll_copy(path && path->val.type == LV_STRING ? &path->val : &where->val,
				s->what + k, sizeof(s->what) - k);
			snprintf(s->detail, sizeof(s->detail), "%lld", (long long)code);
		}
	} else if (ll_str_eq(&l->m[2].val, "web") && msg->n > 4 && !msg->escaped &&
		   !memcmp(msg->p, "web_", 4)) {
		bool error = msg->n > 6 && !memcmp(msg->p + msg->n - 6, "_error", 6);
		for (unsigned i = 4; i < l->n; i++) {
			const struct ll_value *k = &l->m[i].key;
			if (ends_ms(k) && k->n > 7 && !memcmp(k->p, "web_", 4))
				sample(r, RK_WEB, k->p, k->n, ts, &l->m[i].val, error);
		}
	}
}

int report_read(struct report *r, const char *path, struct pp_error *err)
{
	struct logread *in;
	struct logline_raw line;
	struct logline l;
	int rc;
	if (logread_open(path, &in, err) < 0)
		return -1;
	while ((rc = logread_next(in, &line, err)) > 0) {
		if (line.too_long) {
			stats_add_line(&r->st, line.s, 0, true);
			continue;
		}
		enum ll_kind kind = logline_parse(line.s, line.n, &l);
		if (stats_add_parsed(&r->st, kind, &l))
			add_line(r, &l, line.s, line.n);
	}
	r->st.bytes += logread_bytes(in);
	logread_close(in);
	return rc < 0 ? -1 : 0;
}
