/* selection.h - choosing the image of a run (REFERENCE "Selection and
 * dedup"): --select, or the first of the posting queue (core/queue.h) that
 * is still new, downloading as few images as possible. */
#ifndef PHOTOPUB_CORE_SELECTION_H
#define PHOTOPUB_CORE_SELECTION_H

#include "core/queue.h"
#include "types/models.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"

struct selection {
	char *name;              /* chosen image */
	char *temp_path;         /* private copy of its bytes (0600); caller unlinks */
	char sha256[65];
	char content_hash[65];
	int64_t size;
	unsigned downloads;      /* how many images were downloaded to choose */
	size_t queue_position;   /* its 1-based place in the queue; 0 with select_name */
	bool claimed;            /* this run's claim in state (state_claim): release it
				    with selection_unclaim */
};

/* Chooses from list. With select_name takes exactly that file (posted or
 * not); without, the first postable image of queue (built from list) that is
 * still in list and in storage (one gone since the listing, posted and
 * archived by a concurrent run, is passed over; when nothing else is left
 * the last such one's not_found error is the result) and whose downloaded
 * bytes were not posted. Fails with
 * err->kind "no_images", "all_duplicates" or "not_found" and the upstream
 * messages ("No images found", "No new images to post (all duplicates)",
 * "Selected file not found: NAME"). The image chosen is claimed for the run
 * (state.h: a concurrent run never chooses it too): without select_name an
 * image another run holds is passed over; select_name's fails with kind
 * "conflict". On success the caller owns *sel
 * (selection_release unlinks the temp file). */
int selection_choose(struct storage *st, struct state *state, const struct pp_ctx *ctx,
		     const struct storage_list *list, const char *select_name,
		     const struct queue *queue, struct selection *sel, struct pp_error *err);

void selection_release(struct selection *sel);
/* Releases the run's claim of the chosen image, if it holds one; a failure
 * is logged (state_error), not returned: the claim's lease ends it. */
void selection_unclaim(struct state *state, const struct pp_ctx *ctx, struct selection *sel);

#endif
