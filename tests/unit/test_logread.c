/* test_logread.c - reading logs: the line scanner's classification (ours,
 * foreign, truncated, not JSON) including every prefix of a real line and a
 * differential check against jansson on mutated lines; value helpers; the
 * line reader on plain, gzip (also concatenated) and over-long input; the
 * RFC 3339 and --since forms. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ops/logline.h"
#include "ops/logread.h"
#include "ops/timefmt.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static const char *const timing_line =
	"{\"timestamp\":\"2026-11-29T07:02:41.954Z\",\"level\":\"info\",\"logger\":\"workflow\","
	"\"message\":\"workflow_timing\",\"correlation_id\":\"65c99f07-c3ed-42d5-9449-09ccec41ee92\","
	"\"image\":\"caf\\u00e9 \\\"x\\\".jpg\",\"dropbox_list_images_ms\":2,\"vision_analysis_ms\":null,"
	"\"total_ms\":40,\"ratio\":-1.5e3,\"results\":{\"outbox\":{\"success\":true,\"e\":[1,2,{}]}},"
	"\"success\":true,\"error\":null}";

static enum ll_kind kind_of(const char *s)
{
	struct logline l;
	return logline_parse(s, strlen(s), &l);
}

static void test_classification(void **state)
{
	(void)state;
	struct logline l;
	assert_int_equal(logline_parse(timing_line, strlen(timing_line), &l), LL_OURS);
	assert_int_equal(l.ts_ms, 1795935761954LL); /* 2026-11-29T07:02:41.954Z */
	assert_int_equal(l.level, LOG_INFO);
	assert_true(ll_str_eq(&l.m[3].val, "workflow_timing"));

	assert_int_equal(kind_of(""), LL_BLANK);
	assert_int_equal(kind_of("  \t\r"), LL_BLANK);
	assert_int_equal(kind_of("hello world"), LL_NOT_JSON);
	assert_int_equal(kind_of("Segmentation fault (core dumped)"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":1} trailing"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":1}{\"b\":2}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":01}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":\"\\x\"}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":\"tab\there\"}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":\"\xff\"}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":\"\xed\xa0\x80\"}"), LL_NOT_JSON); /* UTF-16 surrogate */
	assert_int_equal(kind_of("{a:1}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":1,}"), LL_NOT_JSON);
	assert_int_equal(kind_of("{\"a\":tru}"), LL_NOT_JSON);
	/* Valid JSON that is not ours. */
	assert_int_equal(kind_of("{\"msg\":\"nginx\",\"status\":200}"), LL_FOREIGN);
	assert_int_equal(kind_of("[1,2,3]"), LL_FOREIGN);
	assert_int_equal(kind_of("42"), LL_FOREIGN);
	assert_int_equal(kind_of(" {} "), LL_FOREIGN);
	assert_int_equal(kind_of("{\"level\":\"info\",\"logger\":\"x\",\"message\":\"m\","
				 "\"timestamp\":\"2026-11-29T07:02:41.954Z\"}"), LL_FOREIGN); /* order */
	assert_int_equal(kind_of("{\"timestamp\":\"yesterday\",\"level\":\"info\",\"logger\":\"x\","
				 "\"message\":\"m\"}"), LL_FOREIGN);
	assert_int_equal(kind_of("{\"timestamp\":\"2026-11-29T07:02:41Z\",\"level\":\"loud\","
				 "\"logger\":\"x\",\"message\":\"m\"}"), LL_FOREIGN);
	assert_int_equal(kind_of("{\"timestamp\":\"2026-11-29T07:02:41+02:00\",\"level\":\"error\","
				 "\"logger\":\"x\",\"message\":\"m\"}"), LL_OURS);
	/* The lines main.c writes without the module have no timestamp: foreign. */
	assert_int_equal(kind_of("{\"level\":\"error\",\"logger\":\"cli\",\"message\":\"module_error\"}"),
			 LL_FOREIGN);
	/* Nesting has a limit. */
	struct buf deep = BUF_INIT;
	buf_adds(&deep, "{\"a\":");
	for (int i = 0; i < 300; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < 300; i++)
		buf_addc(&deep, ']');
	buf_addc(&deep, '}');
	assert_int_equal(kind_of(buf_str(&deep)), LL_NOT_JSON);
	buf_release(&deep);
}

/* Every proper prefix of a valid line (one that starts with '{') is a
 * truncated line: wherever a crash cut it. */
static void test_every_prefix_is_truncated(void **state)
{
	(void)state;
	size_t n = strlen(timing_line);
	char *copy = malloc(n + 1);
	for (size_t k = 1; k < n; k++) {
		memcpy(copy, timing_line, k);
		copy[k] = '\n';
		struct logline l;
		enum ll_kind got = logline_parse(copy, k, &l);
		if (got != LL_TRUNCATED)
			fail_msg("prefix of %zu bytes: kind %d, want truncated: %.*s", k, got, (int)k, copy);
	}
	/* Cut inside a UTF-8 sequence. */
	const char *u = "{\"a\":\"caf\xc3\xa9\"}";
	struct logline l;
	assert_int_equal(logline_parse(u, 10, &l), LL_TRUNCATED);
	free(copy);
}

/* Mutations of real lines: the scanner accepts exactly what jansson accepts
 * (jansson decoding any value, NUL escapes allowed). */
static void test_agrees_with_jansson(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[]\":,\\ntrufalse0123456789.eE+-u\xc3\xa9\x80\xff \t";
	uint64_t s = 42;
	size_t n = strlen(timing_line);
	char *line = malloc(n + 16);
	int checked = 0;
	for (int iter = 0; iter < 40000; iter++) {
		memcpy(line, timing_line, n + 1);
		size_t len = n;
		int edits = 1 + (int)(s % 3);
		for (int e = 0; e < edits; e++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)(s >> 33) % len;
			char c = alphabet[(s >> 20) % (sizeof(alphabet) - 1)];
			switch ((s >> 10) % 3) {
			case 0: line[at] = c; break;                                   /* replace */
			case 1: memmove(line + at, line + at + 1, len - at); len--; break; /* delete */
			default: memmove(line + at + 1, line + at, len - at + 1); line[at] = c; len++;
			}
			line[len] = '\0';
		}
		struct logline l;
		enum ll_kind k = logline_parse(line, len, &l);
		json_error_t err;
		json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		bool ours_valid = k == LL_OURS || k == LL_FOREIGN;
		if (ours_valid != (j != NULL))
			fail_msg("scanner says %d, jansson %s (%s): %s", k, j ? "valid" : "invalid",
				 j ? "" : err.text, line);
		json_decref(j);
		checked++;
	}
	assert_int_equal(checked, 40000);
	free(line);
}

static void test_values(void **state)
{
	(void)state;
	struct logline l;
	assert_int_equal(logline_parse(timing_line, strlen(timing_line), &l), LL_OURS);
	const struct ll_member *img = ll_find(&l, "image");
	assert_non_null(img);
	assert_true(img->val.escaped);
	char *s = ll_strdup(&img->val);
	assert_string_equal(s, "caf\xc3\xa9 \"x\".jpg");
	free(s);
	assert_true(ll_str_eq(&img->val, "caf\xc3\xa9 \"x\".jpg"));
	int64_t v;
	assert_true(ll_int(&ll_find(&l, "total_ms")->val, &v));
	assert_int_equal(v, 40);
	assert_true(ll_int(&ll_find(&l, "ratio")->val, &v));
	assert_int_equal(v, -1500);
	assert_false(ll_int(&ll_find(&l, "vision_analysis_ms")->val, &v)); /* null */
	assert_false(ll_int(&img->val, &v));
	assert_null(ll_find(&l, "missing"));
	const struct ll_member *res = ll_find(&l, "results");
	assert_int_equal(res->val.type, LV_OBJECT);
	assert_int_equal(res->val.p[0], '{');
	assert_int_equal(res->val.p[res->val.n - 1], '}');

	/* Surrogate pairs and a lone surrogate. */
	const char *u = "{\"a\":\"\\ud83d\\ude00 \\ud800!\"}";
	assert_int_equal(logline_parse(u, strlen(u), &l), LL_FOREIGN);
	char out[32];
	ll_copy(&l.m[0].val, out, sizeof(out));
	assert_string_equal(out, "\xf0\x9f\x98\x80 \xef\xbf\xbd!");
	/* Cut at a character boundary when the buffer is short. */
	const char *w = "{\"a\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}";
	assert_int_equal(logline_parse(w, strlen(w), &l), LL_FOREIGN);
	assert_int_equal(ll_copy(&l.m[0].val, out, 4), 2);
}

/* ---- the reader ---------------------------------------------------------------- */

static char *lines_of(const char *path, int *too_long)
{
	struct logread *r;
	struct logline_raw line;
	struct pp_error err = { 0 };
	struct buf b = BUF_INIT;
	int rc;
	*too_long = 0;
	if (logread_open(path, &r, &err) < 0)
		fail_msg("open: %s", err.msg);
	while ((rc = logread_next(r, &line, &err)) > 0) {
		assert_int_equal(line.s[line.n], '\n');
		if (line.too_long) {
			(*too_long)++;
			buf_adds(&b, "<long>");
		} else {
			buf_add(&b, line.s, line.n);
		}
		buf_addc(&b, '|');
	}
	assert_int_equal(rc, 0);
	logread_close(r);
	return buf_detach(&b);
}

static void write_gz(const char *path, const char *data, const char *mode)
{
	gzFile g = gzopen(path, mode);
	assert_non_null(g);
	gzwrite(g, data, (unsigned)strlen(data));
	gzclose(g);
}

static void test_reader(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp();
	int tl;
	char *p = tu_write(dir, "a.log", "one\ntwo\r\n\nlast", 14);
	char *got = lines_of(p, &tl);
	assert_string_equal(got, "one|two\r||last|");
	free(got);
	free(p);

	/* gzip, whatever the name, and two members one after the other. */
	p = fs_join(dir, "rotated.1");
	write_gz(p, "alpha\nbeta\n", "wb");
	write_gz(p, "gamma\n", "ab");
	got = lines_of(p, &tl);
	assert_string_equal(got, "alpha|beta|gamma|");
	free(got);
	free(p);

	/* A line over the limit comes back once as too long; the next is intact. */
	struct buf big = BUF_INIT;
	buf_adds(&big, "before\n");
	for (size_t i = 0; i < LOGREAD_MAX_LINE + 10; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\nafter\n");
	for (size_t i = 0; i < LOGREAD_MAX_LINE * 3; i++)
		buf_addc(&big, 'y');
	p = tu_write(dir, "big.log", big.data, big.len);
	got = lines_of(p, &tl);
	assert_string_equal(got, "before|<long>|after|<long>|");
	assert_int_equal(tl, 2);
	free(got);
	free(p);
	buf_release(&big);

	/* A missing file is an error naming it. */
	struct logread *r;
	struct pp_error err = { 0 };
	assert_int_equal(logread_open("/nonexistent/x.log", &r, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.log"));
	tu_rmrf(dir);
	free(dir);
}

static void test_times(void **state)
{
	(void)state;
	int64_t ms;
	assert_true(ts_parse_rfc3339("1970-01-01T00:00:00Z", 20, &ms));
	assert_int_equal(ms, 0);
	assert_true(ts_parse_rfc3339("2026-11-29T07:02:41.954Z", 24, &ms));
	assert_int_equal(ms, 1795935761954LL);
	assert_true(ts_parse_rfc3339("2026-11-29T09:02:41.9541+02:00", 30, &ms));
	assert_int_equal(ms, 1795935761954LL);
	assert_true(ts_parse_rfc3339("2024-02-29 00:00:00z", 20, &ms));
	assert_false(ts_parse_rfc3339("2023-02-29T00:00:00Z", 20, &ms));
	assert_false(ts_parse_rfc3339("2026-11-29T07:02:41", 19, &ms));
	assert_false(ts_parse_rfc3339("2026-11-29T07:02:41.Z", 21, &ms));
	assert_false(ts_parse_rfc3339("2026-13-01T00:00:00Z", 20, &ms));
	char out[32];
	ts_format(1795935761954LL, out);
	assert_string_equal(out, "2026-11-29T07:02:41.954Z");
	int64_t now = 1795935761954LL;
	assert_int_equal(ts_parse_bound("2026-11-29", now, &ms), 0);
	assert_int_equal(ms, 1795910400000LL);
	assert_int_equal(ts_parse_bound("24h", now, &ms), 0);
	assert_int_equal(ms, now - 86400000LL);
	assert_int_equal(ts_parse_bound("90m", now, &ms), 0);
	assert_int_equal(ms, now - 5400000LL);
	assert_int_equal(ts_parse_bound("2w", now, &ms), 0);
	assert_int_equal(ms, now - 14 * 86400000LL);
	assert_int_equal(ts_parse_bound("yesterday", now, &ms), -1);
	assert_int_equal(ts_parse_bound("0d", now, &ms), -1);
	assert_int_equal(ts_parse_bound("h", now, &ms), -1);
	/* Days back and forth over four centuries. */
	for (int64_t d = -200000; d < 200000; d += 37) {
		int64_t y;
		unsigned m, dd;
		ts_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(ts_days_from_civil(y, m, dd), d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_every_prefix_is_truncated),
		cmocka_unit_test(test_agrees_with_jansson),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
