/* report_html.c - the HTML document of `photopub report`: one self-contained
 * page (inline CSS and SVG, no script, nothing from the network) with
 * summary cards, a panel per stage / web event / endpoint, publisher
 * outcomes, what went wrong (report_html_failed.c) and the slowest runs and
 * requests. Every string from the logs goes through html_escape. Nothing is
 * wider than a phone (390 px): tables scroll inside their own box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "types/stage.h"
#include "ops/html.h"
#include "ops/report.h"
#include "ops/svg_chart.h"
#include "ops/timefmt.h"

static const char css[] =
	":root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--panel:#fff;"
	"--ok:#1e8e4f;--bad:#c81e1e}"
	"*{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}"
	"main{max-width:1200px;margin:0 auto;padding:32px 28px 48px}"
	"h1{font-size:26px;line-height:1.2;margin:0 0 6px;font-weight:650;letter-spacing:-.01em}"
	".sub{color:var(--muted);margin:0 0 22px}"
	"h2{font-size:18px;margin:38px 0 4px;font-weight:650}"
	"h2+p.note{margin:0 0 14px;color:var(--muted)}"
	".cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px}"
	".card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px}"
	".card .k{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.05em}"
	".card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}"
	".card .v.bad{color:var(--bad)}"
	".panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;"
	"padding:14px 18px 10px;margin:0 0 14px}"
	".panel h3{margin:0;font:600 14.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
	"overflow-wrap:anywhere}"
	".panel h3 .key{color:var(--muted);font-weight:400;font-size:12px}"
	".nums{color:var(--muted);font-size:13px;margin:2px 0 6px;font-variant-numeric:tabular-nums}"
	".nums b{color:var(--fg);font-weight:600}.nums .bad{color:var(--bad)}"
	".charts{display:grid;grid-template-columns:1fr 1fr;gap:20px}"
	"svg{display:block;width:100%;height:auto}"
	"svg text{font-size:11px;fill:#616e7c;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif}"
	"svg text.lab{font-size:13px;fill:#1f2933}"
	"table{border-collapse:collapse;width:100%;background:var(--panel);border:1px solid var(--line);"
	"font-variant-numeric:tabular-nums}"
	"th,td{padding:7px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}"
	"th{font-size:11.5px;color:var(--muted);font-weight:600;text-transform:uppercase;"
	"letter-spacing:.05em;background:#fafbfc}"
	"td.n,th.n{text-align:right;white-space:nowrap}"
	"td.t{white-space:nowrap;color:var(--muted)}"
	"code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}"
	"td.cid{min-width:220px}"
	".scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}"
	".scroll table{min-width:560px}"
	"a{color:#1d4ed8}"
	".h3{font-size:15px;margin:18px 0 6px}"
	".reasons{margin:0 0 10px;padding-left:20px}.reasons li{margin:4px 0}"
	".reasons .ex{color:var(--muted);font-size:12.5px;overflow-wrap:anywhere}"
	".badge{display:inline-block;font-size:11px;font-weight:600;padding:0 6px;border-radius:8px;"
	"background:#fde2e2;color:var(--bad);margin-left:6px}"
	"code.cmd{background:#eef2f7;padding:1px 5px;border-radius:4px;white-space:nowrap}"
	".run p{margin:6px 0;overflow-wrap:anywhere}"
	".wf{margin:8px 0;font-size:12.5px}"
	".wfr{display:grid;grid-template-columns:minmax(0,38%) 1fr 64px;gap:8px;align-items:center}"
	".wfn{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
	".wft{position:relative;height:12px;background:#f1f3f6;border-radius:3px}"
	".wft i{position:absolute;top:0;bottom:0;background:#6b8fd6;border-radius:3px}"
	".wfm{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums}"
	"pre.lines{white-space:pre-wrap;overflow-wrap:anywhere;font-size:11.5px;background:#fafbfc;"
	"border:1px solid var(--line);border-radius:6px;padding:8px;max-height:320px;overflow-y:auto}"
	".ok{color:var(--ok)}.bad{color:var(--bad)}"
	".empty{color:var(--muted);font-style:italic}"
	"footer{color:var(--muted);font-size:12.5px;margin-top:40px;border-top:1px solid var(--line);"
	"padding-top:12px}"
	"@media (max-width:900px){.cards{grid-template-columns:repeat(3,1fr)}"
	".charts{grid-template-columns:1fr}}"
	"@media (max-width:560px){main{padding:18px 12px 32px}"
	".cards{grid-template-columns:repeat(2,minmax(0,1fr))}.panel{padding:12px}}";

static void card(struct buf *o, const char *k, const char *v, bool bad)
{
	buf_adds(o, "<div class=\"card\"><div class=\"k\">");
	html_escape(o, k);
	buf_addf(o, "</div><div class=\"v%s\">", bad ? " bad" : "");
	html_escape(o, v);
	buf_adds(o, "</div></div>");
}

static void nums(struct buf *o, const struct tseries *t, const char *unit)
{
	char c[32], e[32], v[32];
	html_fmt_count(t->all.count, c, sizeof(c));
	html_fmt_count(t->errors, e, sizeof(e));
	buf_addf(o, "<div class=\"nums\"><b>%s</b> %s", c, unit);
	buf_addf(o, " · <b%s>%s</b> errors", t->errors ? " class=\"bad\"" : "", e);
	static const unsigned pm[4] = { 500, 900, 950, 990 };
	static const char *const pn[4] = { "p50", "p90", "p95", "p99" };
	if (t->all.count) {
		for (int i = 0; i < 4; i++) {
			html_fmt_ms((double)hist_percentile(&t->all, pm[i]), v, sizeof(v));
			buf_addf(o, " · %s <b>%s</b>", pn[i], v);
		}
		html_fmt_ms((double)t->all.max, v, sizeof(v));
		buf_addf(o, " · max <b>%s</b>", v);
	}
	buf_adds(o, "</div>");
}

static void panel(struct buf *o, const struct report *r, const struct tseries *t, const char *unit)
{
	char label[200], backends[STATS_MAX_BACKENDS * 26];
	const char *name = t->kind != RK_STAGE ? t->name
		: stage_label(t->name, strlen(t->name), stats_backends(&r->st, backends, sizeof(backends)),
			      label, sizeof(label));
	buf_adds(o, "<section class=\"panel\"><h3>");
	html_escape(o, name);
	if (t->kind == RK_STAGE && strcmp(name, t->name)) {
		buf_adds(o, " <span class=\"key\">");
		html_escape(o, t->name);
		buf_adds(o, "</span>");
	}
	buf_adds(o, "</h3>");
	nums(o, t, unit);
	if (!t->all.count) {
		buf_adds(o, "<p class=\"empty\">No samples: the stage never ran in these logs.</p></section>");
		return;
	}
	/* Percentiles per bucket. */
	size_t n = t->n;
	int64_t *tm = xmalloc((n ? n : 1) * sizeof(*tm));
	double *y = xmalloc((n ? n : 1) * 3 * sizeof(*y));
	static const unsigned pm[3] = { 500, 950, 990 };
	for (size_t i = 0; i < n; i++) {
		tm[i] = t->b[i].key * r->gran_ms;
		for (int k = 0; k < 3; k++)
			y[k * n + i] = t->b[i].h.count ? (double)hist_percentile(&t->b[i].h, pm[k]) : NAN;
	}
	struct chart_line lines[3] = {
		{ "p50", "#2563eb", y }, { "p95", "#d97706", y + n }, { "p99", "#dc2626", y + 2 * n },
	};
	char *title = xasprintf("%s: p50, p95 and p99 over time", name);
	struct time_chart tc = {
		.title = title, .npoints = n, .t_ms = tm,
		.t_min_ms = r->min_ts / r->gran_ms * r->gran_ms,
		.t_max_ms = r->max_ts / r->gran_ms * r->gran_ms,
		.step_ms = r->gran_ms, .lines = lines, .nlines = 3,
	};
	buf_adds(o, "<div class=\"charts\"><div>");
	svg_time_chart(o, &tc);
	free(title);
	title = xasprintf("%s: latency histogram", name);
	buf_adds(o, "</div><div>");
	svg_histogram(o, title, &t->all);
	buf_adds(o, "</div></div></section>");
	free(title);
	free(tm);
	free(y);
}

static int cmp_tseries(const void *a, const void *b)
{
	const struct tseries *x = *(const struct tseries *const *)a;
	const struct tseries *y = *(const struct tseries *const *)b;
	return strcmp(x->name, y->name);
}

/* The series of one kind: stages in the order stats prints them, the others
 * by name. The caller frees the array. */
static const struct tseries **of_kind(const struct report *r, enum report_kind kind, size_t *n)
{
	const struct tseries **v = xmalloc((r->nts + 1) * sizeof(*v));
	*n = 0;
	if (kind == RK_STAGE) {
		const struct stats_series **order = stats_group_sorted(&r->st.stages, true);
		for (size_t i = 0; order[i]; i++)
			for (size_t k = 0; k < r->nts; k++)
				if (r->ts[k].kind == RK_STAGE && !strcmp(r->ts[k].name, order[i]->name))
					v[(*n)++] = &r->ts[k];
		free(order);
		/* Stages that only ever were null have no time series: still show them. */
		return v;
	}
	for (size_t k = 0; k < r->nts; k++)
		if (r->ts[k].kind == kind)
			v[(*n)++] = &r->ts[k];
	qsort(v, *n, sizeof(*v), cmp_tseries);
	return v;
}

static void section(struct buf *o, const struct report *r, enum report_kind kind,
		    const char *title, const char *note, const char *unit, const char *none)
{
	size_t n;
	const struct tseries **v = of_kind(r, kind, &n);
	buf_addf(o, "<h2>%s</h2><p class=\"note\">%s</p>", title, note);
	if (!n)
		buf_addf(o, "<p class=\"empty\">%s</p>", none);
	for (size_t i = 0; i < n; i++)
		panel(o, r, v[i], unit);
	free(v);
}

static int cmp_slow(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

static void slow_table(struct buf *o, const struct report *r, const struct slow *src, size_t n,
		       bool runs)
{
	struct slow *v = xmalloc((n ? n : 1) * sizeof(*v));
	memcpy(v, src, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_slow);
	if (!n) {
		buf_addf(o, "<p class=\"empty\">No %s in these logs.</p>", runs ? "runs" : "requests");
		free(v);
		return;
	}
	buf_addf(o, "<div class=\"scroll\"><table><thead><tr><th>time (UTC)</th><th>correlation id</th><th>%s</th>"
		    "<th class=\"n\">%s</th><th>%s</th></tr></thead><tbody>",
		 runs ? "image" : "request", runs ? "total" : "duration", runs ? "result" : "status");
	for (size_t i = 0; i < n; i++) {
		char when[40], ms[32];
		report_fmt_time(v[i].ts_ms, when, sizeof(when));
		html_fmt_ms((double)v[i].ms, ms, sizeof(ms));
		buf_adds(o, "<tr><td class=\"t\">");
		if (runs)
			report_html_run_time(o, r, v[i].cid, when);
		else
			html_escape(o, when);
		buf_adds(o, "</td><td class=\"cid\"><code>");
		html_escape(o, v[i].cid);
		buf_adds(o, "</code></td><td><code>");
		html_escape(o, *v[i].what ? v[i].what : "-");
		buf_addf(o, "</code></td><td class=\"n\">%s</td><td class=\"%s\">", ms,
			 v[i].ok ? "ok" : "bad");
		if (runs && !v[i].ok) {
			buf_adds(o, "<span class=\"badge\">failed</span> ");
			html_escape(o, *v[i].detail ? v[i].detail : "failed");
		} else {
			html_escape(o, runs ? "ok" : v[i].detail);
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></div>");
	free(v);
}

static void publishers(struct buf *o, const struct report *r)
{
	const struct stats_group *g = &r->st.publishers;
	buf_adds(o, "<h2>Publishers</h2><p class=\"note\">Outcome of every <code>publisher_publish</code> "
		    "line, per platform.</p>");
	if (!g->n) {
		buf_adds(o, "<p class=\"empty\">No publisher_publish lines in these logs.</p>");
		return;
	}
	const struct stats_series **v = stats_group_sorted(g, false);
	struct bar_row *rows = xmalloc(g->n * sizeof(*rows));
	for (size_t i = 0; v[i]; i++)
		rows[i] = (struct bar_row){ v[i]->name, v[i]->success, v[i]->failure };
	buf_adds(o, "<section class=\"panel\">");
	svg_bars(o, "publishes per platform: published and failed", rows, g->n);
	buf_adds(o, "</section><div class=\"scroll\"><table><thead><tr><th>platform</th><th class=\"n\">publishes</th>"
		    "<th class=\"n\">failed</th><th class=\"n\">p50</th><th class=\"n\">p95</th>"
		    "<th class=\"n\">p99</th><th class=\"n\">max</th></tr></thead><tbody>");
	for (size_t i = 0; v[i]; i++) {
		const struct stats_series *s = v[i];
		char a[32], b[32], c[32], d[32], e[32], f[32];
		html_fmt_count(s->success + s->failure, a, sizeof(a));
		html_fmt_count(s->failure, b, sizeof(b));
		html_fmt_ms((double)hist_percentile(&s->h, 500), c, sizeof(c));
		html_fmt_ms((double)hist_percentile(&s->h, 950), d, sizeof(d));
		html_fmt_ms((double)hist_percentile(&s->h, 990), e, sizeof(e));
		html_fmt_ms((double)s->h.max, f, sizeof(f));
		buf_adds(o, "<tr><td><code>");
		html_escape(o, s->name);
		buf_addf(o, "</code></td><td class=\"n\">%s</td><td class=\"n%s\">%s</td>", a,
			 s->failure ? " bad" : "", b);
		if (s->h.count)
			buf_addf(o, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				    "<td class=\"n\">%s</td></tr>", c, d, e, f);
		else
			buf_adds(o, "<td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">-</td>"
				    "<td class=\"n\">-</td></tr>");
	}
	buf_adds(o, "</tbody></table></div>");
	free(rows);
	free(v);
}

void report_html(const struct report *r, struct buf *o)
{
	const struct stats *st = &r->st;
	char a[40], b[40], v[48];
	buf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		    "<title>photopub latency report</title><style>");
	buf_adds(o, css);
	buf_adds(o, "</style></head><body><main><h1>photopub latency report</h1><p class=\"sub\">");
	if (r->have_ts) {
		report_fmt_time(r->min_ts, a, sizeof(a));
		report_fmt_time(r->max_ts, b, sizeof(b));
		buf_addf(o, "%s – %s UTC · ", a, b);
	}
	html_fmt_count(st->lines, v, sizeof(v));
	buf_addf(o, "%s log lines", v);
	if (st->not_json + st->truncated + st->foreign)
		buf_addf(o, " (skipped: %llu not JSON, %llu truncated, %llu from other programs)",
			 (unsigned long long)st->not_json, (unsigned long long)st->truncated,
			 (unsigned long long)st->foreign);
	buf_addf(o, " · percentiles per %s</p>",
		 r->gran_ms >= 604800000 ? "week" : r->gran_ms >= 86400000 ? "day" : "hour");

	/* Summary cards. */
	const struct stats_series *total = stats_group_find(&st->stages, stage_defs[STAGE_TOTAL].ms_key, false);
	uint64_t pub_ok = 0, pub_fail = 0;
	for (size_t i = 0; i < st->publishers.n; i++) {
		pub_ok += st->publishers.v[i]->success;
		pub_fail += st->publishers.v[i]->failure;
	}
	buf_adds(o, "<div class=\"cards\">");
	html_fmt_count(st->runs, v, sizeof(v));
	card(o, "runs", v, false);
	if (st->runs)
		snprintf(v, sizeof(v), "%llu (%.1f %%)", (unsigned long long)st->failed_runs,
			 100.0 * (double)st->failed_runs / (double)st->runs);
	else
		snprintf(v, sizeof(v), "-");
	card(o, "failed runs", v, st->failed_runs > 0);
	if (total && total->h.count)
		html_fmt_ms((double)hist_percentile(&total->h, 950), v, sizeof(v));
	else
		snprintf(v, sizeof(v), "-");
	card(o, "run p95", v, false);
	html_fmt_count(st->requests, v, sizeof(v));
	card(o, "web requests", v, false);
	html_fmt_count(st->requests_5xx, v, sizeof(v));
	card(o, "5xx responses", v, st->requests_5xx > 0);
	if (pub_ok + pub_fail)
		snprintf(v, sizeof(v), "%llu / %llu", (unsigned long long)pub_fail,
			 (unsigned long long)(pub_ok + pub_fail));
	else
		snprintf(v, sizeof(v), "-");
	card(o, "failed publishes", v, pub_fail > 0);
	buf_adds(o, "</div>");

	report_html_failures(r, o);
	section(o, r, RK_STAGE, "Workflow stages",
		"Every <code>*_ms</code> of <code>workflow_timing</code>, one line per run; "
		"errors are samples from failed runs.",
		"samples", "No workflow_timing lines in these logs.");
	section(o, r, RK_WEB, "Web events",
		"The endpoint times of the web events; <code>*_error</code> events are errors.",
		"events", "No web events in these logs.");
	section(o, r, RK_HTTP, "HTTP endpoints",
		"<code>http_request</code> by method and route; 5xx responses are errors.", "requests",
		"No http_request lines in these logs.");
	publishers(o, r);

	buf_adds(o, "<h2>Slowest runs</h2><p class=\"note\">By <code>total_ms</code>, failed runs "
		    "included (marked); <code>photopub trace ID</code> shows one in full.</p>");
	slow_table(o, r, r->runs, r->nruns, true);
	buf_adds(o, "<h2>Slowest requests</h2><p class=\"note\">By the "
		    "<code>http_request</code> duration.</p>");
	slow_table(o, r, r->reqs, r->nreqs, false);

	buf_addf(o, "<footer>Generated by photopub %s. Percentiles are nearest-rank: exact below "
		    "%u ms, within %.1f %% above; maxima are exact.",
		 PHOTOPUB_VERSION, HIST_EXACT_BELOW, HIST_REL_ERROR * 100);
	if (r->series_dropped)
		buf_addf(o, " %llu samples of series beyond the first %d are not charted.",
			 (unsigned long long)r->series_dropped, REPORT_MAX_SERIES);
	buf_adds(o, "</footer></main></body></html>\n");
}
