/* test_openai.c - the OpenAI provider without a network: opening through
 * ai_open, its ops table and model names, the checks made before any
 * request (no key, no image URL, a zero caption limit), and the reply
 * parser's content and token counts. The exchanges with the API are
 * covered end to end in tests/e2e/test_openai.py. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ai/ai.h"
#include "ai/openai.h"

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

/* A reply's content and model, and its token counts added to the call's:
 * several replies sum up, and counts no server can mean neither overflow
 * the sum nor make it negative. */
static void test_reply_and_token_counts(void **state)
{
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	struct openai_reply r;
	struct pp_error err = { 0 };
	(void)state;

	const char *ok = "{\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"message\":"
			 "{\"content\":\"  Quiet eyes.\\n\"},\"finish_reason\":\"stop\"}],"
			 "\"usage\":{\"prompt_tokens\":1122,\"completion_tokens\":187}}";
	assert_int_equal(openai_parse_reply(ok, strlen(ok), "openai caption", "gpt-4o-mini", &r,
					    &call, &err), 0);
	assert_string_equal(r.content, "Quiet eyes.");
	assert_string_equal(r.model, "gpt-4o-mini-2024-07-18");
	assert_int_equal(call.prompt_tokens, 1122);
	assert_int_equal(call.completion_tokens, 187);
	free(r.content);

	const char *huge = "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":"
			   "{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":-5}}";
	for (int i = 0; i < 2; i++) {
		assert_int_equal(openai_parse_reply(huge, strlen(huge), "openai caption", "gpt-4o-mini",
						    &r, &call, &err), 0);
		assert_string_equal(r.model, "gpt-4o-mini");
		free(r.content);
	}
	assert_int_equal(call.prompt_tokens, LONG_MAX);
	assert_int_equal(call.completion_tokens, 187);

	const char *cut = "{\"choices\":[{\"message\":{\"content\":\"{\\\"cap\"},"
			  "\"finish_reason\":\"length\"}]}";
	assert_int_equal(openai_parse_reply(cut, strlen(cut), "openai caption", "gpt-4o-mini", &r,
					    &call, &err), -1);
	assert_null(r.content);
	assert_string_equal(call.error_type, "truncated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_through_ai_open),
		cmocka_unit_test(test_models_are_copied),
		cmocka_unit_test(test_open_needs_key_and_url),
		cmocka_unit_test(test_analyze_needs_an_image_url),
		cmocka_unit_test(test_caption_refuses_zero_limit),
		cmocka_unit_test(test_reply_and_token_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
