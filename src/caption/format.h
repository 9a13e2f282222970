/* format.h - per-platform caption rules (REFERENCE "Caption formatting"). */
#ifndef PHOTOPUB_CAPTION_FORMAT_H
#define PHOTOPUB_CAPTION_FORMAT_H

#include <stddef.h>
#include "util/utf8.h" /* utf8_strlen: the limits count characters as it does */

#include <stdbool.h>

#define CAPTION_LIMIT_DEFAULT 2200

/* How a platform takes a caption: a field of its publisher_ops. */
struct caption_rules {
	size_t limit;            /* characters (code points, or graphemes); 0: CAPTION_LIMIT_DEFAULT */
	size_t max_hashtags;     /* keep only the first N hashtags; 0: all */
	bool one_line;           /* one line with no hashtags (an email subject) */
	bool graphemes;          /* limit counts grapheme clusters (util/grapheme.h) and
				    the cut falls at a word (caption/richtext.h): Bluesky */
};

/* 2200 characters, nothing else: the caption with no platform. */
extern const struct caption_rules caption_generic;

/* The caption as r says, made valid UTF-8 and cut to the limit at a
 * sentence or word where one fits; caller frees. */
char *caption_apply(const struct caption_rules *r, const char *caption);

/* The length of text as r's limit counts it: code points, or graphemes. */
size_t caption_length(const struct caption_rules *r, const char *text);

#endif
