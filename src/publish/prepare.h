/* prepare.h - the copy of an image a platform takes: JPEG, EXIF orientation
 * applied, downscaled to the platform's width, in a private temp file. The
 * original is never touched. */
#ifndef PHOTOPUB_PUBLISH_PREPARE_H
#define PHOTOPUB_PUBLISH_PREPARE_H

#include <stddef.h>
#include "image/image.h"
#include "types/ctx.h"
#include "util/error.h"

struct prepared_image {
	char *path;        /* 0600 temp file; removed by prepared_image_release */
	int width, height; /* of the copy */
	size_t bytes;
};

/* Makes the copy of src at most max_width pixels wide (never upscaled).
 * On failure nothing is left behind and err says which image failed. */
int prepare_jpeg(const char *src, const char *name, int max_width, int quality,
		 struct prepared_image *out, struct pp_error *err);

/* The sharpest copy of src that takes at most max_bytes: its long side at
 * most max_long pixels (never upscaled), JPEG quality stepping down from
 * 92 to 80, then the size by a fifth at a time (down to 320 px) until it
 * fits. Never blurred or smoothed to save bytes. Fails (kind unsupported)
 * when even the smallest copy is too large. */
int prepare_jpeg_within(const char *src, const char *name, int max_long, size_t max_bytes,
			struct prepared_image *out, struct pp_error *err);

/* A JPEG of src in memory at most max_width pixels wide, quality 82: the
 * phone-sized copy the web serves (within the image module's decode
 * limits, like every decode). Its time goes to ctx's sink as "resize".
 * *data is the caller's to free(). */
int prepare_jpeg_bytes(const struct pp_ctx *ctx, const char *src, int max_width,
		       unsigned char **data, size_t *len, struct pp_error *err);

/* Removes the temp file and frees; safe on a zeroed struct. */
void prepared_image_release(struct prepared_image *p);

#endif
