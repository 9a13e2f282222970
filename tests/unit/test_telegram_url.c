/* test_telegram_url.c - the public link of a Telegram post: only a public
 * channel's @username gives one; numeric chat ids and odd values none. */
#include <stdlib.h>
#include "publish/telegram.h"
#include "testutil.h"

static void test_post_url(void **state)
{
	(void)state;
	char *u = telegram_post_url("@photopub_test", "101");
	assert_string_equal(u, "https://t.me/photopub_test/101");
	free(u);
	static const char *const none[][2] = {
		{ "-1001234567890", "5" }, { "123456", "5" }, { "@abc", "5" }, /* too short */
		{ "@has space", "5" }, { "@ok_name/x", "5" }, { "@photopub_test", "" },
		{ "@photopub_test", "12a" }, { NULL, "5" }, { "@photopub_test", NULL },
		{ "@a234567890123456789012345678901234", "5" }, /* over 32 */
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_null(telegram_post_url(none[i][0], none[i][1]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
