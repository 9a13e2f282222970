/* sendable.c - the original, or a JPEG rendition of an image in a format
 * a platform does not take as it is: the decoded format says which (a
 * file's name may say otherwise), its name when nothing was decoded. */
#include <stdlib.h>
#include <string.h>
#include "publish/sendable.h"
#include "storage/storage.h"
#include "util/buf.h"

/* The quality of a full-size rendition: the platform scales it itself. */
#define SENDABLE_QUALITY 92

bool sendable_as_is(const struct publish_input *in)
{
	if (in->info && in->info->format[0])
		return !strcmp(in->info->format, "jpeg") || !strcmp(in->info->format, "png");
	const struct storage_image_type *t = storage_image_type_of(in->image_name);
	return !t || t->as_is;
}

int sendable_prepare(const struct publish_input *in, struct sendable *out, struct pp_error *err)
{
	*out = (struct sendable){ .in = *in };
	if (sendable_as_is(in))
		return 0;
	if (prepare_jpeg(in->image_path, in->image_name, 0, SENDABLE_QUALITY, &out->copy, err) < 0)
		return -1;
	const char *name = in->image_name ? in->image_name : "image";
	const char *dot = strrchr(name, '.');
	int stem = dot ? (int)(dot - name) : (int)strlen(name);
	out->name = xasprintf("%.*s.jpg", stem, name);
	out->in.image_path = out->copy.path;
	out->in.image_name = out->name;
	return 0;
}

void sendable_release(struct sendable *s)
{
	prepared_image_release(&s->copy);
	free(s->name);
	*s = (struct sendable){ 0 };
}
