/* names.c - the check every remote backend makes on a name before it asks
 * its service for anything (a plain name of the image folder, an image
 * type), and names made printable for messages. */
#include <stdio.h>
#include "storage/storage.h"
#include "util/buf.h"
#include "util/fsutil.h"

const char *storage_shown(const char *name, char buf[STORAGE_SHOWN_MAX])
{
	size_t i = 0;
	for (; name && name[i] && i < STORAGE_SHOWN_MAX - 1; i++)
		buf[i] = ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) ? '?' : name[i];
	buf[i] = '\0';
	return buf;
}

int storage_check_name(const char *name, bool image, const char *where, struct pp_error *err)
{
	char b[STORAGE_SHOWN_MAX];
	if (!name || !fs_name_is_safe(name))
		return pp_fail_kind(err, where, PP_ERR_INVALID,
				    "refusing file name \"%s\": only plain names inside the image "
				    "folder are allowed", name ? storage_shown(name, b) : "(null)");
	if (image && !storage_is_image_name(name)) {
		struct buf exts = BUF_INIT;
		storage_image_type_list(&exts);
		pp_fail_kind(err, where, PP_ERR_INVALID, "refusing file name \"%s\": not an image (%s)",
			     storage_shown(name, b), buf_str(&exts));
		buf_release(&exts);
		return -1;
	}
	return 0;
}
