/* journal.c - the publish journal (state.h): intents, their platforms'
 * outcomes, and the unfinished intents a killed run left behind. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "util/buf.h"

static const char *const outcome_names[] = {
#define X(id, name) [JOURNAL_##id] = name,
	JOURNAL_OUTCOMES(X)
#undef X
};

const char *journal_outcome_name(enum journal_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o]
									     : "unknown";
}

static enum journal_outcome outcome_from(const char *s)
{
	for (size_t i = 0; i < sizeof(outcome_names) / sizeof(outcome_names[0]); i++)
		if (s && !strcmp(s, outcome_names[i]))
			return (enum journal_outcome)i;
	return JOURNAL_UNKNOWN; /* a value this version does not know: never resend */
}

static int refuse(struct state *st, const char *what, struct pp_error *err)
{
	if (st->read_only)
		return st_refuse_read_only(st, what, err);
	return 0;
}

/* Lock held. */
static int set_platform(struct state *st, int64_t id, const struct journal_platform *p,
			struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_JOURNAL_SET, err);
	if (!s)
		return -1;
	db_bind_int64(s, 1, id);
	db_bind_text(s, 2, p->platform);
	db_bind_text(s, 3, journal_outcome_name(p->outcome));
	db_bind_text(s, 4, p->post_id);
	db_bind_text(s, 5, p->error);
	db_bind_text(s, 6, p->correlation_id);
	db_bind_text(s, 7, p->url);
	db_bind_text(s, 8, p->caption);
	return st_step_done(st, s, "record a platform's outcome in the publish journal", err);
}

int state_journal_begin(struct state *st, struct journal_intent *in, struct pp_error *err)
{
	char now[32];
	if (refuse(st, "record a publish intent", err) < 0)
		return -1;
	if (!in->correlation_id || !in->image || !in->sha256 || !in->owner ||
	    in->n > JOURNAL_MAX_PLATFORMS)
		return pp_fail_kind(err, "state", PP_ERR_INVALID,
				    "cannot record a publish intent in %s: incomplete intent",
				    st->path);
	st_utc_now(now);
	int rc = -1;
	pthread_mutex_lock(&st->lock);
	if (st_tx_open(st, err) < 0)
		goto out;
	bool ok = false;
	struct db_stmt *s = st_stmt(st, S_JOURNAL_ADD, err);
	if (s) {
		db_bind_text(s, 1, in->correlation_id);
		db_bind_text(s, 2, in->image);
		db_bind_text(s, 3, in->sha256);
		db_bind_text(s, 4, in->content_hash && *in->content_hash ? in->content_hash : NULL);
		db_bind_text(s, 5, in->caption);
		db_bind_text(s, 6, in->sd_caption);
		db_bind_text(s, 7, in->owner);
		db_bind_text(s, 8, now);
		db_bind_text(s, 9, in->alt_text);
		db_bind_text(s, 10, in->analysis);
		/* RETURNING id: the statement's one row. */
		ok = db_step(s) == DB_ROW;
		if (ok)
			in->id = db_column_int64(s, 0);
		else
			st_db_fail(st, err, "record a publish intent");
		db_reset(s);
	}
	for (size_t i = 0; ok && i < in->n; i++)
		ok = set_platform(st, in->id, &in->platforms[i], err) == 0;
	rc = st_tx_close(st, ok, err);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int state_journal_set(struct state *st, int64_t id, const struct journal_platform *p,
		      struct pp_error *err)
{
	if (refuse(st, "record a platform's outcome", err) < 0)
		return -1;
	pthread_mutex_lock(&st->lock);
	int rc = set_platform(st, id, p, err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int state_journal_finish(struct state *st, int64_t id, struct pp_error *err)
{
	char now[32];
	if (refuse(st, "finish a publish intent", err) < 0)
		return -1;
	st_utc_now(now);
	pthread_mutex_lock(&st->lock);
	int rc = -1;
	struct db_stmt *s = st_stmt(st, S_JOURNAL_FINISH, err);
	if (s) {
		db_bind_int64(s, 1, id);
		db_bind_text(s, 2, now);
		rc = st_step_done(st, s, "finish a publish intent", err);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static const char *keep(struct strv *sv, struct db_stmt *s, int col)
{
	const char *v = db_column_text(s, col);
	if (!v)
		return NULL;
	strv_push(sv, v);
	return sv->v[sv->n - 1];
}

/* The columns every journal query starts with: id, correlation_id, image,
 * sha256, content_hash, caption, sd_caption, owner, started_at, alt_text. */
static void load_intent(struct journal_intent *in, struct db_stmt *s)
{
	*in = (struct journal_intent){ .id = db_column_int64(s, 0) };
	in->strings = xcalloc(1, sizeof(*in->strings));
	in->correlation_id = keep(in->strings, s, 1);
	in->image = keep(in->strings, s, 2);
	in->sha256 = keep(in->strings, s, 3);
	in->content_hash = keep(in->strings, s, 4);
	in->caption = keep(in->strings, s, 5);
	in->sd_caption = keep(in->strings, s, 6);
	in->owner = keep(in->strings, s, 7);
	in->started_at = keep(in->strings, s, 8);
	in->alt_text = keep(in->strings, s, 9);
}

/* Lock held. */
static int load_platforms(struct state *st, struct journal_intent *in, struct pp_error *err)
{
	struct db_stmt *s = st_stmt(st, S_JOURNAL_PLATFORMS, err);
	if (!s)
		return -1;
	db_bind_int64(s, 1, in->id);
	int rc;
	while ((rc = db_step(s)) == DB_ROW && in->n < JOURNAL_MAX_PLATFORMS) {
		struct journal_platform *p = &in->platforms[in->n++];
		p->platform = keep(in->strings, s, 0);
		p->outcome = outcome_from(db_column_text(s, 1));
		p->post_id = keep(in->strings, s, 2);
		p->error = keep(in->strings, s, 3);
		p->correlation_id = keep(in->strings, s, 4);
		p->url = keep(in->strings, s, 5);
		p->caption = keep(in->strings, s, 6);
	}
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return st_db_fail(st, err, "read the publish journal");
	return 0;
}

int state_journal_open(struct state *st, struct journal_intent **out, size_t *n,
		       struct pp_error *err)
{
	*out = NULL;
	*n = 0;
	if (st->version < 5)
		return 0; /* a read-only file of an older schema: no journal to resume */
	struct journal_intent *v = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	struct db_stmt *s = st_stmt(st, S_JOURNAL_OPEN, err);
	if (!s) {
		rc = -1;
		goto out;
	}
	int step;
	while ((step = db_step(s)) == DB_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4;
			v = xrealloc(v, cap * sizeof(*v));
		}
		load_intent(&v[len++], s);
	}
	db_reset(s);
	if (step != DB_DONE)
		rc = st_db_fail(st, err, "read the publish journal");
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = load_platforms(st, &v[i], err);
out:
	pthread_mutex_unlock(&st->lock);
	if (rc < 0) {
		state_journal_release(v, len);
		return -1;
	}
	*out = v;
	*n = len;
	return 0;
}

/* Lock held. The rows of run (see state_journal_find) into *got (at most
 * two, newest first); *n how many. */
static int find_rows(struct state *st, const char *run, bool prefix, struct journal_intent got[2],
		     size_t *n, struct pp_error *err)
{
	*n = 0;
	struct db_stmt *s = st_stmt(st, st->version < 7 ? S_JOURNAL_FIND_V5 : S_JOURNAL_FIND, err);
	if (!s)
		return -1;
	db_bind_text(s, 1, run);
	db_bind_int64(s, 2, prefix);
	int step;
	while ((step = db_step(s)) == DB_ROW && *n < 2) {
		struct journal_intent *in = &got[(*n)++];
		load_intent(in, s);
		in->finished_at = keep(in->strings, s, 10);
		in->archived_as = keep(in->strings, s, 11);
		in->analysis = keep(in->strings, s, 12);
	}
	db_reset(s);
	if (step != DB_DONE && step != DB_ROW)
		return st_db_fail(st, err, "read the publish journal");
	for (size_t i = 0; i < *n; i++)
		if (load_platforms(st, &got[i], err) < 0)
			return -1;
	return 0;
}

int state_journal_find(struct state *st, const char *run, bool prefix_ok,
		       struct journal_intent **out, struct pp_error *err)
{
	struct journal_intent got[2] = { 0 };
	size_t n = 0;
	*out = NULL;
	if (st->version < 5)
		return pp_fail_kind(err, "state", PP_ERR_NOT_FOUND, "no run %s in the publish journal "
				    "of %s", run ? run : "at all", st->path);
	pthread_mutex_lock(&st->lock);
	int rc = find_rows(st, run, false, got, &n, err);
	if (rc == 0 && n == 0 && run && prefix_ok) {
		rc = find_rows(st, run, true, got, &n, err);
		if (rc == 0 && n > 1)
			rc = pp_fail_kind(err, "state", PP_ERR_INVALID,
					  "%s is the start of more than one run's correlation id "
					  "(%s, %s): give more of it", run, got[0].correlation_id,
					  got[1].correlation_id);
	}
	pthread_mutex_unlock(&st->lock);
	if (rc == 0 && n == 0)
		rc = run ? pp_fail_kind(err, "state", PP_ERR_NOT_FOUND,
					"no run %s in the publish journal", run)
			 : pp_fail_kind(err, "state", PP_ERR_NOT_FOUND,
					"no run in the publish journal yet");
	if (rc == 0) {
		*out = xcalloc(1, sizeof(**out));
		**out = got[0];
		got[0].strings = NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (got[i].strings) {
			strv_release(got[i].strings);
			free(got[i].strings);
		}
	return rc;
}

int state_journal_set_archived(struct state *st, int64_t id, const char *archived_as,
			       struct pp_error *err)
{
	if (refuse(st, "record where an image was archived", err) < 0)
		return -1;
	if (st->version < 7)
		return 0;
	pthread_mutex_lock(&st->lock);
	int rc = -1;
	struct db_stmt *s = st_stmt(st, S_JOURNAL_ARCHIVED, err);
	if (s) {
		db_bind_int64(s, 1, id);
		db_bind_text(s, 2, archived_as);
		rc = st_step_done(st, s, "record where an image was archived", err);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void state_journal_release(struct journal_intent *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].strings) {
			strv_release(v[i].strings);
			free(v[i].strings);
		}
	}
	free(v);
}
