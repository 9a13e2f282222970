/* test_auth.c - the signed admin session: a value signs and verifies, and
 * a hostile value (overlong or overflowing expiry, wrong MAC, bad hex) is
 * refused without undefined behaviour; logouts and the login limit, in
 * memory and shared by two servers through one state (SQLite and, under
 * tests/pg, PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state/state.h"
#include "testutil.h"
#include "util/buf.h"
#include "web/auth.h"

/* With shared, the session secret every such server has (replicas);
 * without, a key file of its own. */
static struct web_auth *auth_with(bool shared)
{
	setenv("WEB_SESSION_SECRET", "a-session-secret-for-the-tests-0123456789", 1);
	struct config cfg = { .web_admin_pw = "admin-pw", .web_admin_cookie_ttl = 3600,
			      .web_session_secret = shared ? "a-secret-replicas-share" : NULL };
	struct web_auth *a = NULL;
	struct pp_error err = { 0 };
	char *dir = tu_mkdtemp();
	char *key = xasprintf("%s/session.key", dir);
	assert_int_equal(web_auth_new(&cfg, key, &a, &err), 0);
	free(key);
	tu_rmrf(dir);
	free(dir);
	return a;
}

static struct web_auth *auth_new(void)
{
	return auth_with(false);
}

static void test_session_values(void **state)
{
	(void)state;
	struct web_auth *a = auth_new();
	const int64_t now = 1800000000;
	char *good = web_auth_sign(a, now + 600);
	assert_true(web_auth_verify(a, good, now));
	assert_false(web_auth_verify(a, good, now + 601));      /* expired */

	const char *mac = strchr(good, '.') + 1;
	static const char *const expiries[] = {
		"9999999999999999999", "99999999999999999999", "18446744073709551616",
		"9223372036854775808", "0000000000000000000001800000600", "-1", "", "1e9",
	};
	for (size_t i = 0; i < sizeof(expiries) / sizeof(*expiries); i++) {
		char *v = xasprintf("%s.%s", expiries[i], mac);
		assert_false(web_auth_verify(a, v, now));
		free(v);
	}
	char *bad = xstrdup(good);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0'; /* one MAC digit */
	assert_false(web_auth_verify(a, bad, now));
	free(bad);
	assert_false(web_auth_verify(a, NULL, now));
	assert_false(web_auth_verify(a, "1800000600", now));
	free(good);
	web_auth_free(a);
	unsetenv("WEB_SESSION_SECRET");
}

static void test_logout_revokes(void **state)
{
	(void)state;
	struct web_auth *a = auth_new();
	char *one = web_auth_session_cookie(a), *two = web_auth_session_cookie(a);
	/* "pv2_admin=<value>; …" */
	char *v1 = xstrndup(strchr(one, '=') + 1, strcspn(strchr(one, '=') + 1, ";"));
	char *v2 = xstrndup(strchr(two, '=') + 1, strcspn(strchr(two, '=') + 1, ";"));
	assert_true(web_auth_check_admin(a, v1));
	web_auth_revoke(a, v1);
	assert_false(web_auth_check_admin(a, v1));
	assert_true(web_auth_check_admin(a, v2) || strcmp(v1, v2) == 0);
	web_auth_revoke(a, NULL);
	web_auth_revoke(a, "garbage");
	/* More revocations than the table holds: the newest are still refused. */
	for (int i = 0; i < 300; i++) {
		char *v = web_auth_sign(a, (int64_t)time(NULL) + 60 + i);
		web_auth_revoke(a, v);
		if (i == 299)
			assert_false(web_auth_check_admin(a, v));
		free(v);
	}
	free(v1);
	free(v2);
	free(one);
	free(two);
	web_auth_free(a);
	unsetenv("WEB_SESSION_SECRET");
}

static void test_login_limits_hold_under_a_flood(void **state)
{
	(void)state;
	struct web_auth *a = auth_new();
	char addr[64];
	/* More clients than the table holds, one failure each (under the
	 * global budget per client), then a client never seen: still counted. */
	for (int i = 0; i < 1100; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250);
		web_auth_login_failed(a, addr);
	}
	assert_true(web_auth_login_wait(a, "192.0.2.1") > 0); /* the global budget is spent */
	web_auth_free(a);

	a = auth_new();
	for (int i = 0; i < 5; i++) {
		assert_int_equal(web_auth_login_wait(a, "192.0.2.7"), 0);
		web_auth_login_failed(a, "192.0.2.7");
	}
	assert_true(web_auth_login_wait(a, "192.0.2.7") > 0);
	assert_int_equal(web_auth_login_wait(a, "192.0.2.8"), 0);    /* others may go on */
	web_auth_free(a);
	unsetenv("WEB_SESSION_SECRET");
}

/* Two servers (replicas) over one state: a logout on one is one on the
 * other, and failures on both add up to the limit. */
static void test_replicas_share_through_the_state(void **state)
{
	(void)state;
	char *dir = tu_scratch_dir();
	char *db = xasprintf("%s/state.db", dir);
	struct state *sa = tu_state_open(db, false), *sb = tu_state_open(db, false);
	struct web_auth *a = auth_with(true), *b = auth_with(true);
	web_auth_use_state(a, sa);
	web_auth_use_state(b, sb);
	char *v = web_auth_sign(a, (int64_t)time(NULL) + 600);
	assert_true(web_auth_check_admin(b, v));
	web_auth_revoke(a, v);
	assert_false(web_auth_check_admin(b, v));
	assert_false(web_auth_check_admin(a, v));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(web_auth_login_wait(i % 2 ? a : b, "192.0.2.7"), 0);
		web_auth_login_failed(i % 2 ? a : b, "192.0.2.7");
	}
	assert_true(web_auth_login_wait(a, "192.0.2.7") > 0);
	assert_true(web_auth_login_wait(b, "192.0.2.7") > 0);
	assert_int_equal(web_auth_login_wait(b, "192.0.2.8"), 0);
	/* A server started later (a restart) still refuses and waits. */
	struct web_auth *c = auth_with(true);
	web_auth_use_state(c, sa);
	assert_false(web_auth_check_admin(c, v));
	assert_true(web_auth_login_wait(c, "192.0.2.7") > 0);
	free(v);
	web_auth_free(a);
	web_auth_free(b);
	web_auth_free(c);
	state_close(sa);
	state_close(sb);
	tu_rmrf(dir);
	free(dir);
	free(db);
	unsetenv("WEB_SESSION_SECRET");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_session_values),
					    cmocka_unit_test(test_logout_revokes),
					    cmocka_unit_test(test_login_limits_hold_under_a_flood),
					    cmocka_unit_test(test_replicas_share_through_the_state) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
