/* http.h - every HTTP call photopub makes, on libcurl.
 *
 * One client per process (thread-safe): connect and total timeouts, TLS
 * verification always on, retries with exponential backoff and jitter only
 * for transient failures (connection errors, timeouts, 429, 5xx), honouring
 * Retry-After, and connections, TLS sessions and DNS answers shared between
 * calls and threads, so one run's calls to a host reuse one connection.
 * Each attempt is logged at debug level (`http_call`: method, host, path,
 * status, duration_ms, attempt) with the correlation id; URLs and error texts
 * are sanitized before they reach a log line or an error message. */
#ifndef PHOTOPUB_NET_HTTP_H
#define PHOTOPUB_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/error.h"

struct http_client;
struct http_response;

struct http_options {
	int connect_timeout_s;     /* default 10 */
	int timeout_s;             /* whole call, default 60 */
	int max_attempts;          /* default 3 */
	int backoff_base_ms;       /* first retry delay, default 1000; doubles up to backoff_max_ms */
	int backoff_max_ms;        /* default 8000 */
	int retry_after_max_s;     /* cap on a server's Retry-After, default 30 */
};

/* Creates the client (curl_global_init on first use). NULL options: defaults. */
struct http_client *http_client_new(const struct http_options *opts);
void http_client_free(struct http_client *c);

/* One part of a multipart/form-data body. */
struct http_part {
	const char *name;
	const char *data;          /* bytes, or NULL with path */
	size_t len;
	const char *path;          /* file to send instead of data */
	const char *filename;      /* NULL: a plain field */
	const char *content_type;  /* NULL: default */
};

struct http_request {
	const char *method;        /* "GET", "POST", … */
	const char *url;
	const char *const *headers;/* NULL-terminated "Name: value" lines, or NULL */
	const void *body;          /* request body, or NULL */
	size_t body_len;
	const struct http_part *parts; /* multipart body instead of body, or NULL */
	size_t nparts;
	int timeout_s;             /* 0: the client's */
	int max_attempts;          /* 0: the client's; 1: no retry */
	const char *correlation_id;/* for the log lines */
	const char *what;          /* short name for logs and errors: "dropbox list_folder" */
	int download_fd;           /* >= 0: write the body to this fd instead of resp->body */
	/* Optional: seconds a 429 response asks to wait in its body (Telegram's
	 * parameters.retry_after), or -1. Used when there is no Retry-After
	 * header; capped like the header. */
	int (*retry_after_hint)(const struct http_response *resp);
	/* The call must not take effect twice (posting a photo): retried only
	 * when the server cannot have acted on it (429, no connection), never
	 * after a timeout or a 5xx. */
	bool not_idempotent;
	/* The caller reads a 429 itself (waits for the reset time it names, or
	 * gives up): it is returned at once, never retried here. */
	bool caller_handles_429;
	/* Optional: every attempt signed by libcurl with AWS Signature V4
	 * (CURLOPT_AWS_SIGV4), aws_sigv4 its provider string
	 * ("aws:amz:us-east-1:s3"), aws_key and aws_secret the credentials.
	 * libcurl signs the query exactly as given (send it sorted and
	 * encoded: net/sigv4.h) and adds no x-amz-content-sha256: the caller
	 * puts it among the headers. NULL: no signing. */
	const char *aws_sigv4;
	const char *aws_key;
	const char *aws_secret;
};

struct http_response {
	long status;               /* final HTTP status; 0 when no response */
	struct buf body;           /* response body (unless download_fd) */
	struct buf headers;        /* raw response headers of the final attempt */
	int attempts;
	long duration_ms;          /* all attempts, waits included */
};

/* Performs req, retrying transient failures. Returns 0 when a response
 * arrived (any status: check resp->status), -1 when none did after the
 * retries (err->transient set, err->kind PP_ERR_TIMEOUT or PP_ERR_UNAVAILABLE). The caller
 * releases resp with http_response_release. */
int http_call(struct http_client *c, const struct http_request *req,
	      struct http_response *resp, struct pp_error *err);
/* More on http_call:
 * - download_fd 0 is a descriptor like any other: a request that does not
 *   download sets it to -1 (a zero-initialised request would write to fd 0).
 * - With download_fd, only a 2xx body goes to the fd, written from its offset
 *   at the start of the call and rewound there before a retry; any other
 *   status's body lands in resp->body, so error replies can be read.
 * - timeout_s bounds each attempt; the waits between attempts come on top.
 * - Failures that are not retried return -1 with err->transient 0 and kind
 *   PP_ERR_IO (download fd, form file), PP_ERR_AUTH (TLS: the server's
 *   certificate is refused), PP_ERR_INVALID (bad URL, scheme
 *   other than http/https), "too_large" (in-memory body over 128 MiB) or
 *   "network". err is cleared on entry. */

void http_response_release(struct http_response *resp);

/* Value of a response header (case-insensitive name), or NULL; caller frees. */
char *http_response_header(const struct http_response *resp, const char *name);

/* The seconds the response's Retry-After header asks for (delay-seconds or
 * an HTTP-date), at most a day; 0 when it has none. */
int http_retry_after(const struct http_response *resp);

/* True for 2xx. */
static inline bool http_ok(const struct http_response *resp)
{
	return resp->status >= 200 && resp->status < 300;
}

#endif
