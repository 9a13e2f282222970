/* grapheme.c - grapheme cluster boundaries (grapheme.h): the rules of
 * UAX #29 that captions need, on utf8_decode and GLib's character types. */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "util/grapheme.h"
#include "util/utf8.h"

static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

static bool is_regional(uint32_t c)
{
	return c >= 0x1f1e6 && c <= 0x1f1ff;
}

/* What attaches to the character before it (Grapheme_Cluster_Break Extend,
 * SpacingMark and ZWJ, as far as grapheme.h says). */
static bool is_extend(uint32_t c)
{
	if (c == UTF8_BAD)
		return false;
	return g_unichar_ismark(c) || c == 0x200c || c == 0x200d ||
	       (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
	       (c >= 0x1f3fb && c <= 0x1f3ff) || (c >= 0xe0020 && c <= 0xe007f);
}

/* Extended_Pictographic, by its blocks: what a ZWJ joins. */
static bool is_pictographic(uint32_t c)
{
	return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) ||
	       (c >= 0x2300 && c <= 0x23ff) || (c >= 0x2b00 && c <= 0x2bff) ||
	       (c >= 0x2190 && c <= 0x21ff) || c == 0x00a9 || c == 0x00ae || c == 0x203c ||
	       c == 0x2049 || c == 0x2122 || c == 0x2139 || c == 0x3030 || c == 0x303d ||
	       c == 0x3297 || c == 0x3299;
}

size_t grapheme_next(const char *s, size_t n)
{
	uint32_t c, next;
	size_t i = utf8_decode(s, n, &c);
	if (c == UTF8_BAD)
		return i;
	if (c == '\r' && i < n && s[i] == '\n')
		return i + 1;
	if (is_control(c))
		return i;
	if (is_regional(c) && i < n) {
		size_t k = utf8_decode(s + i, n - i, &next);
		if (is_regional(next))
			i += k; /* a flag: two indicators, then its extenders */
	}
	while (i < n) {
		size_t k = utf8_decode(s + i, n - i, &next);
		if (!is_extend(next))
			break;
		i += k;
		if (next == 0x200d && i < n) {
			uint32_t after;
			size_t m = utf8_decode(s + i, n - i, &after);
			if (is_pictographic(after))
				i += m;
		}
	}
	return i;
}

size_t grapheme_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i += grapheme_next(s + i, n - i))
		count++;
	return count;
}

size_t grapheme_offset(const char *s, size_t n, size_t max)
{
	size_t i = 0;
	for (size_t k = 0; k < max && i < n; k++)
		i += grapheme_next(s + i, n - i);
	return i;
}
