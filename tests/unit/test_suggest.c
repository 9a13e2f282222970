/* test_suggest.c - util/suggest: the Damerau-Levenshtein distance (swaps
 * are one edit, case ignored), the threshold, the shortened-name rule and
 * the first of equal candidates winning. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/suggest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_distance(void **state)
{
	(void)state;
	static const struct { const char *a, *b; size_t d; } cases[] = {
		{ "", "", 0 }, { "abc", "", 3 }, { "", "abc", 3 },
		{ "enabled", "enabled", 0 }, { "enable", "enabled", 1 },
		{ "Mastadon", "Mastodon", 1 }, { "MASTODON", "mastodon", 0 },
		{ "tleegram", "telegram", 1 },  /* one swap */
		{ "kitten", "sitting", 3 }, { "ca", "abc", 3 }, /* OSA, not full DL */
	};
	for (size_t i = 0; i < N(cases); i++)
		if (suggest_distance(cases[i].a, cases[i].b) != cases[i].d)
			fail_msg("%s / %s: %zu, expected %zu", cases[i].a, cases[i].b,
				 suggest_distance(cases[i].a, cases[i].b), cases[i].d);
	char long_word[80];
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_true(suggest_distance(long_word, "a") == SIZE_MAX);
}

static const char *nearest(const char *word, const char *const *cands)
{
	struct suggest s;
	suggest_init(&s, word);
	for (size_t i = 0; cands[i]; i++)
		suggest_add(&s, cands[i]);
	return suggest_result(&s);
}

static void test_nearest(void **state)
{
	(void)state;
	const char *const mastodon[] = { "instance_url", "enabled", "visibility", "language",
					 "spoiler_text", NULL };
	assert_string_equal(nearest("enable", mastodon), "enabled");
	assert_string_equal(nearest("Enabled ", mastodon) ? nearest("Enabled ", mastodon) : "-",
			    "enabled");
	assert_string_equal(nearest("langauge", mastodon), "language");
	assert_string_equal(nearest("instance", mastodon) ? nearest("instance", mastodon) : "-",
			    "instance_url");
	assert_null(nearest("colour", mastodon));
	assert_null(nearest("x", mastodon));
	/* A word equal to a candidate is not a suggestion. */
	assert_null(nearest("ENABLED", (const char *const[]){ "enabled", NULL }));

	const char *const content[] = { "hashtag_string", "archive", "debug", "telegram",
					"instagram", "fetlife", "order", NULL };
	assert_string_equal(nearest("hashtags", content), "hashtag_string");
	assert_string_equal(nearest("telgram", content), "telegram");
	assert_string_equal(nearest("fetlif", content), "fetlife");
	/* Short words take one edit only: "ordr" yes, "dbg" no. */
	assert_string_equal(nearest("ordr", content), "order");
	assert_null(nearest("dbg", content));

	const char *const sections[] = { "Storage", "Dropbox", "Content", "Mastodon", "Pixelfed",
					 NULL };
	assert_string_equal(nearest("mastadon", sections), "Mastodon");
	assert_string_equal(nearest("STORAGE2", sections), "Storage");
	assert_null(nearest("Nothing", sections));

	/* Equal distance: the first offered wins. */
	assert_string_equal(nearest("ab", (const char *const[]){ "ax", "ay", NULL }), "ax");
	/* A close match beats a shortened-name one. */
	assert_string_equal(nearest("archives", (const char *const[]){ "archives_folder", "archive",
									NULL }), "archive");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_nearest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
