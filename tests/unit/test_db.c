/* test_db.c - the contract of db.h that src/state/ relies on, run against
 * the SQLite driver and (tests/pg) the PostgreSQL one: the common SQL subset
 * (?N placeholders, a '?' inside quotes left alone, ON CONFLICT, RETURNING),
 * typed binds and columns, changes, transactions and the schema version; and
 * the URL without its password that messages show. */
#include <stdlib.h>
#include <string.h>
#include "state/db.h"
#include "testutil.h"
#include "util/buf.h"

struct fixture {
	char *dir;
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct pp_error err = { 0 };
	const struct db_open_options o = { .create = true };
	f->dir = tu_scratch_dir();
	char *path = xasprintf("%s/db.sqlite", f->dir);
	char *target = tu_state_target(path);
	if (db_driver_for(target)->open(target, path, &o, &f->db, &err) != 0)
		fail_msg("open: %s", err.msg);
	free(target);
	free(path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	f->db->ops->close(f->db);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void exec_ok(struct db *db, const char *sql)
{
	if (db_exec(db, sql) < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static struct db_stmt *prepare(struct db *db, const char *sql)
{
	struct db_stmt *s = NULL;
	if (db_prepare(db, sql, &s) < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return s;
}

static void test_common_subset(void **state)
{
	struct fixture *f = *state;
	struct db *db = f->db;
	exec_ok(db, "CREATE TABLE t(k TEXT PRIMARY KEY, n BIGINT, v TEXT)");

	struct db_stmt *ins = prepare(db, "INSERT INTO t(k, n, v) VALUES(?1, ?2, ?3)"
				      " ON CONFLICT(k) DO UPDATE SET n = excluded.n");
	db_bind_text(ins, 1, "a");
	db_bind_int64(ins, 2, 9000000000LL); /* past 32 bits */
	db_bind_text(ins, 3, NULL);
	assert_int_equal(db_step(ins), DB_DONE);
	assert_int_equal(db_changes(ins), 1);
	db_reset(ins);
	db_bind_text(ins, 1, "a");
	db_bind_int64(ins, 2, -5);
	db_bind_null(ins, 3);
	assert_int_equal(db_step(ins), DB_DONE); /* the upsert */
	db_reset(ins);
	db_finalize(ins);

	/* a '?' inside quotes is text, the placeholders around it are not */
	struct db_stmt *q = prepare(db, "SELECT n, v, '?' || k FROM t WHERE k = ?1 AND (?2 IS NULL"
				    " OR v = ?2)");
	db_bind_text(q, 1, "a");
	db_bind_text(q, 2, NULL);
	assert_int_equal(db_step(q), DB_ROW);
	assert_int_equal(db_column_int64(q, 0), -5);
	assert_true(db_column_is_null(q, 1));
	assert_null(db_column_text(q, 1));
	assert_string_equal(db_column_text(q, 2), "?a");
	assert_int_equal(db_step(q), DB_DONE);
	db_reset(q);
	db_bind_text(q, 1, "nope");
	assert_int_equal(db_step(q), DB_DONE);
	db_finalize(q);

	/* UPDATE counts its rows; an error says why */
	struct db_stmt *u = prepare(db, "UPDATE t SET v = ?2 WHERE k = ?1");
	db_bind_text(u, 1, "zzz");
	db_bind_text(u, 2, "x");
	assert_int_equal(db_step(u), DB_DONE);
	assert_int_equal(db_changes(u), 0);
	db_finalize(u);
	assert_int_equal(db_exec(db, "SELECT * FROM no_such_table"), -1);
	assert_non_null(strstr(db_errmsg(db), "no_such_table"));
}

static void test_returning_and_transactions(void **state)
{
	struct fixture *f = *state;
	struct db *db = f->db;
	exec_ok(db, db->ops->dialect == DB_POSTGRES
		? "CREATE TABLE j(id BIGSERIAL PRIMARY KEY, name TEXT)"
		: "CREATE TABLE j(id INTEGER PRIMARY KEY, name TEXT)");
	struct db_stmt *ins = prepare(db, "INSERT INTO j(name) VALUES(?1) RETURNING id");
	int64_t ids[2];
	for (int i = 0; i < 2; i++) {
		db_reset(ins);
		db_bind_text(ins, 1, i ? "second" : "first");
		assert_int_equal(db_step(ins), DB_ROW);
		ids[i] = db_column_int64(ins, 0);
	}
	db_finalize(ins);
	assert_true(ids[1] > ids[0]);

	/* rolled back: gone; committed: kept */
	assert_int_equal(db_begin(db), 0);
	exec_ok(db, "INSERT INTO j(name) VALUES('undone')");
	db_rollback(db);
	assert_int_equal(db_begin(db), 0);
	exec_ok(db, "INSERT INTO j(name) VALUES('kept')");
	assert_int_equal(db_commit(db), 0);
	struct db_stmt *c = prepare(db, "SELECT count(*) FROM j WHERE name = ?1");
	db_bind_text(c, 1, "undone");
	assert_int_equal(db_step(c), DB_ROW);
	assert_int_equal(db_column_int64(c, 0), 0);
	db_reset(c);
	db_bind_text(c, 1, "kept");
	assert_int_equal(db_step(c), DB_ROW);
	assert_int_equal(db_column_int64(c, 0), 1);
	db_finalize(c);

	/* the schema version starts at 0 and keeps what is set */
	int v = -1;
	assert_int_equal(db->ops->get_version(db, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(db->ops->set_version(db, 7), 0);
	assert_int_equal(db->ops->get_version(db, &v), 0);
	assert_int_equal(v, 7);
}

/* PostgreSQL: a session the server ended (a restart, an administrator) is
 * made again for the next statement outside a transaction. */
static void test_reconnect(void **state)
{
	struct fixture *f = *state;
	if (!tu_state_pg())
		skip(); /* a SQLite file has no server */
	struct db_stmt *s = prepare(f->db, "SELECT pg_backend_pid()");
	assert_int_equal(db_step(s), DB_ROW);
	int64_t pid = db_column_int64(s, 0);
	db_finalize(s);

	struct db *other = NULL;
	struct pp_error err = { 0 };
	const struct db_open_options o = { 0 };
	char *target = tu_state_target("reconnect");
	assert_int_equal(db_pg_ops.open(target, "other", &o, &other, &err), 0);
	free(target);
	/* waits (up to 10 s) until that backend is gone */
	char *sql = xasprintf("SELECT pg_terminate_backend(%lld, 10000)", (long long)pid);
	exec_ok(other, sql);
	free(sql);
	other->ops->close(other);

	s = prepare(f->db, "SELECT pg_backend_pid()");
	if (db_step(s) != DB_ROW)
		fail_msg("after the session ended: %s", db_errmsg(f->db));
	assert_true(db_column_int64(s, 0) != pid);
	db_finalize(s);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_commit(f->db), 0);
}

static void test_url_redact(void **state)
{
	(void)state;
	static const struct {
		const char *url, *shown, *password;
	} cases[] = {
		{ "postgresql://u:s3cret@db.example:5432/p", "postgresql://u@db.example:5432/p", "s3cret" },
		{ "postgres://u:p%40ss@h/d?sslmode=require", "postgres://u@h/d?sslmode=require", "p%40ss" },
		{ "postgresql://u@h/d", "postgresql://u@h/d", NULL },
		{ "postgresql://h/d?user=u", "postgresql://h/d?user=u", NULL },
		{ "postgresql:///d?host=/run/pg", "postgresql:///d?host=/run/pg", NULL },
		{ "postgresql://u:a:b@h/d", "postgresql://u@h/d", "a:b" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *pw = NULL;
		char *shown = db_url_redact(cases[i].url, &pw);
		assert_string_equal(shown, cases[i].shown);
		if (cases[i].password)
			assert_string_equal(pw, cases[i].password);
		else
			assert_null(pw);
		free(shown);
		free(pw);
	}
	assert_true(db_is_url("postgresql://h/d"));
	assert_true(db_is_url("postgres://h/d"));
	assert_false(db_is_url("/var/lib/photopub/state.db"));
	assert_ptr_equal(db_driver_for("state.db"), &db_sqlite_ops);
	assert_ptr_equal(db_driver_for("postgres://h/d"), &db_pg_ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_common_subset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_and_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
		cmocka_unit_test(test_url_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
