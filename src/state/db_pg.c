/* db_pg.c - the PostgreSQL driver of db.h, over libpq: a connection from a
 * postgresql:// URL (the password may come from the URL, PGPASSWORD or
 * ~/.pgpass: libpq reads them), statements whose `?N` placeholders become
 * `$N`, run with PQexecParams (text values, text and NULL binds typed text,
 * integers left for the server to infer: a boolean, a count, a BIGINT),
 * write transactions serialized per schema by an advisory transaction lock
 * (as SQLite's BEGIN IMMEDIATE serializes per file), and the schema version
 * in a one-row table, photopub_schema. A connection the server dropped
 * (a restart, an idle timeout) is made again, once, before a statement
 * outside a transaction; inside one, the transaction fails as it must.
 * Exports db_pg_ops only. */
#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/db.h"
#include "util/buf.h"

#define TEXTOID 25
/* The advisory lock of write transactions: a constant ("phot") and the
 * hash of the schema the connection works in, so that two states in two
 * schemas of one database do not wait on each other. */
#define PG_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(1886351476, hashtext(current_schema()))"

struct pg_db {
	struct db base;
	PGconn *conn;
	char err[512];
	int64_t changes;
	const char *setup;    /* the SETs every new session runs */
	bool in_tx;           /* between begin and commit / rollback */
};

struct pg_stmt {
	struct db_stmt base;
	char *sql;            /* with $N placeholders */
	int nparams;
	char **values;        /* owned; NULL: SQL NULL */
	Oid *types;
	PGresult *res;        /* the run's result; NULL: not run since reset */
	int row, nrows;
};

#define PG(d) ((struct pg_db *)(d))
#define PGS(s) ((struct pg_stmt *)(s))

/* Keeps msg (without its trailing newline) as the connection's error. */
static void set_err(struct pg_db *d, const char *msg)
{
	snprintf(d->err, sizeof(d->err), "%s", msg && *msg ? msg : "unknown PostgreSQL error");
	size_t n = strlen(d->err);
	while (n && (d->err[n - 1] == '\n' || d->err[n - 1] == ' '))
		d->err[--n] = '\0';
}

static const char *pg_errmsg(struct db *db)
{
	return PG(db)->err[0] ? PG(db)->err : "no error";
}

/* NOTICEs (CREATE … IF NOT EXISTS says "skipping") are nothing to report. */
static void ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Checks a result and frees it; -1 with the error kept. A COMMIT of a
 * transaction an error aborted answers "ROLLBACK": that is a failure. */
static int check(struct pg_db *d, PGresult *res)
{
	ExecStatusType t = PQresultStatus(res);
	int rc = 0;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		set_err(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
		rc = -1;
	} else if (!strcmp(PQcmdStatus(res), "ROLLBACK")) {
		set_err(d, "the transaction was rolled back after an earlier error");
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* After a failure: when the server dropped the connection and no
 * transaction was open, connects again; true when the caller may try again. */
static bool revive(struct pg_db *d)
{
	if (d->in_tx || PQstatus(d->conn) != CONNECTION_BAD)
		return false;
	PQreset(d->conn);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		set_err(d, PQerrorMessage(d->conn));
		return false;
	}
	return check(d, PQexec(d->conn, d->setup)) == 0;
}

static int pg_exec(struct db *db, const char *sql)
{
	struct pg_db *d = PG(db);
	if (check(d, PQexec(d->conn, sql)) == 0)
		return 0;
	return revive(d) ? check(d, PQexec(d->conn, sql)) : -1;
}

static void pg_close(struct db *db)
{
	if (!db)
		return;
	PQfinish(PG(db)->conn);
	free(db);
}

static int pg_open(const char *target, const char *display, const struct db_open_options *o,
		   struct db **out, struct pp_error *err)
{
	/* Later keywords win, so the URL's own connect_timeout overrides ours. */
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *values[] = { "10", target, NULL };
	struct pg_db *d = xcalloc(1, sizeof(*d));
	d->base.ops = &db_pg_ops;
	*out = NULL;

	d->conn = PQconnectdbParams(keys, values, 1);
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
		set_err(d, d->conn ? PQerrorMessage(d->conn) : "out of memory");
		pp_fail_kind(err, "state", PP_ERR_DB, "cannot open the state database %s: %s", display,
			     d->err);
		goto fail;
	}
	PQsetNoticeProcessor(d->conn, ignore_notice, NULL);
	/* Waiting for another connection's write lock: at most 5 s, as SQLite's
	 * busy timeout. */
	d->setup = o->read_only
		? "SET lock_timeout = '5s'; SET default_transaction_read_only = on"
		: "SET lock_timeout = '5s'";
	if (check(d, PQexec(d->conn, d->setup)) < 0) {
		pp_fail_kind(err, "state", PP_ERR_DB, "cannot set up the connection to the state "
			     "database %s: %s", display, d->err);
		goto fail;
	}
	*out = &d->base;
	return 0;
fail:
	pg_close(&d->base);
	return -1;
}

/* sql with each ?N as $N and each bare ? as the next number; quoted text
 * is left as it is. *nparams: the highest number. */
static char *rewrite(const char *sql, int *nparams)
{
	struct buf b = { 0 };
	int next = 0, max = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			buf_addc(&b, *p);
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			buf_addc(&b, *p);
			continue;
		}
		if (*p != '?') {
			buf_addc(&b, *p);
			continue;
		}
		int n = 0;
		while (isdigit((unsigned char)p[1]))
			n = n * 10 + (*++p - '0');
		if (n == 0)
			n = ++next;
		if (n > max)
			max = n;
		buf_addf(&b, "$%d", n);
	}
	*nparams = max;
	return buf_detach(&b);
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_stmt *s = xcalloc(1, sizeof(*s));
	s->base.db = db;
	s->sql = rewrite(sql, &s->nparams);
	s->values = xcalloc((size_t)s->nparams + 1, sizeof(*s->values));
	s->types = xcalloc((size_t)s->nparams + 1, sizeof(*s->types));
	for (int i = 0; i < s->nparams; i++)
		s->types[i] = TEXTOID;
	*out = &s->base;
	return 0;
}

static void pg_reset(struct db_stmt *st)
{
	struct pg_stmt *s = PGS(st);
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	for (int i = 0; i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
		s->types[i] = TEXTOID;
	}
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = PGS(st);
	pg_reset(st);
	free(s->values);
	free(s->types);
	free(s->sql);
	free(s);
}

static void bind(struct pg_stmt *s, int i, char *v, Oid type)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return;
	}
	free(s->values[i - 1]);
	s->values[i - 1] = v;
	s->types[i - 1] = type;
}

static void pg_bind_text(struct db_stmt *s, int i, const char *v)
{
	bind(PGS(s), i, v ? xstrdup(v) : NULL, TEXTOID);
}

static void pg_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	bind(PGS(s), i, xasprintf("%" PRId64, v), 0);
}

static void pg_bind_null(struct db_stmt *s, int i)
{
	bind(PGS(s), i, NULL, TEXTOID);
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = PGS(st);
	struct pg_db *d = PG(st->db);
	if (!s->res) {
		s->res = PQexecParams(d->conn, s->sql, s->nparams, s->types,
				      (const char *const *)s->values, NULL, NULL, 0);
		ExecStatusType t = PQresultStatus(s->res);
		if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && revive(d)) {
			PQclear(s->res);
			s->res = PQexecParams(d->conn, s->sql, s->nparams, s->types,
					      (const char *const *)s->values, NULL, NULL, 0);
			t = PQresultStatus(s->res);
		}
		if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
			set_err(d, s->res ? PQresultErrorMessage(s->res) : PQerrorMessage(d->conn));
			PQclear(s->res);
			s->res = NULL;
			return -1;
		}
		const char *n = PQcmdTuples(s->res);
		d->changes = n && *n ? strtoll(n, NULL, 10) : 0;
		s->nrows = t == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		s->row = -1;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? DB_ROW : DB_DONE;
}

static bool pg_column_is_null(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PGS(st);
	return !s->res || s->row < 0 || s->row >= s->nrows || i >= PQnfields(s->res) ||
	       PQgetisnull(s->res, s->row, i);
}

static const char *pg_column_text(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PGS(st);
	return pg_column_is_null(st, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

static int64_t pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);
	if (!v)
		return 0;
	if (!strcmp(v, "t"))
		return 1; /* a boolean */
	return strtoll(v, NULL, 10);
}

static int64_t pg_changes(struct db_stmt *s)
{
	return PG(s->db)->changes;
}

/* A begin that failed (the lock's wait ran out, say) leaves no
 * transaction behind. */
static int pg_begin(struct db *db)
{
	struct pg_db *d = PG(db);
	if (pg_exec(db, PG_BEGIN) < 0) {
		PQclear(PQexec(d->conn, "ROLLBACK"));
		return -1;
	}
	d->in_tx = true;
	return 0;
}

static int pg_commit(struct db *db)
{
	struct pg_db *d = PG(db);
	int rc = check(d, PQexec(d->conn, "COMMIT"));
	d->in_tx = false;
	return rc;
}

static void pg_rollback(struct db *db)
{
	PG(db)->in_tx = false;
	PQclear(PQexec(PG(db)->conn, "ROLLBACK"));
}

static int pg_get_version(struct db *db, int *v)
{
	struct pg_db *d = PG(db);
	*v = 0;
	PGresult *res = PQexec(d->conn, "SELECT to_regclass('photopub_schema') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		set_err(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
		PQclear(res);
		return -1;
	}
	bool exists = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!exists)
		return 0;
	res = PQexec(d->conn, "SELECT max(version) FROM photopub_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		set_err(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
		PQclear(res);
		return -1;
	}
	if (!PQgetisnull(res, 0, 0))
		*v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int pg_set_version(struct db *db, int v)
{
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS photopub_schema(version INTEGER NOT NULL);"
			      "DELETE FROM photopub_schema;"
			      "INSERT INTO photopub_schema(version) VALUES(%d)", v);
	int rc = pg_exec(db, sql);
	free(sql);
	return rc;
}

const struct db_ops db_pg_ops = {
	.name = "postgres",
	.dialect = DB_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.errmsg = pg_errmsg,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_text = pg_column_text,
	.column_int64 = pg_column_int64,
	.column_is_null = pg_column_is_null,
	.changes = pg_changes,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.get_version = pg_get_version,
	.set_version = pg_set_version,
};
