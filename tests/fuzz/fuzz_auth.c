/* fuzz_auth.c - the admin session cookie and the API's Authorization header
 * through web/auth.c with a fixed session key and a fixed clock: the Cookie
 * header's pv2_admin value, its expiry digits, length checks and MAC
 * comparison, and Bearer and Basic parsing. The input is the Cookie header
 * on its first line and the Authorization header on its second. */
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "fuzz.h"
#include "web/auth.h"
#include "web/request.h"

/* 2026-11-29T07:00:00Z: the seeds' sessions expire within the hour after it. */
#define NOW 1795935600

static struct web_auth *auth;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config cfg = {
		.web_auth_token = "fuzz-bearer-token",
		.web_auth_user = "ana",
		.web_auth_pass = "fuzz-basic-pass",
		.web_admin_pw = "fuzz-admin-pw",
		.web_admin_cookie_ttl = 3600,
		.web_session_secret = "fuzz-session-secret",
	};
	struct pp_error err = { 0 };
	fuzz_quiet_logs();
	return web_auth_new(&cfg, "/nonexistent/session.key", &auth, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *cookie = fuzz_line(&p, end);
	char *authorization = fuzz_line(&p, end);

	char *value = request_cookie(cookie, ADMIN_COOKIE);
	if (web_auth_verify(auth, value, NOW)) {
		/* only what we signed verifies */
		char *again = web_auth_sign(auth, strtoll(value, NULL, 10));
		if (strcmp(again, value))
			abort();
		free(again);
	}
	(void)web_auth_verify(auth, cookie, NOW);
	(void)web_auth_check_api(auth, authorization);
	(void)web_auth_password_ok(auth, authorization);

	free(value);
	free(cookie);
	free(authorization);
	return 0;
}
