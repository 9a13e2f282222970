/* report_html_failed.c - the "what went wrong" part of the HTML report:
 * each platform's failure reasons, the newest failed runs (time, image,
 * where it failed, the error, the trace command, a link to the run's own
 * section) and a section per listed run (anchor #run-<correlation_id>) with
 * its waterfall and its warning and error lines. Every string from the
 * logs goes through html_escape. */
#include <stdlib.h>
#include <string.h>
#include "ops/html.h"
#include "ops/logline.h"
#include "ops/report.h"
#include "ops/timefmt.h"
#include "ops/trace.h"

void report_fmt_time(int64_t ms, char *out, size_t cap)
{
	char ts[32];
	ts_format(ms, ts);
	snprintf(out, cap, "%.10s %.8s", ts, ts + 11);
}

/* "photopub trace <first 8 characters>" of cid. */
static void trace_command(struct buf *o, const char *cid)
{
	char head[9];
	snprintf(head, sizeof(head), "%.8s", cid);
	buf_adds(o, "<code class=\"cmd\">photopub trace ");
	html_escape(o, head);
	buf_adds(o, "</code>");
}

static void run_link(struct buf *o, const char *cid, const char *text)
{
	buf_adds(o, "<a href=\"#run-");
	html_escape(o, cid);
	buf_adds(o, "\">");
	html_escape(o, text);
	buf_adds(o, "</a>");
}

void report_html_run_time(struct buf *o, const struct report *r, const char *cid, const char *when)
{
	if (report_failed_find(r, cid))
		run_link(o, cid, when);
	else
		html_escape(o, when);
}

static int cmp_reason(const void *a, const void *b)
{
	const struct fail_reason *x = a, *y = b;
	int c = strcmp(x->platform, y->platform);
	return c ? c : x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->reason, y->reason);
}

static void reasons(struct buf *o, const struct report *r)
{
	buf_adds(o, "<h3 class=\"h3\">Why platforms failed</h3>");
	if (!r->nreasons) {
		buf_adds(o, "<p class=\"empty\">No failed publish in these logs.</p>");
		return;
	}
	struct fail_reason *v = xmalloc(r->nreasons * sizeof(*v));
	memcpy(v, r->reasons, r->nreasons * sizeof(*v));
	qsort(v, r->nreasons, sizeof(*v), cmp_reason);
	buf_adds(o, "<ul class=\"reasons\">");
	for (size_t i = 0; i < r->nreasons;) {
		size_t j = i;
		buf_adds(o, "<li><b>");
		html_escape(o, v[i].platform);
		buf_adds(o, "</b>: ");
		for (; j < r->nreasons && !strcmp(v[j].platform, v[i].platform); j++) {
			buf_addf(o, "%s<span class=\"reason\" title=\"", j > i ? ", " : "");
			html_escape(o, v[j].example);
			buf_addf(o, "\">%llu× ", (unsigned long long)v[j].count);
			html_escape(o, v[j].reason);
			buf_adds(o, "</span>");
		}
		buf_adds(o, "<div class=\"ex\">e.g. ");
		html_escape(o, *v[i].example ? v[i].example : "-");
		buf_adds(o, "</div></li>");
		i = j;
	}
	buf_adds(o, "</ul>");
	if (r->reasons_other)
		buf_addf(o, "<p class=\"note\">%llu more failures of other reasons.</p>",
			 (unsigned long long)r->reasons_other);
	free(v);
}

static void failed_table(struct buf *o, const struct report *r, const struct failed_run **v)
{
	buf_adds(o, "<h3 class=\"h3\">Failed runs</h3>");
	if (!r->nfailed) {
		buf_adds(o, "<p class=\"empty\">No failed run in these logs.</p>");
		return;
	}
	buf_addf(o, "<p class=\"note\">The newest %zu of %llu failed runs.</p>", r->nfailed,
		 (unsigned long long)r->failed_seen);
	buf_adds(o, "<div class=\"scroll\"><table class=\"failed\"><thead><tr><th>time (UTC)</th>"
		    "<th>image</th><th>failed at</th><th>error</th><th>trace</th></tr></thead><tbody>");
	for (size_t i = 0; i < r->nfailed; i++) {
		char when[40];
		report_fmt_time(v[i]->ts_ms, when, sizeof(when));
		buf_adds(o, "<tr><td class=\"t\">");
		run_link(o, v[i]->cid, when);
		buf_adds(o, "</td><td><code>");
		html_escape(o, *v[i]->image ? v[i]->image : "-");
		buf_adds(o, "</code></td><td>");
		html_escape(o, v[i]->where);
		buf_adds(o, "</td><td class=\"bad\">");
		html_escape(o, *v[i]->error ? v[i]->error : "failed");
		buf_adds(o, "</td><td>");
		trace_command(o, v[i]->cid);
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></div>");
}

/* The run's waterfall, from its lines (workflow_timing among them), as rows
 * of HTML bars on one time scale. */
static void waterfall(struct buf *o, const struct failed_run *f)
{
	struct trace t = { 0 };
	struct trace_line tl[REPORT_RUN_LINES];
	struct logline l;
	for (size_t i = 0; i < f->nlines; i++) {
		size_t n = strlen(f->lines[i]);
		tl[t.n] = (struct trace_line){ .raw = f->lines[i], .n = n, .seq = i };
		if (logline_parse(f->lines[i], n, &l) == LL_OURS) {
			tl[t.n].ts_ms = l.ts_ms;
			t.n++;
		}
	}
	t.v = tl;
	struct wf_bar *bars = NULL;
	size_t nbars = trace_waterfall(&t, &bars);
	int64_t span = 1;
	for (size_t i = 0; i < nbars; i++)
		if (bars[i].start_ms + bars[i].duration_ms > span)
			span = bars[i].start_ms + bars[i].duration_ms;
	buf_adds(o, "<div class=\"wf\">");
	for (size_t i = 0; i < nbars; i++) {
		char ms[32];
		html_fmt_ms((double)bars[i].duration_ms, ms, sizeof(ms));
		double left = 100.0 * (double)bars[i].start_ms / (double)span;
		double width = 100.0 * (double)bars[i].duration_ms / (double)span;
		buf_addf(o, "<div class=\"wfr\"><span class=\"wfn\" style=\"padding-left:%dpx\">",
			 bars[i].depth * 12);
		html_escape(o, bars[i].label);
		buf_addf(o, "</span><span class=\"wft\"><i style=\"left:%.2f%%;width:%.2f%%\"></i></span>"
			    "<span class=\"wfm\">%s</span></div>",
			 left, width < 0.4 ? 0.4 : width, ms);
	}
	if (!nbars)
		buf_adds(o, "<p class=\"empty\">No stage timings for this run.</p>");
	buf_adds(o, "</div>");
	free(bars);
}

static void run_section(struct buf *o, const struct failed_run *f)
{
	char when[40], total[32];
	report_fmt_time(f->ts_ms, when, sizeof(when));
	buf_adds(o, "<section class=\"panel run\" id=\"run-");
	html_escape(o, f->cid);
	buf_addf(o, "\"><h3>%s UTC · ", when);
	html_escape(o, *f->image ? f->image : "no image");
	buf_adds(o, "</h3><div class=\"nums\">failed at <b>");
	html_escape(o, f->where);
	buf_adds(o, "</b>");
	if (f->total_ms >= 0) {
		html_fmt_ms((double)f->total_ms, total, sizeof(total));
		buf_addf(o, " · after <b>%s</b>", total);
	}
	buf_adds(o, " · <code>");
	html_escape(o, f->cid);
	buf_adds(o, "</code></div><p class=\"bad\">");
	html_escape(o, *f->error ? f->error : "failed");
	buf_adds(o, "</p><p>All its lines: ");
	trace_command(o, f->cid);
	buf_adds(o, "</p>");
	waterfall(o, f);
	buf_adds(o, "<pre class=\"lines\">");
	for (size_t i = 0; i < f->nlines; i++) {
		html_escape(o, f->lines[i]);
		buf_adds(o, "\n");
	}
	buf_adds(o, "</pre></section>");
}

void report_html_failures(const struct report *r, struct buf *o)
{
	buf_adds(o, "<h2 id=\"failures\">What went wrong</h2><p class=\"note\">Runs whose "
		    "<code>workflow_timing</code> says <code>success: false</code>, newest first, and "
		    "the errors of every failed <code>publisher_publish</code>, by platform.</p>");
	reasons(o, r);
	const struct failed_run **v = report_failed_sorted(r);
	failed_table(o, r, v);
	for (size_t i = 0; i < r->nfailed; i++)
		run_section(o, v[i]);
	free(v);
}
