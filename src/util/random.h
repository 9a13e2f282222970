/* random.h - random bytes from the operating system's source. */
#ifndef PHOTOPUB_UTIL_RANDOM_H
#define PHOTOPUB_UTIL_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes from getrandom(2), retrying on EINTR and
 * short reads. Returns 0, or -1 (errno set) when the source fails. */
int random_bytes(void *buf, size_t n);

#endif
