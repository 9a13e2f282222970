/* test_queue.c - the posting queue: the deck in the state (state/queue.c:
 * store and load, pin, skip, hold, release, remove, read-only and older
 * files) and the queue built from it and a listing (core/queue.c: each
 * [Content] order, arrivals, removals, posted and quarantined images left
 * out, the held last, building without writing, a deck that never repeats
 * an image until every one was posted) and the web's walk over it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/queue.h"
#include "core/workflow.h"
#include "state/queue.h"
#include "state/state.h"
#include "testutil.h"
#include "util/buf.h"
#include "web/queue.h"

struct fixture {
	char *dir;
	char *db;
	struct config cfg;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = tu_scratch_dir();
	f->db = xasprintf("%s/state.db", f->dir);
	f->cfg = (struct config){ .state_path = f->db, .order = ORDER_RANDOM };
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

/* A listing of names (NULL-terminated); item i has mtime mtimes[i] when
 * given, else i, and the SHA-256 "<i as hex, 64 digits>". */
static void make_list(struct storage_list *l, const char *const *names, const int64_t *mtimes)
{
	size_t n = 0;
	while (names[n])
		n++;
	l->items = xcalloc(n ? n : 1, sizeof(*l->items));
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		struct storage_item *it = &l->items[i];
		it->name = xstrdup(names[i]);
		it->size = 100 + (int64_t)i;
		it->mtime_ns = mtimes ? mtimes[i] : (int64_t)i;
		/* a digest per name: FNV over it, written out as 64 hex digits */
		uint64_t h = 1469598103934665603ULL;
		for (const char *p = names[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		snprintf(it->sha256, sizeof(it->sha256), "%016llx%016llx%016llx%016llx",
			 (unsigned long long)h, (unsigned long long)h, (unsigned long long)h,
			 (unsigned long long)h);
	}
}

static void build_ok(struct state *st, const struct config *cfg, const struct storage_list *l,
		     struct queue *q)
{
	struct pp_error err = { 0 };
	if (queue_build(st, cfg, l, q, &err) != 0)
		fail_msg("queue_build: %s", err.msg);
}

static void store_ok(struct state *st, const struct queue *q)
{
	struct pp_error err = { 0 };
	struct pp_ctx ctx = { .correlation_id = "test" };
	if (queue_store(st, q, &ctx, &err) != 0)
		fail_msg("queue_store: %s", err.msg);
}

/* q's names in order, joined by ','. Caller frees. */
static char *names_of(const struct queue *q)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < q->n; i++)
		buf_addf(&b, "%s%s", i ? "," : "", q->v[i].item.name);
	return buf_detach(&b);
}

static void assert_order(struct state *st, const struct config *cfg, const struct storage_list *l,
			 const char *want)
{
	struct queue q;
	build_ok(st, cfg, l, &q);
	char *got = names_of(&q);
	assert_string_equal(got, want);
	free(got);
	queue_release(&q);
}

/* ---- state/queue.c ----------------------------------------------------------- */

static void test_state_store_and_ops(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct queue_deck d;
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 0);
	assert_false(d.has_seed);
	assert_string_equal(d.order, "");
	state_queue_deck_release(&d);

	struct queue_row rows[] = {
		{ .name = "a.jpg" }, { .name = "b.jpg", .mark = QUEUE_HELD },
		{ .name = "c.jpg", .added_at = "2026-01-01T00:00:00.000Z" },
	};
	assert_int_equal(state_queue_store(st, rows, 3, "name", true, &err), 0);
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.rows[0].name, "a.jpg");
	assert_string_equal(d.rows[1].name, "b.jpg");
	assert_int_equal(d.rows[1].mark, QUEUE_HELD);
	assert_string_equal(d.rows[2].added_at, "2026-01-01T00:00:00.000Z");
	assert_int_equal(strlen(d.rows[0].added_at), 24); /* now */
	assert_true(d.has_seed);
	assert_string_equal(d.order, "name");
	uint64_t seed = d.seed;
	state_queue_deck_release(&d);

	/* no new seed asked: the seed stays */
	assert_int_equal(state_queue_store(st, rows, 3, "name", false, &err), 0);
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_true(d.seed == seed);
	state_queue_deck_release(&d);

	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_PIN, &err), 0);
	assert_int_equal(state_queue_apply(st, "a.jpg", QUEUE_OP_SKIP, &err), 0);
	assert_int_equal(state_queue_apply(st, "b.jpg", QUEUE_OP_RELEASE, &err), 0);
	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_RELEASE, &err), 0); /* not held: stays pinned */
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_string_equal(d.rows[0].name, "c.jpg");
	assert_int_equal(d.rows[0].mark, QUEUE_PINNED);
	assert_string_equal(d.rows[1].name, "b.jpg");
	assert_int_equal(d.rows[1].mark, QUEUE_QUEUED);
	assert_string_equal(d.rows[2].name, "a.jpg");
	state_queue_deck_release(&d);

	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_HOLD, &err), 0);
	assert_int_equal(state_queue_apply(st, "zz.jpg", QUEUE_OP_PIN, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "zz.jpg"));
	assert_int_equal(state_queue_remove(st, "b.jpg", &err), 0);
	assert_int_equal(state_queue_remove(st, "b.jpg", &err), 0); /* gone already: fine */
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.rows[0].name, "c.jpg");
	assert_int_equal(d.rows[0].mark, QUEUE_HELD);
	state_queue_deck_release(&d);
	state_close(st);

	/* read-only: loads, refuses every change */
	st = tu_state_open(f->db, true);
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 2);
	state_queue_deck_release(&d);
	assert_false(state_queue_writable(st));
	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_PIN, &err), -1);
	assert_int_equal(state_queue_store(st, rows, 1, "name", false, &err), -1);
	assert_int_equal(state_queue_remove(st, "c.jpg", &err), -1);
	state_close(st);
	assert_string_equal(queue_mark_name(QUEUE_HELD), "held");
}

/* A read-only file of the schema before the queue has an empty deck. */
static void test_state_older_schema(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	if (tu_state_pg())
		skip(); /* the files of older versions are SQLite files */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
				      "INSERT INTO meta VALUES('posted_json_imported', '1');"
				      "PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct state *st = tu_state_open(f->db, true);
	struct queue_deck d;
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 0);
	state_close(st);
}

/* The posted and quarantined hashes read at once answer as the lookups do;
 * past max_rows there is no snapshot. */
static void test_state_known(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	const char *c = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
	const char *d = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
	const char *e = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
	assert_int_equal(state_mark_posted(st, a, c, &err), 0);
	struct quarantine_entry q = { .sha256 = b, .content_hash = d, .image = "q.jpg", .reason = "x" };
	assert_int_equal(state_quarantine_add(st, &q, &err), 0);
	struct state_known *k = NULL;
	assert_int_equal(state_known_load(st, 100, &k, &err), 0);
	assert_non_null(k);
	const char *probes[][2] = { { a, NULL }, { NULL, c }, { b, "" }, { e, d }, { e, e },
				    { c, a }, { "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL },
				    { "short", NULL } };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const char *sha = probes[i][0], *ch = probes[i][1];
		bool asked = state_is_posted_sha256(st, sha) || state_is_posted_content_hash(st, ch) ||
			     state_is_quarantined(st, sha, ch);
		assert_int_equal(state_known_has(k, sha, ch), asked);
	}
	state_known_free(k);
	assert_int_equal(state_known_load(st, 3, &k, &err), 0); /* 4 rows */
	assert_null(k);
	state_close(st);
}

/* ---- core/queue.c -------------------------------------------------------------- */

static const char *const ABC[] = { "c.jpg", "a.jpg", "d.png", "b.jpg", NULL };

static void test_orders(void **state)
{
	struct fixture *f = *state;
	struct state *st = tu_state_open(f->db, true);
	struct storage_list l = { 0 };
	const int64_t mt[] = { 30, 10, 20, 40 };
	make_list(&l, ABC, mt);

	f->cfg.order = ORDER_NAME;
	assert_order(st, &f->cfg, &l, "a.jpg,b.jpg,c.jpg,d.png");
	f->cfg.order = ORDER_OLDEST;
	assert_order(st, &f->cfg, &l, "a.jpg,d.png,c.jpg,b.jpg");
	f->cfg.order = ORDER_NEWEST;
	assert_order(st, &f->cfg, &l, "b.jpg,c.jpg,d.png,a.jpg");

	/* random: every image once, the same order every time it is built */
	f->cfg.order = ORDER_RANDOM;
	struct queue q1, q2;
	build_ok(st, &f->cfg, &l, &q1);
	build_ok(st, &f->cfg, &l, &q2);
	assert_int_equal(q1.n, 4);
	assert_int_equal(q1.npostable, 4);
	assert_true(q1.changed);
	assert_int_equal(q1.added, 4);
	char *a = names_of(&q1), *b = names_of(&q2);
	assert_string_equal(a, b);
	for (size_t i = 0; ABC[i]; i++)
		assert_true(queue_find(&q1, ABC[i]) >= 0);
	assert_string_equal(queue_status(&q1, 0), "next");
	assert_string_equal(queue_status(&q1, 1), "queued");
	free(a);
	free(b);
	queue_release(&q1);
	queue_release(&q2);

	/* the shuffle depends on the seed: another state path, another order
	 * for some listing of many images */
	const char *many[41];
	char names[40][16];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "img-%02d.jpg", i);
		many[i] = names[i];
	}
	many[40] = NULL;
	struct storage_list big = { 0 };
	make_list(&big, many, NULL);
	build_ok(st, &f->cfg, &big, &q1);
	struct config other = f->cfg;
	other.state_path = "/elsewhere/state.db";
	build_ok(st, &other, &big, &q2);
	a = names_of(&q1);
	b = names_of(&q2);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	queue_release(&q1);
	queue_release(&q2);
	storage_list_release(&big);
	storage_list_release(&l);
	state_close(st);
}

/* Building writes nothing; storing keeps the order built, and the next
 * build from the stored deck is the same with nothing to change. */
static void test_build_store_same_order(void **state)
{
	struct fixture *f = *state;
	struct state *st = tu_state_open(f->db, false);
	struct storage_list l = { 0 };
	make_list(&l, ABC, NULL);
	struct queue q;
	build_ok(st, &f->cfg, &l, &q);
	char *before = names_of(&q);
	struct queue_deck d;
	struct pp_error err = { 0 };
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 0); /* built, not stored */
	state_queue_deck_release(&d);
	store_ok(st, &q);
	queue_release(&q);

	build_ok(st, &f->cfg, &l, &q);
	assert_false(q.changed);
	char *after = names_of(&q);
	assert_string_equal(before, after);
	for (size_t i = 0; i < q.n; i++)
		assert_non_null(q.v[i].added_at);
	queue_release(&q);
	free(before);
	free(after);
	storage_list_release(&l);
	state_close(st);
}

/* New images join at the back (random) or at their sorted place (name);
 * images gone from the listing, posted or quarantined leave. */
static void test_arrivals_and_removals(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct storage_list l = { 0 };
	const char *const first[] = { "b.jpg", "d.jpg", NULL };
	make_list(&l, first, NULL);
	f->cfg.order = ORDER_NAME;
	struct queue q;
	build_ok(st, &f->cfg, &l, &q);
	store_ok(st, &q);
	queue_release(&q);
	storage_list_release(&l);

	const char *const more[] = { "d.jpg", "a.jpg", "c.jpg", "b.jpg", "e.jpg", NULL };
	make_list(&l, more, NULL);
	build_ok(st, &f->cfg, &l, &q);
	assert_int_equal(q.added, 3);
	assert_int_equal(q.removed, 0);
	char *got = names_of(&q);
	assert_string_equal(got, "a.jpg,b.jpg,c.jpg,d.jpg,e.jpg");
	free(got);
	store_ok(st, &q);
	queue_release(&q);

	/* d posted (by its hash), c quarantined, e no longer listed; more
	 * posted rows than the listing is worth reading at once, so each image
	 * is looked up */
	for (int i = 0; i < 200; i++) {
		char hex[65];
		snprintf(hex, sizeof(hex), "%064x", i + 1);
		assert_int_equal(state_mark_posted(st, hex, NULL, &err), 0);
	}
	const struct storage_item *d = &l.items[0], *c = &l.items[2];
	assert_int_equal(state_mark_posted(st, d->sha256, NULL, &err), 0);
	struct quarantine_entry qe = { .sha256 = c->sha256, .image = "c.jpg", .reason = "broken" };
	assert_int_equal(state_quarantine_add(st, &qe, &err), 0);
	free(l.items[4].name);
	l.n = 4;
	build_ok(st, &f->cfg, &l, &q);
	assert_int_equal(q.removed, 3);
	got = names_of(&q);
	assert_string_equal(got, "a.jpg,b.jpg");
	free(got);
	assert_string_equal(queue_absent_reason(st, &l, "d.jpg"), "it was posted already");
	assert_string_equal(queue_absent_reason(st, &l, "c.jpg"), "it is quarantined");
	assert_string_equal(queue_absent_reason(st, &l, "e.jpg"), "no such image in the folder");
	store_ok(st, &q);
	queue_release(&q);
	storage_list_release(&l);

	/* random: the deck keeps its order, newcomers go behind it */
	f->cfg.order = ORDER_RANDOM;
	const char *const r1[] = { "a.jpg", "b.jpg", "x.jpg", "y.jpg", NULL };
	make_list(&l, r1, NULL);
	build_ok(st, &f->cfg, &l, &q); /* the order changed: the deck is shuffled */
	assert_true(q.changed);
	store_ok(st, &q);
	char *deck = names_of(&q);
	queue_release(&q);
	storage_list_release(&l);
	const char *const r2[] = { "n1.jpg", "a.jpg", "b.jpg", "x.jpg", "y.jpg", "n2.jpg", NULL };
	make_list(&l, r2, NULL);
	build_ok(st, &f->cfg, &l, &q);
	got = names_of(&q);
	assert_int_equal(strncmp(got, deck, strlen(deck)), 0);
	assert_true(queue_find(&q, "n1.jpg") >= 4 && queue_find(&q, "n2.jpg") >= 4);
	free(got);
	free(deck);
	queue_release(&q);
	storage_list_release(&l);
	state_close(st);
}

static void test_pin_skip_hold_release(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct storage_list l = { 0 };
	make_list(&l, ABC, NULL);
	f->cfg.order = ORDER_NAME;
	struct queue q;
	build_ok(st, &f->cfg, &l, &q);
	store_ok(st, &q);
	queue_release(&q);

	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_PIN, &err), 0);
	assert_int_equal(state_queue_apply(st, "d.png", QUEUE_OP_PIN, &err), 0);
	assert_int_equal(state_queue_apply(st, "a.jpg", QUEUE_OP_SKIP, &err), 0);
	assert_order(st, &f->cfg, &l, "d.png,c.jpg,b.jpg,a.jpg");
	assert_int_equal(state_queue_apply(st, "d.png", QUEUE_OP_HOLD, &err), 0);
	build_ok(st, &f->cfg, &l, &q);
	char *got = names_of(&q);
	assert_string_equal(got, "c.jpg,b.jpg,a.jpg,d.png");
	free(got);
	assert_int_equal(q.npostable, 3);
	assert_string_equal(queue_status(&q, 0), "next");
	assert_string_equal(queue_status(&q, 3), "held");
	json_t *j = queue_json(&q, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
	json_t *items = json_object_get(j, "items");
	assert_int_equal(json_array_size(items), 2);
	json_t *first = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(first, "filename")), "c.jpg");
	assert_int_equal(json_integer_value(json_object_get(first, "position")), 1);
	assert_string_equal(json_string_value(json_object_get(first, "status")), "next");
	assert_true(json_is_true(json_object_get(first, "pinned")));
	json_decref(j);
	queue_release(&q);

	/* released: back at its place, the front, but holding it ended its pin */
	assert_int_equal(state_queue_apply(st, "d.png", QUEUE_OP_RELEASE, &err), 0);
	assert_order(st, &f->cfg, &l, "c.jpg,d.png,b.jpg,a.jpg");
	/* the order setting changes: pins stay first, the rest is re-sorted */
	f->cfg.order = ORDER_NEWEST;
	assert_order(st, &f->cfg, &l, "c.jpg,b.jpg,d.png,a.jpg");
	build_ok(st, &f->cfg, &l, &q);
	assert_true(q.changed);
	store_ok(st, &q);
	queue_release(&q);
	/* skipped: to the back, in the order of the skips, unpinned */
	assert_int_equal(state_queue_apply(st, "d.png", QUEUE_OP_SKIP, &err), 0);
	assert_int_equal(state_queue_apply(st, "c.jpg", QUEUE_OP_SKIP, &err), 0);
	assert_order(st, &f->cfg, &l, "b.jpg,a.jpg,d.png,c.jpg");
	storage_list_release(&l);
	state_close(st);
}

/* Posting the head each time (as runs do: store, post, the image leaves)
 * posts every image exactly once, newcomers included. */
static void test_deck_never_repeats(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	const char *many[13];
	char names[12][16];
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof(names[i]), "p%02d.jpg", i);
		many[i] = names[i];
	}
	many[12] = NULL;
	struct storage_list l = { 0 };
	make_list(&l, many, NULL);
	struct strv posted = STRV_INIT;
	for (int round = 0; round < 12; round++) {
		struct queue q;
		build_ok(st, &f->cfg, &l, &q);
		assert_int_equal(q.n, 12 - round);
		store_ok(st, &q);
		const struct queue_entry *head = &q.v[0];
		assert_false(strv_contains(&posted, head->item.name));
		strv_push(&posted, head->item.name);
		assert_int_equal(state_mark_posted(st, head->item.sha256, NULL, &err), 0);
		assert_int_equal(state_queue_remove(st, head->item.name, &err), 0);
		queue_release(&q);
	}
	assert_int_equal(posted.n, 12);
	struct queue q;
	build_ok(st, &f->cfg, &l, &q);
	assert_int_equal(q.n, 0);
	queue_release(&q);
	strv_release(&posted);
	storage_list_release(&l);
	state_close(st);
}

/* The web's walk: the queue's order from the head, each image once, then
 * the head again; it changes nothing. */
static void test_web_walk(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct storage_list l = { 0 };
	make_list(&l, ABC, NULL);
	struct workflow_env env = { .cfg = &f->cfg, .state = st };
	struct queue q;
	build_ok(st, &f->cfg, &l, &q);
	struct web_walk *w = web_walk_new();
	for (int lap = 0; lap < 2; lap++) {
		for (size_t i = 0; i < q.n; i++) {
			const struct storage_item *it = NULL;
			assert_int_equal(web_walk_next(w, &env, &l, &it, &err), 0);
			assert_non_null(it);
			assert_string_equal(it->name, q.v[i].item.name);
		}
	}
	struct queue_deck d;
	assert_int_equal(state_queue_load(st, &d, &err), 0);
	assert_int_equal(d.n, 0); /* looking stored nothing */
	state_queue_deck_release(&d);
	json_t *j = NULL;
	assert_int_equal(web_queue_json(&env, &l, 10, &j, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
	json_decref(j);

	struct storage_list empty = { 0 };
	const struct storage_item *it = (const struct storage_item *)&l;
	assert_int_equal(web_walk_next(w, &env, &empty, &it, &err), 0);
	assert_null(it);
	web_walk_free(w);
	queue_release(&q);
	storage_list_release(&l);
	state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state_store_and_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_older_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_store_same_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrivals_and_removals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_skip_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deck_never_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_web_walk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
