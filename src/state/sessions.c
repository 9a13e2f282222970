/* sessions.c - the logins platforms keep between runs (state.h): one row
 * per service and account holding its tokens, which are secrets and so
 * never leave this file but to the caller. Rare calls (one per post): the
 * statements are prepared each time rather than cached. */
#include <pthread.h>
#include <string.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "util/buf.h"

static char *column_dup(struct db_stmt *s, int i)
{
	const char *v = db_column_text(s, i);
	return v ? xstrdup(v) : NULL;
}

int state_session_get(struct state *st, const char *service, const char *account,
		      struct saved_session *out, struct pp_error *err)
{
	*out = (struct saved_session){ 0 };
	if (st->version < 6)
		return 0; /* a read-only file of an older schema keeps none */
	int rc = -1;
	struct db_stmt *s = NULL;
	pthread_mutex_lock(&st->lock);
	if (db_prepare(st->db, "SELECT account_id, access_token, refresh_token"
			       " FROM session WHERE service = ?1 AND account = ?2", &s) < 0) {
		st_db_fail(st, err, "read a saved session");
		goto out;
	}
	db_bind_text(s, 1, service);
	db_bind_text(s, 2, account);
	int step = db_step(s);
	if (step == DB_ROW && db_column_text(s, 1)) {
		out->account_id = column_dup(s, 0);
		out->access_token = column_dup(s, 1);
		out->refresh_token = column_dup(s, 2);
		rc = 1;
	} else if (step == DB_DONE || step == DB_ROW) {
		rc = 0;
	} else {
		st_db_fail(st, err, "read a saved session");
	}
out:
	db_finalize(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int state_session_put(struct state *st, const char *service, const char *account,
		      const struct saved_session *in, struct pp_error *err)
{
	char now[32];
	if (st->read_only)
		return st_refuse_read_only(st, "save a session", err);
	st_utc_now(now);
	int rc = -1;
	struct db_stmt *s = NULL;
	pthread_mutex_lock(&st->lock);
	const char *sql = in ? "INSERT INTO session(service, account, account_id,"
			       " access_token, refresh_token, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
			       " ON CONFLICT(service, account) DO UPDATE SET"
			       " account_id = excluded.account_id, access_token = excluded.access_token,"
			       " refresh_token = excluded.refresh_token, updated_at = excluded.updated_at"
			     : "DELETE FROM session WHERE service = ?1 AND account = ?2";
	if (db_prepare(st->db, sql, &s) < 0) {
		st_db_fail(st, err, "save a session");
		goto out;
	}
	db_bind_text(s, 1, service);
	db_bind_text(s, 2, account);
	if (in) {
		db_bind_text(s, 3, in->account_id);
		db_bind_text(s, 4, in->access_token);
		db_bind_text(s, 5, in->refresh_token);
		db_bind_text(s, 6, now);
	}
	rc = st_step_done(st, s, "save a session", err);
out:
	db_finalize(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
