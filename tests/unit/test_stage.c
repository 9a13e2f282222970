/* test_stage.c - the stage table: keys, order, lookups, human labels. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "types/stage.h"

static void test_table(void **state)
{
	(void)state;
	/* The workflow_timing keys of DESIGN §4, in its order. */
	static const char *const contract[] = {
		"dropbox_list_images_ms", "image_selection_ms", "vision_analysis_ms",
		"caption_generation_ms", "sidecar_write_ms", "publish_parallel_ms", "archive_ms",
		"total_ms",
	};
	assert_int_equal(STAGE_COUNT, sizeof(contract) / sizeof(*contract));
	size_t platforms = 0, whole = 0;
	for (size_t i = 0; i < STAGE_COUNT; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s_ms", stage_defs[i].name);
		assert_string_equal(stage_defs[i].ms_key, key);
		assert_string_equal(stage_defs[i].ms_key, contract[i]);
		assert_int_equal(stage_by_key(key, strlen(key)), (int)i);
		platforms += !!(stage_defs[i].flags & STAGE_PLATFORMS);
		whole += !!(stage_defs[i].flags & STAGE_WHOLE);
	}
	assert_int_equal(platforms, 1);
	assert_int_equal(whole, 1);
	assert_true(stage_defs[STAGE_TOTAL].flags & STAGE_WHOLE);
	assert_int_equal(stage_by_key("publish_outbox_ms", 17), -1);
	assert_int_equal(stage_by_key("total_ms_", 8), STAGE_TOTAL); /* n bytes only */

	struct stage_times t;
	stage_times_init(&t);
	for (size_t i = 0; i < STAGE_COUNT; i++)
		assert_int_equal(t.ms[i], -1);
}

static void test_labels(void **state)
{
	(void)state;
	char b[64];
	const char *k = "dropbox_list_images_ms";
	assert_string_equal(stage_label(k, strlen(k), "local", b, sizeof(b)), "list images (local)");
	assert_string_equal(stage_label(k, strlen(k), "dropbox", b, sizeof(b)), "list images (dropbox)");
	assert_string_equal(stage_label(k, strlen(k), NULL, b, sizeof(b)), "list images");
	assert_string_equal(stage_label(k, strlen(k), "", b, sizeof(b)), "list images");
	/* A stage's name (a waterfall bar) as well as its key. */
	assert_string_equal(stage_label("dropbox_list_images", 19, "local", b, sizeof(b)),
			    "list images (local)");
	/* Only the listing stage names the backend. */
	assert_string_equal(stage_label("vision_analysis_ms", 18, "local", b, sizeof(b)),
			    "vision analysis");
	assert_string_equal(stage_label("publish_telegram_ms", 19, NULL, b, sizeof(b)),
			    "publish telegram");
	assert_string_equal(stage_label("web_analyze_ms", 14, NULL, b, sizeof(b)), "web_analyze_ms");
	/* n bytes only; the output is cut to cap. */
	assert_string_equal(stage_label("total_ms, and more", 8, NULL, b, sizeof(b)), "total");
	assert_string_equal(stage_label(k, strlen(k), "local", b, 5), "list");
	/* Every stage has a label of its own. */
	for (size_t i = 0; i < STAGE_COUNT; i++) {
		assert_non_null(stage_defs[i].label);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(stage_defs[i].label, stage_defs[j].label);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_table), cmocka_unit_test(test_labels) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
