/* approval.h - a caption a person approved before it is published: the
 * checks an edited caption must pass (web body, --caption-file, --edit) and
 * the text of an edit made like `git commit`'s message. */
#ifndef PHOTOPUB_CAPTION_APPROVAL_H
#define PHOTOPUB_CAPTION_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include "caption/format.h"
#include "util/error.h"

/* The longest caption any platform takes; each platform cuts it to its own. */
#define APPROVED_CAPTION_MAX CAPTION_LIMIT_DEFAULT

/* A caption override of one platform: that platform formats and sends
 * caption instead of the run's. */
struct caption_override {
	const char *platform;
	const char *caption;
};

/* Checks the caption what ("caption", "overrides.telegram.caption"), len
 * bytes (a NUL inside is refused): well-formed UTF-8, not blank, at most
 * APPROVED_CAPTION_MAX characters, no control character but line breaks
 * and tabs. 0, or -1 with err (kind invalid) naming what and the problem. */
int approval_check_caption(const char *what, const char *s, size_t len, struct pp_error *err);

/* Whether the line s (no line break) is a comment of an edit: "#" alone
 * or "#" followed by a blank. A hashtag line ("#rope #studio") is text. */
bool approval_is_comment(const char *s, size_t n);

/* The caption an editor left in text: comment lines dropped, trailing
 * whitespace of each line dropped, leading and trailing blank lines
 * dropped. "" when nothing is left. Caller frees. */
char *approval_from_edit(const char *text);

/* The caption of a --caption-file's text: its trailing whitespace (the
 * final newline) dropped. Caller frees. */
char *approval_from_file(const char *text);

#endif
