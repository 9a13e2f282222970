/* test_request.c - parsing what a web client sends (src/web/request.c):
 * percent-decoding, the request target, route patterns and the {filename}
 * segment, query parameters, cookies, If-None-Match, Content-Length and
 * small values. Each table row is an input and its exact expected output;
 * hostile inputs (bad escapes, %00, "..", '/' in a segment, duplicates,
 * missing '=', quotes, W/ and '*') have rows of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/buf.h"
#include "web/request.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TAG "\"0123abcd-1700000000-w0\""

static const char *shown(const char *s)
{
	return s ? s : "(null)";
}

/* Whether got is want (both may be NULL); prints the row when not. */
static bool same(const char *what, size_t row, const char *input, const char *want,
		 const char *got)
{
	if ((!want && !got) || (want && got && !strcmp(want, got)))
		return true;
	fprintf(stderr, "%s row %zu: input \"%s\": expected \"%s\", got \"%s\"\n", what, row,
		shown(input), shown(want), shown(got));
	return false;
}

static void test_decode(void **state)
{
	static const struct { const char *in; const char *want; } rows[] = {
		{ .in = "", .want = "" },
		{ .in = "abc.jpg", .want = "abc.jpg" },
		{ .in = "a%20b", .want = "a b" },
		{ .in = "%2F", .want = "/" },
		{ .in = "%2f", .want = "/" },
		{ .in = "%2e%2e", .want = ".." },
		{ .in = "%252F", .want = "%2F" },           /* decoded once only */
		{ .in = "a+b", .want = "a+b" },             /* '+' is for queries */
		{ .in = "%01", .want = "\x01" },
		{ .in = "%ff", .want = "\xff" },
		{ .in = "%e2%82%AC", .want = "\xe2\x82\xac" },
		{ .in = "%", .want = NULL },
		{ .in = "100%", .want = NULL },
		{ .in = "%4", .want = NULL },
		{ .in = "%0", .want = NULL },
		{ .in = "%zz", .want = NULL },
		{ .in = "%G0", .want = NULL },
		{ .in = "%0g", .want = NULL },
		{ .in = "%%41", .want = NULL },
		{ .in = "%00", .want = NULL },
		{ .in = "a%00b.jpg", .want = NULL },
		{ .in = "% 41", .want = NULL },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		char *got = request_decode(rows[i].in, strlen(rows[i].in));
		failures += !same("decode", i, rows[i].in, rows[i].want, got);
		free(got);
	}
	assert_int_equal(failures, 0);
}

/* Only n bytes are read: an escape cut by n is malformed. */
static void test_decode_length(void **state)
{
	(void)state;
	char *got = request_decode("%41BC", 3);
	assert_string_equal(got, "A");
	free(got);
	assert_null(request_decode("%4142", 2));
	got = request_decode("abc", 0);
	assert_string_equal(got, "");
	free(got);
}

static void test_target(void **state)
{
	static const struct { const char *in; const char *path; const char *query; } rows[] = {
		{ .in = "/", .path = "/", .query = NULL },
		{ .in = "", .path = "", .query = NULL },
		{ .in = "/api/images/a.jpg/file?w=200", .path = "/api/images/a.jpg/file",
		  .query = "w=200" },
		{ .in = "/a?", .path = "/a", .query = "" },
		{ .in = "/a?b?c", .path = "/a", .query = "b?c" },
		{ .in = "?x", .path = "", .query = "x" },
		{ .in = "/a%3Fb?c=%3F", .path = "/a%3Fb", .query = "c=%3F" },
		{ .in = "/a#f?x", .path = "/a#f", .query = "x" },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		char *path = request_path(rows[i].in);
		failures += !same("path", i, rows[i].in, rows[i].path, path);
		failures += !same("query", i, rows[i].in, rows[i].query, request_query(rows[i].in));
		free(path);
	}
	assert_int_equal(failures, 0);
}

#define FILE_ROUTE "/api/images/{filename}/file"

static void test_match(void **state)
{
	static const struct {
		const char *pattern, *path;
		bool match;
		const char *param;
	} rows[] = {
		{ .pattern = "/", .path = "/", .match = true },
		{ .pattern = "/", .path = "", .match = false },
		{ .pattern = "/", .path = "//", .match = false },
		{ .pattern = "/", .path = "/x", .match = false },
		{ .pattern = "/health", .path = "/health", .match = true },
		{ .pattern = "/health", .path = "/health/", .match = false },
		{ .pattern = "/health", .path = "/Health", .match = false },
		{ .pattern = "/health", .path = "/healthz", .match = false },
		{ .pattern = "/health", .path = "/heal", .match = false },
		{ .pattern = "/health", .path = "health", .match = false },
		{ .pattern = "/health", .path = "/%68ealth", .match = false }, /* literals are raw */
		{ .pattern = "/api/images/random", .path = "/api/images/random", .match = true },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg/file", .match = true,
		  .param = "a.jpg" },
		{ .pattern = FILE_ROUTE, .path = "/api/images/random/file", .match = true,
		  .param = "random" },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a%20b.jpg/file", .match = true,
		  .param = "a b.jpg" },
		{ .pattern = FILE_ROUTE, .path = "/api/images/..%2Fsecret.jpg/file", .match = true,
		  .param = "../secret.jpg" },
		{ .pattern = FILE_ROUTE, .path = "/api/images/%2e%2e/file", .match = true,
		  .param = ".." },
		{ .pattern = FILE_ROUTE, .path = "/api/images/%252F.jpg/file", .match = true,
		  .param = "%2F.jpg" },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a+b.jpg/file", .match = true,
		  .param = "a+b.jpg" },
		/* matched, but the segment does not decode: param NULL */
		{ .pattern = FILE_ROUTE, .path = "/api/images/%zz.jpg/file", .match = true },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a%00.jpg/file", .match = true },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg%/file", .match = true },
		/* a raw '/' splits the segment, an empty one matches nothing */
		{ .pattern = FILE_ROUTE, .path = "/api/images/a/b.jpg/file", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images/../a.jpg/file", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images//file", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg/file/", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg/analyze", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/api/images/a.jpg/fil", .match = false },
		{ .pattern = FILE_ROUTE, .path = "/API/images/a.jpg/file", .match = false },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		char *param = (char *)"unset";
		bool m = request_match(rows[i].pattern, rows[i].path, &param);
		if (m != rows[i].match) {
			fprintf(stderr, "match row %zu: %s against %s: expected %d\n", i,
				rows[i].path, rows[i].pattern, rows[i].match);
			failures++;
		}
		failures += !same("match param", i, rows[i].path, rows[i].param, param);
		free(param);
	}
	assert_int_equal(failures, 0);
}

static void test_filename_ok(void **state)
{
	static const struct { const char *name; bool ok; } rows[] = {
		{ .name = "a.jpg", .ok = true },
		{ .name = "A B.JPEG", .ok = true },
		{ .name = "x.png", .ok = true },
		{ .name = "a+b%2F.jpg", .ok = true },     /* already decoded: plain bytes */
		{ .name = "\xe2\x82\xac.jpg", .ok = true },
		{ .name = "", .ok = false },
		{ .name = ".", .ok = false },
		{ .name = "..", .ok = false },
		{ .name = ".jpg", .ok = false },
		{ .name = "../a.jpg", .ok = false },
		{ .name = "a/b.jpg", .ok = false },
		{ .name = "/a.jpg", .ok = false },
		{ .name = "a\x01.jpg", .ok = false },
		{ .name = "a\n.jpg", .ok = false },
		{ .name = "a\x7f.jpg", .ok = false },
		{ .name = "a.txt", .ok = false },
		{ .name = "a.jpg.txt", .ok = false },
		{ .name = "jpg", .ok = false },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		if (request_filename_ok(rows[i].name) != rows[i].ok) {
			fprintf(stderr, "filename row %zu: \"%s\": expected %d\n", i, rows[i].name,
				rows[i].ok);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	assert_false(request_filename_ok(NULL));
}

/* 255 bytes is the longest plain name. */
static void test_filename_length(void **state)
{
	(void)state;
	char name[300];
	memset(name, 'a', sizeof(name));
	memcpy(name + 251, ".jpg", 5);
	assert_int_equal(strlen(name), 255);
	assert_true(request_filename_ok(name));
	memset(name, 'a', sizeof(name));
	memcpy(name + 252, ".jpg", 5);
	assert_false(request_filename_ok(name));
}

static void test_query(void **state)
{
	static const struct {
		const char *query, *name;
		int rc;
		const char *want;
	} rows[] = {
		{ .query = NULL, .name = "w", .rc = 0, .want = NULL },
		{ .query = "", .name = "w", .rc = 0, .want = NULL },
		{ .query = "w=200", .name = "w", .rc = 0, .want = "200" },
		{ .query = "w=%32%30%30", .name = "w", .rc = 0, .want = "200" },
		{ .query = "w=+200", .name = "w", .rc = 0, .want = " 200" },
		{ .query = "w=a+b%2Bc", .name = "w", .rc = 0, .want = "a b+c" },
		{ .query = "w=%252F", .name = "w", .rc = 0, .want = "%2F" },
		{ .query = "w=", .name = "w", .rc = 0, .want = "" },
		{ .query = "w=a=b", .name = "w", .rc = 0, .want = "a=b" },
		{ .query = "x=1&w=2", .name = "w", .rc = 0, .want = "2" },
		{ .query = "ww=1&w=2", .name = "w", .rc = 0, .want = "2" },
		{ .query = "w=1&w=2", .name = "w", .rc = 0, .want = "1" },  /* first wins */
		{ .query = "&&w=3&", .name = "w", .rc = 0, .want = "3" },
		{ .query = "W=7", .name = "w", .rc = 0, .want = "7" },      /* keys without case */
		{ .query = "Force_Refresh=true", .name = "force_refresh", .rc = 0, .want = "true" },
		{ .query = "force+refresh=1", .name = "force refresh", .rc = 0, .want = "1" },
		{ .query = "w=1#frag", .name = "w", .rc = 0, .want = "1#frag" },
		/* absent, or without '=' (which hides a later value) */
		{ .query = "w", .name = "w", .rc = 0, .want = NULL },
		{ .query = "w&w=5", .name = "w", .rc = 0, .want = NULL },
		{ .query = "x=w", .name = "w", .rc = 0, .want = NULL },
		{ .query = "=w", .name = "w", .rc = 0, .want = NULL },
		{ .query = "w2=1", .name = "w", .rc = 0, .want = NULL },
		{ .query = "force%5Frefresh=1", .name = "force_refresh", .rc = 0, .want = NULL },
		/* a value that does not decode; others' do not matter */
		{ .query = "w=%zz", .name = "w", .rc = -1, .want = NULL },
		{ .query = "w=%00", .name = "w", .rc = -1, .want = NULL },
		{ .query = "w=%", .name = "w", .rc = -1, .want = NULL },
		{ .query = "w=1%2", .name = "w", .rc = -1, .want = NULL },
		{ .query = "x=%zz&w=1", .name = "w", .rc = 0, .want = "1" },
		{ .query = "w=1&x=%zz", .name = "w", .rc = 0, .want = "1" },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		char *got = (char *)"unset";
		int rc = request_query_get(rows[i].query, rows[i].name, &got);
		if (rc != rows[i].rc) {
			fprintf(stderr, "query row %zu: \"%s\": expected rc %d, got %d\n", i,
				shown(rows[i].query), rows[i].rc, rc);
			failures++;
		}
		failures += !same("query", i, rows[i].query, rows[i].want, got);
		free(got);
	}
	assert_int_equal(failures, 0);
}

static void test_cookie(void **state)
{
	static const struct { const char *header, *want; } rows[] = {
		{ .header = NULL, .want = NULL },
		{ .header = "", .want = NULL },
		{ .header = "pv2_admin=abc", .want = "abc" },
		{ .header = "a=1; pv2_admin=abc", .want = "abc" },
		{ .header = "a=1;pv2_admin=abc", .want = "abc" },
		{ .header = "a=1, pv2_admin=abc", .want = "abc" },
		{ .header = "pv2_admin=abc; a=1", .want = "abc" },
		{ .header = "   pv2_admin=abc", .want = "abc" },
		{ .header = "pv2_admin  =abc", .want = "abc" },
		{ .header = "pv2_admin= abc", .want = " abc" },      /* values keep spaces */
		{ .header = "pv2_admin=abc ", .want = "abc " },
		{ .header = "PV2_Admin=abc", .want = "abc" },        /* names without case */
		{ .header = "pv2_admin=a=b", .want = "a=b" },
		{ .header = "=x; pv2_admin=ok", .want = "ok" },
		{ .header = ";;pv2_admin=ok", .want = "ok" },
		{ .header = "junk; pv2_admin=ok", .want = "ok" },
		/* missing '=' or empty values: the empty string */
		{ .header = "pv2_admin", .want = "" },
		{ .header = "pv2_admin;x=1", .want = "" },
		{ .header = "pv2_admin=", .want = "" },
		{ .header = "pv2_admin=; x=1", .want = "" },
		/* duplicates: the first */
		{ .header = "pv2_admin=first; pv2_admin=second", .want = "first" },
		{ .header = "pv2_admin; pv2_admin=second", .want = "" },
		{ .header = "pv2_admin=; pv2_admin=second", .want = "" },
		/* quotes */
		{ .header = "pv2_admin=\"abc\"", .want = "abc" },
		{ .header = "pv2_admin=\"a;b,c\"; x=1", .want = "a;b,c" },
		{ .header = "pv2_admin=\"\"", .want = "" },
		{ .header = "pv2_admin=\"", .want = "" },
		{ .header = "pv2_admin=\"abc", .want = "\"abc" },
		{ .header = "pv2_admin=abc\"", .want = "abc\"" },
		{ .header = "x=\"a; pv2_admin=evil", .want = NULL }, /* inside x's quotes */
		{ .header = "x=\"a;\"; pv2_admin=ok", .want = "ok" },
		/* other names */
		{ .header = "xpv2_admin=1", .want = NULL },
		{ .header = "pv2_admin_x=1", .want = NULL },
		{ .header = "pv2=1", .want = NULL },
		{ .header = "a=pv2_admin", .want = NULL },
		{ .header = "\tpv2_admin=abc", .want = NULL },       /* only spaces are skipped */
		{ .header = "pv2 admin=abc", .want = NULL },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		char *got = request_cookie(rows[i].header, "pv2_admin");
		failures += !same("cookie", i, rows[i].header, rows[i].want, got);
		free(got);
	}
	assert_int_equal(failures, 0);
}

static void test_etag(void **state)
{
	static const struct { const char *inm; bool match; } rows[] = {
		{ .inm = TAG, .match = true },
		{ .inm = "W/" TAG, .match = true },
		{ .inm = "\"x\", " TAG, .match = true },
		{ .inm = "\"x\"," TAG, .match = true },
		{ .inm = "\"x\" ,\t" TAG " , \"y\"", .match = true },
		{ .inm = ", ," TAG ",", .match = true },
		{ .inm = "\"a,b\", W/" TAG, .match = true },      /* ',' inside quotes */
		{ .inm = " \t" TAG "  ", .match = true },
		{ .inm = "*", .match = true },
		{ .inm = "\"x\", *", .match = true },
		{ .inm = "**", .match = true },
		{ .inm = TAG "junk", .match = true },              /* kept as it was: the tag is read up to its quote */
		{ .inm = "", .match = false },
		{ .inm = " , ", .match = false },
		{ .inm = "\"x\"", .match = false },
		{ .inm = "\"x\", \"y\"", .match = false },
		{ .inm = "0123abcd-1700000000-w0", .match = false }, /* unquoted */
		{ .inm = "\"0123abcd-1700000000-w\"", .match = false },
		{ .inm = "\"0123abcd-1700000000-w0", .match = false }, /* unterminated */
		{ .inm = "\"0123abcd-1700000000-w200\"", .match = false },
		{ .inm = "w/" TAG, .match = false },               /* W/ is upper case */
		{ .inm = "W/ " TAG, .match = false },
		{ .inm = "W/W/" TAG, .match = false },
		{ .inm = "W/*", .match = false },
		{ .inm = "\"" TAG "\"", .match = false },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		if (request_etag_matches(rows[i].inm, TAG) != rows[i].match) {
			fprintf(stderr, "etag row %zu: %s: expected %d\n", i, rows[i].inm,
				rows[i].match);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_length(void **state)
{
	static const struct { const char *in; bool over; } rows[] = {
		{ .in = NULL, .over = false },
		{ .in = "", .over = false },
		{ .in = "0", .over = false },
		{ .in = "65536", .over = false },
		{ .in = "65537", .over = true },
		{ .in = " 65537", .over = true },
		{ .in = "-1", .over = true },
		{ .in = "abc", .over = false },
		{ .in = "65536abc", .over = false },
		{ .in = "99999999999999999999999", .over = true },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		if (request_length_exceeds(rows[i].in, 65536) != rows[i].over) {
			fprintf(stderr, "length row %zu: %s: expected %d\n", i, shown(rows[i].in),
				rows[i].over);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_truthy(void **state)
{
	static const struct { const char *in; bool on; } rows[] = {
		{ .in = "1", .on = true }, { .in = "true", .on = true }, { .in = "TRUE", .on = true },
		{ .in = "Yes", .on = true }, { .in = "on", .on = true },
		{ .in = NULL, .on = false }, { .in = "", .on = false }, { .in = "0", .on = false },
		{ .in = "false", .on = false }, { .in = "2", .on = false }, { .in = "tru", .on = false },
		{ .in = "true ", .on = false }, { .in = " true", .on = false }, { .in = "y", .on = false },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		if (request_truthy(rows[i].in) != rows[i].on) {
			fprintf(stderr, "truthy row %zu: %s: expected %d\n", i, shown(rows[i].in),
				rows[i].on);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_int_range(void **state)
{
	static const struct { const char *in; int rc, want; } rows[] = {
		{ .in = "16", .rc = 0, .want = 16 },
		{ .in = "200", .rc = 0, .want = 200 },
		{ .in = "4096", .rc = 0, .want = 4096 },
		{ .in = " 200", .rc = 0, .want = 200 },
		{ .in = "+200", .rc = 0, .want = 200 },
		{ .in = "0200", .rc = 0, .want = 200 },
		{ .in = "15", .rc = -1, .want = -7 },
		{ .in = "4097", .rc = -1, .want = -7 },
		{ .in = "-200", .rc = -1, .want = -7 },
		{ .in = "", .rc = -1, .want = -7 },
		{ .in = "abc", .rc = -1, .want = -7 },
		{ .in = "200px", .rc = -1, .want = -7 },
		{ .in = "200 ", .rc = -1, .want = -7 },
		{ .in = "0x100", .rc = -1, .want = -7 },
		{ .in = "2e2", .rc = -1, .want = -7 },
		{ .in = "99999999999999999999999", .rc = -1, .want = -7 },
	};
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < N(rows); i++) {
		int got = -7; /* unchanged on failure */
		int rc = request_int_range(rows[i].in, 16, 4096, &got);
		if (rc != rows[i].rc || got != rows[i].want) {
			fprintf(stderr, "int row %zu: \"%s\": expected %d/%d, got %d/%d\n", i,
				rows[i].in, rows[i].rc, rows[i].want, rc, got);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Long values go through whole: nothing is cut or limited here (the server
 * limits what a request may hold). */
static void test_overlong(void **state)
{
	(void)state;
	struct buf in = BUF_INIT, want = BUF_INIT;
	for (int i = 0; i < 20000; i++) {
		buf_adds(&in, "%41");
		buf_addc(&want, 'A');
	}
	char *got = request_decode(in.data, in.len);
	assert_string_equal(got, buf_str(&want));
	free(got);

	char *q = xasprintf("x=1&w=%s", buf_str(&in));
	assert_int_equal(request_query_get(q, "w", &got), 0);
	assert_string_equal(got, buf_str(&want));
	free(got);
	free(q);

	char *c = xasprintf("a=1; pv2_admin=%s; b=2", buf_str(&want));
	got = request_cookie(c, "pv2_admin");
	assert_string_equal(got, buf_str(&want));
	free(got);
	free(c);

	/* A long name is one segment, still decoded once. */
	char *path = xasprintf("/api/images/%s.jpg/file", buf_str(&in));
	assert_true(request_match(FILE_ROUTE, path, &got));
	assert_int_equal(strlen(got), 20000 + 4);
	assert_false(request_filename_ok(got));
	free(got);
	free(path);

	char *inm = xasprintf("\"%s\", " TAG, buf_str(&want));
	assert_true(request_etag_matches(inm, TAG));
	free(inm);
	buf_release(&in);
	buf_release(&want);
}

static void test_lists(void **state)
{
	(void)state;
	static const struct { const char *list; size_t count; size_t i; const char *item; } cases[] = {
		{ "a, b,c", 3, 1, "b" }, { "a, b,c", 3, 2, "c" }, { " a ", 1, 0, "a" },
		{ "a,,b", 3, 1, "" }, { "", 1, 0, "" }, { "a,b", 2, 2, NULL }, { NULL, 0, 0, NULL },
		{ "\t10.0.0.1 ,\t::1", 2, 1, "::1" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		char out[32];
		assert_int_equal(request_list_count(cases[k].list), cases[k].count);
		int rc = request_list_item(cases[k].list, cases[k].i, out, sizeof(out));
		if (!cases[k].item) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, cases[k].item);
		}
	}
	char small[4];
	assert_int_equal(request_list_item("toolong", 0, small, sizeof(small)), -1);
	assert_true(request_list_has("127.0.0.1, 10.0.0.1", "10.0.0.1"));
	assert_false(request_list_has("127.0.0.1, 10.0.0.1", "10.0.0"));
	assert_false(request_list_has("a,,b", ""));
	assert_false(request_list_has(NULL, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_length),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_filename_ok),
		cmocka_unit_test(test_filename_length),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_truthy),
		cmocka_unit_test(test_int_range),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
