/* html.c - escaping and number formatting for the HTML report. */
#include <stdio.h>
#include <string.h>
#include "ops/html.h"

void html_escape(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				buf_adds(out, "\xef\xbf\xbd");
			else
				buf_addc(out, (char)*p);
		}
	}
}

void html_fmt_ms(double ms, char *out, size_t cap)
{
	/* Three significant digits at most, no trailing zeros: "1.25 s", "8 s". */
	if (ms < 1000)
		snprintf(out, cap, "%.0f ms", ms);
	else if (ms < 60000)
		snprintf(out, cap, "%.3g s", ms / 1000);
	else if (ms < 3600000)
		snprintf(out, cap, "%.3g min", ms / 60000);
	else
		snprintf(out, cap, "%.3g h", ms / 3600000);
}

void html_fmt_count(uint64_t n, char *out, size_t cap)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}
