/* state_impl.h - what the files of src/state/ share and nothing outside
 * includes: struct state, the ids of its cached statements, the helpers that
 * run them (state.c), the hash-cache map type (hash_cache.c) and the
 * posted.json import that opening runs (import.c). */
#ifndef PHOTOPUB_STATE_STATE_IMPL_H
#define PHOTOPUB_STATE_STATE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "state/db.h"
#include "state/state.h"
#include "util/error.h"
#include "util/strv.h"

#define STATE_LOGGER "state"

/* Prepared once per connection, on first use; the SQL is in state.c. */
enum stmt_id {
	S_IS_SHA,
	S_IS_CH,
	S_ADD_SHA,
	S_ADD_CH,
	S_ADD_HISTORY,
	S_HISTORY_LIST,
	S_CACHE_GET,
	S_CACHE_PUT,
	S_CACHE_RANGE,
	S_META_GET,
	S_META_PUT,
	S_JOURNAL_ADD,
	S_JOURNAL_SET,
	S_JOURNAL_FINISH,
	S_JOURNAL_OPEN,
	S_JOURNAL_PLATFORMS,
	S_QUARANTINE_ADD,
	S_QUARANTINE_IS,
	S_HISTORY_LIST_V2,      /* read-only files of schema 2: no url, action */
	S_QUEUE_LIST,
	S_QUEUE_CLEAR,
	S_QUEUE_ADD,
	S_QUEUE_PIN,
	S_QUEUE_SKIP,
	S_QUEUE_HOLD,
	S_QUEUE_RELEASE,
	S_QUEUE_REMOVE,
	S_JOURNAL_FIND,         /* retry (journal.c): one intent by its run */
	S_JOURNAL_FIND_V5,      /* read-only files of schema 5 and 6: no archived_as, analysis */
	S_JOURNAL_ARCHIVED,
	S_META_DELETE,          /* claims (claim.c) */
	S_COUNT
};

/* The in-memory hash cache: a small open-addressing table keyed by path. */
struct cache_slot {
	char *key;          /* NULL: empty slot */
	int64_t size;
	int64_t mtime_ns;
	struct hash_entry e;
};

struct cache_map {
	struct cache_slot *slots;
	size_t cap;         /* a power of two, or 0 */
	size_t n;
};

struct state {
	struct db *db;
	char *path;           /* the file as given, or the URL without its password:
				 every message names it */
	bool read_only;
	bool in_memory;       /* read-only with no file: an empty database in memory */
	int version;          /* the schema version the file has: a read-only file of
				 an older one lacks the newer tables */
	int tx_depth;         /* state_begin nesting; internal transactions nest below it */
	pthread_mutex_t lock; /* statements, the map and tx_depth */
	struct db_stmt *stmt[S_COUNT];
	struct cache_map cache;
	struct strv preloaded; /* prefixes already in the map */
};

/* ---- state.c: the connection and its statements ------------------------- */

/* Fills err with "cannot <what> in the state database <path>: <the
 * driver's message>" and returns -1. */
int st_db_fail(struct state *st, struct pp_error *err, const char *what);
/* A `state_query_error` warning, for lookups that report no error. */
void st_log_query_error(struct state *st, const char *what);
/* Runs SQL that returns no row. */
int st_exec(struct state *st, const char *sql, const char *what, struct pp_error *err);
/* The cached statement id, reset and ready to bind; NULL (err filled, when
 * given) when it cannot be prepared. Call with the lock held. */
struct db_stmt *st_stmt(struct state *st, enum stmt_id id, struct pp_error *err);
/* Runs statement id with key bound at ?1: *found whether it returned a row.
 * Lock held. -1 (err filled with "cannot <what> …") on a database error. */
int st_row_exists(struct state *st, enum stmt_id id, const char *key, bool *found,
		  const char *what, struct pp_error *err);
/* Runs a statement that returns no row; leaves it reset. */
int st_step_done(struct state *st, struct db_stmt *s, const char *what, struct pp_error *err);
/* Begins a write transaction (db.h's begin: the write lock at once). */
int st_begin(struct state *st, const char *what, struct pp_error *err);
/* The current UTC time, RFC 3339 with milliseconds. */
void st_utc_now(char out[32]);
/* True for 64 hex digits (either case); writes the lowercase form to out
 * when given. */
bool st_hex64(const char *s, char out[65]);
/* Fails (returns -1) because st is read-only: "cannot <what>: …". */
int st_refuse_read_only(struct state *st, const char *what, struct pp_error *err);
/* Internal transactions: a real one at the top level, a savepoint inside a
 * state_begin group (which may be another thread's). Lock held. tx_close
 * commits when ok, else rolls back (and returns -1). */
int st_tx_open(struct state *st, struct pp_error *err);
int st_tx_close(struct state *st, bool ok, struct pp_error *err);

/* ---- hash_cache.c ---------------------------------------------------------- */

/* Frees every key and the slots; the map is empty afterwards. */
void st_cache_release(struct cache_map *m);

/* ---- import.c ---------------------------------------------------------------- */

/* Imports upstream's posted.json once per database (remembered in the meta
 * table). A missing file is not imported (and will be looked for again next
 * time); a malformed one is a warning, never an error. Only a database
 * failure fails. Called by state_open, before st is shared. */
int st_import_posted_json(struct state *st, struct pp_error *err);

#endif
