/* api.h - the one table libphotopub-image.so exports: everything that needs
 * libvips, reached through image/image.c, which loads the module on first
 * use. Private to image/. */
#ifndef PHOTOPUB_IMAGE_API_H
#define PHOTOPUB_IMAGE_API_H

#include "image/image.h"
#include "image/measure.h"

#define IMAGE_API_SYMBOL "photopub_image_api"
#define IMAGE_API_VERSION 7

struct image_api {
	int version;
	int (*init)(const char *argv0, struct pp_error *err);
	void (*shutdown)(void);
	int (*probe)(const char *path, struct image_info *info, struct pp_error *err);
	int (*jpeg_copy)(const char *path, int max_long, int max_width, int quality,
			 unsigned char **data, size_t *len, struct pp_error *err);
	int (*data_url)(const char *path, int max_px, char **url, struct pp_error *err);
	int (*jpeg_fit)(const char *path, int box_w, int box_h, int quality, unsigned char **data,
			size_t *len, struct pp_error *err);
	int (*measure)(const char *path, struct image_measure *m, struct pp_error *err);
};

/* measure.c's entry, for the table. */
int measure_figures(const char *path, struct image_measure *m, struct pp_error *err);

#endif
