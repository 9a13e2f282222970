/* queue.h - the posting queue: the order in which the images of the folder
 * will be posted, built from the deck stored in the state (state/queue.h)
 * and a storage listing, by the [Content] order setting.
 *
 * Building never writes: images the deck does not hold yet are placed
 * deterministically (a sort by name or time, or for `random` a key of the
 * name mixed with the seed the state holds for them), so a read-only
 * preview, `photopub queue` and the web compute exactly the order that the
 * next run stores and posts from. Posted, quarantined and unlisted images
 * are not in it; held images come after every other, and are never posted. */
#ifndef PHOTOPUB_CORE_QUEUE_H
#define PHOTOPUB_CORE_QUEUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"
#include "state/queue.h"
#include "state/state.h"
#include "storage/storage.h"
#include "types/ctx.h"
#include "util/error.h"

#define QUEUE_DEFAULT_LIMIT 50
#define QUEUE_MAX_LIMIT 10000

struct queue_entry {
	struct storage_item item;  /* a copy of the listing's item (name owned) */
	enum queue_mark mark;
	const char *added_at;      /* when it joined the deck; NULL: it joins at the next run */
};

struct queue {
	struct queue_entry *v;     /* posting order: v[0] goes next; the held ones last */
	size_t n;
	size_t npostable;          /* v[0 .. npostable) are posted in this order */
	enum content_order order;
	/* What the next run that posts stores (queue_store). */
	bool changed;              /* the stored deck differs from this one */
	size_t added, removed;     /* images that join it, and that leave it */
	struct queue_row *deck;    /* the deck to store, in stored order (held in place);
				      names point into v */
	struct queue_deck loaded;  /* the stored deck it was built from */
};

/* Builds *out (release with queue_release) from the state's deck and list
 * for cfg's [Content] order. Writes nothing. */
int queue_build(struct state *st, const struct config *cfg, const struct storage_list *list,
		struct queue *out, struct pp_error *err);

/* Stores q's deck when it changed (a `queue_updated` line says what
 * changed); nothing to do when the state is read-only. */
int queue_store(struct state *st, const struct queue *q, const struct pp_ctx *ctx,
		struct pp_error *err);

void queue_release(struct queue *q);

/* The 0-based place of name in q, or -1. */
long queue_find(const struct queue *q, const char *name);

/* What entry i is: "next" (the first postable), "pinned", "queued" or "held". */
const char *queue_status(const struct queue *q, size_t i);

/* {"items": [{"filename", "position", "status", "pinned", "added_at", "size",
 * "mtime"}] (the first limit entries), "count": n}: the shape of
 * `photopub queue --json` and GET /api/queue. New reference. */
json_t *queue_json(const struct queue *q, size_t limit);

/* Why name is not in q, for an error message: "no such image in the
 * folder", "it was posted already", "it is quarantined". */
const char *queue_absent_reason(struct state *st, const struct storage_list *list,
				const char *name);

#endif
