/* vips_util.h - libvips helpers shared by the modules that work on pixels
 * themselves (image.c, the offline analyzer). */
#ifndef PHOTOPUB_IMAGE_VIPS_UTIL_H
#define PHOTOPUB_IMAGE_VIPS_UTIL_H

#include <vips/vips.h>
#include "util/error.h"

/* The most pixels photopub decodes: 250 megapixels, more than any camera
 * makes. A larger image (a decompression bomb: a 30000×30000 PNG is under
 * a megabyte) is refused from its header, before a pixel is decoded. */
#define IMAGE_MAX_PIXELS (250LL * 1000 * 1000)

/* A progressive JPEG or an interlaced PNG cannot be decoded as a stream:
 * libjpeg keeps every DCT coefficient (2 bytes a sample, after chroma
 * subsampling), libpng the whole image. Such an image is refused when that
 * buffer would pass this: 160 MB takes a 26-megapixel progressive JPEG at
 * full chroma, 53 at 4:2:0, and keeps the peak resident size under 256 MB. */
#define IMAGE_MAX_BUFFERED_BYTES (160LL * 1024 * 1024)

/* 0 when head (a header: no pixels read) is within IMAGE_MAX_PIXELS and,
 * when it cannot stream, IMAGE_MAX_BUFFERED_BYTES; else -1 with err (kind
 * "undecodable") naming name. */
int image_check_pixels(const VipsImage *head, const char *name, struct pp_error *err);

/* After a decode of head's image: -1 (err, kind "undecodable") when its
 * scan ended before the rows its header declares. Clear libvips' error
 * buffer before the decode. */
int image_check_complete(const VipsImage *head, const char *name, struct pp_error *err);

/* Lowers *img to 8-bit sRGB with three bands, alpha flattened on white.
 * Takes the caller's reference to *img and replaces it; on failure (-1,
 * libvips' error buffer set) *img is still the caller's to unref. */
int image_to_srgb8(VipsImage **img);

#endif
