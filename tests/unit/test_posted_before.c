/* test_posted_before.c - whether an image was posted before: new, posted
 * (its latest post and every platform that has it, once each), posted by
 * hash alone, and the rows that are no post (failures, curation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/posted_before.h"
#include "testutil.h"
#include "util/buf.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void add(struct state *st, const char *sha, const char *platform, bool ok,
		const char *action)
{
	struct history_row r = { .image = "a.jpg", .sha256 = sha, .platform = platform,
				 .post_id = ok ? "1" : NULL, .success = ok,
				 .error = ok ? NULL : "HTTP 500", .correlation_id = "cid",
				 .action = action };
	struct pp_error err = { 0 };
	assert_int_equal(state_add_history(st, &r, 1, &err), 0);
}

/* What posted_before_write says of sha. */
static char *said(struct state *st, const char *sha, struct posted_before *pb)
{
	struct pp_error err = { 0 };
	assert_int_equal(posted_before_find(st, sha, NULL, pb, &err), 0);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	posted_before_write(pb, f);
	fclose(f);
	return text;
}

static void new_image(void **state)
{
	struct tu_state *f = *state;
	struct posted_before pb;
	add(f->st, SHA_A, "telegram", false, NULL);  /* tried, failed: still new */
	add(f->st, SHA_A, "storage", true, "keep");  /* curated: no post */
	char *s = said(f->st, SHA_A, &pb);
	assert_false(pb.posted);
	assert_string_equal(s, "new (never posted)");
	free(s);
}

static void posted_on_each_platform_once(void **state)
{
	struct tu_state *f = *state;
	struct posted_before pb;
	add(f->st, SHA_A, "telegram", true, NULL);
	add(f->st, SHA_A, "outbox", true, NULL);
	add(f->st, SHA_A, "telegram", true, NULL);
	add(f->st, SHA_B, "email", true, NULL);      /* another image */
	char *s = said(f->st, SHA_A, &pb);
	assert_true(pb.posted);
	assert_string_equal(pb.platforms, "telegram, outbox");
	/* "YYYY-MM-DD HH:MM UTC" */
	assert_int_equal(strlen(pb.when), 20);
	assert_memory_equal(pb.when + 16, " UTC", 4);
	char *want = xasprintf("posted before, %s (telegram, outbox)", pb.when);
	assert_string_equal(s, want);
	free(want);
	free(s);
}

static void posted_by_hash_alone(void **state)
{
	struct tu_state *f = *state;
	struct posted_before pb;
	struct pp_error err = { 0 };
	assert_int_equal(state_mark_posted(f->st, SHA_B, NULL, &err), 0);
	char *s = said(f->st, SHA_B, &pb);
	assert_true(pb.posted);
	assert_string_equal(pb.when, "");
	assert_string_equal(s, "posted before (its hash is recorded as posted; the history has "
			       "no post of it)");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(new_image, tu_state_setup, tu_state_teardown),
		cmocka_unit_test_setup_teardown(posted_on_each_platform_once, tu_state_setup, tu_state_teardown),
		cmocka_unit_test_setup_teardown(posted_by_hash_alone, tu_state_setup, tu_state_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
