/* url.c - url_escape of url.h. */
#include <string.h>
#include "util/buf.h"
#include "util/url.h"

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

char *url_escape(const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;

	if (!s)
		s = "";
	buf_adds(&b, ""); /* "" for "" */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			buf_addc(&b, (char)*p);
		} else {
			char e[3] = { '%', digits[*p >> 4], digits[*p & 15] };
			buf_add(&b, e, 3);
		}
	}
	return buf_detach(&b);
}
