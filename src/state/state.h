/* state.h - persistent state in SQLite (WAL): what was posted, the
 * publication history, and the hash cache that spares re-reading images.
 *
 * One struct state per process, safe to share between threads (the
 * connection is serialized). A read-only state (preview, dry publish, debug)
 * never writes the database file: cache updates stay in memory and the
 * posting functions fail. */
#ifndef PHOTOPUB_STATE_STATE_H
#define PHOTOPUB_STATE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

struct state;

/* Opens (creating when missing, unless read_only) the database at path and
 * its folder. On first use imports upstream's posted.json
 * ($XDG_CACHE_HOME/publisher_v2/posted.json, default ~/.cache/…) when present.
 * read_only with a missing file gives an empty in-memory state. */
int state_open(const char *path, bool read_only, struct state **out, struct pp_error *err);
void state_close(struct state *st);

bool state_is_posted_sha256(struct state *st, const char *sha256);
bool state_is_posted_content_hash(struct state *st, const char *content_hash);

/* Records both hashes (content_hash may be NULL) as posted, in one transaction. */
int state_mark_posted(struct state *st, const char *sha256, const char *content_hash,
		      struct pp_error *err);

/* One row of publication history. */
struct history_row {
	const char *image;
	const char *sha256;
	const char *platform;
	const char *post_id;        /* NULL on failure */
	bool success;
	const char *error;          /* NULL on success */
	const char *correlation_id;
};

/* Appends rows (one per platform) with the current UTC time, in one transaction. */
int state_add_history(struct state *st, const struct history_row *rows, size_t n,
		      struct pp_error *err);

/* Hash cache, keyed by the file's absolute path, size and mtime (ns):
 * a changed file is a miss. Hex digests, 64 characters. */
struct hash_entry {
	char sha256[65];
	char content_hash[65];
};

/* Loads every cache row whose key starts with prefix (a folder path ending
 * in '/') into memory, so the lookups of a listing cost no query each. */
int state_cache_preload(struct state *st, const char *prefix, struct pp_error *err);
bool state_cache_get(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		     struct hash_entry *out);
/* Stores an entry (in memory only when read-only). */
int state_cache_put(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		    const struct hash_entry *e, struct pp_error *err);

/* Groups many state_cache_put calls into one transaction. */
int state_begin(struct state *st, struct pp_error *err);
int state_commit(struct state *st, struct pp_error *err);

#endif
