/* queue.c - the posting deck (queue.h): the queue table (schema step 4),
 * whose position column orders it, and the deck's seed and order in the
 * meta table. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/queue.h"
#include "state/state_impl.h"
#include "util/buf.h"
#include "util/random.h"

#define QUEUE_SCHEMA 4
#define META_SEED "queue_seed"
#define META_ORDER "queue_order"

static const char *const mark_names[] = {
#define X(id, name) [QUEUE_##id] = name,
	QUEUE_MARKS(X)
#undef X
};

const char *queue_mark_name(enum queue_mark m)
{
	return (size_t)m < sizeof(mark_names) / sizeof(mark_names[0]) ? mark_names[m] : "queued";
}

static enum queue_mark mark_from(const char *s)
{
	for (size_t i = 0; i < sizeof(mark_names) / sizeof(mark_names[0]); i++)
		if (s && !strcmp(s, mark_names[i]))
			return (enum queue_mark)i;
	return QUEUE_QUEUED;
}

bool state_queue_writable(const struct state *st)
{
	return !st->read_only;
}

/* Lock held. The meta value of key into out (n bytes); "" when absent. */
static int meta_read(struct state *st, const char *key, char *out, size_t n, struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_META_GET, err);
	out[0] = '\0';
	if (!s)
		return -1;
	db_bind_text(s, 1, key);
	int rc = db_step(s);
	if (rc == DB_ROW && db_column_text(s, 0))
		snprintf(out, n, "%s", db_column_text(s, 0));
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return st_db_fail(st, err, "read the queue's settings");
	return 0;
}

/* Lock held. */
static int meta_write(struct state *st, const char *key, const char *value, struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_META_PUT, err);
	if (!s)
		return -1;
	db_bind_text(s, 1, key);
	db_bind_text(s, 2, value);
	return st_step_done(st, s, "record the queue's settings", err);
}

void state_queue_deck_release(struct queue_deck *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->rows[i].name);
	free(d->rows);
	*d = (struct queue_deck){ 0 };
}

/* Lock held. */
static int load_rows(struct state *st, struct queue_deck *d, struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_QUEUE_LIST, err);
	if (!s)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = db_step(s)) == DB_ROW) {
		if (d->n == cap) {
			cap = cap ? cap * 2 : 64;
			d->rows = xrealloc(d->rows, cap * sizeof(*d->rows));
		}
		struct queue_row *r = &d->rows[d->n++];
		*r = (struct queue_row){ .name = xstrdup(db_column_text(s, 0)),
					 .mark = mark_from(db_column_text(s, 1)) };
		const char *at = db_column_text(s, 2);
		snprintf(r->added_at, sizeof(r->added_at), "%s", at ? at : "");
	}
	db_reset(s);
	if (rc != DB_DONE)
		return st_db_fail(st, err, "read the queue");
	return 0;
}

int state_queue_load(struct state *st, struct queue_deck *out, struct pp_error *err)
{
	char seed[32];
	*out = (struct queue_deck){ 0 };
	if (st->version < QUEUE_SCHEMA)
		return 0; /* a read-only file of an older schema: no deck yet */
	pthread_mutex_lock(&st->lock);
	int rc = load_rows(st, out, err);
	if (rc == 0)
		rc = meta_read(st, META_SEED, seed, sizeof(seed), err);
	if (rc == 0 && seed[0]) {
		char *end = NULL;
		out->seed = strtoull(seed, &end, 16);
		out->has_seed = end && *end == '\0';
	}
	if (rc == 0)
		rc = meta_read(st, META_ORDER, out->order, sizeof(out->order), err);
	pthread_mutex_unlock(&st->lock);
	if (rc < 0)
		state_queue_deck_release(out);
	return rc;
}

/* Lock held, in a transaction. */
static int store_rows(struct state *st, const struct queue_row *rows, size_t n, const char *now,
		      struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_QUEUE_CLEAR, err);
	if (!s || st_step_done(st, s, "clear the queue", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(s = st_stmt(st, S_QUEUE_ADD, err)))
			return -1;
		db_bind_text(s, 1, rows[i].name);
		db_bind_int64(s, 2, (int64_t)i + 1);
		db_bind_text(s, 3, queue_mark_name(rows[i].mark));
		db_bind_text(s, 4, rows[i].added_at[0] ? rows[i].added_at : now);
		if (st_step_done(st, s, "store the queue", err) < 0)
			return -1;
	}
	return 0;
}

int state_queue_store(struct state *st, const struct queue_row *rows, size_t n,
		      const char *order, bool new_seed, struct pp_error *err)
{
	char now[32], seed[17];
	if (st->read_only)
		return st_refuse_read_only(st, "store the posting queue", err);
	if (new_seed) {
		uint64_t v = 0;
		if (random_bytes(&v, sizeof(v)) < 0)
			return pp_fail_kind(err, "state", PP_ERR_INTERNAL,
					    "cannot draw random bytes for the posting queue");
		snprintf(seed, sizeof(seed), "%016" PRIx64, v);
	}
	st_utc_now(now);
	pthread_mutex_lock(&st->lock);
	int rc = -1;
	if (st_tx_open(st, err) < 0)
		goto out;
	bool ok = store_rows(st, rows, n, now, err) == 0 &&
		  meta_write(st, META_ORDER, order, err) == 0 &&
		  (!new_seed || meta_write(st, META_SEED, seed, err) == 0);
	rc = st_tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* The statement of each operation. */
static const enum stmt_id op_stmt[] = {
	[QUEUE_OP_PIN] = S_QUEUE_PIN,
	[QUEUE_OP_SKIP] = S_QUEUE_SKIP,
	[QUEUE_OP_HOLD] = S_QUEUE_HOLD,
	[QUEUE_OP_RELEASE] = S_QUEUE_RELEASE,
};

/* Lock held. Runs statement id on name; *changed: rows it changed. */
static int run_on(struct state *st, enum stmt_id id, const char *name, int *changed,
		  struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, id, err);
	if (!s)
		return -1;
	db_bind_text(s, 1, name);
	int rc = st_step_done(st, s, "change the queue", err);
	*changed = (int)db_changes(s);
	return rc;
}

int state_queue_apply(struct state *st, const char *name, enum queue_op op,
		      struct pp_error *err)
{
	if (st->read_only)
		return st_refuse_read_only(st, "change the posting queue", err);
	if ((size_t)op >= sizeof(op_stmt) / sizeof(op_stmt[0]) || !name)
		return pp_fail_kind(err, "state", PP_ERR_INVALID, "no such queue operation");
	int changed = 0;
	pthread_mutex_lock(&st->lock);
	int rc = run_on(st, op_stmt[op], name, &changed, err);
	pthread_mutex_unlock(&st->lock);
	if (rc == 0 && changed == 0)
		return pp_fail_kind(err, "state", PP_ERR_NOT_FOUND, "not in the queue: %s", name);
	return rc;
}

int state_queue_remove(struct state *st, const char *name, struct pp_error *err)
{
	if (st->read_only)
		return st_refuse_read_only(st, "change the posting queue", err);
	if (st->version < QUEUE_SCHEMA)
		return 0;
	int changed = 0;
	pthread_mutex_lock(&st->lock);
	int rc = run_on(st, S_QUEUE_REMOVE, name, &changed, err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
