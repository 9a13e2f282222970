/* mime_words.c - unstructured header values for mail: plain folded ASCII
 * (RFC 5322 §2.2.3) or RFC 2047 "B" encoded words in UTF-8, cut on UTF-8
 * sequence boundaries. Owns mime_header_value and mime_has_line_break. */
#include <string.h>
#include "publish/mime_words.h"
#include "util/buf.h"
#include "util/utf8.h"

#define LINE_SOFT 78   /* RFC 5322: lines SHOULD stay within 78 characters */
#define LINE_HARD 998  /* RFC 5322: lines MUST stay within 998 characters */
#define WORD_LINE 76   /* RFC 2047: a line holding an encoded word, at most 76 */
#define WORD_OPEN "=?UTF-8?B?"
#define WORD_CLOSE "?="
#define WORD_OVERHEAD (sizeof(WORD_OPEN) - 1 + sizeof(WORD_CLOSE) - 1)

bool mime_has_line_break(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static void add_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_addc(b, tab[(v >> 18) & 63]);
		buf_addc(b, tab[(v >> 12) & 63]);
		buf_addc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* Raw bytes one encoded word may carry on a line that already holds lead
 * characters: the word must fit in both MIME_WORD_MAX and the line limit,
 * and base64 turns every 3 bytes into 4 characters. At least 4 bytes, so
 * that any UTF-8 sequence fits. */
static size_t word_capacity(size_t lead)
{
	size_t room = lead < WORD_LINE ? WORD_LINE - lead : 0;
	if (room > MIME_WORD_MAX)
		room = MIME_WORD_MAX;
	size_t chars = room > WORD_OVERHEAD ? room - WORD_OVERHEAD : 0;
	size_t bytes = chars / 4 * 3;
	return bytes < 4 ? 4 : bytes;
}

static char *encoded_words(const char *s, size_t name_len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = BUF_INIT;
	size_t i = 0, n = strlen(s), lead = name_len;

	buf_adds(&b, "");
	while (i < n) {
		size_t cap = word_capacity(lead), end = i;
		while (end < n) {
			uint32_t cp;
			/* a character, or an invalid subpart, is never split */
			size_t k = utf8_decode(s + end, n - end, &cp);
			if (end + k - i > cap)
				break;
			end += k;
		}
		if (i > 0)
			buf_adds(&b, "\r\n ");
		buf_adds(&b, WORD_OPEN);
		add_base64(&b, p + i, end - i);
		buf_adds(&b, WORD_CLOSE);
		i = end;
		lead = 1;
	}
	return buf_detach(&b);
}

/* Plain text may stay as it is: printable ASCII (and tabs), no "=?" that a
 * reader would take for an encoded word, no whitespace at either end (a
 * reader strips it). */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n && (is_wsp(s[0]) || is_wsp(s[n - 1])))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return false;
		if (c == '=' && s[i + 1] == '?')
			return false;
	}
	return true;
}

/* Folds before the whitespace that starts a segment when the line would
 * pass LINE_SOFT. Returns NULL when a line would still pass LINE_HARD. */
static char *folded_plain(const char *s, size_t name_len)
{
	struct buf b = BUF_INIT;
	size_t i = 0, n = strlen(s), col = name_len;

	buf_adds(&b, "");
	while (i < n) {
		size_t j = i;
		while (j < n && is_wsp(s[j]))
			j++;
		while (j < n && !is_wsp(s[j]))
			j++;
		if (i > 0 && col + (j - i) > LINE_SOFT) {
			buf_adds(&b, "\r\n");
			col = 0;
		}
		buf_add(&b, s + i, j - i);
		col += j - i;
		if (col > LINE_HARD) {
			buf_release(&b);
			return NULL;
		}
		i = j;
	}
	return buf_detach(&b);
}

char *mime_header_value(const char *s, size_t name_len, struct pp_error *err)
{
	if (!s)
		s = "";
	if (mime_has_line_break(s)) {
		pp_fail_kind(err, "publisher.email", PP_ERR_INVALID,
			     "a header value holds a line break");
		return NULL;
	}
	if (plain_ok(s)) {
		char *v = folded_plain(s, name_len);
		if (v)
			return v;
	}
	return encoded_words(s, name_len);
}
