/* state.c - the SQLite state file (WAL): posted hashes, publication history,
 * the hash cache, and the one-time import of upstream's posted.json.
 *
 * Owns the connection, its cached prepared statements and an in-memory map of
 * hash-cache rows (a small open-addressing table keyed by path), all behind
 * one mutex so a struct state can be shared by every thread of a process. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "state/state.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/strv.h"

#define LOGGER "state"
#define SCHEMA_VERSION 1
#define IMPORT_META_KEY "posted_json_imported"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS posted_sha256("
	" sha256 TEXT PRIMARY KEY, posted_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS posted_content_hash("
	" content_hash TEXT PRIMARY KEY, posted_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS history("
	" id INTEGER PRIMARY KEY, time TEXT NOT NULL, image TEXT, sha256 TEXT,"
	" platform TEXT NOT NULL, post_id TEXT, success INTEGER NOT NULL, error TEXT,"
	" correlation_id TEXT);"
	"CREATE TABLE IF NOT EXISTS hash_cache("
	" key TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL, content_hash TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;";

/* Prepared once per connection, on first use. */
enum stmt_id {
	S_IS_SHA,
	S_IS_CH,
	S_ADD_SHA,
	S_ADD_CH,
	S_ADD_HISTORY,
	S_CACHE_GET,
	S_CACHE_PUT,
	S_CACHE_RANGE,
	S_META_GET,
	S_META_PUT,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_IS_SHA] = "SELECT 1 FROM posted_sha256 WHERE sha256 = ?1",
	[S_IS_CH] = "SELECT 1 FROM posted_content_hash WHERE content_hash = ?1",
	[S_ADD_SHA] = "INSERT OR IGNORE INTO posted_sha256(sha256, posted_at) VALUES(?1, ?2)",
	[S_ADD_CH] = "INSERT OR IGNORE INTO posted_content_hash(content_hash, posted_at)"
		     " VALUES(?1, ?2)",
	[S_ADD_HISTORY] = "INSERT INTO history(time, image, sha256, platform, post_id, success,"
			  " error, correlation_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_CACHE_GET] = "SELECT size, mtime_ns, sha256, content_hash FROM hash_cache"
			" WHERE key = ?1",
	[S_CACHE_PUT] = "INSERT OR REPLACE INTO hash_cache(key, size, mtime_ns, sha256,"
			" content_hash) VALUES(?1, ?2, ?3, ?4, ?5)",
	/* ?2 is the prefix followed by byte 0xff, which no UTF-8 text holds:
	 * the range is exactly the keys that start with the prefix, and it is an
	 * index range, with no LIKE wildcards to escape. */
	[S_CACHE_RANGE] = "SELECT key, size, mtime_ns, sha256, content_hash FROM hash_cache"
			  " WHERE key >= ?1 AND key < ?2",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
};

/* ---- in-memory hash cache ------------------------------------------------ */

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

static void map_release(struct cache_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the connection ------------------------------------------------------ */

struct state {
	sqlite3 *db;
	char *path;           /* the file as given: every message names it */
	bool read_only;
	bool in_memory;       /* read-only with no file: an empty database in memory */
	int tx_depth;         /* state_begin nesting; internal transactions nest below it */
	pthread_mutex_t lock; /* statements, the map and tx_depth */
	sqlite3_stmt *stmt[S_COUNT];
	struct cache_map cache;
	struct strv preloaded; /* prefixes already in the map */
};

static int db_fail(struct state *st, struct pp_error *err, const char *what)
{
	return pp_fail_kind(err, "state", "db", "cannot %s in the state database %s: %s", what,
			    st->path, sqlite3_errmsg(st->db));
}

static void log_query_error(struct state *st, const char *what)
{
	log_warning(LOGGER, "state_query_error", NULL, LF_STR("path", st->path),
		    LF_STR("query", what), LF_STR("error", sqlite3_errmsg(st->db)));
}

static int exec(struct state *st, const char *sql, const char *what, struct pp_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, err, what);
	return 0;
}

/* The cached statement id, reset and ready to bind; NULL (err filled) when it
 * cannot be prepared. Call with the lock held. */
static sqlite3_stmt *stmt(struct state *st, enum stmt_id id, struct pp_error *err)
{
	if (!st->stmt[id]) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[id], NULL) != SQLITE_OK) {
			db_fail(st, err, "prepare a query");
			return NULL;
		}
	} else {
		sqlite3_reset(st->stmt[id]);
		sqlite3_clear_bindings(st->stmt[id]);
	}
	return st->stmt[id];
}

/* Runs a statement that returns no row; leaves it reset. */
static int step_done(struct state *st, sqlite3_stmt *s, const char *what, struct pp_error *err)
{
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : db_fail(st, err, what);
	sqlite3_reset(s);
	return ret;
}

static void utc_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* True for 64 hex digits; writes the lowercase form to out when given. */
static bool hex64(const char *s, char out[65])
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		if (out)
			out[i] = c;
	}
	if (out)
		out[64] = '\0';
	return true;
}

/* Internal transactions: a real one at the top level, a savepoint inside a
 * state_begin group (which may be another thread's). Lock held. */
static int tx_open(struct state *st, struct pp_error *err)
{
	if (st->tx_depth == 0)
		return exec(st, "BEGIN IMMEDIATE", "begin a transaction", err);
	return exec(st, "SAVEPOINT pp_inner", "open a savepoint", err);
}

static int tx_close(struct state *st, bool ok, struct pp_error *err)
{
	if (st->tx_depth == 0) {
		if (ok && exec(st, "COMMIT", "commit", err) == 0)
			return 0;
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (ok && exec(st, "RELEASE pp_inner", "release a savepoint", err) == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK TO pp_inner; RELEASE pp_inner", NULL, NULL, NULL);
	return -1;
}

static int user_version(struct state *st, int *v, struct pp_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_fail(st, err, "read the schema version");
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Creates the tables of a new (version 0) database; refuses a newer schema. */
static int schema_setup(struct state *st, struct pp_error *err)
{
	int v = 0;
	if (exec(st, "BEGIN IMMEDIATE", "begin a transaction", err) < 0)
		return -1;
	if (user_version(st, &v, err) < 0)
		goto fail;
	if (v > SCHEMA_VERSION) {
		pp_fail_kind(err, "state", "db",
			     "the state database %s has schema version %d, newer than the %d "
			     "this photopub knows", st->path, v, SCHEMA_VERSION);
		goto fail;
	}
	if (v < SCHEMA_VERSION) {
		char *sql = xasprintf("%sPRAGMA user_version = %d;", schema_sql, SCHEMA_VERSION);
		int rc = exec(st, sql, "create the tables", err);
		free(sql);
		if (rc < 0)
			goto fail;
	}
	if (exec(st, "COMMIT", "commit the schema", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- posted.json import ---------------------------------------------------- */

/* $XDG_CACHE_HOME/publisher_v2/posted.json (a relative XDG_CACHE_HOME is
 * ignored, as the XDG spec says), else $HOME/.cache/…; NULL without either. */
static char *posted_json_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/publisher_v2/posted.json", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/.cache/publisher_v2/posted.json", home);
	return NULL;
}

struct import_counts {
	long sha256;
	long content_hashes;
	long skipped;
};

/* Inserts every valid hex-64 string of arr with statement id. */
static int import_array(struct state *st, json_t *arr, enum stmt_id id, const char *now,
			long *count, long *skipped, struct pp_error *err)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr)) {
		(*skipped)++;
		return 0;
	}
	json_array_foreach(arr, i, v) {
		char hex[65];
		if (!json_is_string(v) || !hex64(json_string_value(v), hex)) {
			(*skipped)++;
			continue;
		}
		sqlite3_stmt *s = stmt(st, id, err);
		if (!s)
			return -1;
		sqlite3_bind_text(s, 1, hex, 64, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
		if (step_done(st, s, "import posted hashes", err) < 0)
			return -1;
		(*count)++;
	}
	return 0;
}

static int meta_get(struct state *st, const char *key, bool *found, struct pp_error *err)
{
	sqlite3_stmt *s = stmt(st, S_META_GET, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(st, err, "read the meta table");
	*found = rc == SQLITE_ROW;
	return 0;
}

/* Imports upstream's posted.json once. A missing file is not imported (and
 * will be looked for again next time); a malformed one is a warning, never an
 * error. Only a database failure fails. Lock not needed: called from open. */
static int import_posted_json(struct state *st, struct pp_error *err)
{
	bool done = false;
	char *path = NULL;
	json_t *root = NULL;
	struct import_counts c = { 0 };
	char now[32];
	int rc = -1;

	if (meta_get(st, IMPORT_META_KEY, &done, err) < 0)
		return -1;
	if (done)
		return 0;
	path = posted_json_path();
	if (!path || access(path, F_OK) < 0) {
		rc = 0;
		goto out;
	}

	json_error_t jerr;
	root = json_load_file(path, JSON_DECODE_ANY, &jerr);
	if (!root || !(json_is_object(root) || json_is_array(root))) {
		char why[300];
		if (!root)
			snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
		else
			snprintf(why, sizeof(why), "expected a JSON object or array");
		log_warning(LOGGER, "state_import_error", NULL, LF_STR("path", path),
			    LF_STR("error", why));
		rc = 0;
		goto out;
	}

	utc_now(now);
	if (exec(st, "BEGIN IMMEDIATE", "begin the posted.json import", err) < 0)
		goto out;
	int r = 0;
	if (json_is_array(root)) {
		r = import_array(st, root, S_ADD_SHA, now, &c.sha256, &c.skipped, err);
	} else {
		static const char *const sha_keys[] = { "sha256", "hashes", "posted" };
		static const char *const ch_keys[] = { "dropbox_content_hashes", "content_hashes" };
		for (size_t i = 0; r == 0 && i < sizeof(sha_keys) / sizeof(*sha_keys); i++) {
			json_t *a = json_object_get(root, sha_keys[i]);
			if (a)
				r = import_array(st, a, S_ADD_SHA, now, &c.sha256, &c.skipped, err);
		}
		for (size_t i = 0; r == 0 && i < sizeof(ch_keys) / sizeof(*ch_keys); i++) {
			json_t *a = json_object_get(root, ch_keys[i]);
			if (a)
				r = import_array(st, a, S_ADD_CH, now, &c.content_hashes, &c.skipped,
						 err);
		}
	}
	if (r == 0) {
		sqlite3_stmt *s = stmt(st, S_META_PUT, err);
		if (!s) {
			r = -1;
		} else {
			char *value = xasprintf("%s %s", now, path);
			sqlite3_bind_text(s, 1, IMPORT_META_KEY, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
			free(value);
			r = step_done(st, s, "mark posted.json imported", err);
		}
	}
	if (r < 0 || exec(st, "COMMIT", "commit the posted.json import", err) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	log_info(LOGGER, "state_import", NULL, LF_STR("path", path),
		 LF_INT("sha256", c.sha256), LF_INT("content_hashes", c.content_hashes),
		 LF_INT("skipped", c.skipped));
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

/* ---- open / close ------------------------------------------------------------ */

static int open_db(struct state *st, const char *file, int flags, struct pp_error *err)
{
	if (sqlite3_open_v2(file, &st->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		pp_fail_kind(err, "state", "db", "cannot open the state database %s: %s",
			     st->path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		st->db = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	return 0;
}

/* Opens path for reading only, leaving the file's bytes as they are. An
 * existing file takes no posted.json import (that is a write): the next
 * read-write open does it. */
static int open_read_only(struct state *st, struct pp_error *err)
{
	struct stat sb;
	int v = 0;

	if (stat(st->path, &sb) < 0) {
		if (errno != ENOENT)
			return pp_fail_kind(err, "state", "io", "cannot use the state database %s: %s",
					    st->path, strerror(errno));
		goto memory; /* no file: nothing to read, nothing to create */
	}
	if (sb.st_size == 0)
		goto memory; /* an empty file is an empty database */
	/* A read-write connection that refuses every change. Unlike a
	 * SQLITE_OPEN_READONLY one, it can remove the -wal and -shm files it
	 * needed when it closes, so a preview leaves the folder as it was; the
	 * database file itself is never written (its WAL stays empty). */
	if (open_db(st, st->path, SQLITE_OPEN_READWRITE, err) < 0)
		return -1;
	if (exec(st, "PRAGMA query_only = 1", "make the connection read-only", err) < 0 ||
	    user_version(st, &v, err) < 0)
		return -1;
	if (v > SCHEMA_VERSION)
		return pp_fail_kind(err, "state", "db",
				    "the state database %s has schema version %d, newer than the "
				    "%d this photopub knows", st->path, v, SCHEMA_VERSION);
	if (v == SCHEMA_VERSION)
		return 0;
	/* Version 0: a database without our tables; read it as empty. */
	sqlite3_close(st->db);
	st->db = NULL;
memory:
	st->in_memory = true;
	if (open_db(st, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err) < 0 ||
	    schema_setup(st, err) < 0)
		return -1;
	/* The in-memory database may take the import: it never reaches a file,
	 * and it lets a preview skip what upstream already posted. */
	return import_posted_json(st, err);
}

static int open_read_write(struct state *st, struct pp_error *err)
{
	char *dir = xstrdup(st->path);
	char *slash = strrchr(dir, '/');
	struct pp_error why = { 0 };
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = fs_mkdir_p(dir, 0700, &why);
	}
	free(dir);
	if (rc < 0)
		return pp_fail_kind(err, "state", "io", "cannot create the folder of the state "
				    "database %s: %s", st->path, why.msg);

	/* Create the file ourselves so that it is private from the start. */
	int fd = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return pp_fail_kind(err, "state", "io", "cannot create the state database %s: %s",
				    st->path, strerror(errno));

	if (open_db(st, st->path, SQLITE_OPEN_READWRITE, err) < 0)
		return -1;
	sqlite3_stmt *s = NULL;
	bool wal = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) ==
			   SQLITE_OK &&
		   sqlite3_step(s) == SQLITE_ROW &&
		   !sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	if (!wal)
		return db_fail(st, err, "switch to WAL journaling");
	if (schema_setup(st, err) < 0)
		return -1;
	return import_posted_json(st, err);
}

int state_open(const char *path, bool read_only, struct state **out, struct pp_error *err)
{
	*out = NULL;
	if (!path || !*path)
		return pp_fail_kind(err, "state", "config", "no state database path configured");

	struct state *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->read_only = read_only;
	pthread_mutex_init(&st->lock, NULL);
	int rc = read_only ? open_read_only(st, err) : open_read_write(st, err);
	if (rc < 0) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* Commits a state_begin group left open, then frees everything. */
void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->db && st->tx_depth > 0 && !st->read_only)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	map_release(&st->cache);
	strv_release(&st->preloaded);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

/* ---- posted hashes and history --------------------------------------------- */

static bool is_posted(struct state *st, enum stmt_id id, const char *hash)
{
	char hex[65];
	bool found = false;
	if (!hex64(hash, hex))
		return false;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, id, NULL);
	if (s) {
		sqlite3_bind_text(s, 1, hex, 64, SQLITE_TRANSIENT);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			found = true;
		else if (rc != SQLITE_DONE)
			log_query_error(st, "posted lookup");
		sqlite3_reset(s);
	} else {
		log_query_error(st, "posted lookup");
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}

bool state_is_posted_sha256(struct state *st, const char *sha256)
{
	return is_posted(st, S_IS_SHA, sha256);
}

bool state_is_posted_content_hash(struct state *st, const char *content_hash)
{
	return is_posted(st, S_IS_CH, content_hash);
}

static int refuse_read_only(struct state *st, const char *what, struct pp_error *err)
{
	return pp_fail_kind(err, "state", "read_only",
			    "cannot %s: the state database %s is open read-only", what, st->path);
}

int state_mark_posted(struct state *st, const char *sha256, const char *content_hash,
		      struct pp_error *err)
{
	char sha[65], ch[65], now[32];
	bool has_ch = content_hash && *content_hash;
	int rc = -1;

	if (st->read_only)
		return refuse_read_only(st, "record a posted image", err);
	if (!hex64(sha256, sha))
		return pp_fail_kind(err, "state", "invalid",
				    "cannot record a posted image in %s: the SHA-256 is not 64 hex "
				    "digits", st->path);
	if (has_ch && !hex64(content_hash, ch))
		return pp_fail_kind(err, "state", "invalid",
				    "cannot record a posted image in %s: the content hash is not 64 "
				    "hex digits", st->path);
	utc_now(now);

	pthread_mutex_lock(&st->lock);
	if (tx_open(st, err) < 0)
		goto out;
	bool ok = false;
	sqlite3_stmt *s = stmt(st, S_ADD_SHA, err);
	if (s) {
		sqlite3_bind_text(s, 1, sha, 64, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
		ok = step_done(st, s, "record a posted SHA-256", err) == 0;
	}
	if (ok && has_ch) {
		s = stmt(st, S_ADD_CH, err);
		ok = false;
		if (s) {
			sqlite3_bind_text(s, 1, ch, 64, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
			ok = step_done(st, s, "record a posted content hash", err) == 0;
		}
	}
	rc = tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int state_add_history(struct state *st, const struct history_row *rows, size_t n,
		      struct pp_error *err)
{
	char now[32];
	int rc = -1;

	if (st->read_only)
		return refuse_read_only(st, "record publication history", err);
	for (size_t i = 0; i < n; i++)
		if (!rows[i].platform || !*rows[i].platform)
			return pp_fail_kind(err, "state", "invalid",
					    "cannot record publication history in %s: row %zu has "
					    "no platform", st->path, i);
	if (n == 0)
		return 0;
	utc_now(now);

	pthread_mutex_lock(&st->lock);
	if (tx_open(st, err) < 0)
		goto out;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		const struct history_row *r = &rows[i];
		sqlite3_stmt *s = stmt(st, S_ADD_HISTORY, err);
		if (!s) {
			ok = false;
			break;
		}
		sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
		bind_opt(s, 2, r->image);
		bind_opt(s, 3, r->sha256);
		bind_opt(s, 4, r->platform);
		bind_opt(s, 5, r->post_id);
		sqlite3_bind_int(s, 6, r->success ? 1 : 0);
		bind_opt(s, 7, r->error);
		bind_opt(s, 8, r->correlation_id);
		ok = step_done(st, s, "record publication history", err) == 0;
	}
	rc = tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---- hash cache ------------------------------------------------------------- */

static void copy_hex(char dst[65], const unsigned char *src)
{
	snprintf(dst, 65, "%s", src ? (const char *)src : "");
}

/* A prefix is read once per state: afterwards every put of this process is
 * in the map already, and a row another process wrote is found by
 * state_cache_get's query on a map miss or mismatch. */
int state_cache_preload(struct state *st, const char *prefix, struct pp_error *err)
{
	size_t n = strlen(prefix);
	char *upper = xmalloc(n + 2);
	int rc = -1;

	memcpy(upper, prefix, n);
	upper[n] = (char)0xff;
	upper[n + 1] = '\0';

	pthread_mutex_lock(&st->lock);
	if (strv_contains(&st->preloaded, prefix)) {
		rc = 0;
		goto out;
	}
	sqlite3_stmt *s = stmt(st, S_CACHE_RANGE, err);
	if (!s)
		goto out;
	sqlite3_bind_text(s, 1, prefix, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, upper, (int)n + 1, SQLITE_TRANSIENT);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		if (!key || strncmp(key, prefix, n) != 0)
			continue;
		struct cache_slot *have = map_find(&st->cache, key);
		if (have && st->read_only)
			continue; /* memory holds this session's newer values */
		struct hash_entry e;
		copy_hex(e.sha256, sqlite3_column_text(s, 3));
		copy_hex(e.content_hash, sqlite3_column_text(s, 4));
		map_put(&st->cache, key, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), &e);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		db_fail(st, err, "read the hash cache");
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
	sqlite3_stmt *s = stmt(st, S_CACHE_GET, NULL);
	if (!s) {
		log_query_error(st, "hash cache lookup");
		goto out;
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) == size &&
	    sqlite3_column_int64(s, 1) == mtime_ns) {
		struct hash_entry e;
		copy_hex(e.sha256, sqlite3_column_text(s, 2));
		copy_hex(e.content_hash, sqlite3_column_text(s, 3));
		map_put(&st->cache, key, size, mtime_ns, &e);
		*out = e;
		hit = true;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_query_error(st, "hash cache lookup");
	}
	sqlite3_reset(s);
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
		sqlite3_stmt *s = stmt(st, S_CACHE_PUT, err);
		if (!s) {
			rc = -1;
		} else {
			sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 2, size);
			sqlite3_bind_int64(s, 3, mtime_ns);
			sqlite3_bind_text(s, 4, e->sha256, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 5, e->content_hash, -1, SQLITE_TRANSIENT);
			rc = step_done(st, s, "store a hash-cache entry", err);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Groups nest: only the outermost state_begin / state_commit pair touches the
 * database. A read-only state has nothing to group. */
int state_begin(struct state *st, struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	if (st->tx_depth == 0 && !st->read_only)
		rc = exec(st, "BEGIN IMMEDIATE", "begin a transaction", err);
	if (rc == 0)
		st->tx_depth++;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int state_commit(struct state *st, struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	if (st->tx_depth == 0) {
		rc = pp_fail_kind(err, "state", "db",
				  "cannot commit in the state database %s: no transaction is open",
				  st->path);
		goto out;
	}
	st->tx_depth--;
	if (st->tx_depth == 0 && !st->read_only &&
	    exec(st, "COMMIT", "commit a transaction", err) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}
