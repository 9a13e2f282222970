/* test_hex.c - util/hex: lowercase encoding, decoding of either case, and
 * refusal of anything that is not a hex digit. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/hex.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct hex_case {
	const char *bytes;
	size_t n;
	const char *hex;    /* hex_encode */
};

static const struct hex_case hex_cases[] = {
	{ "", 0, "" },
	{ "\x00", 1, "00" },
	{ "\x00\x01\xab\xff\x7f", 5, "0001abff7f" },
	{ "\x10\x9a\xf0", 3, "109af0" },
};

static void test_encode_decode(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(hex_cases); k++) {
		const struct hex_case *c = &hex_cases[k];
		char out[16];
		unsigned char back[8];
		hex_encode((const unsigned char *)c->bytes, c->n, out);
		assert_string_equal(out, c->hex);
		assert_int_equal(hex_decode(c->hex, back, c->n), 0);
		assert_memory_equal(back, c->bytes, c->n);
	}
}

struct decode_case {
	const char *in;
	size_t n;
	int rc;
	const char *want;   /* when rc is 0 */
};

static const struct decode_case decode_cases[] = {
	{ "ABcdEF", 3, 0, "\xab\xcd\xef" },
	{ "0a0B\n", 2, 0, "\x0a\x0b" },     /* what follows the 2n digits is not read */
	{ "0g", 1, -1, NULL },
	{ "g0", 1, -1, NULL },
	{ " a", 1, -1, NULL },              /* no blanks, signs or prefixes */
	{ "+a", 1, -1, NULL },
	{ "0x", 1, -1, NULL },
	{ "a", 1, -1, NULL },               /* an odd digit is not a byte */
	{ "", 0, 0, "" },
};

static void test_decode(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(decode_cases); k++) {
		const struct decode_case *c = &decode_cases[k];
		unsigned char out[8];
		int rc = hex_decode(c->in, out, c->n);
		if (rc != c->rc)
			fail_msg("case %zu (\"%s\"): rc %d", k, c->in, rc);
		if (rc == 0)
			assert_memory_equal(out, c->want, c->n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
