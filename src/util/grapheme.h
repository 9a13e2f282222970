/* grapheme.h - user-perceived characters (grapheme clusters) in UTF-8 text:
 * what a platform that limits text in graphemes (Bluesky: 300) counts.
 *
 * An approximation of Unicode UAX #29 extended grapheme clusters that
 * covers what captions hold: a base character with every combining mark
 * (Mn, Mc, Me) and variation selector after it, emoji with their skin-tone
 * modifiers and tag sequences, ZWJ emoji sequences (a ZWJ joins the next
 * pictographic character), regional-indicator pairs (one flag each), and
 * CR LF. Not handled: Hangul syllables written as separate jamo, prepended
 * concatenation marks and Indic conjuncts, which count one per code point
 * (more, never fewer, than UAX #29 says). Invalid bytes follow utf8.h's
 * rule: each maximal subpart is a cluster of its own. */
#ifndef PHOTOPUB_UTIL_GRAPHEME_H
#define PHOTOPUB_UTIL_GRAPHEME_H

#include <stddef.h>

/* Bytes taken by the grapheme cluster that starts s[0..n) (n >= 1). */
size_t grapheme_next(const char *s, size_t n);

/* Grapheme clusters in s[0..n). */
size_t grapheme_count(const char *s, size_t n);

/* Bytes taken by the first max clusters of s[0..n) (n when it holds fewer). */
size_t grapheme_offset(const char *s, size_t n, size_t max);

#endif
