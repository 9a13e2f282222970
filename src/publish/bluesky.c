/* bluesky.c - the Bluesky publisher, through the AT Protocol's XRPC API on
 * the account's PDS ([Bluesky] service):
 *
 *   com.atproto.server.createSession   handle + app password -> did, accessJwt,
 *                                      refreshJwt (strictly rate limited: once)
 *   com.atproto.server.refreshSession  Bearer refreshJwt -> new tokens
 *   com.atproto.repo.uploadBlob        the JPEG's bytes -> blob
 *   com.atproto.repo.createRecord      an app.bsky.feed.post -> uri, cid
 *
 * The session is kept in the state file (publish_input.sessions) and used
 * again by the next post; an access token the PDS calls expired is renewed
 * with refreshSession, and only a refused refresh logs in again. Each change
 * of session is one `bluesky_session` line; tokens are never logged. The
 * image is the sharpest JPEG under the 1,000,000-byte blob limit; the post's
 * text, facets, labels and record are built by the pure functions of
 * bluesky.h. A 429 waits for its ratelimit-reset when that comes before the
 * publish timeout, else fails saying when to retry. post_id = the record's
 * at:// URI; url = https://bsky.app/profile/<handle>/post/<rkey>. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "caption/format.h"
#include "caption/richtext.h"
#include "net/http.h"
#include "publish/bluesky.h"
#include "publish/prepare.h"
#include "publish/publisher.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/strv.h"
#include "util/utf8.h"

#define WHERE "publisher.bluesky"
#define LOGGER "publisher.bluesky"
#define SECTION "Bluesky"
#define MAX_LONG 2000             /* px: the long side the Bluesky app uploads */
#define RATE_WAITS 3              /* 429 waits per call at most */

static const struct config_key bluesky_keys[] = {
	{ .section = SECTION, .key = "enabled", .type = CONFIG_BOOL, .def = "false" },
	{ .section = SECTION, .key = "handle", .type = CONFIG_STR },
	{ .section = SECTION, .key = "service", .type = CONFIG_URL, .def = "https://bsky.social" },
	{ .section = SECTION, .key = "labels", .type = CONFIG_STR, .def = "auto" },
	{ .section = SECTION, .key = "languages", .type = CONFIG_STR, .def = "en" },
	{ 0 },
};

static const struct config_env_key bluesky_env[] = {
	{ .name = "BLUESKY_APP_PASSWORD", .secret = true },
	{ 0 },
};

/* ---- the pure part (bluesky.h) ------------------------------------------- */

enum bluesky_verdict bluesky_parse_reply(const char *nsid, long status, const char *body,
					 size_t len, json_t **root, struct pp_error *err)
{
	json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	*root = NULL;
	if (status >= 200 && status < 300 && json_is_object(j)) {
		*root = j;
		return BLUESKY_OK;
	}
	const char *code = json_string_value(json_object_get(j, "error"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	const char *method = strrchr(nsid, '.') ? strrchr(nsid, '.') + 1 : nsid;
	bool expired = status == 401 ||
		       (status == 400 && code && (!strcmp(code, "ExpiredToken") ||
						  !strcmp(code, "InvalidToken")));
	enum pp_error_kind kind = expired ? PP_ERR_AUTH
				: status == 429 ? PP_ERR_RATE_LIMITED
				: status >= 500 ? PP_ERR_UNAVAILABLE
				: PP_ERR_REMOTE;
	err->http_status = (int)status;
	err->transient = status == 429 || status >= 500;
	pp_fail_kind(err, WHERE, kind, "Bluesky %s failed (HTTP %ld%s%s): %s", method, status,
		     code ? " " : "", code ? code : "",
		     msg ? msg : status >= 200 && status < 300 ? "reply is not a JSON object"
			 : j ? "no message" : "reply is not JSON");
	json_decref(j);
	return expired ? BLUESKY_EXPIRED : status == 429 ? BLUESKY_RATE_LIMITED : BLUESKY_FAILED;
}

static const char *const label_names[] = { "sexual", "nudity", "porn" };

static bool has_label(const struct analysis *a, const char *name)
{
	for (size_t i = 0; a && i < a->safety_labels.n; i++)
		if (!strcmp(a->safety_labels.v[i], name))
			return true;
	return false;
}

int bluesky_labels(const char *setting, const struct analysis *a,
		   const char *out[BLUESKY_MAX_LABELS])
{
	if (!setting || !strcmp(setting, "auto")) {
		if (!a || !a->nsfw)
			return 0;
		/* One adult label, the strongest the analysis supports. */
		if (has_label(a, "sexual_content"))
			out[0] = "porn";
		else if (has_label(a, "nudity") && !has_label(a, "suggestive") &&
			 !has_label(a, "fetish") && !has_label(a, "bondage"))
			out[0] = "nudity";
		else
			out[0] = "sexual";
		return 1;
	}
	if (!strcmp(setting, "none"))
		return 0;
	struct strv v = STRV_INIT;
	strv_split(&v, setting, ',');
	int n = 0;
	for (size_t i = 0; i < v.n; i++) {
		const char *name = NULL;
		for (size_t k = 0; k < sizeof(label_names) / sizeof(label_names[0]); k++)
			if (!strcmp(v.v[i], label_names[k]))
				name = label_names[k];
		bool dup = false;
		for (int k = 0; name && k < n; k++)
			dup = dup || out[k] == name;
		if (!name) {
			n = -1;
			break;
		}
		if (!dup)
			out[n++] = name;
	}
	strv_release(&v);
	return n == 0 ? -1 : n;
}

/* A BCP 47 tag as the lexicon takes it: letters, digits and '-', starting
 * with a letter, 2 to 35 characters. */
static bool is_lang(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 35 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

json_t *bluesky_langs(const char *setting)
{
	struct strv v = STRV_INIT;
	strv_split(&v, setting ? setting : "", ',');
	json_t *a = json_array();
	for (size_t i = 0; i < v.n; i++) {
		if (!is_lang(v.v[i]) || json_array_size(a) >= BLUESKY_MAX_LANGS) {
			json_decref(a);
			a = NULL;
			break;
		}
		json_array_append_new(a, json_string(v.v[i]));
	}
	strv_release(&v);
	if (a && json_array_size(a) == 0) {
		json_decref(a);
		a = NULL;
	}
	return a;
}

char *bluesky_text(const char *caption)
{
	/* the platform's caption rules (300 graphemes, at a word), then fewer
	 * graphemes while the text is over the byte limit (long emoji) */
	struct caption_rules r = bluesky_publisher.caption;
	char *text = caption_apply(&r, caption);
	while (strlen(text) > BLUESKY_MAX_TEXT_BYTES && r.limit > 10) {
		free(text);
		r.limit -= 10;
		text = caption_apply(&r, caption);
	}
	return text;
}

static json_t *facet(const struct richtext_span *sp)
{
	json_t *feature = sp->kind == RICHTEXT_TAG
				  ? json_pack("{s:s, s:s}", "$type", "app.bsky.richtext.facet#tag",
					      "tag", sp->value)
				  : json_pack("{s:s, s:s}", "$type", "app.bsky.richtext.facet#link",
					      "uri", sp->value);
	return json_pack("{s:{s:I, s:I}, s:[o]}", "index", "byteStart", (json_int_t)sp->start,
			 "byteEnd", (json_int_t)sp->end, "features", feature);
}

json_t *bluesky_post_record(const struct bluesky_post *p)
{
	char created[40];
	struct tm tm;
	gmtime_r(&p->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S.000Z", &tm);

	json_t *rec = json_pack("{s:s, s:s, s:s}", "$type", "app.bsky.feed.post", "text", p->text,
				"createdAt", created);
	struct richtext_span *spans;
	size_t n = richtext_spans(p->text, &spans);
	if (n) {
		json_t *facets = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(facets, facet(&spans[i]));
		json_object_set_new(rec, "facets", facets);
	}
	richtext_spans_free(spans, n);
	if (p->langs)
		json_object_set(rec, "langs", p->langs);
	if (p->blob) {
		json_t *image = json_pack("{s:O, s:s}", "image", p->blob, "alt", p->alt ? p->alt : "");
		if (p->width > 0 && p->height > 0)
			json_object_set_new(image, "aspectRatio",
					    json_pack("{s:i, s:i}", "width", p->width, "height",
						      p->height));
		json_object_set_new(rec, "embed", json_pack("{s:s, s:[o]}", "$type",
							    "app.bsky.embed.images", "images",
							    image));
	}
	if (p->n_labels) {
		json_t *values = json_array();
		for (size_t i = 0; i < p->n_labels; i++)
			json_array_append_new(values, json_pack("{s:s}", "val", p->labels[i]));
		json_object_set_new(rec, "labels", json_pack("{s:s, s:o}", "$type",
							     "com.atproto.label.defs#selfLabels",
							     "values", values));
	}
	return rec;
}

char *bluesky_rkey(const char *uri)
{
	if (!uri || strncmp(uri, "at://", 5))
		return NULL;
	const char *repo = uri + 5, *coll = strchr(repo, '/');
	const char *rkey = coll ? strchr(coll + 1, '/') : NULL;
	if (!coll || coll == repo || !rkey || rkey == coll + 1 || !rkey[1] || strchr(rkey + 1, '/'))
		return NULL;
	rkey++;
	for (const char *c = rkey; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(".-_:~", *c))
			return NULL;
	return xstrdup(rkey);
}

long bluesky_rate_wait(long long reset, time_t now, long left)
{
	long long wait = reset - (long long)now;
	if (wait < 0)
		wait = 0;
	return wait + 1 < left ? (long)wait : -1;
}

/* ---- the XRPC calls -------------------------------------------------------- */

struct bsky {
	const struct config *cfg;
	const struct publish_input *in;
	struct http_client *client;
	const char *service, *handle;
	struct saved_session sess;
	int64_t deadline;             /* now_monotonic() at the publish timeout */
};

/* What one call sends. */
struct xrpc {
	const char *method;           /* "GET" or "POST" */
	const char *nsid;
	const char *token;            /* Bearer value, or NULL */
	const void *body;
	size_t len;
	const char *content_type;     /* NULL: application/json */
	bool once;                    /* must not take effect twice */
};

/* One XRPC call, waiting out 429s within the publish timeout. Returns the
 * verdict; *root as bluesky_parse_reply leaves it. */
static enum bluesky_verdict xrpc_call(struct bsky *b, const struct xrpc *x, json_t **root,
				      struct pp_error *err)
{
	char *url = xasprintf("%s/xrpc/%s", b->service, x->nsid);
	char *auth = x->token ? xasprintf("Authorization: Bearer %s", x->token) : NULL;
	char *ctype = xasprintf("Content-Type: %s",
				x->content_type ? x->content_type : "application/json");
	const char *headers[] = { ctype, auth, NULL };
	if (!x->body)
		headers[0] = auth, headers[1] = NULL;
	enum bluesky_verdict v = BLUESKY_FAILED;
	*root = NULL;
	for (int waits = 0;; waits++) {
		struct http_request req = {
			.method = x->method, .url = url, .headers = headers, .body = x->body,
			.body_len = x->len, .correlation_id = pp_cid(&b->in->ctx), .what = x->nsid,
			.download_fd = -1, .max_attempts = 1, .not_idempotent = x->once,
		};
		struct http_response resp = { 0 };
		if (http_call(b->client, &req, &resp, err) < 0) {
			http_response_release(&resp);
			break;
		}
		v = bluesky_parse_reply(x->nsid, resp.status, buf_str(&resp.body), resp.body.len, root,
					err);
		if (v != BLUESKY_RATE_LIMITED) {
			http_response_release(&resp);
			break;
		}
		char *reset_h = http_response_header(&resp, "ratelimit-reset");
		http_response_release(&resp);
		long long reset = reset_h ? strtoll(reset_h, NULL, 10) : 0;
		free(reset_h);
		time_t now = time(NULL);
		long left = (long)((b->deadline - now_monotonic()) / 1000000000);
		long wait = reset > 0 ? bluesky_rate_wait(reset, now, left) : -1;
		if (wait < 0 || waits >= RATE_WAITS) {
			char when[40] = "later";
			if (reset > 0) {
				time_t t = (time_t)reset;
				struct tm tm;
				gmtime_r(&t, &tm);
				strftime(when, sizeof(when), "after %Y-%m-%dT%H:%M:%SZ", &tm);
				err->retry_after = reset > now ? (int)(reset - now) : 0;
			}
			size_t used = strlen(err->msg);
			snprintf(err->msg + used, sizeof(err->msg) - used,
				 "; rate limited until ratelimit-reset, past the publish timeout: "
				 "retry %s", when);
			log_warning(LOGGER, "bluesky_rate_limited", pp_cid(&b->in->ctx),
				    LF_STR("method", x->nsid), LF_INT("reset", reset), LF_INT("wait_s", -1));
			break;
		}
		log_warning(LOGGER, "bluesky_rate_limited", pp_cid(&b->in->ctx),
			    LF_STR("method", x->nsid), LF_INT("reset", reset), LF_INT("wait_s", wait));
		struct timespec ts = { wait, 0 };
		nanosleep(&ts, NULL);
	}
	free(url);
	free(auth);
	free(ctype);
	return v;
}

/* Takes the tokens of a createSession / refreshSession reply. */
static int take_session(struct bsky *b, json_t *root, struct pp_error *err)
{
	const char *did = json_string_value(json_object_get(root, "did"));
	const char *access = json_string_value(json_object_get(root, "accessJwt"));
	const char *refresh = json_string_value(json_object_get(root, "refreshJwt"));
	if (!did || !access || !*access)
		return pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				    "Bluesky session reply has no did or accessJwt");
	saved_session_release(&b->sess);
	b->sess.account_id = xstrdup(did);
	b->sess.access_token = xstrdup(access);
	b->sess.refresh_token = refresh ? xstrdup(refresh) : NULL;
	/* in case a message ever quotes one */
	sanitize_add_secret(access);
	if (refresh)
		sanitize_add_secret(refresh);
	return 0;
}

static void log_session(struct bsky *b, const char *action, const char *reason)
{
	log_info(LOGGER, "bluesky_session", pp_cid(&b->in->ctx), LF_STR("action", action),
		 LF_STR("service", b->service), LF_STR("handle", b->handle),
		 LF_STR("did", b->sess.account_id), LF_STR("reason", reason));
}

/* Keeps the session for the next post; a failure costs a login later, so
 * it is a warning. */
static void save_session(struct bsky *b)
{
	const struct session_store *st = &b->in->sessions;
	struct pp_error err = { 0 };
	if (st->put && st->put(st->arg, b->service, b->handle, &b->sess, &err) < 0)
		log_warning(LOGGER, "bluesky_session_save_error", pp_cid(&b->in->ctx),
			    LF_STR("error", err.msg));
}

static int create_session(struct bsky *b, const char *reason, struct pp_error *err)
{
	const char *password = config_env("BLUESKY_APP_PASSWORD");
	json_t *body = json_pack("{s:s, s:s}", "identifier", b->handle, "password",
				 password ? password : "");
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct xrpc x = { .method = "POST", .nsid = "com.atproto.server.createSession",
			  .body = text, .len = strlen(text) };
	json_t *root;
	int rc = -1;
	if (xrpc_call(b, &x, &root, err) == BLUESKY_OK) {
		rc = take_session(b, root, err);
		json_decref(root);
	} else if (err->kind == PP_ERR_AUTH || err->http_status == 400) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used,
			 " (check [Bluesky] handle and BLUESKY_APP_PASSWORD)");
	}
	free(text);
	if (rc == 0) {
		log_session(b, "created", reason);
		save_session(b);
	}
	return rc;
}

/* Renews an expired access token; a refused refresh logs in again. */
static int renew_session(struct bsky *b, struct pp_error *err)
{
	struct pp_error why = { 0 };
	json_t *root;
	if (b->sess.refresh_token) {
		struct xrpc x = { .method = "POST", .nsid = "com.atproto.server.refreshSession",
				  .token = b->sess.refresh_token };
		enum bluesky_verdict v = xrpc_call(b, &x, &root, &why);
		if (v == BLUESKY_OK) {
			int rc = take_session(b, root, err);
			json_decref(root);
			if (rc == 0) {
				log_session(b, "refreshed", "access token expired");
				save_session(b);
			}
			return rc;
		}
		if (v != BLUESKY_EXPIRED && why.http_status != 400) {
			*err = why; /* 429 past the timeout, 5xx, no connection */
			return -1;
		}
	}
	return create_session(b, why.msg[0] ? why.msg : "no refresh token", err);
}

static int open_session(struct bsky *b, struct pp_error *err)
{
	const struct session_store *st = &b->in->sessions;
	struct pp_error serr = { 0 };
	int found = st->get ? st->get(st->arg, b->service, b->handle, &b->sess, &serr) : 0;
	if (found < 0)
		log_warning(LOGGER, "bluesky_session_load_error", pp_cid(&b->in->ctx),
			    LF_STR("error", serr.msg));
	if (found == 1 && b->sess.account_id && b->sess.access_token) {
		sanitize_add_secret(b->sess.access_token);
		if (b->sess.refresh_token)
			sanitize_add_secret(b->sess.refresh_token);
		log_session(b, "reused", NULL);
		return 0;
	}
	saved_session_release(&b->sess);
	return create_session(b, "no saved session", err);
}

/* A call with the access token, renewing the session once when it expired. */
static int authed(struct bsky *b, struct xrpc x, json_t **root, struct pp_error *err)
{
	x.token = b->sess.access_token;
	enum bluesky_verdict v = xrpc_call(b, &x, root, err);
	if (v == BLUESKY_EXPIRED) {
		pp_error_clear(err);
		if (renew_session(b, err) < 0)
			return -1;
		x.token = b->sess.access_token;
		v = xrpc_call(b, &x, root, err);
	}
	return v == BLUESKY_OK ? 0 : -1;
}

static int upload_blob(struct bsky *b, const struct prepared_image *img, json_t **blob,
		       struct pp_error *err)
{
	char *data = NULL;
	size_t len = 0;
	*blob = NULL;
	if (fs_read_file(img->path, &data, &len, BLUESKY_BLOB_LIMIT, err) < 0)
		return -1;
	struct xrpc x = { .method = "POST", .nsid = "com.atproto.repo.uploadBlob", .body = data,
			  .len = len, .content_type = "image/jpeg" };
	json_t *root;
	int rc = authed(b, x, &root, err);
	if (rc == 0) {
		json_t *bl = json_object_get(root, "blob");
		if (json_is_object(bl))
			*blob = json_incref(bl);
		else
			rc = pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
					  "Bluesky uploadBlob: the reply has no blob");
		json_decref(root);
	}
	free(data);
	return rc;
}

static int create_record(struct bsky *b, json_t *record, char **uri, struct pp_error *err)
{
	json_t *body = json_pack("{s:s, s:s, s:O}", "repo", b->sess.account_id, "collection",
				 "app.bsky.feed.post", "record", record);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct xrpc x = { .method = "POST", .nsid = "com.atproto.repo.createRecord", .body = text,
			  .len = strlen(text), .once = true };
	json_t *root;
	int rc = authed(b, x, &root, err);
	if (rc == 0) {
		const char *u = json_string_value(json_object_get(root, "uri"));
		if (u && !strncmp(u, "at://", 5))
			*uri = xstrdup(u);
		else
			rc = pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
					  "Bluesky createRecord: the reply has no at:// uri");
		json_decref(root);
	}
	free(text);
	return rc;
}

/* ---- the publisher --------------------------------------------------------- */

static bool bluesky_enabled(const struct config *cfg)
{
	return config_get_bool(cfg, SECTION, "enabled");
}

static int bluesky_validate(const struct config *cfg, struct config_error *e)
{
	const char *handle = config_get(cfg, SECTION, "handle");
	const char *labels[BLUESKY_MAX_LABELS];
	int rc = 0;
	if (!handle || !*handle || strchr(handle, ' ') || strchr(handle, '/'))
		rc = config_fail(e, cfg->path, SECTION, "handle",
				 "required with [Bluesky] enabled = true: the account's handle "
				 "(alice.bsky.social) or DID");
	if (bluesky_labels(config_get(cfg, SECTION, "labels"), NULL, labels) < 0)
		rc = config_fail(e, cfg->path, SECTION, "labels",
				 "must be auto, none, or a comma-separated list of sexual, "
				 "nudity, porn");
	json_t *langs = bluesky_langs(config_get(cfg, SECTION, "languages"));
	if (!langs)
		rc = config_fail(e, cfg->path, SECTION, "languages",
				 "must be one to three comma-separated language tags (en, pt-BR)");
	json_decref(langs);
	if (config_need_env(e, config_env("BLUESKY_APP_PASSWORD"), "BLUESKY_APP_PASSWORD",
			    "[Bluesky] enabled = true") < 0)
		rc = -1;
	return rc;
}

static char *post_url(const char *handle, const char *uri)
{
	char *rkey = bluesky_rkey(uri);
	char *url = rkey ? xasprintf("https://bsky.app/profile/%s/post/%s", handle, rkey) : NULL;
	free(rkey);
	return url;
}

static int bluesky_publish(const struct config *cfg, const struct publish_input *in,
			   struct publish_result *out, struct pp_error *err)
{
	struct bsky b = {
		.cfg = cfg, .in = in, .service = config_get(cfg, SECTION, "service"),
		.handle = config_get(cfg, SECTION, "handle"),
		.deadline = now_monotonic() + (int64_t)cfg->publish_timeout * 1000000000,
	};
	struct prepared_image img = { 0 };
	const char *labels[BLUESKY_MAX_LABELS];
	json_t *blob = NULL, *record = NULL;
	json_t *langs = bluesky_langs(config_get(cfg, SECTION, "languages"));
	char *text = bluesky_text(in->caption), *alt = NULL, *uri = NULL;
	int nlabels = bluesky_labels(config_get(cfg, SECTION, "labels"), in->analysis, labels);
	int rc = -1;

	if (prepare_jpeg_within(in->image_path, in->image_name, MAX_LONG, BLUESKY_BLOB_LIMIT, &img,
				err) < 0)
		goto out;
	struct http_options ho = { .connect_timeout_s = cfg->http_connect_timeout,
				   .timeout_s = cfg->http_timeout };
	b.client = http_client_new(&ho);
	if (open_session(&b, err) < 0 || upload_blob(&b, &img, &blob, err) < 0)
		goto out;
	alt = richtext_cut(in->alt_text ? in->alt_text : "", BLUESKY_MAX_ALT_GRAPHEMES);
	struct bluesky_post p = {
		.text = text, .langs = langs, .labels = labels,
		.n_labels = nlabels > 0 ? (size_t)nlabels : 0, .blob = blob, .alt = alt,
		.width = img.width, .height = img.height, .created = time(NULL),
	};
	record = bluesky_post_record(&p);
	if (create_record(&b, record, &uri, err) < 0)
		goto out;
	out->success = true;
	out->post_id = uri;
	out->url = post_url(b.handle, uri);
	uri = NULL;
	rc = 0;
out:
	prepared_image_release(&img);
	http_client_free(b.client);
	saved_session_release(&b.sess);
	json_decref(blob);
	json_decref(record);
	json_decref(langs);
	free(text);
	free(alt);
	free(uri);
	return rc;
}

static void bluesky_preview(const struct config *cfg, const struct publish_input *in, FILE *f)
{
	char *text = bluesky_text(in->caption);
	const char *labels[BLUESKY_MAX_LABELS];
	int n = bluesky_labels(config_get(cfg, SECTION, "labels"), in->analysis, labels);
	const char *handle = config_get(cfg, SECTION, "handle");
	struct richtext_span *spans;
	size_t nspans = richtext_spans(text, &spans);
	richtext_spans_free(spans, nspans);
	fprintf(f, "  account: %s on %s\n", handle ? handle : "?",
		config_get(cfg, SECTION, "service"));
	fprintf(f, "  photo:   JPEG at most %d px, under %d bytes\n", MAX_LONG, BLUESKY_BLOB_LIMIT);
	fprintf(f, "  text:    %s\n", text);
	fprintf(f, "           (%zu of at most %d graphemes, %zu tags and links)\n",
		caption_length(&bluesky_publisher.caption, text), BLUESKY_MAX_GRAPHEMES, nspans);
	fprintf(f, "  langs:   %s\n", config_get(cfg, SECTION, "languages"));
	fprintf(f, "  labels:  ");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", labels[i]);
	fprintf(f, "%s\n", n > 0 ? "" : "none");
	if (in->alt_text && *in->alt_text)
		fprintf(f, "  alt:     %s\n", in->alt_text);
	free(text);
}

const struct publisher_ops bluesky_publisher = {
	.name = "bluesky",
	.section = SECTION,
	.key = "enabled",
	.caption = { .limit = BLUESKY_MAX_GRAPHEMES, .graphemes = true },
	.caps = { .alt_text = true, .max_width = MAX_LONG, .max_bytes = BLUESKY_BLOB_LIMIT,
		  .formats = "jpeg" },
	.settings = { .keys = bluesky_keys, .env = bluesky_env },
	.enabled = bluesky_enabled,
	.validate = bluesky_validate,
	.publish = bluesky_publish,
	.preview = bluesky_preview,
};
