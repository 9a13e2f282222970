/* state.h - persistent state in SQLite (WAL) or PostgreSQL (db.h): what was posted, the
 * publication history, and the hash cache that spares re-reading images.
 *
 * One struct state per process, safe to share between threads (the
 * connection is serialized). A read-only state (preview, dry publish, debug)
 * never writes the database file: cache updates stay in memory and the
 * posting functions fail. */
#ifndef PHOTOPUB_STATE_STATE_H
#define PHOTOPUB_STATE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "types/session.h"
#include "util/error.h"
#include "util/strv.h"

struct state;

/* Opens (creating when missing, unless read_only) the database at path and
 * its folder, or, when path is a postgresql:// URL, that PostgreSQL
 * database (its password, if any, becomes a secret no message shows).
 * On first use imports upstream's posted.json
 * ($XDG_CACHE_HOME/publisher_v2/posted.json, default ~/.cache/…) when present.
 * read_only with a missing file gives an empty in-memory state. */
int state_open(const char *path, bool read_only, struct state **out, struct pp_error *err);
void state_close(struct state *st);
/* The state cfg names: state_open of [State] path, or of [State] url with
 * [State] backend = postgres. */
struct config;
int state_open_config(const struct config *cfg, bool read_only, struct state **out,
		      struct pp_error *err);

bool state_is_posted_sha256(struct state *st, const char *sha256);
bool state_is_posted_content_hash(struct state *st, const char *content_hash);

/* Records both hashes (content_hash may be NULL) as posted, in one transaction. */
int state_mark_posted(struct state *st, const char *sha256, const char *content_hash,
		      struct pp_error *err);

/* One row of publication history: a platform's answer to one attempt, or
 * a curation action (platform HISTORY_CURATION, action keep / remove /
 * delete). */
struct history_row {
	const char *image;
	const char *sha256;
	const char *platform;
	const char *post_id;        /* NULL on failure */
	bool success;
	const char *error;          /* NULL on success */
	const char *correlation_id;
	const char *url;            /* the post's link (a path for the outbox) or, for a
				       curation row, where the image went; NULL: none */
	const char *action;         /* NULL for a post; "keep", "remove", "delete" */
};

/* The platform of curation rows. */
#define HISTORY_CURATION "storage"

/* Which history rows to read: since (a time as the rows hold it,
 * "2026-11-29T07:02:41.952Z") and platform, NULL for any; at most limit
 * rows (0: all); newest first or oldest first. */
struct history_filter {
	const char *since;
	const char *platform;
	long limit;
	bool newest_first;
};

/* Appends rows (one per platform) with the current UTC time, in one transaction. */
int state_add_history(struct state *st, const struct history_row *rows, size_t n,
		      struct pp_error *err);

/* The history rows at or after since (a time as the rows hold it,
 * "2026-11-29T07:02:41.952Z"; NULL: all) and of platform (NULL: all),
 * oldest first. cb gets each row and its time; a non-zero return stops. */
int state_history_each(struct state *st, const char *since, const char *platform,
		       int (*cb)(void *arg, const char *time, const struct history_row *row),
		       void *arg, struct pp_error *err);
/* The same with every choice of struct history_filter. */
int state_history_query(struct state *st, const struct history_filter *f,
			int (*cb)(void *arg, const char *time, const struct history_row *row),
			void *arg, struct pp_error *err);

/* Hash cache, keyed by the file's absolute path, size and mtime (ns):
 * a changed file is a miss. Hex digests, 64 characters. */
struct hash_entry {
	char sha256[65];
	char content_hash[65];
};

/* Loads every cache row whose key starts with prefix (a folder path ending
 * in '/') into memory, so the lookups of a listing cost no query each. */
int state_cache_preload(struct state *st, const char *prefix, struct pp_error *err);
bool state_cache_get(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		     struct hash_entry *out);
/* Stores an entry (in memory only when read-only). */
int state_cache_put(struct state *st, const char *key, int64_t size, int64_t mtime_ns,
		    const struct hash_entry *e, struct pp_error *err);

/* ---- the publish journal (journal.c) -------------------------------------
 *
 * Before a run calls any platform it records its intent: the image, its
 * hashes, the caption and one row per platform, "pending". Each platform's
 * outcome replaces its row as it arrives. Settling the intent (posted
 * hashes, history, archive) ends with state_journal_finish. An intent left
 * unfinished is what a killed run leaves: the next run resolves it. */

#define JOURNAL_MAX_PLATFORMS 8

#define JOURNAL_OUTCOMES(X) \
	X(PENDING, "pending") /* sent, or about to be: outcome not known yet */ \
	X(POSTED, "posted")   /* the platform has it */ \
	X(FAILED, "failed")   /* the platform does not have it */ \
	X(UNKNOWN, "unknown") /* it may have it: never send it again */

enum journal_outcome {
#define X(id, name) JOURNAL_##id,
	JOURNAL_OUTCOMES(X)
#undef X
};

const char *journal_outcome_name(enum journal_outcome o);

struct journal_platform {
	const char *platform;
	enum journal_outcome outcome;
	const char *post_id;         /* when posted */
	const char *error;           /* when failed or unknown */
	const char *correlation_id;  /* the run that last sent it */
	const char *url;             /* the post's link when posted; may be NULL */
	const char *caption;         /* its own caption (an override), NULL: the
					intent's; recorded when the row is added */
};

struct journal_intent {
	int64_t id;                  /* set by state_journal_begin */
	const char *correlation_id;  /* the run that recorded the intent */
	const char *image, *sha256, *content_hash; /* content_hash may be NULL */
	const char *caption, *sd_caption;          /* as sent; may be NULL */
	const char *alt_text;                      /* as sent; may be NULL */
	const char *owner;           /* proc_owner() of that run */
	const char *started_at;      /* filled when loaded */
	const char *analysis;        /* analysis_to_json of what was sent, as text; may be NULL */
	const char *finished_at;     /* filled by state_journal_find; NULL: unfinished */
	const char *archived_as;     /* filled by state_journal_find: its name in the
					archive once archived; NULL: not archived (or
					a run of an older photopub) */
	size_t n;
	struct journal_platform platforms[JOURNAL_MAX_PLATFORMS];
	struct strv *strings;        /* owns the strings of a loaded intent */
};

/* Records in (its platforms as given, normally all pending) and sets in->id. */
int state_journal_begin(struct state *st, struct journal_intent *in, struct pp_error *err);
/* Records one platform's outcome (adding the row when it is new). */
int state_journal_set(struct state *st, int64_t id, const struct journal_platform *p,
		      struct pp_error *err);
/* Marks the intent done. */
int state_journal_finish(struct state *st, int64_t id, struct pp_error *err);
/* Every unfinished intent, oldest first, with its platforms; *n = 0 when
 * none. Release with state_journal_release. */
int state_journal_open(struct state *st, struct journal_intent **out, size_t *n,
		       struct pp_error *err);
void state_journal_release(struct journal_intent *v, size_t n);
/* The intent of one run, finished or not, with its platforms, into *out
 * (release with state_journal_release(*out, 1)): run is its correlation id
 * (or the id of a run that sent one of its platforms again, a retry), else
 * the start of one when prefix_ok; NULL: the newest intent. Fails with kind
 * "not_found" when no run matches, "invalid" when a prefix matches two. */
int state_journal_find(struct state *st, const char *run, bool prefix_ok,
		       struct journal_intent **out, struct pp_error *err);
/* Records the name the intent's image has in the archive. */
int state_journal_set_archived(struct state *st, int64_t id, const char *archived_as,
			       struct pp_error *err);

/* ---- the quarantine (quarantine.c) ----------------------------------------
 * Images that cannot be posted (they do not decode, or their pixels do not
 * match their header), by SHA-256 and content hash: selection and the web
 * never offer them again. */
struct quarantine_entry {
	const char *sha256;
	const char *content_hash;    /* may be NULL */
	const char *image;
	const char *reason;
	const char *moved_to;        /* "<folder>/<name>", NULL: left in place */
	const char *correlation_id;
};
int state_quarantine_add(struct state *st, const struct quarantine_entry *q,
			 struct pp_error *err);
/* Either hash may be NULL or "". */
bool state_is_quarantined(struct state *st, const char *sha256, const char *content_hash);

/* ---- saved sessions (sessions.c) -------------------------------------------
 * A platform's login kept between runs, by service URL and account name.
 * The tokens are secrets: the state file holds them (mode 0600), nothing
 * logs them. */
/* 1 with *out filled (release with saved_session_release), 0 when none is
 * saved, -1 on a database error. */
int state_session_get(struct state *st, const char *service, const char *account,
		      struct saved_session *out, struct pp_error *err);
/* Saves s in place of the one kept; s NULL forgets it. */
int state_session_put(struct state *st, const char *service, const char *account,
		      const struct saved_session *s, struct pp_error *err);

/* ---- claims (claim.c) -------------------------------------------------------
 * Concurrent runs, in one process or many, on one machine or several, never
 * choose the same image: a run claims the image it chose (by SHA-256) in
 * the state, in one write transaction, which serializes claims on both
 * backends. A claim lasts until its run releases it or its process is gone
 * (seen at once on the same machine); a claim of another machine's process,
 * until its lease ends (lease_s seconds after it was made or renewed: what
 * a run that crashed there holds an image for at most). */
#define STATE_CLAIM_LEASE_S 1800
/* 1: the image is this run's (claimed now, or already by run); 0: another
 * live run holds it or, with unposted_only, it was posted meanwhile (either
 * hash; content_hash may be NULL); -1: a database error. A read-only state
 * claims nothing and answers 1. */
int state_claim(struct state *st, const char *sha256, const char *content_hash,
		const char *run, bool unposted_only, int lease_s, struct pp_error *err);
/* Releases run's claim of sha256 (another run's stays). */
int state_claim_release(struct state *st, const char *sha256, const char *run,
			struct pp_error *err);

/* ---- the web admin's sessions and logins (admin.c) -------------------------
 * What the replicas of `photopub serve` over one database share, so that
 * any of them answers as one would: the admin sessions logout ended (by a
 * digest of the session, never the cookie itself) and the failed logins by
 * client address. Times are Unix seconds. */
/* Ends session (until expiry, then the row goes); expired rows are pruned. */
int state_admin_revoke(struct state *st, const char *session, int64_t expiry, int64_t now,
		       struct pp_error *err);
/* *out: whether session was ended and would not have expired by now. */
int state_admin_revoked(struct state *st, const char *session, int64_t now, bool *out,
			struct pp_error *err);
/* Counts a failed login of client at now; failures older than window_s
 * are pruned. */
int state_login_failed(struct state *st, const char *client, int64_t now, int64_t window_s,
		       struct pp_error *err);
/* *at: the time of the nth newest failure (from 1) after since, of client,
 * or of anyone when client is NULL; 0 when there are fewer. */
int state_login_nth_failure(struct state *st, const char *client, int64_t since, int nth,
			    int64_t *at, struct pp_error *err);

/* A trivial query: whether the database answers (health checks). */
int state_ping(struct state *st, struct pp_error *err);

/* Groups many state_cache_put calls into one transaction. */
int state_begin(struct state *st, struct pp_error *err);
int state_commit(struct state *st, struct pp_error *err);
/* Ends a group without keeping it: at the outermost level everything since
 * state_begin is undone. */
void state_rollback(struct state *st);

#endif
