/* publisher.h - a platform photopub publishes to.
 *
 * Each platform is one file that fills one `const struct publisher_ops`;
 * adding a platform is that file and one row in publisher.c. publish() runs
 * on its own thread, at the same time as the other platforms', so it must
 * touch nothing shared but what struct publish_input gives it. */
#ifndef PHOTOPUB_PUBLISH_PUBLISHER_H
#define PHOTOPUB_PUBLISH_PUBLISHER_H

#include <stdbool.h>
#include <stdio.h>
#include "config/config.h"
#include "types/models.h"
#include "image/image.h"
#include "util/error.h"

struct storage;

struct publish_input {
	const char *correlation_id;
	const char *image_path;        /* private temp copy of the original */
	const char *image_name;        /* its name in the folder */
	const char *sha256;
	const struct image_info *info;
	const struct analysis *analysis;
	const char *caption;           /* the AI's caption, before platform formatting */
	const char *sd_caption;        /* may be NULL */
	struct storage *storage;       /* the image folder (staging for Instagram) */
};

struct publisher_ops {
	const char *name;              /* "telegram", "email", "instagram", "outbox" */

	/* Whether cfg turns this platform on. */
	bool (*enabled)(const struct config *cfg);

	/* Checks the settings this platform needs; NULL when none. */
	int (*validate)(const struct config *cfg, struct pp_error *err);

	/* Publishes; fills out->post_id on success. Returns 0 / -1. */
	int (*publish)(const struct config *cfg, const struct publish_input *in,
		       struct publish_result *out, struct pp_error *err);

	/* Writes the preview lines of this platform (caption as it would be sent,
	 * and anything else the platform decides) to f. NULL: the caption only. */
	void (*preview)(const struct config *cfg, const struct publish_input *in, FILE *f);
};

/* Every known platform, NULL-terminated, in a fixed order. */
extern const struct publisher_ops *const publishers[];

extern const struct publisher_ops outbox_publisher;
extern const struct publisher_ops telegram_publisher;
extern const struct publisher_ops email_publisher;
extern const struct publisher_ops instagram_publisher;

/* The platform called name, or NULL. */
const struct publisher_ops *publisher_find(const char *name);

#endif
