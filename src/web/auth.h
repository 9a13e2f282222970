/* auth.h - who may call the web API: Bearer token and HTTP Basic (the API
 * auth), the signed admin session cookie `pv2_admin`, and the limit on
 * failed admin logins. All secret comparisons are constant-time. */
#ifndef PHOTOPUB_WEB_AUTH_H
#define PHOTOPUB_WEB_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "util/error.h"

#define ADMIN_COOKIE "pv2_admin"

struct web_auth;

/* Reads the settings from cfg; the session secret is WEB_SESSION_SECRET, or
 * a key generated once and kept (0600) in session_key_path. */
int web_auth_new(const struct config *cfg, const char *session_key_path,
		 struct web_auth **out, struct pp_error *err);
void web_auth_free(struct web_auth *a);

/* Keeps the revoked sessions and the failed logins in st (which must
 * outlive a) instead of this process's memory, so that the replicas of
 * serve over one database answer as one: a logout on one is refused on all,
 * failures on each add up. A state error refuses (the session, the login). */
struct state;
void web_auth_use_state(struct web_auth *a, struct state *st);

/* Whether any API auth (Bearer or Basic) is configured. */
bool web_auth_api_required(const struct web_auth *a);
/* Whether an admin password is configured. */
bool web_auth_admin_configured(const struct web_auth *a);

/* Checks an Authorization header value (may be NULL) against the API auth.
 * True when none is configured. */
bool web_auth_check_api(const struct web_auth *a, const char *authorization);

/* The WWW-Authenticate header value to send with a 401. */
const char *web_auth_challenge(const struct web_auth *a);

/* Checks the admin cookie value (may be NULL): signed, unexpired and not
 * revoked. True when no admin password is configured. */
bool web_auth_check_admin(struct web_auth *a, const char *cookie_value);

/* Ends the session cookie_value carries (logout), server-side: the same
 * value is refused from now on, wherever it was copied. */
void web_auth_revoke(struct web_auth *a, const char *cookie_value);

/* Checks a password against web_admin_pw. */
bool web_auth_password_ok(const struct web_auth *a, const char *password);

/* A new session value "<expiry>.<hex HMAC-SHA256>" valid for the TTL, and
 * the Set-Cookie header value carrying it; caller frees. */
char *web_auth_session_cookie(const struct web_auth *a);
/* The Set-Cookie header value that clears the session; caller frees. */
char *web_auth_clear_cookie(const struct web_auth *a);

/* Login attempts: 0 when client may try, else the seconds it must wait;
 * -1 when the shared state cannot say (web_auth_use_state), and no login
 * is tried. web_auth_login_failed records a failure. */
int web_auth_login_wait(struct web_auth *a, const char *client);
void web_auth_login_failed(struct web_auth *a, const char *client);

/* Signs and verifies session values at a given time (tests). */
char *web_auth_sign(const struct web_auth *a, int64_t expiry);
bool web_auth_verify(const struct web_auth *a, const char *value, int64_t now);

#endif
