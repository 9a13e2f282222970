/* content_hash.c - SHA-256 and Dropbox's content hash of the same bytes in one
 * pass (OpenSSL EVP). The content hash is the SHA-256 of the concatenated
 * binary SHA-256 digests of each 4 MiB block; an empty input has no block, so
 * its content hash is the SHA-256 of the empty string. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "storage/content_hash.h"
#include "util/buf.h"
#include "util/hex.h"

#define READ_CHUNK (1u << 20)

struct hasher {
	EVP_MD_CTX *whole;   /* SHA-256 of every byte */
	EVP_MD_CTX *block;   /* SHA-256 of the current 4 MiB block */
	EVP_MD_CTX *outer;   /* SHA-256 of the block digests */
	size_t block_fill;   /* bytes in the current block */
};

static EVP_MD_CTX *sha256_ctx_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		abort(); /* out of memory: like xmalloc */
	return c;
}

/* Finishes the current block into the outer digest and starts a new one. */
static void close_block(struct hasher *h)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->block, d, &n);
	EVP_DigestUpdate(h->outer, d, n);
	EVP_DigestInit_ex(h->block, EVP_sha256(), NULL);
	h->block_fill = 0;
}

/* A new hasher; freed by hasher_finish. */
struct hasher *hasher_new(void)
{
	struct hasher *h = xcalloc(1, sizeof(*h));
	h->whole = sha256_ctx_new();
	h->block = sha256_ctx_new();
	h->outer = sha256_ctx_new();
	return h;
}

void hasher_update(struct hasher *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (len)
		EVP_DigestUpdate(h->whole, p, len);
	while (len > 0) {
		size_t room = CONTENT_HASH_BLOCK - h->block_fill;
		size_t n = len < room ? len : room;
		EVP_DigestUpdate(h->block, p, n);
		h->block_fill += n;
		p += n;
		len -= n;
		if (h->block_fill == CONTENT_HASH_BLOCK)
			close_block(h);
	}
}

void hasher_finish(struct hasher *h, char sha256[65], char content_hash[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (h->block_fill > 0)
		close_block(h);
	EVP_DigestFinal_ex(h->whole, d, &n);
	hex_encode(d, n, sha256);
	EVP_DigestFinal_ex(h->outer, d, &n);
	hex_encode(d, n, content_hash);
	EVP_MD_CTX_free(h->whole);
	EVP_MD_CTX_free(h->block);
	EVP_MD_CTX_free(h->outer);
	free(h);
}

/* Reads with pread from offset 0, so the descriptor's position does not
 * matter and is left unchanged. On failure both outputs are "". */
int hash_fd(int fd, char sha256[65], char content_hash[65], struct pp_error *err)
{
	unsigned char *chunk = xmalloc(READ_CHUNK);
	struct hasher *h = hasher_new();
	off_t off = 0;
	int rc = -1;

	sha256[0] = content_hash[0] = '\0';
	for (;;) {
		ssize_t n = pread(fd, chunk, READ_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pp_fail_kind(err, "storage.hash", PP_ERR_IO, "cannot read the file to hash it: %s",
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		hasher_update(h, chunk, (size_t)n);
		off += n;
	}
	rc = 0;
out:
	{
		char s[65], c[65];
		hasher_finish(h, s, c);
		if (rc == 0) {
			memcpy(sha256, s, 65);
			memcpy(content_hash, c, 65);
		}
	}
	free(chunk);
	return rc;
}
