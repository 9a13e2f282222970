/* test_ai_local.c - the offline describer on pictures with known properties
 * (dark, bright, grey, red, portrait, sharp and blurred), its captions, the
 * provider-independent wrappers (logging, spec, length) in ai.c. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "ai/ai.h"
#include "publish/publisher.h"
#include "image/image.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static char *dir;
static struct ai *ai;

/* ---- pictures --------------------------------------------------------- */

static char *save(VipsImage *img, const char *name)
{
	char *path = fs_join(dir, name);
	assert_int_equal(vips_image_write_to_file(img, path, NULL), 0);
	g_object_unref(img);
	return path;
}

static VipsImage *srgb(VipsImage *in)
{
	VipsImage *u8 = NULL;
	assert_int_equal(vips_cast_uchar(in, &u8, NULL), 0);
	g_object_unref(in);
	u8->Type = VIPS_INTERPRETATION_sRGB;
	return u8;
}

/* A flat w×h picture of one colour. */
static VipsImage *flat(int w, int h, double r, double g, double b)
{
	VipsImage *black = NULL, *out = NULL;
	double add[3] = { r, g, b }, mul[3] = { 1, 1, 1 };
	assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
	assert_int_equal(vips_linear(black, &out, mul, add, 3, NULL), 0);
	g_object_unref(black);
	return srgb(out);
}

/* A horizontal grey ramp from lo to hi. */
static VipsImage *ramp(int w, int h, double lo, double hi)
{
	VipsImage *g = NULL, *lin = NULL, *out = NULL;
	assert_int_equal(vips_grey(&g, w, h, NULL), 0);
	assert_int_equal(vips_linear1(g, &lin, hi - lo, lo, NULL), 0);
	VipsImage *three[3] = { lin, lin, lin };
	assert_int_equal(vips_bandjoin(three, &out, 3, NULL), 0);
	g_object_unref(g);
	g_object_unref(lin);
	return srgb(out);
}

/* Black and white squares of side cell. */
static VipsImage *checker(int w, int h, int cell)
{
	VipsImage *xyz = NULL, *x = NULL, *y = NULL, *sx = NULL, *sy = NULL, *sum = NULL,
		  *odd = NULL, *val = NULL, *out = NULL;
	assert_int_equal(vips_xyz(&xyz, w, h, NULL), 0);
	assert_int_equal(vips_extract_band(xyz, &x, 0, NULL), 0);
	assert_int_equal(vips_extract_band(xyz, &y, 1, NULL), 0);
	assert_int_equal(vips_linear1(x, &sx, 1.0 / cell, 0, "uchar", FALSE, NULL), 0);
	assert_int_equal(vips_linear1(y, &sy, 1.0 / cell, 0, NULL), 0);
	VipsImage *fx = NULL, *fy = NULL;
	assert_int_equal(vips_floor(sx, &fx, NULL), 0);
	assert_int_equal(vips_floor(sy, &fy, NULL), 0);
	assert_int_equal(vips_add(fx, fy, &sum, NULL), 0);
	assert_int_equal(vips_remainder_const1(sum, &odd, 2, NULL), 0);
	assert_int_equal(vips_linear1(odd, &val, 255, 0, NULL), 0);
	VipsImage *three[3] = { val, val, val };
	assert_int_equal(vips_bandjoin(three, &out, 3, NULL), 0);
	VipsImage *all[] = { xyz, x, y, sx, sy, fx, fy, sum, odd, val };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		g_object_unref(all[i]);
	return srgb(out);
}

static VipsImage *blurred(VipsImage *in, double sigma)
{
	VipsImage *out = NULL;
	assert_int_equal(vips_gaussblur(in, &out, sigma, NULL), 0);
	g_object_unref(in);
	return srgb(out);
}

/* ---- helpers ---------------------------------------------------------- */

static void analyze(const char *path, struct analysis *an)
{
	struct ai_image img = { .name = "x", .path = path };
	struct pp_ctx ctx = { .correlation_id = "t" };
	struct pp_error err = { 0 };
	long ms = -1;
	int rc = ai_analyze(ai, &ctx, &img, an, &ms, &err);
	if (rc)
		fail_msg("analyze %s: %s", path, err.msg);
	assert_true(ms >= 0);
}

static bool tag_ok(const char *t)
{
	/* ^[a-z0-9]+(_[a-z0-9]+)*$ */
	bool need_alnum = true;
	if (!*t)
		return false;
	for (; *t; t++) {
		bool alnum = (*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9');
		if (*t == '_') {
			if (need_alnum)
				return false;
			need_alnum = true;
		} else if (alnum) {
			need_alnum = false;
		} else {
			return false;
		}
	}
	return !need_alnum;
}

static size_t word_count(const char *s)
{
	size_t n = 0;
	bool in = false;
	for (; *s; s++) {
		if (*s == ' ')
			in = false;
		else if (!in) {
			in = true;
			n++;
		}
	}
	return n;
}

static bool has_tag(const struct analysis *an, const char *t)
{
	return strv_contains(&an->tags, t);
}

static bool tag_containing(const struct analysis *an, const char *word)
{
	for (size_t i = 0; i < an->tags.n; i++) {
		char *s = xasprintf("_%s_", an->tags.v[i]), *w = xasprintf("_%s_", word);
		bool hit = strstr(s, w) != NULL;
		free(s);
		free(w);
		if (hit)
			return true;
	}
	return false;
}

/* Checks what every analysis must satisfy. */
static void check_shape(const struct analysis *an)
{
	assert_true(an->tags.n >= 10);
	assert_true(an->tags.n <= 25);
	for (size_t i = 0; i < an->tags.n; i++) {
		if (!tag_ok(an->tags.v[i]))
			fail_msg("bad tag '%s'", an->tags.v[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(an->tags.v[i], an->tags.v[j]);
	}
	assert_non_null(an->description);
	assert_true(word_count(an->description) >= 5);
	assert_true(word_count(an->description) <= 30);
	/* alt text: one sentence, at most 125 characters, from the measures */
	assert_non_null(an->alt_text);
	assert_true(utf8_strlen(an->alt_text) <= 125);
	assert_true(an->alt_text[0] >= 'A' && an->alt_text[0] <= 'Z');
	assert_int_equal(an->alt_text[strlen(an->alt_text) - 1], '.');
	assert_non_null(strstr(an->alt_text, "photograph"));
	assert_null(strchr(an->alt_text, '\n'));
	assert_false(an->nsfw);
	assert_int_equal(an->safety_labels.n, 0);
	assert_int_equal(an->clothing_or_accessories.n, 0);
	assert_string_equal(an->pose, "");
	const char *fields[] = { an->mood, an->subject, an->style, an->lighting, an->camera,
				 an->composition, an->background, an->color_palette };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		assert_non_null(fields[i]);
		assert_true(strlen(fields[i]) > 0);
	}
	assert_true(an->aesthetic_terms.n >= 1);
	/* "#rrggbb, #rrggbb, …": one to six entries */
	size_t n = 0;
	for (const char *p = an->color_palette; (p = strchr(p, '#')); p++) {
		unsigned r, g, b;
		assert_int_equal(sscanf(p, "#%2x%2x%2x", &r, &g, &b), 3);
		n++;
	}
	assert_true(n >= 1 && n <= 6);
}

/* Smallest RGB distance from (r,g,b) to a palette entry. */
static double palette_distance(const struct analysis *an, int r, int g, int b)
{
	double best = 1e9;
	for (const char *p = an->color_palette; (p = strchr(p, '#')); p++) {
		unsigned pr, pg, pb;
		if (sscanf(p, "#%2x%2x%2x", &pr, &pg, &pb) != 3)
			continue;
		double d = sqrt((double)((pr - r) * (pr - r) + (pg - g) * (pg - g) + (pb - b) * (pb - b)));
		if (d < best)
			best = d;
	}
	return best;
}

static char *to_json(const struct analysis *an)
{
	json_t *j = analysis_to_json(an);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* ---- fixtures --------------------------------------------------------- */

static int setup(void **state)
{
	struct pp_error err = { 0 };
	struct config cfg = { .provider = AI_LOCAL };
	assert_int_equal(image_init("test_ai_local", &err), 0);
	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
	assert_string_equal(ai->ops->name, "local");
	assert_false(ai->ops->needs_url);
	dir = tu_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	ai_close(ai);
	tu_rmrf(dir);
	free(dir);
	image_shutdown();
	return 0;
}

/* ---- analysis --------------------------------------------------------- */

static void test_dark_image_is_low_key(void **state)
{
	char *path = save(flat(300, 200, 18, 18, 20), "dark.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "low_key"));
	assert_true(has_tag(&an, "very_dark_image"));
	assert_true(has_tag(&an, "landscape_orientation"));
	assert_true(has_tag(&an, "aspect_3_2"));
	assert_true(has_tag(&an, "dark_background"));
	assert_non_null(strstr(an.description, "low-key"));
	assert_non_null(strstr(an.lighting, "low-key"));
	assert_non_null(strstr(an.alt_text, "A dim, "));
	assert_non_null(strstr(an.alt_text, "landscape-orientation photograph"));
	assert_true(palette_distance(&an, 18, 18, 20) < 3);
	/* no EXIF: a measured statement about the frame */
	assert_string_equal(an.camera, "0.1 MP frame, 3:2");
	analysis_release(&an);
	free(path);
}

static void test_bright_image_is_high_key(void **state)
{
	char *path = save(flat(320, 240, 246, 245, 240), "bright.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "high_key"));
	assert_true(has_tag(&an, "very_bright_image"));
	assert_false(has_tag(&an, "low_key"));
	assert_true(has_tag(&an, "light_background"));
	assert_true(has_tag(&an, "aspect_4_3"));
	assert_non_null(strstr(an.style, "high-key"));
	analysis_release(&an);
	free(path);
}

static void test_grey_ramp_is_monochrome(void **state)
{
	char *path = save(ramp(400, 300, 30, 220), "grey.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "monochrome"));
	assert_false(has_tag(&an, "colour"));
	assert_true(has_tag(&an, "neutral_tones"));
	assert_true(has_tag(&an, "mid_key"));
	assert_non_null(strstr(an.style, "monochrome photography"));
	assert_non_null(strstr(an.description, "monochrome"));
	assert_non_null(strstr(an.alt_text, "in black and white."));
	/* a ramp's palette is grey and spans dark to light */
	unsigned lo = 255, hi = 0;
	for (const char *p = an.color_palette; (p = strchr(p, '#')); p++) {
		unsigned r, g, b;
		assert_int_equal(sscanf(p, "#%2x%2x%2x", &r, &g, &b), 3);
		assert_true(r == g && g == b);
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	assert_true(lo < 80);
	assert_true(hi > 180);
	analysis_release(&an);
	free(path);
}

static void test_red_image_is_colour(void **state)
{
	char *path = save(flat(300, 300, 255, 0, 0), "red.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "colour"));
	assert_false(has_tag(&an, "monochrome"));
	assert_true(has_tag(&an, "vivid_colours"));
	assert_true(has_tag(&an, "warm_tones"));
	assert_true(has_tag(&an, "square_format"));
	assert_true(tag_containing(&an, "red"));
	assert_true(palette_distance(&an, 255, 0, 0) < 8);
	assert_non_null(strstr(an.color_palette, "#ff0000"));
	analysis_release(&an);

	/* and a cool one */
	free(path);
	path = save(flat(300, 200, 20, 60, 200), "blue.png");
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "cool_tones"));
	assert_true(tag_containing(&an, "blue"));
	analysis_release(&an);
	free(path);
}

static void test_portrait_orientation(void **state)
{
	char *path = save(ramp(400, 600, 0, 255), "portrait.jpg");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "portrait_orientation"));
	assert_true(has_tag(&an, "aspect_2_3"));
	assert_non_null(strstr(an.description, "portrait orientation"));
	assert_non_null(strstr(an.alt_text, "portrait-orientation photograph"));
	assert_non_null(strstr(an.composition, "portrait 2:3 frame"));
	assert_string_equal(an.camera, "0.2 MP frame, 2:3");
	analysis_release(&an);
	free(path);
}

static int sharpness_rank(const struct analysis *an)
{
	if (has_tag(an, "sharp_focus"))
		return 3;
	if (has_tag(an, "moderately_sharp"))
		return 2;
	if (has_tag(an, "soft_focus"))
		return 1;
	return 0;
}

static void test_sharp_versus_blurred(void **state)
{
	char *sharp = save(checker(400, 400, 10), "checker.png");
	char *soft = save(blurred(checker(400, 400, 10), 6.0), "checker_blur.png");
	struct analysis a, b;

	analyze(sharp, &a);
	analyze(soft, &b);
	check_shape(&a);
	check_shape(&b);
	assert_int_equal(sharpness_rank(&a), 3);
	assert_true(sharpness_rank(&b) >= 1);
	assert_true(sharpness_rank(&a) > sharpness_rank(&b));
	assert_true(has_tag(&a, "high_contrast"));
	assert_true(has_tag(&a, "evenly_spread_detail"));
	/* black and white squares */
	assert_true(palette_distance(&a, 0, 0, 0) < 10);
	assert_true(palette_distance(&a, 255, 255, 255) < 10);
	analysis_release(&a);
	analysis_release(&b);
	free(sharp);
	free(soft);
}

static void test_centred_subject(void **state)
{
	/* a bright textured square in the middle of a dark even field */
	VipsImage *field = flat(600, 400, 15, 15, 15), *patch = checker(200, 140, 7), *out = NULL;
	assert_int_equal(vips_insert(field, patch, &out, 200, 130, NULL), 0);
	g_object_unref(field);
	g_object_unref(patch);
	char *path = save(out, "centred.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "centred_composition"));
	assert_true(has_tag(&an, "even_background"));
	assert_true(has_tag(&an, "dark_background"));
	assert_non_null(strstr(an.subject, "centred bright subject on a dark background"));
	assert_non_null(strstr(an.description, "concentrated in the centre"));
	analysis_release(&an);
	free(path);
}

static void test_left_weighted_detail(void **state)
{
	VipsImage *field = flat(600, 400, 120, 120, 120), *patch = checker(180, 400, 6), *out = NULL;
	assert_int_equal(vips_insert(field, patch, &out, 0, 0, NULL), 0);
	g_object_unref(field);
	g_object_unref(patch);
	char *path = save(out, "left.png");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_true(has_tag(&an, "left_weighted_composition"));
	assert_non_null(strstr(an.composition, "left third"));
	analysis_release(&an);
	free(path);
}

static void test_exif_camera(void **state)
{
	VipsImage *img = ramp(300, 200, 10, 240), *copy = NULL;
	assert_int_equal(vips_copy(img, &copy, NULL), 0);
	g_object_unref(img);
	vips_image_set_string(copy, "exif-ifd0-Make", "Testmaker");
	vips_image_set_string(copy, "exif-ifd0-Model", "Testmaker TM-1");
	vips_image_set_int(copy, VIPS_META_ORIENTATION, 6);
	char *path = save(copy, "exif.jpg");
	struct analysis an;
	analyze(path, &an);
	check_shape(&an);
	assert_string_equal(an.camera, "Testmaker TM-1");
	/* orientation 6: displayed upright, so portrait */
	assert_true(has_tag(&an, "portrait_orientation"));
	analysis_release(&an);
	free(path);
}

static void test_deterministic(void **state)
{
	char *path = save(blurred(checker(500, 333, 9), 1.0), "det.jpg");
	struct analysis a, b;
	analyze(path, &a);
	analyze(path, &b);
	char *ja = to_json(&a), *jb = to_json(&b);
	assert_string_equal(ja, jb);

	struct caption_spec spec = { "generic", "minimal_poetic", "#x", 2200 };
	struct caption_result ca, cb;
	struct pp_error err = { 0 };
	assert_int_equal(ai_caption(ai, NULL, &a, &spec, true, &ca, NULL, &err), 0);
	assert_int_equal(ai_caption(ai, NULL, &b, &spec, true, &cb, NULL, &err), 0);
	assert_string_equal(ca.caption, cb.caption);
	assert_string_equal(ca.sd_caption, cb.sd_caption);
	caption_result_release(&ca);
	caption_result_release(&cb);
	free(ja);
	free(jb);
	analysis_release(&a);
	analysis_release(&b);
	free(path);
}

static void test_bad_file(void **state)
{
	static const char text[] = "plain text, not pixels";
	char *path = tu_write(dir, "fake.jpg", text, sizeof(text) - 1);
	struct ai_image img = { .name = "fake.jpg", .path = path };
	struct pp_ctx ctx = { .correlation_id = "cid-bad" };
	struct pp_error err = { 0 };
	struct analysis an;
	long ms = -1;

	tu_log_start();
	assert_int_equal(ai_analyze(ai, &ctx, &img, &an, &ms, &err), -1);
	char *log = tu_log_stop();
	assert_non_null(strstr(err.msg, "fake.jpg is not a decodable image"));
	assert_null(an.description);
	assert_int_equal(an.tags.n, 0);
	assert_true(ms >= 0);

	const char *line = strstr(log, "\"message\":\"vision_analysis\"");
	assert_non_null(line);
	while (line > log && line[-1] != '\n')
		line--;
	json_error_t jerr;
	json_t *j = json_loadb(line, strcspn(line, "\n"), 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_string_equal(json_string_value(json_object_get(j, "error_type")), "decode_error");
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "fake.jpg"));
	json_decref(j);
	free(log);
	free(path);
}

/* ---- log line --------------------------------------------------------- */

static void test_vision_analysis_log_line(void **state)
{
	char *path = save(ramp(300, 200, 0, 255), "logged.png");
	struct ai_image img = { .name = "logged.png", .path = path };
	struct pp_ctx ctx = { .correlation_id = "0f8b6c1e-2a44-4c1b-9d1e-5a6b7c8d9e0f" };
	struct pp_error err = { 0 };
	struct analysis an;
	long ms = -1;

	tu_log_start();
	assert_int_equal(ai_analyze(ai, &ctx, &img, &an, &ms, &err), 0);
	char *log = tu_log_stop();

	/* exactly one vision_analysis line */
	const char *first = strstr(log, "\"message\":\"vision_analysis\"");
	assert_non_null(first);
	assert_null(strstr(first + 1, "\"message\":\"vision_analysis\""));
	const char *line = first;
	while (line > log && line[-1] != '\n')
		line--;
	size_t len = strcspn(line, "\n");
	json_error_t jerr;
	json_t *j = json_loadb(line, len, 0, &jerr);
	assert_non_null(j);
	assert_true(json_is_object(j));

	/* keys in the contract's order */
	static const char *keys[] = { "timestamp", "level", "logger", "message", "correlation_id",
				      "model", "vision_analysis_ms", "ok", "error_type",
				      "prompt_tokens", "completion_tokens", "cost_usd", "detail",
				      "fallback" };
	const char *at = line;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *quoted = xasprintf("\"%s\":", keys[i]);
		const char *hit = strstr(at, quoted);
		if (!hit || hit >= line + len)
			fail_msg("key %s missing or out of order in %.*s", keys[i], (int)len, line);
		at = hit + strlen(quoted);
		free(quoted);
	}
	assert_int_equal(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "logger")), "ai");
	assert_string_equal(json_string_value(json_object_get(j, "correlation_id")), ctx.correlation_id);
	assert_string_equal(json_string_value(json_object_get(j, "model")), "photopub-local-v1");
	assert_true(json_is_integer(json_object_get(j, "vision_analysis_ms")));
	assert_int_equal(json_integer_value(json_object_get(j, "vision_analysis_ms")), ms);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_true(json_is_null(json_object_get(j, "error_type")));
	assert_true(json_is_null(json_object_get(j, "prompt_tokens")));
	assert_true(json_is_null(json_object_get(j, "completion_tokens")));
	assert_true(json_is_null(json_object_get(j, "cost_usd")));   /* nothing counted */
	assert_true(json_is_null(json_object_get(j, "detail")));
	assert_true(json_is_false(json_object_get(j, "fallback")));
	/* no image bytes or paths in the line */
	assert_null(strstr(line, "base64"));
	json_decref(j);
	free(log);
	analysis_release(&an);
	free(path);
}

/* ---- captions --------------------------------------------------------- */

static struct analysis sample;

static void load_sample(void)
{
	if (sample.description)
		return;
	VipsImage *field = flat(400, 600, 20, 20, 22), *patch = checker(160, 240, 8), *out = NULL;
	assert_int_equal(vips_insert(field, patch, &out, 120, 180, NULL), 0);
	g_object_unref(field);
	g_object_unref(patch);
	char *path = save(out, "sample.png");
	analyze(path, &sample);
	free(path);
}

static void test_caption_generic(void **state)
{
	struct config cfg = { .hashtag_string = "#bnw #studio" };
	struct caption_spec spec;
	struct caption_result c;
	struct pp_error err = { 0 };

	load_sample();
	publisher_caption_spec(&cfg, &spec);
	assert_string_equal(spec.platform, "generic");
	assert_string_equal(spec.style, "minimal_poetic");
	assert_int_equal(spec.max_length, 2200);
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, true, &c, NULL, &err), 0);
	size_t n = strlen(c.caption), t = strlen(" #bnw #studio");
	assert_true(n > t + 10);
	assert_string_equal(c.caption + n - t, " #bnw #studio");
	assert_non_null(c.sd_caption);
	assert_true(strlen(c.sd_caption) > 20);
	assert_string_equal(c.model, "photopub-local-v1");
	assert_non_null(strstr(c.sd_caption, "photograph, monochrome, low key lighting"));
	assert_non_null(strstr(c.sd_caption, "portrait orientation"));
	for (const char *p = c.sd_caption; *p; p++)
		assert_false(*p >= 'A' && *p <= 'Z');
	caption_result_release(&c);

	/* without with_sd: no sd_caption; without hashtags: none appended */
	cfg.hashtag_string = NULL;
	publisher_caption_spec(&cfg, &spec);
	assert_string_equal(spec.hashtags, "");
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, false, &c, NULL, &err), 0);
	assert_null(c.sd_caption);
	assert_null(strchr(c.caption, '#'));
	assert_true(strlen(c.caption) > 10);
	caption_result_release(&c);
}

static void test_caption_fetlife(void **state)
{
	struct config cfg = { .fetlife = true, .hashtag_string = "#ignored" };
	struct caption_spec spec;
	struct caption_result c;
	struct pp_error err = { 0 };

	load_sample();
	publisher_caption_spec(&cfg, &spec);
	assert_string_equal(spec.platform, "fetlife_email");
	assert_string_equal(spec.style, "engagement_question");
	assert_string_equal(spec.hashtags, "");
	assert_int_equal(spec.max_length, 240);
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, true, &c, NULL, &err), 0);
	size_t n = strlen(c.caption);
	assert_true(n > 10 && g_utf8_strlen(c.caption, -1) <= 240);
	assert_int_equal(c.caption[n - 1], '?');
	assert_null(strchr(c.caption, '#'));
	caption_result_release(&c);

	/* hashtags passed anyway are not appended to an email caption */
	spec.hashtags = "#nope";
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, false, &c, NULL, &err), 0);
	assert_null(strchr(c.caption, '#'));
	caption_result_release(&c);
}

static void test_caption_max_length(void **state)
{
	struct caption_spec spec = { "generic", "minimal_poetic", "#a #b #c", 20 };
	struct caption_result c;
	struct pp_error err = { 0 };

	load_sample();
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, false, &c, NULL, &err), 0);
	assert_int_equal(g_utf8_strlen(c.caption, -1), 20);
	assert_true(g_utf8_validate(c.caption, -1, NULL));
	assert_true(g_str_has_suffix(c.caption, "\u2026"));
	caption_result_release(&c);

	spec = (struct caption_spec){ "fetlife_email", "engagement_question", "", 20 };
	assert_int_equal(ai_caption(ai, NULL, &sample, &spec, false, &c, NULL, &err), 0);
	assert_true(g_utf8_strlen(c.caption, -1) <= 20);
	caption_result_release(&c);
}

static void test_caption_other_analysis(void **state)
{
	/* an analysis the local analyzer did not write still gets a caption */
	struct analysis an = { 0 };
	struct caption_spec spec = { "generic", "minimal_poetic", "", 2200 };
	struct caption_result c;
	struct pp_error err = { 0 };

	an.description = xstrdup("A rope study.");
	strv_push(&an.tags, "rope");
	strv_push(&an.tags, "studio_light");
	assert_int_equal(ai_caption(ai, NULL, &an, &spec, true, &c, NULL, &err), 0);
	assert_true(strlen(c.caption) > 0);
	assert_non_null(strstr(c.sd_caption, "studio light"));
	caption_result_release(&c);
	analysis_release(&an);
}

/* ---- ai.c ------------------------------------------------------------- */

static void test_enforce_length(void **state)
{
	char *s;

	s = ai_enforce_length("short", 10);
	assert_string_equal(s, "short");
	free(s);
	s = ai_enforce_length("exactly10!", 10);
	assert_string_equal(s, "exactly10!");
	free(s);
	s = ai_enforce_length("eleven chars", 11);
	assert_string_equal(s, "eleven cha\u2026");
	free(s);
	/* two-byte characters are counted once and never split */
	s = ai_enforce_length("\u00e9\u00e9\u00e9\u00e9\u00e9", 3);
	assert_string_equal(s, "\u00e9\u00e9\u2026");
	free(s);
	s = ai_enforce_length("\u00e9\u00e9\u00e9", 3);
	assert_string_equal(s, "\u00e9\u00e9\u00e9");
	free(s);
	/* three- and four-byte ones too */
	s = ai_enforce_length("a\u2713b\U0001F600c\U0001F600d", 5);
	assert_string_equal(s, "a\u2713b\U0001F600\u2026");
	assert_int_equal(g_utf8_strlen(s, -1), 5);
	free(s);
	s = ai_enforce_length("\U0001F600\U0001F600", 1);
	assert_string_equal(s, "\u2026");
	free(s);
	s = ai_enforce_length("anything", 0);
	assert_string_equal(s, "");
	free(s);
	s = ai_enforce_length("", 5);
	assert_string_equal(s, "");
	free(s);
}

static void test_open_openai_needs_key(void **state)
{
	struct config cfg = { .provider = AI_OPENAI };
	struct ai *other = (struct ai *)&cfg;
	struct pp_error err = { 0 };
	assert_int_equal(ai_open(&cfg, &other, &err), -1);
	assert_null(other);
	assert_string_equal(err.msg, "OPENAI_API_KEY is not set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dark_image_is_low_key),
		cmocka_unit_test(test_bright_image_is_high_key),
		cmocka_unit_test(test_grey_ramp_is_monochrome),
		cmocka_unit_test(test_red_image_is_colour),
		cmocka_unit_test(test_portrait_orientation),
		cmocka_unit_test(test_sharp_versus_blurred),
		cmocka_unit_test(test_centred_subject),
		cmocka_unit_test(test_left_weighted_detail),
		cmocka_unit_test(test_exif_camera),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_vision_analysis_log_line),
		cmocka_unit_test(test_caption_generic),
		cmocka_unit_test(test_caption_fetlife),
		cmocka_unit_test(test_caption_max_length),
		cmocka_unit_test(test_caption_other_analysis),
		cmocka_unit_test(test_enforce_length),
		cmocka_unit_test(test_open_openai_needs_key),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	analysis_release(&sample);
	return rc;
}
