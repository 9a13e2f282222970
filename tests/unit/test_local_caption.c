/* test_local_caption.c - the offline caption wording: time-of-day buckets,
 * the EXIF clock, camera and lens phrasing, the deterministic and varied
 * choice of lines, EXIF facts reaching a caption, and the captions of the
 * sample photographs (examples/images): openings that differ, platform
 * limits kept, clean endings. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "ai/ai.h"
#include "ai/local_caption.h"
#include "image/image.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static char *dir;
static struct ai *ai;

static int setup(void **state)
{
	struct pp_error err = { 0 };
	struct config cfg = { .provider = AI_LOCAL };
	assert_int_equal(image_init("test_local_caption", &err), 0);
	assert_int_equal(ai_open(&cfg, &ai, &err), 0);
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

static void analyze(const char *path, struct analysis *an)
{
	struct ai_image img = { .name = "x", .path = path };
	struct pp_ctx ctx = { .correlation_id = "t" };
	struct pp_error err = { 0 };
	if (ai_analyze(ai, &ctx, &img, an, NULL, &err))
		fail_msg("analyze %s: %s", path, err.msg);
}

static char *caption(const struct analysis *an, const char *platform, const char *style,
		     const char *hashtags, size_t max)
{
	struct caption_spec spec = { platform, style, hashtags, max };
	struct caption_result c;
	struct pp_error err = { 0 };
	assert_int_equal(ai_caption(ai, NULL, an, &spec, false, &c, NULL, &err), 0);
	char *s = c.caption;
	c.caption = NULL;
	caption_result_release(&c);
	return s;
}

/* ---- wording ---------------------------------------------------------- */

static void test_time_buckets(void **state)
{
	static const struct {
		int h, m;
		const char *want;
	} rows[] = {
		{ 0, 0, "night" }, { 4, 59, "night" }, { 5, 0, "dawn" }, { 6, 30, "dawn" },
		{ 7, 0, "morning" }, { 10, 59, "morning" }, { 11, 0, "midday" },
		{ 13, 59, "midday" }, { 14, 0, "afternoon" }, { 16, 59, "afternoon" },
		{ 17, 0, "golden hour" }, { 18, 40, "golden hour" }, { 19, 29, "golden hour" },
		{ 19, 30, "blue hour" }, { 20, 59, "blue hour" }, { 21, 0, "night" },
		{ 23, 59, "night" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(local_time_bucket(rows[i].h, rows[i].m), rows[i].want);
}

static void test_clock_of(void **state)
{
	int h, m;
	assert_int_equal(local_clock_of("2024:05:01 18:40:12", &h, &m), 0);
	assert_int_equal(h, 18);
	assert_int_equal(m, 40);
	assert_int_equal(local_clock_of("2024:05:01 00:05:00", &h, &m), 0);
	assert_int_equal(h, 0);
	assert_int_equal(m, 5);
	assert_int_equal(local_clock_of("", &h, &m), -1);
	assert_int_equal(h, -1);
	assert_int_equal(local_clock_of(NULL, &h, &m), -1);
	assert_int_equal(local_clock_of("2024:05:01 25:40:12", &h, &m), -1);
	assert_int_equal(local_clock_of("    :  :     :  :  ", &h, &m), -1);
	assert_int_equal(m, -1);
}

static void test_kit_phrase(void **state)
{
	struct buf b = BUF_INIT;
	local_kit_phrase(&b, "Fujifilm X-T4", NULL);
	assert_string_equal(buf_str(&b), "a Fujifilm X-T4");
	buf_release(&b);
	local_kit_phrase(&b, "Fujifilm X-T4", "XF23mmF2 R WR");
	assert_string_equal(buf_str(&b), "a Fujifilm X-T4 with the XF23mmF2 R WR");
	buf_release(&b);
	local_kit_phrase(&b, "OLYMPUS E-M5", "");
	assert_string_equal(buf_str(&b), "an OLYMPUS E-M5");
	buf_release(&b);
	/* a lens without a camera says nothing */
	local_kit_phrase(&b, NULL, "XF23mmF2 R WR");
	assert_string_equal(buf_str(&b), "");
	local_kit_phrase(&b, "", "XF23mmF2 R WR");
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static const struct caption_facts base = {
	.light = CAPTION_MID_KEY, .tone = "warm", .c1 = "orange", .c2 = "brown",
	.hour = -1, .minute = -1,
};

static char *compose(const struct caption_facts *f, uint64_t seed, char **detail)
{
	struct buf line = BUF_INIT, d = BUF_INIT;
	local_caption_compose(f, seed, &line, &d);
	*detail = buf_detach(&d);
	return buf_detach(&line);
}

static void test_compose_deterministic_and_varied(void **state)
{
	char *d1, *d2;
	char *a = compose(&base, 12345, &d1), *b = compose(&base, 12345, &d2);
	assert_string_equal(a, b);
	assert_string_equal(d1, d2);
	free(a), free(b), free(d1), free(d2);

	/* across seeds every situation has several openings */
	for (int light = CAPTION_LOW_KEY; light <= CAPTION_HIGH_KEY; light++) {
		for (int mono = 0; mono < 2; mono++) {
			struct caption_facts f = base;
			f.light = (enum caption_light)light;
			f.mono = mono;
			char *seen[16];
			int n = 0;
			for (uint64_t seed = 0; seed < 16; seed++) {
				char *d, *l = compose(&f, seed * 0x9e3779b97f4a7c15ULL, &d);
				assert_true(strlen(l) > 10);
				assert_int_equal(l[strlen(l) - 1], '.');
				assert_string_equal(d, ""); /* nothing known for a detail */
				free(d);
				bool dup = false;
				for (int i = 0; i < n; i++)
					dup = dup || strcmp(seen[i], l) == 0;
				if (dup)
					free(l);
				else
					seen[n++] = l;
			}
			assert_true(n >= 3);
			for (int i = 0; i < n; i++)
				free(seen[i]);
		}
	}
}

static void test_compose_details(void **state)
{
	struct caption_facts f = base;
	char *d, *l;

	f.brightest = "upper left";
	l = compose(&f, 0, &d);
	assert_non_null(strstr(d, "upper left"));
	free(l), free(d);

	f.camera = "Fujifilm X-T4";
	for (uint64_t seed = 0; seed < 4 << 8; seed += 1 << 8) {
		l = compose(&f, seed, &d);
		assert_non_null(strstr(d, "a Fujifilm X-T4"));
		assert_null(strstr(d, "upper left"));
		free(l), free(d);
	}

	f.lens = "XF23mmF2 R WR";
	f.hour = 18;
	f.minute = 40;
	for (uint64_t seed = 0; seed < 4 << 8; seed += 1 << 8) {
		l = compose(&f, seed, &d);
		assert_non_null(strstr(d, "18:40"));
		assert_non_null(strstr(d, "a Fujifilm X-T4 with the XF23mmF2 R WR"));
		assert_int_equal(d[strlen(d) - 1], '.');
		free(l), free(d);
	}

	f.camera = f.lens = NULL;
	f.hour = 6;
	f.minute = 5;
	l = compose(&f, 0, &d);
	assert_non_null(strstr(d, "06:05"));
	free(l), free(d);
	l = compose(&f, 1 << 8, &d);
	assert_non_null(strstr(d, "Dawn"));
	free(l), free(d);
}

/* ---- through the analyzer --------------------------------------------- */

static void test_exif_reaches_caption(void **state)
{
	/* a warm ramp with EXIF camera, lens and time */
	VipsImage *u8, *big, *x = NULL;
	assert_int_equal(vips_xyz(&x, 300, 200, NULL), 0);
	VipsImage *band = NULL;
	assert_int_equal(vips_extract_band(x, &band, 0, NULL), 0);
	g_object_unref(x);
	VipsImage *rgb[3] = { band, band, band }, *joined = NULL;
	assert_int_equal(vips_bandjoin(rgb, &joined, 3, NULL), 0);
	g_object_unref(band);
	assert_int_equal(vips_cast_uchar(joined, &u8, NULL), 0);
	g_object_unref(joined);
	assert_int_equal(vips_copy(u8, &big, NULL), 0);
	g_object_unref(u8);
	big->Type = VIPS_INTERPRETATION_sRGB;
	vips_image_set_string(big, "exif-ifd0-Make", "Testmaker");
	vips_image_set_string(big, "exif-ifd0-Model", "Testmaker TM-1");
	vips_image_set_string(big, "exif-ifd2-LensModel", "TM 23mm F2");
	vips_image_set_string(big, "exif-ifd2-DateTimeOriginal", "2024:05:01 18:40:12");
	char *path = fs_join(dir, "exif.jpg");
	assert_int_equal(vips_image_write_to_file(big, path, NULL), 0);
	g_object_unref(big);

	struct analysis an;
	analyze(path, &an);
	assert_string_equal(an.camera, "Testmaker TM-1; lens TM 23mm F2");
	assert_non_null(strstr(an.lighting, "golden hour (18:40)"));
	assert_true(strv_contains(&an.tags, "golden_hour"));
	assert_non_null(strstr(an.description, "light and colour, not subjects"));
	char *c = caption(&an, "generic", "minimal_poetic", "#x", 2200);
	assert_non_null(strstr(c, "18:40"));
	assert_non_null(strstr(c, "a Testmaker TM-1 with the TM 23mm F2"));
	assert_non_null(strstr(c, ". #x"));
	free(c);
	/* too tight for the detail: the line alone, still whole */
	c = caption(&an, "generic", "minimal_poetic", "", 60);
	assert_null(strstr(c, "18:40"));
	assert_int_equal(c[strlen(c) - 1], '.');
	free(c);
	/* an analysis from elsewhere that knows no camera: no camera named */
	free(an.camera);
	an.camera = xstrdup("Unknown");
	c = caption(&an, "generic", "minimal_poetic", "", 2200);
	assert_null(strstr(c, "nknown"));
	assert_non_null(strstr(c, "18:40"));
	free(c);
	analysis_release(&an);
	free(path);
}

/* The sample photographs, in name order: the order of the queue over
 * examples/images. */
static const char *samples[] = {
	"astronaut-portrait-square.png", "bleached-wooden-deck.jpg", "deep-field-galaxies.jpg",
	"espresso-on-wooden-table.jpg", "photographer-with-tripod-monochrome.jpg",
	"rocket-on-pad-at-dusk.jpg", "tabby-cat-closeup.jpg", "wall-clock-motion-blur.jpg",
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* The first two words, lowercased, without punctuation. */
static char *opening(const char *s)
{
	struct buf b = BUF_INIT;
	int words = 0;
	for (const char *p = s; *p && words < 2; p++) {
		if (*p == ' ') {
			if (b.len)
				words++;
			if (words < 2 && b.len)
				buf_addc(&b, ' ');
		} else if (g_ascii_isalnum(*p) || *p == '-') {
			buf_addc(&b, g_ascii_tolower(*p));
		}
	}
	return buf_detach(&b);
}

static void test_sample_captions(void **state)
{
	const char *ex = getenv("PHOTOPUB_EXAMPLES");
	static const char *forbidden[] = { "cat", "rocket", "astronaut", "galax", "coffee",
					   "espresso", "clock", "photographer", "tripod", "deck",
					   "person", "man ", "woman" };
	static const struct {
		const char *platform, *style;
		size_t max;
	} limits[] = {
		{ "generic", "minimal_poetic", 2200 }, { "bluesky", "minimal_poetic", 300 },
		{ "mastodon", "minimal_poetic", 500 }, { "fetlife_email", "engagement_question", 240 },
		{ "generic", "minimal_poetic", 120 },
	};
	char *open[NSAMPLES];
	assert_non_null(ex);
	for (size_t i = 0; i < NSAMPLES; i++) {
		char *rel = fs_join("images", samples[i]), *path = fs_join(ex, rel);
		struct analysis an;
		analyze(path, &an);
		assert_non_null(strstr(an.description, "light and colour, not subjects"));
		char *c = caption(&an, "generic", "minimal_poetic", "#photography #fineart", 2200);
		printf("%s: %s\n", samples[i], c);
		open[i] = opening(c);
		char *low = g_ascii_strdown(c, -1);
		for (size_t f = 0; f < sizeof(forbidden) / sizeof(forbidden[0]); f++)
			if (strstr(low, forbidden[f]))
				fail_msg("%s claims \"%s\": %s", samples[i], forbidden[f], c);
		g_free(low);
		free(c);
		for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
			const char *tags = strcmp(limits[l].platform, "fetlife_email") ? "#a #b" : "";
			c = caption(&an, limits[l].platform, limits[l].style, tags, limits[l].max);
			assert_true((size_t)g_utf8_strlen(c, -1) <= limits[l].max);
			assert_null(strstr(c, "\u2026")); /* never cut */
			size_t n = strlen(c) - (*tags ? strlen(tags) + 1 : 0);
			assert_true(n > 10);
			if (*tags)
				assert_string_equal(c + n, " #a #b");
			assert_true(c[n - 1] == '.' || c[n - 1] == '?');
			assert_true(c[n - 2] != ' ' && c[n - 2] != ',');
			free(c);
		}
		analysis_release(&an);
		free(rel);
		free(path);
	}
	/* no two captions in a row open alike */
	for (size_t i = 1; i < NSAMPLES; i++)
		if (strcmp(open[i - 1], open[i]) == 0)
			fail_msg("%s and %s both open \"%s\"", samples[i - 1], samples[i], open[i]);
	for (size_t i = 0; i < NSAMPLES; i++)
		free(open[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_buckets),
		cmocka_unit_test(test_clock_of),
		cmocka_unit_test(test_kit_phrase),
		cmocka_unit_test(test_compose_deterministic_and_varied),
		cmocka_unit_test(test_compose_details),
		cmocka_unit_test(test_exif_reaches_caption),
		cmocka_unit_test(test_sample_captions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
