/* svg_chart.c - draws the report's charts as inline SVG: axes with "nice"
 * 1-2-5 ticks and units, percentile lines over time, a log-scale latency
 * histogram, stacked success / failure bars. No script, no external
 * resource: plain elements with explicit colours. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ops/html.h"
#include "ops/svg_chart.h"
#include "ops/timefmt.h"

#define ML 66   /* margins: left (y labels), right, top (legend), bottom (x labels) */
#define MR 14
#define MT 30
#define MB 42
#define PW (CHART_W - ML - MR)
#define PH (CHART_H - MT - MB)

#define GRID "#e9ecf1"
#define AXIS "#9aa5b1"
#define MUTED "#616e7c"

static const char *const percentile_colors[3] = { "#2563eb", "#d97706", "#dc2626" };

/* A step of 1, 2 or 5 times a power of ten, near raw. */
static double nice_step(double raw)
{
	if (raw <= 0)
		return 1;
	double p = pow(10, floor(log10(raw))), m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void open_svg(struct buf *o, int w, int h, const char *title)
{
	buf_addf(o, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", w, h);
	html_escape(o, title);
	buf_adds(o, "\"><title>");
	html_escape(o, title);
	buf_adds(o, "</title>");
}

/* Horizontal grid lines and labels for 0..ymax (ms); returns the axis top. */
static double y_axis_ms(struct buf *o, double ymax)
{
	double step = nice_step(ymax / 4);
	if (step < 1)
		step = 1; /* whole milliseconds */
	double top = ceil(ymax / step) * step;
	if (top <= 0)
		top = step;
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = MT + PH - v / top * PH;
		char lab[32];
		html_fmt_ms(v, lab, sizeof(lab));
		buf_addf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", ML,
			 ML + PW, y, y, v == 0 ? AXIS : GRID);
		buf_addf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%s</text>",
			 ML - 8, y, lab);
	}
	buf_addf(o, "<text transform=\"translate(13 %d) rotate(-90)\" text-anchor=\"middle\">latency</text>",
		 MT + PH / 2);
	return top;
}

static void fmt_bucket(int64_t t, int64_t step, char *out, size_t cap)
{
	char ts[32];
	ts_format(t, ts);
	if (step < 86400000)
		snprintf(out, cap, "%.5s %.5s", ts + 5, ts + 11); /* 11-29 07:00 */
	else
		snprintf(out, cap, "%.10s", ts);
}

void svg_time_chart(struct buf *o, const struct time_chart *c)
{
	open_svg(o, CHART_W, CHART_H, c->title);
	double ymax = 0;
	for (size_t l = 0; l < c->nlines; l++)
		for (size_t i = 0; i < c->npoints; i++)
			if (!isnan(c->lines[l].y[i]) && c->lines[l].y[i] > ymax)
				ymax = c->lines[l].y[i];
	double top = y_axis_ms(o, ymax > 0 ? ymax : 1);
	int64_t span = c->t_max_ms - c->t_min_ms;
#define XPOS(t) (span > 0 ? ML + (double)((t) - c->t_min_ms) / (double)span * PW : ML + PW / 2.0)
#define YPOS(v) (MT + PH - (v) / top * PH)

	/* x labels: at most 5, on bucket starts. */
	int64_t nb = span / c->step_ms + 1, every = (nb + 4) / 5;
	if (every < 1)
		every = 1;
	for (int64_t k = 0; k < nb; k += every) {
		int64_t t = c->t_min_ms + k * c->step_ms;
		char lab[32];
		fmt_bucket(t, c->step_ms, lab, sizeof(lab));
		double x = XPOS(t);
		buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>", x, x,
			 MT + PH, MT + PH + 4, AXIS);
		buf_addf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x,
			 MT + PH + 17, lab);
	}
	buf_addf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">time (UTC), per %s</text>", ML + PW,
		 CHART_H - 4,
		 c->step_ms >= 604800000 ? "week" : c->step_ms >= 86400000 ? "day" : "hour");

	/* With few buckets a line says little (one point is a lone dot): each
	 * bucket gets a bar per line instead, side by side, each with its
	 * point and value. */
	size_t filled = 0;
	for (size_t i = 0; i < c->npoints; i++)
		for (size_t l = 0; l < c->nlines; l++)
			if (!isnan(c->lines[l].y[i])) {
				filled++;
				break;
			}
	bool few = filled <= CHART_FEW_POINTS;
	double slot = span > 0 ? (double)c->step_ms / (double)span * PW : PW / 3.0;
	double bw = slot * 0.7 / (double)(c->nlines ? c->nlines : 1);
	if (bw > 26)
		bw = 26;
	for (size_t l = 0; few && l < c->nlines; l++) {
		const struct chart_line *ln = &c->lines[l];
		for (size_t i = 0; i < c->npoints; i++) {
			if (isnan(ln->y[i]))
				continue;
			double x = XPOS(c->t_ms[i]) + ((double)l - (double)(c->nlines - 1) / 2.0) * bw;
			double y = YPOS(ln->y[i]);
			char when[32], v[32];
			fmt_bucket(c->t_ms[i], c->step_ms, when, sizeof(when));
			html_fmt_ms(ln->y[i], v, sizeof(v));
			buf_addf(o, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"%s\" fill-opacity=\"0.35\"/>",
				 x - bw / 2 + 1, y, bw - 2, MT + PH - y, ln->color);
			buf_addf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\"><title>%s %s: ",
				 x, y, ln->color, when, ln->label);
			buf_addf(o, "%s</title></circle>", v);
			buf_addf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x, y - 6, v);
		}
	}
	for (size_t l = 0; !few && l < c->nlines; l++) {
		const struct chart_line *ln = &c->lines[l];
		bool pen = false;
		buf_addf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"",
			 ln->color);
		for (size_t i = 0; i < c->npoints; i++) {
			if (isnan(ln->y[i])) {
				pen = false;
				continue;
			}
			bool joined = pen && c->t_ms[i] - c->t_ms[i - 1] <= c->step_ms;
			buf_addf(o, "%s%.1f %.1f ", joined ? "L" : "M", XPOS(c->t_ms[i]), YPOS(ln->y[i]));
			pen = true;
		}
		buf_adds(o, "\"/>");
		if (c->npoints <= 72)
			for (size_t i = 0; i < c->npoints; i++) {
				if (isnan(ln->y[i]))
					continue;
				char when[32], v[32];
				fmt_bucket(c->t_ms[i], c->step_ms, when, sizeof(when));
				html_fmt_ms(ln->y[i], v, sizeof(v));
				buf_addf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"><title>%s %s: ",
					 XPOS(c->t_ms[i]), YPOS(ln->y[i]), ln->color, when, ln->label);
				buf_addf(o, "%s</title></circle>", v);
			}
	}
	/* Legend, top right. */
	double x = ML + PW;
	for (size_t l = c->nlines; l-- > 0;) {
		x -= 46;
		buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"12\" y2=\"12\" stroke=\"%s\" stroke-width=\"3\"/>",
			 x, x + 16, c->lines[l].color);
		buf_adds(o, "<text x=\"");
		buf_addf(o, "%.1f\" y=\"12\" dominant-baseline=\"middle\">", x + 21);
		html_escape(o, c->lines[l].label);
		buf_adds(o, "</text>");
	}
#undef XPOS
#undef YPOS
	buf_adds(o, "</svg>");
}

void svg_histogram(struct buf *o, const char *title, const struct hist *h)
{
	enum { NB_LOG = 40 };
	open_svg(o, CHART_W, CHART_H, title);
	uint64_t max = h->count ? h->max : 1, min = h->count ? h->min : 0;
	/* Up to 60 ms one bar per millisecond; beyond, 40 bars on a log scale
	 * from the decade below the smallest value (0 ms counts in the first). */
	bool linear = max <= 60;
	size_t nb = linear ? (size_t)max + 1 : NB_LOG;
	double dom = max + 1 < 12 ? 12 : (double)(max + 1); /* linear x domain, ms */
	double lo = pow(10, floor(log10(min < 1 ? 1.0 : (double)min)));
	double llo = log10(lo), lhi = log10((double)max * 1.04);
	uint64_t counts[NB_LOG > 61 ? NB_LOG : 61] = { 0 };
#define LPOS(v) ((log10((v) < lo ? lo : (v)) - llo) / (lhi - llo))
	struct hist_iter it = { 0 };
	while (hist_next(h, &it)) {
		double mid = ((double)it.lo + (double)it.hi) / 2;
		size_t b = linear ? (size_t)it.lo : (size_t)(LPOS(mid) * (double)nb);
		counts[b < nb ? b : nb - 1] += it.count;
	}
	uint64_t cmax = 1;
	for (size_t b = 0; b < nb; b++)
		if (counts[b] > cmax)
			cmax = counts[b];
#define XV(v) (linear ? ML + (double)(v) / dom * PW : ML + LPOS((double)(v)) * PW)
	/* y grid: counts */
	double step = nice_step((double)cmax / 4);
	if (step < 1)
		step = 1; /* whole counts */
	double top = ceil((double)cmax / step) * step;
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = MT + PH - v / top * PH;
		buf_addf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", ML,
			 ML + PW, y, y, v == 0 ? AXIS : GRID);
		buf_addf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%.0f</text>",
			 ML - 8, y, v);
	}
	buf_addf(o, "<text transform=\"translate(13 %d) rotate(-90)\" text-anchor=\"middle\">count</text>",
		 MT + PH / 2);
	/* bars */
	for (size_t b = 0; b < nb; b++) {
		if (!counts[b])
			continue;
		double x0 = linear ? XV(b) : ML + (double)b / (double)nb * PW;
		double x1 = linear ? XV(b + 1) : ML + (double)(b + 1) / (double)nb * PW;
		double hgt = (double)counts[b] / top * PH;
		double w = x1 - x0 > 2 ? x1 - x0 - 1 : x1 - x0;
		buf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#8fb0e6\">",
			 x0, MT + PH - hgt, w, hgt);
		char a[32], z[32];
		if (linear) {
			html_fmt_ms((double)b, a, sizeof(a));
			buf_addf(o, "<title>%s: %llu</title></rect>", a, (unsigned long long)counts[b]);
		} else {
			html_fmt_ms(b ? pow(10, llo + (double)b / (double)nb * (lhi - llo)) : 0, a,
				    sizeof(a));
			html_fmt_ms(pow(10, llo + (double)(b + 1) / (double)nb * (lhi - llo)), z,
				    sizeof(z));
			buf_addf(o, "<title>%s – %s: %llu</title></rect>", a, z,
				 (unsigned long long)counts[b]);
		}
	}
	/* x ticks */
	if (linear) {
		double xs = nice_step(dom / 5);
		if (xs < 1)
			xs = 1;
		for (double v = 0; v < dom; v += xs) {
			char lab[32];
			html_fmt_ms(v, lab, sizeof(lab));
			buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
				    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
				 XV(v), XV(v), MT + PH, MT + PH + 4, AXIS, XV(v), MT + PH + 17, lab);
		}
	} else {
		bool fine = lhi - llo <= 2.6; /* few decades: 1, 2, 5 of each */
		for (double d = lo; d <= (double)max * 1.04; d *= 10)
			for (int m = 1; m <= 5; m += (m == 1 ? 1 : 3)) {
				double v = d * m;
				if (v > (double)max * 1.04 || (m != 1 && !fine))
					continue;
				char lab[32];
				html_fmt_ms(v, lab, sizeof(lab));
				buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
					    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
					 XV(v), XV(v), MT + PH, MT + PH + 4, AXIS, XV(v), MT + PH + 17, lab);
			}
	}
	buf_addf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">latency%s</text>", ML + PW,
		 CHART_H - 4, linear ? "" : " (log scale)");
	/* percentile markers and their legend */
	static const unsigned pm[3] = { 500, 950, 990 };
	static const char *const pn[3] = { "p50", "p95", "p99" };
	double lx = ML + PW;
	for (int i = 2; i >= 0 && h->count; i--) {
		double v = (double)hist_percentile(h, pm[i]);
		double x = linear ? XV(v + 0.5) : XV(v);
		buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
			 x, x, MT, MT + PH, percentile_colors[i]);
		char lab[48], val[32];
		html_fmt_ms(v, val, sizeof(val));
		snprintf(lab, sizeof(lab), "%s %s", pn[i], val);
		lx -= 14 + 6.2 * (double)strlen(lab);
		buf_addf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"6\" y2=\"18\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
			    "<text x=\"%.1f\" y=\"12\" dominant-baseline=\"middle\">%s</text>",
			 lx, lx, percentile_colors[i], lx + 5, lab);
	}
#undef XV
#undef LPOS
	buf_adds(o, "</svg>");
}

void svg_bars(struct buf *o, const char *title, const struct bar_row *rows, size_t n)
{
	enum { W = 1100, ROW = 30, LABEL = 140, RIGHT = 250 };
	int height = (int)n * ROW + 34;
	open_svg(o, W, height, title);
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].ok + rows[i].fail > max)
			max = rows[i].ok + rows[i].fail;
	double bw = W - LABEL - RIGHT;
	for (size_t i = 0; i < n; i++) {
		double y = 8 + (double)i * ROW;
		double wo = (double)rows[i].ok / (double)max * bw;
		double wf = (double)rows[i].fail / (double)max * bw;
		buf_addf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\" class=\"lab\">",
			 LABEL - 10, y + 10);
		html_escape(o, rows[i].label);
		buf_adds(o, "</text>");
		buf_addf(o, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"#e9ecf1\"/>", LABEL,
			 y, bw);
		if (wo > 0)
			buf_addf(o, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"#22a05a\"/>",
				 LABEL, y, wo);
		if (wf > 0)
			buf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"#dc2626\"/>",
				 LABEL + wo, y, wf < 2 ? 2 : wf);
		uint64_t total = rows[i].ok + rows[i].fail;
		buf_addf(o, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">%llu ok · %llu failed (%.1f %%)</text>",
			 LABEL + bw + 10, y + 10, (unsigned long long)rows[i].ok,
			 (unsigned long long)rows[i].fail,
			 total ? 100.0 * (double)rows[i].fail / (double)total : 0.0);
	}
	/* legend */
	double ly = height - 12;
	buf_addf(o, "<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#22a05a\"/>"
		    "<text x=\"%d\" y=\"%.1f\" dominant-baseline=\"middle\">published</text>"
		    "<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#dc2626\"/>"
		    "<text x=\"%d\" y=\"%.1f\" dominant-baseline=\"middle\">failed</text>",
		 LABEL, ly - 6, LABEL + 18, ly, LABEL + 100, ly - 6, LABEL + 118, ly);
	buf_adds(o, "</svg>");
}
