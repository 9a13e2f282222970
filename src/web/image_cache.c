/* image_cache.c - the bounded cache of resized copies (image_cache.h): a
 * hash table of entries by key (FNV-1a, chained, grown to keep chains
 * short) threaded on a list in order of use, the most recent first, under
 * one lock. An entry's cost is its bytes and its key's. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/hash.h"
#include "web/image_cache.h"

struct entry {
	char *key;
	unsigned char *data;
	size_t len;
	uint64_t hash;
	struct entry *chain;       /* next in its bucket */
	struct entry *newer, *older;
};

struct image_cache {
	pthread_mutex_t lock;
	size_t max_bytes, bytes, count;
	struct entry **buckets;
	size_t nbuckets;           /* a power of two */
	struct entry *newest, *oldest;
};

static size_t cost(const struct entry *e)
{
	return e->len + strlen(e->key) + 1;
}

struct image_cache *image_cache_new(size_t max_bytes)
{
	struct image_cache *ic = xcalloc(1, sizeof(*ic));
	pthread_mutex_init(&ic->lock, NULL);
	ic->max_bytes = max_bytes;
	ic->nbuckets = 64;
	ic->buckets = xcalloc(ic->nbuckets, sizeof(*ic->buckets));
	return ic;
}

void image_cache_free(struct image_cache *ic)
{
	if (!ic)
		return;
	for (struct entry *e = ic->newest, *next; e; e = next) {
		next = e->older;
		free(e->key);
		free(e->data);
		free(e);
	}
	free(ic->buckets);
	pthread_mutex_destroy(&ic->lock);
	free(ic);
}

/* ---- the list of use and the table; all locked ---------------------------- */

static void unlink_use(struct image_cache *ic, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		ic->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		ic->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void push_newest(struct image_cache *ic, struct entry *e)
{
	e->older = ic->newest;
	e->newer = NULL;
	if (ic->newest)
		ic->newest->newer = e;
	ic->newest = e;
	if (!ic->oldest)
		ic->oldest = e;
}

static struct entry **slot_of(struct image_cache *ic, const char *key, uint64_t h)
{
	struct entry **p = &ic->buckets[h & (ic->nbuckets - 1)];
	while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
		p = &(*p)->chain;
	return p;
}

static void drop(struct image_cache *ic, struct entry *e)
{
	*slot_of(ic, e->key, e->hash) = e->chain;
	unlink_use(ic, e);
	ic->bytes -= cost(e);
	ic->count--;
	free(e->key);
	free(e->data);
	free(e);
}

/* Doubles the table once it holds more entries than buckets. */
static void grow(struct image_cache *ic)
{
	if (ic->count <= ic->nbuckets)
		return;
	size_t n = ic->nbuckets * 2;
	struct entry **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < ic->nbuckets; i++) {
		for (struct entry *e = ic->buckets[i], *next; e; e = next) {
			next = e->chain;
			e->chain = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(ic->buckets);
	ic->buckets = b;
	ic->nbuckets = n;
}

/* ---- the interface ----------------------------------------------------- */

bool image_cache_get(struct image_cache *ic, const char *key, struct buf *out)
{
	uint64_t h = hash_fnv1a64(key);
	pthread_mutex_lock(&ic->lock);
	struct entry *e = *slot_of(ic, key, h);
	if (e) {
		unlink_use(ic, e);
		push_newest(ic, e);
		buf_add(out, e->data, e->len);
	}
	pthread_mutex_unlock(&ic->lock);
	return e != NULL;
}

void image_cache_put(struct image_cache *ic, const char *key, const void *data, size_t len)
{
	struct entry *e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->hash = hash_fnv1a64(key);
	e->len = len;
	e->data = xmalloc(len ? len : 1);
	memcpy(e->data, data, len);
	if (cost(e) > ic->max_bytes / 8) {
		free(e->key);
		free(e->data);
		free(e);
		return;
	}
	pthread_mutex_lock(&ic->lock);
	struct entry *old = *slot_of(ic, key, e->hash);
	if (old)
		drop(ic, old);
	while (ic->oldest && ic->bytes + cost(e) > ic->max_bytes)
		drop(ic, ic->oldest);
	struct entry **slot = slot_of(ic, key, e->hash);
	*slot = e;
	push_newest(ic, e);
	ic->bytes += cost(e);
	ic->count++;
	grow(ic);
	pthread_mutex_unlock(&ic->lock);
}

size_t image_cache_bytes(struct image_cache *ic)
{
	pthread_mutex_lock(&ic->lock);
	size_t n = ic->bytes;
	pthread_mutex_unlock(&ic->lock);
	return n;
}

size_t image_cache_count(struct image_cache *ic)
{
	pthread_mutex_lock(&ic->lock);
	size_t n = ic->count;
	pthread_mutex_unlock(&ic->lock);
	return n;
}
