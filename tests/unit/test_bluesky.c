/* test_bluesky.c - what the Bluesky publisher builds and reads without the
 * network: grapheme clusters, facets with UTF-8 byte offsets, the cut at a
 * word, the post record, labels and languages, the reply verdicts that
 * decide between refreshing the session and failing, the 429 wait, and the
 * sessions kept in the state file. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "caption/richtext.h"
#include "publish/bluesky.h"
#include "publish/session_store.h"
#include "state/state.h"
#include "util/grapheme.h"
#include "testutil.h"

static size_t graphemes(const char *s)
{
	return grapheme_count(s, strlen(s));
}

static void test_grapheme_clusters(void **state)
{
	(void)state;
	assert_int_equal(graphemes(""), 0);
	assert_int_equal(graphemes("abc"), 3);
	assert_int_equal(graphemes("caf\xc3\xa9"), 4);                 /* é precomposed */
	assert_int_equal(graphemes("cafe\xcc\x81"), 4);                /* e + U+0301 */
	assert_int_equal(graphemes("a\xcc\x81\xcc\xa7"), 1);           /* two marks */
	/* 👩‍💻: woman ZWJ laptop, one grapheme of 11 bytes */
	const char *coder = "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb";
	assert_int_equal(graphemes(coder), 1);
	assert_int_equal(grapheme_next(coder, strlen(coder)), 11);
	/* 👍🏽 with a skin tone; ❤️ with VS16; a family of four */
	assert_int_equal(graphemes("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), 1);
	assert_int_equal(graphemes("\xe2\x9d\xa4\xef\xb8\x8f"), 1);
	assert_int_equal(graphemes("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
				   "\xf0\x9f\x91\xa7\xe2\x80\x8d\xf0\x9f\x91\xa6"), 1);
	/* 🇩🇪🇯🇵: two flags; three indicators: a flag and one alone */
	assert_int_equal(graphemes("\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5"), 2);
	assert_int_equal(graphemes("\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa\xf0\x9f\x87\xaf"), 2);
	/* 1️⃣ keycap: digit, VS16, U+20E3 */
	assert_int_equal(graphemes("1\xef\xb8\x8f\xe2\x83\xa3"), 1);
	assert_int_equal(graphemes("a\r\nb"), 3);
	assert_int_equal(graphemes("\n\xcc\x81"), 2);                  /* a mark does not join a control */
	assert_int_equal(graphemes("a\xe2\x80\x8d" "b"), 2);           /* ZWJ joins only pictographs */
	assert_int_equal(graphemes("\xff\xcc\x81"), 2);                /* invalid byte: its own */
	assert_int_equal(grapheme_offset(coder, strlen(coder), 0), 0);
	assert_int_equal(grapheme_offset("ab\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd" "c", 11, 3), 10);
}

static void test_spans_with_multibyte_text(void **state)
{
	(void)state;
	/* "Über 👩‍💻 #café, see https://ex.com/ü." */
	const char *s = "\xc3\x9c" "ber \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb #caf\xc3\xa9, see "
			"https://ex.com/\xc3\xbc.";
	struct richtext_span *v;
	size_t n = richtext_spans(s, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].kind, RICHTEXT_TAG);
	assert_int_equal(v[0].start, 18);
	assert_int_equal(v[0].end, 24);
	assert_memory_equal(s + v[0].start, "#caf\xc3\xa9", 6);
	assert_string_equal(v[0].value, "caf\xc3\xa9");
	assert_int_equal(v[1].kind, RICHTEXT_LINK);
	assert_int_equal(v[1].start, 30);
	assert_int_equal(v[1].end, strlen(s) - 1);
	assert_string_equal(v[1].value, "https://ex.com/\xc3\xbc");
	richtext_spans_free(v, n);

	static const struct { const char *text; const char *values; } cases[] = {
		{ "#1 #2024 C#x a#b ##", "" },                   /* digits only; not after a space */
		{ "#tag! #x_y. #\xe6\x97\xa5\xe6\x9c\xac", "tag x_y \xe6\x97\xa5\xe6\x9c\xac" },
		{ "(https://a.example/x_(y)) https://b.example,", "https://a.example/x_(y) https://b.example" },
		{ "xhttps://no.example http:// https://", "" },
		{ "\xef\xbc\x83wide #\xef\xb8\x8fno", "wide" },   /* U+FF03; VS16 first */
		{ "#a\xe2\x80\x8b" "b", "a" },                     /* a zero-width space ends it */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = richtext_spans(cases[i].text, &v);
		char got[256] = "";
		for (size_t k = 0; k < n; k++) {
			strcat(got, k ? " " : "");
			strcat(got, v[k].value);
		}
		assert_string_equal(got, cases[i].values);
		richtext_spans_free(v, n);
	}
	char tag[80] = "#";
	memset(tag + 1, 'a', 65);
	n = richtext_spans(tag, &v);   /* over 64 characters */
	assert_int_equal(n, 0);
	richtext_spans_free(v, n);
}

static void test_cut_at_a_word_in_graphemes(void **state)
{
	(void)state;
	char *c = richtext_cut("short text", 300);
	assert_string_equal(c, "short text");
	free(c);
	c = richtext_cut("one two three four", 12);
	assert_string_equal(c, "one two\xe2\x80\xa6");
	free(c);
	c = richtext_cut("abcdefghijkl", 5);       /* one long word: between graphemes */
	assert_string_equal(c, "abcd\xe2\x80\xa6");
	free(c);
	c = richtext_cut("abc", 0);
	assert_string_equal(c, "");
	free(c);
	/* 5 emoji of 3 code points each: 15 code points, 9 graphemes with the
	 * spaces; a cut to 9 graphemes leaves them whole */
	const char *e = "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb";
	char five[80];
	snprintf(five, sizeof(five), "%s %s %s %s %s", e, e, e, e, e);
	c = richtext_cut(five, 9);
	assert_string_equal(c, five);
	free(c);
	c = richtext_cut(five, 8);
	char want[80];
	snprintf(want, sizeof(want), "%s %s %s %s\xe2\x80\xa6", e, e, e, e);
	assert_string_equal(c, want);
	assert_true(graphemes(c) <= 8);
	free(c);

	/* the same through a platform's caption rules, counted in graphemes */
	struct caption_rules r = { .limit = 8, .graphemes = true };
	assert_int_equal(caption_length(&r, five), 9);
	c = caption_apply(&r, five);
	assert_string_equal(c, want);
	free(c);
	struct caption_rules cp = { .limit = 8 };
	assert_int_equal(caption_length(&cp, five), 19);

	/* bluesky_text: 300 graphemes at most, a tag never cut in two */
	char *long_caption = malloc(4000);
	long_caption[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(long_caption, "word ");
	strcat(long_caption, "#hashtagsareneverhalved");
	char *t = bluesky_text(long_caption);
	assert_true(graphemes(t) <= BLUESKY_MAX_GRAPHEMES);
	assert_null(strstr(t, "#hash"));
	free(t);
	free(long_caption);
	t = bluesky_text("bad \xff byte");
	assert_string_equal(t, "bad \xef\xbf\xbd byte");
	free(t);
}

static void test_post_record(void **state)
{
	(void)state;
	json_t *blob = json_pack("{s:s, s:{s:s}, s:s, s:i}", "$type", "blob", "ref", "$link",
				 "bafkreiabc", "mimeType", "image/jpeg", "size", 1234);
	json_t *langs = bluesky_langs("de, en");
	const char *labels[] = { "nudity" };
	const char *text = "Gr\xc3\xbc\xc3\x9f" "e #caf\xc3\xa9 https://ex.com";
	struct bluesky_post p = { .text = text, .langs = langs, .labels = labels, .n_labels = 1,
				  .blob = blob, .alt = "alt \xe2\x80\x94 text", .width = 1600,
				  .height = 1200, .created = 1764756000 };
	json_t *rec = bluesky_post_record(&p);
	char *got = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_string_equal(got,
		"{\"$type\":\"app.bsky.feed.post\",\"createdAt\":\"2025-12-03T10:00:00.000Z\","
		"\"embed\":{\"$type\":\"app.bsky.embed.images\",\"images\":[{\"alt\":\"alt \\u2014 text\","
		"\"aspectRatio\":{\"height\":1200,\"width\":1600},\"image\":{\"$type\":\"blob\","
		"\"mimeType\":\"image/jpeg\",\"ref\":{\"$link\":\"bafkreiabc\"},\"size\":1234}}]},"
		"\"facets\":[{\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"caf\\u00E9\"}],"
		"\"index\":{\"byteEnd\":14,\"byteStart\":8}},{\"features\":[{\"$type\":"
		"\"app.bsky.richtext.facet#link\",\"uri\":\"https://ex.com\"}],\"index\":{\"byteEnd\":29,"
		"\"byteStart\":15}}],\"labels\":{\"$type\":\"com.atproto.label.defs#selfLabels\","
		"\"values\":[{\"val\":\"nudity\"}]},\"langs\":[\"de\",\"en\"],"
		"\"text\":\"Gr\\u00FC\\u00DFe #caf\\u00E9 https://ex.com\"}");
	free(got);
	json_decref(rec);

	/* no facets, labels or langs: the keys are left out */
	struct bluesky_post plain = { .text = "plain", .blob = blob, .created = 0 };
	rec = bluesky_post_record(&plain);
	assert_null(json_object_get(rec, "facets"));
	assert_null(json_object_get(rec, "labels"));
	assert_null(json_object_get(rec, "langs"));
	json_t *img = json_array_get(json_object_get(json_object_get(rec, "embed"), "images"), 0);
	assert_string_equal(json_string_value(json_object_get(img, "alt")), "");
	assert_null(json_object_get(img, "aspectRatio"));
	json_decref(rec);
	json_decref(blob);
	json_decref(langs);
}

static void test_labels_and_languages(void **state)
{
	(void)state;
	const char *l[BLUESKY_MAX_LABELS];
	struct analysis a = { .nsfw = false };
	assert_int_equal(bluesky_labels("auto", &a, l), 0);
	assert_int_equal(bluesky_labels("auto", NULL, l), 0);
	a.nsfw = true;
	assert_int_equal(bluesky_labels("auto", &a, l), 1);
	assert_string_equal(l[0], "sexual");
	strv_push(&a.safety_labels, "nudity");
	assert_int_equal(bluesky_labels(NULL, &a, l), 1);
	assert_string_equal(l[0], "nudity");
	strv_push(&a.safety_labels, "fetish");
	assert_int_equal(bluesky_labels("auto", &a, l), 1);
	assert_string_equal(l[0], "sexual");
	strv_push(&a.safety_labels, "sexual_content");
	assert_int_equal(bluesky_labels("auto", &a, l), 1);
	assert_string_equal(l[0], "porn");
	assert_int_equal(bluesky_labels("none", &a, l), 0);
	assert_int_equal(bluesky_labels(" porn , nudity,porn", NULL, l), 2);
	assert_string_equal(l[0], "porn");
	assert_string_equal(l[1], "nudity");
	assert_int_equal(bluesky_labels("spicy", NULL, l), -1);
	assert_int_equal(bluesky_labels("sexual,graphic-media", NULL, l), -1);
	assert_int_equal(bluesky_labels("", NULL, l), -1);
	strv_release(&a.safety_labels);

	json_t *j = bluesky_langs("en");
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	j = bluesky_langs("pt-BR, ja,de");
	assert_int_equal(json_array_size(j), 3);
	json_decref(j);
	assert_null(bluesky_langs("en,de,fr,it"));
	assert_null(bluesky_langs(""));
	assert_null(bluesky_langs("e"));
	assert_null(bluesky_langs("en_US"));
	assert_null(bluesky_langs(NULL));
}

static void test_reply_verdicts(void **state)
{
	(void)state;
	static const struct {
		long status;
		const char *body;
		enum bluesky_verdict v;
		enum pp_error_kind kind;
		const char *msg;
	} cases[] = {
		{ 200, "{\"uri\":\"at://x\"}", BLUESKY_OK, PP_ERR_NONE, "" },
		{ 400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}", BLUESKY_EXPIRED,
		  PP_ERR_AUTH, "Bluesky createRecord failed (HTTP 400 ExpiredToken): Token has expired" },
		{ 400, "{\"error\":\"InvalidToken\",\"message\":\"Token could not be verified\"}",
		  BLUESKY_EXPIRED, PP_ERR_AUTH, NULL },
		{ 401, "{\"error\":\"AuthenticationRequired\",\"message\":\"Invalid identifier or password\"}",
		  BLUESKY_EXPIRED, PP_ERR_AUTH, NULL },
		{ 400, "{\"error\":\"InvalidRequest\",\"message\":\"Invalid app.bsky.feed.post record\"}",
		  BLUESKY_FAILED, PP_ERR_REMOTE,
		  "Bluesky createRecord failed (HTTP 400 InvalidRequest): Invalid app.bsky.feed.post record" },
		{ 429, "{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}",
		  BLUESKY_RATE_LIMITED, PP_ERR_RATE_LIMITED, NULL },
		{ 502, "<html>bad gateway</html>", BLUESKY_FAILED, PP_ERR_UNAVAILABLE,
		  "Bluesky createRecord failed (HTTP 502): reply is not JSON" },
		{ 200, "[1]", BLUESKY_FAILED, PP_ERR_REMOTE,
		  "Bluesky createRecord failed (HTTP 200): reply is not a JSON object" },
		{ 200, "", BLUESKY_FAILED, PP_ERR_REMOTE, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pp_error err = { 0 };
		json_t *root = (json_t *)1;
		enum bluesky_verdict v = bluesky_parse_reply("com.atproto.repo.createRecord",
							     cases[i].status, cases[i].body,
							     strlen(cases[i].body), &root, &err);
		assert_int_equal(v, cases[i].v);
		assert_int_equal(err.kind, cases[i].kind);
		if (cases[i].msg)
			assert_string_equal(err.msg, cases[i].msg);
		if (v == BLUESKY_OK)
			assert_non_null(root);
		else
			assert_null(root);
		assert_int_equal(err.transient, cases[i].status == 429 || cases[i].status >= 500);
		json_decref(v == BLUESKY_OK ? root : NULL);
	}
}

static void test_rkey_and_rate_wait(void **state)
{
	(void)state;
	char *k = bluesky_rkey("at://did:plc:abc/app.bsky.feed.post/3lbq2x7yz2c2a");
	assert_string_equal(k, "3lbq2x7yz2c2a");
	free(k);
	assert_null(bluesky_rkey("https://bsky.app/x/y/z"));
	assert_null(bluesky_rkey("at://did:plc:abc/app.bsky.feed.post/"));
	assert_null(bluesky_rkey("at://did:plc:abc/app.bsky.feed.post"));
	assert_null(bluesky_rkey("at://did/coll/rkey/more"));
	assert_null(bluesky_rkey("at://did/coll/bad key"));
	assert_null(bluesky_rkey(NULL));

	assert_int_equal(bluesky_rate_wait(1000, 990, 120), 10);
	assert_int_equal(bluesky_rate_wait(1000, 1005, 120), 0);   /* already passed */
	assert_int_equal(bluesky_rate_wait(1000, 900, 60), -1);    /* past the timeout */
	assert_int_equal(bluesky_rate_wait(1000, 990, 11), -1);    /* no time left to post */
	assert_int_equal(bluesky_rate_wait(1000, 990, 12), 10);
}

static void test_sessions_in_the_state(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp();
	char *path = malloc(strlen(dir) + 16);
	sprintf(path, "%s/state.db", dir);
	struct state *st = tu_state_open(path, false);
	struct session_store store = session_store_state(st);
	struct saved_session s = { 0 };
	struct pp_error err = { 0 };
	assert_int_equal(store.get(store.arg, "https://bsky.social", "a.test", &s, &err), 0);
	struct saved_session in = { .account_id = "did:plc:a", .access_token = "acc1",
				    .refresh_token = "ref1" };
	assert_int_equal(store.put(store.arg, "https://bsky.social", "a.test", &in, &err), 0);
	in.access_token = "acc2";
	assert_int_equal(store.put(store.arg, "https://bsky.social", "a.test", &in, &err), 0);
	assert_int_equal(store.get(store.arg, "https://bsky.social", "b.test", &s, &err), 0);
	assert_int_equal(store.get(store.arg, "http://127.0.0.1:1", "a.test", &s, &err), 0);
	assert_int_equal(store.get(store.arg, "https://bsky.social", "a.test", &s, &err), 1);
	assert_string_equal(s.account_id, "did:plc:a");
	assert_string_equal(s.access_token, "acc2");
	assert_string_equal(s.refresh_token, "ref1");
	saved_session_release(&s);
	state_close(st);

	/* kept across opens; a read-only state reads but does not write */
	st = tu_state_open(path, true);
	assert_int_equal(state_session_get(st, "https://bsky.social", "a.test", &s, &err), 1);
	saved_session_release(&s);
	assert_int_equal(state_session_put(st, "https://bsky.social", "a.test", &in, &err), -1);
	state_close(st);

	st = tu_state_open(path, false);
	assert_int_equal(state_session_put(st, "https://bsky.social", "a.test", NULL, &err), 0);
	assert_int_equal(state_session_get(st, "https://bsky.social", "a.test", &s, &err), 0);
	state_close(st);

	struct session_store none = session_store_state(NULL);
	assert_null(none.get);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grapheme_clusters),
		cmocka_unit_test(test_spans_with_multibyte_text),
		cmocka_unit_test(test_cut_at_a_word_in_graphemes),
		cmocka_unit_test(test_post_record),
		cmocka_unit_test(test_labels_and_languages),
		cmocka_unit_test(test_reply_verdicts),
		cmocka_unit_test(test_rkey_and_rate_wait),
		cmocka_unit_test(test_sessions_in_the_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
