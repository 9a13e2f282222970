/* test_log.c - the telemetry layer: log_json line shape, escaping of any
 * bytes, sanitize() patterns and registered secrets, levels, many threads,
 * correlation ids. */
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "telemetry/clock.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "telemetry/logtext.h"
#include "telemetry/sanitize.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/utf8.h"

static json_t *render(const struct log_field *f, const char *cid)
{
	char *line;
	size_t n = log_render(LOG_INFO, "workflow", "workflow_timing", cid, f, &line);
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1)); /* exactly one line */
	json_error_t e;
	json_t *j = json_loadb(line, n, 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, line);
	free(line);
	return j;
}

static void test_key_order_and_timestamp(void **state)
{
	(void)state;
	char *line;
	log_render(LOG_WARNING, "ai", "vision_analysis", "cid-1",
		   (const struct log_field[]){ LF_STR("model", "m"), LF_MS("x_ms", 5), LF_END }, &line);
	regex_t re;
	assert_int_equal(regcomp(&re,
				 "^\\{\"timestamp\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\","
				 "\"level\":\"warning\",\"logger\":\"ai\",\"message\":\"vision_analysis\","
				 "\"correlation_id\":\"cid-1\",\"model\":\"m\",\"x_ms\":5\\}\n$",
				 REG_EXTENDED), 0);
	if (regexec(&re, line, 0, NULL, 0) != 0)
		fail_msg("unexpected line: %s", line);
	regfree(&re);
	free(line);

	/* Without a correlation id the key is absent, not null. */
	json_t *j = render((const struct log_field[]){ LF_END }, NULL);
	assert_null(json_object_get(j, "correlation_id"));
	json_decref(j);
}

static void test_value_types(void **state)
{
	(void)state;
	json_t *arr = json_pack("{s:[i,s,b], s:n}", "a", 1, "x\"y", 1, "z");
	json_t *j = render((const struct log_field[]){
		LF_MS("ran_ms", 0), LF_MS("skipped_ms", -1), LF_INT("big", -1234567890123LL),
		LF_BOOL("t", true), LF_BOOL("f", false), LF_NULL("nothing"),
		LF_STR("nullstr", NULL), LF_DOUBLE("ratio", 0.25), LF_DOUBLE("inf", 1.0 / 0.0),
		LF_JSON("nested", arr), LF_END }, "c");
	assert_true(json_is_integer(json_object_get(j, "ran_ms")));
	assert_int_equal(json_integer_value(json_object_get(j, "ran_ms")), 0);
	assert_true(json_is_null(json_object_get(j, "skipped_ms")));
	assert_int_equal(json_integer_value(json_object_get(j, "big")), -1234567890123LL);
	assert_true(json_is_true(json_object_get(j, "t")));
	assert_true(json_is_false(json_object_get(j, "f")));
	assert_true(json_is_null(json_object_get(j, "nothing")));
	assert_true(json_is_null(json_object_get(j, "nullstr")));
	assert_true(json_real_value(json_object_get(j, "ratio")) == 0.25);
	assert_true(json_is_null(json_object_get(j, "inf")));
	assert_true(json_equal(json_object_get(j, "nested"), arr));
	json_decref(arr);
	json_decref(j);
}

static void test_any_bytes_give_valid_json(void **state)
{
	(void)state;
	/* quotes, backslashes, newlines, controls, DEL, invalid UTF-8, overlong,
	 * surrogate, truncated sequence, valid multibyte. */
	const char nasty[] = "q\"uo\\te\n\r\t\x01\x1f\x7f \xff\xfe \xc0\xaf \xed\xa0\x80 caf\xc3\xa9 \xf0\x9f\x93\xb7 \xe2\x82";
	json_t *j = render((const struct log_field[]){ LF_STR("v", nasty), LF_END }, "c");
	const char *v = json_string_value(json_object_get(j, "v"));
	assert_non_null(v);
	assert_non_null(strstr(v, "q\"uo\\te\n\r\t\x01\x1f\x7f "));
	assert_non_null(strstr(v, "caf\xc3\xa9 \xf0\x9f\x93\xb7"));
	assert_non_null(strstr(v, "\xef\xbf\xbd")); /* U+FFFD replaced the bad bytes */
	assert_null(strstr(v, "\xff"));
	json_decref(j);

	/* Keys and the event name are escaped too. */
	char *line;
	log_render(LOG_INFO, "l\"x", "ev\n", NULL,
		   (const struct log_field[]){ LF_INT("k\"ey", 1), LF_END }, &line);
	json_t *k = json_loads(line, 0, NULL);
	assert_non_null(k);
	assert_int_equal(json_integer_value(json_object_get(k, "k\"ey")), 1);
	json_decref(k);
	free(line);
}

/* The user part of a URL's user:password: escaped and scanned for secrets
 * like any text, the password redacted. */
static void test_url_user_part_is_escaped_and_scanned(void **state)
{
	(void)state;
	sanitize_add_secret("Tok3n-Secret-Value");
	static const char *const paths[] = {
		"/x://u\\:p@h", "/x://u\x01\x7f:p@h", "/x://u\xff\xfe:p@h", "/x://u\t\"q:p@h",
		"/x://Tok3n-Secret-Value:p@h", "GET /x://u\x1b:pw@h HTTP/1.1", "Bearer\tab\x01c",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		json_t *j = render((const struct log_field[]){ LF_STR("path", paths[i]),
							   LF_STR("method", paths[i]), LF_END },
				   "c");
		const char *v = json_string_value(json_object_get(j, "path"));
		assert_non_null(v);
		assert_null(strstr(v, "Tok3n-Secret-Value"));
		if (strstr(paths[i], "@h") && !strpbrk(paths[i], "\t\"")) {
			if (!strstr(v, ":" REDACTED "@h"))
				fail_msg("path %zu: password kept: %s", i, v);
			assert_null(strstr(v, ":p@"));
		}
		json_decref(j);
	}
	sanitize_clear_secrets();
}

struct redact_case {
	const char *in;
	const char *secret;  /* must not survive */
	const char *kept;    /* must survive, or NULL */
};

static void test_sanitize_patterns(void **state)
{
	(void)state;
	static const struct redact_case cases[] = {
		{ "key sk-abcDEF1234567890xyz used", "sk-abcDEF1234567890xyz", "key " },
		{ "sk-proj-AbC_dEf-1234567890", "AbC_dEf-1234567890", NULL },
		{ "url https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendPhoto",
		  "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "/sendPhoto" },
		{ "token=sl.BxyzABCDEFGHIJKLMNOP-qrstuv_wx end", "sl.BxyzABCDEFGHIJKLMNOP", "end" },
		{ "Authorization: Bearer abc.def-ghi", "abc.def-ghi", "Bearer " },
		{ "authorization: bearer   xyz123", "xyz123", "bearer" },
		{ "smtp://user:hunter22@mail.example.com:587", "hunter22", "smtp://user:" },
		{ "a://u:v:w@h", "v:w", "a://u:" },
		{ "https://me:p%40ss@host/x", "p%40ss", "@host/x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = sanitize(cases[i].in);
		if (strstr(s, cases[i].secret) || !strstr(s, REDACTED))
			fail_msg("case %zu not redacted: %s", i, s);
		if (cases[i].kept && !strstr(s, cases[i].kept))
			fail_msg("case %zu lost context: %s", i, s);
		free(s);
	}
	/* Things that look alike but are not secrets stay. */
	static const char *const clean[] = {
		"task-1234567890abcdef", "12345:short", "risk-assessment-model", "slide.jpg",
		"see https://example.com/path", "Bearer", "2026-11-28T10:15:02Z", "ratio 1.91:1",
		"https://host:8080/path", "x://:@h", "a://u@h",
	};
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		char *s = sanitize(clean[i]);
		assert_string_equal(s, clean[i]);
		free(s);
	}
}

static void test_registered_secret(void **state)
{
	(void)state;
	sanitize_add_secret("hunter2hunter2");
	sanitize_add_secret("abc"); /* too short: ignored */
	sanitize_add_secret("hunter2hunter2-longer");
	json_t *j = render((const struct log_field[]){
		LF_STR("error", "login failed for password hunter2hunter2-longer, abc"),
		LF_END }, "c");
	const char *v = json_string_value(json_object_get(j, "error"));
	assert_null(strstr(v, "hunter2"));
	assert_null(strstr(v, "-longer")); /* the longest secret is redacted whole */
	assert_non_null(strstr(v, "abc"));
	json_decref(j);
	/* Nested JSON strings are sanitized too. */
	json_t *nested = json_pack("{s:s}", "e", "x hunter2hunter2 y");
	j = render((const struct log_field[]){ LF_JSON("results", nested), LF_END }, "c");
	assert_null(strstr(json_string_value(json_object_get(json_object_get(j, "results"), "e")),
			   "hunter2"));
	json_decref(nested);
	json_decref(j);
	sanitize_clear_secrets();
	char *s = sanitize("hunter2hunter2");
	assert_string_equal(s, "hunter2hunter2");
	free(s);
}

static void test_levels(void **state)
{
	(void)state;
	tu_log_start();
	log_set_level(LOG_WARNING);
	log_info("t", "dropped", NULL);
	log_warning("t", "kept_warning", NULL);
	log_error("t", "kept_error", NULL);
	log_set_level(LOG_INFO);
	char *out = tu_log_stop();
	assert_null(strstr(out, "dropped"));
	assert_non_null(strstr(out, "kept_warning"));
	assert_non_null(strstr(out, "kept_error"));
	free(out);
	assert_int_equal(log_level_parse("DEBUG"), LOG_DEBUG);
	assert_int_equal(log_level_parse("warn"), LOG_WARNING);
	assert_int_equal(log_level_parse("loud"), -1);
}

#define THREADS 8
#define LINES 2000

static void *storm(void *arg)
{
	long id = (long)arg;
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < LINES; i++)
		log_info("storm", "storm_line", "cid", LF_INT("thread", id), LF_INT("i", i),
			 LF_STR("text", "quote\" newline\n bad\xff"),
			 LF_STR("big", (i % 50) == 0 ? big : "small"));
	return NULL;
}

static void test_threads_never_interleave(void **state)
{
	(void)state;
	tu_log_start();
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, storm, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *out = tu_log_stop();
	int count[THREADS] = { 0 };
	size_t lines = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		if (!j)
			fail_msg("invalid line %zu: %.80s", lines, line);
		count[json_integer_value(json_object_get(j, "thread"))]++;
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(count[i], LINES);
	free(out);
}


static void *rotate_storm(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < LINES; i++)
		log_info("storm", "rotate_line", "cid", LF_INT("thread", id), LF_INT("i", i),
			 LF_STR("pad", "0123456789abcdef0123456789abcdef0123456789abcdef"));
	return NULL;
}

/* logrotate: the file is renamed away and the logger reopens it by name
 * while 8 threads log; every line lands whole in exactly one file. */
static void reopen_during_storm(bool async)
{
	char *dir = tu_mkdtemp();
	char *path = xasprintf("%s/photopub.log", dir);
	assert_int_equal(log_set_file(path, NULL), 0);
	log_set_stderr(false);
	log_set_async(async);
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, rotate_storm, (void *)i);
	int rotations = 0;
	for (int r = 0; r < 5; r++) {
		struct timespec ts = { 0, 3 * 1000000 };
		nanosleep(&ts, NULL);
		char *old = xasprintf("%s/photopub.log.%d", dir, r + 1);
		assert_int_equal(rename(path, old), 0);
		assert_int_equal(log_reopen(NULL), 0);
		free(old);
		rotations++;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	log_set_async(false); /* flushes */
	log_set_file(NULL, NULL);
	log_set_stderr(true);

	static unsigned char seen[THREADS][LINES];
	memset(seen, 0, sizeof(seen));
	size_t total = 0;
	for (int f = 0; f <= rotations; f++) {
		char *p = f == 0 ? xstrdup(path) : xasprintf("%s/photopub.log.%d", dir, f);
		char *text = tu_read(p, NULL);
		assert_non_null(text);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			json_t *j = json_loads(line, 0, NULL);
			if (!j)
				fail_msg("file %d: invalid line: %.80s", f, line);
			int th = (int)json_integer_value(json_object_get(j, "thread"));
			int i = (int)json_integer_value(json_object_get(j, "i"));
			assert_true(th >= 0 && th < THREADS && i >= 0 && i < LINES);
			assert_int_equal(seen[th][i], 0); /* never twice */
			seen[th][i] = 1;
			total++;
			json_decref(j);
		}
		free(text);
		free(p);
	}
	assert_int_equal(total, THREADS * LINES); /* never lost */
	tu_rmrf(dir);
	free(dir);
	free(path);
}

static void test_reopen_during_storm(void **state)
{
	(void)state;
	reopen_during_storm(false);
}

static void test_reopen_during_storm_async(void **state)
{
	(void)state;
	reopen_during_storm(true);
}

/* With the background writer, an error line is written before log_json
 * returns; info lines by log_flush. */
static void test_async_error_lines_are_written_at_once(void **state)
{
	(void)state;
	tu_log_start();
	log_set_async(true);
	log_info("t", "queued_info", NULL, LF_INT("n", 1));
	log_error("t", "urgent_error", NULL, LF_INT("n", 2));
	char *path_text = NULL;
	/* Read the file while the writer is still on. */
	log_flush();
	log_set_async(false);
	path_text = tu_log_stop();
	char *a = strstr(path_text, "queued_info"), *b = strstr(path_text, "urgent_error");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b); /* order kept */
	free(path_text);
}

/* ---- the text form (logtext.h) ------------------------------------------ */

static char *text_line(enum log_level level, const char *event, const char *cid,
		       const struct log_field *f, bool colour)
{
	char *line;
	size_t n = log_render_text(level, "t", event, cid, f, colour, &line);
	assert_int_equal(n, strlen(line));
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	return line;
}

static void test_text_shape(void **state)
{
	(void)state;
	char *line = text_line(LOG_INFO, "workflow_timing", "7e9ab81f-1234-4abc-8def-0123456789ab",
			       (const struct log_field[]){ LF_STR("image", "a.jpg"), LF_MS("archive_ms", 12),
							   LF_MS("skipped_ms", -1), LF_NULL("n"),
							   LF_BOOL("success", true), LF_END },
			       false);
	regex_t re;
	assert_int_equal(regcomp(&re,
				 "^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} INFO  workflow_timing cid=7e9ab81f "
				 "image=a\\.jpg archive_ms=12 success=true\n$",
				 REG_EXTENDED), 0);
	if (regexec(&re, line, 0, NULL, 0) != 0)
		fail_msg("unexpected line: %s", line);
	regfree(&re);
	assert_null(strchr(line, '\033')); /* no colour asked */
	free(line);
}

static void test_text_quoting(void **state)
{
	(void)state;
	char *line = text_line(LOG_WARNING, "x", NULL,
			       (const struct log_field[]){ LF_STR("a", "two words"), LF_STR("b", "say \"hi\""),
							   LF_STR("c", ""), LF_STR("d", "line\nbreak"),
							   LF_STR("e", "k=v"), LF_END },
			       false);
	assert_non_null(strstr(line, " WARN  x a=\"two words\" b=\"say \\\"hi\\\"\" c=\"\" d=line break e=\"k=v\"\n"));
	free(line);
}

static void test_text_width_bound(void **state)
{
	(void)state;
	char big[2000];
	/* "é" is two bytes and one column: the bound is in characters. */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 2] = '\0';
	/* One value is cut to 80 characters, and the line to its bound. */
	char *line = text_line(LOG_ERROR, "caption_generation", "cid",
			       (const struct log_field[]){ LF_STR("caption", big), LF_STR("b", big),
							   LF_STR("c", big), LF_STR("after", "x"), LF_END },
			       false);
	assert_non_null(strstr(line, UTF8_ELLIPSIS " b="));
	size_t cols = utf8_len(line, strlen(line) - 1);
	assert_int_equal(cols, LOG_TEXT_COLUMNS);
	assert_true(cols < 200);
	assert_non_null(strstr(line, UTF8_ELLIPSIS "\n"));
	assert_null(strstr(line, "after="));
	free(line);

	/* With colour the visible text is the same; the codes come in addition. */
	char *colour = text_line(LOG_ERROR, "caption_generation", "cid",
				 (const struct log_field[]){ LF_STR("caption", big), LF_END }, true);
	assert_non_null(strstr(colour, "\033["));
	assert_non_null(strstr(colour, UTF8_ELLIPSIS "\n"));
	free(colour);
}

static void test_text_sentences_and_secrets(void **state)
{
	(void)state;
	char *line = text_line(LOG_ERROR, "usage_error", NULL,
			       (const struct log_field[]){ LF_STR("command", "run"),
							   LF_STR("error", "--config FILE is required"),
							   LF_STR("help", "photopub run --help"), LF_END },
			       false);
	assert_string_equal(line, "error: --config FILE is required (see photopub run --help)\n");
	free(line);
	line = text_line(LOG_ERROR, "config_error", NULL,
			 (const struct log_field[]){ LF_STR("file", "photopub.ini"), LF_STR("section", "Storage"),
						     LF_STR("key", "path"), LF_STR("problem", "required"),
						     LF_STR("error", "photopub.ini: [Storage] path: required"), LF_END },
			 false);
	assert_string_equal(line, "error: [Storage] path: required (photopub.ini)\n");
	free(line);

	sanitize_add_secret("hunter2-secret");
	line = text_line(LOG_INFO, "x", NULL,
			 (const struct log_field[]){ LF_STR("url", "https://u:pw@h/"), LF_STR("v", "a hunter2-secret b"),
						     LF_END },
			 false);
	assert_null(strstr(line, "hunter2-secret"));
	assert_null(strstr(line, ":pw@"));
	assert_non_null(strstr(line, REDACTED));
	free(line);
	sanitize_clear_secrets();
}

static void test_text_colour_only_on_a_terminal(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	assert_false(log_colour_wanted(fds[1])); /* a pipe is no terminal */
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(log_format_parse("json"), LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("TEXT"), LOG_FORMAT_TEXT);
	assert_int_equal(log_format_parse("yaml"), -1);
	if (!isatty(2))
		assert_int_equal(log_format_parse("auto"), LOG_FORMAT_JSON);
}

/* With the text format, the log file keeps the JSON line. */
static void test_text_format_keeps_json_in_file(void **state)
{
	(void)state;
	tu_log_start();
	log_set_format(LOG_FORMAT_TEXT, false);
	log_info("t", "text_mode_line", NULL, LF_STR("k", "v"));
	log_set_format(LOG_FORMAT_JSON, false);
	char *text = tu_log_stop();
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("file line not JSON: %s", text);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "text_mode_line");
	json_decref(j);
	free(text);
}

static void test_correlation(void **state)
{
	(void)state;
	char a[UUID_STR_LEN], b[UUID_STR_LEN];
	uuid4(a);
	uuid4(b);
	regex_t re;
	regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
		REG_EXTENDED);
	assert_int_equal(regexec(&re, a, 0, NULL, 0), 0);
	regfree(&re);
	assert_string_not_equal(a, b);

	assert_true(request_id_valid("abc-123_x.y:z", 13));
	assert_false(request_id_valid("", 0));
	assert_false(request_id_valid("a b", 3));
	assert_false(request_id_valid("a\"b", 3));
	char longid[130];
	memset(longid, 'a', 129);
	longid[129] = '\0';
	assert_true(request_id_valid(longid, 128));
	assert_false(request_id_valid(longid, 129));

	char trace[33];
	assert_true(traceparent_trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", trace));
	assert_string_equal(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_false(traceparent_trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01", trace));
	assert_false(traceparent_trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", trace));
	assert_false(traceparent_trace_id("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", trace));
	assert_false(traceparent_trace_id("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", trace));
	assert_false(traceparent_trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", trace));

	char out[CORRELATION_ID_MAX + 1];
	correlation_from_headers("req-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", out);
	assert_string_equal(out, "req-1");
	correlation_from_headers("bad id\r\n", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", out);
	assert_string_equal(out, "4bf92f3577b34da6a3ce929d0e0e4736");
	correlation_from_headers("bad id", "junk", out);
	assert_int_equal(strlen(out), 36);
}

static void test_clock(void **state)
{
	(void)state;
	int64_t t0 = now_monotonic();
	struct timespec ts = { 0, 20 * 1000000 };
	nanosleep(&ts, NULL);
	int64_t ms = elapsed_ms(t0);
	assert_true(ms >= 20);
	assert_true(now_monotonic() >= t0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_order_and_timestamp),
		cmocka_unit_test(test_value_types),
		cmocka_unit_test(test_any_bytes_give_valid_json),
		cmocka_unit_test(test_sanitize_patterns),
		cmocka_unit_test(test_url_user_part_is_escaped_and_scanned),
		cmocka_unit_test(test_registered_secret),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_threads_never_interleave),
		cmocka_unit_test(test_reopen_during_storm),
		cmocka_unit_test(test_reopen_during_storm_async),
		cmocka_unit_test(test_async_error_lines_are_written_at_once),
		cmocka_unit_test(test_text_shape),
		cmocka_unit_test(test_text_quoting),
		cmocka_unit_test(test_text_width_bound),
		cmocka_unit_test(test_text_sentences_and_secrets),
		cmocka_unit_test(test_text_colour_only_on_a_terminal),
		cmocka_unit_test(test_text_format_keeps_json_in_file),
		cmocka_unit_test(test_correlation),
		cmocka_unit_test(test_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
