/* test_error.c - the error kinds table and how pp_error is filled. */
#include <string.h>
#include "testutil.h"
#include "util/error.h"

static void test_table(void **state)
{
	(void)state;
	for (int k = 0; k < PP_ERR_COUNT; k++) {
		assert_non_null(pp_error_name(k));
		for (int j = 0; j < k; j++)
			assert_string_not_equal(pp_error_name(k), pp_error_name(j));
		int s = pp_error_http_status(k);
		assert_true(k == PP_ERR_NONE ? s == 200 : s >= 400 && s <= 599);
	}
	assert_int_equal(pp_error_http_status(PP_ERR_RATE_LIMITED), 503);
	assert_int_equal(pp_error_http_status(PP_ERR_NOT_FOUND), 404);
	assert_int_equal(pp_error_http_status(PP_ERR_TIMEOUT), 504);
	assert_int_equal(pp_error_exit_code(PP_ERR_CONFIG), 2);
	assert_int_equal(pp_error_exit_code(PP_ERR_PUBLISH), 1);
	assert_int_equal(pp_error_exit_code(PP_ERR_NONE), 0);
	assert_string_equal(pp_error_name(PP_ERR_ALL_POSTED), "all_duplicates");
	/* Out of range reads as internal, never past the table. */
	assert_string_equal(pp_error_name((enum pp_error_kind)999), "internal");
}

static void test_fill(void **state)
{
	(void)state;
	struct pp_error e = { 0 };
	assert_int_equal(pp_fail(&e, "x", "plain %d", 1), -1);
	assert_int_equal(e.kind, PP_ERR_INTERNAL);
	assert_string_equal(e.msg, "plain 1");
	pp_error_clear(&e);
	assert_int_equal(pp_fail_kind(&e, "net", PP_ERR_RATE_LIMITED, "slow down"), -1);
	/* A layer above adds words; the kind stays the one that failed. */
	assert_int_equal(pp_fail(&e, "ai", "vision failed: %s", "slow down"), -1);
	assert_int_equal(e.kind, PP_ERR_RATE_LIMITED);
	assert_string_equal(e.where, "ai");
	assert_string_equal(e.msg, "vision failed: slow down");
	assert_int_equal(pp_fail(NULL, "x", "nothing to fill"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
