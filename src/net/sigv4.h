/* sigv4.h - AWS Signature Version 4 by hand (OpenSSL SHA-256 and
 * HMAC-SHA256): the canonical request, the string to sign, the signing key
 * and the signature, and presigned URLs (query-string signing), which
 * libcurl's CURLOPT_AWS_SIGV4 cannot make. Requests themselves are signed by
 * libcurl (struct http_request.aws_sigv4); this module is what it leaves out.
 * Spec: AWS "Signature Version 4 signing process", S3 "Authenticating
 * Requests: Using Query Parameters". */
#ifndef PHOTOPUB_NET_SIGV4_H
#define PHOTOPUB_NET_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "util/error.h"

#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* A presigned URL lives at most a week (S3's limit). */
#define SIGV4_EXPIRES_MAX (7 * 86400)

/* Who signs, and for what scope. Strings borrowed from the caller. */
struct sigv4_creds {
	const char *access_key;
	const char *secret_key;    /* never copied into anything returned */
	const char *session_token; /* NULL: none */
	const char *region;        /* "us-east-1", "auto" (R2) */
	const char *service;       /* "s3" */
};

/* A query parameter, unencoded. */
struct sigv4_param {
	const char *name;
	const char *value;         /* NULL: "" */
};

/* Lowercase hex SHA-256 of data[0..len). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* path with every byte but the unreserved [A-Za-z0-9._~-] and '/' written
 * as %XX (uppercase): S3's canonical URI of a key, and its URL path. Caller
 * frees. */
char *sigv4_encode_path(const char *path);

/* The canonical query string of params: each name and value encoded
 * (RFC 3986, url_escape), sorted by name then value, joined by '&'. It is
 * also the query to send: libcurl signs the query exactly as given. Caller
 * frees; "" for none. */
char *sigv4_query(const struct sigv4_param *params, size_t n);

/* "20130524T000000Z" (16 characters + NUL) for t, UTC. */
void sigv4_amz_date(time_t t, char out[17]);

/* The signing key: HMAC chain of "AWS4"+secret over date (YYYYMMDD),
 * region, service and "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date, const char *region,
		       const char *service, unsigned char out[32]);

/* The signature (lowercase hex) of a canonical request made at amz_date
 * ("YYYYMMDDTHHMMSSZ") under c's scope. */
void sigv4_signature(const struct sigv4_creds *c, const char *amz_date,
		     const char *canonical_request, char out[65]);

/* The query of a presigned request: params plus X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host
 * (and X-Amz-Security-Token), sorted and encoded, then &X-Amz-Signature.
 * host is the Host header the URL will carry ("bucket.s3.amazonaws.com",
 * "127.0.0.1:9000"), path its encoded path (sigv4_encode_path). The payload
 * is UNSIGNED-PAYLOAD, as S3 wants for presigned URLs. *query: caller frees.
 * Fails (kind invalid) when expires_s is not within 1..SIGV4_EXPIRES_MAX. */
int sigv4_presign_query(const struct sigv4_creds *c, const char *method, const char *host,
			const char *path, const struct sigv4_param *params, size_t n, time_t now,
			int expires_s, char **query, struct pp_error *err);

#endif
