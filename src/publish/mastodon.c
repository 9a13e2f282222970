/* mastodon.c - the Mastodon and Pixelfed publishers, one Mastodon API client
 * filling two tables (docs.joinmastodon.org/methods):
 *
 *   GET  /api/v2/instance      the limits (else /api/v1/instance), cached
 *   POST /api/v2/media         multipart file + description (the alt text):
 *                              200 ready, 202 processing (else /api/v1/media)
 *   GET  /api/v1/media/:id     until 200 with a url (206: still processing)
 *   POST /api/v1/statuses      status, media_ids[], sensitive, spoiler_text,
 *                              visibility, language, with an Idempotency-Key
 *
 * The key is derived from the image's hash and the run that first sent the
 * post, so a resend — an HTTP retry, or `photopub retry` — within the
 * server's idempotency window (Mastodon keeps keys an hour) returns the
 * status already posted instead of posting twice. The image, caption and
 * alt text are fitted to the instance's limits; a 429 is waited out only
 * when its X-RateLimit-Reset falls within the publish timeout. Each step is
 * logged (`<platform>_step`). The replies are read by the functions
 * mastodon.h declares. What Pixelfed does differently is in struct fedi. */
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "caption/format.h"
#include "net/http.h"
#include "ops/timefmt.h"
#include "publish/mastodon.h"
#include "publish/prepare.h"
#include "publish/publisher.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/url.h"

#define LIMITS_TTL_MS (3600 * 1000)   /* an instance's limits are fetched again after an hour */
#define MAX_POLLS 60                  /* GET /api/v1/media/:id at most this often */
#define MAX_RATE_WAITS 2              /* 429s waited out per call */

static const char *const sensitive_names[] = { "auto", "always", "never", NULL };
enum { SENSITIVE_AUTO, SENSITIVE_ALWAYS, SENSITIVE_NEVER };
static const char *const visibility_names[] = { "public", "unlisted", "private", "direct", NULL };

/* The instance limits of one platform, fetched once per process (and again
 * after LIMITS_TTL_MS or when instance_url changes): publish() runs on its
 * own thread, a server runs many, so the cache has a lock. */
struct limits_cache {
	pthread_mutex_t lock;
	char *url;                 /* instance_url they were fetched from; NULL: none */
	int64_t fetched;           /* mono_ms() */
	struct mastodon_limits lim;
};

/* One platform on the Mastodon API. */
struct fedi {
	const char *name;          /* "mastodon": logger, events */
	const char *section;       /* "Mastodon" */
	const char *title;         /* "Mastodon": messages */
	const char *token_env;     /* "MASTODON_ACCESS_TOKEN" */
	const char *logger;        /* "publisher.mastodon" */
	const char *step_event;    /* "mastodon_step" */
	const struct publisher_ops *ops;
	struct mastodon_limits defaults; /* what an instance that does not say has */
	bool direct;               /* takes visibility = direct (Pixelfed does not) */
	size_t spoiler_max;        /* spoiler_text's own limit; 0: it counts toward
				      max_characters with the status (Mastodon) */
	struct limits_cache *cache;
};

/* One publish call. */
struct call {
	const struct fedi *f;
	const struct config *cfg;
	const struct publish_input *in;
	struct http_client *client;
	char *auth;                /* "Authorization: Bearer …" */
	const char *base;          /* instance_url */
	int64_t started;           /* now_monotonic() */
	int64_t deadline;          /* mono_ms() */
};

/* ---- the replies (mastodon.h) ---- */

static const char *status_word(long status)
{
	switch (status) {
	case 401: return "the access token is invalid or revoked";
	case 403: return "the access token may not do this (scopes write:media write:statuses)";
	case 404: return "not found";
	case 422: return "validation failed";
	case 429: return "rate limited";
	default: return status >= 500 ? "server error" : "unexpected reply";
	}
}

int mastodon_fail(const char *title, const char *what, long status, const char *body, size_t len,
		  struct pp_error *err)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *text = json_string_value(json_object_get(root, "error"));
	if (!text)
		text = json_string_value(json_object_get(root, "message")); /* Pixelfed's aborts */
	enum pp_error_kind kind = status == 401 || status == 403 ? PP_ERR_AUTH
				: status == 400 || status == 422 ? PP_ERR_INVALID
				: status == 429 ? PP_ERR_RATE_LIMITED
				: status >= 500 && status <= 599 ? PP_ERR_UNAVAILABLE
				: PP_ERR_REMOTE;
	pp_error_clear(err);
	pp_fail_kind(err, "publisher.mastodon", kind, "%s %s failed (HTTP %ld, %s): %s", title, what,
		     status, status_word(status), text && *text ? text : "no error text");
	err->http_status = (int)status;
	err->transient = kind == PP_ERR_RATE_LIMITED || kind == PP_ERR_UNAVAILABLE;
	json_decref(root);
	return -1;
}

static bool positive(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

int mastodon_parse_instance(const char *body, size_t len, struct mastodon_limits *lim)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	json_t *conf = json_object_get(root, "configuration");
	json_t *st = json_object_get(conf, "statuses");
	json_t *media = json_object_get(conf, "media_attachments");
	uint64_t v;
	if (positive(json_object_get(st, "max_characters"), &v) ||
	    positive(json_object_get(root, "max_toot_chars"), &v)) /* older forks */
		lim->max_characters = v > 100000 ? 100000 : (size_t)v;
	if (positive(json_object_get(media, "image_size_limit"), &v))
		lim->image_size_limit = v > (1u << 30) ? (1u << 30) : (size_t)v;
	if (positive(json_object_get(media, "image_matrix_limit"), &v))
		lim->image_matrix_limit = v;
	if (positive(json_object_get(media, "description_limit"), &v))
		lim->description_limit = v > 100000 ? 100000 : (size_t)v;
	json_t *types = json_object_get(media, "supported_mime_types");
	if (json_is_array(types)) {
		lim->jpeg = lim->png = false;
		size_t i;
		json_t *t;
		json_array_foreach(types, i, t) {
			const char *s = json_string_value(t);
			if (s && !strcmp(s, "image/jpeg"))
				lim->jpeg = true;
			else if (s && !strcmp(s, "image/png"))
				lim->png = true;
		}
	}
	json_decref(root);
	return 0;
}

int mastodon_parse_media(const char *title, long status, const char *body, size_t len,
			 char **id, bool *ready, struct pp_error *err)
{
	*id = NULL;
	*ready = false;
	if (status == 206)
		return 0;
	if (status != 200 && status != 202)
		return mastodon_fail(title, "media upload", status, body, len, err);
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *jid = json_object_get(root, "id");
	int rc = 0;
	if (json_is_string(jid) && json_string_length(jid) > 0)
		*id = xstrdup(json_string_value(jid));
	else if (json_is_integer(jid)) /* "cast from an integer": some servers send the integer */
		*id = xasprintf("%lld", (long long)json_integer_value(jid));
	if (!*id) {
		pp_fail_kind(err, "publisher.mastodon", PP_ERR_REMOTE,
			     "%s media upload: the reply (HTTP %ld) has no attachment id", title, status);
		err->http_status = (int)status;
		rc = -1;
	} else {
		*ready = status == 200 && json_is_string(json_object_get(root, "url"));
	}
	json_decref(root);
	return rc;
}

int mastodon_parse_status(const char *title, long status, const char *body, size_t len,
			  char **id, char **url, struct pp_error *err)
{
	*id = *url = NULL;
	if (status < 200 || status > 299)
		return mastodon_fail(title, "post", status, body, len, err);
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *jid = json_object_get(root, "id");
	const char *u = json_string_value(json_object_get(root, "url"));
	if (json_is_string(jid) && json_string_length(jid) > 0)
		*id = xstrdup(json_string_value(jid));
	else if (json_is_integer(jid))
		*id = xasprintf("%lld", (long long)json_integer_value(jid));
	if (*id && u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7)))
		*url = xstrdup(u);
	json_decref(root);
	if (!*id) {
		pp_fail_kind(err, "publisher.mastodon", PP_ERR_REMOTE,
			     "%s post: the reply (HTTP %ld) has no status id", title, status);
		err->http_status = (int)status;
		return -1;
	}
	return 0;
}

int64_t mastodon_reset_ms(const char *value)
{
	if (!value || !*value)
		return -1;
	size_t n = strlen(value);
	size_t digits = strspn(value, "0123456789");
	if (digits == n) {
		if (n > 12)
			return -1;
		return (int64_t)strtoll(value, NULL, 10) * 1000;
	}
	int64_t ms;
	return ts_parse_rfc3339(value, n, &ms) && ms >= 0 ? ms : -1;
}

void mastodon_idempotency_key(const char *sha256, const char *first_correlation_id, char out[65])
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s:%s", sha256 ? sha256 : "", first_correlation_id ? first_correlation_id : "");
	unsigned char d[32];
	unsigned int n = 0;
	EVP_Digest(buf_str(&b), b.len, d, &n, EVP_sha256(), NULL);
	hex_encode(d, sizeof(d), out);
	buf_release(&b);
}

/* ---- settings ---- */

static const char *fedi_url(const struct config *cfg, const struct fedi *f)
{
	return config_get(cfg, f->section, "instance_url");
}

static bool fedi_on(const struct config *cfg, const struct fedi *f)
{
	return config_get_bool(cfg, f->section, "enabled");
}

static int fedi_validate(const struct config *cfg, const struct fedi *f, struct config_error *e)
{
	char when[64];
	snprintf(when, sizeof(when), "[%s] enabled = true", f->section);
	const char *u = fedi_url(cfg, f);
	int rc = 0;
	if (!u || !*u)
		rc = config_fail(e, cfg->path, f->section, "instance_url",
				 "required with %s (the server's address, e.g. "
				 "https://mastodon.social)", when);
	if (!f->direct && config_get_enum(cfg, f->section, "visibility") == 3)
		rc = config_fail(e, cfg->path, f->section, "visibility",
				 "%s takes public, unlisted or private, not direct", f->title);
	const char *lang = config_get(cfg, f->section, "language");
	if (lang && *lang &&
	    (strlen(lang) != 2 || strspn(lang, "abcdefghijklmnopqrstuvwxyz") != 2))
		rc = config_fail(e, cfg->path, f->section, "language",
				 "\"%s\" is not an ISO 639-1 code (two lowercase letters: en, de, fr)",
				 lang);
	const char *spoiler = config_get(cfg, f->section, "spoiler_text");
	if (f->spoiler_max && spoiler && utf8_strlen(spoiler) > f->spoiler_max)
		rc = config_fail(e, cfg->path, f->section, "spoiler_text",
				 "%s takes at most %zu characters", f->title, f->spoiler_max);
	if (config_need_env(e, config_env(f->token_env), f->token_env, when) < 0)
		rc = -1;
	return rc;
}

/* ---- the calls ---- */

/* The one place a publish call reports its progress: limits, media_uploaded,
 * media_ready, rate_limited, posted, failed. */
static void step(struct call *c, const char *name, const char *detail)
{
	log_info(c->f->logger, c->f->step_event, pp_cid(&c->in->ctx), LF_STR("step", name),
		 LF_STR("detail", detail), LF_MS("elapsed_ms", elapsed_ms(c->started)));
}

static int64_t mono_ms(void)
{
	return now_monotonic() / 1000000;
}

static int64_t remaining_ms(const struct call *c)
{
	return c->deadline - mono_ms();
}

static void sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* How long a 429 asks to wait, in ms (X-RateLimit-Reset, else Retry-After),
 * and the time it names in *when; -1 when it says nothing. */
static int64_t rate_wait_ms(const struct http_response *resp, char when[32])
{
	char *reset = http_response_header(resp, "X-RateLimit-Reset");
	int64_t at = mastodon_reset_ms(reset);
	free(reset);
	int64_t now = ts_now_ms();
	if (at < 0) {
		char *ra = http_response_header(resp, "Retry-After");
		if (!ra)
			return -1;
		free(ra);
		at = now + (int64_t)http_retry_after(resp) * 1000;
	}
	ts_format(at, when);
	return at > now ? at - now : 0;
}

/* One API call with its 429s: waited out while the reset falls within the
 * publish timeout, else failed at once saying when to retry. Other statuses
 * are the caller's to read; transient failures are the HTTP layer's. */
static int api(struct call *c, struct http_request *req, struct http_response *resp,
	       struct pp_error *err)
{
	const char *headers[4] = { c->auth, NULL, NULL, NULL };
	size_t h = 1;
	for (const char *const *p = req->headers; p && *p && h < 3; p++)
		headers[h++] = *p;
	req->headers = headers;
	req->correlation_id = pp_cid(&c->in->ctx);
	req->download_fd = -1;
	req->caller_handles_429 = true;
	for (int waits = 0;; waits++) {
		int64_t left = remaining_ms(c);
		if (left < 1000)
			return pp_fail_kind(err, "publisher.mastodon", PP_ERR_TIMEOUT,
					    "%s: out of time before %s", c->f->title, req->what);
		int per = c->cfg->http_timeout > 0 ? c->cfg->http_timeout : 60;
		req->timeout_s = left / 1000 < per ? (int)(left / 1000) : per;
		if (http_call(c->client, req, resp, err) < 0)
			return -1;
		if (resp->status != 429)
			return 0;
		char when[32] = "";
		int64_t wait = rate_wait_ms(resp, when);
		left = remaining_ms(c);
		if (wait >= 0 && waits < MAX_RATE_WAITS && wait + 1000 < left) {
			char detail[96];
			snprintf(detail, sizeof(detail), "%s: waiting %lld ms until %s", req->what,
				 (long long)wait, when);
			step(c, "rate_limited", detail);
			http_response_release(resp);
			sleep_ms(wait + 250);
			continue;
		}
		mastodon_fail(c->f->title, req->what, 429, buf_str(&resp->body), resp->body.len, err);
		struct buf msg = BUF_INIT;
		buf_adds(&msg, err->msg);
		if (wait >= 0) {
			buf_addf(&msg, "; retry after %s (in %lld s)%s", when,
				 (long long)((wait + 999) / 1000),
				 wait + 1000 < left ? ", rate limited again after waiting"
						    : ", past the publish timeout");
			err->retry_after = (int)((wait + 999) / 1000);
		} else {
			buf_adds(&msg, "; the reply does not say when to retry");
		}
		snprintf(err->msg, sizeof(err->msg), "%s", buf_str(&msg));
		buf_release(&msg);
		http_response_release(resp);
		return -1;
	}
}

/* The instance's limits: the cache's when fresh, else fetched (v2, then v1
 * for servers without it) and cached; the platform's defaults when neither
 * answers usably (not cached: the next post asks again). */
static void get_limits(struct call *c, struct mastodon_limits *out)
{
	struct limits_cache *lc = c->f->cache;
	pthread_mutex_lock(&lc->lock);
	bool fresh = lc->url && !strcmp(lc->url, c->base) &&
		     mono_ms() - lc->fetched < LIMITS_TTL_MS;
	if (fresh)
		*out = lc->lim;
	pthread_mutex_unlock(&lc->lock);
	if (fresh) {
		step(c, "limits", "cached");
		return;
	}
	*out = c->f->defaults;
	static const char *const paths[] = { "/api/v2/instance", "/api/v1/instance" };
	char why[sizeof(((struct pp_error *)0)->msg)] = "";
	bool got = false;
	const char *from = NULL;
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths) && !got; i++) {
		char *url = xasprintf("%s%s", c->base, paths[i]);
		struct http_request req = { .method = "GET", .url = url, .what = "instance" };
		struct http_response resp = { 0 };
		struct pp_error e = { 0 };
		if (api(c, &req, &resp, &e) < 0) {
			snprintf(why, sizeof(why), "%s", e.msg);
			free(url);
			break;
		}
		if (resp.status == 200 &&
		    mastodon_parse_instance(buf_str(&resp.body), resp.body.len, out) == 0) {
			got = true;
			from = paths[i];
		} else {
			snprintf(why, sizeof(why), "GET %s: HTTP %ld", paths[i], resp.status);
		}
		bool next = resp.status == 404 || resp.status == 410;
		http_response_release(&resp);
		free(url);
		if (!got && !next)
			break;
	}
	char detail[600];
	if (got) {
		pthread_mutex_lock(&lc->lock);
		free(lc->url);
		lc->url = xstrdup(c->base);
		lc->fetched = mono_ms();
		lc->lim = *out;
		pthread_mutex_unlock(&lc->lock);
		snprintf(detail, sizeof(detail),
			 "%s: max_characters %zu, image_size_limit %zu, image_matrix_limit %llu, "
			 "description_limit %zu", from, out->max_characters, out->image_size_limit,
			 (unsigned long long)out->image_matrix_limit, out->description_limit);
	} else {
		snprintf(detail, sizeof(detail), "defaults (%s)", why);
	}
	step(c, "limits", detail);
}

/* The image as it is sent. */
struct upload {
	unsigned char *data;       /* a fitted JPEG, or NULL: the original at path */
	size_t len;
	const char *path;
	const char *ctype;
	char *filename;
};

static void upload_release(struct upload *up)
{
	free(up->data);
	free(up->filename);
	*up = (struct upload){ 0 };
}

/* The original when the instance takes it as it is (its format, bytes and
 * pixels, no EXIF rotation to apply); else a JPEG fitted to the pixel limit
 * (width x height) and, made smaller step by step, to the size limit. */
static int fit_image(struct call *c, const struct mastodon_limits *lim, struct upload *up,
		     struct pp_error *err)
{
	const struct image_info *info = c->in->info;
	const char *title = c->f->title;
	int w = info ? info->width : 0, h = info ? info->height : 0;
	bool jpeg = info && !strcmp(info->format, "jpeg"), png = info && !strcmp(info->format, "png");
	struct stat st;
	if (((jpeg && lim->jpeg) || (png && lim->png)) && info->orientation <= 1 &&
	    stat(c->in->image_path, &st) == 0 && (uint64_t)st.st_size <= lim->image_size_limit &&
	    (uint64_t)w * (uint64_t)h <= lim->image_matrix_limit) {
		up->path = c->in->image_path;
		up->ctype = jpeg ? "image/jpeg" : "image/png";
		up->filename = xstrdup(c->in->image_name);
		return 0;
	}
	if (!lim->jpeg)
		return pp_fail_kind(err, "publisher.mastodon", PP_ERR_UNSUPPORTED,
				    "%s does not take JPEG images (its supported_mime_types), and %s "
				    "cannot be sent as it is", title, c->in->image_name);
	int max_width = 0;
	if (w > 0 && h > 0 && (uint64_t)w * (uint64_t)h > lim->image_matrix_limit) {
		double s = sqrt((double)lim->image_matrix_limit / ((double)w * (double)h));
		max_width = (int)floor(w * s) - 1; /* the height rounds: one pixel to spare */
		if (max_width < 1)
			max_width = 1;
	}
	for (int i = 0; i < 8; i++) {
		free(up->data);
		up->data = NULL;
		if (prepare_jpeg_bytes(&c->in->ctx, c->in->image_path, max_width, &up->data, &up->len,
				       err) < 0)
			return -1;
		if (up->len <= lim->image_size_limit) {
			up->ctype = "image/jpeg";
			char *dot = strrchr(c->in->image_name, '.');
			int stem = dot ? (int)(dot - c->in->image_name) : (int)strlen(c->in->image_name);
			up->filename = xasprintf("%.*s.jpg", stem, c->in->image_name);
			return 0;
		}
		/* bytes go with the area: shrink the width by the root of the excess */
		int cur = max_width > 0 ? max_width : w > 0 ? w : 4096;
		double f = sqrt((double)lim->image_size_limit / (double)up->len) * 0.95;
		max_width = (int)(cur * (f > 0.9 ? 0.9 : f));
		if (max_width < 64)
			break;
	}
	return pp_fail_kind(err, "publisher.mastodon", PP_ERR_TOO_LARGE,
			    "%s: %s does not fit %s's image_size_limit of %zu bytes", title,
			    c->in->image_name, title, lim->image_size_limit);
}

/* POST /api/v2/media (then /api/v1/media on a server without it). */
static int upload_media(struct call *c, const struct upload *up, const char *alt, char **id,
			bool *ready, struct pp_error *err)
{
	const struct http_part parts[] = {
		{ .name = "file", .data = (const char *)up->data, .len = up->len,
		  .path = up->data ? NULL : up->path, .filename = up->filename,
		  .content_type = up->ctype },
		{ .name = "description", .data = alt, .len = alt ? strlen(alt) : 0 },
	};
	static const char *const paths[] = { "/api/v2/media", "/api/v1/media" };
	int rc = -1;
	*id = NULL;
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		char *url = xasprintf("%s%s", c->base, paths[i]);
		struct http_request req = { .method = "POST", .url = url, .parts = parts,
					    .nparts = alt && *alt ? 2 : 1, .what = "media upload" };
		struct http_response resp = { 0 };
		rc = api(c, &req, &resp, err);
		free(url);
		if (rc == 0 && resp.status == 404 && i == 0) {
			http_response_release(&resp);
			continue;
		}
		if (rc == 0)
			rc = mastodon_parse_media(c->f->title, resp.status, buf_str(&resp.body),
						  resp.body.len, id, ready, err);
		if (rc == 0 && !*id)
			rc = pp_fail_kind(err, "publisher.mastodon", PP_ERR_REMOTE,
					  "%s media upload: HTTP %ld without an attachment", c->f->title,
					  resp.status);
		http_response_release(&resp);
		break;
	}
	return rc;
}

/* GET /api/v1/media/:id until it has a url, within the publish timeout and
 * MAX_POLLS, waiting 0.5 s, then twice as long each time up to 4 s. */
static int wait_media(struct call *c, const char *id, struct pp_error *err)
{
	char *eid = url_escape(id);
	char *url = xasprintf("%s/api/v1/media/%s", c->base, eid);
	int64_t interval = 500;
	int rc = -1;
	for (int polls = 0;; polls++) {
		if (polls >= MAX_POLLS || remaining_ms(c) < interval + 1000) {
			pp_fail_kind(err, "publisher.mastodon", PP_ERR_TIMEOUT,
				     "%s was still processing the image after %d checks in %lld s",
				     c->f->title, polls, (long long)(elapsed_ms(c->started) / 1000));
			break;
		}
		sleep_ms(interval);
		struct http_request req = { .method = "GET", .url = url, .what = "media status" };
		struct http_response resp = { 0 };
		if (api(c, &req, &resp, err) < 0)
			break;
		char *got = NULL;
		bool ready = false;
		int prc = mastodon_parse_media(c->f->title, resp.status, buf_str(&resp.body),
					       resp.body.len, &got, &ready, err);
		free(got);
		http_response_release(&resp);
		if (prc < 0)
			break;
		if (ready) {
			step(c, "media_ready", id);
			rc = 0;
			break;
		}
		interval = interval * 2 > 4000 ? 4000 : interval * 2;
	}
	free(url);
	free(eid);
	return rc;
}

static void form_add(struct buf *b, const char *key, const char *value)
{
	char *v = url_escape(value);
	buf_addf(b, "%s%s=%s", b->len ? "&" : "", key, v);
	free(v);
}

/* POST /api/v1/statuses with the post's Idempotency-Key. The HTTP layer may
 * send it again after a timeout or a 5xx: the key makes that safe. */
static int post_status(struct call *c, const char *media_id, const char *text,
		       const char *spoiler, char **id, char **link, struct pp_error *err)
{
	const struct config *cfg = c->cfg;
	struct buf form = BUF_INIT;
	form_add(&form, "status", text);
	form_add(&form, "media_ids%5B%5D", media_id);
	form_add(&form, "sensitive", spoiler ? "true" : "false");
	if (spoiler && *spoiler)
		form_add(&form, "spoiler_text", spoiler);
	int vis = config_get_enum(cfg, c->f->section, "visibility");
	form_add(&form, "visibility", visibility_names[vis >= 0 ? vis : 0]);
	const char *lang = config_get(cfg, c->f->section, "language");
	if (lang && *lang)
		form_add(&form, "language", lang);

	char key[65];
	mastodon_idempotency_key(c->in->sha256, c->in->first_correlation_id
						? c->in->first_correlation_id : pp_cid(&c->in->ctx),
				 key);
	char *idem = xasprintf("Idempotency-Key: %s", key);
	const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", idem, NULL };
	char *url = xasprintf("%s/api/v1/statuses", c->base);
	struct http_request req = { .method = "POST", .url = url, .headers = headers,
				    .body = form.data, .body_len = form.len, .what = "post" };
	struct http_response resp = { 0 };
	int rc = api(c, &req, &resp, err);
	if (rc == 0 && resp.status == 400 && strstr(buf_str(&resp.body), "Duplicate idempotency key")) {
		/* Pixelfed refuses a key it has seen instead of returning that status */
		rc = pp_fail_kind(err, "publisher.mastodon", PP_ERR_REMOTE,
				  "%s already took a post with this Idempotency-Key (an earlier "
				  "attempt of this post, within the hour): not posted twice; look at "
				  "the account to see whether it is there", c->f->title);
		err->http_status = 400;
	} else if (rc == 0) {
		rc = mastodon_parse_status(c->f->title, resp.status, buf_str(&resp.body),
					   resp.body.len, id, link, err);
	}
	http_response_release(&resp);
	free(url);
	free(idem);
	buf_release(&form);
	return rc;
}

static bool is_sensitive(const struct config *cfg, const struct fedi *f,
			 const struct publish_input *in)
{
	int mode = config_get_enum(cfg, f->section, "sensitive");
	return mode == SENSITIVE_ALWAYS ||
	       (mode != SENSITIVE_NEVER && in->analysis && in->analysis->nsfw);
}

static const char *alt_of(const struct publish_input *in)
{
	if (in->alt_text && *in->alt_text)
		return in->alt_text;
	return in->analysis && in->analysis->alt_text && *in->analysis->alt_text
		       ? in->analysis->alt_text : NULL;
}

/* The caption cut at a word to what the instance takes: Mastodon counts the
 * content warning with the text. */
static char *fit_caption(const struct fedi *f, const struct mastodon_limits *lim,
			 const char *caption, const char *spoiler)
{
	size_t limit = lim->max_characters;
	size_t cw = spoiler && !f->spoiler_max ? utf8_strlen(spoiler) : 0;
	limit = limit > cw + 1 ? limit - cw : 1;
	struct caption_rules r = { .limit = limit };
	return caption_apply(&r, caption ? caption : "");
}

static int fedi_publish(const struct fedi *f, const struct config *cfg,
			const struct publish_input *in, struct publish_result *out,
			struct pp_error *err)
{
	struct call c = { .f = f, .cfg = cfg, .in = in, .base = fedi_url(cfg, f),
			  .started = now_monotonic() };
	c.deadline = mono_ms() + (int64_t)cfg->publish_timeout * 1000 - 500;
	struct upload up = { 0 };
	char *caption = NULL, *alt = NULL, *media_id = NULL, *id = NULL, *link = NULL;
	int rc = -1;
	const char *token = config_env(f->token_env);
	if (!token || !c.base) {
		pp_fail_kind(err, "publisher.mastodon", PP_ERR_CONFIG, "%s: %s and [%s] instance_url "
			     "are required", f->title, f->token_env, f->section);
		goto out;
	}
	struct http_options ho = { .connect_timeout_s = cfg->http_connect_timeout,
				   .timeout_s = cfg->http_timeout };
	c.client = http_client_new(&ho);
	c.auth = xasprintf("Authorization: Bearer %s", token);

	struct mastodon_limits lim;
	get_limits(&c, &lim);
	if (fit_image(&c, &lim, &up, err) < 0)
		goto out;
	const char *a = alt_of(in);
	if (a) {
		struct caption_rules r = { .limit = lim.description_limit };
		alt = caption_apply(&r, a);
	}
	bool ready = false;
	if (upload_media(&c, &up, alt, &media_id, &ready, err) < 0)
		goto out;
	step(&c, "media_uploaded", media_id);
	if (!ready && wait_media(&c, media_id, err) < 0)
		goto out;
	const char *spoiler = NULL;
	if (is_sensitive(cfg, f, in)) {
		spoiler = config_get(cfg, f->section, "spoiler_text");
		spoiler = spoiler ? spoiler : "";
	}
	caption = fit_caption(f, &lim, in->caption, spoiler);
	if (post_status(&c, media_id, caption, spoiler, &id, &link, err) < 0)
		goto out;
	step(&c, "posted", id);
	out->success = true;
	out->post_id = id;
	out->url = link;
	id = link = NULL;
	rc = 0;
out:
	if (rc < 0)
		step(&c, "failed", err->msg);
	http_client_free(c.client);
	free(c.auth);
	upload_release(&up);
	free(caption);
	free(alt);
	free(media_id);
	free(id);
	free(link);
	return rc;
}

static void fedi_preview(const struct fedi *f, const struct config *cfg,
			 const struct publish_input *in, FILE *fp)
{
	const struct mastodon_limits *lim = &f->defaults;
	bool sensitive = is_sensitive(cfg, f, in);
	const char *spoiler = sensitive ? config_get(cfg, f->section, "spoiler_text") : NULL;
	char *caption = fit_caption(f, lim, in->caption, spoiler);
	int vis = config_get_enum(cfg, f->section, "visibility");
	const char *lang = config_get(cfg, f->section, "language");
	fprintf(fp, "  server:  %s (%s, language %s)\n", fedi_url(cfg, f) ? fedi_url(cfg, f) : "?",
		visibility_names[vis >= 0 ? vis : 0], lang && *lang ? lang : "not set");
	fprintf(fp, "  photo:   the original, or a JPEG fitted to the server's limits\n");
	if (sensitive)
		fprintf(fp, "  marked:  sensitive, content warning \"%s\"\n", spoiler ? spoiler : "");
	fprintf(fp, "  caption: %s\n", caption);
	fprintf(fp, "           (%zu of at most %zu characters; the server's own limit applies "
		"when posting)\n", utf8_strlen(caption), lim->max_characters);
	if (alt_of(in))
		fprintf(fp, "  alt:     %s\n", alt_of(in));
	free(caption);
}

/* ---- the two platforms ---- */

#define FEDI_KEYS(S)                                                                         \
	{                                                                                    \
		{ .section = S, .key = "enabled", .type = CONFIG_BOOL, .def = "false" },     \
		{ .section = S, .key = "instance_url", .type = CONFIG_URL },                 \
		{ .section = S, .key = "sensitive", .type = CONFIG_ENUM, .def = "auto",      \
		  .choices = sensitive_names },                                              \
		{ .section = S, .key = "spoiler_text", .type = CONFIG_STR,                   \
		  .def = "Sensitive photograph" },                                           \
		{ .section = S, .key = "visibility", .type = CONFIG_ENUM, .def = "public",   \
		  .choices = visibility_names },                                             \
		{ .section = S, .key = "language", .type = CONFIG_STR },                     \
		{ 0 },                                                                       \
	}

static const struct config_key mastodon_keys[] = FEDI_KEYS("Mastodon");
static const struct config_key pixelfed_keys[] = FEDI_KEYS("Pixelfed");
static const struct config_env_key mastodon_env[] = { { "MASTODON_ACCESS_TOKEN", true }, { 0 } };
static const struct config_env_key pixelfed_env[] = { { "PIXELFED_ACCESS_TOKEN", true }, { 0 } };

static struct limits_cache mastodon_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct limits_cache pixelfed_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Mastodon's defaults (before 4.4 the instance did not say description_limit). */
static const struct fedi mastodon = {
	.name = "mastodon", .section = "Mastodon", .title = "Mastodon",
	.token_env = "MASTODON_ACCESS_TOKEN", .logger = "publisher.mastodon",
	.step_event = "mastodon_step", .ops = &mastodon_publisher,
	.defaults = { .max_characters = 500, .image_size_limit = 16u << 20,
		      .image_matrix_limit = 33177600, .description_limit = 1500,
		      .jpeg = true, .png = true },
	.direct = true,
	.cache = &mastodon_cache,
};

/* Pixelfed: alt text up to 1000 characters (its PF_MEDIA_MAX_ALTTEXT_LENGTH,
 * which the instance does not tell), a content warning of its own up to 140,
 * no direct visibility, and every v2 upload answered 202. */
static const struct fedi pixelfed = {
	.name = "pixelfed", .section = "Pixelfed", .title = "Pixelfed",
	.token_env = "PIXELFED_ACCESS_TOKEN", .logger = "publisher.pixelfed",
	.step_event = "pixelfed_step", .ops = &pixelfed_publisher,
	.defaults = { .max_characters = 500, .image_size_limit = 15000u * 1024,
		      .image_matrix_limit = 3686400, .description_limit = 1000,
		      .jpeg = true, .png = true },
	.direct = false,
	.spoiler_max = 140,
	.cache = &pixelfed_cache,
};

#define FEDI_OPS(F)                                                                          \
	static bool F##_enabled(const struct config *cfg) { return fedi_on(cfg, &F); }          \
	static int F##_validate(const struct config *cfg, struct config_error *e)              \
	{                                                                                    \
		return fedi_validate(cfg, &F, e);                                            \
	}                                                                                    \
	static int F##_publish(const struct config *cfg, const struct publish_input *in,      \
			       struct publish_result *out, struct pp_error *err)              \
	{                                                                                    \
		return fedi_publish(&F, cfg, in, out, err);                                  \
	}                                                                                    \
	static void F##_preview(const struct config *cfg, const struct publish_input *in,     \
				FILE *fp)                                                    \
	{                                                                                    \
		fedi_preview(&F, cfg, in, fp);                                               \
	}

FEDI_OPS(mastodon)
FEDI_OPS(pixelfed)

const struct publisher_ops mastodon_publisher = {
	.name = "mastodon",
	.section = "Mastodon",
	.key = "enabled",
	.caption = { .limit = 500 },  /* the default; the instance's max_characters rules */
	.caps = { .alt_text = true, .max_bytes = 16u << 20, .formats = "jpeg png" },
	.settings = { .keys = mastodon_keys, .env = mastodon_env },
	.enabled = mastodon_enabled,
	.validate = mastodon_validate,
	.publish = mastodon_publish,
	.preview = mastodon_preview,
};

const struct publisher_ops pixelfed_publisher = {
	.name = "pixelfed",
	.section = "Pixelfed",
	.key = "enabled",
	.caption = { .limit = 500 },
	.caps = { .alt_text = true, .max_bytes = 15000u * 1024, .formats = "jpeg png" },
	.settings = { .keys = pixelfed_keys, .env = pixelfed_env },
	.enabled = pixelfed_enabled,
	.validate = pixelfed_validate,
	.publish = pixelfed_publish,
	.preview = pixelfed_preview,
};
