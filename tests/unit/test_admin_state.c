/* test_admin_state.c - the web admin's shared state (state.h, admin.c): a
 * session ended on one connection is ended on another until it would have
 * expired, then its row goes; failed logins count per client and for
 * everyone across connections, within their window only. Runs with SQLite
 * and (tests/pg) PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/db.h"
#include "state/state.h"
#include "testutil.h"
#include "util/buf.h"

#define NOW 1800000000
#define WINDOW 60

struct fixture {
	char *dir;
	char *db;
	struct state *a, *b;    /* two replicas' connections */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = tu_scratch_dir();
	f->db = xasprintf("%s/state.db", f->dir);
	f->a = tu_state_open(f->db, false);
	f->b = tu_state_open(f->db, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	state_close(f->a);
	state_close(f->b);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static bool revoked(struct state *st, const char *session, int64_t now)
{
	struct pp_error err = { 0 };
	bool out = true;
	if (state_admin_revoked(st, session, now, &out, &err) < 0)
		fail_msg("state_admin_revoked: %s", err.msg);
	return out;
}

static int64_t count_rows(struct fixture *f, const char *sql)
{
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	struct pp_error err = { 0 };
	const struct db_open_options o = { 0 };
	char *target = tu_state_target(f->db);
	assert_int_equal(db_driver_for(target)->open(target, f->db, &o, &db, &err), 0);
	assert_int_equal(db_prepare(db, sql, &s), 0);
	assert_int_equal(db_step(s), DB_ROW);
	int64_t n = db_column_int64(s, 0);
	db_finalize(s);
	db->ops->close(db);
	free(target);
	return n;
}

static void test_revocation_shared_until_expiry(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	assert_false(revoked(f->b, "s1", NOW));
	assert_int_equal(state_admin_revoke(f->a, "s1", NOW + 100, NOW, &err), 0);
	assert_int_equal(state_admin_revoke(f->a, "s1", NOW + 100, NOW, &err), 0); /* twice: fine */
	assert_true(revoked(f->b, "s1", NOW));
	assert_true(revoked(f->a, "s1", NOW + 99));
	assert_false(revoked(f->b, "s2", NOW));
	assert_false(revoked(f->b, "s1", NOW + 100)); /* it would have expired: no longer matters */
	/* the next revocation prunes the expired ones */
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM admin_revoked"), 1);
	assert_int_equal(state_admin_revoke(f->b, "s2", NOW + 300, NOW + 200, &err), 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM admin_revoked"), 1);
	assert_true(revoked(f->a, "s2", NOW + 200));
}

static int64_t nth(struct state *st, const char *client, int64_t since, int n)
{
	struct pp_error err = { 0 };
	int64_t at = -1;
	if (state_login_nth_failure(st, client, since, n, &at, &err) < 0)
		fail_msg("state_login_nth_failure: %s", err.msg);
	return at;
}

static void test_failures_add_up(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	/* three failures of one client on a, two on b, one of another client */
	for (int i = 0; i < 5; i++)
		assert_int_equal(state_login_failed(i < 3 ? f->a : f->b, "192.0.2.1", NOW + i, WINDOW,
						    &err), 0);
	assert_int_equal(state_login_failed(f->b, "192.0.2.9", NOW + 5, WINDOW, &err), 0);
	assert_int_equal(nth(f->a, "192.0.2.1", NOW + 10 - WINDOW, 1), NOW + 4);
	assert_int_equal(nth(f->b, "192.0.2.1", NOW + 10 - WINDOW, 5), NOW);
	assert_int_equal(nth(f->a, "192.0.2.1", NOW + 10 - WINDOW, 6), 0);
	assert_int_equal(nth(f->a, "192.0.2.9", NOW + 10 - WINDOW, 2), 0);
	assert_int_equal(nth(f->a, NULL, NOW + 10 - WINDOW, 6), NOW);    /* everyone's */
	assert_int_equal(nth(f->a, NULL, NOW + 10 - WINDOW, 1), NOW + 5);
	/* out of the window they no longer count, and the next failure prunes them */
	assert_int_equal(nth(f->a, "192.0.2.1", NOW + 2, 3), 0);
	assert_int_equal(nth(f->a, "192.0.2.1", NOW + 2, 2), NOW + 3);
	assert_int_equal(state_login_failed(f->a, "192.0.2.2", NOW + WINDOW + 3, WINDOW, &err), 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM login_failure"), 3);
	assert_int_equal(nth(f->b, NULL, 0, 4), 0);
}

static void test_read_only_and_ping(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	assert_int_equal(state_ping(f->a, &err), 0);
	struct state *ro = tu_state_open(f->db, true);
	assert_int_equal(state_ping(ro, &err), 0);
	assert_int_equal(state_admin_revoke(ro, "s1", NOW + 100, NOW, &err), -1);
	assert_int_equal(state_login_failed(ro, "192.0.2.1", NOW, WINDOW, &err), -1);
	assert_false(revoked(ro, "s1", NOW));
	state_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_revocation_shared_until_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_add_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_and_ping, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
