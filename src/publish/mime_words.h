/* mime_words.h - values of unstructured mail headers such as Subject:
 * RFC 2047 encoded words for text that is not plain ASCII, RFC 5322 folding,
 * and refusal of line breaks so that no value can add a header. */
#ifndef PHOTOPUB_PUBLISH_MIME_WORDS_H
#define PHOTOPUB_PUBLISH_MIME_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include "util/error.h"

/* Longest encoded word RFC 2047 allows, delimiters included. */
#define MIME_WORD_MAX 75

/* True when s holds a CR or an LF byte. */
bool mime_has_line_break(const char *s);

/* The value of an unstructured header whose line starts with name_len
 * characters ("Subject: " is 9), ready to follow them:
 *  - printable ASCII that holds no "=?" stays as it is, folded (CRLF before
 *    an existing space) so lines keep within 78 characters where a space
 *    allows; unfolding gives s back exactly;
 *  - anything else becomes "=?UTF-8?B?…?=" encoded words, each at most
 *    MIME_WORD_MAX characters and each line at most 76, never splitting a
 *    UTF-8 sequence, separated by CRLF SP; decoding and joining them gives s
 *    back exactly.
 * Returns the value (caller frees), or NULL with err filled when s holds a
 * CR or an LF. */
char *mime_header_value(const char *s, size_t name_len, struct pp_error *err);

#endif
