/* http.c - every HTTP call photopub makes, on libcurl (RFC 9110 semantics,
 * RFC 9110 §10.2.3 Retry-After, RFC 7578 multipart/form-data).
 * Owns the client: curl's global init, a share object (DNS cache and TLS
 * sessions), and a pool of idle easy handles that keep their connections
 * open between calls; plus the retry loop and the `http_call` lines. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "net/http.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/fsutil.h"
#include "util/random.h"

#define LOGGER "http"
#define USER_AGENT "photopub/" PHOTOPUB_VERSION

/* Idle easy handles kept for reuse; more concurrent calls than this still
 * work, their handles are closed afterwards. */
#define POOL_MAX 16

/* A response body held in memory larger than this fails the call instead of
 * exhausting memory; large downloads go to download_fd. */
#define BODY_MAX ((size_t)128 << 20)

/*
 * Connection reuse. libcurl keeps a connection cache in each easy handle and
 * can put one in a share object (CURL_LOCK_DATA_CONNECT), but its own manual
 * for 7.88 says sharing connections between concurrent threads is not
 * supported (a known data race on in-use connections, curl issue #4915). So
 * the share object holds only the DNS cache and the TLS sessions, which are
 * safe to share under the lock callbacks, and connections live in the easy
 * handles: a call borrows an idle handle (preferring the one that last talked
 * to the same origin), and gives it back afterwards with its connections
 * still open. Sequential calls to a host therefore use one connection;
 * concurrent calls use at most one connection each, and a new connection to
 * a host resumes the TLS session another handle negotiated.
 */
struct idle_handle {
	CURL *h;
	char *origin; /* scheme://host:port it last talked to, or NULL */
};

struct http_client {
	struct http_options opt;
	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	struct idle_handle idle[POOL_MAX];
	size_t nidle;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock_cb(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
	(void)h;
	(void)access;
	struct http_client *c = userp;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_lock[data]);
}

static void share_unlock_cb(CURL *h, curl_lock_data data, void *userp)
{
	(void)h;
	struct http_client *c = userp;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_lock[data]);
}

/* Non-positive fields take the defaults documented in http.h. */
static void options_fill(struct http_options *o, const struct http_options *in)
{
	*o = (struct http_options){
		.connect_timeout_s = 10, .timeout_s = 60, .max_attempts = 3,
		.backoff_base_ms = 1000, .backoff_max_ms = 8000, .retry_after_max_s = 30,
	};
	if (!in)
		return;
	if (in->connect_timeout_s > 0)
		o->connect_timeout_s = in->connect_timeout_s;
	if (in->timeout_s > 0)
		o->timeout_s = in->timeout_s;
	if (in->max_attempts > 0)
		o->max_attempts = in->max_attempts;
	if (in->backoff_base_ms > 0)
		o->backoff_base_ms = in->backoff_base_ms;
	if (in->backoff_max_ms > 0)
		o->backoff_max_ms = in->backoff_max_ms;
	if (in->retry_after_max_s > 0)
		o->retry_after_max_s = in->retry_after_max_s;
	if (o->backoff_max_ms < o->backoff_base_ms)
		o->backoff_max_ms = o->backoff_base_ms;
}

/* Returns NULL when libcurl cannot be initialised. The caller frees the
 * client with http_client_free once no call is running any more. */
struct http_client *http_client_new(const struct http_options *opts)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return NULL;
	struct http_client *c = xcalloc(1, sizeof(*c));
	options_fill(&c->opt, opts);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_lock[i], NULL);
	pthread_mutex_init(&c->pool_lock, NULL);
	c->share = curl_share_init();
	if (!c->share ||
	    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock_cb) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock_cb) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		http_client_free(c);
		return NULL;
	}
	return c;
}

/* Closes every pooled connection. No call may be running on c. */
void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nidle; i++) {
		curl_easy_cleanup(c->idle[i].h);
		free(c->idle[i].origin);
	}
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_lock[i]);
	pthread_mutex_destroy(&c->pool_lock);
	free(c);
}

/* An idle handle, preferably the one that last talked to origin; a new one
 * when none is idle. NULL only when libcurl cannot allocate one. */
static CURL *handle_get(struct http_client *c, const char *origin)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->pool_lock);
	size_t pick = c->nidle;
	for (size_t i = c->nidle; origin && i-- > 0;) {
		if (c->idle[i].origin && strcmp(c->idle[i].origin, origin) == 0) {
			pick = i;
			break;
		}
	}
	if (pick == c->nidle && c->nidle > 0)
		pick = c->nidle - 1; /* the most recently used */
	if (pick < c->nidle) {
		h = c->idle[pick].h;
		free(c->idle[pick].origin);
		memmove(&c->idle[pick], &c->idle[pick + 1],
			(c->nidle - pick - 1) * sizeof(c->idle[0]));
		c->nidle--;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (!h) {
		h = curl_easy_init();
		if (h && curl_easy_setopt(h, CURLOPT_SHARE, c->share) != CURLE_OK) {
			curl_easy_cleanup(h);
			h = NULL;
		}
	}
	return h;
}

/* Gives h back with its open connections. curl_easy_reset drops every option
 * (and so every pointer into the finished call) but keeps the connections,
 * the TLS session cache and the share. */
static void handle_put(struct http_client *c, CURL *h, const char *origin)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&c->pool_lock);
	if (c->nidle < POOL_MAX) {
		c->idle[c->nidle].h = h;
		c->idle[c->nidle].origin = origin ? xstrdup(origin) : NULL;
		c->nidle++;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

/* The parts of a URL that may be shown: never the user info, the query or
 * the fragment. Every field is a malloc'd string ("" when unknown). */
struct url_view {
	char *host;
	char *path;
	char *shown;  /* scheme://host[:port]/path */
	char *origin; /* scheme://host:port, the pool key; NULL when unparsable */
};

static char *url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char *v = NULL;
	if (curl_url_get(u, what, &v, flags) != CURLUE_OK || !v)
		return NULL;
	char *s = xstrdup(v);
	curl_free(v);
	return s;
}

static void url_view_init(struct url_view *v, const char *url)
{
	memset(v, 0, sizeof(*v));
	CURLU *u = curl_url();
	char *scheme = NULL, *port = NULL, *dport = NULL;
	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		scheme = url_part(u, CURLUPART_SCHEME, 0);
		v->host = url_part(u, CURLUPART_HOST, 0);
		v->path = url_part(u, CURLUPART_PATH, 0);
		port = url_part(u, CURLUPART_PORT, 0);
		dport = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	}
	if (scheme && v->host) {
		v->shown = xasprintf("%s://%s%s%s%s", scheme, v->host, port ? ":" : "",
				     port ? port : "", v->path ? v->path : "/");
		v->origin = xasprintf("%s://%s:%s", scheme, v->host, dport ? dport : "");
	} else {
		v->shown = xstrdup("(invalid URL)");
	}
	if (!v->host)
		v->host = xstrdup("");
	if (!v->path)
		v->path = xstrdup("");
	free(scheme);
	free(port);
	free(dport);
	curl_url_cleanup(u);
}

static void url_view_release(struct url_view *v)
{
	free(v->host);
	free(v->path);
	free(v->shown);
	free(v->origin);
}

/* State one call shares with the libcurl callbacks. */
struct call {
	CURL *h;
	struct http_response *resp;
	int fd;             /* download_fd, or -1 */
	off_t fd_start;     /* its offset when the call began; -1: not seekable */
	bool fd_dirty;      /* bytes were written to fd since the last rewind */
	int fd_errno;       /* why writing to fd failed */
	bool sink_known;    /* the current response's body destination is decided */
	bool sink_fd;       /* ... and it is fd (a 2xx response with download_fd) */
	bool too_large;
	char errbuf[CURL_ERROR_SIZE];
};

/* Response body. With download_fd only a 2xx body goes to the fd; an error
 * status's body (a JSON error, usually) lands in resp->body for the caller
 * to read. Returning less than n makes curl fail with CURLE_WRITE_ERROR. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *userp)
{
	struct call *k = userp;
	size_t n = size * nmemb;
	if (k->fd >= 0 && !k->sink_known) {
		long st = 0;
		curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &st);
		k->sink_fd = st >= 200 && st < 300;
		k->sink_known = true;
	}
	if (k->sink_fd) {
		if (n > 0)
			k->fd_dirty = true;
		if (fs_write_all(k->fd, p, n) < 0) {
			k->fd_errno = errno;
			return 0;
		}
		return n;
	}
	if (n > BODY_MAX - k->resp->body.len) {
		k->too_large = true;
		return 0;
	}
	buf_add(&k->resp->body, p, n);
	return n;
}

/* Response headers. A status line starts a new header block (after a
 * "100 Continue", or a proxy's CONNECT reply), so only the final response's
 * headers stay. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *userp)
{
	struct call *k = userp;
	size_t n = size * nmemb;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		buf_reset(&k->resp->headers);
		k->sink_known = false;
	}
	buf_add(&k->resp->headers, p, n);
	return n;
}

/* Rewinds download_fd to where the call began, so a retry leaves only the
 * final body. */
static int fd_rewind(struct call *k)
{
	if (!k->fd_dirty)
		return 0;
	if (k->fd_start < 0 || ftruncate(k->fd, k->fd_start) != 0 ||
	    lseek(k->fd, k->fd_start, SEEK_SET) != k->fd_start)
		return -1;
	k->fd_dirty = false;
	return 0;
}

/* A request that must not run twice (posting a photo) is retried only when
 * the server cannot have acted on it: 429, or no connection at all. */
static bool retry_status(long st, bool once)
{
	return st == 429 || (!once && st >= 500 && st <= 599);
}

static bool retry_curl(CURLcode rc, bool once)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return !once;
	default:
		return false;
	}
}

/* Kind of a failure that is not retried. */
static enum pp_error_kind curl_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return PP_ERR_AUTH;          /* the server's certificate is refused */
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
		return PP_ERR_IO;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return PP_ERR_INVALID;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_FILESIZE_EXCEEDED:
		return PP_ERR_TOO_LARGE;
	default:
		return PP_ERR_UNAVAILABLE;
	}
}

/* Wait asked for by a Retry-After header (delay-seconds or an HTTP-date),
 * capped at cap_s, in ms; -1 when there is none or it cannot be read. */
static long retry_after_ms(const struct http_response *resp, int cap_s)
{
	char *v = http_response_header(resp, "Retry-After");
	if (!v)
		return -1;
	long s = -1;
	size_t digits = strspn(v, "0123456789");
	if (digits > 0 && v[digits] == '\0')
		s = digits > 9 ? cap_s : strtol(v, NULL, 10);
	else if (digits == 0 && *v) {
		time_t t = curl_getdate(v, NULL);
		if (t != -1) {
			time_t now = time(NULL);
			s = t > now ? (long)(t - now) : 0;
		}
	}
	free(v);
	if (s < 0)
		return -1;
	return (s > cap_s ? cap_s : s) * 1000L;
}

int http_retry_after(const struct http_response *resp)
{
	long ms = retry_after_ms(resp, 86400);
	return ms < 0 ? 0 : (int)((ms + 999) / 1000);
}

/* base * 2^(attempt-1), capped, with equal jitter: half of it fixed, half
 * random, so a retry never comes at once yet clients that failed together
 * spread out. */
static long backoff_ms(const struct http_options *o, int attempt)
{
	long d = o->backoff_base_ms;
	for (int i = 1; i < attempt && d < o->backoff_max_ms; i++)
		d *= 2;
	if (d > o->backoff_max_ms)
		d = o->backoff_max_ms;
	uint32_t r;
	if (d > 1 && random_bytes(&r, sizeof(r)) == 0)
		d = d / 2 + (long)(r % (uint32_t)(d - d / 2 + 1));
	return d;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Options that hold for every attempt of the call. */
static CURLcode setup(CURL *h, struct call *k, const struct http_request *req,
		      const struct http_options *o, struct curl_slist *headers, curl_mime *mime,
		      const char *method)
{
	CURLcode rc = CURLE_OK;
	long timeout = req->timeout_s > 0 ? req->timeout_s : o->timeout_s;
#define SET(opt, val)                                          \
	do {                                                   \
		if (rc == CURLE_OK)                            \
			rc = curl_easy_setopt(h, opt, val);    \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout_s);
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_ERRORBUFFER, k->errbuf);
	SET(CURLOPT_VERBOSE, 0L);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, k);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, k);
	if (headers)
		SET(CURLOPT_HTTPHEADER, headers);
	if (req->aws_sigv4) {
		SET(CURLOPT_AWS_SIGV4, req->aws_sigv4);
		SET(CURLOPT_USERNAME, req->aws_key ? req->aws_key : "");
		SET(CURLOPT_PASSWORD, req->aws_secret ? req->aws_secret : "");
	}

	bool is_post = strcmp(method, "POST") == 0;
	if (mime) {
		SET(CURLOPT_MIMEPOST, mime);
		if (!is_post)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (req->body || is_post || strcmp(method, "PUT") == 0 ||
		   strcmp(method, "PATCH") == 0) {
		/* POSTFIELDS with an explicit size: binary bodies, and an empty
		 * one still sends Content-Length: 0. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (!is_post)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	return rc;
}

static int build_mime(CURL *h, const struct http_request *req, curl_mime **out,
		      struct pp_error *err)
{
	curl_mime *mime = curl_mime_init(h);
	if (!mime)
		return pp_fail_kind(err, "http", PP_ERR_INTERNAL, "%s: cannot build the form",
				    req->what ? req->what : "http");
	for (size_t i = 0; i < req->nparts; i++) {
		const struct http_part *p = &req->parts[i];
		curl_mimepart *part = curl_mime_addpart(mime);
		CURLcode rc = part ? curl_mime_name(part, p->name) : CURLE_OUT_OF_MEMORY;
		if (rc == CURLE_OK && p->path) {
			/* The part's filename defaults to the file's base name. */
			rc = curl_mime_filedata(part, p->path);
			if (rc != CURLE_OK) {
				curl_mime_free(mime);
				pp_fail_kind(err, "http", PP_ERR_IO, "%s: cannot read %s for field %s",
					     req->what ? req->what : "http", p->path,
					     p->name ? p->name : "");
				if (err)
					sanitize_inplace(err->msg, sizeof(err->msg));
				return -1;
			}
		} else if (rc == CURLE_OK) {
			rc = curl_mime_data(part, p->data ? p->data : "", p->data ? p->len : 0);
		}
		if (rc == CURLE_OK && p->filename)
			rc = curl_mime_filename(part, p->filename);
		if (rc == CURLE_OK && p->content_type)
			rc = curl_mime_type(part, p->content_type);
		if (rc != CURLE_OK) {
			curl_mime_free(mime);
			return pp_fail_kind(err, "http", PP_ERR_INTERNAL, "%s: cannot build the form: %s",
					    req->what ? req->what : "http", curl_easy_strerror(rc));
		}
	}
	*out = mime;
	return 0;
}

/* The failure of the last attempt, as err. */
static int fail_attempt(struct pp_error *err, struct call *k, CURLcode rc, int attempts,
			const char *what, const char *method, const struct url_view *uv,
			const struct http_options *o, long timeout_s)
{
	const char *detail = k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc);
	const char *s = attempts == 1 ? "" : "s";
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		curl_off_t connect_us = 0;
		curl_easy_getinfo(k->h, CURLINFO_CONNECT_TIME_T, &connect_us);
		bool connected = connect_us > 0;
		pp_fail_kind(err, "http", PP_ERR_TIMEOUT, "%s: %s after %ld s (%d attempt%s): %s %s",
			     what, connected ? "timed out" : "connect timed out",
			     connected ? timeout_s : (long)o->connect_timeout_s, attempts, s,
			     method, uv->shown);
	} else if (retry_curl(rc, false)) {
		pp_fail_kind(err, "http", PP_ERR_UNAVAILABLE, "%s: %s (%d attempt%s): %s %s", what, detail,
			     attempts, s, method, uv->shown);
	} else if (k->too_large) {
		pp_fail_kind(err, "http", PP_ERR_TOO_LARGE, "%s: response body over %zu bytes: %s %s",
			     what, BODY_MAX, method, uv->shown);
	} else if (rc == CURLE_WRITE_ERROR && k->fd_errno) {
		pp_fail_kind(err, "http", PP_ERR_IO, "%s: cannot write the download: %s: %s %s", what,
			     strerror(k->fd_errno), method, uv->shown);
	} else {
		pp_fail_kind(err, "http", curl_kind(rc), "%s: %s: %s %s", what, detail, method,
			     uv->shown);
	}
	if (err) {
		err->transient = retry_curl(rc, false);
		err->http_status = 0;
		sanitize_inplace(err->msg, sizeof(err->msg));
	}
	return -1;
}

/* See http.h. resp is always initialised, so the caller may release it on
 * either result. */
int http_call(struct http_client *c, const struct http_request *req,
	      struct http_response *resp, struct pp_error *err)
{
	int64_t start = now_monotonic();
	const char *what = req->what ? req->what : "http";
	const char *method = req->method ? req->method : "GET";
	struct curl_slist *headers = NULL;
	curl_mime *mime = NULL;
	struct url_view uv;
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	if (err)
		pp_error_clear(err);
	url_view_init(&uv, req->url);
	struct call k = {
		.resp = resp,
		.fd = req->download_fd,
		.fd_start = req->download_fd >= 0 ? lseek(req->download_fd, 0, SEEK_CUR) : -1,
	};
	k.h = handle_get(c, uv.origin);
	if (!k.h) {
		pp_fail_kind(err, "http", PP_ERR_INTERNAL, "%s: cannot create a transfer", what);
		goto out;
	}
	for (const char *const *hp = req->headers; hp && *hp; hp++) {
		struct curl_slist *n = curl_slist_append(headers, *hp);
		if (!n) {
			pp_fail_kind(err, "http", PP_ERR_INTERNAL, "%s: out of memory", what);
			goto out;
		}
		headers = n;
	}
	if (req->parts && build_mime(k.h, req, &mime, err) < 0)
		goto out;
	CURLcode rc = setup(k.h, &k, req, &c->opt, headers, mime, method);
	if (rc != CURLE_OK) {
		pp_fail_kind(err, "http", PP_ERR_INVALID, "%s: %s: %s %s", what,
			     curl_easy_strerror(rc), method, uv.shown);
		if (err)
			sanitize_inplace(err->msg, sizeof(err->msg));
		goto out;
	}

	int max = req->max_attempts > 0 ? req->max_attempts : c->opt.max_attempts;
	long timeout_s = req->timeout_s > 0 ? req->timeout_s : c->opt.timeout_s;
	for (int attempt = 1;; attempt++) {
		buf_reset(&resp->body);
		buf_reset(&resp->headers);
		k.errbuf[0] = '\0';
		k.sink_known = k.sink_fd = false;
		int64_t t0 = now_monotonic();
		rc = curl_easy_perform(k.h);
		int64_t attempt_ms = elapsed_ms(t0);
		long status = 0;
		curl_easy_getinfo(k.h, CURLINFO_RESPONSE_CODE, &status);
		const char *errtext = rc == CURLE_OK ? NULL
				      : k.errbuf[0] ? k.errbuf : curl_easy_strerror(rc);
		resp->attempts = attempt;
		log_debug(LOGGER, "http_call", req->correlation_id, LF_STR("what", req->what),
			  LF_STR("method", method), LF_STR("host", uv.host), LF_STR("path", uv.path),
			  LF_INT("status", status), LF_MS("duration_ms", attempt_ms),
			  LF_INT("attempt", attempt), LF_STR("error", errtext));

		bool again = rc == CURLE_OK ? retry_status(status, req->not_idempotent) &&
						      !(status == 429 && req->caller_handles_429)
					    : retry_curl(rc, req->not_idempotent);
		if (again && attempt < max && fd_rewind(&k) < 0)
			again = false; /* a partial body that cannot be taken back */
		if (!again || attempt >= max) {
			if (rc == CURLE_OK) {
				resp->status = status;
				ret = 0;
			} else {
				fail_attempt(err, &k, rc, attempt, what, method, &uv, &c->opt,
					     timeout_s);
			}
			break;
		}
		long wait = rc == CURLE_OK ? retry_after_ms(resp, c->opt.retry_after_max_s) : -1;
		if (wait < 0 && rc == CURLE_OK && status == 429 && req->retry_after_hint) {
			/* No header: the wait the body asks for (Telegram). */
			long hint = req->retry_after_hint(resp);
			if (hint >= 0)
				wait = (hint > c->opt.retry_after_max_s ? c->opt.retry_after_max_s : hint) * 1000L;
		}
		if (wait < 0)
			wait = backoff_ms(&c->opt, attempt);
		log_warning(LOGGER, "http_retry", req->correlation_id, LF_STR("what", req->what),
			    LF_STR("method", method), LF_STR("host", uv.host),
			    LF_INT("status", status), LF_STR("error", errtext),
			    LF_INT("attempt", attempt), LF_INT("wait_ms", wait));
		sleep_ms(wait);
	}
out:
	if (ret < 0 && err && err->kind == PP_ERR_NONE)
		err->kind = PP_ERR_INTERNAL;
	resp->duration_ms = (long)elapsed_ms(start);
	if (mime)
		curl_mime_free(mime);
	if (k.h)
		handle_put(c, k.h, uv.origin);
	curl_slist_free_all(headers);
	url_view_release(&uv);
	return ret;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	buf_release(&resp->body);
	buf_release(&resp->headers);
	resp->status = 0;
	resp->attempts = 0;
	resp->duration_ms = 0;
}

/* Looks name up in the final response's header block. Returns a malloc'd,
 * trimmed copy of the first match (caller frees), or NULL. */
char *http_response_header(const struct http_response *resp, const char *name)
{
	if (!resp || !name || !resp->headers.data)
		return NULL;
	size_t nlen = strlen(name);
	const char *p = resp->headers.data, *end = p + resp->headers.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		if ((size_t)(line_end - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1, *e = line_end;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			return xstrndup(v, (size_t)(e - v));
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}
