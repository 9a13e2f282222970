/* test_http.c - the HTTP client against an in-process libmicrohttpd server
 * whose responses each test scripts and which records every request and
 * connection: bodies (raw, binary, multipart), retries and backoff,
 * Retry-After, timeouts, refused connections, downloads to a descriptor,
 * connection reuse, many threads, and what reaches log lines and errors. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "net/http.h"
#include "net/sigv4.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"

/* A Telegram-shaped bot token: it must never reach a log line or a message. */
#define TOKEN_TAIL "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"
#define BOT_PATH "/bot123456789:" TOKEN_TAIL

/* ---- scripted server ---------------------------------------------------- */

#define MAX_SCRIPT 16
#define MAX_REC 256

struct scripted {
	int status;
	const char *headers[4];  /* "Name: value" */
	const char *body;
	size_t body_len;         /* 0: strlen(body) */
	int delay_ms;            /* wait this long before answering */
	size_t cut;              /* > 0: announce body_len bytes, send cut, then drop */
};

struct recorded {
	char *method, *path, *query, *headers, *body;
	size_t body_len;
};

struct srv {
	struct MHD_Daemon *d;
	unsigned port;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	struct scripted script[MAX_SCRIPT];
	size_t nscript, next;
	struct recorded rec[MAX_REC];
	size_t nrec;
	int nconn;
};

struct reqctx {
	struct buf body;
};

struct partial {
	char *data;
	size_t cut;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *k,
				  const char *v)
{
	(void)kind;
	buf_addf(cls, "%s: %s\n", k, v ? v : "");
	return MHD_YES;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	buf_addf(cls, "%s=%s&", k, v ? v : "");
	return MHD_YES;
}

static ssize_t partial_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct partial *p = cls;
	if (pos >= p->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = p->cut - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, p->data + pos, n);
	return (ssize_t)n;
}

static void partial_free(void *cls)
{
	struct partial *p = cls;
	free(p->data);
	free(p);
}

static void srv_wait(struct srv *s, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
		;
	pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	(void)version;
	struct srv *s = cls;
	struct reqctx *r = *ctx;
	if (!r) {
		*ctx = xcalloc(1, sizeof(struct reqctx));
		return MHD_YES;
	}
	if (*upload_size) {
		buf_add(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	struct buf hdrs = BUF_INIT, args = BUF_INIT;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &hdrs);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &args);
	struct scripted sc = { .status = 200 };
	bool have = false;
	pthread_mutex_lock(&s->lock);
	if (s->nrec < MAX_REC) {
		struct recorded *rec = &s->rec[s->nrec++];
		rec->method = xstrdup(method);
		rec->path = xstrdup(url);
		rec->query = buf_detach(&args);
		rec->headers = buf_detach(&hdrs);
		rec->body_len = r->body.len;
		rec->body = xmalloc(r->body.len + 1);
		memcpy(rec->body, buf_str(&r->body), r->body.len + 1);
	}
	if (s->next < s->nscript) {
		sc = s->script[s->next++];
		have = true;
	}
	pthread_mutex_unlock(&s->lock);
	buf_release(&hdrs);
	buf_release(&args);

	char *echo = NULL;
	if (!have) /* unscripted: 200 echoing the path */
		sc.body = echo = xasprintf("echo %s", url);
	if (sc.delay_ms)
		srv_wait(s, sc.delay_ms);
	size_t blen = sc.body ? (sc.body_len ? sc.body_len : strlen(sc.body)) : 0;
	struct MHD_Response *res;
	if (sc.cut) {
		struct partial *p = xcalloc(1, sizeof(*p));
		p->data = xmalloc(blen);
		memcpy(p->data, sc.body, blen);
		p->cut = sc.cut;
		res = MHD_create_response_from_callback(blen, 1024, partial_read, p, partial_free);
	} else {
		res = MHD_create_response_from_buffer(blen, (void *)(sc.body ? sc.body : ""),
						      MHD_RESPMEM_MUST_COPY);
	}
	for (size_t i = 0; i < 4 && sc.headers[i]; i++) {
		const char *colon = strchr(sc.headers[i], ':');
		char *name = xstrndup(sc.headers[i], (size_t)(colon - sc.headers[i]));
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		MHD_add_response_header(res, name, v);
		free(name);
	}
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)sc.status, res);
	MHD_destroy_response(res);
	free(echo);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct reqctx *r = *ctx;
	if (r) {
		buf_release(&r->body);
		free(r);
		*ctx = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)conn;
	(void)socket_ctx;
	struct srv *s = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&s->lock);
		s->nconn++;
		pthread_mutex_unlock(&s->lock);
	}
}

static struct srv *srv_start(void)
{
	struct srv *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	/* A thread per connection: a delayed answer holds up no other request. */
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_END);
	assert_non_null(s->d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	assert_true(s->port > 0);
	return s;
}

static void srv_stop(struct srv *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	MHD_stop_daemon(s->d);
	for (size_t i = 0; i < s->nrec; i++) {
		free(s->rec[i].method);
		free(s->rec[i].path);
		free(s->rec[i].query);
		free(s->rec[i].headers);
		free(s->rec[i].body);
	}
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void srv_push(struct srv *s, struct scripted sc)
{
	pthread_mutex_lock(&s->lock);
	assert_true(s->nscript < MAX_SCRIPT);
	s->script[s->nscript++] = sc;
	pthread_mutex_unlock(&s->lock);
}

static size_t srv_nrec(struct srv *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->nrec;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static char *srv_url(struct srv *s, const char *path)
{
	return xasprintf("http://127.0.0.1:%u%s", s->port, path);
}

/* Value of a recorded request header (case-insensitive), or NULL; caller frees. */
static char *rec_header(const struct recorded *r, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		if (strncasecmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ')
			return xstrndup(p + n + 2, (size_t)(eol - p - n - 2));
		p = eol ? eol + 1 : p + strlen(p);
	}
	return NULL;
}

static void assert_rec_header(const struct recorded *r, const char *name, const char *want)
{
	char *v = rec_header(r, name);
	if (!want) {
		if (v)
			fail_msg("header %s unexpectedly present: %s", name, v);
		return;
	}
	if (!v)
		fail_msg("header %s missing; got:\n%s", name, r->headers);
	assert_string_equal(v, want);
	free(v);
}

/* A TCP port on 127.0.0.1 that nothing listens on. */
static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* ---- fixture ------------------------------------------------------------- */

struct fixture {
	struct srv *srv;
	struct http_client *c;
	char *dir;
};

static const struct http_options test_opts = {
	.connect_timeout_s = 2, .timeout_s = 10, .max_attempts = 3,
	.backoff_base_ms = 20, .backoff_max_ms = 80, .retry_after_max_s = 2,
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->srv = srv_start();
	f->c = http_client_new(&test_opts);
	assert_non_null(f->c);
	f->dir = tu_mkdtemp();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	http_client_free(f->c);
	srv_stop(f->srv);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int call(struct fixture *f, struct http_request *req, struct http_response *resp,
		struct pp_error *err)
{
	pp_error_clear(err);
	return http_call(f->c, req, resp, err);
}

/* Defaults first, a test's own fields after them. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define REQ(...) ((struct http_request){ .method = "GET", .download_fd = -1, .what = "test", \
					 __VA_ARGS__ })

/* ---- tests --------------------------------------------------------------- */

static void test_get_body_and_headers(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "hello",
		.headers = { "X-Test:   hello world  ", "Content-Type: text/plain" } });
	char *url = srv_url(f->srv, "/items?x=1&y=a%20b");
	const char *hdrs[] = { "X-Custom: v1", "Authorization: Bearer abc.def", NULL };
	struct http_request req = REQ(.url = url, .headers = hdrs);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_true(http_ok(&resp));
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(resp.body.len, 5);
	assert_string_equal(resp.body.data, "hello");
	assert_true(resp.duration_ms >= 0);

	char *v = http_response_header(&resp, "x-TEST");
	assert_non_null(v);
	assert_string_equal(v, "hello world");
	free(v);
	v = http_response_header(&resp, "Content-Type");
	assert_string_equal(v, "text/plain");
	free(v);
	assert_null(http_response_header(&resp, "X-Missing"));
	assert_null(http_response_header(&resp, "X-Tes")); /* a prefix is no match */

	assert_int_equal(srv_nrec(f->srv), 1);
	struct recorded *r = &f->srv->rec[0];
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->path, "/items");
	assert_non_null(strstr(r->query, "x=1&"));
	assert_non_null(strstr(r->query, "y=a b&"));
	assert_rec_header(r, "X-Custom", "v1");
	assert_rec_header(r, "Authorization", "Bearer abc.def");
	assert_rec_header(r, "User-Agent", "photopub/" PHOTOPUB_VERSION);
	assert_rec_header(r, "Content-Length", NULL);
	char *ae = rec_header(r, "Accept-Encoding");
	assert_non_null(ae);
	assert_non_null(strstr(ae, "gzip"));
	free(ae);
	assert_int_equal(r->body_len, 0);
	http_response_release(&resp);
	assert_null(resp.body.data);
	free(url);
}

/* A request signed by libcurl (aws_sigv4): the Authorization header names
 * the scope and the signed headers, and its signature is the one net/sigv4
 * computes from what the server received, with the query as sent. */
static void test_aws_sigv4(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "ok" });
	char *url = srv_url(f->srv, "/bucket/in/a.jpg?list-type=2&prefix=in");
	static const char body[] = "sidecar text";
	char sha[65];
	sigv4_sha256_hex(body, sizeof(body) - 1, sha);
	char *h_sha = xasprintf("x-amz-content-sha256: %s", sha);
	const char *hdrs[] = { h_sha, "Content-Type: text/plain", NULL };
	struct http_request req = REQ(.method = "PUT", .url = url, .headers = hdrs, .body = body,
				      .body_len = sizeof(body) - 1, .aws_sigv4 = "aws:amz:eu-west-3:s3",
				      .aws_key = "AKIDTEST", .aws_secret = "s3cr3t/key+");
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	struct recorded *r = &f->srv->rec[0];
	char *auth = rec_header(r, "Authorization");
	char *date = rec_header(r, "X-Amz-Date");
	char *host = rec_header(r, "Host");
	assert_non_null(auth);
	assert_non_null(date);
	assert_null(strstr(r->headers, "s3cr3t"));
	char want[200];
	snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=AKIDTEST/%.8s/eu-west-3/s3/aws4_request, ",
		 date);
	assert_memory_equal(auth, want, strlen(want));
	const char *sh = strstr(auth, "SignedHeaders=");
	const char *sig = strstr(auth, "Signature=");
	assert_non_null(sh);
	assert_non_null(sig);
	char *signed_headers = xstrndup(sh + 14, (size_t)(strchr(sh, ',') - sh - 14));
	assert_non_null(strstr(signed_headers, "host"));
	assert_non_null(strstr(signed_headers, "x-amz-content-sha256"));
	assert_non_null(strstr(signed_headers, "x-amz-date"));
	/* The canonical request of what arrived. */
	struct buf canon = BUF_INIT;
	buf_addf(&canon, "PUT\n/bucket/in/a.jpg\nlist-type=2&prefix=in\n");
	char *names = xstrdup(signed_headers);
	for (char *save = NULL, *n = strtok_r(names, ";", &save); n; n = strtok_r(NULL, ";", &save)) {
		char *v = rec_header(r, n);
		assert_non_null(v);
		buf_addf(&canon, "%s:%s\n", n, v);
		free(v);
	}
	buf_addf(&canon, "\n%s\n%s", signed_headers, sha);
	const struct sigv4_creds cr = { .access_key = "AKIDTEST", .secret_key = "s3cr3t/key+",
					.region = "eu-west-3", .service = "s3" };
	char mine[65];
	sigv4_signature(&cr, date, buf_str(&canon), mine);
	assert_string_equal(sig + 10, mine);
	buf_release(&canon);
	free(names);
	free(signed_headers);
	free(auth);
	free(date);
	free(host);
	free(h_sha);
	http_response_release(&resp);
	free(url);
}

static void test_post_binary_body(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "a\0b\0\xff\x01 c\0";
	const size_t len = sizeof(body); /* includes both the inner NULs and the last */
	char *url = srv_url(f->srv, "/upload");
	const char *hdrs[] = { "Content-Type: application/octet-stream", NULL };
	struct http_request req = REQ(.method = "POST", .url = url, .headers = hdrs,
				      .body = body, .body_len = len);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	struct recorded *r = &f->srv->rec[0];
	assert_string_equal(r->method, "POST");
	assert_int_equal(r->body_len, len);
	assert_memory_equal(r->body, body, len);
	char want[16];
	snprintf(want, sizeof(want), "%zu", len);
	assert_rec_header(r, "Content-Length", want);
	assert_rec_header(r, "Content-Type", "application/octet-stream");
	http_response_release(&resp);
	free(url);
}

static void test_methods_and_empty_bodies(void **state)
{
	struct fixture *f = *state;
	char *url = srv_url(f->srv, "/m");
	struct http_response resp;
	struct pp_error err;

	struct http_request req = REQ(.method = "POST", .url = url);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	http_response_release(&resp);
	req = REQ(.method = "DELETE", .url = url);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	http_response_release(&resp);
	req = REQ(.method = "PATCH", .url = url, .body = "{}", .body_len = 2);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	http_response_release(&resp);
	req = REQ(.method = "HEAD", .url = url);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_release(&resp);

	assert_int_equal(srv_nrec(f->srv), 4);
	struct recorded *r = f->srv->rec;
	assert_string_equal(r[0].method, "POST");
	assert_rec_header(&r[0], "Content-Length", "0");
	assert_int_equal(r[0].body_len, 0);
	assert_string_equal(r[1].method, "DELETE");
	assert_rec_header(&r[1], "Content-Length", NULL);
	assert_string_equal(r[2].method, "PATCH");
	assert_int_equal(r[2].body_len, 2);
	assert_memory_equal(r[2].body, "{}", 2);
	assert_string_equal(r[3].method, "HEAD");
	free(url);
}

static const char *mem_find(const char *hay, size_t n, const char *needle, size_t m)
{
	return memmem(hay, n, needle, m);
}

static void assert_part(const struct recorded *r, const char *boundary, const char *head,
			const void *data, size_t len)
{
	struct buf want = BUF_INIT;
	buf_addf(&want, "--%s\r\n%s\r\n\r\n", boundary, head);
	buf_add(&want, data, len);
	buf_addf(&want, "\r\n--%s", boundary);
	if (!mem_find(r->body, r->body_len, want.data, want.len))
		fail_msg("part not found: %s", head);
	buf_release(&want);
}

static void test_multipart(void **state)
{
	struct fixture *f = *state;
	static const char photo[] = "\xff\xd8\xff\xe0JFIF\0\0binary\r\n--not-a-boundary\xff\xd9";
	char *path = tu_write(f->dir, "local-name.jpg", photo, sizeof(photo));
	static const char doc[] = "x\0y";
	const struct http_part parts[] = {
		{ .name = "chat_id", .data = "42", .len = 2 },
		{ .name = "caption", .data = "h\xc3\xa9llo w\xc3\xb6rld", .len = 14 },
		{ .name = "photo", .path = path, .filename = "photo.jpg", .content_type = "image/jpeg" },
		{ .name = "doc", .data = doc, .len = 3, .filename = "d.bin",
		  .content_type = "application/octet-stream" },
	};
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy" });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "{\"ok\":true}" });
	char *url = srv_url(f->srv, "/bot/sendPhoto");
	struct http_request req = REQ(.method = "POST", .url = url, .parts = parts, .nparts = 4);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_string_equal(resp.body.data, "{\"ok\":true}");

	assert_int_equal(srv_nrec(f->srv), 2);
	struct recorded *r = &f->srv->rec[0];
	assert_string_equal(r->method, "POST");
	char *ct = rec_header(r, "Content-Type");
	assert_non_null(ct);
	const char *prefix = "multipart/form-data; boundary=";
	assert_int_equal(strncmp(ct, prefix, strlen(prefix)), 0);
	const char *boundary = ct + strlen(prefix);
	assert_true(strlen(boundary) > 10);
	assert_part(r, boundary, "Content-Disposition: form-data; name=\"chat_id\"", "42", 2);
	assert_part(r, boundary, "Content-Disposition: form-data; name=\"caption\"",
		    "h\xc3\xa9llo w\xc3\xb6rld", 14);
	assert_part(r, boundary,
		    "Content-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n"
		    "Content-Type: image/jpeg", photo, sizeof(photo));
	assert_part(r, boundary,
		    "Content-Disposition: form-data; name=\"doc\"; filename=\"d.bin\"\r\n"
		    "Content-Type: application/octet-stream", doc, 3);
	char *end = xasprintf("--%s--\r\n", boundary);
	size_t elen = strlen(end);
	assert_true(r->body_len > elen);
	assert_memory_equal(r->body + r->body_len - elen, end, elen);
	assert_null(mem_find(r->body, r->body_len, "local-name", 10));
	/* The retry sent the same form again, in full. */
	assert_int_equal(f->srv->rec[1].body_len, r->body_len);
	char *ct2 = rec_header(&f->srv->rec[1], "Content-Type");
	assert_string_equal(ct2, ct);
	assert_memory_equal(f->srv->rec[1].body, r->body, r->body_len);
	free(ct2);
	free(end);
	free(ct);
	http_response_release(&resp);
	free(url);
	free(path);
}

static void test_missing_file_part(void **state)
{
	struct fixture *f = *state;
	char *missing = xasprintf("%s/nope.jpg", f->dir);
	const struct http_part parts[] = { { .name = "photo", .path = missing } };
	char *url = srv_url(f->srv, "/x");
	struct http_request req = REQ(.method = "POST", .url = url, .parts = parts, .nparts = 1);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), -1);
	assert_int_equal(err.kind, PP_ERR_IO);
	assert_int_equal(err.transient, 0);
	assert_int_equal(resp.attempts, 0);
	assert_int_equal(srv_nrec(f->srv), 0);
	http_response_release(&resp);
	free(url);
	free(missing);
}

static void test_retry_after_seconds(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 429, .body = "slow down",
		.headers = { "Retry-After: 1" } });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "done" });
	char *url = srv_url(f->srv, "/r");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	int64_t t0 = now_monotonic();
	assert_int_equal(call(f, &req, &resp, &err), 0);
	int64_t ms = elapsed_ms(t0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_string_equal(resp.body.data, "done");
	assert_null(http_response_header(&resp, "Retry-After")); /* final attempt's headers */
	assert_true(ms >= 950);
	assert_true(resp.duration_ms >= 950);
	assert_true(resp.duration_ms <= ms);
	assert_int_equal(srv_nrec(f->srv), 2);
	http_response_release(&resp);
	free(url);
}

/* caller_handles_429: the 429 comes back at once, headers and all. */
static void test_429_left_to_the_caller(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 429, .body = "{\"error\":\"Too many requests\"}",
		.headers = { "X-RateLimit-Reset: 2026-12-03T10:05:00.000000Z", "Retry-After: 1" } });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "second" });
	char *url = srv_url(f->srv, "/r");
	struct http_request req = REQ(.url = url, .caller_handles_429 = true);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.attempts, 1);
	char *reset = http_response_header(&resp, "X-RateLimit-Reset");
	assert_string_equal(reset, "2026-12-03T10:05:00.000000Z");
	free(reset);
	assert_int_equal(srv_nrec(f->srv), 1);
	http_response_release(&resp);
	assert_int_equal(call(f, &req, &resp, &err), 0); /* the 200, for the next test */
	http_response_release(&resp);
	free(url);
}

static void test_retry_after_capped(void **state)
{
	struct fixture *f = *state;
	/* retry_after_max_s is 2 in test_opts. */
	srv_push(f->srv, (struct scripted){ .status = 503, .headers = { "Retry-After: 3600" } });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "done" });
	char *url = srv_url(f->srv, "/r");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_true(resp.duration_ms >= 1950);
	assert_true(resp.duration_ms < 5000);
	http_response_release(&resp);
	free(url);
}

static void test_retry_after_http_date(void **state)
{
	struct fixture *f = *state;
	char date[64], hdr[96];
	time_t later = time(NULL) + 3600;
	struct tm tm;
	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(hdr, sizeof(hdr), "Retry-After: %s", date);
	srv_push(f->srv, (struct scripted){ .status = 429, .headers = { hdr } });
	srv_push(f->srv, (struct scripted){ .status = 200 });
	/* An unreadable value falls back to the backoff (20 ms here). */
	srv_push(f->srv, (struct scripted){ .status = 429, .headers = { "Retry-After: soon" } });
	srv_push(f->srv, (struct scripted){ .status = 200 });
	char *url = srv_url(f->srv, "/r");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.attempts, 2);
	/* An hour away, capped at 2 s: proves the date was read. */
	assert_true(resp.duration_ms >= 1950);
	assert_true(resp.duration_ms < 5000);
	http_response_release(&resp);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(resp.status, 200);
	assert_true(resp.duration_ms < 900);
	http_response_release(&resp);
	free(url);
}

static void test_503_then_ok(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy" });
	srv_push(f->srv, (struct scripted){ .status = 502, .body = "bad gateway" });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "fine" });
	char *url = srv_url(f->srv, "/x");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	assert_string_equal(resp.body.data, "fine");
	/* Equal jitter: at least half of 20 ms, then half of 40 ms. */
	assert_true(resp.duration_ms >= 30);
	assert_int_equal(srv_nrec(f->srv), 3);
	http_response_release(&resp);
	free(url);
}

static void test_503_exhausted(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy1", .headers = { "X-Attempt: 1" } });
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy2", .headers = { "X-Attempt: 2" } });
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy3", .headers = { "X-Attempt: 3" } });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "too late" });
	char *url = srv_url(f->srv, "/x");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 503);
	assert_false(http_ok(&resp));
	assert_int_equal(resp.attempts, 3);
	assert_string_equal(resp.body.data, "busy3");
	char *v = http_response_header(&resp, "X-Attempt");
	assert_string_equal(v, "3");
	free(v);
	assert_int_equal(srv_nrec(f->srv), 3);
	http_response_release(&resp);

	/* max_attempts 1 on the request: no retry at all. */
	srv_push(f->srv, (struct scripted){ .status = 500 });
	req.max_attempts = 1;
	assert_int_equal(call(f, &req, &resp, &err), 0); /* takes the queued 200 */
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 500);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(srv_nrec(f->srv), 5);
	http_response_release(&resp);
	free(url);
}

static void test_4xx_not_retried(void **state)
{
	struct fixture *f = *state;
	static const int codes[] = { 400, 401, 403, 404, 409, 302 };
	char *url = srv_url(f->srv, "/x");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t before = srv_nrec(f->srv);
		srv_push(f->srv, (struct scripted){ .status = codes[i], .body = "{\"error\":1}",
			.headers = { "Location: /elsewhere", "Retry-After: 1" } });
		srv_push(f->srv, (struct scripted){ .status = 200, .body = "second" });
		struct http_request req = REQ(.url = url);
		struct http_response resp;
		struct pp_error err;
		assert_int_equal(call(f, &req, &resp, &err), 0);
		assert_int_equal(resp.status, codes[i]);
		assert_int_equal(resp.attempts, 1);
		assert_string_equal(resp.body.data, "{\"error\":1}");
		assert_true(resp.duration_ms < 900);
		assert_int_equal(srv_nrec(f->srv), before + 1);
		http_response_release(&resp);
		/* Consume the 200 so the next code starts from an empty script. */
		assert_int_equal(call(f, &req, &resp, &err), 0);
		assert_string_equal(resp.body.data, "second");
		http_response_release(&resp);
	}
	free(url);
}

static void test_timeout(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 3; i++)
		srv_push(f->srv, (struct scripted){ .status = 200, .body = "late", .delay_ms = 4000 });
	char *url = srv_url(f->srv, "/slow?signature=qsecret");
	struct http_request req = REQ(.url = url, .timeout_s = 1, .what = "dropbox list_folder");
	struct http_response resp;
	struct pp_error err;
	int64_t t0 = now_monotonic();
	assert_int_equal(call(f, &req, &resp, &err), -1);
	int64_t ms = elapsed_ms(t0);
	assert_int_equal(err.kind, PP_ERR_TIMEOUT);
	assert_int_equal(err.transient, 1);
	assert_int_equal(err.http_status, 0);
	assert_string_equal(err.where, "http");
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 3);
	assert_true(ms >= 2900);
	assert_true(ms < 5000);
	assert_non_null(strstr(err.msg, "dropbox list_folder: timed out after 1 s (3 attempts)"));
	assert_non_null(strstr(err.msg, "/slow"));
	assert_null(strchr(err.msg, '?'));
	assert_null(strstr(err.msg, "qsecret"));
	http_response_release(&resp);
	free(url);
}

static void test_connect_refused_hides_token(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("http://127.0.0.1:%u" BOT_PATH "/sendPhoto?chat_id=5&sig=qsecret",
			      closed_port());
	struct http_request req = REQ(.method = "POST", .url = url, .what = "telegram sendPhoto");
	struct http_response resp;
	struct pp_error err;
	int64_t t0 = now_monotonic();
	assert_int_equal(call(f, &req, &resp, &err), -1);
	assert_true(elapsed_ms(t0) < 3000);
	assert_int_equal(err.kind, PP_ERR_UNAVAILABLE);
	assert_int_equal(err.transient, 1);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 3);
	assert_non_null(strstr(err.msg, "telegram sendPhoto: "));
	assert_non_null(strstr(err.msg, "(3 attempts)"));
	assert_non_null(strstr(err.msg, "/bot[REDACTED]/sendPhoto"));
	assert_null(strstr(err.msg, TOKEN_TAIL));
	assert_null(strstr(err.msg, "qsecret"));
	assert_null(strchr(err.msg, '?'));
	http_response_release(&resp);
	free(url);
}

static void test_refused_protocols_and_bad_urls(void **state)
{
	struct fixture *f = *state;
	static const char *const urls[] = { "ftp://127.0.0.1/x", "file:///etc/passwd", "not a url" };
	for (size_t i = 0; i < 3; i++) {
		struct http_request req = REQ(.url = urls[i]);
		struct http_response resp;
		struct pp_error err;
		assert_int_equal(call(f, &req, &resp, &err), -1);
		assert_int_equal(err.transient, 0);
		assert_int_equal(err.kind, PP_ERR_INVALID);
		assert_int_equal(resp.attempts, 1);
		assert_int_equal(resp.body.len, 0);
		http_response_release(&resp);
	}
}

static char *read_fd_file(const char *path, size_t *len)
{
	char *s = tu_read(path, len);
	assert_non_null(s);
	return s;
}

static void test_download_fd(void **state)
{
	struct fixture *f = *state;
	size_t n = 200000;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 251);
	srv_push(f->srv, (struct scripted){ .status = 200, .body = data, .body_len = n });
	srv_push(f->srv, (struct scripted){ .status = 404, .body = "{\"error\":\"not_found\"}" });
	char *path = xasprintf("%s/dl", f->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char *url = srv_url(f->srv, "/file");
	struct http_request req = REQ(.url = url, .download_fd = fd);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	size_t len;
	char *got = read_fd_file(path, &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	free(got);
	http_response_release(&resp);

	/* An error status's body is for the caller to read, not for the file. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body.data, "{\"error\":\"not_found\"}");
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	http_response_release(&resp);
	close(fd);
	free(url);
	free(path);
	free(data);
}

static void test_download_retry_keeps_final_body(void **state)
{
	struct fixture *f = *state;
	char *xs = xmalloc(8192);
	memset(xs, 'X', 8192);
	char *url = srv_url(f->srv, "/file");
	char *path = xasprintf("%s/dl", f->dir);
	struct http_response resp;
	struct pp_error err;
	size_t len;

	/* Without a retry, the broken body's bytes do reach the file. */
	srv_push(f->srv, (struct scripted){ .status = 200, .body = xs, .body_len = 8192, .cut = 4096 });
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	struct http_request req = REQ(.url = url, .download_fd = fd, .max_attempts = 1);
	assert_int_equal(call(f, &req, &resp, &err), -1);
	assert_int_equal(err.kind, PP_ERR_UNAVAILABLE);
	assert_int_equal(resp.attempts, 1);
	http_response_release(&resp);
	char *got = read_fd_file(path, &len);
	assert_true(len > 0 && len <= 4096);
	assert_int_equal(got[0], 'X');
	free(got);
	close(fd);

	/* Broken 200, then 503, then the real body: the file holds what was
	 * there before the call and the final body, nothing else. */
	srv_push(f->srv, (struct scripted){ .status = 200, .body = xs, .body_len = 8192, .cut = 4096 });
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "oops" });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "final body" });
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep:", 5), 5);
	req = REQ(.url = url, .download_fd = fd);
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(resp.body.len, 0);
	got = read_fd_file(path, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(got, "keep:final body", 15);
	free(got);
	http_response_release(&resp);
	close(fd);
	free(path);
	free(url);
	free(xs);
}

static void test_gzip_decoded(void **state)
{
	struct fixture *f = *state;
	const char *plain = "{\"entries\": [\"a.jpg\", \"b.jpg\", \"c.jpg\", \"a.jpg\", \"b.jpg\"]}";
	unsigned char gz[512];
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)plain;
	z.avail_in = (unsigned)strlen(plain);
	z.next_out = gz;
	z.avail_out = sizeof(gz);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t gzlen = z.total_out;
	deflateEnd(&z);
	srv_push(f->srv, (struct scripted){ .status = 200, .body = (const char *)gz, .body_len = gzlen,
		.headers = { "Content-Encoding: gzip" } });
	char *url = srv_url(f->srv, "/list");
	struct http_request req = REQ(.url = url);
	struct http_response resp;
	struct pp_error err;
	assert_int_equal(call(f, &req, &resp, &err), 0);
	assert_string_equal(resp.body.data, plain);
	http_response_release(&resp);
	free(url);
}

static void test_connection_reuse(void **state)
{
	struct fixture *f = *state;
	char *url = srv_url(f->srv, "/again");
	for (int i = 0; i < 10; i++) {
		struct http_request req = i % 3 == 1 ? REQ(.method = "POST", .url = url, .body = "x",
							      .body_len = 1)
						     : REQ(.url = url);
		struct http_response resp;
		struct pp_error err;
		assert_int_equal(call(f, &req, &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		assert_string_equal(resp.body.data, "echo /again");
		http_response_release(&resp);
	}
	assert_int_equal(srv_nrec(f->srv), 10);
	assert_int_equal(f->srv->nconn, 1);
	free(url);
}

struct worker {
	struct fixture *f;
	int id;
	atomic_int *failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20; i++) {
		char path[64], want[80];
		snprintf(path, sizeof(path), "/t/%d/%d", w->id, i);
		snprintf(want, sizeof(want), "echo %s", path);
		char *url = srv_url(w->f->srv, path);
		struct http_request req = REQ(.url = url);
		struct http_response resp;
		struct pp_error err;
		if (http_call(w->f->c, &req, &resp, &err) != 0 || resp.status != 200 ||
		    resp.attempts != 1 || strcmp(buf_str(&resp.body), want) != 0)
			atomic_fetch_add(w->failures, 1);
		http_response_release(&resp);
		free(url);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	atomic_int failures = 0;
	pthread_t th[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .f = f, .id = i, .failures = &failures };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(srv_nrec(f->srv), 160);
	/* One connection per concurrent caller at most. */
	assert_true(f->srv->nconn >= 1 && f->srv->nconn <= 8);
}

static void test_log_lines(void **state)
{
	struct fixture *f = *state;
	srv_push(f->srv, (struct scripted){ .status = 503, .body = "busy" });
	srv_push(f->srv, (struct scripted){ .status = 200, .body = "{\"ok\":true}" });
	char *url = srv_url(f->srv, BOT_PATH "/getMe?offset=1&key=qsecret");
	struct http_request req = REQ(.url = url, .what = "telegram getMe",
				      .correlation_id = "cid-42");
	struct http_response resp;
	struct pp_error err;
	enum log_level old = log_get_level();
	log_set_level(LOG_DEBUG);
	tu_log_start();
	int rc = call(f, &req, &resp, &err);
	char *log = tu_log_stop();
	log_set_level(old);
	assert_int_equal(rc, 0);
	assert_int_equal(resp.attempts, 2);
	assert_null(strstr(log, TOKEN_TAIL));
	assert_null(strstr(log, "qsecret"));
	assert_null(strstr(log, "offset"));

	int calls = 0, retries = 0;
	for (char *line = log, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)(nl - line), 0, &je);
		if (!j)
			fail_msg("not JSON (%s): %.*s", je.text, (int)(nl - line), line);
		const char *msg = json_string_value(json_object_get(j, "message"));
		assert_non_null(msg);
		assert_string_equal(json_string_value(json_object_get(j, "logger")), "http");
		assert_string_equal(json_string_value(json_object_get(j, "correlation_id")), "cid-42");
		assert_string_equal(json_string_value(json_object_get(j, "what")), "telegram getMe");
		if (strcmp(msg, "http_call") == 0) {
			calls++;
			assert_string_equal(json_string_value(json_object_get(j, "level")), "debug");
			assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
			assert_string_equal(json_string_value(json_object_get(j, "host")), "127.0.0.1");
			assert_string_equal(json_string_value(json_object_get(j, "path")),
					    "/bot[REDACTED]/getMe");
			assert_int_equal(json_integer_value(json_object_get(j, "attempt")), calls);
			assert_int_equal(json_integer_value(json_object_get(j, "status")),
					 calls == 1 ? 503 : 200);
			assert_true(json_is_integer(json_object_get(j, "duration_ms")));
			assert_true(json_is_null(json_object_get(j, "error")));
		} else if (strcmp(msg, "http_retry") == 0) {
			retries++;
			assert_string_equal(json_string_value(json_object_get(j, "level")), "warning");
			assert_int_equal(json_integer_value(json_object_get(j, "status")), 503);
			assert_int_equal(json_integer_value(json_object_get(j, "attempt")), 1);
			json_int_t wait = json_integer_value(json_object_get(j, "wait_ms"));
			assert_true(wait >= 10 && wait <= 20);
		} else {
			fail_msg("unexpected line: %s", line);
		}
		json_decref(j);
	}
	assert_int_equal(calls, 2);
	assert_int_equal(retries, 1);
	free(log);
	http_response_release(&resp);
	free(url);
}

static void test_log_lines_on_failure(void **state)
{
	(void)state;
	char *url = xasprintf("http://127.0.0.1:%u" BOT_PATH "/getUpdates?key=qsecret", closed_port());
	struct http_client *c = http_client_new(&(struct http_options){ .max_attempts = 2,
		.backoff_base_ms = 5, .backoff_max_ms = 5 });
	assert_non_null(c);
	struct http_request req = REQ(.url = url, .correlation_id = "cid-7");
	struct http_response resp;
	struct pp_error err;
	enum log_level old = log_get_level();
	log_set_level(LOG_DEBUG);
	tu_log_start();
	int rc = http_call(c, &req, &resp, &err);
	char *log = tu_log_stop();
	log_set_level(old);
	assert_int_equal(rc, -1);
	assert_int_equal(resp.attempts, 2);
	assert_null(strstr(log, TOKEN_TAIL));
	assert_null(strstr(log, "qsecret"));
	int calls = 0;
	for (char *line = log, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
		assert_non_null(j);
		if (strcmp(json_string_value(json_object_get(j, "message")), "http_call") == 0) {
			calls++;
			assert_int_equal(json_integer_value(json_object_get(j, "status")), 0);
			assert_true(json_is_string(json_object_get(j, "error")));
		}
		json_decref(j);
	}
	assert_int_equal(calls, 2);
	free(log);
	http_response_release(&resp);
	http_client_free(c);
	free(url);
}

static void test_defaults(void **state)
{
	(void)state;
	/* NULL options work; freeing an unused client and NULL are fine. */
	struct http_client *c = http_client_new(NULL);
	assert_non_null(c);
	http_client_free(c);
	http_client_free(NULL);
	http_response_release(NULL);
	struct http_response resp = { 0 };
	assert_null(http_response_header(&resp, "X"));
}

int main(void)
{
	/* The server is on 127.0.0.1: never through a proxy from the environment. */
	static const char *const proxy_vars[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
						  "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_body_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_binary_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_sigv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_methods_and_empty_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_seconds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_http_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_503_then_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_503_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4xx_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_left_to_the_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused_hides_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_protocols_and_bad_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_retry_keeps_final_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_decoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_lines, setup, teardown),
		cmocka_unit_test(test_log_lines_on_failure),
		cmocka_unit_test(test_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
