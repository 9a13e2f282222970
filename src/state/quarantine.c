/* quarantine.c - images set aside because they cannot be posted, by
 * SHA-256, with the reason and where they went (state.h). */
#include <pthread.h>
#include <sqlite3.h>
#include "state/state.h"
#include "state/state_impl.h"

int state_quarantine_add(struct state *st, const char *sha256, const char *image,
			 const char *reason, const char *moved_to, const char *correlation_id,
			 struct pp_error *err)
{
	char sha[65], now[32];
	if (st->read_only)
		return st_refuse_read_only(st, "quarantine an image", err);
	if (!st_hex64(sha256, sha) || !image || !reason)
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot quarantine an image in %s: no SHA-256, name or reason",
				    st->path);
	st_utc_now(now);
	pthread_mutex_lock(&st->lock);
	int rc = -1;
	sqlite3_stmt *s = st_stmt(st, S_QUARANTINE_ADD, err);
	if (s) {
		sqlite3_bind_text(s, 1, sha, 64, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, image, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, reason, -1, SQLITE_TRANSIENT);
		if (moved_to)
			sqlite3_bind_text(s, 4, moved_to, -1, SQLITE_TRANSIENT);
		if (correlation_id)
			sqlite3_bind_text(s, 5, correlation_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_TRANSIENT);
		rc = st_step_done(st, s, "quarantine an image", err);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

bool state_is_quarantined(struct state *st, const char *sha256)
{
	char hex[65];
	bool found = false;
	if (st->version < 2 || !st_hex64(sha256, hex))
		return false;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = st_stmt(st, S_QUARANTINE_IS, NULL);
	if (s) {
		sqlite3_bind_text(s, 1, hex, 64, SQLITE_TRANSIENT);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			found = true;
		else if (rc != SQLITE_DONE)
			st_log_query_error(st, "quarantine lookup");
		sqlite3_reset(s);
	} else {
		st_log_query_error(st, "quarantine lookup");
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}
