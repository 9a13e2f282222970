/* test_image_cache.c - web/image_cache: copies come back byte for byte, the
 * least recently used go first when the bound of bytes is reached (keys
 * count), a key put again replaces its copy, a copy past an eighth of the
 * bound is not kept, and thousands of keys are all found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/buf.h"
#include "web/image_cache.h"

static bool has(struct image_cache *ic, const char *key)
{
	struct buf b = BUF_INIT;
	bool hit = image_cache_get(ic, key, &b);
	buf_release(&b);
	return hit;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct image_cache *ic = image_cache_new(1000);
	struct buf b = BUF_INIT;
	assert_false(image_cache_get(ic, "a.jpg\n\"x-1-w64\"", &b));
	assert_int_equal(b.len, 0);
	image_cache_put(ic, "a.jpg\n\"x-1-w64\"", "\xff\xd8\x00\xff\xd9", 5);
	buf_adds(&b, "pre");
	assert_true(image_cache_get(ic, "a.jpg\n\"x-1-w64\"", &b));
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "pre\xff\xd8\x00\xff\xd9", 8);
	assert_false(has(ic, "a.jpg\n\"x-1-w96\""));
	assert_int_equal(image_cache_count(ic), 1);
	assert_int_equal(image_cache_bytes(ic), 5 + strlen("a.jpg\n\"x-1-w64\"") + 1);
	buf_release(&b);
	image_cache_free(ic);
}

static void test_least_recently_used_go_first(void **state)
{
	(void)state;
	char data[100];
	memset(data, 'j', sizeof(data));
	/* Each entry costs 100 bytes and a 2-byte key: eight fit in 816. */
	struct image_cache *ic = image_cache_new(816);
	const char *keys[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
	for (size_t i = 0; i < 8; i++)
		image_cache_put(ic, keys[i], data, 100);
	assert_int_equal(image_cache_count(ic), 8);
	assert_int_equal(image_cache_bytes(ic), 816);
	assert_true(has(ic, "a")); /* a is now the most recently used */
	image_cache_put(ic, "i", data, 100);
	assert_false(has(ic, "b"));
	assert_true(has(ic, "a"));
	assert_true(has(ic, "i"));
	image_cache_put(ic, "j", data, 100);
	assert_false(has(ic, "c"));
	assert_int_equal(image_cache_count(ic), 8);
	assert_true(image_cache_bytes(ic) <= 816);
	image_cache_free(ic);
}

static void test_put_again_replaces(void **state)
{
	(void)state;
	struct image_cache *ic = image_cache_new(1000);
	image_cache_put(ic, "k", "old", 3);
	image_cache_put(ic, "k", "newer", 5);
	struct buf b = BUF_INIT;
	assert_true(image_cache_get(ic, "k", &b));
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "newer", 5);
	assert_int_equal(image_cache_count(ic), 1);
	assert_int_equal(image_cache_bytes(ic), 5 + 2);
	buf_release(&b);
	image_cache_free(ic);
}

static void test_too_large_is_not_kept(void **state)
{
	(void)state;
	char data[200] = { 0 };
	struct image_cache *ic = image_cache_new(1600);
	image_cache_put(ic, "big", data, 200);      /* 204 > 1600 / 8 */
	assert_false(has(ic, "big"));
	image_cache_put(ic, "fits", data, 190);     /* 195 <= 200 */
	assert_true(has(ic, "fits"));
	image_cache_free(ic);
}

static void test_many_keys(void **state)
{
	(void)state;
	struct image_cache *ic = image_cache_new(10 << 20);
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "img-%d.jpg\nw%d", i % 100, i);
		image_cache_put(ic, key, key, strlen(key));
	}
	assert_int_equal(image_cache_count(ic), 5000);
	for (int i = 0; i < 5000; i++) {
		struct buf b = BUF_INIT;
		snprintf(key, sizeof(key), "img-%d.jpg\nw%d", i % 100, i);
		assert_true(image_cache_get(ic, key, &b));
		assert_int_equal(b.len, strlen(key));
		assert_memory_equal(b.data, key, b.len);
		buf_release(&b);
	}
	image_cache_free(ic);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_least_recently_used_go_first),
		cmocka_unit_test(test_put_again_replaces),
		cmocka_unit_test(test_too_large_is_not_kept),
		cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
