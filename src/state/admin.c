/* admin.c - what the replicas of `photopub serve` share about the web
 * admin (state.h): the sessions logout ended before they expired, by a
 * digest of their cookie, and the failed logins, by client address and
 * time. Rows go once they no longer matter (a revoked session once it
 * would have expired, a failure once it left every window), pruned by the
 * writes. Rare calls (one per admin request at most): the statements are
 * prepared each time rather than cached. */
#include <pthread.h>
#include <stdlib.h>
#include "state/state.h"
#include "state/state_impl.h"

#define ADMIN_SCHEMA 8 /* the schema step that made these tables */

/* Runs sql with the text and integer binds given (NULL text: none; the
 * integers at the next places) and, when at is given, reads the first
 * column of the first row into it (*found whether there was one). */
static int run(struct state *st, const char *sql, const char *text, const int64_t *ints,
	       int nints, int64_t *at, bool *found, const char *what, struct pp_error *err)
{
	struct db_stmt *s = NULL;
	int rc = -1;
	if (found)
		*found = false;
	pthread_mutex_lock(&st->lock);
	if (db_prepare(st->db, sql, &s) < 0) {
		st_db_fail(st, err, what);
		goto out;
	}
	int i = 1;
	if (text)
		db_bind_text(s, i++, text);
	for (int k = 0; k < nints; k++)
		db_bind_int64(s, i++, ints[k]);
	int step = db_step(s);
	if (step == DB_ROW && at) {
		*at = db_column_int64(s, 0);
		*found = true;
	}
	if (step == DB_ROW || step == DB_DONE)
		rc = 0;
	else
		st_db_fail(st, err, what);
out:
	db_finalize(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* A read-only state of an older schema has no such tables. */
static bool has_tables(const struct state *st)
{
	return st->version >= ADMIN_SCHEMA;
}

int state_admin_revoke(struct state *st, const char *session, int64_t expiry, int64_t now,
		       struct pp_error *err)
{
	if (st->read_only)
		return st_refuse_read_only(st, "end an admin session", err);
	const int64_t e[] = { expiry }, n[] = { now };
	if (run(st, "INSERT INTO admin_revoked(session, expiry) VALUES(?1, ?2)"
		    " ON CONFLICT(session) DO NOTHING",
		session, e, 1, NULL, NULL, "end an admin session", err) < 0)
		return -1;
	return run(st, "DELETE FROM admin_revoked WHERE expiry <= ?1", NULL, n, 1, NULL, NULL,
		   "forget expired admin sessions", err);
}

int state_admin_revoked(struct state *st, const char *session, int64_t now, bool *out,
			struct pp_error *err)
{
	int64_t one;
	const int64_t n[] = { now };
	*out = false;
	if (!has_tables(st))
		return 0;
	return run(st, "SELECT 1 FROM admin_revoked WHERE session = ?1 AND expiry > ?2", session, n,
		   1, &one, out, "read the ended admin sessions", err);
}

int state_login_failed(struct state *st, const char *client, int64_t now, int64_t window_s,
		       struct pp_error *err)
{
	if (st->read_only)
		return st_refuse_read_only(st, "count a failed login", err);
	const int64_t n[] = { now }, gone[] = { now - window_s };
	if (run(st, "INSERT INTO login_failure(client, at) VALUES(?1, ?2)", client, n, 1, NULL,
		NULL, "count a failed login", err) < 0)
		return -1;
	return run(st, "DELETE FROM login_failure WHERE at <= ?1", NULL, gone, 1, NULL, NULL,
		   "forget old failed logins", err);
}

int state_login_nth_failure(struct state *st, const char *client, int64_t since, int nth,
			    int64_t *at, struct pp_error *err)
{
	bool found = false;
	const int64_t v[] = { since, nth - 1 };
	*at = 0;
	if (!has_tables(st) || nth < 1)
		return 0;
	int rc = client ? run(st, "SELECT at FROM login_failure WHERE client = ?1 AND at > ?2"
				  " ORDER BY at DESC LIMIT 1 OFFSET ?3",
			      client, v, 2, at, &found, "read the failed logins", err)
			: run(st, "SELECT at FROM login_failure WHERE at > ?1"
				  " ORDER BY at DESC LIMIT 1 OFFSET ?2",
			      NULL, v, 2, at, &found, "read the failed logins", err);
	if (!found)
		*at = 0;
	return rc;
}

int state_ping(struct state *st, struct pp_error *err)
{
	return run(st, "SELECT 1", NULL, NULL, 0, NULL, NULL, "run a trivial query", err);
}
