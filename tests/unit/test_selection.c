/* test_selection.c - choosing a run's image (core/selection.c) over a local
 * folder: an image of the queue that is gone from storage since the
 * listing (a concurrent run posted and archived it) is passed over, and a
 * queue whose images are all gone fails naming the last one missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/queue.h"
#include "core/selection.h"
#include "state/state.h"
#include "storage/storage.h"
#include "testutil.h"
#include "util/buf.h"

struct fixture {
	char *dir;       /* the image folder */
	char *scratch;   /* the state's folder */
	char *db;
	struct config cfg;
	struct state *st;
	struct storage *s;
	struct storage_list list;
	struct queue queue;
};

static const struct pp_ctx ctx = { .correlation_id = "test-selection" };
static const char *const NAMES[] = { "a.jpg", "b.jpg", "c.jpg" };
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct pp_error err = { 0 };
	f->dir = tu_mkdtemp();
	f->scratch = tu_scratch_dir();
	f->db = xasprintf("%s/state.db", f->scratch);
	f->cfg = (struct config){ .backend = "local", .storage_path = f->dir, .archive = "archive",
				  .state_path = f->db, .order = ORDER_NAME };
	for (size_t i = 0; i < NNAMES; i++) {
		char body[32];
		snprintf(body, sizeof(body), "image %zu", i);
		free(tu_write(f->dir, NAMES[i], body, strlen(body)));
	}
	f->st = tu_state_open(f->db, false);
	if (storage_open(&f->cfg, f->st, &f->s, &err) != 0)
		fail_msg("storage_open: %s", err.msg);
	if (storage_list(f->s, &ctx, &f->list, &err) != 0)
		fail_msg("storage_list: %s", err.msg);
	if (queue_build(f->st, &f->cfg, &f->list, &f->queue, &err) != 0)
		fail_msg("queue_build: %s", err.msg);
	assert_int_equal(f->queue.npostable, NNAMES);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	queue_release(&f->queue);
	storage_list_release(&f->list);
	storage_close(f->s);
	state_close(f->st);
	tu_rmrf(f->dir);
	tu_rmrf(f->scratch);
	free(f->dir);
	free(f->scratch);
	free(f->db);
	free(f);
	return 0;
}

static void gone(struct fixture *f, const char *name)
{
	char *p = xasprintf("%s/%s", f->dir, name);
	assert_int_equal(unlink(p), 0);
	free(p);
}

static void test_gone_since_listing_is_passed_over(void **state)
{
	struct fixture *f = *state;
	struct selection sel;
	struct pp_error err = { 0 };
	const char *head = f->queue.v[0].item.name;
	gone(f, head);
	tu_log_start();
	int rc = selection_choose(f->s, f->st, &ctx, &f->list, NULL, &f->queue, &sel, &err);
	char *log = tu_log_stop();
	assert_int_equal(rc, 0);
	assert_string_equal(sel.name, f->queue.v[1].item.name);
	assert_int_equal(sel.queue_position, 2);
	assert_int_equal(sel.downloads, 2);
	assert_true(sel.claimed);
	assert_null(strstr(log, "\"level\":\"error\""));
	free(log);
	selection_unclaim(f->st, &ctx, &sel);
	selection_release(&sel);
}

static void test_all_gone_names_the_missing(void **state)
{
	struct fixture *f = *state;
	struct selection sel;
	struct pp_error err = { 0 };
	for (size_t i = 0; i < NNAMES; i++)
		gone(f, NAMES[i]);
	assert_int_equal(selection_choose(f->s, f->st, &ctx, &f->list, NULL, &f->queue, &sel, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "Selected file not found: c.jpg"));
	/* --select of a file gone since the listing still says so */
	struct pp_error err2 = { 0 };
	assert_int_equal(selection_choose(f->s, f->st, &ctx, &f->list, "b.jpg", &f->queue, &sel, &err2), -1);
	assert_int_equal(err2.kind, PP_ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gone_since_listing_is_passed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_gone_names_the_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
