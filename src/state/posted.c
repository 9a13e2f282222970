/* posted.c - the posted hashes: whether a SHA-256 or a Dropbox content hash
 * was published already, and recording both once an image went out. */
#include <pthread.h>
#include <stdbool.h>
#include "state/state.h"
#include "state/state_impl.h"

static bool is_posted(struct state *st, enum stmt_id id, const char *hash)
{
	char hex[65];
	bool found = false;
	if (!st_hex64(hash, hex))
		return false;
	pthread_mutex_lock(&st->lock);
	if (st_row_exists(st, id, hex, &found, "look up a posted hash", NULL) < 0)
		st_log_query_error(st, "posted lookup");
	pthread_mutex_unlock(&st->lock);
	return found;
}

bool state_is_posted_sha256(struct state *st, const char *sha256)
{
	return is_posted(st, S_IS_SHA, sha256);
}

bool state_is_posted_content_hash(struct state *st, const char *content_hash)
{
	return is_posted(st, S_IS_CH, content_hash);
}

int state_mark_posted(struct state *st, const char *sha256, const char *content_hash,
		      struct pp_error *err)
{
	char sha[65], ch[65], now[32];
	bool has_ch = content_hash && *content_hash;
	int rc = -1;

	if (st->read_only)
		return st_refuse_read_only(st, "record a posted image", err);
	if (!st_hex64(sha256, sha))
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot record a posted image in %s: the SHA-256 is not 64 hex "
				    "digits", st->path);
	if (has_ch && !st_hex64(content_hash, ch))
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot record a posted image in %s: the content hash is not 64 "
				    "hex digits", st->path);
	st_utc_now(now);

	pthread_mutex_lock(&st->lock);
	if (st_tx_open(st, err) < 0)
		goto out;
	bool ok = false;
	struct db_stmt *s = st_stmt(st, S_ADD_SHA, err);
	if (s) {
		db_bind_text(s, 1, sha);
		db_bind_text(s, 2, now);
		ok = st_step_done(st, s, "record a posted SHA-256", err) == 0;
	}
	if (ok && has_ch) {
		s = st_stmt(st, S_ADD_CH, err);
		ok = false;
		if (s) {
			db_bind_text(s, 1, ch);
			db_bind_text(s, 2, now);
			ok = st_step_done(st, s, "record a posted content hash", err) == 0;
		}
	}
	rc = st_tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

