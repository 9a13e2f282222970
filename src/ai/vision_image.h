/* vision_image.h - the image the vision call sends: a JPEG data: URL of the
 * local copy, its longer side fitted to `[openAI] vision_max_px`. */
#ifndef PHOTOPUB_AI_VISION_IMAGE_H
#define PHOTOPUB_AI_VISION_IMAGE_H

#include <stddef.h>
#include "util/error.h"

/* "data:image/jpeg;base64,…" of the image at path, EXIF orientation
 * applied, its longer side at most max_px (never upscaled), quality 85.
 * 0 with *url the caller's to free, -1 with err. */
int vision_data_url(const char *path, int max_px, char **url, struct pp_error *err);

/* The standard base64 of data[0..len) (with '=' padding); caller frees. */
char *vision_base64(const unsigned char *data, size_t len);

#endif
