/* test_auth.c - the signed admin session: a value signs and verifies, and
 * a hostile value (overlong or overflowing expiry, wrong MAC, bad hex) is
 * refused without undefined behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testutil.h"
#include "util/buf.h"
#include "web/auth.h"

static struct web_auth *auth_new(void)
{
	setenv("WEB_SESSION_SECRET", "a-session-secret-for-the-tests-0123456789", 1);
	struct config cfg = { .web_admin_pw = "admin-pw", .web_admin_cookie_ttl = 3600 };
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

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_session_values),
					    cmocka_unit_test(test_logout_revokes),
					    cmocka_unit_test(test_login_limits_hold_under_a_flood) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
