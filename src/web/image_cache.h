/* image_cache.h - the resized copies of images the web has made, kept in
 * memory within a bound of bytes and dropped least recently used first, so
 * that a width asked for again is not decoded again. Keys are text the
 * caller makes (the image's name and content identity and the width);
 * every call is safe from any thread. */
#ifndef PHOTOPUB_WEB_IMAGE_CACHE_H
#define PHOTOPUB_WEB_IMAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"

struct image_cache;

/* A cache of at most max_bytes of copies (their bytes and keys). */
struct image_cache *image_cache_new(size_t max_bytes);
void image_cache_free(struct image_cache *ic);

/* Appends the copy kept under key to out and makes it the most recently
 * used; false, out unchanged, when there is none. */
bool image_cache_get(struct image_cache *ic, const char *key, struct buf *out);

/* Keeps a copy of data[0..len) under key (replacing one kept before),
 * dropping the least recently used copies until everything fits. A copy of
 * more than an eighth of max_bytes is not kept. */
void image_cache_put(struct image_cache *ic, const char *key, const void *data, size_t len);

/* The bytes kept now, and the copies. */
size_t image_cache_bytes(struct image_cache *ic);
size_t image_cache_count(struct image_cache *ic);

#endif
