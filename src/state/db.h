/* db.h - the small database interface src/state/ runs its SQL through: one
 * const struct db_ops per driver (db_sqlite.c: SQLite; db_pg.c: PostgreSQL
 * over libpq), a connection, prepared statements with typed binds, rows,
 * and transactions. SQL is written once, in the subset both dialects
 * share: `?N` placeholders (the PostgreSQL driver rewrites them to `$N`),
 * `INSERT … ON CONFLICT … DO NOTHING / DO UPDATE SET x = excluded.x`,
 * `RETURNING`. What truly differs (the schema's own text, the schema version,
 * write locking) is behind a driver hook or in the migrations row. */
#ifndef PHOTOPUB_STATE_DB_H
#define PHOTOPUB_STATE_DB_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

enum db_dialect { DB_SQLITE, DB_POSTGRES };

/* What db_step returns besides -1 (error: see errmsg). */
#define DB_DONE 0
#define DB_ROW 1

/* How to open: read_only connections refuse every change; create makes the
 * database (SQLite: the file) when missing. */
struct db_open_options {
	bool read_only;
	bool create;
};

struct db_ops;

/* A connection and a statement; each driver's own structs begin with these. */
struct db {
	const struct db_ops *ops;
};
struct db_stmt {
	struct db *db;
};

struct db_ops {
	const char *name;                 /* "sqlite", "postgres" */
	enum db_dialect dialect;
	/* target: a file path (SQLite, ":memory:" too) or a postgresql:// URL.
	 * 0 with *out set; 1 (and *out NULL) when read_only and there is no
	 * database to read (a missing or empty SQLite file); -1 with err filled.
	 * Messages name display, never target (a URL may hold a password). */
	int (*open)(const char *target, const char *display, const struct db_open_options *o,
		    struct db **out, struct pp_error *err);
	void (*close)(struct db *db);     /* NULL is fine; finalize statements first */
	/* The last error of the connection, for messages; never NULL. */
	const char *(*errmsg)(struct db *db);
	/* Runs SQL (one or more statements separated by ';') returning no rows. */
	int (*exec)(struct db *db, const char *sql);
	/* A statement, cached by the caller for the connection's lifetime. */
	int (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	void (*finalize)(struct db_stmt *s); /* NULL is fine */
	/* Ends the statement's run and clears its binds: ready to bind again. */
	void (*reset)(struct db_stmt *s);
	/* Binds at i (from 1). bind_text with v NULL binds NULL; the value is copied. */
	void (*bind_text)(struct db_stmt *s, int i, const char *v);
	void (*bind_int64)(struct db_stmt *s, int i, int64_t v);
	void (*bind_null)(struct db_stmt *s, int i);
	/* DB_ROW, DB_DONE, or -1. */
	int (*step)(struct db_stmt *s);
	/* The current row's column i (from 0); text is NULL for NULL and stays
	 * valid until the next step or reset. */
	const char *(*column_text)(struct db_stmt *s, int i);
	int64_t (*column_int64)(struct db_stmt *s, int i);
	bool (*column_is_null)(struct db_stmt *s, int i);
	/* Rows the last finished statement changed. */
	int64_t (*changes)(struct db_stmt *s);
	/* A write transaction that takes the write lock at once, so that two
	 * connections' transactions never interleave (SQLite: BEGIN IMMEDIATE;
	 * PostgreSQL: BEGIN and one advisory transaction lock). */
	int (*begin)(struct db *db);
	int (*commit)(struct db *db);
	void (*rollback)(struct db *db);
	/* The schema version the database records (0: none yet), and recording
	 * it (SQLite: PRAGMA user_version; PostgreSQL: a one-row table). */
	int (*get_version)(struct db *db, int *v);
	int (*set_version)(struct db *db, int v);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* The driver of target: db_pg_ops for a postgresql:// or postgres:// URL,
 * else db_sqlite_ops. */
const struct db_ops *db_driver_for(const char *target);
/* True for a postgresql:// or postgres:// URL. */
bool db_is_url(const char *target);

/* url without its password (a new string, the caller frees it); *password
 * (new, or NULL when the URL has none) the password as written and, when
 * percent-encoded, nothing else: both forms are what a caller must keep
 * out of messages. */
char *db_url_redact(const char *url, char **password);

/* Shorthands through the statement's or connection's driver. */
static inline int db_exec(struct db *db, const char *sql) { return db->ops->exec(db, sql); }
static inline const char *db_errmsg(struct db *db) { return db->ops->errmsg(db); }
static inline int db_begin(struct db *db) { return db->ops->begin(db); }
static inline int db_commit(struct db *db) { return db->ops->commit(db); }
static inline void db_rollback(struct db *db) { db->ops->rollback(db); }
static inline int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->ops->prepare(db, sql, out);
}
static inline void db_finalize(struct db_stmt *s)
{
	if (s)
		s->db->ops->finalize(s);
}
static inline void db_reset(struct db_stmt *s) { s->db->ops->reset(s); }
static inline void db_bind_text(struct db_stmt *s, int i, const char *v)
{
	s->db->ops->bind_text(s, i, v);
}
static inline void db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	s->db->ops->bind_int64(s, i, v);
}
static inline void db_bind_null(struct db_stmt *s, int i) { s->db->ops->bind_null(s, i); }
static inline int db_step(struct db_stmt *s) { return s->db->ops->step(s); }
static inline const char *db_column_text(struct db_stmt *s, int i)
{
	return s->db->ops->column_text(s, i);
}
static inline int64_t db_column_int64(struct db_stmt *s, int i)
{
	return s->db->ops->column_int64(s, i);
}
static inline bool db_column_is_null(struct db_stmt *s, int i)
{
	return s->db->ops->column_is_null(s, i);
}
static inline int64_t db_changes(struct db_stmt *s) { return s->db->ops->changes(s); }

#endif
