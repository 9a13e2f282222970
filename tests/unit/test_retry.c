/* test_retry.c - what photopub retry relies on: finding a run in the
 * publish journal by its correlation id, a unique start of it, the id of a
 * run that sent one of its platforms again, or the newest; and choosing the
 * platforms to send again (failed, unknown, a killed retry's pending; never
 * posted; only enabled; --platform narrowing). */
#include <stdlib.h>
#include <string.h>
#include "core/retry.h"
#include "state/state.h"
#include "testutil.h"
#include "util/buf.h"

#define SHA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* A finished run cid with telegram posted and email failed. */
static int64_t add_run(struct state *st, const char *cid, const char *image)
{
	struct pp_error err = { 0 };
	struct journal_intent in = {
		.correlation_id = cid, .image = image, .sha256 = SHA, .owner = "test",
		.caption = "a caption", .n = 2,
		.platforms = {
			{ .platform = "telegram", .outcome = JOURNAL_POSTED, .post_id = "7",
			  .correlation_id = cid },
			{ .platform = "email", .outcome = JOURNAL_FAILED, .error = "535",
			  .correlation_id = cid },
		},
	};
	assert_int_equal(state_journal_begin(st, &in, &err), 0);
	assert_int_equal(state_journal_finish(st, in.id, &err), 0);
	return in.id;
}

static void find_ok(struct state *st, const char *run, bool prefix, const char *want_cid)
{
	struct journal_intent *j = NULL;
	struct pp_error err = { 0 };
	assert_int_equal(state_journal_find(st, run, prefix, &j, &err), 0);
	assert_string_equal(j->correlation_id, want_cid);
	assert_int_equal(j->n, 2);
	assert_string_equal(j->platforms[0].platform, "telegram");
	assert_int_equal(j->platforms[1].outcome, JOURNAL_FAILED);
	assert_non_null(j->finished_at);
	state_journal_release(j, 1);
}

static void find_fails(struct state *st, const char *run, bool prefix, enum pp_error_kind kind)
{
	struct journal_intent *j = (struct journal_intent *)1;
	struct pp_error err = { 0 };
	assert_int_equal(state_journal_find(st, run, prefix, &j, &err), -1);
	assert_null(j);
	assert_int_equal(err.kind, kind);
}

static void test_find(void **state)
{
	struct tu_state *f = *state;
	find_fails(f->st, NULL, false, PP_ERR_NOT_FOUND);
	add_run(f->st, "1234abcd-0000-4000-8000-000000000001", "a.jpg");
	int64_t id = add_run(f->st, "1234abce-0000-4000-8000-000000000002", "b.jpg");
	find_ok(f->st, NULL, false, "1234abce-0000-4000-8000-000000000002");
	find_ok(f->st, "1234abcd-0000-4000-8000-000000000001", false,
		"1234abcd-0000-4000-8000-000000000001");
	find_ok(f->st, "1234abcd", true, "1234abcd-0000-4000-8000-000000000001");
	/* a prefix only when allowed; one that two runs share is ambiguous */
	find_fails(f->st, "1234abcd", false, PP_ERR_NOT_FOUND);
	find_fails(f->st, "1234abc", true, PP_ERR_INVALID);
	find_fails(f->st, "ffffffff", true, PP_ERR_NOT_FOUND);
	/* a retry's id finds the run it sent again */
	struct journal_platform p = { .platform = "email", .outcome = JOURNAL_POSTED, .post_id = "m1",
				      .correlation_id = "retry-cid-9" };
	struct pp_error err = { 0 };
	assert_int_equal(state_journal_set(f->st, id, &p, &err), 0);
	struct journal_intent *j = NULL;
	assert_int_equal(state_journal_find(f->st, "retry-cid-9", false, &j, &err), 0);
	assert_string_equal(j->correlation_id, "1234abce-0000-4000-8000-000000000002");
	assert_int_equal(j->platforms[1].outcome, JOURNAL_POSTED);
	assert_null(j->archived_as);
	state_journal_release(j, 1);
	assert_int_equal(state_journal_set_archived(f->st, id, "b (1).jpg", &err), 0);
	assert_int_equal(state_journal_find(f->st, NULL, false, &j, &err), 0);
	assert_string_equal(j->archived_as, "b (1).jpg");
	state_journal_release(j, 1);
}

static struct journal_intent intent(void)
{
	return (struct journal_intent){
		.correlation_id = "run-1", .image = "a.jpg", .finished_at = "2026-12-03T10:00:00.000Z",
		.n = 3,
		.platforms = {
			{ .platform = "telegram", .outcome = JOURNAL_POSTED, .post_id = "7" },
			{ .platform = "email", .outcome = JOURNAL_FAILED },
			{ .platform = "outbox", .outcome = JOURNAL_UNKNOWN },
		},
	};
}

static void test_choose(void **state)
{
	(void)state;
	struct config cfg = { .telegram = true, .fetlife = true };
	struct journal_intent j = intent();
	bool pick[JOURNAL_MAX_PLATFORMS];
	struct pp_error err = { 0 };

	/* the outbox is off in cfg: only email */
	assert_int_equal(retry_choose(&cfg, &j, NULL, pick, &err), 0);
	assert_false(pick[0]);
	assert_true(pick[1]);
	assert_false(pick[2]);

	/* a killed retry's pending row is sent again */
	j.platforms[1].outcome = JOURNAL_PENDING;
	assert_int_equal(retry_choose(&cfg, &j, NULL, pick, &err), 0);
	assert_true(pick[1]);

	assert_int_equal(retry_choose(&cfg, &j, "email", pick, &err), 0);
	assert_true(pick[1]);
	assert_int_equal(retry_choose(&cfg, &j, "telegram", pick, &err), -1);
	assert_int_equal(err.kind, PP_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "telegram has the post of run run-1 already (post 7)"));
	pp_error_clear(&err);
	assert_int_equal(retry_choose(&cfg, &j, "instagram", pick, &err), -1);
	assert_int_equal(err.kind, PP_ERR_BAD_PLATFORM);
	pp_error_clear(&err);
	assert_int_equal(retry_choose(&cfg, &j, "outbox", pick, &err), -1);
	assert_int_equal(err.kind, PP_ERR_BAD_PLATFORM);
	assert_non_null(strstr(err.msg, "off in the configuration"));
	pp_error_clear(&err);

	/* nothing left to send, or only on platforms that are off now */
	cfg.fetlife = false;
	assert_int_equal(retry_choose(&cfg, &j, NULL, pick, &err), -1);
	assert_int_equal(err.kind, PP_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "email, outbox did not get the post"));
	pp_error_clear(&err);
	j.platforms[1].outcome = j.platforms[2].outcome = JOURNAL_POSTED;
	assert_int_equal(retry_choose(&cfg, &j, NULL, pick, &err), -1);
	assert_non_null(strstr(err.msg, "every platform has the post"));
	pp_error_clear(&err);

	/* an unfinished run is its own run's (or the next run's) to settle */
	j = intent();
	j.finished_at = NULL;
	cfg.fetlife = true;
	assert_int_equal(retry_choose(&cfg, &j, NULL, pick, &err), -1);
	assert_int_equal(err.kind, PP_ERR_CONFLICT);
	assert_false(pick[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find, tu_state_setup, tu_state_teardown),
		cmocka_unit_test(test_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
