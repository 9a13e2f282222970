/* known.c - the posted and quarantined hashes in memory (queue.h): two
 * sorted arrays of digests, one of SHA-256s, one of content hashes, read
 * with one query each and searched by bisection. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "state/queue.h"
#include "state/state_impl.h"
#include "util/buf.h"
#include "util/hex.h"

struct digests {
	unsigned char (*v)[32];
	size_t n, cap;
};

struct state_known {
	struct digests sha256;       /* posted or quarantined, by SHA-256 */
	struct digests content_hash; /* posted or quarantined, by content hash */
};

/* What fills each array, and whether it needs the schema's step 2. */
static const struct {
	const char *sql;
	bool content_hash;
	int version;
} sources[] = {
	{ "SELECT sha256 FROM posted_sha256", false, 1 },
	{ "SELECT content_hash FROM posted_content_hash", true, 1 },
	{ "SELECT sha256 FROM quarantine", false, 2 },
	{ "SELECT content_hash FROM quarantine WHERE content_hash IS NOT NULL", true, 2 },
};

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void add(struct digests *d, const char *hex)
{
	unsigned char b[32];
	if (!hex || strlen(hex) != 64 || hex_decode(hex, b, sizeof(b)) < 0)
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	memcpy(d->v[d->n++], b, 32);
}

static bool has(const struct digests *d, const char *hex)
{
	unsigned char b[32];
	if (!d->n || !hex || strlen(hex) != 64 || hex_decode(hex, b, sizeof(b)) < 0)
		return false;
	return bsearch(b, d->v, d->n, 32, digest_cmp) != NULL;
}

void state_known_free(struct state_known *k)
{
	if (!k)
		return;
	free(k->sha256.v);
	free(k->content_hash.v);
	free(k);
}

/* Lock held. Reads one source into k; 1 when past max_rows. */
static int read_source(struct state *st, size_t i, struct state_known *k, size_t max_rows,
		       struct pp_error *err)
{
	struct db_stmt *s = NULL;
	if (db_prepare(st->db, sources[i].sql, &s) < 0) {
		db_finalize(s);
		return st_db_fail(st, err, "read the posted hashes");
	}
	struct digests *d = sources[i].content_hash ? &k->content_hash : &k->sha256;
	int rc;
	while ((rc = db_step(s)) == DB_ROW) {
		if (k->sha256.n + k->content_hash.n >= max_rows) {
			db_finalize(s);
			return 1;
		}
		add(d, db_column_text(s, 0));
	}
	db_finalize(s);
	if (rc != DB_DONE)
		return st_db_fail(st, err, "read the posted hashes");
	return 0;
}

int state_known_load(struct state *st, size_t max_rows, struct state_known **out,
		     struct pp_error *err)
{
	struct state_known *k = xcalloc(1, sizeof(*k));
	int rc = 0;
	*out = NULL;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; rc == 0 && i < sizeof(sources) / sizeof(sources[0]); i++)
		if (st->version >= sources[i].version)
			rc = read_source(st, i, k, max_rows, err);
	pthread_mutex_unlock(&st->lock);
	if (rc != 0) {
		state_known_free(k);
		return rc < 0 ? -1 : 0;
	}
	if (k->sha256.n)
		qsort(k->sha256.v, k->sha256.n, 32, digest_cmp);
	if (k->content_hash.n)
		qsort(k->content_hash.v, k->content_hash.n, 32, digest_cmp);
	*out = k;
	return 0;
}

bool state_known_has(const struct state_known *k, const char *sha256, const char *content_hash)
{
	return has(&k->sha256, sha256) || has(&k->content_hash, content_hash);
}
