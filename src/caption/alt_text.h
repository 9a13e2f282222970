/* alt_text.h - the alt text of an image: one plain sentence for screen
 * readers, at most ALT_TEXT_MAX characters, describing what is shown. The
 * AI's is cleaned here; a person's is checked here. */
#ifndef PHOTOPUB_CAPTION_ALT_TEXT_H
#define PHOTOPUB_CAPTION_ALT_TEXT_H

#include <stddef.h>
#include "util/error.h"

#define ALT_TEXT_MAX 125 /* characters (code points) */

/* s made an alt text: valid UTF-8, every control character and run of
 * whitespace one space, trimmed, surrounding quotes and a leading "image
 * of" / "a photo of" … dropped (the reader already says it is an image),
 * the first letter upper case, and cut at a word to at most ALT_TEXT_MAX
 * characters. NULL when nothing is left (or s is NULL). Caller frees. */
char *alt_text_clean(const char *s);

/* Checks an alt text a person wrote (len bytes: a NUL inside is refused):
 * well-formed UTF-8, no control character (one line), at most ALT_TEXT_MAX
 * characters; "" is fine (no alt text). 0, or -1 with err (kind invalid)
 * saying what is wrong. */
int alt_text_check(const char *s, size_t len, struct pp_error *err);

#endif
