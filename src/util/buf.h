/* buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Lifecycle: struct buf b = BUF_INIT; buf_add…(&b, …); buf_release(&b).
 * buf_detach() hands the bytes to the caller, who frees them with free().
 * Allocation failure aborts: callers never see a half-built buffer. */
#ifndef PHOTOPUB_UTIL_BUF_H
#define PHOTOPUB_UTIL_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* NULL until the first byte, then NUL-terminated */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);        /* length 0, memory kept */
char *buf_detach(struct buf *b);      /* caller owns the result; never NULL */
void buf_release(struct buf *b);
const char *buf_str(const struct buf *b); /* "" when empty */

/* Allocation helpers that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Overwrites the string s (a key, a token) with zeros, then frees it; NULL is fine. */
void xfree_secret(char *s);

#endif
