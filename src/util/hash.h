/* hash.h - non-cryptographic hashing of strings and 64-bit values: for
 * hash tables and deterministic shuffles, never for security. */
#ifndef PHOTOPUB_UTIL_HASH_H
#define PHOTOPUB_UTIL_HASH_H

#include <stdint.h>

/* FNV-1a, 64 bits, over the bytes of s up to its NUL. */
uint64_t hash_fnv1a64(const char *s);

/* The splitmix64 finalizer: every bit of x moves about half the bits of the
 * result. */
uint64_t hash_mix64(uint64_t x);

#endif
