/* dropbox.c - the Dropbox storage backend, on the Dropbox API v2:
 * POST oauth2/token (refresh-token grant); RPC on api_url: /2/files/list_folder,
 * /2/files/list_folder/continue, /2/files/get_temporary_link, /2/files/get_metadata,
 * /2/files/create_folder_v2, /2/files/move_v2, /2/files/delete_v2; content on
 * content_url: /2/files/download, /2/files/upload, /2/files/get_thumbnail_v2 (arguments
 * in Dropbox-API-Arg).
 * Owns one HTTP client and the access token (in memory only, under a mutex).
 * What it reads in the replies is in the functions dropbox.h declares. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "caption/sidecar.h"
#include "net/http.h"
#include "storage/dropbox.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/url.h"

#define LOGGER "storage"
#define WHERE "storage.dropbox"
#define SIDECAR_MAX (1u << 20)
#define UPLOAD_MAX ((size_t)150 << 20)   /* the upload endpoint's limit */
#define ERROR_BODY_MAX 65536
#define MAX_PAGES 100000
#define STAGING ".photopub-staging"
#define THUMBNAIL_MAX ((size_t)8 << 20)
#define MAX_AUTORENAME 1000
/* A token is renewed this long before the expiry the server announced. */
#define TOKEN_MARGIN_NS ((int64_t)120 * 1000000000)
#define TOKEN_LIFETIME_MAX_S ((json_int_t)366 * 86400)

struct dropbox {
	struct storage base;
	struct http_client *http;
	char *folder;            /* image folder without a trailing '/'; "" is the root */
	char *archive;           /* archive folder name inside it */
	char *api, *content, *oauth; /* base URLs without a trailing '/' */
	char *app_key, *app_secret, *refresh_token;
	atomic_bool archive_ready; /* the archive folder is known to exist */

	pthread_mutex_t lock;    /* guards the three fields below */
	char *token;             /* access token, NULL until the first call */
	int64_t token_expires;   /* monotonic ns; 0 when the server said nothing */
	unsigned token_gen;      /* bumped by every refresh */
};

static struct dropbox *to_dbx(struct storage *s)
{
	return (struct dropbox *)s;
}

static const char *cid(const struct pp_ctx *ctx)
{
	return ctx ? ctx->correlation_id : NULL;
}

static char *trim_slash(const char *url)
{
	char *s = xstrdup(url ? url : "");
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/* "<folder>/<name>"; the root folder gives "/<name>". Caller frees. */
static char *path_in(const char *folder, const char *name)
{
	return xasprintf("%s/%s", folder, name);
}

/* ---- errors -------------------------------------------------------------- */

/* The .tag tree of a Dropbox error as "a/b/c": {".tag":"path","path":{".tag":
 * "not_found"}} gives "path/not_found". A union member that is a struct has its
 * fields beside its tag (upload's {".tag":"path","reason":{".tag":"conflict",…}}),
 * so when the member named by the tag is absent the walk goes on into the
 * first field that carries a tag of its own. */
static void tag_path(json_t *e, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (int depth = 0; depth < 8 && json_is_object(e); depth++) {
		const char *t = json_string_value(json_object_get(e, ".tag"));
		json_t *next = NULL;
		if (t) {
			int w = snprintf(out + n, cap - n, "%s%s", n ? "/" : "", t);
			if (w < 0 || (size_t)w >= cap - n)
				break;
			n += (size_t)w;
			next = json_object_get(e, t);
		}
		if (!json_is_object(next)) {
			const char *k;
			json_t *v;
			next = NULL;
			json_object_foreach(e, k, v)
				if (json_is_object(v) && json_object_get(v, ".tag")) {
					next = v;
					break;
				}
		}
		e = next;
	}
}

/* True when tags is prefix or starts with prefix followed by '/'. */
static bool tag_is(const char *tags, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(tags, prefix, n) && (tags[n] == '\0' || tags[n] == '/');
}

static bool tag_has(const char *tags, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = tags; (p = strstr(p, word)); p += n)
		if ((p == tags || p[-1] == '/') && (p[n] == '\0' || p[n] == '/'))
			return true;
	return false;
}

/* A short printable excerpt of a non-JSON error body, for messages. */
static void excerpt(const char *body, size_t len, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < len && j + 1 < cap && j < 160; i++) {
		unsigned char c = (unsigned char)body[i];
		out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[j] = '\0';
}

/* ---- one call ------------------------------------------------------------ */

enum call_kind { CALL_RPC, CALL_UPLOAD, CALL_DOWNLOAD };

struct call {
	/* in */
	const char *endpoint;    /* "list_folder", "download", … */
	enum call_kind kind;
	json_t *arg;             /* borrowed */
	const void *body;        /* CALL_UPLOAD: the bytes */
	size_t body_len;
	int download_fd;         /* CALL_DOWNLOAD: >= 0 the body goes there, else into data */
	/* out */
	long status;
	json_t *reply;           /* RPC, upload: the body; download: Dropbox-API-Result */
	struct buf data;         /* CALL_DOWNLOAD without a fd */
	char tags[160];          /* the error's .tag tree, "" when none */
};

static void call_release(struct call *c)
{
	json_decref(c->reply);
	c->reply = NULL;
	buf_release(&c->data);
}

/* The Dropbox-API-Arg header for arg: JSON with every character outside
 * 0x20..0x7E escaped as \uXXXX (jansson escapes non-ASCII; DEL is added here:
 * Dropbox refuses it raw too). Caller frees. */
static char *arg_header(json_t *arg)
{
	char *s = json_dumps(arg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!s)
		return NULL;
	struct buf b = BUF_INIT;
	buf_adds(&b, "Dropbox-API-Arg: ");
	for (const char *p = s; *p; p++) {
		if (*p == 0x7f)
			buf_adds(&b, "\\u007f");
		else
			buf_addc(&b, *p);
	}
	free(s);
	return buf_detach(&b);
}

static char *basic_auth(const char *user, const char *pass)
{
	char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	char *enc = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)plain, (int)n);
	char *h = xasprintf("Authorization: Basic %s", enc);
	xfree_secret(plain);
	xfree_secret(enc);
	return h;
}

int dropbox_parse_token_reply(long status, const char *body, size_t len, char **token,
			      int64_t *expires_in, struct pp_error *err)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	int rc = -1;

	*token = NULL;
	*expires_in = 0;
	if (status < 200 || status >= 300) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *desc = json_string_value(json_object_get(j, "error_description"));
		char ex[200] = "";
		if (!e)
			excerpt(body, len, ex, sizeof(ex));
		bool server = status >= 500 || status == 429;
		pp_fail_kind(err, WHERE,
			     server ? (status == 429 ? PP_ERR_RATE_LIMITED : PP_ERR_UNAVAILABLE) : PP_ERR_AUTH,
			     "Dropbox refused the token refresh (oauth2/token: HTTP %ld%s%s%s%s)%s",
			     status, e || *ex ? ", " : "", e ? e : ex, desc ? ": " : "",
			     desc ? desc : "",
			     !server && e && !strcmp(e, "invalid_grant")
				     ? ": check DROPBOX_REFRESH_TOKEN"
				     : !server && e && !strcmp(e, "invalid_client")
					       ? ": check DROPBOX_APP_KEY and DROPBOX_APP_SECRET"
					       : "");
		err->http_status = (int)status;
		err->transient = server;
		goto out;
	}
	const char *tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok) {
		pp_fail_kind(err, WHERE, PP_ERR_AUTH,
			     "Dropbox's oauth2/token reply (HTTP %ld) has no access_token", status);
		err->http_status = (int)status;
		goto out;
	}
	*token = xstrdup(tok);
	/* A lifetime beyond a year is no token's: read it as unknown (the
	 * token is then renewed on its first 401), not as a deadline the
	 * clock cannot hold. */
	json_int_t expires = json_integer_value(json_object_get(j, "expires_in"));
	*expires_in = expires > 0 && expires <= TOKEN_LIFETIME_MAX_S ? (int64_t)expires : 0;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Fetches a new access token with the refresh token. Holds d->lock. */
static int token_refresh_locked(struct dropbox *d, const struct pp_ctx *ctx, const char *reason,
				struct pp_error *err)
{
	char *rt = url_escape(d->refresh_token);
	char *key = url_escape(d->app_key);
	char *body = d->app_secret
			     ? xasprintf("grant_type=refresh_token&refresh_token=%s", rt)
			     : xasprintf("grant_type=refresh_token&refresh_token=%s&client_id=%s", rt, key);
	char *auth = d->app_secret ? basic_auth(d->app_key, d->app_secret) : NULL;
	char *url = xasprintf("%s/oauth2/token", d->oauth);
	const char *headers[] = { "Content-Type: application/x-www-form-urlencoded",
				  "Accept: application/json", auth, NULL };
	struct http_request req = {
		.method = "POST", .url = url, .headers = headers, .body = body,
		.body_len = strlen(body), .correlation_id = cid(ctx),
		.what = "dropbox oauth2/token", .download_fd = -1,
	};
	struct http_response resp = { 0 };
	char *tok = NULL;
	int64_t expires = 0;
	int rc = -1;
	int64_t t0 = now_monotonic();

	xfree_secret(rt);
	free(key);
	if (http_call(d->http, &req, &resp, err) < 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		pp_fail(err, WHERE, "cannot get a Dropbox access token: %s", why);
		goto out;
	}
	if (dropbox_parse_token_reply(resp.status, buf_str(&resp.body), resp.body.len, &tok,
				      &expires, err) < 0)
		goto out;
	xfree_secret(d->token);
	d->token = tok;
	d->token_expires = expires > 0 ? now_monotonic() + expires * 1000000000 - TOKEN_MARGIN_NS
				       : 0;
	d->token_gen++;
	log_info(LOGGER, "dropbox_token_refreshed", cid(ctx), LF_STR("reason", reason),
		 LF_INT("expires_in_s", expires), LF_MS("duration_ms", elapsed_ms(t0)));
	rc = 0;
out:
	if (resp.body.data)
		explicit_bzero(resp.body.data, resp.body.len);
	http_response_release(&resp);
	xfree_secret(body);
	xfree_secret(auth);
	free(url);
	return rc;
}

/* A copy of the access token (fetched when there is none yet or it is about
 * to expire) and its generation. Caller frees *tok with xfree_secret. */
static int token_get(struct dropbox *d, const struct pp_ctx *ctx, char **tok, unsigned *gen,
		     struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&d->lock);
	if (!d->token)
		rc = token_refresh_locked(d, ctx, "first_call", err);
	else if (d->token_expires && now_monotonic() >= d->token_expires)
		rc = token_refresh_locked(d, ctx, "expiring", err);
	if (rc == 0) {
		*tok = xstrdup(d->token);
		*gen = d->token_gen;
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* After a 401 for the token of generation gen: refreshes it, unless another
 * thread already did, and hands back the new one. */
static int token_renew(struct dropbox *d, const struct pp_ctx *ctx, unsigned gen,
		       const char *reason, char **tok, unsigned *new_gen, struct pp_error *err)
{
	int rc = 0;
	pthread_mutex_lock(&d->lock);
	if (d->token_gen == gen || !d->token)
		rc = token_refresh_locked(d, ctx, reason, err);
	if (rc == 0) {
		*tok = xstrdup(d->token);
		*new_gen = d->token_gen;
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Reads what the server answered into fd back as the error body, then empties fd. */
static void error_body_from_fd(int fd, struct buf *out)
{
	char chunk[4096];
	off_t off = 0;
	while (out->len < ERROR_BODY_MAX) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
		off += n;
	}
	if (ftruncate(fd, 0) == 0)
		lseek(fd, 0, SEEK_SET);
}

static int rewind_fd(int fd)
{
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	return 0;
}

int dropbox_parse_error(const char *endpoint, long status, int attempts, const char *body,
			size_t len, char *tags, size_t cap, struct pp_error *err)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *summary = json_string_value(json_object_get(j, "error_summary"));
	json_t *e = json_object_get(j, "error");
	char detail[240] = "";
	enum pp_error_kind kind = PP_ERR_REMOTE;
	int transient = 0;

	tag_path(e, tags, cap);
	if (tags[0])
		snprintf(detail, sizeof(detail), "%s", tags);
	else if (summary)
		snprintf(detail, sizeof(detail), "%s", summary);
	else if (json_is_string(e))
		snprintf(detail, sizeof(detail), "%s", json_string_value(e));
	else if (!j && len)
		excerpt(body, len, detail, sizeof(detail));

	long st = status;
	if (st == 401)
		kind = PP_ERR_AUTH;
	else if (st == 403)
		kind = PP_ERR_AUTH;
	else if (st == 400)
		kind = PP_ERR_REMOTE;
	else if (st == 409) {
		/* the tags stay in the message */
		kind = tag_has(tags, "not_found")                   ? PP_ERR_NOT_FOUND
		       : tag_has(tags, "too_many_write_operations") ? PP_ERR_RATE_LIMITED
								    : PP_ERR_REMOTE;
		transient = kind == PP_ERR_RATE_LIMITED;
	} else if (st == 429) {
		kind = PP_ERR_RATE_LIMITED;
		transient = 1;
	} else if (st >= 500) {
		kind = PP_ERR_UNAVAILABLE;
		transient = 1;
	}
	char tries[40] = "";
	if (attempts > 1)
		snprintf(tries, sizeof(tries), " after %d attempts", attempts);
	pp_fail_kind(err, WHERE, kind, "dropbox %s failed: HTTP %ld%s%s%s", endpoint, st,
		     detail[0] ? " " : "", detail, tries);
	err->http_status = (int)st;
	err->transient = transient;
	json_decref(j);
	return -1;
}

/* Fills err for a non-2xx answer of c->endpoint, and c->tags. */
static int call_fail(struct call *c, const struct http_response *resp, struct pp_error *err)
{
	dropbox_parse_error(c->endpoint, resp->status, resp->attempts, buf_str(&resp->body),
			    resp->body.len, c->tags, sizeof(c->tags), err);
	err->retry_after = http_retry_after(resp);
	return -1;
}

int dropbox_parse_reply(const char *body, size_t len, const char *endpoint, long status,
			json_t **out, struct pp_error *err)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	*out = NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
			     "dropbox %s: HTTP %ld with a reply that is not a JSON object", endpoint,
			     status);
		err->http_status = (int)status;
		return -1;
	}
	*out = j;
	return 0;
}

/* Performs c: token, headers, one retry after a refresh when the token was
 * refused. 0 on a 2xx answer (c->reply parsed), -1 otherwise with err filled
 * (kind, http_status) and c->tags the error's .tag tree. */
static int dbx_call(struct dropbox *d, const struct pp_ctx *ctx, struct call *c,
		    struct pp_error *err)
{
	char *tok = NULL, *auth = NULL, *arg = NULL, *what = NULL, *url = NULL, *body = NULL;
	unsigned gen = 0;
	struct http_response resp = { 0 };
	int rc = -1;

	c->status = 0;
	c->reply = NULL;
	c->tags[0] = '\0';
	buf_release(&c->data);
	url = xasprintf("%s/2/files/%s", c->kind == CALL_RPC ? d->api : d->content, c->endpoint);
	what = xasprintf("dropbox %s", c->endpoint);
	if (c->kind == CALL_RPC) {
		body = json_dumps(c->arg, JSON_COMPACT);
		if (!body) {
			pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				     "dropbox %s: cannot encode the arguments as JSON", c->endpoint);
			goto out;
		}
	} else {
		arg = arg_header(c->arg);
		if (!arg) {
			pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				     "dropbox %s: cannot encode the arguments as JSON", c->endpoint);
			goto out;
		}
	}
	if (token_get(d, ctx, &tok, &gen, err) < 0)
		goto out;

	for (int attempt = 0;; attempt++) {
		xfree_secret(auth);
		auth = xasprintf("Authorization: Bearer %s", tok);
		const char *headers[4] = { auth, NULL, NULL, NULL };
		if (c->kind == CALL_RPC) {
			headers[1] = "Content-Type: application/json";
		} else {
			headers[1] = arg;
			headers[2] = "Content-Type: application/octet-stream";
		}
		int fd = c->kind == CALL_DOWNLOAD ? c->download_fd : -1;
		if (fd >= 0 && rewind_fd(fd) < 0) {
			pp_fail_kind(err, WHERE, PP_ERR_IO, "dropbox %s: cannot reset the target file: %s",
				     c->endpoint, strerror(errno));
			goto out;
		}
		struct http_request req = {
			.method = "POST", .url = url, .headers = headers,
			.body = c->kind == CALL_RPC ? body : c->kind == CALL_UPLOAD ? c->body : NULL,
			.body_len = c->kind == CALL_RPC ? strlen(body)
				    : c->kind == CALL_UPLOAD ? c->body_len : 0,
			.correlation_id = cid(ctx), .what = what, .download_fd = fd,
		};
		http_response_release(&resp);
		resp = (struct http_response){ 0 };
		if (http_call(d->http, &req, &resp, err) < 0) {
			/* err says what and why (timeout, connect); keep its kind. */
			err->where = WHERE;
			goto out;
		}
		c->status = resp.status;
		if (!http_ok(&resp) && fd >= 0 && resp.body.len == 0)
			error_body_from_fd(fd, &resp.body);
		if (resp.status == 401 && attempt == 0) {
			char tags[64];
			json_t *j = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
			tag_path(json_object_get(j, "error"), tags, sizeof(tags));
			json_decref(j);
			if (tag_is(tags, "expired_access_token") || tag_is(tags, "invalid_access_token")) {
				xfree_secret(tok);
				tok = NULL;
				if (token_renew(d, ctx, gen, tags, &tok, &gen, err) < 0)
					goto out;
				continue;
			}
		}
		break;
	}
	if (!http_ok(&resp)) {
		call_fail(c, &resp, err);
		goto out;
	}
	if (c->kind == CALL_DOWNLOAD) {
		char *result = http_response_header(&resp, "Dropbox-API-Result");
		if (result)
			c->reply = json_loads(result, 0, NULL);
		free(result);
		if (c->download_fd < 0) {
			c->data = resp.body;
			resp.body = (struct buf)BUF_INIT;
		}
	} else if (dropbox_parse_reply(buf_str(&resp.body), resp.body.len, c->endpoint, resp.status,
				       &c->reply, err) < 0) {
		goto out;
	}
	rc = 0;
out:
	http_response_release(&resp);
	xfree_secret(tok);
	xfree_secret(auth);
	free(arg);
	free(body);
	free(what);
	free(url);
	return rc;
}

/* A JSON object from a json_pack format, or an error (a string that is not
 * valid UTF-8 is the only way it can fail). */
static json_t *args_or_fail(json_t *a, const char *endpoint, struct pp_error *err)
{
	if (!a)
		pp_fail_kind(err, WHERE, PP_ERR_INVALID,
			     "dropbox %s: a path is not valid UTF-8", endpoint);
	return a;
}

/* ---- names ------------------------------------------------------------- */

static const char *shown(const char *name, char buf[300])
{
	return storage_shown(name, buf);
}

static int check_name(const char *name, bool image, struct pp_error *err)
{
	return storage_check_name(name, image, WHERE, err);
}

/* ---- open / close ---------------------------------------------------------- */

static int dropbox_validate(const struct config *cfg, struct config_error *e)
{
	int rc = 0;
	if (!cfg->image_folder || cfg->image_folder[0] != '/')
		rc = config_fail(e, cfg->path, "Dropbox", "image_folder",
				 "must be a Dropbox path starting with '/'%s",
				 cfg->image_folder ? "" : " (missing)");
	const char *when = "the dropbox backend";
	if (config_need_env(e, cfg->dropbox_app_key, "DROPBOX_APP_KEY", when) < 0)
		rc = -1;
	if (config_need_env(e, cfg->dropbox_refresh_token, "DROPBOX_REFRESH_TOKEN", when) < 0)
		rc = -1;
	return rc;
}

static int dropbox_open(const struct config *cfg, struct state *st, struct storage **out,
			struct pp_error *err)
{
	const char *archive = cfg->archive && *cfg->archive ? cfg->archive : "archive";

	*out = NULL;
	if (!cfg->image_folder || cfg->image_folder[0] != '/')
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "[Dropbox] image_folder must be a Dropbox path starting with '/'");
	if (!cfg->dropbox_app_key || !*cfg->dropbox_app_key)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "DROPBOX_APP_KEY is not set");
	if (!cfg->dropbox_refresh_token || !*cfg->dropbox_refresh_token)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "DROPBOX_REFRESH_TOKEN is not set");
	if (!fs_name_is_safe(archive) || !strcmp(archive, STAGING))
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "the archive folder name \"%s\" must be a plain folder name", archive);
	struct http_options ho = {
		.connect_timeout_s = cfg->http_connect_timeout > 0 ? cfg->http_connect_timeout : 10,
		.timeout_s = cfg->http_timeout > 0 ? cfg->http_timeout : 60,
		.max_attempts = 3, .backoff_base_ms = 1000, .backoff_max_ms = 8000,
		.retry_after_max_s = 30,
	};
	struct http_client *http = http_client_new(&ho);
	if (!http)
		return pp_fail_kind(err, WHERE, PP_ERR_INTERNAL, "cannot create the HTTP client");

	struct dropbox *d = xcalloc(1, sizeof(*d));
	d->base.ops = &dropbox_storage;
	d->http = http;
	d->folder = trim_slash(cfg->image_folder);
	d->archive = xstrdup(archive);
	d->api = trim_slash(cfg->dropbox_api_url ? cfg->dropbox_api_url : "https://api.dropboxapi.com");
	d->content = trim_slash(cfg->dropbox_content_url ? cfg->dropbox_content_url
							 : "https://content.dropboxapi.com");
	d->oauth = trim_slash(cfg->dropbox_oauth_url ? cfg->dropbox_oauth_url
						     : "https://api.dropboxapi.com");
	d->app_key = xstrdup(cfg->dropbox_app_key);
	d->app_secret = cfg->dropbox_app_secret && *cfg->dropbox_app_secret
				? xstrdup(cfg->dropbox_app_secret) : NULL;
	d->refresh_token = xstrdup(cfg->dropbox_refresh_token);
	atomic_init(&d->archive_ready, false);
	pthread_mutex_init(&d->lock, NULL);
	*out = &d->base;
	return 0;
}

static void dropbox_close(struct storage *s)
{
	struct dropbox *d = to_dbx(s);
	if (!d)
		return;
	http_client_free(d->http);
	free(d->folder);
	free(d->archive);
	free(d->api);
	free(d->content);
	free(d->oauth);
	free(d->app_key);
	xfree_secret(d->app_secret);
	xfree_secret(d->refresh_token);
	xfree_secret(d->token);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* ---- list ---------------------------------------------------------------- */

int64_t dropbox_parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	int64_t frac = 0;
	const char *p = s + n;
	if (*p == '.') {
		int64_t scale = 100000000;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p != 'Z' && *p != 'z')
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	int64_t ns;
	/* 64-bit nanoseconds end in 1677 and 2262: a time beyond is unusable */
	if (t == (time_t)-1 || __builtin_mul_overflow((int64_t)t, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns))
		return 0;
	return ns;
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_item *)a)->name,
		      ((const struct storage_item *)b)->name);
}

/* Adds the images among one page's entries to out. */
static void take_entries(const json_t *entries, struct storage_list *out, size_t *cap)
{
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		const char *tag = json_string_value(json_object_get(e, ".tag"));
		const char *name = json_string_value(json_object_get(e, "name"));
		if (!tag || strcmp(tag, "file") || !name || !fs_name_is_safe(name))
			continue;
		if (!storage_is_image_name(name)) {
			storage_list_skip(out, name);
			continue;
		}
		if (json_is_false(json_object_get(e, "is_downloadable")))
			continue;
		if (out->n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			out->items = xrealloc(out->items, *cap * sizeof(*out->items));
		}
		struct storage_item *it = &out->items[out->n++];
		memset(it, 0, sizeof(*it));
		it->name = xstrdup(name);
		it->size = (int64_t)json_integer_value(json_object_get(e, "size"));
		it->mtime_ns = dropbox_parse_rfc3339(
			json_string_value(json_object_get(e, "server_modified")));
		const char *ch = json_string_value(json_object_get(e, "content_hash"));
		if (is_hex64(ch))
			memcpy(it->content_hash, ch, 65);
	}
}

bool dropbox_list_page(const json_t *reply, struct storage_list *out, size_t *cap,
		       size_t *entries, const char **cursor)
{
	const json_t *list = json_object_get(reply, "entries");
	*entries += json_array_size(list);
	take_entries(list, out, cap);
	*cursor = NULL;
	if (!json_is_true(json_object_get(reply, "has_more")))
		return false;
	*cursor = json_string_value(json_object_get(reply, "cursor"));
	return true;
}

/* Every page of the folder: list_folder, then list_folder/continue while
 * has_more (a listing is not complete before the last page). */
static int dropbox_list(struct storage *s, const struct pp_ctx *ctx, struct storage_list *out,
			struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { .endpoint = "list_folder", .kind = CALL_RPC, .download_fd = -1 };
	size_t cap = 0, entries = 0;
	int pages = 0, rc = -1;

	*out = (struct storage_list){ 0 };
	c.arg = args_or_fail(json_pack("{s:s, s:b, s:b}", "path", d->folder, "recursive", 0,
				       "include_non_downloadable_files", 0),
			     c.endpoint, err);
	if (!c.arg)
		return -1;
	out->folder = xasprintf("Dropbox %s", *d->folder ? d->folder : "/");
	for (;;) {
		if (dbx_call(d, ctx, &c, err) < 0) {
			if (err->kind == PP_ERR_NOT_FOUND && pages == 0) {
				char why[sizeof(err->msg)];
				snprintf(why, sizeof(why), "%s", err->msg);
				pp_fail(err, WHERE, "the Dropbox folder %s does not exist (%s)",
					*d->folder ? d->folder : "/", why);
			}
			goto out;
		}
		pages++;
		const char *cursor;
		if (!dropbox_list_page(c.reply, out, &cap, &entries, &cursor))
			break;
		if (!cursor || !*cursor || pages >= MAX_PAGES) {
			pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				     "dropbox %s: has_more without a usable cursor after %d pages",
				     c.endpoint, pages);
			goto out;
		}
		json_t *next = json_pack("{s:s}", "cursor", cursor);
		call_release(&c);
		json_decref(c.arg);
		c.arg = next;
		c.endpoint = "list_folder/continue";
		if (!c.arg) {
			pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "dropbox list_folder: unusable cursor");
			goto out;
		}
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	log_debug(LOGGER, "storage_list", cid(ctx), LF_STR("backend", "dropbox"),
		  LF_INT("images", out->n), LF_INT("entries", entries), LF_INT("pages", pages));
	rc = 0;
out:
	if (rc < 0)
		storage_list_release(out);
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

/* ---- download, image_url ------------------------------------------------------- */

/* A content download (download, get_thumbnail_v2) of the image called name
 * into c: the name checked, c->arg made by args from its path (and size), a
 * missing image named in the message. The caller releases c and c->arg. */
static int image_download(struct dropbox *d, const struct pp_ctx *ctx, const char *folder,
			  const char *name, struct call *c,
			  json_t *(*args)(const char *path, const char *size),
			  const char *size, struct pp_error *err)
{
	char b[300];
	if (check_name(name, true, err) < 0)
		return -1;
	char *path = path_in(folder, name);
	c->arg = args_or_fail(args(path, size), c->endpoint, err);
	free(path);
	if (!c->arg)
		return -1;
	if (dbx_call(d, ctx, c, err) < 0) {
		if (err->kind == PP_ERR_NOT_FOUND)
			pp_fail(err, WHERE, "Selected file not found: %s (dropbox %s: %s)", shown(name, b),
				c->endpoint, c->tags);
		return -1;
	}
	return 0;
}

static json_t *download_args(const char *path, const char *size)
{
	(void)size;
	return json_pack("{s:s}", "path", path);
}

/* The image called name of folder (a path of the account) to fd. */
static int download_from(struct dropbox *d, const struct pp_ctx *ctx, const char *folder,
			 const char *name, int fd, struct pp_error *err)
{
	struct call c = { .endpoint = "download", .kind = CALL_DOWNLOAD, .download_fd = fd };
	char b[300];
	int rc = -1;

	if (image_download(d, ctx, folder, name, &c, download_args, NULL, err) < 0)
		goto out;
	/* The size Dropbox announced against what arrived. */
	json_t *size = json_object_get(c.reply, "size");
	struct stat sb;
	if (json_is_integer(size) && fstat(fd, &sb) == 0 &&
	    (int64_t)sb.st_size != (int64_t)json_integer_value(size)) {
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
			     "dropbox download of %s: got %jd bytes of %" JSON_INTEGER_FORMAT,
			     shown(name, b), (intmax_t)sb.st_size, json_integer_value(size));
		err->transient = 1;
		goto out;
	}
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

static int dropbox_download(struct storage *s, const struct pp_ctx *ctx, const char *name, int fd,
			    struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	return download_from(d, ctx, d->folder, name, fd, err);
}

static int dropbox_download_archived(struct storage *s, const struct pp_ctx *ctx,
				     const char *name, int fd, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	char *archive = path_in(d->folder, d->archive);
	int rc = download_from(d, ctx, archive, name, fd, err);
	free(archive);
	return rc;
}

int dropbox_link_of(const json_t *reply, char **url, struct pp_error *err)
{
	const char *link = json_string_value(json_object_get(reply, "link"));
	*url = NULL;
	if (!link || !*link)
		return pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				    "dropbox get_temporary_link: no link in the reply");
	*url = xstrdup(link);
	return 0;
}

/* A temporary link (4 hours) to path. */
static int temporary_link(struct dropbox *d, const struct pp_ctx *ctx, const char *path,
			  char **url, struct pp_error *err)
{
	struct call c = { .endpoint = "get_temporary_link", .kind = CALL_RPC, .download_fd = -1 };
	int rc = -1;

	c.arg = args_or_fail(json_pack("{s:s}", "path", path), c.endpoint, err);
	if (!c.arg || dbx_call(d, ctx, &c, err) < 0 || dropbox_link_of(c.reply, url, err) < 0)
		goto out;
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

static int dropbox_image_url(struct storage *s, const struct pp_ctx *ctx, const char *name,
			     const char *local_path, char **url, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	*url = NULL;
	if (check_name(name, true, err) < 0)
		return -1;
	char *path = path_in(d->folder, name);
	int rc = temporary_link(d, ctx, path, url, err);
	free(path);
	return rc;
}

/* ---- thumbnails ------------------------------------------------------------- */

static json_t *thumbnail_args(const char *path, const char *size)
{
	return json_pack("{s:{s:s, s:s}, s:s, s:s, s:s}", "resource", ".tag", "path", "path", path,
			 "format", "jpeg", "size", size, "mode", "strict");
}

/* get_thumbnail_v2 of the image: a JPEG scaled down to fit in size ("strict":
 * inside the box, never its transpose), as the web's local thumbnails are. */
static int dropbox_thumbnail(struct storage *s, const struct pp_ctx *ctx, const char *name,
			     const char *size, char **data, size_t *len, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { .endpoint = "get_thumbnail_v2", .kind = CALL_DOWNLOAD, .download_fd = -1 };
	char b[300];

	*data = NULL;
	*len = 0;
	int rc = image_download(d, ctx, d->folder, name, &c, thumbnail_args, size, err);
	if (rc < 0 && c.status == 409 && tag_is(c.tags, "unsupported_extension"))
		/* Dropbox makes none of this type (HEIC): the caller may make its own. */
		pp_fail_kind(err, WHERE, PP_ERR_UNSUPPORTED, "Dropbox makes no thumbnail of a file "
			     "like %s (%s)", shown(name, b), c.tags);
	else if (rc < 0 && c.status == 409 &&
		 (tag_is(c.tags, "unsupported_image") || tag_is(c.tags, "conversion_error")))
		pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE, "Dropbox cannot make a thumbnail of %s (%s)",
			     shown(name, b), c.tags);
	else if (rc == 0 && (c.data.len < 3 || c.data.len > THUMBNAIL_MAX ||
			     memcmp(c.data.data, "\xff\xd8\xff", 3)))
		rc = pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				  "dropbox get_thumbnail_v2 of %s: the reply (%zu bytes) is not a JPEG of "
				  "at most %zu bytes", shown(name, b), c.data.len, THUMBNAIL_MAX);
	if (rc == 0) {
		*len = c.data.len;
		*data = buf_detach(&c.data);
	}
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

/* ---- sidecars ---------------------------------------------------------------- */

static int dropbox_sidecar_read(struct storage *s, const struct pp_ctx *ctx, const char *name,
				char **text, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { .endpoint = "download", .kind = CALL_DOWNLOAD, .download_fd = -1 };
	char *sc = NULL, *path = NULL;
	char b[300];
	int rc = -1;

	*text = NULL;
	if (check_name(name, true, err) < 0)
		return -1;
	sc = sidecar_name(name);
	path = path_in(d->folder, sc);
	c.arg = args_or_fail(json_pack("{s:s}", "path", path), c.endpoint, err);
	if (!c.arg)
		goto out;
	if (dbx_call(d, ctx, &c, err) < 0) {
		if (c.status == 409 && tag_is(c.tags, "path/not_found")) {
			pp_error_clear(err);
			rc = 0; /* no sidecar: not an error */
		}
		goto out;
	}
	if (c.data.len > SIDECAR_MAX) {
		pp_fail_kind(err, WHERE, PP_ERR_TOO_LARGE, "the sidecar %s is larger than %u bytes",
			     shown(path, b), SIDECAR_MAX);
		goto out;
	}
	*text = buf_detach(&c.data);
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	free(path);
	free(sc);
	return rc;
}

/* Uploads bytes to path, replacing what is there. */
static int upload(struct dropbox *d, const struct pp_ctx *ctx, const char *path, const void *data,
		  size_t len, json_t **meta, struct pp_error *err)
{
	struct call c = { .endpoint = "upload", .kind = CALL_UPLOAD, .body = data, .body_len = len,
			  .download_fd = -1 };
	int rc = -1;
	c.arg = args_or_fail(json_pack("{s:s, s:s, s:b, s:b}", "path", path, "mode", "overwrite",
				       "autorename", 0, "mute", 1),
			     c.endpoint, err);
	if (!c.arg || dbx_call(d, ctx, &c, err) < 0)
		goto out;
	if (meta) {
		*meta = c.reply;
		c.reply = NULL;
	}
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

static int dropbox_sidecar_write(struct storage *s, const struct pp_ctx *ctx, const char *name,
				 const char *text, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	if (check_name(name, true, err) < 0)
		return -1;
	char *sc = sidecar_name(name);
	char *path = path_in(d->folder, sc);
	/* Dropbox replaces a file in one step: readers see the old text or the new. */
	int rc = upload(d, ctx, path, text ? text : "", strlen(text ? text : ""), NULL, err);
	free(path);
	free(sc);
	return rc;
}

/* ---- metadata ------------------------------------------------------------------ */

void dropbox_meta_of(const json_t *reply, struct storage_meta *out)
{
	const char *id = json_string_value(json_object_get(reply, "id"));
	const char *rev = json_string_value(json_object_get(reply, "rev"));
	snprintf(out->id, sizeof(out->id), "%s", id ? id : "");
	snprintf(out->rev, sizeof(out->rev), "%s", rev ? rev : "");
}

static int dropbox_metadata(struct storage *s, const struct pp_ctx *ctx, const char *name,
			    struct storage_meta *out, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { .endpoint = "get_metadata", .kind = CALL_RPC, .download_fd = -1 };
	char *path = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_name(name, true, err) < 0)
		return -1;
	path = path_in(d->folder, name);
	c.arg = args_or_fail(json_pack("{s:s}", "path", path), c.endpoint, err);
	if (!c.arg || dbx_call(d, ctx, &c, err) < 0)
		goto out;
	dropbox_meta_of(c.reply, out);
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	free(path);
	return rc;
}

/* One entry of the image folder: the token refreshes (when due) and the
 * folder is there. */
static int dropbox_ready(struct storage *s, const struct pp_ctx *ctx, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { .endpoint = "list_folder", .kind = CALL_RPC, .download_fd = -1 };
	c.arg = args_or_fail(json_pack("{s:s, s:i}", "path", d->folder, "limit", 1), c.endpoint,
			     err);
	int rc = c.arg && dbx_call(d, ctx, &c, err) == 0 ? 0 : -1;
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

/* ---- archive ------------------------------------------------------------------- */

/* The path of folder: inside the image folder ("keep", "curated/keep"), or
 * an absolute path of the account as it is. NULL when it is neither. */
static char *folder_path(struct dropbox *d, const char *folder)
{
	if (folder && folder[0] == '/' && fs_relpath_is_safe(folder + 1))
		return xstrdup(folder);
	if (folder && fs_relpath_is_safe(folder))
		return path_in(d->folder, folder);
	return NULL;
}

/* Creates folder (once for the archive), its parents too; an existing
 * folder is fine. */
static int ensure_folder(struct dropbox *d, const struct pp_ctx *ctx, const char *folder,
			 struct pp_error *err)
{
	struct call c = { .endpoint = "create_folder_v2", .kind = CALL_RPC, .download_fd = -1 };
	char *path = NULL;
	int rc = -1;

	bool archive = !strcmp(folder, d->archive);
	if (archive && atomic_load(&d->archive_ready))
		return 0;
	path = folder_path(d, folder);
	c.arg = args_or_fail(json_pack("{s:s, s:b}", "path", path, "autorename", 0), c.endpoint,
			     err);
	if (!c.arg)
		goto out;
	if (dbx_call(d, ctx, &c, err) < 0) {
		if (!(c.status == 409 && tag_is(c.tags, "path/conflict/folder"))) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			pp_fail(err, WHERE, "cannot create the folder %s: %s", path, why);
			goto out;
		}
		pp_error_clear(err);
	}
	if (archive)
		atomic_store(&d->archive_ready, true);
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	free(path);
	return rc;
}

char *dropbox_moved_name(const json_t *reply)
{
	const char *n = json_string_value(json_object_get(json_object_get(reply, "metadata"), "name"));
	return n && fs_name_is_safe(n) ? xstrdup(n) : NULL;
}

/* move_v2, with autorename or not; *final_name (may be NULL) gets the name
 * it got. */
static int move(struct dropbox *d, const struct pp_ctx *ctx, const char *from, const char *to,
		bool autorename, char **final_name, struct call *c, struct pp_error *err)
{
	int rc = -1;
	*c = (struct call){ .endpoint = "move_v2", .kind = CALL_RPC, .download_fd = -1 };
	c->arg = args_or_fail(json_pack("{s:s, s:s, s:b, s:b}", "from_path", from, "to_path", to,
					"autorename", autorename, "allow_ownership_transfer", 0),
			      c->endpoint, err);
	if (!c->arg || dbx_call(d, ctx, c, err) < 0)
		goto out;
	if (final_name)
		*final_name = dropbox_moved_name(c->reply);
	rc = 0;
out:
	json_decref(c->arg);
	c->arg = NULL;
	return rc;
}

/* The k-th name of name in a folder: "a.jpg", then "a (1).jpg", … */
static char *candidate(const char *name, int k)
{
	if (k == 0)
		return xstrdup(name);
	char *stem = fs_stem(name);
	char *c = xasprintf("%s (%d)%s", stem, k, fs_ext(name));
	free(stem);
	return c;
}

/* A move_v2 refused because its destination is taken. */
static bool taken(const struct call *c)
{
	return c->status == 409 && tag_is(c->tags, "to/conflict");
}

/* get_metadata of path: 1 there, 0 not, -1 an error. */
static int path_exists(struct dropbox *d, const struct pp_ctx *ctx, const char *path,
		       struct pp_error *err)
{
	struct call c = { .endpoint = "get_metadata", .kind = CALL_RPC, .download_fd = -1 };
	int rc = -1;
	c.arg = args_or_fail(json_pack("{s:s}", "path", path), c.endpoint, err);
	if (c.arg)
		rc = dbx_call(d, ctx, &c, err) == 0 ? 1
		     : c.status == 409 && tag_is(c.tags, "path/not_found") ? 0 : -1;
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

/* One step of sidecar_follow: the image to dir/<k-th name> (unless it is
 * there), then the sidecar beside it. 1 moved, 0 no sidecar, 2 that name
 * or its sidecar's is taken, -1 an error. */
static int follow_step(struct dropbox *d, const struct pp_ctx *ctx, const char *name,
		       const char *dir, const char *sc_from, int k, char **final,
		       struct pp_error *err)
{
	struct call c = { 0 };
	char *cand = candidate(name, k), *cand_stem = fs_stem(cand);
	char *sc_to = xasprintf("%s/%s.txt", dir, cand_stem);
	int rc;
	if (strcmp(cand, *final)) {
		char *from = path_in(dir, *final), *to = path_in(dir, cand);
		rc = move(d, ctx, from, to, false, NULL, &c, err) == 0 ? 0 : taken(&c) ? 2 : -1;
		call_release(&c);
		free(from);
		free(to);
		if (rc == 0) {
			free(*final);
			*final = xstrdup(cand);
		}
		if (rc)
			goto out;
	}
	if (move(d, ctx, sc_from, sc_to, false, NULL, &c, err) == 0)
		rc = 1;
	else if (c.status == 409 && tag_is(c.tags, "from_lookup/not_found"))
		/* no sidecar: one there under the stem, left alone, is another's
		 * (when that cannot be told, the image stays where it got) */
		rc = path_exists(d, ctx, sc_to, err) == 1 ? 2 : 0;
	else
		rc = taken(&c) ? 2 : -1;
	call_release(&c);
out:
	if (rc >= 0)
		pp_error_clear(err);
	free(cand);
	free(cand_stem);
	free(sc_to);
	return rc;
}

/* Moves the sidecar sc_from beside the image name, which move_v2 put at
 * dir/<*final>, under the image's stem and never over another: a sidecar
 * already there under that stem (one left alone) makes the image move on
 * to the next "a (k).jpg" whose sidecar's name is free too, and *final
 * follows it, as the other backends name them. 1 when the sidecar moved, 0
 * when there is none, -1 on an error (the image stays at dir/<*final>). */
static int sidecar_follow(struct dropbox *d, const struct pp_ctx *ctx, const char *name,
			  const char *dir, const char *sc_from, char **final, struct pp_error *err)
{
	int k = 0;
	for (; k <= MAX_AUTORENAME; k++) {
		char *cand = candidate(name, k);
		bool same = !strcmp(cand, *final);
		free(cand);
		if (same)
			break;
	}
	if (k > MAX_AUTORENAME)
		k = 0; /* a name of Dropbox's own making: the image moves to one of ours */
	for (; k <= MAX_AUTORENAME; k++) {
		int rc = follow_step(d, ctx, name, dir, sc_from, k, final, err);
		if (rc != 2)
			return rc;
	}
	return pp_fail_kind(err, WHERE, PP_ERR_CONFLICT, "no free name for %s and its sidecar in %s",
			    name, dir);
}

static int dropbox_move(struct storage *s, const struct pp_ctx *ctx, const char *name,
			const char *folder, char **moved_as, bool *sidecar, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	struct call c = { 0 };
	char *from = NULL, *to = NULL, *final = NULL, *sc = NULL, *sc_from = NULL;
	char b[300];
	int rc = -1;
	bool has_sc = false;

	*moved_as = NULL;
	*sidecar = false;
	char *dir = folder_path(d, folder);
	if (!dir)
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "refusing folder \"%s\": not a folder of the account",
				    folder ? shown(folder, b) : "(null)");
	if (check_name(name, true, err) < 0 || ensure_folder(d, ctx, folder, err) < 0) {
		free(dir);
		return -1;
	}
	from = path_in(d->folder, name);
	to = path_in(dir, name);
	if (move(d, ctx, from, to, true, &final, &c, err) < 0) {
		if (err->kind == PP_ERR_NOT_FOUND)
			pp_fail(err, WHERE, "Selected file not found: %s (dropbox move_v2: %s)",
				shown(name, b), c.tags);
		goto out;
	}
	call_release(&c);
	if (!final)
		final = xstrdup(name);

	/* The sidecar follows under the image's final stem. */
	sc = sidecar_name(name);
	sc_from = path_in(d->folder, sc);
	struct pp_error serr = { 0 };
	int moved = sidecar_follow(d, ctx, name, dir, sc_from, &final, &serr);
	if (moved < 0)
		/* The image is archived: a sidecar left behind is worth a
		 * warning, not a failure of the archive. */
		log_warning(LOGGER, "storage_sidecar_archive_error", cid(ctx), LF_STR("image", name),
			    LF_STR("sidecar", sc), LF_STR("error", serr.msg));
	has_sc = moved > 0;
	*sidecar = has_sc;
	*moved_as = final;
	final = NULL;
	rc = 0;
out:
	call_release(&c);
	free(dir);
	free(from);
	free(to);
	free(final);
	free(sc);
	free(sc_from);
	return rc;
}

/* ---- public staging ------------------------------------------------------------ */

static char *staging_path(struct dropbox *d, const char *name)
{
	return xasprintf("%s/%s/%s", d->folder, STAGING, name);
}

/* delete_v2 of path. A path that is not there is fine (already gone;
 * *deleted false), or when must_exist kind "not_found". deleted may be NULL. */
static int delete_one(struct dropbox *d, const struct pp_ctx *ctx, const char *path,
		      bool must_exist, bool *deleted, struct pp_error *err)
{
	struct call c = { .endpoint = "delete_v2", .kind = CALL_RPC, .download_fd = -1 };
	int rc = -1;
	bool gone = false;
	c.arg = args_or_fail(json_pack("{s:s}", "path", path), c.endpoint, err);
	if (!c.arg)
		goto out;
	if (dbx_call(d, ctx, &c, err) < 0) {
		if (!(c.status == 409 && tag_has(c.tags, "not_found")))
			goto out;
		if (must_exist) {
			pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND,
				     "Selected file not found: %s (dropbox delete_v2: %s)", path, c.tags);
			goto out;
		}
		pp_error_clear(err); /* already gone */
		gone = true;
	}
	if (deleted)
		*deleted = !gone;
	rc = 0;
out:
	call_release(&c);
	json_decref(c.arg);
	return rc;
}

static int delete_path(struct dropbox *d, const struct pp_ctx *ctx, const char *path,
		       struct pp_error *err)
{
	return delete_one(d, ctx, path, false, NULL, err);
}

/* The image (which must be there), then its sidecar when there is one. */
static int dropbox_remove(struct storage *s, const struct pp_ctx *ctx, const char *name,
			  bool *sidecar, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	*sidecar = false;
	if (check_name(name, true, err) < 0)
		return -1;
	char *path = path_in(d->folder, name);
	int rc = delete_one(d, ctx, path, true, NULL, err);
	free(path);
	if (rc < 0)
		return -1;
	char *sc = sidecar_name(name);
	path = path_in(d->folder, sc);
	struct pp_error serr = { 0 };
	if (delete_one(d, ctx, path, false, sidecar, &serr) < 0)
		/* The image is gone: a sidecar left behind is worth a warning. */
		log_warning(LOGGER, "storage_sidecar_delete_error", cid(ctx), LF_STR("image", name),
			    LF_STR("sidecar", sc), LF_STR("error", serr.msg));
	free(path);
	free(sc);
	return 0;
}

static int dropbox_stage_public(struct storage *s, const struct pp_ctx *ctx, const char *local_path,
				const char *name, char **url, char **staged, struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	char *data = NULL, *path = NULL;
	size_t len = 0;
	int rc = -1;

	*url = NULL;
	*staged = NULL;
	if (check_name(name, false, err) < 0)
		return -1;
	if (fs_read_file(local_path, &data, &len, UPLOAD_MAX, err) < 0)
		return -1;
	path = staging_path(d, name);
	if (upload(d, ctx, path, data, len, NULL, err) < 0)
		goto out;
	if (temporary_link(d, ctx, path, url, err) < 0) {
		struct pp_error derr = { 0 };
		if (delete_path(d, ctx, path, &derr) < 0)
			log_warning(LOGGER, "storage_unstage_error", cid(ctx), LF_STR("path", path),
				    LF_STR("error", derr.msg));
		goto out;
	}
	log_info(LOGGER, "storage_staged", cid(ctx), LF_STR("backend", "dropbox"),
		 LF_STR("image", name), LF_INT("bytes", len));
	*staged = path;
	path = NULL;
	rc = 0;
out:
	free(data);
	free(path);
	return rc;
}

static int dropbox_unstage(struct storage *s, const struct pp_ctx *ctx, const char *staged,
			   struct pp_error *err)
{
	struct dropbox *d = to_dbx(s);
	char *prefix = xasprintf("%s/%s/", d->folder, STAGING);
	size_t n = strlen(prefix);
	int rc;
	/* Only what stage_public made may be deleted here. */
	if (!staged || strncmp(staged, prefix, n) || !fs_name_is_safe(staged + n))
		rc = pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				  "refusing to delete \"%s\": not a staged file", staged ? staged : "");
	else
		rc = delete_path(d, ctx, staged, err);
	free(prefix);
	return rc;
}

const struct storage_ops dropbox_storage = {
	.name = "dropbox",
	.section = "Dropbox",
	.caps = STORAGE_TEMP_LINKS | STORAGE_PUBLIC_URLS | STORAGE_FILE_IDS |
		STORAGE_ABSOLUTE_FOLDERS | STORAGE_THUMBNAILS,
	.validate = dropbox_validate,
	.open = dropbox_open,
	.close = dropbox_close,
	.list = dropbox_list,
	.download = dropbox_download,
	.image_url = dropbox_image_url,
	.sidecar_read = dropbox_sidecar_read,
	.sidecar_write = dropbox_sidecar_write,
	.metadata = dropbox_metadata,
	.move = dropbox_move,
	.remove = dropbox_remove,
	.sha256 = NULL, /* unknown without downloading the bytes */
	.stage_public = dropbox_stage_public,
	.unstage = dropbox_unstage,
	.thumbnail = dropbox_thumbnail,
	.download_archived = dropbox_download_archived,
	.ready = dropbox_ready,
};
