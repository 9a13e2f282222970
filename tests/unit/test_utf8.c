/* test_utf8.c - util/utf8: the one rule for invalid bytes (each maximal
 * subpart is one U+FFFD) through decoding, replacing and counting; encoding;
 * cuts by characters, by bytes and with an ellipsis. Tables of exact
 * outputs, plus a brute-force check of the byte cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/utf8.h"

#define FFFD UTF8_REPLACEMENT
#define BAD UTF8_BAD
#define END 0xfffffffeu /* ends a list of units */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- decoding: one row per input, every unit it splits into ---------------- */

struct unit {
	size_t len;
	uint32_t cp;
};

struct decode_case {
	const char *name;
	const char *in;
	size_t n;              /* bytes of in (0: strlen) */
	const char *valid;     /* utf8_make_valid */
	struct unit units[16]; /* what utf8_decode reads, in order, ended by END */
};

static const struct decode_case decode_cases[] = {
	{ "empty", "", 0, "", { { 0, END } } },
	{ "ascii", "ab", 0, "ab", { { 1, 'a' }, { 1, 'b' }, { 0, END } } },
	{ "nul inside", "a\0b", 3, "a", { { 1, 'a' }, { 1, 0 }, { 1, 'b' }, { 0, END } } },
	/* valid multi-byte, at the edges of each length */
	{ "two bytes", "\xc3\xa9", 0, "\xc3\xa9", { { 2, 0xe9 }, { 0, END } } },
	{ "U+0080", "\xc2\x80", 0, "\xc2\x80", { { 2, 0x80 }, { 0, END } } },
	{ "U+07FF", "\xdf\xbf", 0, "\xdf\xbf", { { 2, 0x7ff }, { 0, END } } },
	{ "U+0800", "\xe0\xa0\x80", 0, "\xe0\xa0\x80", { { 3, 0x800 }, { 0, END } } },
	{ "three bytes", "\xe6\x9c\x88", 0, "\xe6\x9c\x88", { { 3, 0x6708 }, { 0, END } } },
	{ "U+D7FF", "\xed\x9f\xbf", 0, "\xed\x9f\xbf", { { 3, 0xd7ff }, { 0, END } } },
	{ "U+E000", "\xee\x80\x80", 0, "\xee\x80\x80", { { 3, 0xe000 }, { 0, END } } },
	{ "U+FFFD itself", FFFD, 0, FFFD, { { 3, 0xfffd }, { 0, END } } },
	{ "U+FFFF", "\xef\xbf\xbf", 0, "\xef\xbf\xbf", { { 3, 0xffff }, { 0, END } } },
	{ "U+10000", "\xf0\x90\x80\x80", 0, "\xf0\x90\x80\x80", { { 4, 0x10000 }, { 0, END } } },
	{ "four bytes", "\xf0\x9f\x8c\x99!", 0, "\xf0\x9f\x8c\x99!",
	  { { 4, 0x1f319 }, { 1, '!' }, { 0, END } } },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf", { { 4, 0x10ffff }, { 0, END } } },
	/* sequences cut short by the end: one U+FFFD however many bytes */
	{ "truncated 2 of 3 at end", "a\xe2\x82", 0, "a" FFFD, { { 1, 'a' }, { 2, BAD }, { 0, END } } },
	{ "truncated 3 of 4 at end", "\xf0\x9f\x8c", 0, FFFD, { { 3, BAD }, { 0, END } } },
	{ "truncated 1 of 2 at end", "x\xc3", 0, "x" FFFD, { { 1, 'x' }, { 1, BAD }, { 0, END } } },
	/* ... and by a byte that cannot continue them */
	{ "truncated before space", "\xe2\x82 x", 0, FFFD " x",
	  { { 2, BAD }, { 1, ' ' }, { 1, 'x' }, { 0, END } } },
	{ "truncated before a lead", "\xe2\xc3\xa9", 0, FFFD "\xc3\xa9",
	  { { 1, BAD }, { 2, 0xe9 }, { 0, END } } },
	{ "truncated 2 of 4 before ascii", "\xf0\x9f" "A", 0, FFFD "A",
	  { { 2, BAD }, { 1, 'A' }, { 0, END } } },
	/* overlong forms: the lead byte alone, then each continuation alone */
	{ "overlong C0 80", "\xc0\x80", 0, FFFD FFFD, { { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "overlong C0 AF", "\xc0\xaf", 0, FFFD FFFD, { { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "overlong C1 BF", "\xc1\xbf", 0, FFFD FFFD, { { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "overlong E0 80 80", "\xe0\x80\x80", 0, FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "overlong E0 9F BF", "\xe0\x9f\xbf", 0, FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 0, FFFD FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	/* surrogates */
	{ "surrogate ED A0 80", "\xed\xa0\x80", 0, FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "surrogate ED BF BF", "x\xed\xbf\xbfy", 0, "x" FFFD FFFD FFFD "y",
	  { { 1, 'x' }, { 1, BAD }, { 1, BAD }, { 1, BAD }, { 1, 'y' }, { 0, END } } },
	/* above U+10FFFF */
	{ "F4 90 80 80", "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "F5 80 80 80", "\xf5\x80\x80\x80", 0, FFFD FFFD FFFD FFFD,
	  { { 1, BAD }, { 1, BAD }, { 1, BAD }, { 1, BAD }, { 0, END } } },
	{ "FE FF", "\xfe\xff", 0, FFFD FFFD, { { 1, BAD }, { 1, BAD }, { 0, END } } },
	/* lone continuation bytes */
	{ "lone 80", "\x80", 0, FFFD, { { 1, BAD }, { 0, END } } },
	{ "lone continuations", "\x80\xbf" "x", 0, FFFD FFFD "x",
	  { { 1, BAD }, { 1, BAD }, { 1, 'x' }, { 0, END } } },
	{ "continuation after a whole character", "\xc3\xa9\xa9", 0, "\xc3\xa9" FFFD,
	  { { 2, 0xe9 }, { 1, BAD }, { 0, END } } },
	/* a mixed line, as the caption formatter's case folder has it */
	{ "mixed", "ab\xff" "cd\xe2\x82 \xc0\xafx\xed\xa0\x80y", 0,
	  "ab" FFFD "cd" FFFD " " FFFD FFFD "x" FFFD FFFD FFFD "y",
	  { { 1, 'a' }, { 1, 'b' }, { 1, BAD }, { 1, 'c' }, { 1, 'd' }, { 2, BAD }, { 1, ' ' },
	    { 1, BAD }, { 1, BAD }, { 1, 'x' }, { 1, BAD }, { 1, BAD }, { 1, BAD }, { 1, 'y' },
	    { 0, END } } },
};

static size_t case_len(const struct decode_case *c)
{
	return c->n ? c->n : strlen(c->in);
}

static void test_decode(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(decode_cases); k++) {
		const struct decode_case *c = &decode_cases[k];
		size_t n = case_len(c), i = 0;
		for (const struct unit *u = c->units; u->cp != END; u++) {
			uint32_t cp = 0;
			if (i >= n)
				fail_msg("%s: input ends before unit %zu", c->name, (size_t)(u - c->units));
			size_t len = utf8_decode(c->in + i, n - i, &cp);
			if (len != u->len || cp != u->cp)
				fail_msg("%s: unit at byte %zu: got %zu bytes U+%04X, want %zu bytes U+%04X",
					 c->name, i, len, (unsigned)cp, u->len, (unsigned)u->cp);
			i += len;
		}
		if (i != n)
			fail_msg("%s: %zu bytes left after the listed units", c->name, n - i);
	}
}

static void test_make_valid_and_len(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(decode_cases); k++) {
		const struct decode_case *c = &decode_cases[k];
		size_t n = case_len(c);
		char *v = utf8_make_valid(c->in, n);
		if (strcmp(v, c->valid) != 0)
			fail_msg("%s: make_valid gave \"%s\"", c->name, v);
		/* one character per unit, before and after replacing */
		size_t units = 0;
		uint32_t cp;
		for (size_t i = 0; i < n; units++)
			i += utf8_decode(c->in + i, n - i, &cp);
		assert_int_equal(utf8_len(c->in, n), units);
		if (!memchr(c->in, '\0', n)) {
			assert_int_equal(utf8_strlen(v), units);
			assert_int_equal(utf8_strlen(c->in), units);
		}
		free(v);
	}
	assert_int_equal(utf8_strlen(NULL), 0);
	assert_int_equal(utf8_strlen(""), 0);
	assert_int_equal(utf8_strlen("abc"), 3);
	assert_int_equal(utf8_strlen("\xe6\x9c\x88"), 1);                  /* 月 */
	assert_int_equal(utf8_strlen("\xf0\x9f\x8c\x99!"), 2);             /* 🌙! */
	assert_int_equal(utf8_strlen("a\xff" "b"), 3);                     /* stray byte */
	assert_int_equal(utf8_strlen("\xc3\xa9t\xc3\xa9"), 3);
	assert_int_equal(utf8_strlen("\xe2\x82"), 1);
	assert_int_equal(utf8_strlen("\xc0\xaf"), 2);
	assert_int_equal(utf8_strlen("\xed\xa0\x80"), 3);
	assert_int_equal(utf8_strlen("\xf4\x90\x80\x80"), 4);
	assert_int_equal(utf8_strlen("\x80\x80x"), 3);
}

/* ---- a character's start cut short ------------------------------------------ */

struct truncated_case {
	const char *in;
	bool want;
};

static const struct truncated_case truncated_cases[] = {
	{ "\xc3", true },
	{ "\xe2\x82", true },
	{ "\xe2", true },
	{ "\xf0\x9f\x8c", true },
	{ "\xf4\x8f", true },
	{ "\xed\x9f", true },
	{ "a", false },
	{ "\xc3\xa9", false },          /* complete */
	{ "\xe2\x82 ", false },         /* ended by a space, not by the end */
	{ "\xc0", false },              /* starts no character */
	{ "\xc1", false },
	{ "\x80", false },
	{ "\xf5", false },
	{ "\xe0\x80", false },          /* overlong */
	{ "\xed\xa0", false },          /* surrogate */
	{ "\xf4\x90", false },          /* above U+10FFFF */
};

static void test_truncated(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(truncated_cases); k++) {
		const struct truncated_case *c = &truncated_cases[k];
		if (utf8_truncated(c->in, strlen(c->in)) != c->want)
			fail_msg("case %zu: utf8_truncated is %d", k, !c->want);
	}
}

/* ---- encoding ------------------------------------------------------------------ */

struct encode_case {
	uint32_t cp;
	const char *want;
	size_t len;
};

static const struct encode_case encode_cases[] = {
	{ 0, "\0", 1 },
	{ 'A', "A", 1 },
	{ 0x7f, "\x7f", 1 },
	{ 0x80, "\xc2\x80", 2 },
	{ 0x7ff, "\xdf\xbf", 2 },
	{ 0x800, "\xe0\xa0\x80", 3 },
	{ 0xd7ff, "\xed\x9f\xbf", 3 },
	{ 0xd800, FFFD, 3 },            /* surrogates are not characters */
	{ 0xdfff, FFFD, 3 },
	{ 0xffff, "\xef\xbf\xbf", 3 },
	{ 0x10000, "\xf0\x90\x80\x80", 4 },
	{ 0x1f319, "\xf0\x9f\x8c\x99", 4 },
	{ 0x10ffff, "\xf4\x8f\xbf\xbf", 4 },
	{ 0x110000, FFFD, 3 },
	{ UTF8_BAD, FFFD, 3 },
};

static void test_encode(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(encode_cases); k++) {
		const struct encode_case *c = &encode_cases[k];
		char out[4];
		size_t len = utf8_encode(c->cp, out);
		if (len != c->len || memcmp(out, c->want, len) != 0)
			fail_msg("U+%04X: %zu bytes", (unsigned)c->cp, len);
		/* and it decodes back, except what had no UTF-8 form */
		uint32_t cp;
		assert_int_equal(utf8_decode(out, len, &cp), len);
		if (strcmp(c->want, FFFD) != 0 || c->cp == 0xfffd)
			assert_int_equal(cp, c->cp);
	}
}

/* ---- cuts -------------------------------------------------------------------- */

struct offset_case {
	const char *in;
	size_t chars;
	size_t want;   /* bytes */
};

static const struct offset_case offset_cases[] = {
	{ "", 3, 0 },
	{ "abc", 0, 0 },
	{ "abc", 2, 2 },
	{ "abc", 3, 3 },
	{ "abc", 9, 3 },
	{ "h\xc3\xa9llo", 2, 3 },
	{ "h\xc3\xa9llo", 1, 1 },
	{ "\xe6\x9c\x88\xe6\x9c\x88", 1, 3 },
	{ "\xf0\x9f\x8c\x99x", 1, 4 },
	{ "a\xe2\x82z", 2, 3 },         /* a truncated sequence is one character */
	{ "\xe0\x80\x80", 1, 1 },       /* an overlong form is one per byte */
	{ "\xe0\x80\x80", 2, 2 },
	{ "\xf4\x90\x80\x80z", 4, 4 },
	{ "\x80\x80\x80", 2, 2 },
};

static void test_offset(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(offset_cases); k++) {
		const struct offset_case *c = &offset_cases[k];
		size_t got = utf8_offset(c->in, strlen(c->in), c->chars);
		if (got != c->want)
			fail_msg("case %zu: %zu characters are %zu bytes, want %zu", k, c->chars, got,
				 c->want);
	}
}

struct bytes_case {
	const char *in;
	size_t max;
	size_t want;
};

static const struct bytes_case bytes_cases[] = {
	{ "abc", 5, 3 },
	{ "abc", 3, 3 },
	{ "abc", 2, 2 },
	{ "abc", 0, 0 },
	{ "h\xc3\xa9", 2, 1 },                        /* not inside é */
	{ "h\xc3\xa9", 3, 3 },
	{ "\xe6\x9c\x88x", 1, 0 },
	{ "\xe6\x9c\x88x", 2, 0 },
	{ "\xe6\x9c\x88x", 3, 3 },                    /* exactly at the boundary */
	{ "\xf0\x9f\x8c\x99x", 3, 0 },
	{ "\xf0\x9f\x8c\x99x", 4, 4 },
	{ "xxxx\xf0\x9f\x8c\x99", 7, 4 },
	{ "\x80\x80\x80\x80\x80", 3, 3 },             /* lone continuations stand alone */
	{ "\xe0\x80\x80", 2, 2 },                     /* and so do an overlong's bytes */
	{ "\xed\xa0\x80z", 1, 1 },
	{ "a\xe2\x82\xe2\x82\xac", 2, 1 },            /* not inside a truncated sequence */
	{ "a\xe2\x82\xe2\x82\xac", 3, 3 },
	{ "a\xe2\x82\xe2\x82\xac", 5, 3 },            /* nor inside the € after it */
	{ "a\xe2\x82\xe2\x82\xac", 6, 6 },
	{ "\xf0\x9f\x8c" "x", 2, 0 },
	{ "\xf0\x9f\x8c" "x", 3, 3 },
};

/* The largest unit boundary <= max, found the slow way. */
static size_t slow_cut(const char *s, size_t n, size_t max)
{
	size_t i = 0, best = 0;
	uint32_t cp;
	while (i < n) {
		i += utf8_decode(s + i, n - i, &cp);
		if (i <= max)
			best = i;
	}
	return n <= max ? n : best;
}

static void test_cut_bytes(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(bytes_cases); k++) {
		const struct bytes_case *c = &bytes_cases[k];
		size_t got = utf8_cut_bytes(c->in, strlen(c->in), c->max);
		if (got != c->want)
			fail_msg("case %zu: cut to %zu bytes gave %zu, want %zu", k, c->max, got, c->want);
	}
	/* every cut of every decode case agrees with the slow way */
	for (size_t k = 0; k < N(decode_cases); k++) {
		const struct decode_case *c = &decode_cases[k];
		size_t n = case_len(c);
		for (size_t max = 0; max <= n + 1; max++)
			if (utf8_cut_bytes(c->in, n, max) != slow_cut(c->in, n, max))
				fail_msg("%s: cut to %zu bytes", c->name, max);
	}
}

struct ellipsis_case {
	const char *in;
	size_t max;
	const char *want;
};

#define ELL UTF8_ELLIPSIS

static const struct ellipsis_case ellipsis_cases[] = {
	{ "short", 10, "short" },
	{ "exactly10!", 10, "exactly10!" },
	{ "eleven chars", 11, "eleven cha" ELL },
	{ "abc", 1, ELL },
	{ "abc", 2, "a" ELL },
	{ "abc", 3, "abc" },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9" ELL },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9\xc3\xa9" },
	{ "a\xe2\x9c\x93" "b\xf0\x9f\x98\x80" "c", 4, "a\xe2\x9c\x93" "b" ELL },
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1, ELL },
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" },
	{ "anything", 0, "" },
	{ "", 5, "" },
	{ NULL, 3, "" },
	/* invalid bytes count by the rule and are kept as they are */
	{ "a\xe2\x82z", 3, "a\xe2\x82z" },
	{ "a\xe2\x82z", 2, "a" ELL },
	{ "a\xe2\x82zz", 3, "a\xe2\x82" ELL },
	{ "\xc0\xaf\xc0\xaf", 3, "\xc0\xaf" ELL },
	{ "\xc0\xaf\xc0\xaf", 4, "\xc0\xaf\xc0\xaf" },
};

static void test_cut_ellipsis(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(ellipsis_cases); k++) {
		const struct ellipsis_case *c = &ellipsis_cases[k];
		char *got = utf8_cut_ellipsis(c->in, c->max);
		if (strcmp(got, c->want) != 0)
			fail_msg("case %zu: cut to %zu gave \"%s\", want \"%s\"", k, c->max, got, c->want);
		/* never longer than max; exactly max when cut */
		size_t len = utf8_strlen(got);
		assert_true(len <= c->max);
		if (c->in && strcmp(got, c->in) != 0 && c->max > 0)
			assert_int_equal(len, c->max);
		free(got);
	}
}

static void test_is_text(void **state)
{
	(void)state;
	static const struct { const char *s; bool text; } cases[] = {
		{ "plain.jpg", true }, { "caf\xc3\xa9 \xf0\x9f\x93\xb7.jpg", true }, { "", true },
		{ "bad\xff.jpg", false }, { "cut\xe2\x82", false }, { "tab\tname", false },
		{ "nl\n", false }, { "del\x7f", false }, { "c1\xc2\x85", false },
		{ "over\xc0\xaf", false }, { "sur\xed\xa0\x80", false }, { "nbsp\xc2\xa0", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (utf8_is_text(cases[i].s, strlen(cases[i].s)) != cases[i].text)
			fail_msg("case %zu: \"%s\" should%s be text", i, cases[i].s,
				 cases[i].text ? "" : " not");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_make_valid_and_len),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_cut_bytes),
		cmocka_unit_test(test_cut_ellipsis),
		cmocka_unit_test(test_is_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
