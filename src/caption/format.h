/* format.h - per-platform caption rules (REFERENCE "Caption formatting"). */
#ifndef PHOTOPUB_CAPTION_FORMAT_H
#define PHOTOPUB_CAPTION_FORMAT_H

#include <stddef.h>
#include "util/utf8.h" /* utf8_strlen: the limits count characters as it does */

/* Character limit of a platform: instagram 2200, telegram 1024 (a photo
 * caption), email 240, anything else 2200. */
size_t caption_limit(const char *platform);

/* The caption as platform takes it; caller frees. Platforms: "instagram",
 * "telegram", "email", "outbox", "generic". */
char *caption_format(const char *platform, const char *caption);

#endif
