/* test_sidecar.c - the sidecar file: parsing the case folders under
 * tests/data/sidecar (see its README), the exact text the builder writes for
 * phase 1 and phase 2 keys, the round trip parse(build(x)), the web's caption
 * of a sidecar, sidecar names, and parsing random bytes. */
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caption/sidecar.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static int only_dirs(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type == DT_DIR;
}

/* True when a and b hold the same keys in the same order. */
static bool same_key_order(json_t *a, json_t *b)
{
	void *ia = json_object_iter(a), *ib = json_object_iter(b);
	for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib))
		if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) != 0)
			return false;
	return !ia && !ib;
}

/* Checks one case folder; returns 0 when it passes. */
static int run_parse_case(const char *dir, const char *name)
{
	char *in_path = fs_join(dir, "input.txt");
	char *exp_path = fs_join(dir, "expected.json");
	char *text = tu_read(in_path, NULL);
	json_error_t jerr;
	json_t *exp = json_load_file(exp_path, 0, &jerr);
	if (!text || !exp)
		fail_msg("case %s: cannot read its files (%s)", name, jerr.text);

	struct sidecar sc;
	int warnings = -1;
	struct pp_error err;
	int bad = 0;
	if (sidecar_parse(text, &sc, &warnings, &err) != 0) {
		fprintf(stderr, "sidecar case %s: parse failed: %s\n", name, err.msg);
		bad = 1;
		goto out;
	}
	const char *want_sd = json_string_value(json_object_get(exp, "sd_caption"));
	json_t *want_meta = json_object_get(exp, "meta");
	int want_warnings = (int)json_integer_value(json_object_get(exp, "warnings"));
	if (strcmp(sc.sd_caption, want_sd) != 0) {
		fprintf(stderr, "sidecar case %s: sd_caption \"%s\", expected \"%s\"\n",
			name, sc.sd_caption, want_sd);
		bad = 1;
	}
	if (!json_equal(sc.meta, want_meta) || !same_key_order(sc.meta, want_meta)) {
		char *got = json_dumps(sc.meta, JSON_COMPACT);
		char *want = json_dumps(want_meta, JSON_COMPACT);
		fprintf(stderr, "sidecar case %s: meta %s, expected %s\n", name,
			got ? got : "(unprintable)", want);
		free(got);
		free(want);
		bad = 1;
	}
	if (warnings != want_warnings) {
		fprintf(stderr, "sidecar case %s: %d warnings, expected %d\n", name,
			warnings, want_warnings);
		bad = 1;
	}
	sidecar_release(&sc);
out:
	json_decref(exp);
	free(text);
	free(exp_path);
	free(in_path);
	return bad;
}

static void test_parse_cases(void **state)
{
	(void)state;
	char *root = tu_data("sidecar");
	struct dirent **list;
	int n = scandir(root, &list, only_dirs, alphasort);
	assert_true(n >= 10);
	int failures = 0;
	for (int i = 0; i < n; i++) {
		char *dir = fs_join(root, list[i]->d_name);
		failures += run_parse_case(dir, list[i]->d_name);
		free(dir);
		free(list[i]);
	}
	free(list);
	free(root);
	assert_int_equal(failures, 0);
}

static void test_parse_null(void **state)
{
	(void)state;
	struct sidecar sc;
	struct pp_error err;
	int warnings = 7;
	pp_error_clear(&err);
	assert_int_equal(sidecar_parse(NULL, &sc, &warnings, &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_null(sc.sd_caption);
	assert_null(sc.meta);
	assert_int_equal(warnings, 0);
	sidecar_release(&sc); /* releasing an empty result is fine */
}

static const struct sidecar_fields full_fields = {
	.image_file = "a.jpg",
	.dropbox_file_id = "id:abc123",
	.dropbox_rev = "015f0e1",
	.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	.created = "2026-11-28T10:15:02Z",
	.sd_caption_version = "v1.0",
	.model_version = "gpt-4o-mini",
	.artist_alias = "Eulenmensch",
};

static void test_build_phase1_order(void **state)
{
	(void)state;
	char *s = sidecar_build("a woman in rope, studio light", &full_fields, NULL, true);
	assert_string_equal(s,
		"a woman in rope, studio light\n"
		"\n"
		"# ---\n"
		"# image_file: a.jpg\n"
		"# dropbox_file_id: id:abc123\n"
		"# dropbox_rev: 015f0e1\n"
		"# sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"# created: 2026-11-28T10:15:02Z\n"
		"# sd_caption_version: v1.0\n"
		"# model_version: gpt-4o-mini\n"
		"# artist_alias: Eulenmensch\n");
	free(s);
}

static void test_build_omits_empty(void **state)
{
	(void)state;
	struct sidecar_fields f = {
		.image_file = "b.png", .dropbox_file_id = "", .dropbox_rev = NULL,
		.sha256 = "00ff", .created = "", .sd_caption_version = "v1.0",
		.model_version = NULL, .artist_alias = "",
	};
	char *s = sidecar_build("", &f, NULL, false);
	assert_string_equal(s, "\n\n# ---\n# image_file: b.png\n# sha256: 00ff\n"
			       "# sd_caption_version: v1.0\n");
	free(s);

	s = sidecar_build(NULL, NULL, NULL, false);
	assert_string_equal(s, "\n\n# ---\n");
	free(s);
}

static void test_build_newlines_flattened(void **state)
{
	(void)state;
	struct sidecar_fields f = { .image_file = "a.jpg", .artist_alias = "two\nlines\r\nhere\rend" };
	char *s = sidecar_build("line one\nline two\r\nthree", &f, NULL, false);
	assert_string_equal(s, "line one line two three\n\n# ---\n# image_file: a.jpg\n"
			       "# artist_alias: two lines here end\n");
	free(s);
}

/* An analysis with every phase 2 field set; caller releases. */
static void fill_analysis(struct analysis *a)
{
	*a = (struct analysis){ 0 };
	a->description = xstrdup("not written to the sidecar");
	a->mood = xstrdup("calm");
	a->subject = xstrdup("a woman seated on a stool");
	a->style = xstrdup("fine art");
	a->lighting = xstrdup("soft key light\nfrom the left");
	a->camera = xstrdup("85mm, f/2");
	a->pose = xstrdup("seated");
	a->composition = xstrdup("centered");
	a->background = xstrdup("grey seamless");
	a->color_palette = xstrdup("#1a1a1a, #d8c8b0");
	strv_push(&a->tags, "rope");
	strv_push(&a->tags, "studio");
	strv_push(&a->tags, "\xc3\xa9t\xc3\xa9"); /* été */
	strv_push(&a->clothing_or_accessories, "jute rope");
	strv_push(&a->aesthetic_terms, "minimal");
	strv_push(&a->aesthetic_terms, "quote \" and \\ slash");
	strv_push(&a->safety_labels, "artistic_nudity");
}

static const char phase2_text[] =
	"# subject: a woman seated on a stool\n"
	"# lighting: soft key light from the left\n"
	"# pose: seated\n"
	"# camera: 85mm, f/2\n"
	"# materials: [\"jute rope\"]\n"
	"# art_style: fine art\n"
	"# composition: centered\n"
	"# background: grey seamless\n"
	"# color_palette: #1a1a1a, #d8c8b0\n"
	"# tags: [\"rope\",\"studio\",\"\xc3\xa9t\xc3\xa9\"]\n"
	"# aesthetic_terms: [\"minimal\",\"quote \\\" and \\\\ slash\"]\n"
	"# moderation: [\"artistic_nudity\"]\n";

static void test_build_phase2(void **state)
{
	(void)state;
	struct analysis a;
	fill_analysis(&a);
	struct sidecar_fields f = { .image_file = "a.jpg", .model_version = "gpt-4o-mini" };
	char *s = sidecar_build("sd", &f, &a, true);
	char *want = xasprintf("sd\n\n# ---\n# image_file: a.jpg\n# model_version: gpt-4o-mini\n%s",
			       phase2_text);
	assert_string_equal(s, want);
	free(want);
	free(s);

	/* extended off, or no analysis: phase 1 only */
	s = sidecar_build("sd", &f, &a, false);
	assert_string_equal(s, "sd\n\n# ---\n# image_file: a.jpg\n# model_version: gpt-4o-mini\n");
	free(s);
	s = sidecar_build("sd", &f, NULL, true);
	assert_string_equal(s, "sd\n\n# ---\n# image_file: a.jpg\n# model_version: gpt-4o-mini\n");
	free(s);
	analysis_release(&a);
}

static void test_build_phase2_omits_empty(void **state)
{
	(void)state;
	struct analysis a = { 0 };
	a.subject = xstrdup("");
	a.style = xstrdup("noir");
	strv_push(&a.tags, "x");
	char *s = sidecar_build("sd", NULL, &a, true);
	assert_string_equal(s, "sd\n\n# ---\n# art_style: noir\n# tags: [\"x\"]\n");
	free(s);
	analysis_release(&a);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct analysis a;
	fill_analysis(&a);
	char *text = sidecar_build("caption with\nnewline", &full_fields, &a, true);

	struct sidecar sc;
	int warnings = -1;
	assert_int_equal(sidecar_parse(text, &sc, &warnings, NULL), 0);
	assert_int_equal(warnings, 0);
	assert_string_equal(sc.sd_caption, "caption with newline");

	json_t *want = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s],"
		" s:s, s:s, s:s, s:s, s:[s,s,s], s:[s,s], s:[s]}",
		"image_file", full_fields.image_file,
		"dropbox_file_id", full_fields.dropbox_file_id,
		"dropbox_rev", full_fields.dropbox_rev,
		"sha256", full_fields.sha256,
		"created", full_fields.created,
		"sd_caption_version", full_fields.sd_caption_version,
		"model_version", full_fields.model_version,
		"artist_alias", full_fields.artist_alias,
		"subject", a.subject,
		"lighting", "soft key light from the left",
		"pose", a.pose,
		"camera", a.camera,
		"materials", a.clothing_or_accessories.v[0],
		"art_style", a.style,
		"composition", a.composition,
		"background", a.background,
		"color_palette", a.color_palette,
		"tags", a.tags.v[0], a.tags.v[1], a.tags.v[2],
		"aesthetic_terms", a.aesthetic_terms.v[0], a.aesthetic_terms.v[1],
		"moderation", a.safety_labels.v[0]);
	assert_non_null(want);
	assert_true(json_equal(sc.meta, want));
	assert_true(same_key_order(sc.meta, want));

	json_decref(want);
	sidecar_release(&sc);
	free(text);
	analysis_release(&a);
}

static void test_build_caption_and_alt_text(void **state)
{
	(void)state;
	struct sidecar_fields f = { .image_file = "a.jpg", .artist_alias = "Eule",
				    .caption = "Quiet evening light.",
				    .alt_text = "A woman seated on a stool." };
	char *s = sidecar_build("sd", &f, NULL, false);
	assert_string_equal(s, "sd\n\n# ---\n# image_file: a.jpg\n# artist_alias: Eule\n"
			       "# caption: Quiet evening light.\n"
			       "# alt_text: A woman seated on a stool.\n");
	free(s);

	/* what would not read back as it is goes as one JSON string */
	f.caption = "Line one\nline \"two\" \xc3\xa9t\xc3\xa9 ";
	f.alt_text = "[not a list]";
	s = sidecar_build("sd", &f, NULL, false);
	assert_string_equal(s, "sd\n\n# ---\n# image_file: a.jpg\n# artist_alias: Eule\n"
			       "# caption: \"Line one\\nline \\\"two\\\" \xc3\xa9t\xc3\xa9 \"\n"
			       "# alt_text: \"[not a list]\"\n");
	free(s);
}

/* parse(build(x)) gives every caption and alt text back exactly. */
static void test_round_trip_caption_and_alt_text(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"Quiet evening light.",
		"Line one\nline two\n\n#rope #studio",
		"CRLF\r\nand a lone CR\rend",
		"\"Quoted from the start\" and after",
		"[looks like a list]",
		"{looks like an object}",
		"  leading and trailing blanks  ",
		"\ttab first",
		"back\\slash and \\n not a line break",
		"Unicode: \xc3\xa9t\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, \xf0\x9f\x93\xb7, \xe2\x80\x9cquotes\xe2\x80\x9d",
		"# ---\n# caption: an attempt to add a key",
		"key: value: with colons",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sidecar_fields f = { .image_file = "a.jpg", .caption = texts[i],
					    .alt_text = texts[(i + 1) % (sizeof(texts) / sizeof(texts[0]))] };
		char *text = sidecar_build("sd caption", &f, NULL, false);
		struct sidecar sc;
		int warnings = -1;
		assert_int_equal(sidecar_parse(text, &sc, &warnings, NULL), 0);
		assert_int_equal(warnings, 0);
		assert_string_equal(sc.sd_caption, "sd caption");
		assert_string_equal(sidecar_caption(&sc), f.caption);
		assert_string_equal(sidecar_alt_text(&sc), f.alt_text);
		assert_int_equal(json_object_size(sc.meta), 3);
		sidecar_release(&sc);
		free(text);
	}
}

static void test_alt_text_of_sidecar(void **state)
{
	(void)state;
	struct sidecar sc;
	assert_int_equal(sidecar_parse("sd\n\n# ---\n# image_file: a.jpg\n", &sc, NULL, NULL), 0);
	assert_null(sidecar_alt_text(&sc));
	assert_string_equal(sidecar_caption(&sc), "sd");
	sidecar_release(&sc);
	assert_int_equal(sidecar_parse("sd\n\n# ---\n# alt_text: [\"x\"]\n", &sc, NULL, NULL), 0);
	assert_null(sidecar_alt_text(&sc));
	sidecar_release(&sc);
}

static void test_caption_of_sidecar(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "sd text\n\n# ---\n# caption: Quiet light.\n", "Quiet light." },
		{ "sd text\n\n# ---\n# caption: \n", "sd text" },
		{ "sd text\n\n# ---\n# caption: [\"a\"]\n", "sd text" },
		{ "sd text\n\n# ---\n# image_file: a.jpg\n", "sd text" },
		{ "sd text\n# caption: before the separator\n", "sd text" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sidecar sc;
		assert_int_equal(sidecar_parse(cases[i].text, &sc, NULL, NULL), 0);
		assert_string_equal(sidecar_caption(&sc), cases[i].want);
		sidecar_release(&sc);
	}
}

static void test_sidecar_name(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{ "a.jpg", "a.txt" },
		{ "a.b.jpg", "a.b.txt" },
		{ "IMG_0001.JPEG", "IMG_0001.txt" },
		{ "noext", "noext.txt" },
		{ ".hidden", ".hidden.txt" },
		{ "dir.d/photo", "dir.d/photo.txt" },
		{ "\xc3\xa9t\xc3\xa9.png", "\xc3\xa9t\xc3\xa9.txt" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = sidecar_name(cases[i][0]);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

/* Random bytes, with and without separator lines, never crash the parser and
 * always come back as valid UTF-8 JSON. */
static void test_parse_random_bytes(void **state)
{
	(void)state;
	static const char *pieces[] = { "\n", "\r\n", "# ---\n", "# k: ", "[", "{", "\"", ": ",
					"\xef\xbb\xbf", "\xff", "\xc3", "\xe2\x82", "]", "}" };
	uint32_t x = 88172645u;
	for (int round = 0; round < 500; round++) {
		struct buf b = BUF_INIT;
		int units = (int)(x % 200);
		for (int i = 0; i < units; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if (x % 3 == 0)
				buf_adds(&b, pieces[(x >> 8) % (sizeof(pieces) / sizeof(pieces[0]))]);
			else
				buf_addc(&b, (char)(1 + (x >> 8) % 255));
		}
		struct sidecar sc;
		int warnings = -1;
		assert_int_equal(sidecar_parse(buf_str(&b), &sc, &warnings, NULL), 0);
		assert_true(warnings >= 0);
		assert_true(g_utf8_validate(sc.sd_caption, -1, NULL));
		char *dump = json_dumps(sc.meta, 0);
		assert_non_null(dump);
		free(dump);
		assert_non_null(sidecar_caption(&sc));
		sidecar_release(&sc);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_build_phase1_order),
		cmocka_unit_test(test_build_omits_empty),
		cmocka_unit_test(test_build_newlines_flattened),
		cmocka_unit_test(test_build_phase2),
		cmocka_unit_test(test_build_phase2_omits_empty),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_caption_and_alt_text),
		cmocka_unit_test(test_round_trip_caption_and_alt_text),
		cmocka_unit_test(test_alt_text_of_sidecar),
		cmocka_unit_test(test_caption_of_sidecar),
		cmocka_unit_test(test_sidecar_name),
		cmocka_unit_test(test_parse_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
