/* test_storage_s3.c - what the S3 backend reads and builds: ListObjectsV2
 * pages (truncated flag, tokens, keys with spaces, entities and unicode,
 * hostile XML), <Error> documents, URLs in path and virtual-host style,
 * bucket names and ETags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "storage/s3.h"
#include "testutil.h"
#include "util/buf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	     "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

static void test_list_page(void **state)
{
	(void)state;
	const char *xml =
		HEAD "<Name>photos</Name><Prefix>in/</Prefix><KeyCount>3</KeyCount>"
		"<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\n"
		"  <Contents><Key>in/a b.jpg</Key><LastModified>2026-11-29T06:28:08.000Z</LastModified>"
		"<ETag>&quot;9E107D9D372BB6826BD81D3542A419D6&quot;</ETag><Size>1234</Size>"
		"<Owner><ID>x</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>\n"
		"  <Contents><Key>in/caf\xc3\xa9 &amp; &lt;tea&gt; &#x2713;.png</Key>"
		"<ETag>\"0123456789abcdef0123456789abcdef-2\"</ETag><Size>0</Size></Contents>\n"
		"  <CommonPrefixes><Prefix>in/archive/</Prefix></CommonPrefixes>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
		"</ListBucketResult>";
	struct s3_page p;
	struct pp_error err = { 0 };
	assert_int_equal(s3_parse_list(xml, strlen(xml), &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_true(p.truncated);
	assert_int_equal(p.prefixes, 1);
	assert_string_equal(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	assert_string_equal(p.objects[0].key, "in/a b.jpg");
	assert_int_equal(p.objects[0].size, 1234);
	assert_true(p.objects[0].mtime_ns > 0);
	assert_string_equal(p.objects[0].etag, "9E107D9D372BB6826BD81D3542A419D6");
	assert_string_equal(p.objects[1].key, "in/caf\xc3\xa9 & <tea> \xe2\x9c\x93.png");
	assert_int_equal(p.objects[1].mtime_ns, 0);
	assert_string_equal(p.objects[1].etag, "0123456789abcdef0123456789abcdef-2");
	s3_page_release(&p);

	/* The last page. */
	const char *last = HEAD "<IsTruncated>false</IsTruncated><Contents><Key>z.jpg</Key>"
			   "<Size>7</Size></Contents></ListBucketResult>";
	assert_int_equal(s3_parse_list(last, strlen(last), &p, &err), 0);
	assert_false(p.truncated);
	assert_null(p.next_token);
	assert_int_equal(p.n, 1);
	s3_page_release(&p);

	/* An empty bucket. */
	const char *empty = HEAD "<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
			    "</ListBucketResult>";
	assert_int_equal(s3_parse_list(empty, strlen(empty), &p, &err), 0);
	assert_int_equal(p.n, 0);
	s3_page_release(&p);
}

/* A page of n keys, for the limits. */
static char *page_of(size_t n)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, HEAD "<IsTruncated>false</IsTruncated>");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "<Contents><Key>k%zu.jpg</Key><Size>1</Size></Contents>", i);
	buf_adds(&b, "</ListBucketResult>");
	return buf_detach(&b);
}

static void test_list_hostile(void **state)
{
	(void)state;
	char long_key[S3_KEY_MAX + 200];
	memset(long_key, 'a', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	char *too_long = xasprintf(HEAD "<Contents><Key>%s</Key><Size>1</Size></Contents>"
				   "</ListBucketResult>", long_key);
	struct buf deep = BUF_INIT;
	buf_adds(&deep, HEAD);
	for (int i = 0; i < 50; i++)
		buf_adds(&deep, "<a>");
	for (int i = 0; i < 50; i++)
		buf_adds(&deep, "</a>");
	buf_adds(&deep, "</ListBucketResult>");
	const char *cases[] = {
		"",
		"not xml at all",
		"<Error><Code>AccessDenied</Code></Error>",
		HEAD "<IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
		HEAD "<Contents><Key>a.jpg</Key></Contents></ListBucketResult>", /* no size */
		HEAD "<Contents><Size>3</Size></Contents></ListBucketResult>",   /* no key */
		HEAD "<Contents><Key>a.jpg</Key><Size>-3</Size></Contents></ListBucketResult>",
		HEAD "<Contents><Key>a.jpg</Key><Size>12x</Size></Contents></ListBucketResult>",
		HEAD "<Contents><Key>a.jpg</Key><Size>1</Size></Contents>", /* cut off */
		HEAD "<Contents><Key>\xff\xfe.jpg</Key><Size>1</Size></Contents></ListBucketResult>",
		HEAD "<Contents><Key>&xxe;</Key><Size>1</Size></Contents></ListBucketResult>",
		"<!DOCTYPE l [<!ENTITY x \"y\">]><ListBucketResult><Contents><Key>&x;</Key>"
		"<Size>1</Size></Contents></ListBucketResult>",
		too_long,
		buf_str(&deep),
	};
	for (size_t k = 0; k < N(cases); k++) {
		struct s3_page p;
		struct pp_error err = { 0 };
		if (s3_parse_list(cases[k], strlen(cases[k]), &p, &err) != -1)
			fail_msg("case %zu was accepted", k);
		assert_int_equal(err.kind, PP_ERR_REMOTE);
		assert_int_equal(p.n, 0);
		assert_null(p.objects);
	}
	free(too_long);
	buf_release(&deep);

	/* A control character is no XML error: the backend's name check
	 * leaves such a key out of the listing, the rest of the page stays. */
	const char *ctl = HEAD "<Contents><Key>a\x01.jpg</Key><Size>1</Size></Contents>"
			  "</ListBucketResult>";
	struct s3_page cp;
	struct pp_error cerr = { 0 };
	assert_int_equal(s3_parse_list(ctl, strlen(ctl), &cp, &cerr), 0);
	assert_string_equal(cp.objects[0].key, "a\x01.jpg");
	s3_page_release(&cp);

	char *full = page_of(S3_PAGE_MAX), *over = page_of(S3_PAGE_MAX + 1);
	struct s3_page p;
	struct pp_error err = { 0 };
	assert_int_equal(s3_parse_list(full, strlen(full), &p, &err), 0);
	assert_int_equal(p.n, S3_PAGE_MAX);
	s3_page_release(&p);
	assert_int_equal(s3_parse_list(over, strlen(over), &p, &err), -1);
	free(full);
	free(over);
}

static void test_list_url_encoded(void **state)
{
	(void)state;
	const char *xml = HEAD "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
			  "<Contents><Key>in/caf%C3%A9+%26+tea%2B.jpg</Key><Size>1</Size></Contents>"
			  "<Contents><Key>in/a%01b.jpg</Key><Size>1</Size></Contents>"
			  "<Contents><Key>in/nul%00.jpg</Key><Size>1</Size></Contents>"
			  "<Contents><Key>in/bad%G1.jpg</Key><Size>1</Size></Contents>"
			  "<Contents><Key>in/cut%2</Key><Size>1</Size></Contents>"
			  "</ListBucketResult>";
	struct s3_page p;
	struct pp_error err = { 0 };
	assert_int_equal(s3_parse_list(xml, strlen(xml), &p, &err), 0);
	assert_true(p.url_encoded);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.objects[0].key, "in/caf\xc3\xa9 & tea+.jpg");
	assert_string_equal(p.objects[1].key, "in/a\x01" "b.jpg"); /* left out by its name */
	assert_string_equal(p.objects[2].key, "");
	assert_string_equal(p.objects[3].key, "");
	assert_string_equal(p.objects[4].key, "");
	s3_page_release(&p);

	/* Without EncodingType the keys are as sent: "%41" stays. */
	const char *raw = HEAD "<Contents><Key>a%41+b.jpg</Key><Size>1</Size></Contents>"
			  "</ListBucketResult>";
	assert_int_equal(s3_parse_list(raw, strlen(raw), &p, &err), 0);
	assert_false(p.url_encoded);
	assert_string_equal(p.objects[0].key, "a%41+b.jpg");
	s3_page_release(&p);
}

static void test_error_doc(void **state)
{
	(void)state;
	const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
			  "<Message>The specified key does not exist.</Message><Key>a.jpg</Key>"
			  "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	struct s3_error_reply r;
	assert_int_equal(s3_parse_error(xml, strlen(xml), &r), 0);
	assert_string_equal(r.code, "NoSuchKey");
	assert_string_equal(r.message, "The specified key does not exist.");
	assert_int_equal(s3_parse_error("", 0, &r), -1);
	assert_int_equal(s3_parse_error("<ListBucketResult/>", 19, &r), -1);
	assert_int_equal(s3_parse_error("<Error><Code>x", 14, &r), -1);
	assert_string_equal(r.code, "");
	/* A long message is cut, not overflowed. */
	char *big = xasprintf("<Error><Code>SlowDown</Code><Message>%0800d</Message></Error>", 0);
	assert_int_equal(s3_parse_error(big, strlen(big), &r), 0);
	assert_string_equal(r.code, "SlowDown");
	assert_int_equal(strlen(r.message), sizeof(r.message) - 1);
	free(big);
}

static void test_locate(void **state)
{
	(void)state;
	static const struct {
		const char *endpoint, *bucket;
		bool path_style;
		const char *key, *query, *url, *host, *path;
	} cases[] = {
		{ "http://127.0.0.1:9000", "photos", true, "in/a b.jpg", NULL,
		  "http://127.0.0.1:9000/photos/in/a%20b.jpg", "127.0.0.1:9000", "/photos/in/a%20b.jpg" },
		{ "http://127.0.0.1:9000/", "photos", true, NULL, "list-type=2&prefix=",
		  "http://127.0.0.1:9000/photos/?list-type=2&prefix=", "127.0.0.1:9000", "/photos/" },
		{ "https://s3.eu-west-1.amazonaws.com", "my.photos", false, "caf\xc3\xa9+1.jpg", "",
		  "https://my.photos.s3.eu-west-1.amazonaws.com/caf%C3%A9%2B1.jpg",
		  "my.photos.s3.eu-west-1.amazonaws.com", "/caf%C3%A9%2B1.jpg" },
		{ "https://acc.r2.cloudflarestorage.com:443", "b-1", true, "x?y#z.jpg", NULL,
		  "https://acc.r2.cloudflarestorage.com/b-1/x%3Fy%23z.jpg",
		  "acc.r2.cloudflarestorage.com", "/b-1/x%3Fy%23z.jpg" },
		{ "http://minio:80", "bkt", false, "k", NULL, "http://bkt.minio/k", "bkt.minio", "/k" },
	};
	for (size_t k = 0; k < N(cases); k++) {
		struct s3_location l;
		struct pp_error err = { 0 };
		assert_int_equal(s3_locate(cases[k].endpoint, cases[k].bucket, cases[k].path_style,
					   cases[k].key, cases[k].query, &l, &err), 0);
		assert_string_equal(l.url, cases[k].url);
		assert_string_equal(l.host, cases[k].host);
		assert_string_equal(l.path, cases[k].path);
		s3_location_release(&l);
	}
	const char *bad[] = { "", "ftp://x", "http://", "http://x/base", "http://u@x",
			      "http://x?q", "http://a b", "s3.amazonaws.com" };
	for (size_t k = 0; k < N(bad); k++) {
		struct s3_location l;
		struct pp_error err = { 0 };
		if (s3_locate(bad[k], "b", true, "k", NULL, &l, &err) != -1)
			fail_msg("endpoint \"%s\" was accepted", bad[k]);
		assert_int_equal(err.kind, PP_ERR_CONFIG);
	}
}

static void test_bucket_names(void **state)
{
	(void)state;
	const char *good[] = { "abc", "my-photos", "my.photos.2026", "0ab" };
	const char *bad[] = { "", "ab", "ABC", "-abc", "abc-", "a..b", "a_b", "192.168.5.4",
			      "a/b", "abc ", "caf\xc3\xa9" };
	for (size_t k = 0; k < N(good); k++)
		assert_true(s3_bucket_name_ok(good[k]));
	for (size_t k = 0; k < N(bad); k++)
		if (s3_bucket_name_ok(bad[k]))
			fail_msg("bucket \"%s\" was accepted", bad[k]);
	char longname[65];
	memset(longname, 'a', 64);
	longname[64] = '\0';
	assert_false(s3_bucket_name_ok(longname));
	longname[63] = '\0';
	assert_true(s3_bucket_name_ok(longname));
}

static void test_etag(void **state)
{
	(void)state;
	char md5[33];
	assert_true(s3_etag_md5("9E107D9D372BB6826BD81D3542A419D6", md5));
	assert_string_equal(md5, "9e107d9d372bb6826bd81d3542a419d6");
	assert_false(s3_etag_md5("0123456789abcdef0123456789abcdef-2", md5));
	assert_string_equal(md5, "");
	assert_false(s3_etag_md5("\"9e107d9d372bb6826bd81d3542a419d6\"", md5));
	assert_false(s3_etag_md5("9e107d9d372bb6826bd81d3542a419dg", md5));
	assert_false(s3_etag_md5("", md5));
	assert_false(s3_etag_md5(NULL, md5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_page),   cmocka_unit_test(test_list_hostile),
		cmocka_unit_test(test_list_url_encoded),
		cmocka_unit_test(test_error_doc),   cmocka_unit_test(test_locate),
		cmocka_unit_test(test_bucket_names), cmocka_unit_test(test_etag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
