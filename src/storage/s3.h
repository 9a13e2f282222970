/* s3.h - what the S3 backend (s3.c) reads in S3's answers and how it builds
 * its URLs, exported for the unit tests: ListObjectsV2 pages and <Error>
 * documents (s3_xml.c, on glib's GMarkup), object URLs in path or
 * virtual-host style and ETags (s3_url.c). */
#ifndef PHOTOPUB_STORAGE_S3_H
#define PHOTOPUB_STORAGE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

/* Limits a reply must keep to: S3 keys are at most 1024 bytes, a page holds
 * at most 1000 keys (some servers send more; 10000 is refused). */
#define S3_KEY_MAX 1024
#define S3_PAGE_MAX 10000

struct s3_object {
	char *key;
	int64_t size;
	int64_t mtime_ns;         /* LastModified; 0 unknown */
	char etag[80];            /* as sent, quotes removed; "" none */
};

/* One page of ListObjectsV2. */
struct s3_page {
	struct s3_object *objects;
	size_t n;
	size_t prefixes;          /* CommonPrefixes (sub-folders), counted only */
	bool truncated;           /* IsTruncated: more pages follow */
	bool url_encoded;         /* EncodingType url: the keys were sent encoded
				     (and are decoded by s3_parse_list) */
	char *next_token;         /* NextContinuationToken, NULL when none */
};

/* Parses a ListObjectsV2 reply (a <ListBucketResult> document). When the
 * reply says <EncodingType>url</EncodingType> (asked with encoding-type=url,
 * so that a key with characters XML cannot carry still lists) each key is
 * decoded ('+' and %20 a space); a key that does not decode to text without
 * NUL becomes "" (no name: the backend leaves it out). Refuses
 * anything else: malformed XML, another root element, nesting deeper than
 * S3's, a key over S3_KEY_MAX bytes, more than S3_PAGE_MAX keys, a size that
 * is not a number, a truncated page without a token (kind remote). On
 * failure out is released. */
int s3_parse_list(const char *xml, size_t len, struct s3_page *out, struct pp_error *err);
void s3_page_release(struct s3_page *p);

/* S3's <Error> document: Code and Message. */
struct s3_error_reply {
	char code[64];
	char message[256];
};

/* 0 when xml is an <Error> document (fields filled, either may be ""),
 * -1 otherwise (out emptied). */
int s3_parse_error(const char *xml, size_t len, struct s3_error_reply *out);

/* Where a request goes. */
struct s3_location {
	char *url;                /* the whole URL, query included */
	char *host;               /* the Host header it carries (presigning) */
	char *path;               /* its encoded path (canonical URI) */
};

/* The URL of key (NULL: the bucket itself) in bucket at endpoint
 * ("https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"; no path,
 * no query): path style "<endpoint>/<bucket>/<key>", virtual-host style
 * "<scheme>://<bucket>.<host>/<key>", the key encoded byte by byte except
 * '/' (sigv4_encode_path), query ("" or NULL: none) appended after '?'.
 * Fails (kind config) on an endpoint that is not http(s)://host[:port]. */
int s3_locate(const char *endpoint, const char *bucket, bool path_style, const char *key,
	      const char *query, struct s3_location *out, struct pp_error *err);
void s3_location_release(struct s3_location *l);

/* Whether name is a bucket name S3 accepts: 3 to 63 of [a-z0-9.-],
 * starting and ending with a letter or digit, no "..", not an IP address. */
bool s3_bucket_name_ok(const char *name);

/* The MD5 an ETag is (lowercase hex into md5), when it is one: 32 hex
 * digits. A multipart upload's ETag ("…-N") is not the content's MD5. */
bool s3_etag_md5(const char *etag, char md5[33]);

#endif
