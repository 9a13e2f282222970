/* richtext.c - hashtags and links with their byte spans, and the cut at a
 * word counted in graphemes (richtext.h). */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "caption/richtext.h"
#include "util/buf.h"
#include "util/grapheme.h"
#include "util/utf8.h"

#define MAX_TAG_CHARS 64

static uint32_t cp_at(const char *s, size_t i, size_t *len)
{
	uint32_t c;
	*len = utf8_decode(s + i, strnlen(s + i, 4), &c);
	return c;
}

static bool is_space(uint32_t c)
{
	return c != UTF8_BAD && g_unichar_isspace(c);
}

static bool is_punct(uint32_t c)
{
	if (c == UTF8_BAD)
		return false;
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONNECT_PUNCTUATION: case G_UNICODE_DASH_PUNCTUATION:
	case G_UNICODE_CLOSE_PUNCTUATION: case G_UNICODE_FINAL_PUNCTUATION:
	case G_UNICODE_INITIAL_PUNCTUATION: case G_UNICODE_OTHER_PUNCTUATION:
	case G_UNICODE_OPEN_PUNCTUATION:
		return true;
	default:
		return false;
	}
}

/* Ends a tag as whitespace does: soft hyphen, word joiner, the zero-width
 * and hair spaces, the enclosing keycap. */
static bool tag_stop(uint32_t c)
{
	return is_space(c) || c == 0x00ad || c == 0x2060 || (c >= 0x200a && c <= 0x200d) ||
	       c == 0x20e2;
}

/* The byte just past the last character of s[from..to) that is not
 * punctuation (from when all are). */
static size_t strip_punct(const char *s, size_t from, size_t to)
{
	size_t end = from;
	for (size_t i = from; i < to;) {
		size_t len;
		uint32_t c = cp_at(s, i, &len);
		i += len;
		if (!is_punct(c))
			end = i;
	}
	return end;
}

/* A tag at s[i] ('#' or U+FF03 of hlen bytes); its end, or 0 for none. */
static size_t tag_at(const char *s, size_t i, size_t hlen)
{
	size_t j = i + hlen, len;
	if (!s[j] || cp_at(s, j, &len) == 0xfe0f)
		return 0;
	while (s[j] && !tag_stop(cp_at(s, j, &len)))
		j += len;
	size_t end = strip_punct(s, i + hlen, j);
	size_t chars = 0;
	bool letter = false;
	for (size_t k = i + hlen; k < end; k += len, chars++) {
		uint32_t c = cp_at(s, k, &len);
		if (!g_unichar_isdigit(c) && !is_punct(c))
			letter = true;
	}
	return letter && chars <= MAX_TAG_CHARS ? end : 0;
}

static size_t count(const char *s, size_t n, char c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* A link at s[i] ("http://" or "https://"); its end, or 0 for none. */
static size_t link_at(const char *s, size_t i)
{
	size_t scheme = !strncmp(s + i, "https://", 8) ? 8 : !strncmp(s + i, "http://", 7) ? 7 : 0;
	if (!scheme)
		return 0;
	size_t j = i + scheme, len;
	while (s[j] && !is_space(cp_at(s, j, &len)))
		j += len;
	for (;;) {
		if (j > i + scheme && strchr(".,;:!?", s[j - 1]))
			j--;
		else if (j > i + scheme && s[j - 1] == ')' && count(s + i, j - i, ')') >
							       count(s + i, j - i, '('))
			j--;
		else
			break;
	}
	return j > i + scheme ? j : 0;
}

static void push(struct richtext_span **v, size_t *n, size_t *cap, struct richtext_span sp)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = sp;
}

size_t richtext_spans(const char *s, struct richtext_span **out)
{
	struct richtext_span *v = NULL;
	size_t n = 0, cap = 0, i = 0;
	uint32_t prev = ' ';
	while (s[i]) {
		size_t len, end;
		uint32_t c = cp_at(s, i, &len);
		bool after_space = is_space(prev);
		if ((c == '#' || c == 0xff03) && after_space && (end = tag_at(s, i, len))) {
			push(&v, &n, &cap, (struct richtext_span){ RICHTEXT_TAG, i, end,
								  xstrndup(s + i + len, end - i - len) });
		} else if ((after_space || prev == '(') && (end = link_at(s, i))) {
			push(&v, &n, &cap, (struct richtext_span){ RICHTEXT_LINK, i, end,
								  xstrndup(s + i, end - i) });
		} else {
			prev = c;
			i += len;
			continue;
		}
		i = end;
		prev = 0; /* what follows a span starts nothing */
	}
	*out = v;
	return n;
}

void richtext_spans_free(struct richtext_span *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].value);
	free(v);
}

/* The byte past the last non-whitespace character of s[0..n). */
static size_t rtrim(const char *s, size_t n)
{
	size_t end = 0, len;
	for (size_t i = 0; i < n; i += len)
		if (!is_space(cp_at(s, i, &len)))
			end = i + len;
	return end;
}

char *richtext_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (grapheme_count(s, n) <= max)
		return xstrdup(s);
	if (max == 0)
		return xstrdup("");
	size_t room = grapheme_offset(s, n, max - 1), cut = 0, len;
	/* The last whitespace at or before room: the word it ends stays whole. */
	for (size_t i = 0; i <= room && i < n; i += len)
		if (is_space(cp_at(s, i, &len)))
			cut = i;
	if (rtrim(s, cut) == 0)
		cut = room; /* one long word: cut between graphemes */
	struct buf b = BUF_INIT;
	buf_add(&b, s, rtrim(s, cut));
	buf_adds(&b, UTF8_ELLIPSIS);
	return buf_detach(&b);
}
