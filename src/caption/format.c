/* format.c - per-platform caption rules: character limits counted in code
 * points, Instagram's 30-hashtag cap, the plain-text email form, and the cut
 * that keeps a caption within its limit (REFERENCE "Caption formatting").
 * Owns caption_apply; each platform's rules are a row of the publishers
 * table. */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "caption/richtext.h"
#include "util/buf.h"
#include "util/grapheme.h"
#include "util/utf8.h"

const struct caption_rules caption_generic = { .limit = CAPTION_LIMIT_DEFAULT };

#define CP_BAD UTF8_BAD            /* a maximal invalid subpart (util/utf8.h) */

/* Decodes the code point at s[*i] (s[*i] != 0) and moves *i past it, or
 * past the maximal invalid subpart there, which gives CP_BAD. */
static gunichar next_cp(const char *s, size_t *i)
{
	uint32_t c;
	*i += utf8_decode(s + *i, strnlen(s + *i, 4), &c);
	return c;
}

/* A hashtag is '#' followed by word characters, where a word character is
 * what Python's \w matches: letters and digits of any script (and their
 * combining marks) and '_'. Punctuation, symbols and emoji end it. The '#'
 * must not follow a word character ("C#", "no#1" hold none), but may follow
 * another hashtag ("#a#b" holds two). */
static bool is_word(gunichar c)
{
	return c == '_' || (c != CP_BAD && g_unichar_isalnum(c));
}

static bool is_space(gunichar c)
{
	return c != CP_BAD && g_unichar_isspace(c);
}

struct span {
	size_t start, end; /* byte offsets of one hashtag, '#' included */
};

/* Every hashtag of s, in order, into *out (caller frees); returns the count. */
static size_t find_hashtags(const char *s, struct span **out)
{
	struct span *v = NULL;
	size_t n = 0, cap = 0, i = 0;
	bool prev_word = false;

	while (s[i]) {
		if (s[i] == '#' && !prev_word) {
			size_t end = i + 1, j = i + 1;
			while (s[j] && is_word(next_cp(s, &j)))
				end = j;
			if (end > i + 1) {
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					v = xrealloc(v, cap * sizeof(*v));
				}
				v[n++] = (struct span){ i, end };
				i = end;
				prev_word = false;
				continue;
			}
		}
		prev_word = is_word(next_cp(s, &i));
	}
	*out = v;
	return n;
}

/* Byte offset just past the last non-space code point of s[0..n). */
static size_t rtrim_end(const char *s, size_t n)
{
	size_t end = 0;
	for (size_t i = 0; i < n && s[i];) {
		if (!is_space(next_cp(s, &i)))
			end = i;
	}
	return end;
}

/* True when s[from..to) holds nothing but whitespace. */
static bool only_space(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to;)
		if (!is_space(next_cp(s, &i)))
			return false;
	return true;
}

/* Instagram: keeps the first `keep` hashtags and removes the others with the
 * blanks around them. A removed hashtag followed by more text on its line
 * takes the blanks after it when a blank (or nothing) precedes it ("a #x b"
 * -> "a b"); one that ends its line or the caption takes the whitespace
 * before it, line breaks included, so a trailing block of removed hashtags
 * leaves no empty line behind. */
static char *drop_hashtags_after(const char *s, size_t keep)
{
	struct span *tags;
	size_t n = find_hashtags(s, &tags);
	struct buf b = BUF_INIT;
	size_t pos = 0;

	for (size_t k = keep; k < n; k++) {
		buf_add(&b, s + pos, tags[k].start - pos);
		size_t j = tags[k].end;
		while (s[j] == ' ' || s[j] == '\t')
			j++;
		if (s[j] == '\0' || s[j] == '\n' || s[j] == '\r') {
			if (b.len) {
				b.len = rtrim_end(b.data, b.len);
				b.data[b.len] = '\0';
			}
			pos = j;
		} else if (!b.len || strchr(" \t\r\n", b.data[b.len - 1])) {
			pos = j;
		} else {
			pos = tags[k].end; /* "##x y" -> "# y", never "#y" */
		}
	}
	buf_adds(&b, s + pos);
	free(tags);
	return buf_detach(&b);
}

/* Email step 1: typographic characters to their ASCII forms. Dashes and the
 * minus sign become " - ", curly quotes and primes straight quotes, the
 * ellipsis "...", zero-width characters and every Unicode space (no-break
 * spaces, line separators, tabs and newlines) a plain space. */
static const char *email_ascii(gunichar c)
{
	switch (c) {
	case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
		return " - ";
	case 0x2010: case 0x2011:
		return "-";
	case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032:
		return "'";
	case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033:
		return "\"";
	case 0x2026:
		return "...";
	case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
		return " ";
	default:
		return is_space(c) ? " " : NULL;
	}
}

/* The email form: ASCII punctuation, no hashtags, one space between words,
 * no leading or trailing blanks. s is valid UTF-8. */
static char *email_clean(const char *s)
{
	struct buf ascii = BUF_INIT, out = BUF_INIT;
	for (size_t i = 0; s[i];) {
		size_t from = i;
		const char *rep = email_ascii(next_cp(s, &i));
		if (rep)
			buf_adds(&ascii, rep);
		else
			buf_add(&ascii, s + from, i - from);
	}

	const char *a = buf_str(&ascii);
	struct span *tags;
	size_t n = find_hashtags(a, &tags), k = 0;
	bool pending_space = false;
	for (size_t i = 0; a[i];) {
		if (k < n && i == tags[k].start) {
			i = tags[k++].end;
			continue;
		}
		if (a[i] == ' ') {
			pending_space = true;
			i++;
			continue;
		}
		if (pending_space && out.len)
			buf_addc(&out, ' ');
		pending_space = false;
		buf_addc(&out, a[i++]);
	}
	free(tags);
	buf_release(&ascii);
	return buf_detach(&out);
}

/* Cuts s (longer than limit) to at most limit code points.
 *
 * When s ends with a block of hashtags (hashtags separated by whitespace
 * only), the text before the block is kept with as many of the block's
 * hashtags, whole and in order, as still fit; if not even the text before the
 * block fits, or there is no such block, s is cut to limit-1 code points,
 * trailing whitespace dropped, and "…" appended (limit code points in all,
 * fewer when the cut fell on whitespace). */
static char *shorten(const char *s, size_t limit)
{
	size_t len = rtrim_end(s, strlen(s));
	size_t count = utf8_len(s, len);
	if (count <= limit)
		return xstrndup(s, len);

	struct span *tags;
	size_t n = find_hashtags(s, &tags);
	size_t cut = 0;
	if (n && tags[n - 1].end == len) {
		size_t first = n - 1;
		while (first > 0 && only_space(s, tags[first - 1].end, tags[first].start))
			first--;
		size_t body = rtrim_end(s, tags[first].start);
		size_t c = utf8_len(s, body);
		if (body > 0 && c <= limit)
			cut = body;
		size_t pos = body;
		for (size_t k = first; k < n && c <= limit; k++) {
			c += utf8_len(s + pos, tags[k].end - pos);
			pos = tags[k].end;
			if (c <= limit)
				cut = pos;
		}
	}
	free(tags);
	if (cut)
		return xstrndup(s, cut);

	size_t i = utf8_offset(s, strlen(s), limit > 0 ? limit - 1 : 0);
	struct buf b = BUF_INIT;
	buf_add(&b, s, rtrim_end(s, i));
	buf_adds(&b, UTF8_ELLIPSIS);
	return buf_detach(&b);
}

/* Takes ownership of next, frees *text and puts next in its place. */
static void replace_with(char **text, char *next)
{
	free(*text);
	*text = next;
}

char *caption_apply(const struct caption_rules *r, const char *caption)
{
	size_t limit = r->limit ? r->limit : CAPTION_LIMIT_DEFAULT;
	/* what reaches a platform (and any JSON encoder on the way) is valid
	 * UTF-8: each invalid subpart one U+FFFD, as utf8_strlen counts it */
	char *text = caption ? utf8_make_valid(caption, strlen(caption)) : xstrdup("");

	if (r->one_line)
		replace_with(&text, email_clean(text));
	else if (r->max_hashtags)
		replace_with(&text, drop_hashtags_after(text, r->max_hashtags));

	if (r->graphemes)
		replace_with(&text, richtext_cut(text, limit));
	else if (utf8_strlen(text) > limit)
		replace_with(&text, shorten(text, limit));
	return text;
}

size_t caption_length(const struct caption_rules *r, const char *text)
{
	return r->graphemes ? grapheme_count(text, strlen(text)) : utf8_strlen(text);
}
