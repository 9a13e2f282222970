/* content_hash.h - Dropbox's content hash (SHA-256 of the concatenated
 * SHA-256 digests of each 4 MiB block) together with the plain SHA-256, in one
 * pass over the bytes. */
#ifndef PHOTOPUB_STORAGE_CONTENT_HASH_H
#define PHOTOPUB_STORAGE_CONTENT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define CONTENT_HASH_BLOCK (4u * 1024 * 1024)

struct hasher;

struct hasher *hasher_new(void);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* Lowercase hex digests, 64 characters + NUL each. Frees h. */
void hasher_finish(struct hasher *h, char sha256[65], char content_hash[65]);

/* Both digests of an open file, read from its start. */
int hash_fd(int fd, char sha256[65], char content_hash[65], struct pp_error *err);

#endif
