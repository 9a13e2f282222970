/* sigv4.c - AWS Signature Version 4 by hand: canonical query and path,
 * signing key, signature and presigned query strings (see sigv4.h), on
 * OpenSSL's SHA-256 and HMAC. Nothing here keeps or logs a secret. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/sigv4.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/url.h"

#define WHERE "sigv4"

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data ? data : (const void *)"", len, md);
	hex_encode(md, sizeof(md), out);
}

char *sigv4_encode_path(const char *path)
{
	struct buf b = BUF_INIT;
	const char *p = path ? path : "";
	buf_adds(&b, ""); /* "" for "" */
	for (;;) {
		const char *slash = strchr(p, '/');
		char *seg = xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
		char *e = url_escape(seg);
		buf_adds(&b, e);
		free(e);
		free(seg);
		if (!slash)
			break;
		buf_addc(&b, '/');
		p = slash + 1;
	}
	return buf_detach(&b);
}

struct encoded {
	char *name, *value;
};

static int encoded_cmp(const void *a, const void *b)
{
	const struct encoded *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

char *sigv4_query(const struct sigv4_param *params, size_t n)
{
	struct encoded *e = xcalloc(n ? n : 1, sizeof(*e));
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		e[i].name = url_escape(params[i].name);
		e[i].value = url_escape(params[i].value ? params[i].value : "");
	}
	qsort(e, n, sizeof(*e), encoded_cmp);
	for (size_t i = 0; i < n; i++) {
		buf_addf(&b, "%s%s=%s", i ? "&" : "", e[i].name, e[i].value);
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	return buf_detach(&b);
}

void sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

void sigv4_signing_key(const char *secret, const char *date, const char *region,
		       const char *service, unsigned char out[32])
{
	size_t slen = strlen(secret);
	unsigned char *k = xmalloc(slen + 5);
	unsigned char a[32], b[32];
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, slen);
	hmac(k, slen + 4, date, a);
	OPENSSL_cleanse(k, slen + 4);
	free(k);
	hmac(a, 32, region, b);
	hmac(b, 32, service, a);
	hmac(a, 32, "aws4_request", out);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

void sigv4_signature(const struct sigv4_creds *c, const char *amz_date,
		     const char *canonical_request, char out[65])
{
	char date[9], hash[65];
	unsigned char key[32], sig[32];
	snprintf(date, sizeof(date), "%.8s", amz_date);
	sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
	char *sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date,
			      c->region, c->service, hash);
	sigv4_signing_key(c->secret_key, date, c->region, c->service, key);
	hmac(key, sizeof(key), sts, sig);
	OPENSSL_cleanse(key, sizeof(key));
	hex_encode(sig, sizeof(sig), out);
	free(sts);
}

int sigv4_presign_query(const struct sigv4_creds *c, const char *method, const char *host,
			const char *path, const struct sigv4_param *params, size_t n, time_t now,
			int expires_s, char **query, struct pp_error *err)
{
	char amz_date[17], expires[16], sig[65];
	*query = NULL;
	if (expires_s < 1 || expires_s > SIGV4_EXPIRES_MAX)
		return pp_fail_kind(err, WHERE, PP_ERR_INVALID,
				    "a presigned URL must expire in 1 to %d seconds, not %d",
				    SIGV4_EXPIRES_MAX, expires_s);
	sigv4_amz_date(now, amz_date);
	snprintf(expires, sizeof(expires), "%d", expires_s);
	char *credential = xasprintf("%s/%.8s/%s/%s/aws4_request", c->access_key, amz_date,
				     c->region, c->service);
	struct sigv4_param *all = xcalloc(n + 6, sizeof(*all));
	if (n)
		memcpy(all, params, n * sizeof(*params));
	size_t k = n;
	all[k++] = (struct sigv4_param){ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" };
	all[k++] = (struct sigv4_param){ "X-Amz-Credential", credential };
	all[k++] = (struct sigv4_param){ "X-Amz-Date", amz_date };
	all[k++] = (struct sigv4_param){ "X-Amz-Expires", expires };
	all[k++] = (struct sigv4_param){ "X-Amz-SignedHeaders", "host" };
	if (c->session_token && *c->session_token)
		all[k++] = (struct sigv4_param){ "X-Amz-Security-Token", c->session_token };
	char *q = sigv4_query(all, k);
	char *canonical = xasprintf("%s\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", method,
				    path && *path ? path : "/", q, host);
	sigv4_signature(c, amz_date, canonical, sig);
	*query = xasprintf("%s&X-Amz-Signature=%s", q, sig);
	free(canonical);
	free(q);
	free(all);
	free(credential);
	return 0;
}
