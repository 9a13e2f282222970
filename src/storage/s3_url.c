/* s3_url.c - the S3 backend's URLs (path or virtual-host style, keys
 * encoded byte by byte as SigV4's canonical URI wants them), bucket names
 * and ETags. See s3.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "net/sigv4.h"
#include "storage/s3.h"
#include "util/buf.h"

#define WHERE "storage.s3"

void s3_location_release(struct s3_location *l)
{
	free(l->url);
	free(l->host);
	free(l->path);
	*l = (struct s3_location){ 0 };
}

/* Splits "scheme://authority" into its parts; the authority loses a port
 * that is the scheme's default (clients leave it out of the Host header). */
static int split_endpoint(const char *endpoint, char **scheme, char **authority)
{
	const char *p = NULL;
	if (!strncmp(endpoint, "https://", 8))
		p = endpoint + 8;
	else if (!strncmp(endpoint, "http://", 7))
		p = endpoint + 7;
	if (!p || !*p)
		return -1;
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/' || p[i] == '?' || p[i] == '#' || p[i] == '@' ||
		    (unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return -1;
	if (!n)
		return -1;
	bool tls = p == endpoint + 8;
	const char *dflt = tls ? ":443" : ":80";
	size_t dn = strlen(dflt);
	if (n > dn && !strncmp(p + n - dn, dflt, dn))
		n -= dn;
	*scheme = xstrndup(endpoint, (size_t)(p - endpoint));
	*authority = xstrndup(p, n);
	return 0;
}

int s3_locate(const char *endpoint, const char *bucket, bool path_style, const char *key,
	      const char *query, struct s3_location *out, struct pp_error *err)
{
	char *scheme = NULL, *authority = NULL;
	*out = (struct s3_location){ 0 };
	if (!endpoint || split_endpoint(endpoint, &scheme, &authority) < 0)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG,
				    "the S3 endpoint \"%s\" is not an http(s)://host[:port] URL",
				    endpoint ? endpoint : "");
	char *raw = path_style ? xasprintf("/%s/%s", bucket, key ? key : "")
			       : xasprintf("/%s", key ? key : "");
	out->path = sigv4_encode_path(raw);
	out->host = path_style ? xstrdup(authority) : xasprintf("%s.%s", bucket, authority);
	out->url = xasprintf("%s%s%s%s%s", scheme, out->host, out->path, query && *query ? "?" : "",
			     query ? query : "");
	free(raw);
	free(scheme);
	free(authority);
	return 0;
}

bool s3_bucket_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 3 || n > 63 || !isalnum((unsigned char)name[0]) ||
	    !isalnum((unsigned char)name[n - 1]) || strstr(name, ".."))
		return false;
	bool all_digits_dots = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
		if (!(isdigit(c) || c == '.'))
			all_digits_dots = false;
	}
	return !all_digits_dots; /* "192.168.5.4" is no bucket */
}

bool s3_etag_md5(const char *etag, char md5[33])
{
	md5[0] = '\0';
	if (!etag || strlen(etag) != 32)
		return false;
	for (size_t i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)etag[i]))
			return false;
		md5[i] = (char)tolower((unsigned char)etag[i]);
	}
	md5[32] = '\0';
	return true;
}
