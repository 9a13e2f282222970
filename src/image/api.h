/* api.h - the table libphotopub-image.so exports: everything that needs
 * libvips (image.h and the offline analyzer), reached by libphotopub.so
 * through image/loader.c only when first used. */
#ifndef PHOTOPUB_IMAGE_API_H
#define PHOTOPUB_IMAGE_API_H

#include "ai/ai.h"
#include "image/image.h"

#define IMAGE_API_SYMBOL "photopub_image_api"
#define IMAGE_API_VERSION 1

struct image_api {
	int version;
	int (*init)(const char *argv0, struct pp_error *err);
	void (*shutdown)(void);
	int (*probe)(const char *path, struct image_info *info, struct pp_error *err);
	int (*jpeg_copy)(const char *path, int max_long, int max_width, int quality,
			 unsigned char **data, size_t *len, struct pp_error *err);
	int (*data_url)(const char *path, char **url, struct pp_error *err);
	const struct ai_ops *local_ai;
};

#endif
