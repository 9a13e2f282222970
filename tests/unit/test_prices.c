/* test_prices.c - ai/prices: the table's rows by model and dated snapshot,
 * unknown models, the `[openAI] prices` overrides and their checking, the
 * cost of a call; ai/openai's usability rule for a vision reply. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ai/openai.h"
#include "ai/prices.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct lookup_case {
	const char *overrides;
	const char *model;
	int rc;
	double in, out;
};

static const struct lookup_case lookups[] = {
	{ NULL, "gpt-4o", 0, 2.50, 10.00 },
	{ NULL, "gpt-4o-2024-08-06", 0, 2.50, 10.00 },
	{ NULL, "gpt-4o-mini", 0, 0.15, 0.60 },
	{ NULL, "gpt-4o-mini-2024-07-18", 0, 0.15, 0.60 },
	{ NULL, "gpt-4.1", 0, 2.00, 8.00 },
	{ NULL, "gpt-4.1-mini", 0, 0.40, 1.60 },
	{ NULL, "o4-mini", 0, 1.10, 4.40 },
	{ NULL, "openai/gpt-4o-mini", 0, 0.15, 0.60 },
	{ NULL, "gpt-4o-audio-preview", -1, 0, 0 },   /* not a snapshot of gpt-4o */
	{ NULL, "llava-13b", -1, 0, 0 },
	{ NULL, "", -1, 0, 0 },
	{ NULL, NULL, -1, 0, 0 },
	{ "llava-13b=0.5/1.5", "llava-13b", 0, 0.5, 1.5 },
	{ " gpt-4o = 3/12 ; x=1/2", "gpt-4o", 0, 3.0, 12.0 },
	{ "gpt-4o=3/12", "gpt-4o-2024-08-06", 0, 2.50, 10.00 }, /* exact names only */
	{ "gpt-4o-mini=0/0", "openai/gpt-4o-mini", 0, 0, 0 },
	{ "a=1/2, b=3/4", "b", 0, 3, 4 },
};

static void test_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(lookups); i++) {
		const struct lookup_case *c = &lookups[i];
		struct price p = { -1, -1 };
		int rc = price_lookup(c->overrides, c->model, &p);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, want %d", i, c->model ? c->model : "NULL", rc,
				 c->rc);
		if (rc == 0) {
			assert_float_equal(p.input_per_m, c->in, 1e-12);
			assert_float_equal(p.output_per_m, c->out, 1e-12);
		}
	}
}

static void test_check_overrides(void **state)
{
	static const char *const good[] = { NULL, "", "a=1/2", "a=1/2; b=0.25/0.5,", " ; " };
	static const char *const bad[] = { "a", "a=1", "=1/2", "a=x/2", "a=1/2x", "a=-1/2",
					   "a=1/2; b" };
	(void)state;
	for (size_t i = 0; i < N(good); i++) {
		struct pp_error err = { 0 };
		if (price_check_overrides(good[i], &err) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err.msg);
	}
	for (size_t i = 0; i < N(bad); i++) {
		struct pp_error err = { 0 };
		if (price_check_overrides(bad[i], &err) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(err.kind, PP_ERR_CONFIG);
	}
}

static void test_cost(void **state)
{
	struct price p = { 2.50, 10.00 };
	(void)state;
	assert_float_equal(price_cost(&p, 1000, 200), 0.0045, 1e-12);
	assert_float_equal(price_cost(&p, 1000000, 0), 2.50, 1e-12);
	assert_float_equal(price_cost(&p, -1, -1), 0.0, 1e-12);
}

static void test_usable(void **state)
{
	static const struct { const char *content; const char *why; } cases[] = {
		{ "{\"description\":\"A deck.\",\"tags\":[\"wood\"]}", NULL },
		{ "Sure! ```json {\"description\":\"A deck.\",\"tags\":\"wood, sun\"}```", NULL },
		{ "I cannot see the image.", "json_decode_error" },
		{ "{\"description\":\"\",\"tags\":[\"wood\"]}", "missing_fields" },
		{ "{\"description\":\"A deck.\",\"tags\":[]}", "missing_fields" },
		{ "{\"description\":\"A deck.\"}", "missing_fields" },
		{ "{\"tags\":[\"wood\"]}", "missing_fields" },
	};
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const char *why = "unset";
		bool ok = openai_analysis_usable(cases[i].content, &why);
		assert_int_equal(ok, cases[i].why == NULL);
		if (cases[i].why)
			assert_string_equal(why, cases[i].why);
		else
			assert_null(why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_check_overrides),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_usable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
