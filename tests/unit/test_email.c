/* test_email.c - mail header values (publish/mime_words.c) checked by an
 * independent decoder: plain folded ASCII, RFC 2047 encoded words for
 * multibyte and long text (words within 75 characters, lines within 76, no
 * UTF-8 sequence split), line breaks refused; and the email publisher's
 * preview (subject per mode and target, the confirmation's tags line),
 * address checks and a refused connection. */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "publish/mime_words.h"
#include "publish/publisher.h"
#include "testutil.h"
#include "util/buf.h"

#define WORD_OPEN "=?UTF-8?B?"

/* Splits a folded value into its lines (CRLF separated). */
static gchar **value_lines(const char *v)
{
	return g_strsplit(v, "\r\n", -1);
}

/* Checks every fold is CRLF + WSP and no line is whitespace only. */
static void assert_folds_ok(const char *v)
{
	for (const char *p = v; (p = strchr(p, '\r')); p++) {
		assert_int_equal(p[1], '\n');
		assert_true(p[2] == ' ' || p[2] == '\t');
	}
	for (const char *p = v; *p; p++)
		if (*p == '\n')
			assert_true(p > v && p[-1] == '\r');
	gchar **lines = value_lines(v);
	for (size_t i = 1; lines[i]; i++) {
		bool text = false;
		for (const char *p = lines[i]; *p; p++)
			text |= *p != ' ' && *p != '\t';
		assert_true(text);
	}
	g_strfreev(lines);
}

/* Decodes what mime_header_value made: plain text unfolds, encoded words
 * decode and join (the whitespace between them dropped, RFC 2047 §6.2).
 * Also checks each word's limits and that every word alone is valid UTF-8,
 * so no sequence was cut. Caller frees. */
static char *decode_value(const char *v, size_t name_len)
{
	struct buf out = BUF_INIT;
	assert_folds_ok(v);
	buf_adds(&out, "");
	if (strncmp(v, WORD_OPEN, strlen(WORD_OPEN)) != 0) {
		/* plain: unfolding removes the CRLF only */
		for (const char *p = v; *p; p++)
			if (*p != '\r' && *p != '\n')
				buf_addc(&out, *p);
		return buf_detach(&out);
	}
	gchar **lines = value_lines(v);
	for (size_t i = 0; lines[i]; i++) {
		size_t lead = i == 0 ? name_len : 0;
		assert_true(lead + strlen(lines[i]) <= 76);
		const char *w = lines[i] + (i == 0 ? 0 : 1);
		size_t n = strlen(w);
		assert_true(n <= MIME_WORD_MAX);
		assert_true(n > strlen(WORD_OPEN) + 2);
		assert_memory_equal(w, WORD_OPEN, strlen(WORD_OPEN));
		assert_memory_equal(w + n - 2, "?=", 2);
		char *b64 = g_strndup(w + strlen(WORD_OPEN), n - strlen(WORD_OPEN) - 2);
		for (const char *p = b64; *p; p++)
			assert_true(g_ascii_isalnum(*p) || *p == '+' || *p == '/' || *p == '=');
		assert_int_equal(strlen(b64) % 4, 0);
		gsize len;
		guchar *raw = g_base64_decode(b64, &len);
		assert_true(len > 0);
		assert_true(g_utf8_validate((const char *)raw, (gssize)len, NULL));
		buf_add(&out, raw, len);
		g_free(raw);
		g_free(b64);
	}
	g_strfreev(lines);
	return buf_detach(&out);
}

static void roundtrip(const char *s, size_t name_len, bool expect_plain)
{
	struct pp_error err = { 0 };
	char *v = mime_header_value(s, name_len, &err);
	assert_non_null(v);
	assert_int_equal(strncmp(v, WORD_OPEN, strlen(WORD_OPEN)) != 0 || !*s, expect_plain);
	for (const char *p = v; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	char *d = decode_value(v, name_len);
	assert_string_equal(d, s);
	free(d);
	free(v);
}

static void test_plain_ascii(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	char *v = mime_header_value("Private: Rope and light, what do you see?", 9, &err);
	assert_string_equal(v, "Private: Rope and light, what do you see?");
	free(v);
	v = mime_header_value("", 9, &err);
	assert_string_equal(v, "");
	free(v);
	roundtrip("a", 9, true);
	roundtrip("tab\tinside", 9, true);
}

static void test_long_ascii_folds(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 40; i++)
		buf_addf(&b, "%sword%d", i ? " " : "", i);
	struct pp_error err = { 0 };
	char *v = mime_header_value(buf_str(&b), 9, &err);
	assert_non_null(strstr(v, "\r\n "));
	gchar **lines = value_lines(v);
	for (size_t i = 0; lines[i]; i++)
		assert_true((i == 0 ? 9 : 0) + strlen(lines[i]) <= 78);
	g_strfreev(lines);
	free(v);
	roundtrip(buf_str(&b), 9, true);
	buf_release(&b);
}

static void test_lookalike_and_edges_encoded(void **state)
{
	(void)state;
	/* would read as an encoded word, or lose its edges */
	roundtrip("=?UTF-8?B?SGk=?= not really", 9, false);
	roundtrip(" leading space", 9, false);
	roundtrip("trailing space ", 9, false);
	roundtrip("bell\x07", 9, false);
	/* a word too long for any line */
	char *big = g_strnfill(1200, 'x');
	roundtrip(big, 9, false);
	g_free(big);
}

static void test_multibyte(void **state)
{
	(void)state;
	const char *s = "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 na\xc3\xafve "
			"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x8e\x89";
	struct pp_error err = { 0 };
	char *v = mime_header_value(s, 9, &err);
	assert_true(g_str_has_prefix(v, WORD_OPEN));
	free(v);
	roundtrip(s, 9, false);
	roundtrip("Private: \xc3\xa9t\xc3\xa9", 9, false);
}

static void test_long_multibyte_splits(void **state)
{
	(void)state;
	/* 240 characters of each width: 2, 3 and 4 bytes, and a mix */
	const char *units[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x93\xb7", NULL };
	for (size_t u = 0; units[u]; u++) {
		struct buf b = BUF_INIT;
		for (int i = 0; i < 240; i++)
			buf_adds(&b, units[u]);
		struct pp_error err = { 0 };
		char *v = mime_header_value(buf_str(&b), 9, &err);
		size_t words = 1;
		for (const char *p = v; (p = strstr(p, "\r\n ")); p++)
			words++;
		assert_true(words * 45 >= b.len); /* at most 45 bytes a word */
		free(v);
		roundtrip(buf_str(&b), 9, false);
		buf_release(&b);
	}
}

static void test_random_roundtrips(void **state)
{
	(void)state;
	const char *units[] = { "a", " ", "Z", "=", "?", "\xc3\xa9", "\xe2\x82\xac",
				"\xf0\x9f\x93\xb7", "\xe6\x97\xa5", "-" };
	GRand *r = g_rand_new_with_seed(20261129);
	for (int t = 0; t < 500; t++) {
		struct buf b = BUF_INIT;
		int n = g_rand_int_range(r, 1, 300);
		buf_adds(&b, "x");
		for (int i = 0; i < n; i++)
			buf_adds(&b, units[g_rand_int_range(r, 0, 10)]);
		buf_adds(&b, "x");
		bool ascii = true;
		for (size_t i = 0; i < b.len; i++)
			ascii &= (unsigned char)b.data[i] < 0x80;
		size_t name_len = (size_t)g_rand_int_range(r, 0, 30);
		struct pp_error err = { 0 };
		char *v = mime_header_value(buf_str(&b), name_len, &err);
		char *d = decode_value(v, name_len);
		assert_string_equal(d, buf_str(&b));
		if (!ascii)
			assert_true(g_str_has_prefix(v, WORD_OPEN));
		free(d);
		free(v);
		buf_release(&b);
	}
	g_rand_free(r);
}

static void test_line_breaks_refused(void **state)
{
	(void)state;
	const char *bad[] = { "Hello\r\nBcc: victim@example.com", "a\nb", "a\rb", "\r\n",
			      "\xc3\xa9\nBcc: x@y", NULL };
	for (size_t i = 0; bad[i]; i++) {
		struct pp_error err = { 0 };
		assert_true(mime_has_line_break(bad[i]));
		assert_null(mime_header_value(bad[i], 9, &err));
		assert_int_equal(err.kind, PP_ERR_INVALID);
	}
	assert_false(mime_has_line_break("plain"));
	assert_false(mime_has_line_break(NULL));
}

/* ---- the publisher --------------------------------------------------- */

static struct config base_config(void)
{
	return (struct config){
		.fetlife = true,
		.email_sender = "me@example.org",
		.email_recipient = "upload@fetlife.example",
		.smtp_server = "127.0.0.1",
		.smtp_port = 2525,
		.email_security = EMAIL_STARTTLS,
		.confirmation_to_sender = true,
		.confirmation_tags_count = 5,
		.confirmation_tags_nature = "",
		.email_password = "pw-secret-123",
		.http_connect_timeout = 2,
		.http_timeout = 5,
	};
}

static char *preview_of(const struct config *cfg, const struct publish_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	email_publisher.preview(cfg, in, f);
	fclose(f);
	return text;
}

static void test_preview_subjects(void **state)
{
	(void)state;
	const struct publisher_ops *ops = publisher_find("email");
	assert_ptr_equal(ops, &email_publisher);
	struct config cfg = base_config();
	assert_true(ops->enabled(&cfg));
	struct publish_input in = { .image_name = "a.jpg",
				    .caption = "Rope and light \xe2\x80\x94 what do you see? #rope" };
	const char *want_caption = "Rope and light - what do you see?";
	struct {
		enum caption_target t;
		enum subject_mode m;
		const char *subject;
	} cases[] = {
		{ TARGET_SUBJECT, SUBJECT_NORMAL, "Rope and light - what do you see?" },
		{ TARGET_BOTH, SUBJECT_PRIVATE, "Private: Rope and light - what do you see?" },
		{ TARGET_BODY, SUBJECT_AVATAR, "Avatar: Photo upload" },
		{ TARGET_BODY, SUBJECT_NORMAL, "Photo upload" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg.caption_target = cases[i].t;
		cfg.subject_mode = cases[i].m;
		char *text = preview_of(&cfg, &in);
		char *want = g_strdup_printf("  subject: %s\n", cases[i].subject);
		assert_non_null(strstr(text, want));
		g_free(want);
		want = g_strdup_printf("  body:    %s\n", want_caption);
		assert_non_null(strstr(text, want));
		g_free(want);
		want = g_strdup_printf("subject: Posted: %s\n", cases[i].subject);
		assert_non_null(strstr(text, want));
		g_free(want);
		assert_null(strstr(text, "pw-secret-123"));
		free(text);
	}
}

static void test_preview_tags_line(void **state)
{
	(void)state;
	struct config cfg = base_config();
	struct analysis an = { 0 };
	const char *tags[] = { "#Rope", "rope", "Shibari_Art", "  ", "#", "caf\xc3\xa9-au-lait",
			       "\xc3\x89T\xc3\x89", "x!!y", "never_reached", NULL };
	for (size_t i = 0; tags[i]; i++)
		strv_push(&an.tags, tags[i]);
	struct publish_input in = { .image_name = "a.png", .caption = "c", .analysis = &an };
	char *text = preview_of(&cfg, &in);
	assert_non_null(strstr(text, "    Image Tags (FetLife context): rope, shibari art, "
				    "caf\xc3\xa9 au lait, \xc3\xa9t\xc3\xa9, x y\n"));
	assert_non_null(strstr(text, "(image/png, the original file)"));
	free(text);

	cfg.confirmation_tags_count = 2;
	cfg.confirmation_tags_nature = "kink\r\nscene";
	text = preview_of(&cfg, &in);
	assert_non_null(strstr(text, "    Image Tags (kink  scene): rope, shibari art\n"));
	free(text);

	cfg.confirmation_tags_count = 0;
	cfg.confirmation_tags_nature = NULL;
	text = preview_of(&cfg, &in);
	assert_non_null(strstr(text, "    Image Tags (FetLife context): (none)\n"));
	free(text);

	cfg.confirmation_to_sender = false;
	text = preview_of(&cfg, &in);
	assert_null(strstr(text, "Image Tags"));
	assert_non_null(strstr(text, "confirmation: none"));
	free(text);
	analysis_release(&an);
}

static void test_validate_addresses(void **state)
{
	(void)state;
	const char *bad[] = { "a@b\r\nBcc: c@d", "no-at-sign", "@x", "x@", "a b@c", "<a@b>",
			      "a@b@c", "", NULL };
	struct config cfg = base_config();
	struct config_error err = { 0 };
	err = (struct config_error){ 0 };
	assert_int_equal(email_publisher.validate(&cfg, &err), 0);
	for (size_t i = 0; bad[i]; i++) {
		cfg = base_config();
		cfg.email_recipient = (char *)bad[i];
		err = (struct config_error){ 0 };
		assert_int_equal(email_publisher.validate(&cfg, &err), -1);
		assert_string_equal(err.section, "Email");
		assert_string_equal(err.key, "recipient");
		cfg = base_config();
		cfg.email_sender = (char *)bad[i];
		err = (struct config_error){ 0 };
		assert_int_equal(email_publisher.validate(&cfg, &err), -1);
		assert_string_equal(err.key, "sender");
	}
	cfg = base_config();
	cfg.smtp_server = "host/evil?x";
	err = (struct config_error){ 0 };
	assert_int_equal(email_publisher.validate(&cfg, &err), -1);
	assert_string_equal(err.key, "smtp_server");
	cfg = base_config();
	cfg.email_password = NULL;
	err = (struct config_error){ 0 };
	assert_int_equal(email_publisher.validate(&cfg, &err), -1);
	assert_string_equal(err.key, "EMAIL_PASSWORD");
}

/* A port nobody listens on: bound, then closed. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_refused_connection(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp();
	char *img = tu_write(dir, "a.jpg", "\xff\xd8\xff\xd9", 4);
	struct config cfg = base_config();
	cfg.smtp_port = closed_port();
	struct publish_input in = { .image_path = img, .image_name = "a.jpg", .caption = "c" };
	struct publish_result r = { 0 };
	struct pp_error err = { 0 };
	assert_int_equal(email_publisher.publish(&cfg, &in, &r, &err), -1);
	assert_false(r.success);
	assert_null(r.post_id);
	assert_int_equal(err.kind, PP_ERR_UNAVAILABLE);
	assert_true(err.transient);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_null(strstr(err.msg, "pw-secret-123"));
	publish_result_release(&r);
	free(img);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ascii),
		cmocka_unit_test(test_long_ascii_folds),
		cmocka_unit_test(test_lookalike_and_edges_encoded),
		cmocka_unit_test(test_multibyte),
		cmocka_unit_test(test_long_multibyte_splits),
		cmocka_unit_test(test_random_roundtrips),
		cmocka_unit_test(test_line_breaks_refused),
		cmocka_unit_test(test_preview_subjects),
		cmocka_unit_test(test_preview_tags_line),
		cmocka_unit_test(test_validate_addresses),
		cmocka_unit_test(test_refused_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
