/* test_report.c - the report's model of what went wrong: failed runs kept
 * newest first and bounded, where each failed, its lines; platform failure
 * reasons counted by kind (or text); the HTML's anchors and links; the
 * time chart's bars when there are few points. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/report.h"
#include "ops/svg_chart.h"
#include "testutil.h"
#include "util/buf.h"

#define TS "2026-11-29T08:%02d:%02d.000Z"

static void timing(struct buf *b, int min, const char *cid, bool ok, const char *stages,
		   const char *error)
{
	buf_addf(b, "{\"timestamp\":\"" TS "\",\"level\":\"%s\",\"logger\":\"workflow\","
		    "\"message\":\"workflow_timing\",\"correlation_id\":\"%s\",\"image\":\"img-%s.jpg\","
		    "%s,\"success\":%s,\"error\":%s}\n",
		 min, 0, ok ? "info" : "error", cid, cid, stages, ok ? "true" : "false",
		 error ? error : "null");
}

static void publish_failed(struct buf *b, int min, const char *cid, const char *platform,
			   const char *kind, const char *error)
{
	buf_addf(b, "{\"timestamp\":\"" TS "\",\"level\":\"error\",\"logger\":\"publisher.%s\","
		    "\"message\":\"publisher_publish\",\"correlation_id\":\"%s\",\"platform\":\"%s\","
		    "\"duration_ms\":5,\"success\":false,\"error\":\"%s\"",
		 min, 0, platform, cid, platform, error);
	if (kind)
		buf_addf(b, ",\"error_kind\":\"%s\"", kind);
	buf_adds(b, "}\n");
}

static const char stages_all[] =
	"\"dropbox_list_images_ms\":1,\"image_selection_ms\":2,\"vision_analysis_ms\":3,"
	"\"caption_generation_ms\":0,\"sidecar_write_ms\":1,\"publish_parallel_ms\":6,"
	"\"archive_ms\":null,\"total_ms\":13,\"publish_telegram_ms\":5";
static const char stages_vision[] =
	"\"dropbox_list_images_ms\":1,\"image_selection_ms\":2,\"vision_analysis_ms\":30000,"
	"\"caption_generation_ms\":null,\"sidecar_write_ms\":null,\"publish_parallel_ms\":null,"
	"\"archive_ms\":null,\"total_ms\":30003";

static void read_text(struct report *r, const struct buf *b)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "photopub.log", b->data, b->len);
	struct pp_error err = { 0 };
	report_init(r);
	assert_int_equal(report_read(r, path, &err), 0);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void test_failed_runs(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_addf(&b, "{\"timestamp\":\"" TS "\",\"level\":\"info\",\"logger\":\"workflow\","
		     "\"message\":\"images_listed\",\"correlation_id\":\"run-b\",\"storage\":\"local\","
		     "\"count\":3,\"dropbox_list_images_ms\":1}\n", 1, 0);
	publish_failed(&b, 1, "run-b", "telegram", "rate_limited", "HTTP 429 Too Many Requests");
	publish_failed(&b, 1, "run-b", "email", NULL, "SMTP 535 auth failed");
	timing(&b, 1, "run-b", false, stages_all, "\"every platform failed\"");
	timing(&b, 2, "run-ok", true, stages_all, NULL);
	timing(&b, 3, "run-c", false, stages_vision, "\"vision timeout\"");
	publish_failed(&b, 4, "web-1", "telegram", "rate_limited", "HTTP 429 again");
	publish_failed(&b, 4, "web-1", "telegram", "timeout", "no answer in 120 s");
	/* An older failed run read last: still placed by time. */
	timing(&b, 0, "run-a", false, stages_vision, "\"early\"");

	struct report r;
	read_text(&r, &b);
	assert_int_equal(r.nfailed, 3);
	assert_int_equal(r.failed_seen, 3);
	const struct failed_run **v = report_failed_sorted(&r);
	assert_string_equal(v[0]->cid, "run-c");
	assert_string_equal(v[1]->cid, "run-b");
	assert_string_equal(v[2]->cid, "run-a");
	/* Where: the last stage that ran, by its label; or the failed platforms. */
	assert_string_equal(v[0]->where, "vision analysis");
	assert_string_equal(v[0]->error, "vision timeout");
	assert_int_equal(v[0]->total_ms, 30003);
	assert_string_equal(v[1]->where, "publish telegram, email");
	assert_string_equal(v[1]->image, "img-run-b.jpg");
	/* run-b's lines: images_listed, both publishes, then its workflow_timing. */
	assert_int_equal(v[1]->nlines, 4);
	assert_non_null(strstr(v[1]->lines[0], "images_listed"));
	assert_non_null(strstr(v[1]->lines[2], "SMTP 535"));
	assert_non_null(strstr(v[1]->lines[3], "workflow_timing"));
	assert_int_equal(v[0]->nlines, 1);
	assert_null(report_failed_find(&r, "run-ok"));
	assert_ptr_equal(report_failed_find(&r, "run-b"), v[1]);
	free(v);

	/* Reasons: by error_kind, else by the text; the newest text kept. */
	assert_int_equal(r.nreasons, 3);
	bool rate = false, timeout = false, smtp = false;
	for (size_t i = 0; i < r.nreasons; i++) {
		const struct fail_reason *f = &r.reasons[i];
		if (!strcmp(f->platform, "telegram") && !strcmp(f->reason, "rate_limited")) {
			rate = true;
			assert_int_equal(f->count, 2);
			assert_string_equal(f->example, "HTTP 429 again");
		} else if (!strcmp(f->platform, "telegram") && !strcmp(f->reason, "timeout")) {
			timeout = f->count == 1;
		} else if (!strcmp(f->platform, "email")) {
			smtp = !strcmp(f->reason, "SMTP 535 auth failed") && f->count == 1;
		}
	}
	assert_true(rate && timeout && smtp);

	/* The HTML: a section per listed run, every link to one resolving. */
	struct buf html = BUF_INIT;
	report_html(&r, &html);
	const char *s = buf_str(&html);
	assert_non_null(strstr(s, "id=\"run-run-c\""));
	assert_non_null(strstr(s, "id=\"run-run-b\""));
	assert_null(strstr(s, "id=\"run-run-ok\""));
	assert_non_null(strstr(s, "photopub trace run-c</code>"));
	assert_non_null(strstr(s, "<b>telegram</b>: <span class=\"reason\" title=\"HTTP 429 again\">"
				  "2× rate_limited</span>, <span class=\"reason\" title=\"no answer in "
				  "120 s\">1× timeout</span>"));
	assert_non_null(strstr(s, ">list images (local)</span>"));
	for (const char *p = s; (p = strstr(p, "href=\"#run-")); p++) {
		char id[160];
		assert_int_equal(sscanf(p, "href=\"#%159[^\"]\"", id), 1);
		char *want = xasprintf("id=\"%s\"", id);
		assert_non_null(strstr(s, want));
		free(want);
	}
	buf_release(&html);
	report_release(&r);
	buf_release(&b);
}

static void test_bounded_newest(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < REPORT_FAILED + 15; i++) {
		char cid[32];
		snprintf(cid, sizeof(cid), "run-%02d", i);
		buf_addf(&b, "{\"timestamp\":\"2026-11-29T%02d:%02d:00.000Z\",\"level\":\"error\","
			     "\"logger\":\"workflow\",\"message\":\"workflow_timing\",\"correlation_id\":"
			     "\"%s\",\"total_ms\":5,\"success\":false,\"error\":\"x\"}\n",
			 i / 60, i % 60, cid);
	}
	struct report r;
	read_text(&r, &b);
	assert_int_equal(r.nfailed, REPORT_FAILED);
	assert_int_equal(r.failed_seen, REPORT_FAILED + 15);
	const struct failed_run **v = report_failed_sorted(&r);
	char want[32];
	snprintf(want, sizeof(want), "run-%02d", REPORT_FAILED + 14);
	assert_string_equal(v[0]->cid, want);
	assert_string_equal(v[REPORT_FAILED - 1]->cid, "run-15");
	/* No stage ran. */
	assert_string_equal(v[0]->where, "before the first stage");
	free(v);
	report_release(&r);
	buf_release(&b);
}

static void test_few_points_are_bars(void **state)
{
	(void)state;
	int64_t t[2] = { 0, 3600000 };
	double y[4] = { 10, 20, 30, 40 };
	struct chart_line lines[2] = { { "p50", "#000", y }, { "p95", "#111", y + 2 } };
	struct time_chart c = { .title = "t", .npoints = 1, .t_ms = t, .t_min_ms = 0, .t_max_ms = 0,
				.step_ms = 3600000, .lines = lines, .nlines = 2 };
	struct buf o = BUF_INIT;
	svg_time_chart(&o, &c);
	/* One bucket: a bar per line with its value, no line drawn. */
	const char *s = buf_str(&o);
	int bars = 0;
	for (const char *p = s; (p = strstr(p, "<rect class=\"bar\"")); p++)
		bars++;
	assert_int_equal(bars, 2);
	assert_null(strstr(s, "<path"));
	assert_non_null(strstr(s, ">10 ms</text>"));
	assert_non_null(strstr(s, ">latency</text>"));
	buf_release(&o);

	/* Many buckets: lines again. */
	enum { N = CHART_FEW_POINTS + 1 };
	int64_t tm[N];
	double yy[N];
	for (int i = 0; i < N; i++) {
		tm[i] = (int64_t)i * 3600000;
		yy[i] = i;
	}
	struct chart_line one = { "p50", "#000", yy };
	struct time_chart m = { .title = "t", .npoints = N, .t_ms = tm, .t_min_ms = 0,
				.t_max_ms = tm[N - 1], .step_ms = 3600000, .lines = &one, .nlines = 1 };
	svg_time_chart(&o, &m);
	assert_non_null(strstr(buf_str(&o), "<path"));
	assert_null(strstr(buf_str(&o), "<rect class=\"bar\""));
	buf_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_runs),
		cmocka_unit_test(test_bounded_newest),
		cmocka_unit_test(test_few_points_are_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
