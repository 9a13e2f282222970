/* request.h - reading what an HTTP client sent, with no server types: the
 * request target (path, query), percent-decoding, route patterns with a
 * {filename} segment, query parameters, the Cookie header, If-None-Match,
 * Content-Length and the value rules the routes share. Every function is
 * pure (same input, same output; nothing logged, no global state). */
#ifndef PHOTOPUB_WEB_REQUEST_H
#define PHOTOPUB_WEB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* Percent-decodes s[0..n) exactly once: "%2F" becomes a '/' that nobody
 * splits on again, "%252F" becomes "%2F". '+' stays '+'. NULL when an escape
 * is not '%' and two hex digits, or decodes to a NUL byte. Caller frees. */
char *request_decode(const char *s, size_t n);

/* The path of a request target: all before the first '?'. Caller frees. */
char *request_path(const char *target);

/* The query of a request target: all after the first '?', pointing into
 * target; NULL when there is no '?'. */
const char *request_query(const char *target);

/* Whether path matches pattern segment by segment ("/api/images/{filename}/file"):
 * literal segments compare exactly, a {…} segment matches one non-empty
 * segment of path. On a match *param is that segment percent-decoded once
 * (caller frees), or NULL when it did not decode; when pattern has no {…}
 * segment, or on no match, *param is NULL. */
bool request_match(const char *pattern, const char *path, char **param);

/* Whether a decoded {filename} may name an image in the image folder: a
 * plain file name (not empty, not "." or "..", no '/', no control
 * characters, at most 255 bytes) with an image extension. */
bool request_filename_ok(const char *name);

/* The value of query parameter name in query (may be NULL): '+' is a space,
 * then percent-decoded once. Parameters are "key=value" split on '&'; the
 * first whose key equals name matches, comparing ASCII letters without case
 * and the key undecoded but for '+' (the rules libmicrohttpd applied when it
 * parsed queries for this server). Returns 0 with *out the value (caller
 * frees), 0 with *out NULL when absent or given without '=', and -1 with
 * *out NULL when the value does not decode. */
int request_query_get(const char *query, const char *name, char **out);

/* The value of cookie name in a Cookie header value (may be NULL), parsed
 * as libmicrohttpd 0.9.75 parsed it for this server: pairs end at ';' or
 * ',' outside double quotes, spaces around a key are dropped (a value keeps
 * its own), a value in double quotes loses them, a key without
 * '=' has the value "", the first key equal to name (ASCII letters without
 * case) wins. NULL when absent; else caller frees. */
char *request_cookie(const char *header, const char *name);

/* Whether an If-None-Match value (a comma-separated list of entity tags,
 * or "*") matches tag (a quoted strong tag, as sent in ETag), by the weak
 * comparison RFC 9110 prescribes: a W/ prefix is ignored. */
bool request_etag_matches(const char *if_none_match, const char *tag);

/* Whether a Content-Length value (may be NULL) announces more than max
 * bytes, read as strtoull reads it: "-1" is huge, "abc" is 0. */
bool request_length_exceeds(const char *content_length, size_t max);

/* Whether a flag value is on: "1", "true", "yes" or "on", any case. NULL: off. */
bool request_truthy(const char *v);

/* Comma-separated lists ("a, b,c"): the number of items (0 for NULL), item
 * i with its blanks trimmed into out (-1 when there is none or it does not
 * fit), and whether value is one of them. */
size_t request_list_count(const char *list);
int request_list_item(const char *list, size_t i, char *out, size_t n);
bool request_list_has(const char *list, const char *value);

/* A decimal integer (strtol: leading white space and a sign allowed, nothing
 * after it) from min to max into *out; -1 with *out unchanged otherwise. */
int request_int_range(const char *s, long min, long max, int *out);

#endif
