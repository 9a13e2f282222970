/* vips.c - libphotopub-image.so: everything photopub does with pixels,
 * through the libvips C API: start-up, decode checks, downscaled JPEG copies
 * and (measure.c) the offline analyzer's figures. It exports one symbol, the
 * table image/image.c loads it by; photopub's own functions it calls
 * (errors, buffers, the GLib log route) are the binary's. Every read goes through vips_thumbnail,
 * whose shrink-on-load and streaming keep a 12-megapixel JPEG (36 MB of
 * pixels) to about 15 MB of buffers: the full-size image is never decoded. */
#include <dlfcn.h>
#include <glib.h>
#include <gmodule.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "image/api.h"
#include "image/vips_util.h"
#include "util/buf.h"

#define WHERE "image"
#define PROBE_SIZE 256
#define NO_LIMIT 10000000 /* VIPS_MAX_COORD: "no limit" for a thumbnail box */

/* The decoders photopub lets run: the types storage lists (its
 * storage_image_types[]). WebP and TIFF are built into libvips; HEIC is
 * read by libheif through the heif module, when it is installed. */
static const char *const image_loaders[] = {
	"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
	"VipsForeignLoadTiff", "VipsForeignLoadHeif",
};

/* Loads libvips' module vips-<name>.so from the folder of modules next to
 * the libvips in use (Debian: /usr/lib/<arch>/vips-modules-8.14). Without
 * it (not installed), its formats do not decode: a clear error each time. */
static void load_module(const char *name)
{
	Dl_info where;
	if (!g_module_supported() || !dladdr((void *)vips_image_new_from_file, &where) ||
	    !where.dli_fname)
		return;
	char *dir = g_path_get_dirname(where.dli_fname);
	char *path = g_strdup_printf("%s/vips-modules-%d.%d/vips-%s.so", dir, VIPS_MAJOR_VERSION,
				     VIPS_MINOR_VERSION, name);
	GModule *m = g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (m)
		g_module_make_resident(m); /* its types stay registered */
	g_free(path);
	g_free(dir);
}

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_state; /* 0 not started, 1 running, 2 shut down */

static int vips_start(const char *argv0, struct pp_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&init_lock);
	if (init_state == 1)
		goto out;
	if (init_state == 2) {
		rc = pp_fail(err, WHERE, "libvips was already shut down in this process");
		goto out;
	}
	/* libvips' worker threads would each get their own glibc malloc arena,
	 * and the fragmentation across them about doubles the peak resident
	 * size of a thumbnail. Two arenas suit two workers; MALLOC_ARENA_MAX in
	 * the environment still wins. Set before libvips starts any thread. */
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);
	/* libvips loads its optional format modules (ImageMagick, poppler,
	 * OpenSlide, HEIF, JPEG XL) from $VIPSHOME/lib at start-up. photopub
	 * needs only HEIF's (loaded below): pointing VIPSHOME where there are no
	 * modules keeps the others out of reach of a hostile file and saves
	 * ~10 MB of resident libraries in the long-running server. */
	bool own_home = !getenv("VIPSHOME"); /* a VIPSHOME of the user's wins */
	if (own_home)
		setenv("VIPSHOME", "/nonexistent/photopub-no-vips-modules", 1);
#ifdef __SANITIZE_ADDRESS__
	/* orc's generated SIMD code is not instrumented, so AddressSanitizer
	 * cannot see its memory accesses, and runs that resized images with it
	 * have ended with LeakSanitizer's record of thread-local storage
	 * unreadable ("Tracer caught signal 11"). The sanitized build uses
	 * libvips' plain C paths instead. */
	setenv("VIPS_NOVECTOR", "1", 0);
#endif
	if (VIPS_INIT(argv0 && *argv0 ? argv0 : "photopub") != 0) {
		char *msg = vips_error_buffer_copy();
		rc = pp_fail(err, WHERE, "cannot start libvips: %s", msg ? msg : "unknown error");
		g_free(msg);
		goto out;
	}
	/* No operation cache: a cached load is keyed on the file name, and temp
	 * files and re-uploaded images reuse names with new bytes. Each load is a
	 * cheap shrink-on-load decode, so the cache would save little anyway. */
	vips_cache_set_max(0);
	/* HEIC's decoder is a libvips module: the one module photopub loads
	 * (with the user's VIPSHOME, libvips loaded that folder's own). */
	if (own_home)
		load_module("heif");
	/* Only the decoders of image_loaders[] may run, whatever a file's bytes
	 * claim to be (libvips sniffs content, not names: an SVG or PDF renamed
	 * .jpg would otherwise reach librsvg or poppler). */
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (size_t i = 0; i < sizeof(image_loaders) / sizeof(image_loaders[0]); i++)
		vips_operation_block_set(image_loaders[i], FALSE);
	vips_cache_set_max_mem(16 * 1024 * 1024);
	vips_cache_set_max_files(8);
	/* One worker: the JPEG decode is sequential, so on two cores a second
	 * worker measured no faster on a 12-megapixel photo and held ~6 MB more
	 * of pipeline buffers; the other core stays free for the publishers
	 * and the web server. VIPS_CONCURRENCY in the environment still wins. */
	if (!getenv("VIPS_CONCURRENCY"))
		vips_concurrency_set(1);
	init_state = 1;
out:
	pthread_mutex_unlock(&init_lock);
	return rc;
}

static void vips_stop(void)
{
	pthread_mutex_lock(&init_lock);
	if (init_state == 1) {
		vips_shutdown();
		init_state = 2;
	}
	pthread_mutex_unlock(&init_lock);
}

/* Hands the pipeline's freed buffers back to the system, so one image's
 * peak does not stay resident for the rest of the run. */
static void release_memory(void)
{
#ifndef __SANITIZE_ADDRESS__
	/* AddressSanitizer allocates on its own: glibc's heap, which this
	 * walks, may never have been set up, and walking it then crashes. */
	malloc_trim(0);
#endif
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Fills err with "<file> <what>: <libvips error text>" and clears the libvips
 * error buffer. Returns -1. */
static int vips_fail(struct pp_error *err, const char *path, const char *what)
{
	char *msg = vips_error_buffer_copy(); /* copies and clears */
	if (msg) {
		g_strstrip(msg);
		for (char *p = msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE, "%s %s: %s", base_name(path), what,
		     msg && *msg ? msg : "libvips gave no reason");
	g_free(msg);
	return -1;
}

int image_to_srgb8(VipsImage **img)
{
	VipsImage *t = NULL;

	if ((*img)->Type != VIPS_INTERPRETATION_sRGB || (*img)->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_colourspace(*img, &t, VIPS_INTERPRETATION_sRGB, NULL))
			return -1;
		g_object_unref(*img);
		*img = t;
	}
	if ((*img)->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast_uchar(*img, &t, NULL))
			return -1;
		g_object_unref(*img);
		*img = t;
	}
	if (vips_image_hasalpha(*img)) {
		VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		int rc = vips_flatten(*img, &t, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rc)
			return -1;
		g_object_unref(*img);
		*img = t;
	}
	if ((*img)->Bands > 3) {
		if (vips_extract_band(*img, &t, 0, "n", 3, NULL))
			return -1;
		g_object_unref(*img);
		*img = t;
	}
	return 0;
}

/* Whether path is a HEIC or HEIF (by its name, as every copy keeps it)
 * and no HEIF decoder is loaded. */
static bool heif_missing(const char *path)
{
	const char *dot = strrchr(base_name(path), '.');
	if (!dot || (g_ascii_strcasecmp(dot, ".heic") && g_ascii_strcasecmp(dot, ".heif")))
		return false;
	return g_type_from_name("VipsForeignLoadHeif") == 0;
}

static int vips_probe(const char *path, struct image_info *info, struct pp_error *err)
{
	VipsImage *head = NULL, *thumb = NULL;
	const char *loader = NULL;
	double avg;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	/* The header (lazy: no pixels are read) gives the stored size, the
	 * orientation tag and the loader. */
	head = vips_image_new_from_file(path, NULL);
	if (!head) {
		if (heif_missing(path)) {
			vips_error_clear();
			pp_fail_kind(err, WHERE, PP_ERR_UNSUPPORTED, "%s cannot be read here: HEIC "
				     "needs libvips' heif module (vips-heif.so, with libheif), "
				     "which is not installed", base_name(path));
		} else {
			vips_fail(err, path, "is not a decodable image");
		}
		goto out;
	}
	if (image_check_pixels(head, base_name(path), err) < 0)
		goto out;
	/* A real decode, small thanks to shrink-on-load; libjpeg's and libpng's
	 * warnings about truncated data become errors. */
	vips_error_clear();
	if (vips_thumbnail(path, &thumb, PROBE_SIZE, "height", PROBE_SIZE, "size", VIPS_SIZE_DOWN,
			   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL) ||
	    vips_avg(thumb, &avg, NULL)) {
		vips_fail(err, path, "is not a decodable image");
		goto out;
	}
	if (image_check_complete(head, base_name(path), err) < 0)
		goto out;
	info->orientation = vips_image_get_orientation(head);
	if (info->orientation < 1 || info->orientation > 8)
		info->orientation = 1;
	info->width = head->Xsize;
	info->height = head->Ysize;
	if (info->orientation >= 5) {
		info->width = head->Ysize;
		info->height = head->Xsize;
	}
	info->bands = head->Bands;
	if (vips_image_get_typeof(head, VIPS_META_LOADER) &&
	    vips_image_get_string(head, VIPS_META_LOADER, &loader) == 0 && loader) {
		size_t n = strcspn(loader, "_");
		const char *suffix = g_strstr_len(loader, (gssize)n, "load");
		if (suffix)
			n = (size_t)(suffix - loader);
		if (n >= sizeof(info->format))
			n = sizeof(info->format) - 1;
		memcpy(info->format, loader, n);
		info->format[n] = '\0';
	} else {
		snprintf(info->format, sizeof(info->format), "unknown");
	}
	vips_error_clear();
	rc = 0;
out:
	if (thumb)
		g_object_unref(thumb);
	if (head)
		g_object_unref(head);
	release_memory();
	return rc;
}

/* Bytes a pixel takes in the decoder's whole-image buffer (see
 * IMAGE_MAX_BUFFERED_BYTES), in hundredths; 0 for an image that streams.
 * *what: "progressive" or "interlaced". */
static long long buffered_per_pixel(VipsImage *head, const char **what)
{
	*what = "interlaced";
	int interlaced = 0;
	const char *loader = NULL, *sub = NULL;
	if (!vips_image_get_typeof(head, "interlaced") ||
	    vips_image_get_int(head, "interlaced", &interlaced) || !interlaced)
		return 0;
	if (vips_image_get_typeof(head, VIPS_META_LOADER))
		vips_image_get_string(head, VIPS_META_LOADER, &loader);
	if (loader && g_str_has_prefix(loader, "jpegload")) {
		*what = "progressive";
		long long samples = 100LL * head->Bands; /* per pixel, in hundredths */
		if (vips_image_get_typeof(head, "jpeg-chroma-subsample") &&
		    !vips_image_get_string(head, "jpeg-chroma-subsample", &sub) && sub) {
			if (!strcmp(sub, "4:2:0"))
				samples = 150;
			else if (!strcmp(sub, "4:2:2"))
				samples = 200;
		}
		return samples * 2; /* a JCOEF is 2 bytes */
	}
	return 100LL * head->Bands * (long long)vips_format_sizeof(head->BandFmt);
}

/* libjpeg reports a scan that ends before the rows its header declares
 * ("premature end of data segment") as a warning and fills the rest with
 * grey; libvips counts that as truncation only for a file that ends early,
 * and leaves the warning in its error buffer. The header lies about the
 * image: refuse it. (The buffer is the process's: a decode on another
 * thread at the same moment may see the warning too, and fail once.) */
int image_check_complete(const VipsImage *head, const char *name, struct pp_error *err)
{
	if (!strstr(vips_error_buffer(), "premature end"))
		return 0;
	vips_error_clear();
	return pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE,
			    "%s holds less image data than its header declares (%dx%d)", name,
			    head->Xsize, head->Ysize);
}

int image_check_pixels(const VipsImage *head, const char *name, struct pp_error *err)
{
	long long pixels = (long long)head->Xsize * head->Ysize;
	if (pixels > IMAGE_MAX_PIXELS)
		return pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE,
				    "%s is %dx%d (%lld megapixels), more than the %lld photopub decodes",
				    name, head->Xsize, head->Ysize, pixels / 1000000,
				    IMAGE_MAX_PIXELS / 1000000);
	const char *what = NULL;
	long long bytes = pixels * buffered_per_pixel((VipsImage *)head, &what) / 100;
	if (bytes > IMAGE_MAX_BUFFERED_BYTES)
		return pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE,
				    "%s is %dx%d and %s: decoding it would hold %lld MB at once, more "
				    "than the %lld photopub allows (save it as a baseline JPEG or a "
				    "non-interlaced PNG)", name, head->Xsize, head->Ysize, what,
				    bytes >> 20, IMAGE_MAX_BUFFERED_BYTES >> 20);
	return 0;
}

/* The one resize: a JPEG of path fitting inside box_w x box_h. */
static int vips_jpeg_fit(const char *path, int box_w, int box_h, int quality,
			 unsigned char **data, size_t *len, struct pp_error *err)
{
	VipsImage *head = NULL, *img = NULL;
	void *buf = NULL;
	size_t n = 0;
	int rc = -1;

	*data = NULL;
	*len = 0;
	if (box_w <= 0 || box_w > NO_LIMIT)
		box_w = NO_LIMIT;
	if (box_h <= 0 || box_h > NO_LIMIT)
		box_h = NO_LIMIT;
	if (quality < 1 || quality > 100)
		quality = 85;
	head = vips_image_new_from_file(path, NULL);
	if (!head) {
		vips_fail(err, path, "cannot be resized");
		goto out;
	}
	if (image_check_pixels(head, base_name(path), err) < 0)
		goto out;
	vips_error_clear();
	/* The box applies to the upright image: thumbnail autorotates first. */
	if (vips_thumbnail(path, &img, box_w, "height", box_h, "size", VIPS_SIZE_DOWN,
			   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)) {
		vips_fail(err, path, "cannot be resized");
		goto out;
	}
	if (image_to_srgb8(&img)) {
		vips_fail(err, path, "cannot be converted to sRGB");
		goto out;
	}
	if (vips_jpegsave_buffer(img, &buf, &n, "Q", quality, "strip", TRUE,
				 NULL)) {
		vips_fail(err, path, "cannot be encoded as JPEG");
		goto out;
	}
	if (image_check_complete(head, base_name(path), err) < 0)
		goto out;
	*data = xmalloc(n ? n : 1);
	memcpy(*data, buf, n);
	*len = n;
	rc = 0;
out:
	g_free(buf);
	if (img)
		g_object_unref(img);
	if (head)
		g_object_unref(head);
	release_memory();
	return rc;
}

static int vips_jpeg_copy(const char *path, int max_long, int max_width, int quality,
			  unsigned char **data, size_t *len, struct pp_error *err)
{
	int box_w = max_long > 0 ? max_long : NO_LIMIT;
	int box_h = max_long > 0 ? max_long : NO_LIMIT;
	if (max_width > 0 && max_width < box_w)
		box_w = max_width;
	return vips_jpeg_fit(path, box_w, box_h, quality, data, len, err);
}

static int vips_data_url(const char *path, int max_px, char **url, struct pp_error *err)
{
	unsigned char *jpeg = NULL;
	size_t len = 0;
	gchar *b64;

	*url = NULL;
	if (vips_jpeg_copy(path, max_px, 0, 85, &jpeg, &len, err))
		return -1;
	b64 = g_base64_encode(jpeg, len);
	*url = xasprintf("data:image/jpeg;base64,%s", b64);
	g_free(b64);
	free(jpeg);
	return 0;
}

__attribute__((visibility("default"))) const struct image_api photopub_image_api = {
	.version = IMAGE_API_VERSION,
	.init = vips_start,
	.shutdown = vips_stop,
	.probe = vips_probe,
	.jpeg_copy = vips_jpeg_copy,
	.data_url = vips_data_url,
	.jpeg_fit = vips_jpeg_fit,
	.measure = measure_figures,
};
