/* hash_cache.c - the hash cache: digests of files keyed by path, size and
 * mtime, kept in the hash_cache table and in an in-memory map (a small
 * open-addressing table) so that the lookups of a listing cost no query. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "util/buf.h"
#include "util/strv.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static struct cache_slot *map_find(const struct cache_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct cache_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (!strcmp(s->key, key))
			return s;
	}
}

/* Inserts or replaces; copies key. */
static void map_put(struct cache_map *m, const char *key, int64_t size, int64_t mtime_ns,
		    const struct hash_entry *e)
{
	if ((m->n + 1) * 10 > m->cap * 7) {
		struct cache_map bigger = { .cap = m->cap ? m->cap * 2 : 256 };
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < m->cap; i++) {
			struct cache_slot *s = &m->slots[i];
			if (!s->key)
				continue;
			size_t j = hash_str(s->key) & (bigger.cap - 1);
			while (bigger.slots[j].key)
				j = (j + 1) & (bigger.cap - 1);
			bigger.slots[j] = *s;
			bigger.n++;
		}
		free(m->slots);
		*m = bigger;
	}
	size_t i = hash_str(key) & (m->cap - 1);
	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	struct cache_slot *s = &m->slots[i];
	if (!s->key) {
		s->key = xstrdup(key);
		m->n++;
	}
	s->size = size;
	s->mtime_ns = mtime_ns;
	s->e = *e;
}

void st_cache_release(struct cache_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the table ------------------------------------------------------------- */

static void copy_hex(char dst[65], const char *src)
{
	snprintf(dst, 65, "%s", src ? src : "");
}

/* A prefix is read once per state: afterwards every put of this process is
 * in the map already, and a row another process wrote is found by
 * state_cache_get's query on a map miss or mismatch. */
int state_cache_preload(struct state *st, const char *prefix, struct pp_error *err)
{
	size_t n = strlen(prefix);
	/* U+10FFFF: see S_CACHE_RANGE. */
	char *upper = xasprintf("%s\xf4\x8f\xbf\xbf", prefix);
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if (strv_contains(&st->preloaded, prefix)) {
		rc = 0;
		goto out;
	}
	struct db_stmt *s = st_stmt(st, S_CACHE_RANGE, err);
	if (!s)
		goto out;
	db_bind_text(s, 1, prefix);
	db_bind_text(s, 2, upper);
	int step;
	while ((step = db_step(s)) == DB_ROW) {
		const char *key = db_column_text(s, 0);
		if (!key || strncmp(key, prefix, n) != 0)
			continue;
		struct cache_slot *have = map_find(&st->cache, key);
		if (have && st->read_only)
			continue; /* memory holds this session's newer values */
		struct hash_entry e;
		copy_hex(e.sha256, db_column_text(s, 3));
		copy_hex(e.content_hash, db_column_text(s, 4));
		map_put(&st->cache, key, db_column_int64(s, 1), db_column_int64(s, 2), &e);
	}
	db_reset(s);
	if (step != DB_DONE) {
		st_db_fail(st, err, "read the hash cache");
		goto out;
	}
	strv_push(&st->preloaded, prefix);
	rc = 0;
out:
	pthread_mutex_unlock(&st->lock);
	free(upper);
	return rc;
}

bool state_cache_get(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		     struct hash_entry *out)
{
	bool hit = false;
	pthread_mutex_lock(&st->lock);
	struct cache_slot *m = map_find(&st->cache, key);
	if (m && m->size == size && m->mtime_ns == mtime_ns) {
		*out = m->e;
		hit = true;
		goto out;
	}
	struct db_stmt *s = st_stmt(st, S_CACHE_GET, NULL);
	if (!s) {
		st_log_query_error(st, "hash cache lookup");
		goto out;
	}
	db_bind_text(s, 1, key);
	int rc = db_step(s);
	if (rc == DB_ROW && db_column_int64(s, 0) == size &&
	    db_column_int64(s, 1) == mtime_ns) {
		struct hash_entry e;
		copy_hex(e.sha256, db_column_text(s, 2));
		copy_hex(e.content_hash, db_column_text(s, 3));
		map_put(&st->cache, key, size, mtime_ns, &e);
		*out = e;
		hit = true;
	} else if (rc != DB_ROW && rc != DB_DONE) {
		st_log_query_error(st, "hash cache lookup");
	}
	db_reset(s);
out:
	pthread_mutex_unlock(&st->lock);
	return hit;
}

int state_cache_put(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		    const struct hash_entry *e, struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	map_put(&st->cache, key, size, mtime_ns, e);
	if (!st->read_only) {
		struct db_stmt *s = st_stmt(st, S_CACHE_PUT, err);
		if (!s) {
			rc = -1;
		} else {
			db_bind_text(s, 1, key);
			db_bind_int64(s, 2, size);
			db_bind_int64(s, 3, mtime_ns);
			db_bind_text(s, 4, e->sha256);
			db_bind_text(s, 5, e->content_hash);
			rc = st_step_done(st, s, "store a hash-cache entry", err);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

