/* report_failed.c - what went wrong, for `photopub report`: the newest
 * failed runs with the stage or platforms that failed and their warning and
 * error lines, and each platform's failure reasons counted. Owns the
 * failed-run slots, the reasons and the ring of recent lines (rules in
 * report.h). */
#include <stdlib.h>
#include <string.h>
#include "ops/logline.h"
#include "ops/report.h"
#include "types/stage.h"
#include "util/buf.h"

static bool is_false(const struct logline *l, const char *key)
{
	const struct ll_member *m = ll_find(l, key);
	return m && m->val.type == LV_FALSE;
}

static void remember(struct report *r, const struct logline *l, const char *raw, size_t n)
{
	if (!r->recent)
		r->recent = xcalloc(REPORT_RECENT, sizeof(*r->recent));
	struct recent_line *x = &r->recent[r->recent_next];
	r->recent_next = (r->recent_next + 1) % REPORT_RECENT;
	free(x->raw);
	x->raw = xstrndup(raw, n);
	ll_find_str(l, "correlation_id", x->cid, sizeof(x->cid));
}

static void count_reason(struct report *r, const struct logline *l)
{
	char platform[40], reason[120], error[300];
	ll_find_str(l, "platform", platform, sizeof(platform));
	ll_find_str(l, "error_kind", reason, sizeof(reason));
	ll_find_str(l, "error", error, sizeof(error));
	if (!*reason) /* a line from before error_kind: the error's text */
		snprintf(reason, sizeof(reason), "%.119s", *error ? error : "unknown");
	if (!r->reasons)
		r->reasons = xcalloc(REPORT_REASONS, sizeof(*r->reasons));
	struct fail_reason *f = NULL;
	for (size_t i = 0; i < r->nreasons && !f; i++)
		if (!strcmp(r->reasons[i].platform, platform) && !strcmp(r->reasons[i].reason, reason))
			f = &r->reasons[i];
	if (!f) {
		if (r->nreasons == REPORT_REASONS) {
			r->reasons_other++;
			return;
		}
		f = &r->reasons[r->nreasons++];
		snprintf(f->platform, sizeof(f->platform), "%s", platform);
		snprintf(f->reason, sizeof(f->reason), "%s", reason);
	}
	f->count++;
	snprintf(f->example, sizeof(f->example), "%s", error);
}

/* The slot for a failed run at ts: a free one, else the oldest when ts is newer. */
static struct failed_run *failed_slot(struct report *r, int64_t ts)
{
	if (!r->failed)
		r->failed = xcalloc(REPORT_FAILED, sizeof(*r->failed));
	if (r->nfailed < REPORT_FAILED)
		return &r->failed[r->nfailed++];
	size_t old = 0;
	for (size_t i = 1; i < REPORT_FAILED; i++)
		if (r->failed[i].ts_ms < r->failed[old].ts_ms)
			old = i;
	if (r->failed[old].ts_ms > ts)
		return NULL;
	struct failed_run *f = &r->failed[old];
	for (size_t i = 0; i < f->nlines; i++)
		free(f->lines[i]);
	memset(f, 0, sizeof(*f));
	return f;
}

/* Where the run failed: the platforms whose publisher_publish failed, else
 * the last stage that ran (pipeline order), by its label. */
static void failed_where(struct failed_run *f, const struct logline *timing, const char *platforms)
{
	if (*platforms) {
		snprintf(f->where, sizeof(f->where), "publish %s", platforms);
		return;
	}
	int last = -1;
	for (size_t s = 0; s < STAGE_COUNT; s++) {
		const struct ll_member *m = ll_find(timing, stage_defs[s].ms_key);
		if (!(stage_defs[s].flags & STAGE_WHOLE) && m && m->val.type == LV_NUMBER)
			last = (int)s;
	}
	if (last < 0) {
		snprintf(f->where, sizeof(f->where), "before the first stage");
		return;
	}
	const char *key = stage_defs[last].ms_key;
	stage_label(key, strlen(key), NULL, f->where, sizeof(f->where));
}

static void add_failed_run(struct report *r, const struct logline *l, const char *raw, size_t n)
{
	char cid[sizeof(((struct failed_run *)0)->cid)];
	ll_find_str(l, "correlation_id", cid, sizeof(cid));
	if (report_failed_find(r, cid))
		return; /* the same run read twice (a file named twice, a copy) */
	r->failed_seen++;
	struct failed_run *f = failed_slot(r, l->ts_ms);
	if (!f)
		return;
	f->ts_ms = l->ts_ms;
	const struct ll_member *total = ll_find(l, stage_defs[STAGE_TOTAL].ms_key);
	int64_t ms = -1;
	f->total_ms = total && ll_int(&total->val, &ms) ? ms : -1;
	ll_find_str(l, "correlation_id", f->cid, sizeof(f->cid));
	ll_find_str(l, "image", f->image, sizeof(f->image));
	ll_find_str(l, "error", f->error, sizeof(f->error));
	/* Its lines from the ring, oldest first; the platforms that failed. */
	char platforms[160] = "";
	size_t np = 0;
	for (size_t k = 0; *f->cid && r->recent && k < REPORT_RECENT; k++) {
		struct recent_line *x = &r->recent[(r->recent_next + k) % REPORT_RECENT];
		if (!x->raw || strcmp(x->cid, f->cid))
			continue;
		if (f->nlines < REPORT_RUN_LINES - 1)
			f->lines[f->nlines++] = xstrdup(x->raw);
		struct logline pl;
		if (logline_parse(x->raw, strlen(x->raw), &pl) == LL_OURS &&
		    ll_str_eq(&pl.m[3].val, "publisher_publish") && is_false(&pl, "success")) {
			char p[40];
			ll_find_str(&pl, "platform", p, sizeof(p));
			np += (size_t)snprintf(platforms + np, np < sizeof(platforms) ? sizeof(platforms) - np : 0,
					       "%s%s", np ? ", " : "", p);
			if (np >= sizeof(platforms))
				np = sizeof(platforms) - 1;
		}
	}
	f->lines[f->nlines++] = xstrndup(raw, n);
	failed_where(f, l, platforms);
}

void report_failed_line(struct report *r, const struct logline *l, const char *raw, size_t n)
{
	const struct ll_value *msg = &l->m[3].val, *level = &l->m[1].val;
	bool loud = ll_str_eq(level, "error") || ll_str_eq(level, "warning");
	if (ll_str_eq(msg, "publisher_publish") && is_false(l, "success"))
		count_reason(r, l);
	if (ll_str_eq(msg, "workflow_timing")) {
		if (is_false(l, "success"))
			add_failed_run(r, l, raw, n);
	} else if ((loud || ll_str_eq(msg, "images_listed")) && ll_find(l, "correlation_id")) {
		/* images_listed names the storage backend, for the waterfall's label. */
		remember(r, l, raw, n);
	}
}

void report_failed_release(struct report *r)
{
	for (size_t i = 0; i < r->nfailed; i++)
		for (size_t k = 0; k < r->failed[i].nlines; k++)
			free(r->failed[i].lines[k]);
	free(r->failed);
	free(r->reasons);
	for (size_t i = 0; r->recent && i < REPORT_RECENT; i++)
		free(r->recent[i].raw);
	free(r->recent);
	r->failed = NULL;
	r->reasons = NULL;
	r->recent = NULL;
	r->nfailed = r->nreasons = 0;
}

static int cmp_newest(const void *a, const void *b)
{
	const struct failed_run *x = *(const struct failed_run *const *)a;
	const struct failed_run *y = *(const struct failed_run *const *)b;
	return x->ts_ms < y->ts_ms ? 1 : x->ts_ms > y->ts_ms ? -1 : 0;
}

const struct failed_run **report_failed_sorted(const struct report *r)
{
	const struct failed_run **v = xmalloc((r->nfailed + 1) * sizeof(*v));
	for (size_t i = 0; i < r->nfailed; i++)
		v[i] = &r->failed[i];
	qsort(v, r->nfailed, sizeof(*v), cmp_newest);
	return v;
}

const struct failed_run *report_failed_find(const struct report *r, const char *cid)
{
	for (size_t i = 0; *cid && i < r->nfailed; i++)
		if (!strcmp(r->failed[i].cid, cid))
			return &r->failed[i];
	return NULL;
}
