/* prepare.c - the copies of an image that are sent or served: per-platform
 * JPEGs in private temp files, and the web's phone-sized copies. */
#include <stdlib.h>
#include <unistd.h>
#include "image/image.h"
#include "publish/prepare.h"
#include "telemetry/clock.h"
#include "util/buf.h"
#include "util/fsutil.h"

/* Puts data (the JPEG copy of name, taken) in a private temp file and
 * measures it into out. */
static int keep_copy(unsigned char *data, size_t len, const char *name,
		     struct prepared_image *out, struct pp_error *err)
{
	int fd = -1, rc = -1;
	struct image_info info;
	struct pp_error why = { 0 };

	if (fs_temp_file(".jpg", &out->path, &fd, err) < 0)
		goto out;
	if (fs_write_all(fd, data, len) < 0 || close(fd) < 0) {
		fd = -1;
		pp_fail(err, "prepare", "cannot write the prepared copy of %s", name);
		goto out;
	}
	fd = -1;
	if (image_probe(out->path, &info, &why) < 0) {
		pp_fail(err, "prepare", "the prepared copy of %s does not decode: %s", name, why.msg);
		goto out;
	}
	out->width = info.width;
	out->height = info.height;
	out->bytes = len;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(data);
	if (rc < 0)
		prepared_image_release(out);
	return rc;
}

int prepare_jpeg(const char *src, const char *name, int max_width, int quality,
		 struct prepared_image *out, struct pp_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct pp_error why = { 0 };

	*out = (struct prepared_image){ 0 };
	if (image_jpeg_copy(src, 0, max_width, quality, &data, &len, &why) < 0)
		return pp_fail(err, "prepare", "cannot prepare %s (%d px wide JPEG): %s", name,
			       max_width, why.msg);
	return keep_copy(data, len, name, out, err);
}

/* The qualities tried at each size, best first: none below 80, where JPEG
 * starts to smear detail; past them the image gets smaller instead. */
static const int fit_qualities[] = { 92, 88, 84, 80 };
#define FIT_MIN_LONG 320

int prepare_jpeg_within(const char *src, const char *name, int max_long, size_t max_bytes,
			struct prepared_image *out, struct pp_error *err)
{
	struct pp_error why = { 0 };
	*out = (struct prepared_image){ 0 };
	for (int side = max_long; side >= FIT_MIN_LONG; side = side * 4 / 5) {
		for (size_t q = 0; q < sizeof(fit_qualities) / sizeof(fit_qualities[0]); q++) {
			unsigned char *data = NULL;
			size_t len = 0;
			if (image_jpeg_copy(src, side, 0, fit_qualities[q], &data, &len, &why) < 0)
				return pp_fail(err, "prepare", "cannot prepare %s (JPEG at most %d px): %s",
					       name, side, why.msg);
			if (len <= max_bytes)
				return keep_copy(data, len, name, out, err);
			free(data);
		}
	}
	return pp_fail_kind(err, "prepare", PP_ERR_UNSUPPORTED,
			    "cannot make %s fit in %zu bytes (a %d px JPEG at quality %d is larger)",
			    name, max_bytes, FIT_MIN_LONG,
			    fit_qualities[sizeof(fit_qualities) / sizeof(fit_qualities[0]) - 1]);
}

int prepare_jpeg_bytes(const struct pp_ctx *ctx, const char *src, int max_width,
		       unsigned char **data, size_t *len, struct pp_error *err)
{
	int64_t t0 = now_monotonic();
	int rc = image_jpeg_copy(src, 0, max_width, 82, data, len, err);
	pp_ctx_time(ctx, "resize", elapsed_ms_f(t0));
	return rc;
}

void prepared_image_release(struct prepared_image *p)
{
	if (p->path) {
		fs_temp_remove(p->path);
		free(p->path);
	}
	*p = (struct prepared_image){ 0 };
}
