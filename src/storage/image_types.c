/* image_types.c - the image types photopub lists and posts, one row each:
 * their extensions, MIME types, and whether browsers and the platforms take
 * them as they are or get a JPEG rendition (publish/prepare.c). The decoders
 * that may run for them are image/vips.c's image_loaders[]. */
#include <stdlib.h>
#include <strings.h>
#include "storage/storage.h"
#include "util/buf.h"
#include "util/fsutil.h"

const struct storage_image_type storage_image_types[] = {
	{ .ext = ".jpg", .mime = "image/jpeg", .as_is = true, .web = true },
	{ .ext = ".jpeg", .mime = "image/jpeg", .as_is = true, .web = true },
	{ .ext = ".png", .mime = "image/png", .as_is = true, .web = true },
	{ .ext = ".webp", .mime = "image/webp", .web = true },
	{ .ext = ".tif", .mime = "image/tiff" },
	{ .ext = ".tiff", .mime = "image/tiff" },
	{ .ext = ".heic", .mime = "image/heic" },
	{ .ext = ".heif", .mime = "image/heif" },
	{ 0 },
};

const struct storage_image_type *storage_image_type_of(const char *name)
{
	if (!name)
		return NULL;
	const char *ext = fs_ext(name);
	for (const struct storage_image_type *t = storage_image_types; t->ext; t++)
		if (!strcasecmp(ext, t->ext))
			return t;
	return NULL;
}

bool storage_is_image_name(const char *name)
{
	return storage_image_type_of(name) != NULL;
}

void storage_image_type_list(struct buf *b)
{
	for (const struct storage_image_type *t = storage_image_types; t->ext; t++)
		buf_addf(b, "%s%s", t == storage_image_types ? "" : ", ", t->ext);
}
