/* url.h - percent-encoding of URL parts (RFC 3986 §2.1): query values, form
 * fields, path segments. */
#ifndef PHOTOPUB_UTIL_URL_H
#define PHOTOPUB_UTIL_URL_H

/* s with every byte but the unreserved [A-Za-z0-9._~-] written as %XX
 * (uppercase hex, byte by byte, so UTF-8 is encoded as its bytes). NULL s
 * gives "". Caller frees. */
char *url_escape(const char *s);

#endif
