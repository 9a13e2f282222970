/* test_openai.c - the OpenAI provider without a network: opening through
 * ai_open, its ops table and model names, and the checks made before any
 * request (no key, no image URL, a zero caption limit). The exchanges with
 * the API are covered end to end in tests/e2e/test_openai.py. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ai/ai.h"

static struct config base_config(void)
{
	return (struct config){
		.provider = AI_OPENAI,
		/* nothing listens here: a request would fail to connect */
		.openai_base_url = "http://127.0.0.1:9/v1",
		.openai_api_key = "sk-unit-test-key-0000",
		.vision_model = "gpt-4o",
		.caption_model = "gpt-4o-mini",
		.sd_caption_model = "gpt-4o-mini",
		.sd_caption_enabled = true,
		.sd_caption_single_call_enabled = true,
		.http_connect_timeout = 1,
		.http_timeout = 2,
	};
}

static void test_open_through_ai_open(void **state)
{
	struct config cfg = base_config();
	struct ai *ai = NULL;
	struct pp_error err = { 0 };
	(void)state;

	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
	assert_non_null(ai);
	assert_ptr_equal(ai->ops, &openai_ai);
	assert_string_equal(ai->ops->name, "openai");
	assert_true(ai->ops->needs_url);
	assert_string_equal(ai->ops->vision_model(ai), "gpt-4o");
	assert_string_equal(ai->ops->caption_model(ai), "gpt-4o-mini");
	ai_close(ai);
}

static void test_models_are_copied(void **state)
{
	struct config cfg = base_config();
	char vision[] = "o4-mini", caption[] = "gpt-4.1-nano";
	struct ai *ai = NULL;
	struct pp_error err = { 0 };
	(void)state;

	cfg.vision_model = vision;
	cfg.caption_model = caption;
	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
	/* the provider keeps its own copies: the configuration may go first */
	memset(vision, 'x', sizeof(vision) - 1);
	memset(caption, 'y', sizeof(caption) - 1);
	assert_string_equal(ai->ops->vision_model(ai), "o4-mini");
	assert_string_equal(ai->ops->caption_model(ai), "gpt-4.1-nano");
	ai_close(ai);
}

static void test_open_needs_key_and_url(void **state)
{
	struct config cfg = base_config();
	struct ai *ai = (struct ai *)&cfg;
	struct pp_error err = { 0 };
	(void)state;

	cfg.openai_api_key = "";
	assert_int_equal(openai_ai.open(&cfg, &ai, &err), -1);
	assert_null(ai);
	assert_string_equal(err.msg, "OPENAI_API_KEY is not set");

	cfg = base_config();
	cfg.openai_base_url = NULL;
	pp_error_clear(&err);
	assert_int_equal(openai_ai.open(&cfg, &ai, &err), -1);
	assert_null(ai);
	assert_non_null(strstr(err.msg, "base_url"));
}

static void test_analyze_needs_an_image_url(void **state)
{
	struct config cfg = base_config();
	struct ai *ai = NULL;
	struct pp_error err = { 0 };
	struct analysis an;
	struct ai_image img = { .name = "a.jpg", .path = "/nonexistent/a.jpg", .url = NULL };
	struct pp_ctx ctx = { .correlation_id = "t" };
	long ms = -1;
	char *log;
	(void)state;

	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
	tu_log_start();
	assert_int_equal(ai_analyze(ai, &ctx, &img, &an, &ms, &err), -1);
	log = tu_log_stop();
	assert_non_null(strstr(err.msg, "no URL for a.jpg"));
	assert_int_equal(err.kind, PP_ERR_UNSUPPORTED);
	assert_null(an.description);
	assert_true(ms >= 0);
	/* the failure is logged as a vision_analysis line with the model */
	assert_non_null(strstr(log, "\"message\":\"vision_analysis\""));
	assert_non_null(strstr(log, "\"model\":\"gpt-4o\""));
	assert_non_null(strstr(log, "\"ok\":false"));
	assert_non_null(strstr(log, "\"error_type\":\"no_image_url\""));
	assert_null(strstr(log, cfg.openai_api_key));
	free(log);
	ai_close(ai);
}

static void test_caption_refuses_zero_limit(void **state)
{
	struct config cfg = base_config();
	struct ai *ai = NULL;
	struct pp_error err = { 0 };
	struct analysis an = { 0 };
	struct caption_spec spec = { .platform = "generic", .style = "minimal_poetic",
				     .hashtags = "", .max_length = 0 };
	struct caption_result out;
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	(void)state;

	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
	assert_int_equal(ai->ops->caption(ai, NULL, &an, &spec, true, &out, &call, &err), -1);
	assert_non_null(strstr(err.msg, "0 characters"));
	assert_null(out.caption);
	assert_null(out.sd_caption);
	ai_close(ai);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_through_ai_open),
		cmocka_unit_test(test_models_are_copied),
		cmocka_unit_test(test_open_needs_key_and_url),
		cmocka_unit_test(test_analyze_needs_an_image_url),
		cmocka_unit_test(test_caption_refuses_zero_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
