/* quarantine.c - images set aside because they cannot be posted, by
 * SHA-256, with the reason and where they went (state.h). */
#include <pthread.h>
#include "state/state.h"
#include "state/state_impl.h"

int state_quarantine_add(struct state *st, const struct quarantine_entry *q,
			 struct pp_error *err)
{
	char sha[65], ch[65], now[32];
	bool has_ch = q->content_hash && *q->content_hash;
	if (st->read_only)
		return st_refuse_read_only(st, "quarantine an image", err);
	if (!st_hex64(q->sha256, sha) || (has_ch && !st_hex64(q->content_hash, ch)) || !q->image ||
	    !q->reason)
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot quarantine an image in %s: no SHA-256, name or reason",
				    st->path);
	st_utc_now(now);
	pthread_mutex_lock(&st->lock);
	int rc = -1;
	struct db_stmt *s = st_stmt(st, S_QUARANTINE_ADD, err);
	if (s) {
		db_bind_text(s, 1, sha);
		db_bind_text(s, 2, has_ch ? ch : NULL);
		db_bind_text(s, 3, q->image);
		db_bind_text(s, 4, q->reason);
		db_bind_text(s, 5, q->moved_to);
		db_bind_text(s, 6, q->correlation_id);
		db_bind_text(s, 7, now);
		rc = st_step_done(st, s, "quarantine an image", err);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

bool state_is_quarantined(struct state *st, const char *sha256, const char *content_hash)
{
	char hex[65], ch[65];
	bool found = false;
	bool has_sha = st_hex64(sha256, hex), has_ch = st_hex64(content_hash, ch);
	if (st->version < 2 || (!has_sha && !has_ch))
		return false;
	pthread_mutex_lock(&st->lock);
	struct db_stmt *s = st_stmt(st, S_QUARANTINE_IS, NULL);
	if (s) {
		db_bind_text(s, 1, has_sha ? hex : NULL);
		db_bind_text(s, 2, has_ch ? ch : NULL);
		int rc = db_step(s);
		if (rc == DB_ROW)
			found = true;
		else if (rc != DB_DONE)
			st_log_query_error(st, "quarantine lookup");
		db_reset(s);
	} else {
		st_log_query_error(st, "quarantine lookup");
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}
