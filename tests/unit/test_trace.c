/* test_trace.c - the trace of one correlation id: lines kept by id, in time
 * order, and the waterfall of lines that carry no duration, or durations no
 * run can have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/trace.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"

static const char log_text[] =
	"{\"timestamp\":\"2026-11-29T08:20:58.724Z\",\"level\":\"info\",\"logger\":\"web\","
	"\"message\":\"web_sidecar_upload_complete\",\"correlation_id\":\"docs-analyze-1\","
	"\"image\":\"tabby-cat-closeup.jpg\"}\n"
	"{\"timestamp\":\"2026-11-29T08:20:58.694Z\",\"level\":\"info\",\"logger\":\"web\","
	"\"message\":\"web_vision_analysis_start\",\"correlation_id\":\"docs-analyze-1\","
	"\"image\":\"tabby-cat-closeup.jpg\"}\n"
	"{\"timestamp\":\"2026-11-29T08:20:58.700Z\",\"level\":\"info\",\"logger\":\"web\","
	"\"message\":\"web_random_image\",\"correlation_id\":\"docs-random-1\"}\n";

/* No line with a duration: no bar, and no pointer arithmetic on the empty
 * list either. */
static void test_waterfall_without_durations(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "photopub.log", log_text, strlen(log_text));
	struct trace t;
	struct pp_error err = { 0 };
	struct wf_bar *bars = (struct wf_bar *)&t; /* must be replaced */

	trace_init(&t, "docs-analyze-1");
	assert_int_equal(trace_read(&t, path, &err), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.lines_read, 3);
	trace_sort(&t);
	assert_non_null(strstr(t.v[0].raw, "web_vision_analysis_start"));
	assert_int_equal(trace_waterfall(&t, &bars), 0);
	assert_null(bars);
	trace_release(&t);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static size_t waterfall_of(const char *text, const char *id, struct wf_bar **bars)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "photopub.log", text, strlen(text));
	struct trace t;
	struct pp_error err = { 0 };
	trace_init(&t, id);
	assert_int_equal(trace_read(&t, path, &err), 0);
	trace_sort(&t);
	size_t n = trace_waterfall(&t, bars);
	trace_release(&t);
	tu_rmrf(dir);
	free(path);
	free(dir);
	return n;
}

static const struct wf_bar *bar(const struct wf_bar *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	fail_msg("no bar %s", name);
	return NULL;
}

/* Durations no run can have are no durations: the stages around them are
 * drawn as usual, nothing overflows on the way to columns. */
static void test_waterfall_impossible_durations(void **state)
{
	(void)state;
	struct wf_bar *bars;
	size_t n = waterfall_of(
		"{\"timestamp\":\"2026-11-29T07:02:41.954Z\",\"level\":\"info\",\"logger\":\"workflow\","
		"\"message\":\"workflow_timing\",\"correlation_id\":\"c1\","
		"\"dropbox_list_images_ms\":9000000000000000000,\"image_selection_ms\":8,"
		"\"vision_analysis_ms\":24,\"total_ms\":40,\"success\":true}\n", "c1", &bars);
	assert_int_equal(n, 3); /* total, image_selection, vision_analysis */
	assert_int_equal(bar(bars, n, "image_selection")->start_ms, 0);
	assert_int_equal(bar(bars, n, "vision_analysis")->start_ms, 8);
	assert_int_equal(bar(bars, n, "vision_analysis")->duration_ms, 24);
	FILE *out = fopen("/dev/null", "w");
	trace_print_waterfall(bars, n, 40, out);
	fclose(out);
	free(bars);

	/* A request whose duration is missing or impossible: a bar of none at
	 * its time, beside a web event whose own duration is impossible too. */
	n = waterfall_of(
		"{\"timestamp\":\"2026-11-29T07:02:41.954Z\",\"level\":\"info\",\"logger\":\"web\","
		"\"message\":\"http_request\",\"correlation_id\":\"c2\",\"method\":\"GET\","
		"\"path\":\"/health\",\"duration_ms\":9000000000000000000}\n"
		"{\"timestamp\":\"0001-01-01T00:00:00.000Z\",\"level\":\"info\",\"logger\":\"web\","
		"\"message\":\"web_random_image\",\"correlation_id\":\"c2\","
		"\"web_random_image_ms\":9000000000000000000}\n", "c2", &bars);
	assert_int_equal(n, 1);
	assert_string_equal(bars[0].name, "GET /health");
	assert_int_equal(bars[0].duration_ms, 0);
	free(bars);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waterfall_without_durations),
		cmocka_unit_test(test_waterfall_impossible_durations),
	};
	log_set_stderr(false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
