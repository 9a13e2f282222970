/* utf8.h - UTF-8 text: decoding, encoding, counting and cutting, all under
 * one rule for bytes that are not UTF-8.
 *
 * The rule (Unicode §3.9 "U+FFFD substitution of maximal subparts", the one
 * the WHATWG Encoding Standard uses): each maximal subpart of an ill-formed
 * sequence is one character, U+FFFD. A maximal subpart is the longest run of
 * bytes that starts a well-formed sequence but does not complete it ("E2 82"
 * before a space or the end), or else a single byte that starts none: a
 * continuation byte on its own (80–BF), C0, C1 and F5–FF, and the lead byte
 * of an overlong form (E0 80 80), a surrogate (ED A0 80) or a value above
 * U+10FFFF (F4 90 80 80), whose next bytes then count one each.
 *
 * Counting and cutting use the rule and leave the bytes as they are, so
 * utf8_len(s) == utf8_len(utf8_make_valid(s)) and no cut falls inside a
 * character or inside a maximal subpart; utf8_make_valid replaces them.
 * Lengths are bytes (size_t) unless a name says characters. */
#ifndef PHOTOPUB_UTIL_UTF8_H
#define PHOTOPUB_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX 0x10ffffu            /* the largest code point */
#define UTF8_BAD 0xffffffffu          /* utf8_decode's *cp for a maximal subpart */
#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, what a maximal subpart becomes */
#define UTF8_ELLIPSIS "\xe2\x80\xa6"    /* U+2026 "…", which marks a cut */

/* Decodes the character that starts s[0..n) (n >= 1): returns its length in
 * bytes (1–4) with its code point in *cp, or the length of the maximal
 * subpart there (1–3) with *cp = UTF8_BAD. NUL is a character like any. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* True when s[0..n) (n >= 1) is the start of a well-formed sequence that
 * ends too soon: what a cut made in the middle of a character leaves. */
bool utf8_truncated(const char *s, size_t n);

/* Writes cp as UTF-8 into out and returns its length (1–4); a surrogate or a
 * value above UTF8_MAX is written as U+FFFD. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* s[0..n) with each maximal subpart replaced by U+FFFD, NUL-terminated.
 * Caller frees. */
char *utf8_make_valid(const char *s, size_t n);

/* True when s[0..n) is well-formed UTF-8 holding no control character (C0,
 * DEL, C1): text that can be a name in JSON, a URL or a header as it is. */
bool utf8_is_text(const char *s, size_t n);

/* Characters in s[0..n); utf8_strlen: in the string s, 0 for NULL. */
size_t utf8_len(const char *s, size_t n);
size_t utf8_strlen(const char *s);

/* Bytes taken by the first `chars` characters of s[0..n) (n when it holds
 * fewer): the length of s cut to at most `chars` characters. */
size_t utf8_offset(const char *s, size_t n, size_t chars);

/* The length of the longest prefix of s[0..n) of at most max bytes that ends
 * on a character boundary (n when n <= max). */
size_t utf8_cut_bytes(const char *s, size_t n, size_t max);

/* s when it has at most max characters; otherwise its first max-1
 * characters followed by UTF8_ELLIPSIS, max characters in all ("" for max
 * 0). NULL s is "". Caller frees. */
char *utf8_cut_ellipsis(const char *s, size_t max);

#endif
