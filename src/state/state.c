/* state.c - the SQLite state file (WAL): opening it read-write or read-only,
 * the schema and its version, closing; the cached prepared statements, the
 * transactions and state_begin / state_commit groups that every other file
 * of src/state/ runs its queries through (state_impl.h). The tables' own
 * operations are in posted.c, history.c, hash_cache.c, import.c and queue.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/hex.h"
#include "util/strv.h"

/* The schema, as the steps that built it: a database at user_version v
 * runs every step of a higher version, in order, in one transaction, and
 * ends at the last step's version. A step only adds (tables, indexes,
 * columns), so an older photopub's data stays readable; a new step is a
 * new row at the end, never an edit of an old one. */
struct migration {
	int version;
	const char *sql;
};

static const struct migration migrations[] = {
	/* Posted hashes, history, hash cache, meta. */
	{ 1, "CREATE TABLE IF NOT EXISTS posted_sha256("
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
	     "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;" },
	/* The publish journal and the quarantine. */
	{ 2, "CREATE TABLE IF NOT EXISTS journal("
	     " id INTEGER PRIMARY KEY, correlation_id TEXT NOT NULL, image TEXT NOT NULL,"
	     " sha256 TEXT NOT NULL, content_hash TEXT, caption TEXT, sd_caption TEXT,"
	     " owner TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);"
	     "CREATE INDEX IF NOT EXISTS journal_open ON journal(id) WHERE finished_at IS NULL;"
	     "CREATE TABLE IF NOT EXISTS journal_platform("
	     " journal_id INTEGER NOT NULL REFERENCES journal(id), platform TEXT NOT NULL,"
	     " outcome TEXT NOT NULL, post_id TEXT, error TEXT, correlation_id TEXT,"
	     " UNIQUE(journal_id, platform));"
	     "CREATE TABLE IF NOT EXISTS quarantine("
	     " sha256 TEXT PRIMARY KEY, content_hash TEXT, image TEXT NOT NULL, reason TEXT NOT NULL,"
	     " moved_to TEXT, correlation_id TEXT, at TEXT NOT NULL) WITHOUT ROWID;"
	     "CREATE INDEX IF NOT EXISTS quarantine_content_hash ON quarantine(content_hash)"
	     " WHERE content_hash IS NOT NULL;" },
	/* Post links and curation actions in the history; links in the journal. */
	{ 3, "ALTER TABLE history ADD COLUMN url TEXT;"
	     "ALTER TABLE history ADD COLUMN action TEXT;"
	     "ALTER TABLE journal_platform ADD COLUMN url TEXT;" },
	/* The posting queue (queue.c); its seed and order live in meta. */
	{ 4, "CREATE TABLE IF NOT EXISTS queue("
	     " name TEXT PRIMARY KEY, position INTEGER NOT NULL, mark TEXT NOT NULL,"
	     " added_at TEXT NOT NULL) WITHOUT ROWID;"
	     "CREATE INDEX IF NOT EXISTS queue_position ON queue(position);" },
	/* The approved alt text of an intent and each platform's own caption
	 * (its override), so that a resumed post sends what was approved. */
	{ 5, "ALTER TABLE journal ADD COLUMN alt_text TEXT;"
	     "ALTER TABLE journal_platform ADD COLUMN caption TEXT;" },
	/* The logins platforms keep between runs (sessions.c): tokens, secret. */
	{ 6, "CREATE TABLE IF NOT EXISTS session("
	     " service TEXT NOT NULL, account TEXT NOT NULL, account_id TEXT,"
	     " access_token TEXT NOT NULL, refresh_token TEXT, updated_at TEXT NOT NULL,"
	     " PRIMARY KEY(service, account)) WITHOUT ROWID;" },
	/* What a retry needs of a run (photopub retry): where its image went in
	 * the archive, and the analysis its platforms were sent; the runs by
	 * their correlation ids. */
	{ 7, "ALTER TABLE journal ADD COLUMN archived_as TEXT;"
	     "ALTER TABLE journal ADD COLUMN analysis TEXT;"
	     "CREATE INDEX IF NOT EXISTS journal_correlation ON journal(correlation_id);"
	     "CREATE INDEX IF NOT EXISTS journal_platform_correlation"
	     " ON journal_platform(correlation_id);" },
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
#define SCHEMA_VERSION (migrations[NMIGRATIONS - 1].version)

#define JOURNAL_FIND_MATCH(col) \
	" (" col " = ?1 OR (?2 AND substr(" col ", 1, length(?1)) = ?1))"
#define JOURNAL_FIND_WHERE \
	" WHERE ?1 IS NULL OR" JOURNAL_FIND_MATCH("j.correlation_id") \
	" OR EXISTS(SELECT 1 FROM journal_platform p WHERE p.journal_id = j.id AND" \
	JOURNAL_FIND_MATCH("p.correlation_id") ")" \
	" ORDER BY j.id DESC LIMIT 2"

static const char *const stmt_sql[S_COUNT] = {
	[S_IS_SHA] = "SELECT 1 FROM posted_sha256 WHERE sha256 = ?1",
	[S_IS_CH] = "SELECT 1 FROM posted_content_hash WHERE content_hash = ?1",
	[S_ADD_SHA] = "INSERT OR IGNORE INTO posted_sha256(sha256, posted_at) VALUES(?1, ?2)",
	[S_ADD_CH] = "INSERT OR IGNORE INTO posted_content_hash(content_hash, posted_at)"
		     " VALUES(?1, ?2)",
	[S_ADD_HISTORY] = "INSERT INTO history(time, image, sha256, platform, post_id, success,"
			  " error, correlation_id, url, action)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* ?3: newest first; ?4: at most that many rows (-1: all). */
	[S_HISTORY_LIST] = "SELECT time, image, sha256, platform, post_id, success, error,"
			   " correlation_id, url, action FROM history"
			   " WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR platform = ?2)"
			   " ORDER BY CASE WHEN ?3 THEN -id ELSE id END LIMIT ?4",
	[S_HISTORY_LIST_V2] = "SELECT time, image, sha256, platform, post_id, success, error,"
			      " correlation_id, NULL, NULL FROM history"
			      " WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR platform = ?2)"
			      " ORDER BY CASE WHEN ?3 THEN -id ELSE id END LIMIT ?4",
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
	[S_JOURNAL_ADD] = "INSERT INTO journal(correlation_id, image, sha256, content_hash, caption,"
			  " sd_caption, owner, started_at, alt_text, analysis)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_JOURNAL_SET] = "INSERT INTO journal_platform(journal_id, platform, outcome, post_id,"
			  " error, correlation_id, url, caption) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
			  " ON CONFLICT(journal_id, platform) DO UPDATE SET outcome = ?3,"
			  " post_id = ?4, error = ?5, correlation_id = ?6, url = ?7",
	[S_JOURNAL_FINISH] = "UPDATE journal SET finished_at = ?2 WHERE id = ?1",
	[S_JOURNAL_OPEN] = "SELECT id, correlation_id, image, sha256, content_hash, caption,"
			   " sd_caption, owner, started_at, alt_text FROM journal"
			   " WHERE finished_at IS NULL ORDER BY id",
	[S_JOURNAL_PLATFORMS] = "SELECT platform, outcome, post_id, error, correlation_id, url, caption"
				" FROM journal_platform WHERE journal_id = ?1 ORDER BY rowid",
	[S_QUARANTINE_ADD] = "INSERT OR REPLACE INTO quarantine(sha256, content_hash, image, reason,"
			     " moved_to, correlation_id, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_QUARANTINE_IS] = "SELECT 1 FROM quarantine WHERE sha256 = ?1 OR content_hash = ?2",
	[S_QUEUE_LIST] = "SELECT name, mark, added_at FROM queue ORDER BY position, name",
	[S_QUEUE_CLEAR] = "DELETE FROM queue",
	[S_QUEUE_ADD] = "INSERT INTO queue(name, position, mark, added_at) VALUES(?1, ?2, ?3, ?4)",
	/* The queue commands (queue.c); ?1 is the name. */
	[S_QUEUE_PIN] = "UPDATE queue SET mark = 'pinned',"
			" position = (SELECT MIN(position) FROM queue) - 1 WHERE name = ?1",
	[S_QUEUE_SKIP] = "UPDATE queue SET mark = 'queued',"
			 " position = (SELECT MAX(position) FROM queue) + 1 WHERE name = ?1",
	[S_QUEUE_HOLD] = "UPDATE queue SET mark = 'held' WHERE name = ?1",
	[S_QUEUE_RELEASE] = "UPDATE queue SET mark = CASE mark WHEN 'held' THEN 'queued'"
			    " ELSE mark END WHERE name = ?1",
	[S_QUEUE_REMOVE] = "DELETE FROM queue WHERE name = ?1",
	/* The intent of a run: ?1 its correlation id (or that of a run that sent
	 * one of its platforms again), or, with ?2, the start of one; ?1 NULL:
	 * the newest. Newest first, so that two rows mean "ambiguous". */
	[S_JOURNAL_FIND] = "SELECT id, correlation_id, image, sha256, content_hash, caption,"
			   " sd_caption, owner, started_at, alt_text, finished_at, archived_as,"
			   " analysis FROM journal j" JOURNAL_FIND_WHERE,
	[S_JOURNAL_FIND_V5] = "SELECT id, correlation_id, image, sha256, content_hash, caption,"
			      " sd_caption, owner, started_at, alt_text, finished_at, NULL, NULL"
			      " FROM journal j" JOURNAL_FIND_WHERE,
	[S_JOURNAL_ARCHIVED] = "UPDATE journal SET archived_as = ?2 WHERE id = ?1",
};

/* ---- statements and transactions ------------------------------------------ */

int st_db_fail(struct state *st, struct pp_error *err, const char *what)
{
	return pp_fail_kind(err, "state", PP_ERR_DB, "cannot %s in the state database %s: %s", what,
			    st->path, sqlite3_errmsg(st->db));
}

void st_log_query_error(struct state *st, const char *what)
{
	log_warning(STATE_LOGGER, "state_query_error", NULL, LF_STR("path", st->path),
		    LF_STR("query", what), LF_STR("error", sqlite3_errmsg(st->db)));
}

int st_exec(struct state *st, const char *sql, const char *what, struct pp_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_db_fail(st, err, what);
	return 0;
}

sqlite3_stmt *st_stmt(struct state *st, enum stmt_id id, struct pp_error *err)
{
	if (!st->stmt[id]) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[id], NULL) != SQLITE_OK) {
			st_db_fail(st, err, "prepare a query");
			return NULL;
		}
	} else {
		sqlite3_reset(st->stmt[id]);
		sqlite3_clear_bindings(st->stmt[id]);
	}
	return st->stmt[id];
}

void st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int st_step_done(struct state *st, sqlite3_stmt *s, const char *what, struct pp_error *err)
{
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : st_db_fail(st, err, what);
	sqlite3_reset(s);
	return ret;
}

void st_utc_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

bool st_hex64(const char *s, char out[65])
{
	unsigned char b[32];
	if (!s || strlen(s) != 64 || hex_decode(s, b, sizeof(b)) < 0)
		return false;
	if (out)
		hex_encode(b, sizeof(b), out); /* lowercase */
	return true;
}

int st_refuse_read_only(struct state *st, const char *what, struct pp_error *err)
{
	return pp_fail_kind(err, "state", PP_ERR_INTERNAL,
			    "cannot %s: the state database %s is open read-only", what, st->path);
}

int st_tx_open(struct state *st, struct pp_error *err)
{
	if (st->tx_depth == 0)
		return st_exec(st, "BEGIN IMMEDIATE", "begin a transaction", err);
	return st_exec(st, "SAVEPOINT pp_inner", "open a savepoint", err);
}

int st_tx_close(struct state *st, bool ok, struct pp_error *err)
{
	if (st->tx_depth == 0) {
		if (ok && st_exec(st, "COMMIT", "commit", err) == 0)
			return 0;
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (ok && st_exec(st, "RELEASE pp_inner", "release a savepoint", err) == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK TO pp_inner; RELEASE pp_inner", NULL, NULL, NULL);
	return -1;
}

/* ---- schema ---------------------------------------------------------------- */

static int user_version(struct state *st, int *v, struct pp_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return st_db_fail(st, err, "read the schema version");
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Brings the database to SCHEMA_VERSION; refuses a newer schema. */
static int schema_setup(struct state *st, struct pp_error *err)
{
	int v = 0;
	if (st_exec(st, "BEGIN IMMEDIATE", "begin a transaction", err) < 0)
		return -1;
	if (user_version(st, &v, err) < 0)
		goto fail;
	if (v > SCHEMA_VERSION) {
		pp_fail_kind(err, "state", PP_ERR_DB,
			     "the state database %s has schema version %d, newer than the %d "
			     "this photopub knows", st->path, v, SCHEMA_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < NMIGRATIONS; i++) {
		if (migrations[i].version <= v)
			continue;
		if (st_exec(st, migrations[i].sql, "upgrade the schema", err) < 0)
			goto fail;
	}
	if (v < SCHEMA_VERSION) {
		char *sql = xasprintf("PRAGMA user_version = %d;", SCHEMA_VERSION);
		int rc = st_exec(st, sql, "record the schema version", err);
		free(sql);
		if (rc < 0)
			goto fail;
	}
	st->version = SCHEMA_VERSION;
	if (st_exec(st, "COMMIT", "commit the schema", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- open / close ------------------------------------------------------------ */

static int open_db(struct state *st, const char *file, int flags, struct pp_error *err)
{
	if (sqlite3_open_v2(file, &st->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		pp_fail_kind(err, "state", PP_ERR_DB, "cannot open the state database %s: %s",
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
			return pp_fail_kind(err, "state", PP_ERR_IO, "cannot use the state database %s: %s",
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
	if (st_exec(st, "PRAGMA query_only = 1", "make the connection read-only", err) < 0 ||
	    user_version(st, &v, err) < 0)
		return -1;
	if (v > SCHEMA_VERSION)
		return pp_fail_kind(err, "state", PP_ERR_DB,
				    "the state database %s has schema version %d, newer than the "
				    "%d this photopub knows", st->path, v, SCHEMA_VERSION);
	st->version = v;
	if (v > 0)
		return 0; /* tables of a later version may be missing: see st->version */
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
	return st_import_posted_json(st, err);
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
		return pp_fail_kind(err, "state", PP_ERR_IO, "cannot create the folder of the state "
				    "database %s: %s", st->path, why.msg);

	/* Create the file ourselves so that it is private from the start. */
	int fd = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return pp_fail_kind(err, "state", PP_ERR_IO, "cannot create the state database %s: %s",
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
		return st_db_fail(st, err, "switch to WAL journaling");
	if (schema_setup(st, err) < 0)
		return -1;
	return st_import_posted_json(st, err);
}

int state_open(const char *path, bool read_only, struct state **out, struct pp_error *err)
{
	*out = NULL;
	if (!path || !*path)
		return pp_fail_kind(err, "state", PP_ERR_CONFIG, "no state database path configured");

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
	st_cache_release(&st->cache);
	strv_release(&st->preloaded);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

/* ---- groups ------------------------------------------------------------------- */

/* Groups nest: only the outermost state_begin / state_commit pair touches the
 * database. A read-only state has nothing to group. */
int state_begin(struct state *st, struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	if (st->tx_depth == 0 && !st->read_only)
		rc = st_exec(st, "BEGIN IMMEDIATE", "begin a transaction", err);
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
		rc = pp_fail_kind(err, "state", PP_ERR_DB,
				  "cannot commit in the state database %s: no transaction is open",
				  st->path);
		goto out;
	}
	st->tx_depth--;
	if (st->tx_depth == 0 && !st->read_only &&
	    st_exec(st, "COMMIT", "commit a transaction", err) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void state_rollback(struct state *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->tx_depth > 0 && --st->tx_depth == 0 && !st->read_only)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&st->lock);
}
