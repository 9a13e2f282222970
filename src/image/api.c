/* api.c - the entry table of libphotopub-image.so (see api.h). */
#include "image/api.h"

__attribute__((visibility("default"))) const struct image_api photopub_image_api = {
	.version = IMAGE_API_VERSION,
	.init = image_init,
	.shutdown = image_shutdown,
	.probe = image_probe,
	.jpeg_copy = image_jpeg_copy,
	.data_url = image_data_url,
	.local_ai = &local_ai,
};
