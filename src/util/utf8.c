/* utf8.c - the decoder of utf8.h (Unicode Table 3-7, well-formed byte
 * sequences) and the counting, cutting and replacing built on it. Every
 * function here sees invalid bytes through utf8_decode, so all of them
 * follow the header's one rule. */
#include <string.h>
#include "util/buf.h"
#include "util/utf8.h"

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[0], lo = 0x80, hi = 0xbf;
	size_t need;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* E0 80–9F: overlong */
		else if (c == 0xed)
			hi = 0x9f; /* ED A0–BF: surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* F0 80–8F: overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* F4 90–BF: above U+10FFFF */
	} else {
		*cp = UTF8_BAD; /* a continuation byte, C0, C1, F5–FF */
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || u[i] < lo || u[i] > hi) {
			*cp = UTF8_BAD;
			return i;
		}
		v = v << 6 | (u[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

bool utf8_truncated(const char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(s, n, &cp);
	if (cp != UTF8_BAD || len != n)
		return false;
	/* A subpart of two or three bytes is always a character's start; one
	 * byte is when it is a lead byte that a continuation could follow. */
	unsigned char c = (unsigned char)s[0];
	return n > 1 || (c >= 0xc2 && c <= 0xf4);
}

size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp > UTF8_MAX || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *utf8_make_valid(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t run = 0, i = 0;

	buf_grow(&b, n);
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_BAD) {
			buf_add(&b, s + run, i - run);
			buf_adds(&b, UTF8_REPLACEMENT);
			run = i + len;
		}
		i += len;
	}
	buf_add(&b, s + run, n - run);
	return buf_detach(&b);
}

size_t utf8_len(const char *s, size_t n)
{
	size_t count = 0;
	uint32_t cp;
	for (size_t i = 0; i < n; count++)
		i += (unsigned char)s[i] < 0x80 ? 1 : utf8_decode(s + i, n - i, &cp);
	return count;
}

bool utf8_is_text(const char *s, size_t n)
{
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		i += utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_BAD || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return false;
	}
	return true;
}

size_t utf8_strlen(const char *s)
{
	return s ? utf8_len(s, strlen(s)) : 0;
}

size_t utf8_offset(const char *s, size_t n, size_t chars)
{
	size_t i = 0;
	uint32_t cp;
	for (; i < n && chars > 0; chars--)
		i += (unsigned char)s[i] < 0x80 ? 1 : utf8_decode(s + i, n - i, &cp);
	return i;
}

size_t utf8_cut_bytes(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	/* A character or subpart is at most 4 bytes and only its first byte is
	 * not a continuation byte (80–BF), so the one that holds s[max] starts
	 * in s[max-3..max]: at its last non-continuation byte, or at s[max]
	 * itself when there is none (a lone continuation byte). */
	size_t start = max;
	if (((unsigned char)s[max] & 0xc0) == 0x80) {
		for (size_t k = 1; k <= 3 && k <= max; k++) {
			if (((unsigned char)s[max - k] & 0xc0) != 0x80) {
				start = max - k;
				break;
			}
		}
	}
	size_t cut = start;
	uint32_t cp;
	while (cut < max) {
		size_t len = utf8_decode(s + cut, n - cut, &cp);
		if (cut + len > max)
			break;
		cut += len;
	}
	return cut;
}

char *utf8_cut_ellipsis(const char *s, size_t max)
{
	if (!s)
		s = "";
	if (max == 0)
		return xstrdup("");
	size_t n = strlen(s);
	if (utf8_offset(s, n, max) == n)
		return xstrdup(s);
	return xasprintf("%.*s" UTF8_ELLIPSIS, (int)utf8_offset(s, n, max - 1), s);
}
