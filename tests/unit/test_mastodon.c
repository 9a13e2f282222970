/* test_mastodon.c - what the Mastodon and Pixelfed publishers read in the
 * Mastodon API's replies: instance limits (v2, v1, missing and odd values),
 * media and status replies with their error kinds, X-RateLimit-Reset, the
 * Idempotency-Key, and the cut of a caption at a word. */
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "publish/mastodon.h"
#include "testutil.h"

static const struct mastodon_limits defaults = {
	.max_characters = 500, .image_size_limit = 16u << 20, .image_matrix_limit = 33177600,
	.description_limit = 1500, .jpeg = true, .png = true,
};

#define S(x) x, strlen(x)

static void test_instance_v2(void **state)
{
	(void)state;
	struct mastodon_limits lim = defaults;
	assert_int_equal(mastodon_parse_instance(S(
		"{\"domain\":\"m.example\",\"configuration\":{\"statuses\":{\"max_characters\":1000},"
		"\"media_attachments\":{\"description_limit\":900,\"image_size_limit\":10485760,"
		"\"image_matrix_limit\":16777216,\"supported_mime_types\":[\"image/png\",\"video/mp4\"]}}}"),
		&lim), 0);
	assert_int_equal(lim.max_characters, 1000);
	assert_int_equal(lim.description_limit, 900);
	assert_int_equal(lim.image_size_limit, 10485760);
	assert_int_equal(lim.image_matrix_limit, 16777216);
	assert_false(lim.jpeg);
	assert_true(lim.png);
}

static void test_instance_v1_and_odd_values(void **state)
{
	(void)state;
	/* v1: no description_limit; the default stays */
	struct mastodon_limits lim = defaults;
	assert_int_equal(mastodon_parse_instance(S(
		"{\"uri\":\"m.example\",\"configuration\":{\"statuses\":{\"max_characters\":700},"
		"\"media_attachments\":{\"image_size_limit\":-5,\"image_matrix_limit\":\"big\"}}}"),
		&lim), 0);
	assert_int_equal(lim.max_characters, 700);
	assert_int_equal(lim.description_limit, 1500);
	assert_int_equal(lim.image_size_limit, 16u << 20);
	assert_int_equal(lim.image_matrix_limit, 33177600);
	assert_true(lim.jpeg && lim.png);
	/* an older fork's max_toot_chars */
	lim = defaults;
	assert_int_equal(mastodon_parse_instance(S("{\"max_toot_chars\":5000}"), &lim), 0);
	assert_int_equal(lim.max_characters, 5000);
	/* not an object: nothing changes */
	static const char *const bad[] = { "", "[]", "null", "{\"configuration\":", "<html>" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		lim = defaults;
		assert_int_equal(mastodon_parse_instance(bad[i], strlen(bad[i]), &lim), -1);
		assert_true(lim.max_characters == defaults.max_characters &&
			    lim.image_size_limit == defaults.image_size_limit &&
			    lim.image_matrix_limit == defaults.image_matrix_limit &&
			    lim.description_limit == defaults.description_limit &&
			    lim.jpeg == defaults.jpeg && lim.png == defaults.png);
	}
}

static void test_media(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	char *id;
	bool ready;
	assert_int_equal(mastodon_parse_media("Mastodon", 200, S(
		"{\"id\":\"22348641\",\"type\":\"image\",\"url\":\"https://f.example/o.jpeg\"}"),
		&id, &ready, &err), 0);
	assert_string_equal(id, "22348641");
	assert_true(ready);
	free(id);
	assert_int_equal(mastodon_parse_media("Mastodon", 202, S(
		"{\"id\":\"7\",\"url\":null,\"preview_url\":\"https://f.example/s.jpeg\"}"),
		&id, &ready, &err), 0);
	assert_string_equal(id, "7");
	assert_false(ready);
	free(id);
	/* 206: still processing, no body */
	assert_int_equal(mastodon_parse_media("Mastodon", 206, "", 0, &id, &ready, &err), 0);
	assert_null(id);
	assert_false(ready);
	/* an integer id */
	assert_int_equal(mastodon_parse_media("Pixelfed", 200, S("{\"id\":42,\"url\":\"x\"}"), &id,
					      &ready, &err), 0);
	assert_string_equal(id, "42");
	free(id);
	/* 2xx without an id */
	assert_int_equal(mastodon_parse_media("Mastodon", 200, S("{\"url\":\"x\"}"), &id, &ready, &err), -1);
	assert_null(id);
	assert_int_equal(err.kind, PP_ERR_REMOTE);
	/* 422: the API's error text */
	pp_error_clear(&err);
	assert_int_equal(mastodon_parse_media("Mastodon", 422, S(
		"{\"error\":\"Validation failed: File content type is invalid, File is invalid\"}"),
		&id, &ready, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_int_equal(err.http_status, 422);
	assert_non_null(strstr(err.msg, "File content type is invalid"));
}

static void test_status_and_errors(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	char *id, *url;
	assert_int_equal(mastodon_parse_status("Mastodon", 200, S(
		"{\"id\":\"103254962155278888\",\"url\":\"https://m.example/@me/103254962155278888\"}"),
		&id, &url, &err), 0);
	assert_string_equal(id, "103254962155278888");
	assert_string_equal(url, "https://m.example/@me/103254962155278888");
	free(id);
	free(url);
	/* a url that is not http(s) is dropped, the post stands */
	assert_int_equal(mastodon_parse_status("Mastodon", 200, S(
		"{\"id\":\"1\",\"url\":\"javascript:alert(1)\"}"), &id, &url, &err), 0);
	assert_null(url);
	free(id);
	static const struct {
		long status;
		const char *body;
		enum pp_error_kind kind;
		const char *text;
		int transient;
	} cases[] = {
		{ 401, "{\"error\":\"The access token is invalid\"}", PP_ERR_AUTH, "invalid or revoked", 0 },
		{ 403, "{\"message\":\"Invalid permissions\"}", PP_ERR_AUTH, "Invalid permissions", 0 },
		{ 422, "{\"error\":\"Validation failed: Text can't be blank\"}", PP_ERR_INVALID,
		  "Text can't be blank", 0 },
		{ 429, "{\"error\":\"Too many requests\"}", PP_ERR_RATE_LIMITED, "Too many requests", 1 },
		{ 503, "<html>down</html>", PP_ERR_UNAVAILABLE, "no error text", 1 },
		{ 200, "not json", PP_ERR_REMOTE, "no status id", 0 },
		{ 302, "", PP_ERR_REMOTE, "HTTP 302", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		pp_error_clear(&err);
		assert_int_equal(mastodon_parse_status("Mastodon", cases[i].status, cases[i].body,
						       strlen(cases[i].body), &id, &url, &err), -1);
		assert_null(id);
		assert_null(url);
		assert_int_equal(err.kind, cases[i].kind);
		assert_int_equal(err.transient, cases[i].transient);
		if (!strstr(err.msg, cases[i].text))
			fail_msg("%ld: %s", cases[i].status, err.msg);
	}
}

static void test_reset(void **state)
{
	(void)state;
	/* Mastodon: ISO 8601 with microseconds */
	assert_int_equal(mastodon_reset_ms("2026-12-03T10:05:00.123456Z"), 1796292300123LL);
	assert_int_equal(mastodon_reset_ms("2026-12-03T11:05:00+01:00"), 1796292300000LL);
	/* GoToSocial: unix seconds */
	assert_int_equal(mastodon_reset_ms("1796292300"), 1796292300000LL);
	static const char *const bad[] = { NULL, "", "soon", "2026-12-03", "12a", "9999999999999",
					   "2026-13-03T10:05:00Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(mastodon_reset_ms(bad[i]), -1);
}

static void test_idempotency_key(void **state)
{
	(void)state;
	char a[65], b[65], c[65];
	/* sha256("abc:run-1") */
	mastodon_idempotency_key("abc", "run-1", a);
	assert_string_equal(a, "b122f1d6966a8d756914e46b5dad9941e6f8c22272744cc9e0e10a6cafb1f5e3");
	mastodon_idempotency_key("abc", "run-1", b);
	assert_string_equal(a, b);                 /* every attempt: the same key */
	mastodon_idempotency_key("abc", "run-2", c);
	assert_string_not_equal(a, c);             /* another run's post: another key */
	mastodon_idempotency_key("abd", "run-1", c);
	assert_string_not_equal(a, c);
	mastodon_idempotency_key(NULL, NULL, c);   /* sha256(":") */
	assert_string_equal(c, "e7ac0786668e0ff0f02b62bd04f45ff636fd82db63b1104601c975dc005f3a67");
}

/* The caption rules the publisher builds from max_characters: cut at a word. */
static void test_caption_cut_at_a_word(void **state)
{
	(void)state;
	struct caption_rules r = { .limit = 30 };
	char *c = caption_apply(&r, "Salt and sun written into the grain of the old deck boards");
	assert_true(utf8_strlen(c) <= 30);
	size_t n = strlen(c);
	const char *full = "Salt and sun written into the grain of the old deck boards";
	const char *ell = UTF8_ELLIPSIS;
	size_t kept = n >= strlen(ell) && !strcmp(c + n - strlen(ell), ell) ? n - strlen(ell) : n;
	while (kept && c[kept - 1] == ' ')
		kept--;
	assert_memory_equal(c, full, kept);
	assert_true(full[kept] == ' ');            /* no word cut in two */
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance_v2),
		cmocka_unit_test(test_instance_v1_and_odd_values),
		cmocka_unit_test(test_media),
		cmocka_unit_test(test_status_and_errors),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_idempotency_key),
		cmocka_unit_test(test_caption_cut_at_a_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
