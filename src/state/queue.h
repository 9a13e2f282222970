/* queue.h - the posting deck in the state (queue.c): the images waiting to
 * be posted, in the order they will go, each queued, pinned (put next by
 * hand) or held (left out until released); and the seed that shuffles the
 * next images to join it. core/queue.h decides what joins and leaves; this
 * only keeps it. */
#ifndef PHOTOPUB_STATE_QUEUE_H
#define PHOTOPUB_STATE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "state/state.h"
#include "util/error.h"

#define QUEUE_MARKS(X) \
	X(QUEUED, "queued") /* waits for its turn */ \
	X(PINNED, "pinned") /* put at the front by `queue pin` */ \
	X(HELD, "held")     /* never posted until `queue release` */

enum queue_mark {
#define X(id, name) QUEUE_##id,
	QUEUE_MARKS(X)
#undef X
};

const char *queue_mark_name(enum queue_mark m);

struct queue_row {
	char *name;
	enum queue_mark mark;
	char added_at[32];      /* when it joined (UTC, RFC 3339); "" for a row not stored yet */
};

/* The deck as stored. Release with state_queue_deck_release. */
struct queue_deck {
	struct queue_row *rows; /* first to post first */
	size_t n;
	bool has_seed;
	uint64_t seed;          /* shuffles the next images to join (drawn a run ahead,
				   so that a read-only preview knows the order) */
	char order[16];         /* the [Content] order it was stored in; "" never stored */
};

/* The stored deck; an empty one (no rows, no seed) when a read-only file of
 * an older schema has no queue table. */
int state_queue_load(struct state *st, struct queue_deck *out, struct pp_error *err);
void state_queue_deck_release(struct queue_deck *d);

/* Replaces the stored deck by rows, in that order (each keeps its mark; an
 * empty added_at becomes now), records order as the deck's order and, when
 * new_seed, draws the next seed from random_bytes. One transaction; rows
 * stay the caller's. */
int state_queue_store(struct state *st, const struct queue_row *rows, size_t n,
		      const char *order, bool new_seed, struct pp_error *err);

/* What the queue commands do to one image of the deck. */
enum queue_op {
	QUEUE_OP_PIN,      /* first, marked pinned (the latest pin goes first) */
	QUEUE_OP_SKIP,     /* last, marked queued */
	QUEUE_OP_HOLD,     /* marked held, keeps its place */
	QUEUE_OP_RELEASE,  /* a held image is queued again at its place */
};

/* Applies op to name; kind "not_found" when name is not in the deck. */
int state_queue_apply(struct state *st, const char *name, enum queue_op op,
		      struct pp_error *err);

/* Takes name out of the deck (posted); nothing to do is no error. */
int state_queue_remove(struct state *st, const char *name, struct pp_error *err);

/* Whether the deck can be stored: false for a read-only state. */
bool state_queue_writable(const struct state *st);

/* ---- many images at once (known.c) ------------------------------------------
 * The posted and quarantined hashes read in one pass, for building the queue
 * of a large listing, where a query per image would cost more than reading
 * them all. */
struct state_known;

/* Loads them into *out (free with state_known_free), unless there are more
 * than max_rows: then *out is NULL (and 0 is returned), and the caller asks
 * per image (state_is_posted_*, state_is_quarantined). */
int state_known_load(struct state *st, size_t max_rows, struct state_known **out,
		     struct pp_error *err);
/* What state_is_posted_sha256 || state_is_posted_content_hash ||
 * state_is_quarantined would say; either hash may be NULL or "". */
bool state_known_has(const struct state_known *k, const char *sha256, const char *content_hash);
void state_known_free(struct state_known *k);

#endif
