/* test_image.c - image_probe, image_jpeg_copy and image_data_url on images
 * the tests draw with libvips: sizes, EXIF orientation, broken files, limits. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <zlib.h>
#include "image/image.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static char *dir;

/* A w×h three-band picture with a diagonal ramp, so JPEG has something to code. */
static VipsImage *ramp(int w, int h)
{
	VipsImage *xyz = NULL, *sum = NULL, *scaled = NULL, *u8 = NULL, *rgb = NULL;
	assert_int_equal(vips_xyz(&xyz, w, h, NULL), 0);
	assert_int_equal(vips_bandmean(xyz, &sum, NULL), 0);
	assert_int_equal(vips_linear1(sum, &scaled, 255.0 / ((w + h) / 2.0), 0.0, NULL), 0);
	assert_int_equal(vips_cast_uchar(scaled, &u8, NULL), 0);
	VipsImage *three[3] = { u8, u8, u8 };
	assert_int_equal(vips_bandjoin(three, &rgb, 3, NULL), 0);
	rgb->Type = VIPS_INTERPRETATION_sRGB;
	g_object_unref(xyz);
	g_object_unref(sum);
	g_object_unref(scaled);
	g_object_unref(u8);
	return rgb;
}

/* Saves img as dir/name; returns the path (caller frees). */
static char *save(VipsImage *img, const char *name)
{
	char *path = fs_join(dir, name);
	assert_int_equal(vips_image_write_to_file(img, path, NULL), 0);
	return path;
}

/* Saves img as dir/name with libvips' save options ("[interlace]"). */
static char *save_with(VipsImage *img, const char *name, const char *options)
{
	char *path = fs_join(dir, name);
	char *target = xasprintf("%s%s", path, options);
	assert_int_equal(vips_image_write_to_file(img, target, NULL), 0);
	free(target);
	return path;
}

static char *make_jpeg(const char *name, int w, int h, int orientation)
{
	VipsImage *img = ramp(w, h), *copy = NULL;
	assert_int_equal(vips_copy(img, &copy, NULL), 0);
	if (orientation)
		vips_image_set_int(copy, VIPS_META_ORIENTATION, orientation);
	char *path = save(copy, name);
	g_object_unref(copy);
	g_object_unref(img);
	return path;
}

static void decoded_size(const unsigned char *data, size_t len, int *w, int *h)
{
	VipsImage *img = vips_image_new_from_buffer(data, len, "", NULL);
	assert_non_null(img);
	double avg;
	assert_int_equal(vips_avg(img, &avg, NULL), 0); /* the pixels decode too */
	const char *loader = NULL;
	assert_int_equal(vips_image_get_string(img, VIPS_META_LOADER, &loader), 0);
	assert_string_equal(loader, "jpegload_buffer");
	*w = img->Xsize;
	*h = img->Ysize;
	g_object_unref(img);
}

static int setup(void **state)
{
	struct pp_error err = { 0 };
	assert_int_equal(image_init("test_image", &err), 0);
	assert_int_equal(image_init("test_image", &err), 0); /* idempotent */
	dir = tu_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(dir);
	free(dir);
	image_shutdown();
	return 0;
}

static void test_probe_jpeg(void **state)
{
	char *path = make_jpeg("plain.jpg", 300, 200, 0);
	struct image_info info;
	struct pp_error err = { 0 };

	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.width, 300);
	assert_int_equal(info.height, 200);
	assert_int_equal(info.orientation, 1);
	assert_int_equal(info.bands, 3);
	assert_string_equal(info.format, "jpeg");
	free(path);
}

static void test_probe_png_with_alpha(void **state)
{
	VipsImage *rgb = ramp(120, 80), *rgba = NULL;
	assert_int_equal(vips_bandjoin_const1(rgb, &rgba, 255.0, NULL), 0);
	char *path = save(rgba, "alpha.png");
	struct image_info info;
	struct pp_error err = { 0 };

	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.width, 120);
	assert_int_equal(info.height, 80);
	assert_int_equal(info.bands, 4);
	assert_string_equal(info.format, "png");
	assert_int_equal(info.orientation, 1);

	/* the JPEG copy drops the alpha band */
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(image_jpeg_copy(path, 0, 0, 90, &data, &len, &err), 0);
	VipsImage *out = vips_image_new_from_buffer(data, len, "", NULL);
	assert_non_null(out);
	assert_int_equal(out->Bands, 3);
	assert_int_equal(out->Xsize, 120);
	g_object_unref(out);
	free(data);
	free(path);
	g_object_unref(rgba);
	g_object_unref(rgb);
}

static void test_probe_exif_orientation(void **state)
{
	char *path = make_jpeg("rotated.jpg", 300, 200, 6);
	struct image_info info;
	struct pp_error err = { 0 };

	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.orientation, 6);
	assert_int_equal(info.width, 200); /* as displayed: turned a quarter */
	assert_int_equal(info.height, 300);

	/* the copy is upright and the box applies to the upright image */
	unsigned char *data = NULL;
	size_t len = 0;
	int w, h;
	assert_int_equal(image_jpeg_copy(path, 150, 0, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 100);
	assert_int_equal(h, 150);
	free(data);

	/* orientation 3 keeps the size */
	free(path);
	path = make_jpeg("upside_down.jpg", 300, 200, 3);
	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.orientation, 3);
	assert_int_equal(info.width, 300);
	assert_int_equal(info.height, 200);
	free(path);
}

static void test_probe_truncated_jpeg(void **state)
{
	char *good = make_jpeg("whole.jpg", 640, 480, 0);
	size_t len = 0;
	char *bytes = tu_read(good, &len);
	assert_non_null(bytes);
	assert_true(len > 2000);
	char *path = tu_write(dir, "cut.jpg", bytes, len / 2);
	struct image_info info;
	struct pp_error err = { 0 };

	assert_int_equal(image_probe(path, &info, &err), -1);
	assert_non_null(strstr(err.msg, "cut.jpg"));
	assert_non_null(strstr(err.msg, "is not a decodable image"));
	/* the libvips error buffer was cleared */
	assert_string_equal(vips_error_buffer(), "");

	/* the whole file still probes */
	assert_int_equal(image_probe(good, &info, &err), 0);
	free(path);
	free(bytes);
	free(good);
}

static void test_probe_text_file(void **state)
{
	static const char text[] = "this is not a photograph\n";
	char *path = tu_write(dir, "notes.jpg", text, sizeof(text) - 1);
	struct image_info info;
	struct pp_error err = { 0 };

	assert_int_equal(image_probe(path, &info, &err), -1);
	assert_non_null(strstr(err.msg, "notes.jpg is not a decodable image"));

	unsigned char *data = (unsigned char *)"x";
	size_t len = 7;
	pp_error_clear(&err);
	assert_int_equal(image_jpeg_copy(path, 100, 0, 85, &data, &len, &err), -1);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "notes.jpg"));

	char *missing = fs_join(dir, "absent.png");
	assert_int_equal(image_probe(missing, &info, &err), -1);
	assert_non_null(strstr(err.msg, "absent.png"));
	free(missing);
	free(path);
}

static void test_rewritten_file_is_read_afresh(void **state)
{
	/* temp files and re-uploads reuse names: nothing may be served from a
	 * cache keyed on the name */
	char *path = make_jpeg("same.jpg", 300, 200, 0);
	struct image_info info;
	struct pp_error err = { 0 };
	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.width, 300);
	free(path);
	path = make_jpeg("same.jpg", 120, 90, 0);
	assert_int_equal(image_probe(path, &info, &err), 0);
	assert_int_equal(info.width, 120);
	assert_int_equal(info.height, 90);

	unsigned char *data = NULL;
	size_t len = 0;
	int w, h;
	assert_int_equal(image_jpeg_copy(path, 0, 0, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 120);
	free(data);
	free(path);
}

static void test_jpeg_copy_limits(void **state)
{
	char *path = make_jpeg("big.jpg", 3000, 2000, 0);
	struct pp_error err = { 0 };
	unsigned char *data = NULL;
	size_t len = 0;
	int w, h;

	/* long side */
	assert_int_equal(image_jpeg_copy(path, 1000, 0, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 1000);
	assert_true(h >= 666 && h <= 667);
	free(data);

	/* width tighter than the long side */
	assert_int_equal(image_jpeg_copy(path, 1000, 500, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 500);
	assert_true(h >= 333 && h <= 334);
	free(data);

	/* long side tighter than the width */
	assert_int_equal(image_jpeg_copy(path, 600, 1280, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 600);
	free(data);
	free(path);

	/* never upscaled */
	path = make_jpeg("small.jpg", 300, 200, 0);
	assert_int_equal(image_jpeg_copy(path, 1568, 1280, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 300);
	assert_int_equal(h, 200);
	free(data);

	/* a portrait image limited by width only */
	free(path);
	path = make_jpeg("tall.jpg", 800, 1600, 0);
	assert_int_equal(image_jpeg_copy(path, 0, 400, 85, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 400);
	assert_int_equal(h, 800);
	free(data);
	free(path);
}

/* image_jpeg_fit: inside the box whichever side binds, aspect kept, never up. */
static void test_jpeg_fit_box(void **state)
{
	struct pp_error err = { 0 };
	unsigned char *data = NULL;
	size_t len = 0;
	int w, h;
	char *wide = make_jpeg("wide.jpg", 3000, 1000, 0);
	char *tall = make_jpeg("tall-fit.jpg", 1000, 3000, 0);
	char *small = make_jpeg("small-fit.jpg", 200, 100, 0);

	/* a wide image in a wide box: the width binds */
	assert_int_equal(image_jpeg_fit(wide, 480, 320, 80, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 480);
	assert_int_equal(h, 160);
	free(data);
	/* a tall image in a wide box: the height binds (no transpose) */
	assert_int_equal(image_jpeg_fit(tall, 480, 320, 80, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_true(w >= 106 && w <= 107);
	assert_int_equal(h, 320);
	free(data);
	/* a square box */
	assert_int_equal(image_jpeg_fit(tall, 256, 256, 80, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_true(w >= 85 && w <= 86);
	assert_int_equal(h, 256);
	free(data);
	/* never upscaled */
	assert_int_equal(image_jpeg_fit(small, 1024, 768, 80, &data, &len, &err), 0);
	decoded_size(data, len, &w, &h);
	assert_int_equal(w, 200);
	assert_int_equal(h, 100);
	free(data);
	/* a broken file names itself */
	char *bad = tu_write(dir, "bad-fit.jpg", "\xff\xd8 nope", 7);
	assert_int_equal(image_jpeg_fit(bad, 256, 256, 80, &data, &len, &err), -1);
	assert_null(data);
	assert_int_equal(err.kind, PP_ERR_UNDECODABLE);
	assert_non_null(strstr(err.msg, "bad-fit.jpg"));
	free(bad);
	free(wide);
	free(tall);
	free(small);
}

/* A PNG holding only a header: w x h, colour type ct, 8 bits, interlace il. */
static char *header_png(const char *name, uint32_t w, uint32_t h, int ct, int il)
{
	unsigned char ihdr[13] = { w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h,
				   8, (unsigned char)ct, 0, 0, (unsigned char)il };
	unsigned char chunk[4 + 4 + 13 + 4] = { 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	memcpy(chunk + 8, ihdr, 13);
	uLong crc = crc32(0, chunk + 4, 17);
	chunk[21] = crc >> 24; chunk[22] = crc >> 16; chunk[23] = crc >> 8; chunk[24] = crc;
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
	/* a first IDAT (a few rows of zeros), so that the header reads */
	unsigned char rows[256] = { 0 }, z[64];
	uLongf zlen = sizeof(z);
	assert_int_equal(compress(z, &zlen, rows, sizeof(rows)), Z_OK);
	unsigned char idat[12 + 64];
	idat[0] = 0; idat[1] = 0; idat[2] = zlen >> 8; idat[3] = zlen;
	memcpy(idat + 4, "IDAT", 4);
	memcpy(idat + 8, z, zlen);
	uLong icrc = crc32(0, idat + 4, 4 + zlen);
	idat[8 + zlen] = icrc >> 24; idat[9 + zlen] = icrc >> 16; idat[10 + zlen] = icrc >> 8;
	idat[11 + zlen] = icrc;
	size_t ilen = 12 + zlen;
	unsigned char file[8 + sizeof(chunk) + sizeof(idat) + sizeof(iend)];
	size_t n = 0;
	memcpy(file, sig, 8);
	n += 8;
	memcpy(file + n, chunk, sizeof(chunk));
	n += sizeof(chunk);
	memcpy(file + n, idat, ilen);
	n += ilen;
	memcpy(file + n, iend, sizeof(iend));
	n += sizeof(iend);
	return tu_write(dir, name, file, n);
}

/* The decode limits, from the header alone: past 250 megapixels, or an
 * interlaced image whose whole-image buffer passes 160 MB, every entry
 * refuses at once, kind "undecodable", naming the file and its size. */
static void test_decode_limits(void **state)
{
	struct {
		const char *name;
		uint32_t w, h;
		int ct, il;
		const char *says;
	} refused[] = {
		{ "huge.png", 16000, 16000, 0, 0, "(256 megapixels), more than the 250" },
		{ "adam7.png", 8000, 8000, 2, 1, "and interlaced: decoding it would hold 183 MB" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *path = header_png(refused[i].name, refused[i].w, refused[i].h, refused[i].ct,
					refused[i].il);
		struct pp_error err = { 0 };
		struct image_info info;
		unsigned char *data = NULL;
		size_t len = 0;
		char *url = NULL;
		assert_int_equal(image_probe(path, &info, &err), -1);
		assert_int_equal(err.kind, PP_ERR_UNDECODABLE);
		if (!strstr(err.msg, refused[i].says))
			fail_msg("%s: %s", refused[i].name, err.msg);
		assert_non_null(strstr(err.msg, refused[i].name));
		pp_error_clear(&err);
		assert_int_equal(image_jpeg_copy(path, 0, 100, 82, &data, &len, &err), -1);
		assert_null(data);
		assert_non_null(strstr(err.msg, refused[i].says));
		pp_error_clear(&err);
		assert_int_equal(image_data_url(path, 1024, &url, &err), -1);
		assert_null(url);
		free(path);
	}
	/* Interlaced within the budget, and progressive JPEGs, decode as usual. */
	VipsImage *img = ramp(400, 300);
	char *prog = save_with(img, "prog.jpg", "[interlace]");
	char *adam7 = save_with(img, "small-adam7.png", "[interlace]");
	g_object_unref(img);
	const char *ok[] = { prog, adam7 };
	for (size_t i = 0; i < 2; i++) {
		struct pp_error err = { 0 };
		unsigned char *data = NULL;
		size_t len = 0;
		int w, h;
		assert_int_equal(image_jpeg_copy(ok[i], 0, 100, 82, &data, &len, &err), 0);
		decoded_size(data, len, &w, &h);
		assert_int_equal(w, 100);
		free(data);
	}
	free(prog);
	free(adam7);
}

static void test_jpeg_copy_strips_metadata(void **state)
{
	VipsImage *img = ramp(200, 100), *copy = NULL;
	assert_int_equal(vips_copy(img, &copy, NULL), 0);
	vips_image_set_string(copy, "exif-ifd0-Model", "StripMe 9000");
	char *path = save(copy, "exif.jpg");
	struct pp_error err = { 0 };
	unsigned char *data = NULL;
	size_t len = 0;

	assert_int_equal(image_jpeg_copy(path, 0, 0, 85, &data, &len, &err), 0);
	VipsImage *out = vips_image_new_from_buffer(data, len, "", NULL);
	assert_non_null(out);
	assert_false(vips_image_get_typeof(out, VIPS_META_EXIF_NAME));
	assert_null(memmem(data, len, "StripMe", 7));
	g_object_unref(out);
	free(data);
	free(path);
	g_object_unref(copy);
	g_object_unref(img);
}

static void test_data_url(void **state)
{
	char *path = make_jpeg("wide.jpg", 2000, 1000, 0);
	struct pp_error err = { 0 };
	char *url = NULL;
	static const char prefix[] = "data:image/jpeg;base64,";

	assert_int_equal(image_data_url(path, 1024, &url, &err), 0);
	assert_non_null(url);
	assert_memory_equal(url, prefix, sizeof(prefix) - 1);
	gsize len = 0;
	guchar *jpeg = g_base64_decode(url + sizeof(prefix) - 1, &len);
	assert_true(len > 100);
	assert_int_equal(jpeg[0], 0xff);
	assert_int_equal(jpeg[1], 0xd8);
	assert_int_equal(jpeg[2], 0xff);
	int w, h;
	decoded_size(jpeg, len, &w, &h);
	assert_int_equal(w, 1024);
	assert_int_equal(h, 512);
	g_free(jpeg);
	free(url);

	url = (char *)"untouched";
	free(path);
	path = tu_write(dir, "empty.jpg", "", 0);
	assert_int_equal(image_data_url(path, 1024, &url, &err), -1);
	assert_null(url);
	assert_non_null(strstr(err.msg, "empty.jpg"));
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_jpeg),
		cmocka_unit_test(test_probe_png_with_alpha),
		cmocka_unit_test(test_probe_exif_orientation),
		cmocka_unit_test(test_probe_truncated_jpeg),
		cmocka_unit_test(test_probe_text_file),
		cmocka_unit_test(test_rewritten_file_is_read_afresh),
		cmocka_unit_test(test_jpeg_copy_limits),
		cmocka_unit_test(test_jpeg_fit_box),
		cmocka_unit_test(test_decode_limits),
		cmocka_unit_test(test_jpeg_copy_strips_metadata),
		cmocka_unit_test(test_data_url),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
