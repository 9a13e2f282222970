/* auth.c - API auth (Bearer, Basic), the admin session cookie and the login
 * limiter.
 *
 * The session value is "<expiry unix seconds>.<hex HMAC-SHA256(secret,
 * "pv2_admin:" + expiry)>": it cannot be forged without the server secret,
 * it expires by itself, and checking it needs no server-side session table.
 * Upstream's cookie was the constant "1"; the name stays, so bookmarks and
 * proxies keep working.
 *
 * Revocations and failed logins live in this process's memory, or, with
 * web_auth_use_state, in the state (state/admin.c), which replicas share;
 * never both, so there is no cache to keep coherent. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "state/state.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/hex.h"
#include "util/random.h"
#include "web/auth.h"

#define MAX_FAILURES 5          /* per client and window */
#define WINDOW_S 60
#define MAX_CLIENTS 1024        /* clients remembered; then the longest quiet one goes */
#define GLOBAL_FAILURES 60      /* per window, all clients together: a flood from
				   many addresses is limited too */

struct client_failures {
	char addr[64];
	int64_t at[MAX_FAILURES];   /* times of the last failures, oldest first */
	int n;
};

#define REVOKED_MAX 256 /* sessions ended by logout, kept until they expire */

struct web_auth {
	char *token;                /* Bearer */
	char *basic_user, *basic_pass;
	char *admin_pw;
	char *challenge;
	unsigned char secret[32];
	int ttl;
	bool secure;
	struct state *st;           /* NULL: the tables below */
	pthread_mutex_t lock;       /* the login limiter and the revoked sessions */
	struct client_failures *clients;   /* MAX_CLIENTS slots */
	size_t nclients;
	int64_t global_at[GLOBAL_FAILURES]; /* the last failures of anyone, a ring */
	size_t global_next;
	/* Sessions logout ended before they expired: a copied cookie stops
	 * working with its logout. Entries go when their session would have
	 * expired; when all are in use the one that expires first is replaced. */
	struct revoked {
		int64_t expiry;
		char value[96];
	} revoked[REVOKED_MAX];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* Equal strings, in time that depends only on the lengths. */
static bool same(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = strlen(a), lb = strlen(b);
	/* Compare digests so that the length of the secret does not leak either. */
	unsigned char da[32], db[32];
	unsigned int n;
	EVP_Digest(a, la, da, &n, EVP_sha256(), NULL);
	EVP_Digest(b, lb, db, &n, EVP_sha256(), NULL);
	return CRYPTO_memcmp(da, db, 32) == 0;
}

static int load_secret(struct web_auth *a, const struct config *cfg, const char *path,
		       struct pp_error *err)
{
	if (cfg->web_session_secret) {
		unsigned int n;
		HMAC(EVP_sha256(), "photopub-session", 16,
		     (const unsigned char *)cfg->web_session_secret, strlen(cfg->web_session_secret),
		     a->secret, &n);
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, &text, &len, 1024, NULL) == 0 && len >= 64 &&
	    hex_decode(text, a->secret, sizeof(a->secret)) == 0) {
		free(text);
		return 0;
	}
	free(text);
	if (random_bytes(a->secret, sizeof(a->secret)) < 0)
		return pp_fail(err, "web.auth", "cannot read random bytes for the session key");
	char hex[65];
	hex_encode(a->secret, 32, hex);
	hex[64] = '\n';
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		fs_mkdir_p(dir, 0700, NULL);
	}
	free(dir);
	if (fs_write_atomic(path, hex, 65, 0600, err) < 0)
		return -1;
	log_info("web", "session_key_created", NULL, LF_STR("path", path));
	return 0;
}

int web_auth_new(const struct config *cfg, const char *session_key_path,
		 struct web_auth **out, struct pp_error *err)
{
	struct web_auth *a = xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->token = cfg->web_auth_token ? xstrdup(cfg->web_auth_token) : NULL;
	if (cfg->web_auth_user && cfg->web_auth_pass) {
		a->basic_user = xstrdup(cfg->web_auth_user);
		a->basic_pass = xstrdup(cfg->web_auth_pass);
	}
	a->admin_pw = cfg->web_admin_pw ? xstrdup(cfg->web_admin_pw) : NULL;
	a->ttl = cfg->web_admin_cookie_ttl;
	a->secure = cfg->web_secure_cookies;
	a->challenge = xstrdup(a->token ? "Bearer realm=\"photopub\"" : "Basic realm=\"photopub\"");
	if (load_secret(a, cfg, session_key_path, err) < 0) {
		web_auth_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

void web_auth_free(struct web_auth *a)
{
	if (!a)
		return;
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a->token);
	free(a->basic_user);
	free(a->basic_pass);
	free(a->admin_pw);
	free(a->challenge);
	free(a->clients);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void web_auth_use_state(struct web_auth *a, struct state *st)
{
	a->st = st;
}

/* A state error of the limiter or the revocations: logged, and the caller
 * refuses. */
static void state_error(const struct pp_error *err)
{
	log_warning("web", "web_auth_state_error", NULL, LF_STR("error", err->msg));
}

/* The digest the state keeps of a session value, in hex: the state never
 * holds a cookie. */
static void session_digest(const char *value, char out[65])
{
	unsigned char d[32];
	unsigned int n;
	EVP_Digest(value, strlen(value), d, &n, EVP_sha256(), NULL);
	hex_encode(d, 32, out);
	out[64] = '\0';
}

bool web_auth_api_required(const struct web_auth *a)
{
	return a->token || a->basic_user;
}

bool web_auth_admin_configured(const struct web_auth *a)
{
	return a->admin_pw != NULL;
}

const char *web_auth_challenge(const struct web_auth *a)
{
	return a->challenge;
}

static bool check_basic(const struct web_auth *a, const char *b64)
{
	size_t n = strlen(b64);
	if (n == 0 || n > 1024)
		return false;
	unsigned char *dec = xmalloc(n + 1);
	int len = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
	bool ok = false;
	if (len > 0) {
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		while (len > 0 && n > 0 && b64[n - 1] == '=') {
			len--;
			n--;
		}
		dec[len] = '\0';
		char *colon = memchr(dec, ':', (size_t)len);
		if (colon && strlen((char *)dec) == (size_t)len) {
			*colon = '\0';
			bool u = same((char *)dec, a->basic_user);
			bool p = same(colon + 1, a->basic_pass);
			ok = u & p;
		}
	}
	OPENSSL_cleanse(dec, n + 1);
	free(dec);
	return ok;
}

bool web_auth_check_api(const struct web_auth *a, const char *h)
{
	if (!web_auth_api_required(a))
		return true;
	if (!h)
		return false;
	while (*h == ' ')
		h++;
	if (a->token && !strncasecmp(h, "Bearer ", 7)) {
		const char *v = h + 7;
		while (*v == ' ')
			v++;
		return same(v, a->token);
	}
	if (a->basic_user && !strncasecmp(h, "Basic ", 6)) {
		const char *v = h + 6;
		while (*v == ' ')
			v++;
		return check_basic(a, v);
	}
	return false;
}

bool web_auth_password_ok(const struct web_auth *a, const char *password)
{
	return a->admin_pw && password && same(password, a->admin_pw);
}

char *web_auth_sign(const struct web_auth *a, int64_t expiry)
{
	char msg[64];
	unsigned char mac[32];
	unsigned int n;
	int len = snprintf(msg, sizeof(msg), ADMIN_COOKIE ":%lld", (long long)expiry);
	HMAC(EVP_sha256(), a->secret, sizeof(a->secret), (const unsigned char *)msg, (size_t)len,
	     mac, &n);
	char hex[65];
	hex_encode(mac, 32, hex);
	return xasprintf("%lld.%s", (long long)expiry, hex);
}

bool web_auth_verify(const struct web_auth *a, const char *value, int64_t now)
{
	if (!value)
		return false;
	const char *dot = strchr(value, '.');
	/* 12 digits reach the year 33658: more can only overflow the number */
	if (!dot || dot == value || dot - value > 12 || strlen(dot + 1) != 64)
		return false;
	int64_t expiry = 0;
	for (const char *p = value; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return false;
		expiry = expiry * 10 + (*p - '0');
	}
	char *want = web_auth_sign(a, expiry);
	size_t wl = strlen(want); /* lengths are public: only the MAC is secret */
	bool ok = wl == strlen(value) && CRYPTO_memcmp(want, value, wl) == 0;
	free(want);
	return ok && expiry > now && expiry <= now + a->ttl + 5;
}

/* Whether value (a verified session) was revoked; takes a->lock. */
static bool is_revoked(struct web_auth *a, const char *value, int64_t now)
{
	bool found = false;
	if (a->st) {
		char digest[65];
		struct pp_error err = { 0 };
		session_digest(value, digest);
		if (state_admin_revoked(a->st, digest, now, &found, &err) < 0) {
			state_error(&err);
			return true;
		}
		return found;
	}
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < REVOKED_MAX && !found; i++)
		found = a->revoked[i].expiry > now && same(a->revoked[i].value, value);
	pthread_mutex_unlock(&a->lock);
	return found;
}

bool web_auth_check_admin(struct web_auth *a, const char *cookie_value)
{
	if (!a->admin_pw)
		return true;
	int64_t now = now_s();
	return web_auth_verify(a, cookie_value, now) && !is_revoked(a, cookie_value, now);
}

void web_auth_revoke(struct web_auth *a, const char *cookie_value)
{
	int64_t now = now_s();
	if (!a->admin_pw || !web_auth_verify(a, cookie_value, now) ||
	    strlen(cookie_value) >= sizeof(a->revoked[0].value))
		return;
	int64_t expiry = (int64_t)strtoll(cookie_value, NULL, 10);
	if (a->st) {
		char digest[65];
		struct pp_error err = { 0 };
		session_digest(cookie_value, digest);
		if (state_admin_revoke(a->st, digest, expiry, now, &err) < 0)
			state_error(&err);
		return;
	}
	pthread_mutex_lock(&a->lock);
	size_t slot = 0;
	for (size_t i = 0; i < REVOKED_MAX; i++)
		if (a->revoked[i].expiry < a->revoked[slot].expiry)
			slot = i; /* a free (0) or expired entry, else the one expiring first */
	a->revoked[slot].expiry = expiry;
	snprintf(a->revoked[slot].value, sizeof(a->revoked[slot].value), "%s", cookie_value);
	pthread_mutex_unlock(&a->lock);
}

char *web_auth_session_cookie(const struct web_auth *a)
{
	char *value = web_auth_sign(a, now_s() + a->ttl);
	char *c = xasprintf(ADMIN_COOKIE "=%s; Max-Age=%d; Path=/; HttpOnly; SameSite=Lax%s", value,
			    a->ttl, a->secure ? "; Secure" : "");
	free(value);
	return c;
}

char *web_auth_clear_cookie(const struct web_auth *a)
{
	return xasprintf(ADMIN_COOKIE "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax%s",
			 a->secure ? "; Secure" : "");
}

static int64_t last_failure(const struct client_failures *c)
{
	return c->n ? c->at[c->n - 1] : 0;
}

/* The client's entry; with create, a new one in a free slot or in place of
 * the client whose last failure is the oldest, so the table stays bounded
 * and a client it has never seen is counted all the same. */
static struct client_failures *find_client(struct web_auth *a, const char *client, bool create)
{
	for (size_t i = 0; i < a->nclients; i++)
		if (!strcmp(a->clients[i].addr, client))
			return &a->clients[i];
	if (!create)
		return NULL;
	if (!a->clients)
		a->clients = xcalloc(MAX_CLIENTS, sizeof(*a->clients));
	struct client_failures *c;
	if (a->nclients < MAX_CLIENTS) {
		c = &a->clients[a->nclients++];
	} else {
		c = &a->clients[0];
		for (size_t i = 1; i < a->nclients; i++)
			if (last_failure(&a->clients[i]) < last_failure(c))
				c = &a->clients[i];
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->addr, sizeof(c->addr), "%s", client);
	return c;
}

/* Seconds until the oldest of the last GLOBAL_FAILURES failures leaves the
 * window, when all of them are in it; else 0. */
static int global_wait(const struct web_auth *a, int64_t now)
{
	int64_t oldest = a->global_at[a->global_next]; /* the ring's next slot is its oldest */
	if (!oldest || now - oldest >= WINDOW_S)
		return 0;
	return (int)(WINDOW_S - (now - oldest));
}

static void expire(struct client_failures *c, int64_t now)
{
	int keep = 0;
	for (int i = 0; i < c->n; i++)
		if (now - c->at[i] < WINDOW_S)
			c->at[keep++] = c->at[i];
	c->n = keep;
}

/* Seconds until the nth newest failure (of client, or of anyone when NULL)
 * leaves the window, when there are n in it; else 0; -1 on a state error. */
static int state_wait(struct web_auth *a, const char *client, int n, int64_t now)
{
	int64_t at = 0;
	struct pp_error err = { 0 };
	if (state_login_nth_failure(a->st, client, now - WINDOW_S, n, &at, &err) < 0) {
		state_error(&err);
		return -1;
	}
	return at && now - at < WINDOW_S ? (int)(WINDOW_S - (now - at)) : 0;
}

int web_auth_login_wait(struct web_auth *a, const char *client)
{
	int wait = 0;
	int64_t now = now_s();
	if (a->st) {
		wait = state_wait(a, client, MAX_FAILURES, now);
		int g = wait < 0 ? -1 : state_wait(a, NULL, GLOBAL_FAILURES, now);
		if (g < 0)
			return -1;
		return g > wait ? g : wait;
	}
	pthread_mutex_lock(&a->lock);
	struct client_failures *c = find_client(a, client, false);
	if (c) {
		expire(c, now);
		if (c->n >= MAX_FAILURES)
			wait = (int)(WINDOW_S - (now - c->at[0]));
	}
	int g = global_wait(a, now);
	if (g > wait)
		wait = g;
	pthread_mutex_unlock(&a->lock);
	return wait > 0 ? wait : 0;
}

void web_auth_login_failed(struct web_auth *a, const char *client)
{
	int64_t now = now_s();
	if (a->st) {
		struct pp_error err = { 0 };
		if (state_login_failed(a->st, client, now, WINDOW_S, &err) < 0)
			state_error(&err);
		return;
	}
	pthread_mutex_lock(&a->lock);
	struct client_failures *c = find_client(a, client, true);
	expire(c, now);
	if (c->n == MAX_FAILURES) {
		memmove(c->at, c->at + 1, (MAX_FAILURES - 1) * sizeof(c->at[0]));
		c->n--;
	}
	c->at[c->n++] = now;
	a->global_at[a->global_next] = now;
	a->global_next = (a->global_next + 1) % GLOBAL_FAILURES;
	pthread_mutex_unlock(&a->lock);
}
