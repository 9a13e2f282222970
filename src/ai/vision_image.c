/* vision_image.c - the vision call's image: a JPEG copy of the local file
 * fitted to `[openAI] vision_max_px`, as a base64 data: URL. */
#include <stdlib.h>
#include <string.h>
#include "ai/vision_image.h"
#include "image/image.h"
#include "util/buf.h"

#define VISION_JPEG_QUALITY 85

char *vision_base64(const unsigned char *d, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 4 * ((len + 2) / 3);
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		*o++ = abc[(v >> 18) & 63];
		*o++ = abc[(v >> 12) & 63];
		*o++ = i + 1 < len ? abc[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int vision_data_url(const char *path, int max_px, char **url, struct pp_error *err)
{
	unsigned char *jpeg = NULL;
	size_t len = 0;
	char *b64;

	*url = NULL;
	if (image_jpeg_copy(path, max_px, 0, VISION_JPEG_QUALITY, &jpeg, &len, err) < 0)
		return -1;
	b64 = vision_base64(jpeg, len);
	*url = xasprintf("data:image/jpeg;base64,%s", b64);
	free(b64);
	free(jpeg);
	return 0;
}
