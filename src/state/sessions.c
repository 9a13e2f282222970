/* sessions.c - the logins platforms keep between runs (state.h): one row
 * per service and account holding its tokens, which are secrets and so
 * never leave this file but to the caller. Rare calls (one per post): the
 * statements are prepared each time rather than cached. */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "util/buf.h"

static char *column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	return v ? xstrdup((const char *)v) : NULL;
}

int state_session_get(struct state *st, const char *service, const char *account,
		      struct saved_session *out, struct pp_error *err)
{
	*out = (struct saved_session){ 0 };
	if (st->version < 6)
		return 0; /* a read-only file of an older schema keeps none */
	int rc = -1;
	sqlite3_stmt *s = NULL;
	pthread_mutex_lock(&st->lock);
	if (sqlite3_prepare_v2(st->db, "SELECT account_id, access_token, refresh_token"
				       " FROM session WHERE service = ?1 AND account = ?2",
			       -1, &s, NULL) != SQLITE_OK) {
		st_db_fail(st, err, "read a saved session");
		goto out;
	}
	st_bind_text(s, 1, service);
	st_bind_text(s, 2, account);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_text(s, 1)) {
		out->account_id = column_dup(s, 0);
		out->access_token = column_dup(s, 1);
		out->refresh_token = column_dup(s, 2);
		rc = 1;
	} else if (step == SQLITE_DONE || step == SQLITE_ROW) {
		rc = 0;
	} else {
		st_db_fail(st, err, "read a saved session");
	}
out:
	sqlite3_finalize(s);
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
	sqlite3_stmt *s = NULL;
	pthread_mutex_lock(&st->lock);
	const char *sql = in ? "INSERT OR REPLACE INTO session(service, account, account_id,"
			       " access_token, refresh_token, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
			     : "DELETE FROM session WHERE service = ?1 AND account = ?2";
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		st_db_fail(st, err, "save a session");
		goto out;
	}
	st_bind_text(s, 1, service);
	st_bind_text(s, 2, account);
	if (in) {
		st_bind_text(s, 3, in->account_id);
		st_bind_text(s, 4, in->access_token);
		st_bind_text(s, 5, in->refresh_token);
		st_bind_text(s, 6, now);
	}
	rc = st_step_done(st, s, "save a session", err);
out:
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
