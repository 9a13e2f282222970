/* richtext.h - text for platforms that mark spans of it up (Bluesky's
 * facets): the hashtags and links of a text with their UTF-8 byte offsets,
 * and the cut to a number of graphemes at a word.
 *
 * The rules are the Bluesky app's (its RichText detection), so a post
 * photopub sends links and tags what the app would:
 *  - a hashtag is '#' (or U+FF03) at the start or after whitespace, then
 *    characters up to the next whitespace, trailing punctuation dropped; it
 *    must hold a character that is neither a digit nor punctuation, and at
 *    most 64 characters ("#1" and "C#" are none);
 *  - a link is http:// or https:// at the start, after whitespace or '(',
 *    up to the next whitespace, without trailing . , ; : ! ? and without a
 *    trailing ')' that closes nothing in it (the app keeps "x_(y))" whole;
 *    we leave the ')' of the parenthesis around the link out). Bare
 *    domains ("example.com") are not linked. */
#ifndef PHOTOPUB_CAPTION_RICHTEXT_H
#define PHOTOPUB_CAPTION_RICHTEXT_H

#include <stddef.h>

enum richtext_kind { RICHTEXT_TAG, RICHTEXT_LINK };

struct richtext_span {
	enum richtext_kind kind;
	size_t start, end;   /* byte offsets in the text: '#' included for a tag */
	char *value;         /* the tag without '#', or the link's URI */
};

/* Every tag and link of s (valid UTF-8), in order, into *out; returns the
 * count. Release with richtext_spans_free. */
size_t richtext_spans(const char *s, struct richtext_span **out);
void richtext_spans_free(struct richtext_span *v, size_t n);

/* s when it has at most max graphemes (util/grapheme.h); otherwise cut at
 * the last whitespace that leaves room for "…" (or, in a single word longer
 * than that, at a grapheme), trailing whitespace dropped, "…" appended: at
 * most max graphemes in all. A tag or link is never cut in two, unless it
 * is that single word. Caller frees. */
char *richtext_cut(const char *s, size_t max);

#endif
