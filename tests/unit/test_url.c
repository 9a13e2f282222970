/* test_url.c - util/url: percent-encoding keeps exactly the unreserved
 * characters and writes every other byte as uppercase %XX. */
#include <stdlib.h>
#include "testutil.h"
#include "util/url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct escape_case {
	const char *in;
	const char *want;
};

static const struct escape_case escape_cases[] = {
	{ NULL, "" },
	{ "", "" },
	{ "AZaz09-._~", "AZaz09-._~" },
	{ "a b&c=d/\xc3\xa9~x_y.z-", "a%20b%26c%3Dd%2F%C3%A9~x_y.z-" },
	{ "100%+?#[]@!$'()*,;:", "100%25%2B%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A" },
	{ "\x01\x7f\xff", "%01%7F%FF" },
	{ "line\r\nbreak", "line%0D%0Abreak" },
};

static void test_escape(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(escape_cases); k++) {
		char *got = url_escape(escape_cases[k].in);
		assert_string_equal(got, escape_cases[k].want);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
