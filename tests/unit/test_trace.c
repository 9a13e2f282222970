/* test_trace.c - the trace of one correlation id: lines kept by id, in time
 * order, and the waterfall of a request whose lines carry no duration. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waterfall_without_durations),
	};
	log_set_stderr(false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
