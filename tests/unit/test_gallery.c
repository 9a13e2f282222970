/* test_gallery.c - the gallery's request rules: the thumbnail sizes and
 * reading a list query (defaults, every parameter, every refusal). */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "web/gallery.h"

static void test_sizes(void **state)
{
	const struct thumb_size *t = web_thumb_size_find(NULL);
	assert_string_equal(t->name, "w256h256");
	t = web_thumb_size_find("w480h320");
	assert_non_null(t);
	assert_int_equal(t->width, 480);
	assert_int_equal(t->height, 320);
	assert_non_null(web_thumb_size_find("w1024h768"));
	assert_null(web_thumb_size_find("w64h64"));
	assert_null(web_thumb_size_find(""));
	assert_null(web_thumb_size_find("W256H256"));
	/* the names in the message are the table's */
	size_t n = 0;
	for (t = web_thumb_sizes; t->name; t++, n++)
		assert_non_null(strstr(web_thumb_size_names(), t->name));
	assert_int_equal(n, 5);
}

static void test_query_defaults_and_values(void **state)
{
	struct gallery_query gq;
	struct pp_error err = { 0 };
	assert_int_equal(gallery_query_parse(NULL, &gq, &err), 0);
	assert_int_equal(gq.sort, GALLERY_SORT_NAME);
	assert_false(gq.desc);
	assert_null(gq.q);
	assert_int_equal(gq.offset, 0);
	assert_int_equal(gq.limit, GALLERY_LIMIT_DEFAULT);
	gallery_query_release(&gq);

	assert_int_equal(gallery_query_parse("sort=modified&order=desc&q=Caf%C3%A9+x&offset=20&limit=500&x=1",
					     &gq, &err), 0);
	assert_int_equal(gq.sort, GALLERY_SORT_MODIFIED);
	assert_true(gq.desc);
	assert_string_equal(gq.q, "Caf\xc3\xa9 x");
	assert_int_equal(gq.offset, 20);
	assert_int_equal(gq.limit, 500);
	gallery_query_release(&gq);

	assert_int_equal(gallery_query_parse("sort=size&order=asc&q=", &gq, &err), 0);
	assert_int_equal(gq.sort, GALLERY_SORT_SIZE);
	assert_false(gq.desc);
	assert_null(gq.q);
	gallery_query_release(&gq);
}

static void test_query_refusals(void **state)
{
	static const struct { const char *query, *words; } cases[] = {
		{ "sort=date", "sort must be" },
		{ "sort=", "sort must be" },
		{ "order=DESC", "order must be" },
		{ "offset=-1", "offset must be" },
		{ "offset=x", "offset must be" },
		{ "limit=0", "limit must be a whole number from 1 to 500" },
		{ "limit=501", "limit must be" },
		{ "limit=1e3", "limit must be" },
		{ "q=%zz", "does not decode" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gallery_query gq;
		struct pp_error err = { 0 };
		assert_int_equal(gallery_query_parse(cases[i].query, &gq, &err), -1);
		assert_int_equal(err.kind, PP_ERR_INVALID);
		if (!strstr(err.msg, cases[i].words))
			fail_msg("%s: %s", cases[i].query, err.msg);
		gallery_query_release(&gq);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_query_defaults_and_values),
		cmocka_unit_test(test_query_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
