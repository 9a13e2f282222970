/* test_approval.c - alt text and caption approval: cleaning the AI's alt
 * text (caption/alt_text.c) and the vision reply's alt_text
 * (openai_parse_analysis), the checks of a person's alt text and caption,
 * the text an editor leaves (caption/approval.c), and the caption each
 * platform is given (publish_caption_for). */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ai/openai.h"
#include "caption/alt_text.h"
#include "caption/approval.h"
#include "publish/publisher.h"
#include "util/buf.h"
#include "util/utf8.h"

/* An input and what a text function must make of it (NULL: nothing). */
struct text_case {
	const char *in, *want;
};

#define NCASES(c) (sizeof(c) / sizeof((c)[0]))

static void check_cases(char *(*fn)(const char *), const struct text_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = fn(c[i].in);
		if (!c[i].want)
			assert_null(got);
		else
			assert_string_equal(got, c[i].want);
		free(got);
	}
}

static void test_alt_text_clean(void **state)
{
	(void)state;
	static const struct text_case cases[] = {
		{ "A woman seated on a stool.", "A woman seated on a stool." },
		{ "  a woman\n\tseated \r\n on a stool.  ", "A woman seated on a stool." },
		{ "Image of a woman on a stool.", "A woman on a stool." },
		{ "A photo of two chairs by a window.", "Two chairs by a window." },
		{ "photograph of rope on wood", "Rope on wood" },
		{ "\"Quoted sentence.\"", "Quoted sentence." },
		{ "\xe2\x80\x9c" "Curly quotes.\xe2\x80\x9d", "Curly quotes." },
		{ "bell\x07 and\x1b escape", "Bell and escape" },
		{ "", NULL },
		{ "   \n\t ", NULL },
		{ "Image of  a chair", "A chair" },
		{ "\xc3\xa9t\xc3\xa9 au bord de l'eau", "\xc3\xa9t\xc3\xa9 au bord de l'eau" },
		{ "bad \xff byte", "Bad \xef\xbf\xbd byte" },
	};
	check_cases(alt_text_clean, cases, NCASES(cases));
	assert_null(alt_text_clean(NULL));
}

static void test_alt_text_cut_at_word(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	while (b.len < 300)
		buf_adds(&b, "quiet light, ");
	char *got = alt_text_clean(buf_str(&b));
	assert_true(utf8_strlen(got) <= ALT_TEXT_MAX);
	assert_true(utf8_strlen(got) > ALT_TEXT_MAX - 12);
	/* a whole word ends it, no separator left hanging */
	size_t n = strlen(got);
	assert_true(!strcmp(got + n - 5, "quiet") || !strcmp(got + n - 5, "light"));
	free(got);
	buf_release(&b);

	/* one word longer than the limit: cut inside it */
	char word[200];
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	got = alt_text_clean(word);
	assert_int_equal(utf8_strlen(got), ALT_TEXT_MAX);
	free(got);

	/* multi-byte characters count as one each */
	{
		struct buf m = BUF_INIT;
		for (int i = 0; i < 60; i++)
			buf_adds(&m, "\xc3\xa9t\xc3\xa9 ");
		got = alt_text_clean(buf_str(&m));
		assert_true(utf8_strlen(got) <= ALT_TEXT_MAX);
		assert_true(utf8_strlen(got) >= ALT_TEXT_MAX - 4);
		assert_true(utf8_is_text(got, strlen(got)));
		free(got);
		buf_release(&m);
	}
}

static void test_alt_text_check(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	assert_int_equal(alt_text_check("", 0, &err), 0);
	assert_int_equal(alt_text_check("Rope on wood.", 13, &err), 0);
	char max[ALT_TEXT_MAX + 2];
	memset(max, 'a', sizeof(max));
	max[ALT_TEXT_MAX] = '\0';
	assert_int_equal(alt_text_check(max, ALT_TEXT_MAX, &err), 0);
	max[ALT_TEXT_MAX] = 'a';
	max[ALT_TEXT_MAX + 1] = '\0';
	assert_int_equal(alt_text_check(max, ALT_TEXT_MAX + 1, &err), -1);
	assert_non_null(strstr(err.msg, "126 characters"));
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_int_equal(alt_text_check("two\nlines", 9, &err), -1);
	assert_non_null(strstr(err.msg, "one line"));
	assert_int_equal(alt_text_check("bad \xff", 5, &err), -1);
	assert_int_equal(alt_text_check("nul\0x", 5, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void test_caption_check(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	const char *ok = "Two lines,\n\"quoted\" and \xc3\xa9t\xc3\xa9\t#rope";
	assert_int_equal(approval_check_caption("caption", ok, strlen(ok), &err), 0);
	assert_int_equal(approval_check_caption("caption", "", 0, &err), -1);
	assert_string_equal(err.msg, "caption is empty");
	assert_int_equal(approval_check_caption("caption", " \n\t", 3, &err), -1);
	assert_int_equal(approval_check_caption("overrides.telegram.caption", "a\x01", 2, &err), -1);
	assert_non_null(strstr(err.msg, "overrides.telegram.caption holds a control character"));
	assert_int_equal(approval_check_caption("caption", "a\xc3", 2, &err), -1);
	assert_non_null(strstr(err.msg, "not valid UTF-8"));
	assert_int_equal(approval_check_caption("caption", "a\0b", 3, &err), -1);
	char *big = xmalloc(APPROVED_CAPTION_MAX + 2);
	memset(big, 'x', APPROVED_CAPTION_MAX + 1);
	big[APPROVED_CAPTION_MAX] = '\0';
	assert_int_equal(approval_check_caption("caption", big, APPROVED_CAPTION_MAX, &err), 0);
	big[APPROVED_CAPTION_MAX] = 'x';
	big[APPROVED_CAPTION_MAX + 1] = '\0';
	assert_int_equal(approval_check_caption("caption", big, APPROVED_CAPTION_MAX + 1, &err), -1);
	assert_non_null(strstr(err.msg, "2201 characters, over the 2200"));
	free(big);
}

static void test_from_edit(void **state)
{
	(void)state;
	static const struct text_case cases[] = {
		{ "Edited caption.\n\n# Please edit …\n#\n# Platforms:\n", "Edited caption." },
		{ "\n\n  \nFirst line\n\n\nSecond line   \n\n", "First line\n\n\nSecond line" },
		{ "Caption\n#rope #studio\n# a comment\n", "Caption\n#rope #studio" },
		{ "# only comments\n#\n#\tand a tab\n", "" },
		{ "", "" },
		{ "CRLF line\r\n# comment\r\n", "CRLF line" },
		{ "no final newline", "no final newline" },
	};
	check_cases(approval_from_edit, cases, NCASES(cases));
	char *got = approval_from_file("A caption\nover two lines\n\n");
	assert_string_equal(got, "A caption\nover two lines");
	free(got);
	got = approval_from_file("# not a comment in a file\n");
	assert_string_equal(got, "# not a comment in a file");
	free(got);
}

static void test_vision_reply_alt_text(void **state)
{
	(void)state;
	struct analysis an;
	struct ai_call call = { 0 };

	openai_parse_analysis("{\"description\":\"A woman on a stool.\","
			      "\"alt_text\":\"Image of a woman seated on a wooden stool.\"}",
			      &an, &call);
	assert_string_equal(an.alt_text, "A woman seated on a wooden stool.");
	json_t *j = analysis_to_json(&an);
	assert_string_equal(json_string_value(json_object_get(j, "alt_text")),
			    "A woman seated on a wooden stool.");
	json_decref(j);
	analysis_release(&an);

	/* too long: cut at a word to 125 characters */
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"alt_text\":\"");
	for (int i = 0; i < 30; i++)
		buf_adds(&b, "rope over wood ");
	buf_adds(&b, "\"}");
	openai_parse_analysis(buf_str(&b), &an, &call);
	assert_true(utf8_strlen(an.alt_text) <= ALT_TEXT_MAX);
	assert_true(utf8_strlen(an.alt_text) >= ALT_TEXT_MAX - 6);
	assert_int_not_equal(an.alt_text[strlen(an.alt_text) - 1], ' ');
	analysis_release(&an);
	buf_release(&b);

	/* none given: the description says what is shown */
	openai_parse_analysis("{\"description\":\"rope on a wooden floor\"}", &an, &call);
	assert_string_equal(an.alt_text, "Rope on a wooden floor");
	analysis_release(&an);

	/* control characters and line breaks: one line */
	openai_parse_analysis("{\"alt_text\":\"a chair\\nby a\\u0007 window\"}", &an, &call);
	assert_string_equal(an.alt_text, "A chair by a window");
	analysis_release(&an);

	/* no JSON at all: no alt text */
	openai_parse_analysis("I cannot help with that.", &an, &call);
	assert_null(an.alt_text);
	analysis_release(&an);

	/* an empty analysis has "" in JSON */
	struct analysis none = { 0 };
	j = analysis_to_json(&none);
	assert_string_equal(json_string_value(json_object_get(j, "alt_text")), "");
	json_decref(j);
}

static void test_caption_for_platform(void **state)
{
	(void)state;
	const struct caption_override ov[] = {
		{ .platform = "telegram", .caption = "Telegram's own." },
		{ .platform = "email", .caption = NULL },
	};
	struct publish_input in = { .caption = "The caption.", .overrides = ov, .noverrides = 2 };
	assert_string_equal(publish_caption_for(&in, "telegram"), "Telegram's own.");
	assert_string_equal(publish_caption_for(&in, "email"), "The caption.");
	assert_string_equal(publish_caption_for(&in, "outbox"), "The caption.");
	in.noverrides = 0;
	assert_string_equal(publish_caption_for(&in, "telegram"), "The caption.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alt_text_clean),
		cmocka_unit_test(test_alt_text_cut_at_word),
		cmocka_unit_test(test_alt_text_check),
		cmocka_unit_test(test_caption_check),
		cmocka_unit_test(test_from_edit),
		cmocka_unit_test(test_vision_reply_alt_text),
		cmocka_unit_test(test_caption_for_platform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
