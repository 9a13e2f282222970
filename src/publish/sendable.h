/* sendable.h - the file a platform that takes JPEG or PNG files as they are
 * (email) is sent: the original when it is one, else a full-size JPEG
 * rendition of it (WebP, TIFF, HEIC). The original is never touched. */
#ifndef PHOTOPUB_PUBLISH_SENDABLE_H
#define PHOTOPUB_PUBLISH_SENDABLE_H

#include "publish/prepare.h"
#include "publish/publisher.h"

struct sendable {
	struct publish_input in;     /* a copy of the input, its image_path and
					image_name the file to send */
	char *name;                  /* <stem>.jpg of a rendition; NULL: the original */
	struct prepared_image copy;  /* the rendition; empty: the original */
};

/* Whether in's image goes as it is (a JPEG or PNG). */
bool sendable_as_is(const struct publish_input *in);

/* Fills *out from in. -1 with err filled when the rendition cannot be
 * made; release with sendable_release either way. */
int sendable_prepare(const struct publish_input *in, struct sendable *out, struct pp_error *err);
void sendable_release(struct sendable *s);

#endif
