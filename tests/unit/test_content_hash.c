/* test_content_hash.c - SHA-256 and Dropbox content hash of files around the
 * 4 MiB block boundary, against values computed independently by Python's
 * hashlib (and by sha256sum), plus fixed published vectors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "storage/content_hash.h"
#include "testutil.h"
#include "util/buf.h"

#define MIB (1024u * 1024u)

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = tu_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(tmpdir);
	free(tmpdir);
	return 0;
}

/* Deterministic bytes that differ in every block. */
static unsigned char *make_data(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

/* Runs cmd and returns its first output line without the newline. */
static char *run_line(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char line[512] = "";
	char *got = fgets(line, sizeof(line), f);
	int status = pclose(f);
	assert_non_null(got);
	assert_int_equal(status, 0);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

/* "<sha256> <content_hash>" of path, computed by Python's hashlib. */
static void python_hashes(const char *path, char sha[65], char ch[65])
{
	char *cmd = xasprintf(
		"/usr/bin/python3 -c 'import hashlib,sys\n"
		"d=open(sys.argv[1],\"rb\").read()\n"
		"B=4*1024*1024\n"
		"c=b\"\".join(hashlib.sha256(d[i:i+B]).digest() for i in range(0,len(d),B))\n"
		"print(hashlib.sha256(d).hexdigest(), hashlib.sha256(c).hexdigest())' '%s'",
		path);
	char *line = run_line(cmd);
	assert_int_equal(strlen(line), 129);
	memcpy(sha, line, 64);
	sha[64] = '\0';
	memcpy(ch, line + 65, 64);
	ch[64] = '\0';
	free(line);
	free(cmd);
}

static char *sha256sum_of(const char *path)
{
	char *cmd = xasprintf("sha256sum '%s'", path);
	char *line = run_line(cmd);
	line[64] = '\0';
	free(cmd);
	return line;
}

static void check_size(size_t n)
{
	unsigned char *data = make_data(n);
	char name[64];
	snprintf(name, sizeof(name), "f-%zu.bin", n);
	char *path = tu_write(tmpdir, name, data, n);

	char want_sha[65], want_ch[65];
	python_hashes(path, want_sha, want_ch);
	char *sum = sha256sum_of(path);
	assert_string_equal(sum, want_sha);

	/* hash_fd, from a descriptor whose position is not at the start */
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(lseek(fd, 0, SEEK_END) >= 0);
	char sha[65], ch[65];
	struct pp_error err = { 0 };
	assert_int_equal(hash_fd(fd, sha, ch, &err), 0);
	close(fd);
	assert_string_equal(sha, want_sha);
	assert_string_equal(ch, want_ch);

	/* the streaming hasher, fed in uneven pieces that straddle blocks */
	struct hasher *h = hasher_new();
	size_t off = 0, step = 1;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		hasher_update(h, data + off, k);
		off += k;
		step = step * 7 + 3;
		if (step > 3 * MIB)
			step = 1;
	}
	hasher_finish(h, sha, ch);
	assert_string_equal(sha, want_sha);
	assert_string_equal(ch, want_ch);

	free(sum);
	free(path);
	free(data);
}

static void test_empty(void **state)
{
	(void)state;
	check_size(0);
	/* No block at all: the content hash is SHA-256 of nothing. */
	char sha[65], ch[65];
	hasher_finish(hasher_new(), sha, ch);
	assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(ch, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc_vector(void **state)
{
	(void)state;
	struct hasher *h = hasher_new();
	hasher_update(h, "abc", 3);
	char sha[65], ch[65];
	hasher_finish(h, sha, ch);
	/* FIPS 180-2 test vector */
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* one block: SHA-256 of the 32-byte digest above */
	char *path = tu_write(tmpdir, "abc.bin", "abc", 3);
	char want_sha[65], want_ch[65];
	python_hashes(path, want_sha, want_ch);
	assert_string_equal(ch, want_ch);
	assert_string_not_equal(ch, sha);
	free(path);
}

static void test_small(void **state)
{
	(void)state;
	check_size(1);
	check_size(1000);
	check_size(CONTENT_HASH_BLOCK - 1);
}

static void test_exact_block(void **state)
{
	(void)state;
	check_size(CONTENT_HASH_BLOCK);
}

static void test_block_plus_one(void **state)
{
	(void)state;
	check_size(CONTENT_HASH_BLOCK + 1);
}

static void test_multi_block(void **state)
{
	(void)state;
	check_size(3 * CONTENT_HASH_BLOCK + 12345);
	check_size(2 * CONTENT_HASH_BLOCK);
}

static void test_hash_fd_error(void **state)
{
	(void)state;
	char sha[65] = "x", ch[65] = "x";
	struct pp_error err = { 0 };
	int fd = open(tmpdir, O_RDONLY | O_DIRECTORY); /* read(2) on a folder fails */
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, sha, ch, &err), -1);
	close(fd);
	assert_string_equal(sha, "");
	assert_string_equal(ch, "");
	assert_non_null(strstr(err.msg, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc_vector),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_exact_block),
		cmocka_unit_test(test_block_plus_one),
		cmocka_unit_test(test_multi_block),
		cmocka_unit_test(test_hash_fd_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
