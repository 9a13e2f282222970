/* image.h - what photopub does with pixels, all through libvips in its own
 * module (image.c loads it on first use): decode checks, downscaled JPEG
 * copies, and the measurements the offline analyzer uses. Images are always
 * read with shrink-on-load where the format allows. */
#ifndef PHOTOPUB_IMAGE_IMAGE_H
#define PHOTOPUB_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

/* Asks for libvips (started once per process on first use; GLib messages
 * go to the logger). argv0 NULL keeps one given before. */
int image_init(const char *argv0, struct pp_error *err);
void image_shutdown(void);

struct image_info {
	int width;               /* as displayed: EXIF orientation applied */
	int height;
	int orientation;         /* EXIF orientation tag, 1 when none */
	int bands;
	char format[16];         /* "jpeg", "png", … */
};

/* Decodes the whole image (a small shrink-on-load decode, failing on a
 * truncated or corrupt file) and fills info. The error names the file. */
int image_probe(const char *path, struct image_info *info, struct pp_error *err);

/* A JPEG of the image, EXIF orientation applied, downscaled so that its long
 * side is at most max_long and its width at most max_width (0: no limit),
 * never upscaled. *data is the caller's to free() (not g_free). */
int image_jpeg_copy(const char *path, int max_long, int max_width, int quality,
		    unsigned char **data, size_t *len, struct pp_error *err);

/* A JPEG of the image, EXIF orientation applied, downscaled to fit inside a
 * box of box_w x box_h pixels (its aspect ratio kept, never upscaled): the
 * thumbnails of the web's grid. *data is the caller's to free(). */
int image_jpeg_fit(const char *path, int box_w, int box_h, int quality, unsigned char **data,
		   size_t *len, struct pp_error *err);

/* Every decode (probe, copies, data URLs, the measures) first reads the
 * header and refuses, before a pixel is decoded, an image of more than 250
 * megapixels, or a progressive JPEG or interlaced PNG whose whole-image
 * buffer would pass 160 MB (image/vips_util.h): kind "undecodable", the
 * message naming the file and its size. */

/* "data:image/jpeg;base64,…" of image_jpeg_copy(path, max_px, 0, 85); caller frees. */
int image_data_url(const char *path, int max_px, char **url, struct pp_error *err);

struct image_measure;

/* The offline analyzer's figures of the image at path (measure.h); the
 * categories are left for the caller. The error names the file. */
int image_measure(const char *path, struct image_measure *m, struct pp_error *err);

#endif
