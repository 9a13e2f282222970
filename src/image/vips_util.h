/* vips_util.h - libvips helpers shared by the modules that work on pixels
 * themselves (image.c, the offline analyzer). */
#ifndef PHOTOPUB_IMAGE_VIPS_UTIL_H
#define PHOTOPUB_IMAGE_VIPS_UTIL_H

#include <vips/vips.h>

/* Lowers *img to 8-bit sRGB with three bands, alpha flattened on white.
 * Takes the caller's reference to *img and replaces it; on failure (-1,
 * libvips' error buffer set) *img is still the caller's to unref. */
int image_to_srgb8(VipsImage **img);

#endif
