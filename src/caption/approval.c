/* approval.c - checks of an approved caption and the text of an edited
 * one (approval.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "caption/approval.h"
#include "util/buf.h"
#include "util/utf8.h"

int approval_check_caption(const char *what, const char *s, size_t len, struct pp_error *err)
{
	if (!s || strlen(s) != len)
		return pp_fail_kind(err, "approval", PP_ERR_INVALID, "%s holds a NUL character", what);
	bool blank = true;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = utf8_decode(s + i, len - i, &c);
		if (c == UTF8_BAD)
			return pp_fail_kind(err, "approval", PP_ERR_INVALID,
					    "%s is not valid UTF-8 (byte %zu)", what, i);
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f ||
		    (c >= 0x80 && c < 0xa0))
			return pp_fail_kind(err, "approval", PP_ERR_INVALID,
					    "%s holds a control character (U+%04X)", what, (unsigned)c);
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			blank = false;
		i += n;
	}
	if (blank)
		return pp_fail_kind(err, "approval", PP_ERR_INVALID, "%s is empty", what);
	size_t chars = utf8_len(s, len);
	if (chars > APPROVED_CAPTION_MAX)
		return pp_fail_kind(err, "approval", PP_ERR_INVALID,
				    "%s is %zu characters, over the %d any platform takes", what,
				    chars, APPROVED_CAPTION_MAX);
	return 0;
}

static size_t rtrim_len(const char *s, size_t n)
{
	while (n && strchr(" \t\r\n\v\f", s[n - 1]))
		n--;
	return n;
}

bool approval_is_comment(const char *s, size_t n)
{
	return n >= 1 && s[0] == '#' && (n == 1 || strchr(" \t\r", s[1]));
}

char *approval_from_edit(const char *text)
{
	struct buf b = BUF_INIT;
	size_t blank_run = 0; /* blank lines held back until text follows */
	for (const char *p = text ? text : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (!approval_is_comment(p, len)) {
			size_t n = rtrim_len(p, len);
			if (n == 0) {
				blank_run += b.len > 0;
			} else {
				for (; blank_run; blank_run--)
					buf_addc(&b, '\n');
				if (b.len)
					buf_addc(&b, '\n');
				buf_add(&b, p, n);
			}
		}
		p += len + (nl != NULL);
	}
	return buf_detach(&b);
}

char *approval_from_file(const char *text)
{
	const char *s = text ? text : "";
	return xstrndup(s, rtrim_len(s, strlen(s)));
}
