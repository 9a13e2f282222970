/* test_claim.c - claims (state.h): one run per image, whatever the number of
 * connections and threads; a released claim, a dead process's, and an
 * expired one of another machine are free again; a posted image cannot be
 * claimed to post again. Runs with SQLite and (tests/pg) PostgreSQL. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state/db.h"
#include "state/state.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/proc.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CH_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define LEASE 60

struct fixture {
	char *dir;
	char *db;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = tu_scratch_dir();
	f->db = xasprintf("%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static int claim(struct state *st, const char *sha, const char *run)
{
	struct pp_error err = { 0 };
	int c = state_claim(st, sha, NULL, run, true, LEASE, &err);
	if (c < 0)
		fail_msg("state_claim: %s", err.msg);
	return c;
}

/* Writes the claim row of sha as another run would have left it. */
static void plant(struct fixture *f, const char *sha, long long until, const char *owner)
{
	struct db *db = NULL;
	struct pp_error err = { 0 };
	const struct db_open_options o = { 0 };
	char *target = tu_state_target(f->db);
	assert_int_equal(db_driver_for(target)->open(target, f->db, &o, &db, &err), 0);
	char *sql = xasprintf("INSERT INTO meta(key, value) VALUES('claim:%s', '%lld other-run %s')"
			      " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			      sha, until, owner);
	if (db_exec(db, sql) < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	free(sql);
	free(target);
	db->ops->close(db);
}

static void test_one_run_per_image(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *a = tu_state_open(f->db, false);
	struct state *b = tu_state_open(f->db, false); /* another process's connection */

	assert_int_equal(claim(a, SHA_A, "run-1"), 1);
	assert_int_equal(claim(b, SHA_A, "run-2"), 0);
	assert_int_equal(claim(a, SHA_A, "run-1"), 1);  /* its own: renewed */
	assert_int_equal(claim(b, SHA_B, "run-2"), 1);  /* another image is free */
	/* a release by another run leaves the claim */
	assert_int_equal(state_claim_release(b, SHA_A, "run-2", &err), 0);
	assert_int_equal(claim(b, SHA_A, "run-3"), 0);
	assert_int_equal(state_claim_release(a, SHA_A, "run-1", &err), 0);
	assert_int_equal(claim(b, SHA_A, "run-3"), 1);

	/* posted meanwhile: not to be posted again, unless asked for by name */
	assert_int_equal(state_claim_release(b, SHA_A, "run-3", &err), 0);
	assert_int_equal(state_mark_posted(a, SHA_A, CH_C, &err), 0);
	assert_int_equal(claim(b, SHA_A, "run-4"), 0);
	assert_int_equal(state_claim(b, SHA_B, CH_C, "run-2", true, LEASE, &err), 0); /* by content */
	assert_int_equal(state_claim(b, SHA_A, NULL, "run-4", false, LEASE, &err), 1);

	assert_int_equal(state_claim(a, "nothex", NULL, "run-1", true, LEASE, &err), -1);
	assert_int_equal(state_claim(a, SHA_A, NULL, "two words", true, LEASE, &err), -1);
	state_close(a);
	state_close(b);
}

/* A claim whose process is gone on this machine is free at once; another
 * machine's holds until its lease ends. */
static void test_dead_and_expired(void **state)
{
	struct fixture *f = *state;
	char me[PROC_OWNER_MAX], host[80], boot[64];
	proc_owner(me);
	assert_int_equal(sscanf(me, "host=%79s boot=%63s", host, boot), 2);
	char *dead = xasprintf("host=%s boot=%s pid=2147483600 start=1", host, boot);
	long long later = (long long)time(NULL) + 3600, past = (long long)time(NULL) - 1;

	struct state *st = tu_state_open(f->db, false);
	plant(f, SHA_A, later, dead);
	assert_int_equal(claim(st, SHA_A, "run-1"), 1);
	plant(f, SHA_A, later, me); /* this very process: alive */
	assert_int_equal(claim(st, SHA_A, "run-1"), 0);
	plant(f, SHA_A, past, me);  /* alive holds it past its lease */
	assert_int_equal(claim(st, SHA_A, "run-1"), 0);
	plant(f, SHA_A, later, "host=elsewhere.example boot=x pid=1 start=1");
	assert_int_equal(claim(st, SHA_A, "run-1"), 0);
	plant(f, SHA_A, past, "host=elsewhere.example boot=x pid=1 start=1");
	assert_int_equal(claim(st, SHA_A, "run-1"), 1);
	state_close(st);
	free(dead);
}

/* A read-only state (a preview) claims nothing and keeps no one out. */
static void test_read_only(void **state)
{
	struct fixture *f = *state;
	struct state *w = tu_state_open(f->db, false);
	struct state *r = tu_state_open(f->db, true);
	assert_int_equal(claim(r, SHA_A, "preview"), 1);
	assert_int_equal(claim(w, SHA_A, "run-1"), 1);
	assert_int_equal(claim(r, SHA_A, "preview"), 1);
	state_close(r);
	state_close(w);
}

/* Threads, each with its own connection, race for the same images: every
 * image goes to exactly one of them. */
#define RACERS 4
#define IMAGES 24
struct racer {
	const char *db;
	int id;
	int won[IMAGES];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct state *st = tu_state_open(r->db, false);
	char run[32];
	snprintf(run, sizeof(run), "racer-%d", r->id);
	for (int i = 0; i < IMAGES; i++) {
		char sha[65];
		snprintf(sha, sizeof(sha), "%064x", i + 1);
		struct pp_error err = { 0 };
		r->won[i] = state_claim(st, sha, NULL, run, true, LEASE, &err);
	}
	state_close(st);
	return NULL;
}

static void test_racing_connections(void **state)
{
	struct fixture *f = *state;
	struct state *st = tu_state_open(f->db, false); /* the schema, before the race */
	state_close(st);
	struct racer rs[RACERS];
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++) {
		rs[i] = (struct racer){ .db = f->db, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (int k = 0; k < IMAGES; k++) {
		int owners = 0;
		for (int i = 0; i < RACERS; i++) {
			assert_true(rs[i].won[k] >= 0);
			owners += rs[i].won[k];
		}
		if (owners != 1)
			fail_msg("image %d claimed by %d runs", k, owners);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_run_per_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_and_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_connections, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
