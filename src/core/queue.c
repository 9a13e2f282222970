/* queue.c - the posting queue (queue.h): reconciling the stored deck with a
 * listing (who joins, who leaves, where the newcomers go for each [Content]
 * order), the posting order with the held images last, storing it, and
 * its JSON. */
#include <stdlib.h>
#include <string.h>
#include "core/queue.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/hash.h"

#define LOGGER "workflow"

/* One image of the deck while it is built. */
struct cand {
	size_t idx;                /* in the listing */
	enum queue_mark mark;
	const char *added_at;
	enum content_order order;  /* how cands compare */
	uint64_t key;              /* random: the shuffle key */
	int64_t mtime;
	const char *name;
};

/* ---- the shuffle key ------------------------------------------------------ */

/* The seed that places the images joining now: the one a previous run drew
 * for them, or, before any was drawn, one every reader of this state
 * derives alike (from its path), so a preview of a new state still shows
 * what its first run posts. */
static uint64_t placing_seed(const struct config *cfg, const struct queue_deck *d)
{
	if (d->has_seed)
		return d->seed;
	const char *path = cfg->state_path ? cfg->state_path : "";
	return hash_mix64(hash_fnv1a64("photopub queue\n") ^ hash_fnv1a64(path));
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	switch (a->order) {
	case ORDER_RANDOM:
		if (a->key != b->key)
			return a->key < b->key ? -1 : 1;
		break;
	case ORDER_OLDEST:
		if (a->mtime != b->mtime)
			return a->mtime < b->mtime ? -1 : 1;
		break;
	case ORDER_NEWEST:
		if (a->mtime != b->mtime)
			return a->mtime > b->mtime ? -1 : 1;
		break;
	case ORDER_NAME:
		break;
	}
	return strcmp(a->name, b->name);
}

/* ---- the listing by name ---------------------------------------------------- */

struct named {
	const char *name;
	size_t idx;
};

struct by_name {
	struct named *v;           /* the listing's names, sorted */
	size_t n;
};

static int named_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct named *)pa)->name, ((const struct named *)pb)->name);
}

static void by_name_init(struct by_name *b, const struct storage_list *list)
{
	b->n = list->n;
	b->v = xcalloc(list->n ? list->n : 1, sizeof(*b->v));
	for (size_t i = 0; i < list->n; i++)
		b->v[i] = (struct named){ .name = list->items[i].name, .idx = i };
	qsort(b->v, b->n, sizeof(*b->v), named_cmp);
}

/* The listing index of name, or -1. */
static long by_name_find(const struct by_name *b, const char *name)
{
	struct named key = { .name = name };
	const struct named *hit = bsearch(&key, b->v, b->n, sizeof(*b->v), named_cmp);
	return hit ? (long)hit->idx : -1;
}

/* ---- building ------------------------------------------------------------------ */

/* Reading every posted hash costs about as much as this many lookups per
 * image of the listing: past it, each image is looked up instead. */
#define KNOWN_ROWS_PER_IMAGE 8

/* Whether it can still be posted, as far as its listed hashes tell: from
 * known when the hashes were read at once, else asking the state. */
static bool postable(struct state *st, const struct state_known *known,
		     const struct storage_item *it)
{
	if (known)
		return !state_known_has(known, it->sha256, it->content_hash);
	return !((it->content_hash[0] && state_is_posted_content_hash(st, it->content_hash)) ||
		 (it->sha256[0] && state_is_posted_sha256(st, it->sha256)) ||
		 state_is_quarantined(st, it->sha256, it->content_hash));
}

static struct cand make_cand(const struct storage_list *list, size_t idx, enum content_order order,
			     uint64_t seed)
{
	const struct storage_item *it = &list->items[idx];
	return (struct cand){ .idx = idx, .order = order,
			      .key = hash_mix64(seed ^ hash_fnv1a64(it->name)),
			      .mtime = it->mtime_ns, .name = it->name };
}

/* Places the cands of the deck (kept, in stored order) and the ones that
 * join (arrivals): pinned first as they were; then, for random, the kept
 * and the arrivals shuffled behind them; for the other orders each arrival
 * goes before the first kept image that sorts after it (the deck in that
 * order takes them where they belong; one reordered by skips still takes
 * them deterministically). Returns the deck in *out (n entries). */
static void place(struct cand *kept, size_t nkept, struct cand *arr, size_t narr, bool resort,
		  enum content_order order, struct cand *out)
{
	size_t n = 0, nrest = 0;
	for (size_t i = 0; i < nkept; i++)
		if (kept[i].mark == QUEUE_PINNED)
			out[n++] = kept[i];
		else
			kept[nrest++] = kept[i]; /* the others, in order, at the front of kept */
	if (resort)
		qsort(kept, nrest, sizeof(*kept), cand_cmp);
	qsort(arr, narr, sizeof(*arr), cand_cmp);
	size_t j = 0;
	for (size_t i = 0; i < nrest; i++) {
		while (order != ORDER_RANDOM && j < narr && cand_cmp(&arr[j], &kept[i]) < 0)
			out[n++] = arr[j++];
		out[n++] = kept[i];
	}
	while (j < narr)
		out[n++] = arr[j++];
}

static struct queue_entry entry_of(const struct storage_list *list, const struct cand *c)
{
	struct queue_entry e = { .item = list->items[c->idx], .mark = c->mark,
				 .added_at = c->added_at };
	e.item.name = xstrdup(list->items[c->idx].name);
	return e;
}

int queue_build(struct state *st, const struct config *cfg, const struct storage_list *list,
		struct queue *out, struct pp_error *err)
{
	*out = (struct queue){ .order = cfg->order };
	if (state_queue_load(st, &out->loaded, err) < 0)
		return -1;
	const struct queue_deck *d = &out->loaded;
	uint64_t seed = placing_seed(cfg, d);
	struct state_known *known = NULL;
	if (state_known_load(st, KNOWN_ROWS_PER_IMAGE * list->n + 64, &known, err) < 0) {
		state_queue_deck_release(&out->loaded);
		return -1;
	}
	struct by_name b;
	by_name_init(&b, list);
	bool *seen = xcalloc(list->n ? list->n : 1, sizeof(bool));
	struct cand *kept = xcalloc(d->n ? d->n : 1, sizeof(*kept));
	struct cand *arr = xcalloc(list->n ? list->n : 1, sizeof(*arr));
	size_t nkept = 0, narr = 0;

	for (size_t i = 0; i < d->n; i++) {
		long idx = by_name_find(&b, d->rows[i].name);
		if (idx < 0 || seen[idx] || !postable(st, known, &list->items[idx])) {
			out->removed++;
			continue;
		}
		seen[idx] = true;
		kept[nkept] = make_cand(list, (size_t)idx, cfg->order, seed);
		kept[nkept].mark = d->rows[i].mark;
		kept[nkept++].added_at = d->rows[i].added_at;
	}
	for (size_t i = 0; i < list->n; i++)
		if (!seen[i] && postable(st, known, &list->items[i]))
			arr[narr++] = make_cand(list, i, cfg->order, seed);
	out->added = narr;
	const char *order_name = config_content_order_name(cfg->order);
	bool resort = nkept > 0 && strcmp(d->order, order_name) != 0;
	out->changed = out->added || out->removed || resort;

	size_t n = nkept + narr;
	struct cand *deck = xcalloc(n ? n : 1, sizeof(*deck));
	place(kept, nkept, arr, narr, resort, cfg->order, deck);

	/* The posting order: the deck without the held, then the held. */
	out->v = xcalloc(n ? n : 1, sizeof(*out->v));
	out->deck = xcalloc(n ? n : 1, sizeof(*out->deck));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if ((deck[i].mark == QUEUE_HELD) == (pass == 1))
				out->v[out->n++] = entry_of(list, &deck[i]);
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].mark != QUEUE_HELD)
			out->npostable++;
	/* The deck as stored: held images keep their place. */
	for (size_t i = 0, p = 0, h = out->npostable; i < n; i++) {
		const struct queue_entry *e = &out->v[deck[i].mark == QUEUE_HELD ? h++ : p++];
		out->deck[i] = (struct queue_row){ .name = e->item.name, .mark = e->mark };
		snprintf(out->deck[i].added_at, sizeof(out->deck[i].added_at), "%s",
			 e->added_at ? e->added_at : "");
	}
	free(deck);
	free(kept);
	free(arr);
	free(seen);
	free(b.v);
	state_known_free(known);
	return 0;
}

int queue_store(struct state *st, const struct queue *q, const struct pp_ctx *ctx,
		struct pp_error *err)
{
	if (!q->changed || !state_queue_writable(st))
		return 0;
	/* The seed that placed these is spent: the next ones get new bytes. */
	bool new_seed = !q->loaded.has_seed || (q->order == ORDER_RANDOM && q->added);
	const char *order = config_content_order_name(q->order);
	if (state_queue_store(st, q->deck, q->n, order, new_seed, err) < 0)
		return -1;
	log_info(LOGGER, "queue_updated", pp_cid(ctx), LF_STR("order", order),
		 LF_INT("length", q->n), LF_INT("added", q->added), LF_INT("removed", q->removed),
		 LF_BOOL("reordered", q->loaded.n > 0 && strcmp(q->loaded.order, order) != 0));
	return 0;
}

void queue_release(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].item.name);
	free(q->v);
	free(q->deck);
	state_queue_deck_release(&q->loaded);
	*q = (struct queue){ 0 };
}

long queue_find(const struct queue *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->v[i].item.name, name))
			return (long)i;
	return -1;
}

const char *queue_status(const struct queue *q, size_t i)
{
	if (i >= q->npostable)
		return "held";
	if (i == 0)
		return "next";
	return q->v[i].mark == QUEUE_PINNED ? "pinned" : "queued";
}

json_t *queue_json(const struct queue *q, size_t limit)
{
	json_t *items = json_array();
	for (size_t i = 0; i < q->n && i < limit; i++) {
		const struct queue_entry *e = &q->v[i];
		json_array_append_new(
			items, json_pack("{s:s, s:I, s:s, s:b, s:o, s:I}", "filename", e->item.name,
					 "position", (json_int_t)(i + 1), "status", queue_status(q, i),
					 "pinned", e->mark == QUEUE_PINNED, "added_at",
					 e->added_at && *e->added_at ? json_string(e->added_at)
								     : json_null(),
					 "size", (json_int_t)e->item.size));
	}
	return json_pack("{s:o, s:I}", "items", items, "count", (json_int_t)q->n);
}

const char *queue_absent_reason(struct state *st, const struct storage_list *list,
				const char *name)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct storage_item *it = &list->items[i];
		if (strcmp(it->name, name))
			continue;
		if (state_is_quarantined(st, it->sha256, it->content_hash))
			return "it is quarantined";
		if (!postable(st, NULL, it))
			return "it was posted already";
		return "it is not in the queue";
	}
	return "no such image in the folder";
}
