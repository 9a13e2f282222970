/* hex.h - bytes as hexadecimal digits and back (digests, keys, MACs). */
#ifndef PHOTOPUB_UTIL_HEX_H
#define PHOTOPUB_UTIL_HEX_H

#include <stddef.h>

/* Lowercase hex of in[0..n) into out (2n + 1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* 0–15 for a hex digit (either case), -1 for anything else. */
int hex_digit(char c);

/* Reads exactly 2n hex digits (either case) from in into out[0..n).
 * Returns 0, or -1 when one of them is not a hex digit (out is then
 * partly written). in need not end after them. */
int hex_decode(const char *in, unsigned char *out, size_t n);

#endif
