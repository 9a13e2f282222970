/* db_sqlite.c - the SQLite driver of db.h: a state file in WAL mode (created
 * private, 0600, with its folder), a 5 s busy timeout, read-only connections
 * that refuse every change (PRAGMA query_only) and the schema version in
 * PRAGMA user_version. Exports db_sqlite_ops only. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state/db.h"
#include "util/buf.h"
#include "util/fsutil.h"

struct sq_db {
	struct db base;
	sqlite3 *conn;
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *s;
};

#define SQ(d) ((struct sq_db *)(d))
#define SQS(st) ((struct sq_stmt *)(st))

static const char *sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(SQ(db)->conn);
}

static int sq_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(SQ(db)->conn, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void sq_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(SQ(db)->conn);
	free(db);
}

static int connect(struct sq_db *d, const char *file, int flags, const char *display,
		   struct pp_error *err)
{
	if (sqlite3_open_v2(file, &d->conn, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return pp_fail_kind(err, "state", PP_ERR_DB, "cannot open the state database %s: %s",
				    display, d->conn ? sqlite3_errmsg(d->conn) : "out of memory");
	sqlite3_extended_result_codes(d->conn, 1);
	sqlite3_busy_timeout(d->conn, 5000);
	return 0;
}

/* The file and its folder, private from the start. */
static int create_file(const char *path, const char *display, struct pp_error *err)
{
	char *dir = xstrdup(path);
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
				    "database %s: %s", display, why.msg);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return pp_fail_kind(err, "state", PP_ERR_IO, "cannot create the state database %s: %s",
				    display, strerror(errno));
	return 0;
}

static int sq_open(const char *target, const char *display, const struct db_open_options *o,
		   struct db **out, struct pp_error *err)
{
	bool memory = !strcmp(target, ":memory:");
	struct sq_db *d = NULL;
	*out = NULL;

	if (o->read_only && !memory) {
		struct stat sb;
		if (stat(target, &sb) < 0) {
			if (errno != ENOENT)
				return pp_fail_kind(err, "state", PP_ERR_IO,
						    "cannot use the state database %s: %s", display,
						    strerror(errno));
			return 1; /* no file: nothing to read, nothing to create */
		}
		if (sb.st_size == 0)
			return 1; /* an empty file is an empty database */
	}
	if (o->create && !o->read_only && !memory && create_file(target, display, err) < 0)
		return -1;

	d = xcalloc(1, sizeof(*d));
	d->base.ops = &db_sqlite_ops;
	/* A read-only state is a read-write connection that refuses every
	 * change. Unlike a SQLITE_OPEN_READONLY one, it can remove the -wal and
	 * -shm files it needed when it closes, so a preview leaves the folder as
	 * it was; the database file itself is never written (its WAL stays
	 * empty). */
	int flags = SQLITE_OPEN_READWRITE | (memory ? SQLITE_OPEN_CREATE : 0);
	if (connect(d, target, flags, display, err) < 0)
		goto fail;
	if (o->read_only && !memory) {
		if (sq_exec(&d->base, "PRAGMA query_only = 1") < 0) {
			pp_fail_kind(err, "state", PP_ERR_DB, "cannot make the connection read-only in "
				     "the state database %s: %s", display, sqlite3_errmsg(d->conn));
			goto fail;
		}
	} else if (!memory) {
		sqlite3_stmt *s = NULL;
		bool wal = sqlite3_prepare_v2(d->conn, "PRAGMA journal_mode = WAL", -1, &s, NULL) ==
				   SQLITE_OK &&
			   sqlite3_step(s) == SQLITE_ROW &&
			   !sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
		if (!wal) {
			pp_fail_kind(err, "state", PP_ERR_DB, "cannot switch to WAL journaling in the "
				     "state database %s: %s", display, sqlite3_errmsg(d->conn));
			goto fail;
		}
	}
	*out = &d->base;
	return 0;
fail:
	sq_close(&d->base);
	return -1;
}

static int sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	sqlite3_stmt *s = NULL;
	*out = NULL;
	if (sqlite3_prepare_v3(SQ(db)->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	struct sq_stmt *st = xcalloc(1, sizeof(*st));
	st->base.db = db;
	st->s = s;
	*out = &st->base;
	return 0;
}

static void sq_finalize(struct db_stmt *s)
{
	sqlite3_finalize(SQS(s)->s);
	free(s);
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(SQS(s)->s);
	sqlite3_clear_bindings(SQS(s)->s);
}

static void sq_bind_text(struct db_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(SQS(s)->s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(SQS(s)->s, i);
}

static void sq_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(SQS(s)->s, i, v);
}

static void sq_bind_null(struct db_stmt *s, int i)
{
	sqlite3_bind_null(SQS(s)->s, i);
}

static int sq_step(struct db_stmt *s)
{
	int rc = sqlite3_step(SQS(s)->s);
	return rc == SQLITE_ROW ? DB_ROW : rc == SQLITE_DONE ? DB_DONE : -1;
}

static const char *sq_column_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(SQS(s)->s, i);
}

static int64_t sq_column_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(SQS(s)->s, i);
}

static bool sq_column_is_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(SQS(s)->s, i) == SQLITE_NULL;
}

static int64_t sq_changes(struct db_stmt *s)
{
	return sqlite3_changes64(SQ(s->db)->conn);
}

static int sq_begin(struct db *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_commit(struct db *db)
{
	return sq_exec(db, "COMMIT");
}

static void sq_rollback(struct db *db)
{
	sqlite3_exec(SQ(db)->conn, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_get_version(struct db *db, int *v)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(SQ(db)->conn, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static int sq_set_version(struct db *db, int v)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", v);
	return sq_exec(db, sql);
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.dialect = DB_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.bind_text = sq_bind_text,
	.bind_int64 = sq_bind_int64,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_text = sq_column_text,
	.column_int64 = sq_column_int64,
	.column_is_null = sq_column_is_null,
	.changes = sq_changes,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.get_version = sq_get_version,
	.set_version = sq_set_version,
};
