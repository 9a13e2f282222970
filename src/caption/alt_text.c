/* alt_text.c - cleaning the AI's alt text and checking a person's
 * (alt_text.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "caption/alt_text.h"
#include "util/buf.h"
#include "util/utf8.h"

/* What a screen reader says anyway, dropped from the front. Longest first. */
static const char *const lead_ins[] = {
	"a photograph of ", "an image of ", "a picture of ", "a photo of ",
	"photograph of ", "image of ", "picture of ", "photo of ",
};

static bool is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

static bool is_blank_cp(uint32_t c)
{
	return c == ' ' || c == 0xa0 || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x2000 && c <= 0x200b) || c == 0x202f || c == 0x3000 || c == 0xfeff;
}

/* v with controls and blank runs as one space, trimmed. Caller frees. */
static char *one_line(const char *v)
{
	struct buf b = BUF_INIT;
	bool space = false;
	size_t n = strlen(v);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = utf8_decode(v + i, n - i, &c);
		if (is_control(c) || is_blank_cp(c)) {
			space = b.len > 0;
		} else {
			if (space)
				buf_addc(&b, ' ');
			space = false;
			buf_add(&b, v + i, len);
		}
		i += len;
	}
	return buf_detach(&b);
}

/* Drops one pair of quotes around s (ASCII or typographic), in place. */
static void unquote(char *s)
{
	static const char *const pairs[][2] = {
		{ "\"", "\"" }, { "'", "'" }, { "\xe2\x80\x9c", "\xe2\x80\x9d" },
		{ "\xe2\x80\x98", "\xe2\x80\x99" }, { "\xc2\xab", "\xc2\xbb" },
	};
	size_t n = strlen(s);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		size_t a = strlen(pairs[i][0]), z = strlen(pairs[i][1]);
		if (n >= a + z && !memcmp(s, pairs[i][0], a) && !memcmp(s + n - z, pairs[i][1], z)) {
			memmove(s, s + a, n - a - z);
			s[n - a - z] = '\0';
			return;
		}
	}
}

/* s cut at a word to at most max characters, trailing separators dropped. */
static void cut_at_word(char *s, size_t max)
{
	size_t n = strlen(s);
	if (utf8_len(s, n) <= max)
		return;
	size_t end = utf8_offset(s, n, max);
	/* a word ends where a space follows it */
	size_t cut = end;
	if (s[end] != ' ') {
		while (cut > 0 && s[cut - 1] != ' ')
			cut--;
		if (cut == 0)
			cut = end; /* one long word: cut inside it */
	}
	while (cut > 0 && strchr(" ,;:-", s[cut - 1]))
		cut--;
	s[cut] = '\0';
}

char *alt_text_clean(const char *s)
{
	if (!s)
		return NULL;
	char *valid = utf8_make_valid(s, strlen(s));
	char *t = one_line(valid);
	free(valid);
	unquote(t);
	char *start = t;
	while (*start == ' ')
		start++;
	for (size_t i = 0; i < sizeof(lead_ins) / sizeof(lead_ins[0]); i++)
		if (!strncasecmp(start, lead_ins[i], strlen(lead_ins[i]))) {
			start += strlen(lead_ins[i]);
			break;
		}
	memmove(t, start, strlen(start) + 1);
	size_t n = strlen(t);
	while (n && t[n - 1] == ' ')
		t[--n] = '\0';
	if (t[0] >= 'a' && t[0] <= 'z')
		t[0] = (char)(t[0] - 'a' + 'A');
	cut_at_word(t, ALT_TEXT_MAX);
	if (!*t) {
		free(t);
		return NULL;
	}
	return t;
}

int alt_text_check(const char *s, size_t len, struct pp_error *err)
{
	if (!s || strlen(s) != len)
		return pp_fail_kind(err, "alt_text", PP_ERR_INVALID, "alt_text holds a NUL character");
	if (len && !utf8_is_text(s, len))
		return pp_fail_kind(err, "alt_text", PP_ERR_INVALID,
				    "alt_text must be one line of UTF-8 text without control "
				    "characters");
	size_t chars = utf8_len(s, len);
	if (chars > ALT_TEXT_MAX)
		return pp_fail_kind(err, "alt_text", PP_ERR_INVALID,
				    "alt_text is %zu characters, over the %d a screen reader "
				    "alt text may have", chars, ALT_TEXT_MAX);
	return 0;
}
