/* claim.c - the images concurrent runs have chosen (state.h): one meta row
 * per claimed SHA-256, "claim:<sha256>" = "<lease end, Unix seconds> <run's
 * correlation id> <proc_owner of its process>", read and written in one
 * write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock
 * of db_pg.c), so two runs never both see an image free. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "util/buf.h"
#include "util/proc.h"

#define CLAIM_KEY "claim:"

/* Lock held. The claim's holder into run (n bytes) and whether it still
 * holds it: its lease has not ended and its process is not known gone.
 * *found false: no claim. */
static int read_claim(struct state *st, const char *key, char *run, size_t n, bool *found,
		      bool *live, struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_META_GET, err);
	*found = *live = false;
	run[0] = '\0';
	if (!s)
		return -1;
	db_bind_text(s, 1, key);
	int rc = db_step(s);
	const char *v = rc == DB_ROW ? db_column_text(s, 0) : NULL;
	if (v) {
		long long until = 0;
		int off = 0;
		char holder[128] = "";
		if (sscanf(v, "%lld %127s %n", &until, holder, &off) >= 2) {
			*found = true;
			snprintf(run, n, "%s", holder);
			/* A process alive on this machine holds its claims; one
			 * elsewhere, until its lease ends. */
			enum proc_liveness l = proc_owner_liveness(off > 0 ? v + off : "");
			*live = l == PROC_ALIVE ||
				(l == PROC_ELSEWHERE && until > (long long)time(NULL));
		}
	}
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return st_db_fail(st, err, "read the claims");
	return 0;
}

/* Lock held. Whether hash (hex, or NULL) is posted, by statement id. */
static int posted(struct state *st, enum stmt_id id, const char *hash, bool *out,
		  struct pp_error *err)
{
	char hex[65];
	*out = false;
	if (!st_hex64(hash, hex))
		return 0;
	return st_row_exists(st, id, hex, out, "read the posted hashes", err);
}

int state_claim(struct state *st, const char *sha256, const char *content_hash,
		const char *run, bool unposted_only, int lease_s, struct pp_error *err)
{
	char hex[65], holder[128], owner[PROC_OWNER_MAX];
	if (!st_hex64(sha256, hex) || !run || !*run || strchr(run, ' '))
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot claim an image in %s: no SHA-256 or run", st->path);
	if (st->read_only)
		return 1;
	proc_owner(owner);
	char *key = xasprintf(CLAIM_KEY "%s", hex);
	int result = -1;
	pthread_mutex_lock(&st->lock);
	if (st_tx_open(st, err) < 0)
		goto out;
	bool found = false, live = false, sha_posted = false, ch_posted = false;
	bool ok = read_claim(st, key, holder, sizeof(holder), &found, &live, err) == 0 &&
		  (!unposted_only || (posted(st, S_IS_SHA, hex, &sha_posted, err) == 0 &&
				      posted(st, S_IS_CH, content_hash, &ch_posted, err) == 0));
	int got = !(sha_posted || ch_posted) && (!found || !live || !strcmp(holder, run));
	if (ok && got) {
		struct db_stmt *s = st_stmt(st, S_META_PUT, err);
		char *value = xasprintf("%lld %s %s", (long long)time(NULL) + lease_s, run, owner);
		ok = s != NULL;
		if (ok) {
			db_bind_text(s, 1, key);
			db_bind_text(s, 2, value);
			ok = st_step_done(st, s, "claim an image", err) == 0;
		}
		free(value);
	}
	if (st_tx_close(st, ok, err) == 0)
		result = got;
out:
	pthread_mutex_unlock(&st->lock);
	free(key);
	return result;
}

int state_claim_release(struct state *st, const char *sha256, const char *run,
			struct pp_error *err)
{
	char hex[65], holder[128];
	if (st->read_only || !st_hex64(sha256, hex) || !run)
		return 0;
	char *key = xasprintf(CLAIM_KEY "%s", hex);
	int rc = -1;
	pthread_mutex_lock(&st->lock);
	if (st_tx_open(st, err) < 0)
		goto out;
	bool found = false, live = false;
	bool ok = read_claim(st, key, holder, sizeof(holder), &found, &live, err) == 0;
	if (ok && found && !strcmp(holder, run)) {
		struct db_stmt *s = st_stmt(st, S_META_DELETE, err);
		ok = s != NULL;
		if (ok) {
			db_bind_text(s, 1, key);
			ok = st_step_done(st, s, "release a claim", err) == 0;
		}
	}
	rc = st_tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	free(key);
	return rc;
}
