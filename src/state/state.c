/* state.c - the state database, SQLite (a WAL file) or PostgreSQL (db.h
 * drivers): opening it read-write or read-only, the schema and its version,
 * closing; the cached prepared statements, the transactions and
 * state_begin / state_commit groups that every other file of src/state/
 * runs its queries through (state_impl.h). The tables' own operations are
 * in posted.c, history.c, hash_cache.c, import.c and queue.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state/db.h"
#include "state/state.h"
#include "state/state_impl.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/strv.h"

/* The schema, as the steps that built it: a database at version v runs
 * every step of a higher version, in order, in one transaction, and ends at
 * the last step's version. A step only adds (tables, indexes, columns), so
 * an older photopub's data stays readable; a new step is a new row at the
 * end, never an edit of an old one. pg is the step's PostgreSQL text where
 * the dialects differ (ids, integer widths, WITHOUT ROWID, collation); NULL:
 * sql serves both. PostgreSQL has no rowid: the tables whose order of
 * insertion a query reads get a BIGSERIAL column named rowid. */
struct migration {
	int version;
	const char *sql;
	const char *pg;
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
	     "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;",
	  "CREATE TABLE IF NOT EXISTS posted_sha256("
	  " sha256 TEXT PRIMARY KEY, posted_at TEXT NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS posted_content_hash("
	  " content_hash TEXT PRIMARY KEY, posted_at TEXT NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS history("
	  " id BIGSERIAL PRIMARY KEY, time TEXT NOT NULL, image TEXT, sha256 TEXT,"
	  " platform TEXT NOT NULL, post_id TEXT, success INTEGER NOT NULL, error TEXT,"
	  " correlation_id TEXT);"
	  /* Byte order, as SQLite's, for the prefix ranges of hash_cache.c. */
	  "CREATE TABLE IF NOT EXISTS hash_cache("
	  " key TEXT COLLATE \"C\" PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,"
	  " sha256 TEXT NOT NULL, content_hash TEXT NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);" },
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
	     " WHERE content_hash IS NOT NULL;",
	  "CREATE TABLE IF NOT EXISTS journal("
	  " id BIGSERIAL PRIMARY KEY, correlation_id TEXT NOT NULL, image TEXT NOT NULL,"
	  " sha256 TEXT NOT NULL, content_hash TEXT, caption TEXT, sd_caption TEXT,"
	  " owner TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);"
	  "CREATE INDEX IF NOT EXISTS journal_open ON journal(id) WHERE finished_at IS NULL;"
	  "CREATE TABLE IF NOT EXISTS journal_platform("
	  " rowid BIGSERIAL, journal_id BIGINT NOT NULL REFERENCES journal(id),"
	  " platform TEXT NOT NULL, outcome TEXT NOT NULL, post_id TEXT, error TEXT,"
	  " correlation_id TEXT, UNIQUE(journal_id, platform));"
	  "CREATE TABLE IF NOT EXISTS quarantine("
	  " sha256 TEXT PRIMARY KEY, content_hash TEXT, image TEXT NOT NULL, reason TEXT NOT NULL,"
	  " moved_to TEXT, correlation_id TEXT, at TEXT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS quarantine_content_hash ON quarantine(content_hash)"
	  " WHERE content_hash IS NOT NULL;" },
	/* Post links and curation actions in the history; links in the journal. */
	{ 3, "ALTER TABLE history ADD COLUMN url TEXT;"
	     "ALTER TABLE history ADD COLUMN action TEXT;"
	     "ALTER TABLE journal_platform ADD COLUMN url TEXT;", NULL },
	/* The posting queue (queue.c); its seed and order live in meta. */
	{ 4, "CREATE TABLE IF NOT EXISTS queue("
	     " name TEXT PRIMARY KEY, position INTEGER NOT NULL, mark TEXT NOT NULL,"
	     " added_at TEXT NOT NULL) WITHOUT ROWID;"
	     "CREATE INDEX IF NOT EXISTS queue_position ON queue(position);",
	  "CREATE TABLE IF NOT EXISTS queue("
	  " name TEXT PRIMARY KEY, position BIGINT NOT NULL, mark TEXT NOT NULL,"
	  " added_at TEXT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS queue_position ON queue(position);" },
	/* The approved alt text of an intent and each platform's own caption
	 * (its override), so that a resumed post sends what was approved. */
	{ 5, "ALTER TABLE journal ADD COLUMN alt_text TEXT;"
	     "ALTER TABLE journal_platform ADD COLUMN caption TEXT;", NULL },
	/* The logins platforms keep between runs (sessions.c): tokens, secret. */
	{ 6, "CREATE TABLE IF NOT EXISTS session("
	     " service TEXT NOT NULL, account TEXT NOT NULL, account_id TEXT,"
	     " access_token TEXT NOT NULL, refresh_token TEXT, updated_at TEXT NOT NULL,"
	     " PRIMARY KEY(service, account)) WITHOUT ROWID;",
	  "CREATE TABLE IF NOT EXISTS session("
	  " service TEXT NOT NULL, account TEXT NOT NULL, account_id TEXT,"
	  " access_token TEXT NOT NULL, refresh_token TEXT, updated_at TEXT NOT NULL,"
	  " PRIMARY KEY(service, account));" },
	/* What a retry needs of a run (photopub retry): where its image went in
	 * the archive, and the analysis its platforms were sent; the runs by
	 * their correlation ids. */
	{ 7, "ALTER TABLE journal ADD COLUMN archived_as TEXT;"
	     "ALTER TABLE journal ADD COLUMN analysis TEXT;"
	     "CREATE INDEX IF NOT EXISTS journal_correlation ON journal(correlation_id);"
	     "CREATE INDEX IF NOT EXISTS journal_platform_correlation"
	     " ON journal_platform(correlation_id);", NULL },
	/* What the replicas of serve share about the web admin (admin.c): the
	 * sessions logout ended, by digest, until they expire, and the failed
	 * logins by client address, while they count. */
	{ 8, "CREATE TABLE IF NOT EXISTS admin_revoked("
	     " session TEXT PRIMARY KEY, expiry INTEGER NOT NULL) WITHOUT ROWID;"
	     "CREATE INDEX IF NOT EXISTS admin_revoked_expiry ON admin_revoked(expiry);"
	     "CREATE TABLE IF NOT EXISTS login_failure(client TEXT NOT NULL, at INTEGER NOT NULL);"
	     "CREATE INDEX IF NOT EXISTS login_failure_client ON login_failure(client, at);"
	     "CREATE INDEX IF NOT EXISTS login_failure_at ON login_failure(at);",
	  "CREATE TABLE IF NOT EXISTS admin_revoked("
	  " session TEXT PRIMARY KEY, expiry BIGINT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS admin_revoked_expiry ON admin_revoked(expiry);"
	  "CREATE TABLE IF NOT EXISTS login_failure(client TEXT NOT NULL, at BIGINT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS login_failure_client ON login_failure(client, at);"
	  "CREATE INDEX IF NOT EXISTS login_failure_at ON login_failure(at);" },
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
	[S_ADD_SHA] = "INSERT INTO posted_sha256(sha256, posted_at) VALUES(?1, ?2)"
		     " ON CONFLICT DO NOTHING",
	[S_ADD_CH] = "INSERT INTO posted_content_hash(content_hash, posted_at)"
		     " VALUES(?1, ?2) ON CONFLICT DO NOTHING",
	[S_ADD_HISTORY] = "INSERT INTO history(time, image, sha256, platform, post_id, success,"
			  " error, correlation_id, url, action)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* ?3: newest first; ?4: at most that many rows. */
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
	[S_CACHE_PUT] = "INSERT INTO hash_cache(key, size, mtime_ns, sha256,"
			" content_hash) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(key) DO UPDATE"
			" SET size = excluded.size, mtime_ns = excluded.mtime_ns,"
			" sha256 = excluded.sha256, content_hash = excluded.content_hash",
	/* ?2 is the prefix followed by U+10FFFF, the last code point (a
	 * noncharacter no path holds): in byte order (SQLite's, and the "C"
	 * collation of the PostgreSQL column) the range is the keys that start
	 * with the prefix, and it is an index range, with no LIKE wildcards to
	 * escape. */
	[S_CACHE_RANGE] = "SELECT key, size, mtime_ns, sha256, content_hash FROM hash_cache"
			  " WHERE key >= ?1 AND key < ?2",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
		      " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_JOURNAL_ADD] = "INSERT INTO journal(correlation_id, image, sha256, content_hash, caption,"
			  " sd_caption, owner, started_at, alt_text, analysis)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
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
	[S_QUARANTINE_ADD] = "INSERT INTO quarantine(sha256, content_hash, image, reason,"
			     " moved_to, correlation_id, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			     " ON CONFLICT(sha256) DO UPDATE SET content_hash = excluded.content_hash,"
			     " image = excluded.image, reason = excluded.reason,"
			     " moved_to = excluded.moved_to, correlation_id = excluded.correlation_id,"
			     " at = excluded.at",
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
	[S_META_DELETE] = "DELETE FROM meta WHERE key = ?1",
};

/* ---- statements and transactions ------------------------------------------ */

int st_db_fail(struct state *st, struct pp_error *err, const char *what)
{
	return pp_fail_kind(err, "state", PP_ERR_DB, "cannot %s in the state database %s: %s", what,
			    st->path, db_errmsg(st->db));
}

void st_log_query_error(struct state *st, const char *what)
{
	log_warning(STATE_LOGGER, "state_query_error", NULL, LF_STR("path", st->path),
		    LF_STR("query", what), LF_STR("error", db_errmsg(st->db)));
}

int st_exec(struct state *st, const char *sql, const char *what, struct pp_error *err)
{
	if (db_exec(st->db, sql) < 0)
		return st_db_fail(st, err, what);
	return 0;
}

struct db_stmt *st_stmt(struct state *st, enum stmt_id id, struct pp_error *err)
{
	if (!st->stmt[id]) {
		if (db_prepare(st->db, stmt_sql[id], &st->stmt[id]) < 0) {
			st_db_fail(st, err, "prepare a query");
			return NULL;
		}
	} else {
		db_reset(st->stmt[id]);
	}
	return st->stmt[id];
}

int st_step_done(struct state *st, struct db_stmt *s, const char *what, struct pp_error *err)
{
	int rc = db_step(s);
	int ret = rc == DB_DONE ? 0 : st_db_fail(st, err, what);
	db_reset(s);
	return ret;
}

int st_row_exists(struct state *st, enum stmt_id id, const char *key, bool *found,
		  const char *what, struct pp_error *err)
{
	*found = false;
	struct db_stmt *s = st_stmt(st, id, err);
	if (!s)
		return -1;
	db_bind_text(s, 1, key);
	int rc = db_step(s);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return st_db_fail(st, err, what);
	*found = rc == DB_ROW;
	return 0;
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

int st_begin(struct state *st, const char *what, struct pp_error *err)
{
	if (db_begin(st->db) < 0)
		return st_db_fail(st, err, what);
	return 0;
}

int st_tx_open(struct state *st, struct pp_error *err)
{
	if (st->tx_depth == 0)
		return st_begin(st, "begin a transaction", err);
	return st_exec(st, "SAVEPOINT pp_inner", "open a savepoint", err);
}

int st_tx_close(struct state *st, bool ok, struct pp_error *err)
{
	if (st->tx_depth == 0) {
		if (ok && db_commit(st->db) == 0)
			return 0;
		if (ok)
			st_db_fail(st, err, "commit");
		db_rollback(st->db);
		return -1;
	}
	if (ok && st_exec(st, "RELEASE pp_inner", "release a savepoint", err) == 0)
		return 0;
	db_exec(st->db, "ROLLBACK TO pp_inner; RELEASE pp_inner");
	return -1;
}

/* ---- schema ---------------------------------------------------------------- */

static int user_version(struct state *st, int *v, struct pp_error *err)
{
	if (st->db->ops->get_version(st->db, v) < 0)
		return st_db_fail(st, err, "read the schema version");
	return 0;
}

/* Brings the database to SCHEMA_VERSION; refuses a newer schema. */
static int schema_setup(struct state *st, struct pp_error *err)
{
	int v = 0;
	bool pg = st->db->ops->dialect == DB_POSTGRES;
	if (st_begin(st, "begin a transaction", err) < 0)
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
		const char *sql = pg && migrations[i].pg ? migrations[i].pg : migrations[i].sql;
		if (st_exec(st, sql, "upgrade the schema", err) < 0)
			goto fail;
	}
	if (v < SCHEMA_VERSION && st->db->ops->set_version(st->db, SCHEMA_VERSION) < 0) {
		st_db_fail(st, err, "record the schema version");
		goto fail;
	}
	st->version = SCHEMA_VERSION;
	if (db_commit(st->db) < 0) {
		st_db_fail(st, err, "commit the schema");
		goto fail;
	}
	return 0;
fail:
	db_rollback(st->db);
	return -1;
}

/* ---- open / close ------------------------------------------------------------ */

/* Opens st->target with its driver; 1: read-only and nothing to read. */
static int open_db(struct state *st, const char *target, bool read_only, struct pp_error *err)
{
	const struct db_open_options o = { .read_only = read_only, .create = !read_only };
	return db_driver_for(target)->open(target, st->path, &o, &st->db, err);
}

/* Opens the database for reading only, leaving it as it is. An existing
 * one takes no posted.json import (that is a write): the next read-write
 * open does it. */
static int open_read_only(struct state *st, const char *target, struct pp_error *err)
{
	int v = 0;
	int rc = open_db(st, target, true, err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		goto memory;
	if (user_version(st, &v, err) < 0)
		return -1;
	if (v > SCHEMA_VERSION)
		return pp_fail_kind(err, "state", PP_ERR_DB,
				    "the state database %s has schema version %d, newer than the "
				    "%d this photopub knows", st->path, v, SCHEMA_VERSION);
	st->version = v;
	if (v > 0)
		return 0; /* tables of a later version may be missing: see st->version */
	/* Version 0: a database without our tables; read it as empty. */
	st->db->ops->close(st->db);
	st->db = NULL;
memory:
	/* An empty database in memory, whatever the backend: it never reaches
	 * a file, and it lets a preview skip what upstream already posted. */
	st->in_memory = true;
	const struct db_open_options o = { .create = true };
	if (db_sqlite_ops.open(":memory:", st->path, &o, &st->db, err) != 0 ||
	    schema_setup(st, err) < 0)
		return -1;
	return st_import_posted_json(st, err);
}

static int open_read_write(struct state *st, const char *target, struct pp_error *err)
{
	if (open_db(st, target, false, err) != 0 || schema_setup(st, err) < 0)
		return -1;
	return st_import_posted_json(st, err);
}

/* Registers the password as written in the URL and, when it is
 * percent-encoded, as libpq decodes it. */
static void add_password_secret(const char *pw)
{
	if (!pw || !*pw)
		return;
	sanitize_add_secret(pw);
	if (!strchr(pw, '%'))
		return;
	char *dec = xstrdup(pw), *o = dec;
	for (const char *p = pw; *p; p++) {
		unsigned char b[1];
		if (*p == '%' && p[1] && p[2]) {
			char two[3] = { p[1], p[2], '\0' };
			if (hex_decode(two, b, 1) == 0) {
				*o++ = (char)b[0];
				p += 2;
				continue;
			}
		}
		*o++ = *p;
	}
	*o = '\0';
	sanitize_add_secret(dec);
	free(dec);
}

int state_open(const char *path, bool read_only, struct state **out, struct pp_error *err)
{
	*out = NULL;
	if (!path || !*path)
		return pp_fail_kind(err, "state", PP_ERR_CONFIG, "no state database path configured");

	struct state *st = xcalloc(1, sizeof(*st));
	if (db_is_url(path)) {
		/* The URL's password is a secret: no message or log line shows it,
		 * and st->path, which they name, is the URL without it. */
		char *password = NULL;
		st->path = db_url_redact(path, &password);
		add_password_secret(password);
		free(password);
		add_password_secret(getenv("PGPASSWORD")); /* libpq's, when the URL has none */
	} else {
		st->path = xstrdup(path);
	}
	st->read_only = read_only;
	pthread_mutex_init(&st->lock, NULL);
	int rc = read_only ? open_read_only(st, path, err) : open_read_write(st, path, err);
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
		db_commit(st->db);
	for (int i = 0; i < S_COUNT; i++)
		db_finalize(st->stmt[i]);
	if (st->db)
		st->db->ops->close(st->db);
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
		rc = st_begin(st, "begin a transaction", err);
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
	if (st->tx_depth == 0 && !st->read_only && db_commit(st->db) < 0) {
		st_db_fail(st, err, "commit a transaction");
		db_rollback(st->db);
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
		db_rollback(st->db);
	pthread_mutex_unlock(&st->lock);
}
