/* s3.c - the S3-compatible storage backend (AWS S3, Cloudflare R2, MinIO):
 * ListObjectsV2 (paged with continuation tokens), GetObject, HeadObject,
 * PutObject (sidecars beside the image as "<stem>.txt" objects),
 * CopyObject + DeleteObject (archive, quarantine, curation), DeleteObject,
 * and presigned GET URLs (SigV4 query signing, net/sigv4) for the AI and
 * for Instagram. Every request goes through net/http, signed by libcurl
 * (CURLOPT_AWS_SIGV4) with x-amz-content-sha256 set here.
 * Owns one HTTP client and the keys (in memory only). A single-part
 * object's ETag is the MD5 of its bytes: after a download whose bytes match
 * it, the hash cache maps that ETag to the SHA-256, so a listing knows an
 * image (under any name) without downloading it again. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "caption/sidecar.h"
#include "net/http.h"
#include "net/sigv4.h"
#include "state/state.h"
#include "storage/content_hash.h"
#include "storage/s3.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/hex.h"

#define LOGGER "storage"
#define WHERE "storage.s3"
#define SIDECAR_MAX (1u << 20)
#define UPLOAD_MAX ((size_t)128 << 20)
#define MAX_PAGES 100000
#define MAX_AUTORENAME 1000
#define STAGING ".photopub-staging"
#define CACHE_PREFIX "s3-etag:"  /* hash-cache keys: "s3-etag:<md5>" with the size */

/* ---- settings ------------------------------------------------------------ */

static const struct config_key s3_keys[] = {
	{ .section = "S3", .key = "bucket", .type = CONFIG_STR },
	{ .section = "S3", .key = "prefix", .type = CONFIG_STR, .def = "" },
	{ .section = "S3", .key = "archive_prefix", .type = CONFIG_STR },
	{ .section = "S3", .key = "endpoint_url", .type = CONFIG_URL },
	{ .section = "S3", .key = "region", .type = CONFIG_STR },
	{ .section = "S3", .key = "path_style", .type = CONFIG_BOOL, .def = "true" },
	{ .section = "S3", .key = "presign_expires", .type = CONFIG_INT, .def = "3600", .min = 60,
	  .max = SIGV4_EXPIRES_MAX },
	{ 0 },
};

static const struct config_env_key s3_env[] = {
	{ "AWS_ACCESS_KEY_ID", false },
	{ "AWS_SECRET_ACCESS_KEY", true },
	{ "AWS_SESSION_TOKEN", true },
	{ "AWS_REGION", false },
	{ "R2_ACCESS_KEY_ID", false },
	{ "R2_SECRET_ACCESS_KEY", true },
	{ "R2_ENDPOINT_URL", false },
	{ "R2_BUCKET_NAME", false },
	{ "R2_REGION", false },
	{ 0 },
};

/* What the configuration says, each value from the first place that sets
 * it (see docs/configuration.md): [S3] keys, then upstream's R2_*
 * environment values; keys from AWS_* when AWS_ACCESS_KEY_ID is set, else
 * from R2_*. Strings live as long as the configuration. */
struct settings {
	const char *bucket, *bucket_from;
	const char *endpoint;        /* NULL: AWS's for the region */
	const char *region;
	const char *prefix, *archive_prefix;
	const char *access_key, *secret_key, *session_token;
	const char *key_name, *secret_name; /* the environment values they came from */
	bool path_style;
	int expires;
};

static const char *first(const char *a, const char *b)
{
	return a && *a ? a : b && *b ? b : NULL;
}

static void settings_of(const struct config *cfg, struct settings *s)
{
	*s = (struct settings){ 0 };
	s->bucket = first(config_get(cfg, "S3", "bucket"), NULL);
	s->bucket_from = "[S3] bucket";
	if (!s->bucket && (s->bucket = config_env("R2_BUCKET_NAME")))
		s->bucket_from = "R2_BUCKET_NAME";
	s->endpoint = first(config_get(cfg, "S3", "endpoint_url"), config_env("R2_ENDPOINT_URL"));
	s->region = first(first(config_get(cfg, "S3", "region"), config_env("R2_REGION")),
			  config_env("AWS_REGION"));
	if (!s->region)
		s->region = s->endpoint && strstr(s->endpoint, ".r2.cloudflarestorage.com") ? "auto"
											 : "us-east-1";
	s->prefix = config_get(cfg, "S3", "prefix");
	s->archive_prefix = first(config_get(cfg, "S3", "archive_prefix"), NULL);
	s->path_style = config_get_bool(cfg, "S3", "path_style");
	s->expires = config_get_int(cfg, "S3", "presign_expires");
	if (config_env("AWS_ACCESS_KEY_ID")) {
		s->key_name = "AWS_ACCESS_KEY_ID";
		s->secret_name = "AWS_SECRET_ACCESS_KEY";
		s->session_token = config_env("AWS_SESSION_TOKEN");
	} else {
		s->key_name = "R2_ACCESS_KEY_ID";
		s->secret_name = "R2_SECRET_ACCESS_KEY";
	}
	s->access_key = config_env(s->key_name);
	s->secret_key = config_env(s->secret_name);
}

/* "" or plain names joined by '/' with one trailing '/' ("photos/2026/"). */
static bool prefix_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n == 0)
		return true;
	char *t = xstrndup(p, p[n - 1] == '/' ? n - 1 : n);
	bool ok = fs_relpath_is_safe(t);
	free(t);
	return ok;
}

/* p with exactly one trailing '/' ("" stays ""). Caller frees. */
static char *as_prefix(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n && p[n - 1] == '/')
		n--;
	return n ? xasprintf("%.*s/", (int)n, p) : xstrdup("");
}

/* Every problem of the [S3] settings, each reported (config_fail collects). */
static int s3_validate(const struct config *cfg, struct config_error *e)
{
	struct settings s;
	settings_of(cfg, &s);
	int rc = 0;
	bool bucket_ok = false;
	if (!s.bucket)
		rc = config_fail(e, cfg->path, "S3", "bucket",
				 "required with the s3 backend (or R2_BUCKET_NAME in the environment)");
	else if (!s3_bucket_name_ok(s.bucket))
		rc = config_fail(e, cfg->path, "S3", "bucket",
				 "\"%s\" (from %s) is not a bucket name: 3 to 63 of a-z, 0-9, '.' "
				 "and '-'", s.bucket, s.bucket_from);
	else
		bucket_ok = true;
	if (!prefix_ok(s.prefix))
		rc = config_fail(e, cfg->path, "S3", "prefix",
				 "must be empty or folder names joined by '/' (no \"..\", \".\" or "
				 "empty parts), got \"%s\"", s.prefix);
	if (s.archive_prefix && (!*s.archive_prefix || !prefix_ok(s.archive_prefix)))
		rc = config_fail(e, cfg->path, "S3", "archive_prefix",
				 "must be folder names joined by '/', got \"%s\"", s.archive_prefix);
	else if (s.archive_prefix && !strcmp(s.archive_prefix, s.prefix ? s.prefix : ""))
		rc = config_fail(e, cfg->path, "S3", "archive_prefix",
				 "must differ from [S3] prefix");
	if (s.endpoint && bucket_ok) {
		struct s3_location l;
		struct pp_error err = { 0 };
		if (s3_locate(s.endpoint, s.bucket, s.path_style, NULL, NULL, &l, &err) < 0)
			rc = config_fail(e, cfg->path, "S3", "endpoint_url", "%s", err.msg);
		else
			s3_location_release(&l);
	}
	const char *when = "the s3 backend";
	if (config_need_env(e, s.access_key, s.key_name, when) < 0)
		rc = -1;
	if (config_need_env(e, s.secret_key, s.secret_name, when) < 0)
		rc = -1;
	return rc;
}

/* ---- the backend ----------------------------------------------------------- */

struct s3 {
	struct storage base;
	struct http_client *http;
	struct state *st;            /* the hash cache; may be NULL */
	char *endpoint;              /* scheme://host[:port], no trailing '/' */
	char *bucket;
	char *region;
	char *provider;              /* "aws:amz:<region>:s3" */
	char *prefix;                /* "" or "photos/" */
	char *archive_prefix;        /* NULL: <prefix><archive>/ */
	bool path_style;
	int expires;
	char *access_key, *secret_key, *session_token;
	const char *secret_name;     /* the environment value the secret came from */
};

static struct s3 *to_s3(struct storage *s)
{
	return (struct s3 *)s;
}

static int s3_open(const struct config *cfg, struct state *st, struct storage **out,
		   struct pp_error *err)
{
	struct settings set;
	struct config_error ce = { 0 };
	*out = NULL;
	if (s3_validate(cfg, &ce) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "%s", ce.msg);
	settings_of(cfg, &set);
	struct http_options ho = {
		.connect_timeout_s = cfg->http_connect_timeout > 0 ? cfg->http_connect_timeout : 10,
		.timeout_s = cfg->http_timeout > 0 ? cfg->http_timeout : 60,
		.max_attempts = 4, .backoff_base_ms = 500, .backoff_max_ms = 8000,
		.retry_after_max_s = 30,
	};
	struct http_client *http = http_client_new(&ho);
	if (!http)
		return pp_fail_kind(err, WHERE, PP_ERR_INTERNAL, "cannot create the HTTP client");
	struct s3 *s = xcalloc(1, sizeof(*s));
	s->base.ops = &s3_storage;
	s->http = http;
	s->st = st;
	s->endpoint = set.endpoint ? xstrdup(set.endpoint)
				   : xasprintf("https://s3.%s.amazonaws.com", set.region);
	for (size_t n = strlen(s->endpoint); n > 0 && s->endpoint[n - 1] == '/'; n--)
		s->endpoint[n - 1] = '\0';
	s->bucket = xstrdup(set.bucket);
	s->region = xstrdup(set.region);
	s->provider = xasprintf("aws:amz:%s:s3", set.region);
	s->prefix = as_prefix(set.prefix);
	s->archive_prefix = set.archive_prefix ? as_prefix(set.archive_prefix) : NULL;
	s->path_style = set.path_style;
	s->expires = set.expires > 0 ? set.expires : 3600;
	s->access_key = xstrdup(set.access_key);
	s->secret_key = xstrdup(set.secret_key);
	s->session_token = set.session_token ? xstrdup(set.session_token) : NULL;
	s->secret_name = set.secret_name;
	*out = &s->base;
	return 0;
}

static void s3_close(struct storage *st)
{
	struct s3 *s = to_s3(st);
	if (!s)
		return;
	http_client_free(s->http);
	free(s->endpoint);
	free(s->bucket);
	free(s->region);
	free(s->provider);
	free(s->prefix);
	free(s->archive_prefix);
	free(s->access_key);
	xfree_secret(s->secret_key);
	xfree_secret(s->session_token);
	free(s);
}

/* ---- names --------------------------------------------------------------------- */

/* The key prefix of folder: the archive's ([S3] archive_prefix when set),
 * else "<prefix><folder>/". NULL when folder is not a relative folder. */
static char *folder_prefix(struct s3 *s, const char *folder)
{
	if (!folder || !fs_relpath_is_safe(folder))
		return NULL;
	if (s->archive_prefix && s->base.archive && !strcmp(folder, s->base.archive))
		return xstrdup(s->archive_prefix);
	return xasprintf("%s%s/", s->prefix, folder);
}

static char *key_of(const char *prefix, const char *name)
{
	return xasprintf("%s%s", prefix, name);
}

/* ---- one request --------------------------------------------------------------- */

struct s3_call {
	/* in */
	const char *op;              /* "GetObject", … */
	const char *method;
	const char *key;             /* NULL: the bucket */
	const struct sigv4_param *params;
	size_t nparams;
	const char *content_type;    /* PutObject */
	const char *copy_from;       /* CopyObject: the source key in the bucket */
	const void *body;
	size_t body_len;
	int download_fd;             /* >= 0: a 2xx body goes there */
	/* out */
	struct http_response resp;
	struct s3_error_reply reply; /* the <Error> of a failure, "" when none */
};

static void call_release(struct s3_call *c)
{
	http_response_release(&c->resp);
}

/* Fills err for c's failure: the status and S3's error code say what. */
static int call_fail(struct s3 *s, const struct s3_call *c, struct pp_error *err)
{
	long st = c->resp.status;
	const char *code = c->reply.code;
	char b[300], detail[400];
	snprintf(detail, sizeof(detail), "HTTP %ld%s%s%s%s", st, *code ? " " : "", code,
		 *c->reply.message ? ": " : "", c->reply.message);
	char tries[40] = "";
	if (c->resp.attempts > 1)
		snprintf(tries, sizeof(tries), " after %d attempts", c->resp.attempts);
	if (st == 404 && (!strcmp(code, "NoSuchBucket")))
		pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
			     "the S3 bucket \"%s\" does not exist at %s (%s %s)", s->bucket,
			     s->endpoint, c->op, detail);
	else if (st == 404)
		pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND, "no such image: s3://%s/%s (%s %s)",
			     s->bucket, storage_shown(c->key ? c->key : "", b), c->op, detail);
	else if (st == 403 || st == 401)
		pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
			     "S3 refused %s on bucket \"%s\" at %s (%s): %s", c->op, s->bucket,
			     s->endpoint, detail,
			     !strcmp(code, "RequestTimeTooSkewed")
				     ? "this machine's clock is too far from the server's"
			     : !strcmp(code, "AccessDenied")
				     ? "the keys may not do this: check the bucket's policy and the keys"
				     : !strcmp(code, "InvalidAccessKeyId")
					       ? "the access key is unknown: check the access key id"
					       : "check the access key id and its secret");
	else if (st == 429 || (st == 503 && !strcmp(code, "SlowDown")))
		pp_fail_kind(err, WHERE, PP_ERR_RATE_LIMITED, "S3 %s of s3://%s/%s: %s%s", c->op,
			     s->bucket, storage_shown(c->key ? c->key : "", b), detail, tries);
	else if (st >= 500)
		pp_fail_kind(err, WHERE, PP_ERR_UNAVAILABLE, "S3 %s of s3://%s/%s: %s%s", c->op,
			     s->bucket, storage_shown(c->key ? c->key : "", b), detail, tries);
	else
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "S3 %s of s3://%s/%s: %s", c->op, s->bucket,
			     storage_shown(c->key ? c->key : "", b), detail);
	err->http_status = (int)st;
	err->transient = st == 429 || st >= 500;
	err->retry_after = http_retry_after(&c->resp);
	return -1;
}

/* Performs c. 0 on a 2xx answer (and, for CopyObject, no <Error> in its
 * body); -1 otherwise with err filled and c->resp, c->reply kept. */
static int s3_call(struct s3 *s, const struct pp_ctx *ctx, struct s3_call *c,
		   struct pp_error *err)
{
	struct s3_location loc = { 0 };
	char sha[65];
	char *query = sigv4_query(c->params, c->nparams);
	char *h_sha = NULL, *h_token = NULL, *h_type = NULL, *h_copy = NULL, *what = NULL;
	int rc = -1;

	c->resp = (struct http_response){ 0 };
	c->reply = (struct s3_error_reply){ 0 };
	if (s3_locate(s->endpoint, s->bucket, s->path_style, c->key, query, &loc, err) < 0)
		goto out;
	sigv4_sha256_hex(c->body, c->body ? c->body_len : 0, sha);
	h_sha = xasprintf("x-amz-content-sha256: %s", sha);
	const char *headers[6] = { h_sha };
	size_t nh = 1;
	if (s->session_token)
		headers[nh++] = h_token = xasprintf("x-amz-security-token: %s", s->session_token);
	if (c->content_type)
		headers[nh++] = h_type = xasprintf("Content-Type: %s", c->content_type);
	if (c->copy_from) {
		char *raw = xasprintf("/%s/%s", s->bucket, c->copy_from);
		char *enc = sigv4_encode_path(raw);
		headers[nh++] = h_copy = xasprintf("x-amz-copy-source: %s", enc);
		free(enc);
		free(raw);
	}
	what = xasprintf("s3 %s", c->op);
	struct http_request req = {
		.method = c->method, .url = loc.url, .headers = headers, .body = c->body,
		.body_len = c->body_len, .correlation_id = pp_cid(ctx), .what = what,
		.download_fd = c->download_fd, .aws_sigv4 = s->provider, .aws_key = s->access_key,
		.aws_secret = s->secret_key,
	};
	int64_t t0 = now_monotonic();
	if (http_call(s->http, &req, &c->resp, err) < 0) {
		err->where = WHERE; /* err says what and why (timeout, connect) */
		goto out;
	}
	const struct buf *body = &c->resp.body;
	bool ok = http_ok(&c->resp);
	if (!ok || (c->copy_from && body->len))
		if (s3_parse_error(buf_str(body), body->len, &c->reply) == 0 && ok) {
			/* CopyObject can fail after its 200: the <Error> is the answer. */
			c->resp.status = 500;
			ok = false;
		}
	log_debug(LOGGER, "s3_request", pp_cid(ctx), LF_STR("op", c->op), LF_STR("bucket", s->bucket),
		  LF_STR("key", c->key), LF_INT("status", c->resp.status),
		  LF_INT("attempts", c->resp.attempts), LF_MS("duration_ms", elapsed_ms(t0)),
		  LF_STR("code", *c->reply.code ? c->reply.code : NULL));
	if (!ok) {
		call_fail(s, c, err);
		goto out;
	}
	rc = 0;
out:
	s3_location_release(&loc);
	free(query);
	free(h_sha);
	xfree_secret(h_token);
	free(h_type);
	free(h_copy);
	free(what);
	return rc;
}

/* HeadObject of key: 1 there, 0 not there, -1 on failure. */
static int exists(struct s3 *s, const struct pp_ctx *ctx, const char *key, struct pp_error *err)
{
	struct s3_call c = { .op = "HeadObject", .method = "HEAD", .key = key, .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	if (rc < 0 && c.resp.status == 404) {
		pp_error_clear(err);
		rc = 0;
	} else if (rc == 0) {
		rc = 1;
	}
	call_release(&c);
	return rc;
}

static int delete_key(struct s3 *s, const struct pp_ctx *ctx, const char *key,
		      struct pp_error *err)
{
	struct s3_call c = { .op = "DeleteObject", .method = "DELETE", .key = key, .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	call_release(&c);
	return rc;
}

static int put_key(struct s3 *s, const struct pp_ctx *ctx, const char *key, const void *data,
		   size_t len, const char *type, struct pp_error *err)
{
	struct s3_call c = { .op = "PutObject", .method = "PUT", .key = key, .body = data ? data : "",
			     .body_len = len, .content_type = type, .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	call_release(&c);
	return rc;
}

/* ---- list ------------------------------------------------------------------------ */

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_item *)a)->name,
		      ((const struct storage_item *)b)->name);
}

static char *cache_key(const char *md5)
{
	return xasprintf(CACHE_PREFIX "%s", md5);
}

/* The digests the hash cache holds for o's ETag, when it is an MD5. */
static void cached_hashes(struct s3 *s, const struct s3_object *o, struct storage_item *it)
{
	char md5[33];
	struct hash_entry e;
	if (!s->st || !s3_etag_md5(o->etag, md5))
		return;
	char *key = cache_key(md5);
	if (state_cache_get(s->st, key, o->size, 0, &e)) {
		memcpy(it->sha256, e.sha256, sizeof(it->sha256));
		memcpy(it->content_hash, e.content_hash, sizeof(it->content_hash));
	}
	free(key);
}

/* Adds the images of one page to out. */
static void take_page(struct s3 *s, const struct s3_page *p, struct storage_list *out,
		      size_t *cap)
{
	size_t plen = strlen(s->prefix);
	for (size_t i = 0; i < p->n; i++) {
		const struct s3_object *o = &p->objects[i];
		if (strncmp(o->key, s->prefix, plen))
			continue;
		const char *name = o->key + plen;
		if (!*name || !fs_name_is_safe(name))
			continue; /* the folder's marker, a sub-folder's key, a hostile name */
		if (!storage_is_image_name(name)) {
			storage_list_skip(out, name);
			continue;
		}
		if (out->n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			out->items = xrealloc(out->items, *cap * sizeof(*out->items));
		}
		struct storage_item *it = &out->items[out->n++];
		*it = (struct storage_item){ .name = xstrdup(name), .size = o->size,
					     .mtime_ns = o->mtime_ns };
		cached_hashes(s, o, it);
	}
}

/* Every page of the prefix: ListObjectsV2 with delimiter '/' (the images
 * right under it, not the archive or other folders) until IsTruncated is
 * false; each next page asked for with the last page's token. */
static int s3_list(struct storage *st, const struct pp_ctx *ctx, struct storage_list *out,
		   struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char *token = NULL;
	size_t cap = 0, objects = 0;
	int pages = 0, rc = -1;

	*out = (struct storage_list){ .folder = xasprintf("s3://%s/%s", s->bucket, s->prefix) };
	if (s->st) {
		struct pp_error perr = { 0 };
		if (state_cache_preload(s->st, CACHE_PREFIX, &perr) < 0)
			log_warning(LOGGER, "storage_cache_error", pp_cid(ctx), LF_STR("error", perr.msg));
	}
	for (;;) {
		/* encoding-type=url: a key XML cannot carry still lists (and
		 * is left out by its name); servers without it send keys raw. */
		struct sigv4_param params[5] = {
			{ "list-type", "2" }, { "prefix", s->prefix }, { "delimiter", "/" },
			{ "encoding-type", "url" }, { "continuation-token", token },
		};
		struct s3_call c = { .op = "ListObjectsV2", .method = "GET", .params = params,
				     .nparams = token ? 5 : 4, .download_fd = -1 };
		struct s3_page page;
		if (s3_call(s, ctx, &c, err) < 0) {
			call_release(&c);
			goto out;
		}
		int prc = s3_parse_list(buf_str(&c.resp.body), c.resp.body.len, &page, err);
		call_release(&c);
		if (prc < 0)
			goto out;
		pages++;
		objects += page.n;
		take_page(s, &page, out, &cap);
		bool more = page.truncated;
		bool same = more && token && !strcmp(token, page.next_token);
		free(token);
		token = more ? xstrdup(page.next_token) : NULL;
		s3_page_release(&page);
		if (!more)
			break;
		if (same || pages >= MAX_PAGES) {
			pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				     "S3 ListObjectsV2 of s3://%s/%s: the listing does not end (page %d "
				     "repeats its token)", s->bucket, s->prefix, pages);
			goto out;
		}
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	log_debug(LOGGER, "storage_list", pp_cid(ctx), LF_STR("backend", "s3"),
		  LF_INT("images", out->n), LF_INT("entries", objects), LF_INT("pages", pages));
	rc = 0;
out:
	free(token);
	if (rc < 0)
		storage_list_release(out);
	return rc;
}

/* One key of the prefix, if any: the bucket answers and the keys may list it. */
static int s3_ready(struct storage *st, const struct pp_ctx *ctx, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	struct sigv4_param params[3] = {
		{ "list-type", "2" }, { "max-keys", "1" }, { "prefix", s->prefix },
	};
	struct s3_call c = { .op = "ListObjectsV2", .method = "GET", .params = params,
			     .nparams = 3, .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	call_release(&c);
	return rc;
}

/* ---- download ---------------------------------------------------------------- */

/* MD5 of fd's bytes from its start, lowercase hex. */
static int md5_fd(int fd, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
	unsigned int n = 0;
	off_t off = 0;
	int rc = -1;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (!m || EVP_DigestInit_ex(m, EVP_md5(), NULL) != 1)
		goto out;
	for (;;) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		EVP_DigestUpdate(m, chunk, (size_t)r);
		off += r;
	}
	if (EVP_DigestFinal_ex(m, md, &n) != 1 || n != 16)
		goto out;
	hex_encode(md, 16, out);
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	return rc;
}

/* After a download: when the ETag is the MD5 of the bytes that arrived,
 * the hash cache learns the ETag's digests. */
static void remember_hashes(struct s3 *s, const struct pp_ctx *ctx, const char *name,
			    const struct http_response *resp, int fd)
{
	char *etag = http_response_header(resp, "ETag");
	char *plain = NULL;
	char md5[33], got[33];
	size_t n = etag ? strlen(etag) : 0;
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
		plain = xstrndup(etag + 1, n - 2);
	if (s->st && s3_etag_md5(plain ? plain : etag, md5) && md5_fd(fd, got) == 0 &&
	    !strcmp(md5, got)) {
		struct hash_entry e;
		struct pp_error herr = { 0 };
		off_t size = lseek(fd, 0, SEEK_END);
		char *key = cache_key(md5);
		if (hash_fd(fd, e.sha256, e.content_hash, &herr) < 0 ||
		    state_cache_put(s->st, key, (int64_t)size, 0, &e, &herr) < 0)
			log_warning(LOGGER, "storage_cache_error", pp_cid(ctx), LF_STR("image", name),
				    LF_STR("error", herr.msg));
		free(key);
	}
	free(plain);
	free(etag);
}

static int get_to_fd(struct s3 *s, const struct pp_ctx *ctx, const char *prefix,
		     const char *name, int fd, struct pp_error *err)
{
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	char *key = key_of(prefix, name);
	struct s3_call c = { .op = "GetObject", .method = "GET", .key = key, .download_fd = fd };
	int rc = s3_call(s, ctx, &c, err);
	if (rc == 0)
		remember_hashes(s, ctx, name, &c.resp, fd);
	call_release(&c);
	free(key);
	return rc;
}

static int s3_download(struct storage *st, const struct pp_ctx *ctx, const char *name, int fd,
		       struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	return get_to_fd(s, ctx, s->prefix, name, fd, err);
}

static int s3_download_archived(struct storage *st, const struct pp_ctx *ctx, const char *name,
				int fd, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char *prefix = folder_prefix(s, s->base.archive);
	if (!prefix)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "no usable archive folder");
	int rc = get_to_fd(s, ctx, prefix, name, fd, err);
	free(prefix);
	return rc;
}

/* ---- presigned URLs ------------------------------------------------------------ */

static int presign(struct s3 *s, const char *key, char **url, struct pp_error *err)
{
	struct s3_location loc;
	char *query = NULL;
	*url = NULL;
	if (s3_locate(s->endpoint, s->bucket, s->path_style, key, NULL, &loc, err) < 0)
		return -1;
	const struct sigv4_creds cr = { .access_key = s->access_key, .secret_key = s->secret_key,
					.session_token = s->session_token, .region = s->region,
					.service = "s3" };
	int rc = sigv4_presign_query(&cr, "GET", loc.host, loc.path, NULL, 0, time(NULL), s->expires,
				     &query, err);
	if (rc == 0)
		*url = xasprintf("%s?%s", loc.url, query);
	free(query);
	s3_location_release(&loc);
	return rc;
}

static int s3_image_url(struct storage *st, const struct pp_ctx *ctx, const char *name,
			const char *local_path, char **url, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	(void)ctx;
	(void)local_path;
	*url = NULL;
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	char *key = key_of(s->prefix, name);
	int rc = presign(s, key, url, err);
	free(key);
	return rc;
}

/* ---- sidecars -------------------------------------------------------------------- */

static int s3_sidecar_read(struct storage *st, const struct pp_ctx *ctx, const char *name,
			   char **text, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	*text = NULL;
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	char *sc = sidecar_name(name);
	char *key = key_of(s->prefix, sc);
	char b[STORAGE_SHOWN_MAX];
	struct s3_call c = { .op = "GetObject", .method = "GET", .key = key, .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	if (rc < 0 && c.resp.status == 404) {
		pp_error_clear(err);
		rc = 0; /* no sidecar: not an error */
	} else if (rc == 0 && c.resp.body.len > SIDECAR_MAX) {
		rc = pp_fail_kind(err, WHERE, PP_ERR_TOO_LARGE, "the sidecar %s is larger than %u bytes",
				  storage_shown(key, b), SIDECAR_MAX);
	} else if (rc == 0) {
		*text = buf_detach(&c.resp.body);
	}
	call_release(&c);
	free(key);
	free(sc);
	return rc;
}

static int s3_sidecar_write(struct storage *st, const struct pp_ctx *ctx, const char *name,
			    const char *text, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	char *sc = sidecar_name(name);
	char *key = key_of(s->prefix, sc);
	/* A PUT replaces an object in one step: readers see the old text or the new. */
	int rc = put_key(s, ctx, key, text ? text : "", strlen(text ? text : ""),
			 "text/plain; charset=utf-8", err);
	free(key);
	free(sc);
	return rc;
}

/* ---- move, delete ---------------------------------------------------------------- */

/* CopyObject from → to, then DeleteObject from. */
static int move_key(struct s3 *s, const struct pp_ctx *ctx, const char *from, const char *to,
		    struct pp_error *err)
{
	struct s3_call c = { .op = "CopyObject", .method = "PUT", .key = to, .copy_from = from,
			     .download_fd = -1 };
	int rc = s3_call(s, ctx, &c, err);
	call_release(&c);
	return rc < 0 ? -1 : delete_key(s, ctx, from, err);
}

/* The first of "a.jpg", "a (1).jpg", … whose key under dir is free, and
 * whose sidecar's is too. Caller frees *final. */
static int free_name(struct s3 *s, const struct pp_ctx *ctx, const char *dir, const char *name,
		     char **final, struct pp_error *err)
{
	char *stem = fs_stem(name);
	const char *ext = fs_ext(name);
	int rc = -1;
	*final = NULL;
	for (int i = 0; i <= MAX_AUTORENAME; i++) {
		char *cand = i ? xasprintf("%s (%d)%s", stem, i, ext) : xstrdup(name);
		char *key = key_of(dir, cand);
		int there = exists(s, ctx, key, err);
		if (there == 0) {
			/* "a (1).txt" left there alone would be overwritten */
			char *cstem = fs_stem(cand);
			char *sc = xasprintf("%s%s.txt", dir, cstem);
			there = exists(s, ctx, sc, err);
			free(sc);
			free(cstem);
		}
		free(key);
		if (there < 0) {
			free(cand);
			goto out;
		}
		if (!there) {
			*final = cand;
			rc = 0;
			goto out;
		}
		free(cand);
	}
	pp_fail_kind(err, WHERE, PP_ERR_CONFLICT, "no free name for %s in s3://%s/%s", name,
		     s->bucket, dir);
out:
	free(stem);
	return rc;
}

static int s3_move(struct storage *st, const struct pp_ctx *ctx, const char *name,
		   const char *folder, char **moved_as, bool *sidecar, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char *dir = NULL, *from = NULL, *to = NULL, *final = NULL;
	char *sc = NULL, *final_stem = NULL, *sc_from = NULL, *sc_to = NULL;
	char b[STORAGE_SHOWN_MAX];
	int rc = -1;

	*moved_as = NULL;
	*sidecar = false;
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	if (!(dir = folder_prefix(s, folder)))
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "refusing folder \"%s\": not a folder inside the image folder",
				    folder ? storage_shown(folder, b) : "(null)");
	from = key_of(s->prefix, name);
	int there = exists(s, ctx, from, err);
	if (there <= 0) {
		if (there == 0)
			pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND,
				     "Selected file not found: %s (no such image: s3://%s/%s)",
				     storage_shown(name, b), s->bucket, storage_shown(from, b));
		goto out;
	}
	if (free_name(s, ctx, dir, name, &final, err) < 0)
		goto out;
	to = key_of(dir, final);
	if (move_key(s, ctx, from, to, err) < 0)
		goto out;

	/* The sidecar follows under the image's final stem. */
	sc = sidecar_name(name);
	final_stem = fs_stem(final);
	sc_from = key_of(s->prefix, sc);
	sc_to = xasprintf("%s%s.txt", dir, final_stem);
	struct pp_error serr = { 0 };
	int has = exists(s, ctx, sc_from, &serr);
	if (has > 0 && move_key(s, ctx, sc_from, sc_to, &serr) == 0)
		*sidecar = true;
	else if (has != 0)
		/* The image has moved: a sidecar left behind is worth a warning. */
		log_warning(LOGGER, "storage_sidecar_archive_error", pp_cid(ctx), LF_STR("image", name),
			    LF_STR("sidecar", sc), LF_STR("error", serr.msg));
	*moved_as = final;
	final = NULL;
	rc = 0;
out:
	free(dir);
	free(from);
	free(to);
	free(final);
	free(sc);
	free(final_stem);
	free(sc_from);
	free(sc_to);
	return rc;
}

/* The image (which must be there), then its sidecar when there is one. */
static int s3_remove(struct storage *st, const struct pp_ctx *ctx, const char *name,
		     bool *sidecar, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char b[STORAGE_SHOWN_MAX];
	*sidecar = false;
	if (storage_check_name(name, true, WHERE, err) < 0)
		return -1;
	char *key = key_of(s->prefix, name);
	int there = exists(s, ctx, key, err);
	if (there == 0)
		pp_fail_kind(err, WHERE, PP_ERR_NOT_FOUND,
			     "Selected file not found: %s (no such image: s3://%s/%s)",
			     storage_shown(name, b), s->bucket, storage_shown(key, b));
	if (there <= 0 || delete_key(s, ctx, key, err) < 0) {
		free(key);
		return -1;
	}
	free(key);
	char *sc = sidecar_name(name);
	key = key_of(s->prefix, sc);
	struct pp_error serr = { 0 };
	int has = exists(s, ctx, key, &serr);
	if (has > 0 && delete_key(s, ctx, key, &serr) == 0)
		*sidecar = true;
	else if (has != 0)
		/* The image is gone: a sidecar left behind is worth a warning. */
		log_warning(LOGGER, "storage_sidecar_delete_error", pp_cid(ctx), LF_STR("image", name),
			    LF_STR("sidecar", sc), LF_STR("error", serr.msg));
	free(key);
	free(sc);
	return 0;
}

/* ---- public staging --------------------------------------------------------------- */

static char *staging_prefix(struct s3 *s)
{
	return xasprintf("%s%s/", s->prefix, STAGING);
}

static int s3_stage_public(struct storage *st, const struct pp_ctx *ctx, const char *local_path,
			   const char *name, char **url, char **staged, struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char *data = NULL, *dir = NULL, *key = NULL;
	size_t len = 0;
	int rc = -1;

	*url = NULL;
	*staged = NULL;
	if (storage_check_name(name, false, WHERE, err) < 0)
		return -1;
	if (fs_read_file(local_path, &data, &len, UPLOAD_MAX, err) < 0)
		return -1;
	dir = staging_prefix(s);
	key = key_of(dir, name);
	const char *ext = fs_ext(name);
	if (put_key(s, ctx, key, data, len,
		    !strcasecmp(ext, ".png") ? "image/png" : "image/jpeg", err) < 0 ||
	    presign(s, key, url, err) < 0)
		goto out;
	log_info(LOGGER, "storage_staged", pp_cid(ctx), LF_STR("backend", "s3"), LF_STR("image", name),
		 LF_INT("bytes", len));
	*staged = key;
	key = NULL;
	rc = 0;
out:
	free(data);
	free(dir);
	free(key);
	return rc;
}

static int s3_unstage(struct storage *st, const struct pp_ctx *ctx, const char *staged,
		      struct pp_error *err)
{
	struct s3 *s = to_s3(st);
	char *dir = staging_prefix(s);
	size_t n = strlen(dir);
	int rc;
	/* Only what stage_public made may be deleted here. */
	if (!staged || strncmp(staged, dir, n) || !fs_name_is_safe(staged + n))
		rc = pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				  "refusing to delete \"%s\": not a staged file", staged ? staged : "");
	else
		rc = delete_key(s, ctx, staged, err);
	free(dir);
	return rc;
}

const struct storage_ops s3_storage = {
	.name = "s3",
	.section = "S3",
	.caps = STORAGE_TEMP_LINKS | STORAGE_PUBLIC_URLS,
	.settings = { .keys = s3_keys, .env = s3_env },
	.validate = s3_validate,
	.open = s3_open,
	.close = s3_close,
	.list = s3_list,
	.download = s3_download,
	.image_url = s3_image_url,
	.sidecar_read = s3_sidecar_read,
	.sidecar_write = s3_sidecar_write,
	.metadata = NULL, /* no ids worth keeping (STORAGE_FILE_IDS) */
	.move = s3_move,
	.remove = s3_remove,
	.sha256 = NULL, /* the listing fills it from the hash cache when it can */
	.stage_public = s3_stage_public,
	.unstage = s3_unstage,
	.thumbnail = NULL, /* the web resizes a download itself */
	.download_archived = s3_download_archived,
	.ready = s3_ready,
};
