/* test_sigv4.c - net/sigv4: the signing key, signatures and presigned
 * queries against the example vectors AWS documents (S3 "Signature
 * Calculations for the Authorization Header" and "Authenticating Requests:
 * Using Query Parameters"; IAM's signing-key example), path and query
 * encoding. */
#include <stdlib.h>
#include <string.h>
#include "net/sigv4.h"
#include "testutil.h"
#include "util/hex.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define EMPTY SIGV4_EMPTY_SHA256

/* AWS's example keys (from its documentation, not a real account). */
static const struct sigv4_creds example = {
	.access_key = "AKIAIOSFODNN7EXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "s3",
};

static void test_signing_key(void **state)
{
	(void)state;
	unsigned char key[32];
	char hex[65];
	sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam",
			  key);
	hex_encode(key, sizeof(key), hex);
	assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

struct sig_case {
	const char *what;
	const char *canonical;
	const char *want;
};

static const struct sig_case sig_cases[] = {
	{ "GET Object with a Range header",
	  "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
	  "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	  "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
	  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
	{ "PUT Object",
	  "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
	  "host:examplebucket.s3.amazonaws.com\n"
	  "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
	  "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	  "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	  "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
	  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
	{ "GET Bucket (list objects)",
	  "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
	  "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	  "host;x-amz-content-sha256;x-amz-date\n" EMPTY,
	  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
};

static void test_signatures(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(sig_cases); k++) {
		char sig[65];
		sigv4_signature(&example, "20130524T000000Z", sig_cases[k].canonical, sig);
		if (strcmp(sig, sig_cases[k].want))
			fail_msg("%s: got %s, want %s", sig_cases[k].what, sig, sig_cases[k].want);
	}
}

static void test_body_hash(void **state)
{
	(void)state;
	char h[65];
	sigv4_sha256_hex("Welcome to Amazon S3.", 21, h);
	assert_string_equal(h, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	sigv4_sha256_hex(NULL, 0, h);
	assert_string_equal(h, EMPTY);
}

static void test_presign(void **state)
{
	(void)state;
	char *q = NULL;
	struct pp_error err = { 0 };
	assert_int_equal(sigv4_presign_query(&example, "GET", "examplebucket.s3.amazonaws.com",
					     "/test.txt", NULL, 0, 1369353600, 86400, &q, &err), 0);
	assert_string_equal(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
			       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
			       "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	free(q);

	/* Out of range: S3 refuses more than a week. */
	assert_int_equal(sigv4_presign_query(&example, "GET", "h", "/k", NULL, 0, 0, 0, &q, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_null(q);
	assert_int_equal(sigv4_presign_query(&example, "GET", "h", "/k", NULL, 0, 0,
					     SIGV4_EXPIRES_MAX + 1, &q, &err), -1);
	/* The secret appears nowhere in what is returned. */
	struct sigv4_creds tok = example;
	tok.session_token = "tok/en+";
	assert_int_equal(sigv4_presign_query(&tok, "GET", "h", "/k", NULL, 0, 0, 60, &q, &err), 0);
	assert_non_null(strstr(q, "X-Amz-Security-Token=tok%2Fen%2B&"));
	assert_null(strstr(q, "wJalrXUtnFEMI"));
	assert_null(strstr(q, "bPxRfiCYEXAMPLEKEY"));
	free(q);
}

static void test_encode_path(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "", "" },
		{ "/test.txt", "/test.txt" },
		{ "/test$file.text", "/test%24file.text" },
		{ "/photos/a b+c.jpg", "/photos/a%20b%2Bc.jpg" },
		{ "/caf\xc3\xa9/\xe2\x9c\x93.png", "/caf%C3%A9/%E2%9C%93.png" },
		{ "/a?b#c%d&e=f", "/a%3Fb%23c%25d%26e%3Df" },
		{ "/~a-b_c.d", "/~a-b_c.d" },
	};
	for (size_t k = 0; k < N(cases); k++) {
		char *got = sigv4_encode_path(cases[k].in);
		assert_string_equal(got, cases[k].want);
		free(got);
	}
}

static void test_query(void **state)
{
	(void)state;
	const struct sigv4_param p[] = {
		{ "prefix", "photos/a b" },
		{ "list-type", "2" },
		{ "continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=" },
		{ "delimiter", "/" },
		{ "empty", NULL },
	};
	char *q = sigv4_query(p, N(p));
	assert_string_equal(q, "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D"
			       "&delimiter=%2F&empty=&list-type=2&prefix=photos%2Fa%20b");
	free(q);
	q = sigv4_query(NULL, 0);
	assert_string_equal(q, "");
	free(q);
	/* Same name: sorted by value. */
	const struct sigv4_param d[] = { { "a", "2" }, { "a", "1" }, { "A", "3" } };
	q = sigv4_query(d, N(d));
	assert_string_equal(q, "A=3&a=1&a=2");
	free(q);
}

static void test_amz_date(void **state)
{
	(void)state;
	char d[17];
	sigv4_amz_date(1369353600, d);
	assert_string_equal(d, "20130524T000000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signing_key), cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_body_hash),   cmocka_unit_test(test_presign),
		cmocka_unit_test(test_encode_path), cmocka_unit_test(test_query),
		cmocka_unit_test(test_amz_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
