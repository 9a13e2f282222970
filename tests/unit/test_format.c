/* test_format.c - per-platform caption rules: the case folders under
 * tests/data/format (see its README), the limits, code point counting, and
 * properties checked on generated captions (never over the limit, always
 * valid UTF-8, short captions untouched, cuts are prefixes). */
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "publish/publisher.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* The caption rules of the platform called name in the publishers table;
 * the generic rules for any other name. */
static const struct caption_rules *rules_of(const char *platform)
{
	const struct publisher_ops *p = platform ? publisher_find(platform) : NULL;
	return p ? &p->caption : &caption_generic;
}

static char *caption_format(const char *platform, const char *caption)
{
	return caption_apply(rules_of(platform), caption);
}

static size_t caption_limit(const char *platform)
{
	return rules_of(platform)->limit;
}

/* The file case/name under tests/data/format; caller frees. */
static char *case_file(const char *dir, const char *name)
{
	char *path = fs_join(dir, name);
	char *data = tu_read(path, NULL);
	if (!data)
		fail_msg("missing %s", path);
	free(path);
	return data;
}

static int only_dirs(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type == DT_DIR;
}

static void test_cases(void **state)
{
	(void)state;
	char *root = tu_data("format");
	struct dirent **list;
	int n = scandir(root, &list, only_dirs, alphasort);
	assert_true(n >= 20);

	int failures = 0;
	for (int i = 0; i < n; i++) {
		char *dir = fs_join(root, list[i]->d_name);
		char *platform = case_file(dir, "platform");
		platform[strcspn(platform, " \t\r\n")] = '\0';
		char *input = case_file(dir, "input");
		char *expected = case_file(dir, "expected");

		char *got = caption_format(platform, input);
		if (strcmp(got, expected) != 0) {
			fprintf(stderr, "format case %s (%s): expected %zu chars \"%.200s\", got %zu chars \"%.200s\"\n",
				list[i]->d_name, platform, utf8_strlen(expected), expected,
				utf8_strlen(got), got);
			failures++;
		} else if (utf8_strlen(got) > caption_limit(platform)) {
			fprintf(stderr, "format case %s: %zu chars over the limit %zu\n",
				list[i]->d_name, utf8_strlen(got), caption_limit(platform));
			failures++;
		}
		free(got);
		free(expected);
		free(input);
		free(platform);
		free(dir);
		free(list[i]);
	}
	free(list);
	free(root);
	assert_int_equal(failures, 0);
}

static void test_limits(void **state)
{
	(void)state;
	assert_int_equal(caption_limit("instagram"), 2200);
	assert_int_equal(caption_limit("telegram"), 1024);
	assert_int_equal(caption_limit("email"), 240);
	assert_int_equal(caption_limit("generic"), 2200);
	assert_int_equal(caption_limit("outbox"), 2200);
	assert_int_equal(caption_limit("somewhere"), 2200);
	assert_int_equal(caption_limit(NULL), 2200);
}

static void test_null_caption(void **state)
{
	(void)state;
	char *s = caption_format("telegram", NULL);
	assert_string_equal(s, "");
	free(s);
	s = caption_format(NULL, "plain");
	assert_string_equal(s, "plain");
	free(s);
}

/* Deterministic pseudo-random numbers for the generated captions. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* A caption of about `units` pieces: words, blanks, line breaks, hashtags,
 * multibyte letters and emoji, typographic punctuation and (when `invalid`)
 * stray bytes. */
static char *make_caption(size_t units, bool invalid)
{
	static const char *pieces[] = {
		"a", "word", " ", " ", "  ", "\n", "\t", "#", "#tag", "#\xc3\xa9t\xc3\xa9",
		"\xc3\xa9", "\xe6\x9c\x88", "\xf0\x9f\x8c\x99", "\xe2\x80\x94", "\xe2\x80\x9c",
		"\xe2\x80\xa6", "\xc2\xa0", "\xe2\x80\x8b", ",", ".", "_", "9",
	};
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < units; i++) {
		if (invalid && rnd(40) == 0)
			buf_addc(&b, (char)(0x80 + rnd(0x80)));
		else
			buf_adds(&b, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
	}
	return buf_detach(&b);
}

static void check_properties(const char *platform, const char *in, bool valid_in)
{
	size_t limit = caption_limit(platform);
	char *out = caption_format(platform, in);
	if (utf8_strlen(out) > limit)
		fail_msg("%s: %zu chars over %zu", platform, utf8_strlen(out), limit);
	if (!g_utf8_validate(out, -1, NULL))
		fail_msg("%s: invalid UTF-8 out", platform);

	bool plain = strcmp(platform, "telegram") == 0 || strcmp(platform, "generic") == 0;
	if (plain && valid_in) {
		size_t n = strlen(out);
		if (utf8_strlen(in) <= limit) {
			assert_string_equal(out, in);
		} else if (n >= strlen(ELLIPSIS) &&
			   strcmp(out + n - strlen(ELLIPSIS), ELLIPSIS) == 0) {
			/* an ellipsis cut: limit-1 characters at most, then "…" */
			n -= strlen(ELLIPSIS);
			assert_true(strncmp(out, in, n) == 0);
			assert_true(utf8_strlen(out) <= limit);
		} else {
			/* a cut before trailing hashtags: a prefix ending in a hashtag
			 * or in the text before them, never in a blank */
			assert_true(n > 0 && strncmp(out, in, n) == 0);
			assert_false(strchr(" \t\n", out[n - 1]));
		}
	}
	if (strcmp(platform, "email") != 0) {
		char *again = caption_format(platform, out);
		assert_string_equal(again, out);
		free(again);
	}
	free(out);
}

static void test_generated_captions(void **state)
{
	(void)state;
	static const char *platforms[] = { "instagram", "telegram", "email", "generic" };
	for (int round = 0; round < 300; round++) {
		bool invalid = round % 3 == 0;
		char *in = make_caption(rnd(2) ? rnd(300) : 200 + rnd(1400), invalid);
		bool valid_in = g_utf8_validate(in, -1, NULL);
		for (size_t p = 0; p < sizeof(platforms) / sizeof(platforms[0]); p++)
			check_properties(platforms[p], in, valid_in);
		free(in);
	}
}

/* Instagram keeps exactly the first 30 hashtags, whatever their number. */
static void test_instagram_hashtag_counts(void **state)
{
	(void)state;
	for (int total = 0; total <= 60; total += 3) {
		struct buf in = BUF_INIT, want = BUF_INIT;
		buf_adds(&in, "Caption");
		buf_adds(&want, "Caption");
		for (int i = 1; i <= total; i++) {
			buf_addf(&in, " #h%d", i);
			if (i <= 30)
				buf_addf(&want, " #h%d", i);
		}
		char *out = caption_format("instagram", buf_str(&in));
		assert_string_equal(out, buf_str(&want));
		free(out);
		buf_release(&in);
		buf_release(&want);
	}
}

/* An ellipsis cut is exactly limit characters when no blank falls at the cut,
 * whatever the width of the characters in bytes. */
static void test_cut_lengths(void **state)
{
	(void)state;
	static const char *chars[] = { "x", "\xc3\xa9", "\xe6\x9c\x88", "\xf0\x9f\x8c\x99" };
	static const char *platforms[] = { "telegram", "email", "instagram", "outbox" };
	for (size_t c = 0; c < 4; c++) {
		for (size_t p = 0; p < 4; p++) {
			size_t limit = caption_limit(platforms[p]);
			for (size_t extra = 0; extra <= 2; extra++) {
				struct buf in = BUF_INIT;
				for (size_t i = 0; i < limit + extra; i++)
					buf_adds(&in, chars[c]);
				char *out = caption_format(platforms[p], buf_str(&in));
				assert_int_equal(utf8_strlen(out), limit);
				if (extra == 0) {
					assert_string_equal(out, buf_str(&in));
				} else {
					size_t body = strlen(out) - strlen(ELLIPSIS);
					assert_string_equal(out + body, ELLIPSIS);
					assert_int_equal(body, (limit - 1) * strlen(chars[c]));
				}
				free(out);
				buf_release(&in);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_null_caption),
		cmocka_unit_test(test_generated_captions),
		cmocka_unit_test(test_instagram_hashtag_counts),
		cmocka_unit_test(test_cut_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
