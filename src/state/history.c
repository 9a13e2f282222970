/* history.c - the publication history: one row per platform and attempt,
 * with its post id, link or error and the run's correlation id, and one
 * row per curation action; appending rows and reading them back. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "state/state.h"
#include "state/state_impl.h"

int state_add_history(struct state *st, const struct history_row *rows, size_t n,
		      struct pp_error *err)
{
	char now[32];
	int rc = -1;

	if (st->read_only)
		return st_refuse_read_only(st, "record publication history", err);
	for (size_t i = 0; i < n; i++)
		if (!rows[i].platform || !*rows[i].platform)
			return pp_fail_kind(err, "state", PP_ERR_INVALID,
					    "cannot record publication history in %s: row %zu has "
					    "no platform", st->path, i);
	if (n == 0)
		return 0;
	st_utc_now(now);

	pthread_mutex_lock(&st->lock);
	if (st_tx_open(st, err) < 0)
		goto out;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		const struct history_row *r = &rows[i];
		struct db_stmt *s = st_stmt(st, S_ADD_HISTORY, err);
		if (!s) {
			ok = false;
			break;
		}
		db_bind_text(s, 1, now);
		db_bind_text(s, 2, r->image);
		db_bind_text(s, 3, r->sha256);
		db_bind_text(s, 4, r->platform);
		db_bind_text(s, 5, r->post_id);
		db_bind_int64(s, 6, r->success ? 1 : 0);
		db_bind_text(s, 7, r->error);
		db_bind_text(s, 8, r->correlation_id);
		db_bind_text(s, 9, r->url);
		db_bind_text(s, 10, r->action);
		ok = st_step_done(st, s, "record publication history", err) == 0;
	}
	rc = st_tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}


int state_history_each(struct state *st, const char *since, const char *platform,
		       int (*cb)(void *arg, const char *time, const struct history_row *row),
		       void *arg, struct pp_error *err)
{
	struct history_filter f = { .since = since, .platform = platform };
	return state_history_query(st, &f, cb, arg, err);
}

int state_history_query(struct state *st, const struct history_filter *f,
			int (*cb)(void *arg, const char *time, const struct history_row *row),
			void *arg, struct pp_error *err)
{
	int rc = 0, step;
	pthread_mutex_lock(&st->lock);
	/* A read-only file of schema 2 has no url and action columns. */
	struct db_stmt *s = st_stmt(st, st->version < 3 ? S_HISTORY_LIST_V2 : S_HISTORY_LIST, err);
	if (!s) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	db_bind_text(s, 1, f->since);
	db_bind_text(s, 2, f->platform);
	db_bind_int64(s, 3, f->newest_first ? 1 : 0);
	db_bind_int64(s, 4, f->limit > 0 ? (int64_t)f->limit : INT64_MAX);
#define COL(i) (db_column_text(s, (i)))
	while ((step = db_step(s)) == DB_ROW) {
		struct history_row r = {
			.image = COL(1), .sha256 = COL(2), .platform = COL(3), .post_id = COL(4),
			.success = db_column_int64(s, 5) != 0, .error = COL(6),
			.correlation_id = COL(7), .url = COL(8), .action = COL(9),
		};
		if (cb(arg, COL(0), &r))
			break;
	}
#undef COL
	if (step != DB_ROW && step != DB_DONE)
		rc = st_db_fail(st, err, "read the publication history");
	db_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
