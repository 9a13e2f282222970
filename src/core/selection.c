/* selection.c - picks the run's image: --select's, or the posting queue's
 * candidates from its head (the queue leaves out what the posted state knows
 * by content hash or SHA-256, and the quarantined), downloaded one at a time
 * until one is new. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/selection.h"
#include "storage/content_hash.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define LOGGER "workflow"

void selection_unclaim(struct state *state, const struct pp_ctx *ctx, struct selection *sel)
{
	struct pp_error err = { 0 };
	if (!sel->claimed)
		return;
	sel->claimed = false;
	if (state_claim_release(state, sel->sha256, pp_cid(ctx), &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("error", err.msg));
}

void selection_release(struct selection *sel)
{
	if (sel->temp_path) {
		fs_temp_remove(sel->temp_path);
		free(sel->temp_path);
	}
	free(sel->name);
	*sel = (struct selection){ 0 };
}

/* Downloads name into a new private temp file and hashes it. */
static int fetch(struct storage *st, const struct pp_ctx *ctx, const char *name,
		 struct selection *sel, struct pp_error *err)
{
	char *path = NULL;
	int fd = -1;
	const char *ext = fs_ext(name);
	if (fs_temp_file(*ext && strlen(ext) < 8 ? ext : ".img", &path, &fd, err) < 0)
		return -1;
	sel->temp_path = path;
	sel->downloads++;
	if (storage_download(st, ctx, name, fd, err) < 0 ||
	    hash_fd(fd, sel->sha256, sel->content_hash, err) < 0) {
		close(fd);
		fs_temp_remove(path);
		free(path);
		sel->temp_path = NULL;
		return -1;
	}
	sel->size = lseek(fd, 0, SEEK_END);
	close(fd);
	return 0;
}

static void drop_temp(struct selection *sel)
{
	if (sel->temp_path) {
		fs_temp_remove(sel->temp_path);
		free(sel->temp_path);
		sel->temp_path = NULL;
	}
}

int selection_choose(struct storage *st, struct state *state, const struct pp_ctx *ctx,
		     const struct storage_list *list, const char *select_name,
		     const struct queue *queue, struct selection *sel, struct pp_error *err)
{
	*sel = (struct selection){ 0 };
	if (select_name) {
		const struct storage_item *found = NULL;
		for (size_t i = 0; i < list->n; i++)
			if (!strcmp(list->items[i].name, select_name))
				found = &list->items[i];
		if (!found)
			return pp_fail_kind(err, "selection", PP_ERR_NOT_FOUND,
					    "Selected file not found: %s", select_name);
		if (fetch(st, ctx, found->name, sel, err) < 0)
			return -1;
		int c = state_claim(state, sel->sha256, sel->content_hash, pp_cid(ctx), false,
				    STATE_CLAIM_LEASE_S, err);
		if (c <= 0) {
			drop_temp(sel);
			if (c == 0)
				pp_fail_kind(err, "selection", PP_ERR_CONFLICT,
					     "%s is being posted by another run", found->name);
			return -1;
		}
		sel->claimed = true;
		sel->name = xstrdup(found->name);
		return 0;
	}
	if (list->n == 0)
		return storage_no_images(list, "selection", err);

	/* The queue holds only images its listed hashes do not know as posted:
	 * walk it from the head and take the first whose bytes are new too. */
	struct pp_error gone = { 0 }; /* the last candidate gone since the listing */
	for (size_t k = 0; k < queue->npostable; k++) {
		const struct queue_entry *e = &queue->v[k];
		struct pp_error ferr = { 0 };
		if (!storage_list_has(list, e->item.name))
			continue; /* set aside earlier in this run */
		if (fetch(st, ctx, e->item.name, sel, &ferr) < 0) {
			drop_temp(sel);
			if (ferr.kind == PP_ERR_NOT_FOUND) {
				/* Gone since the listing: a concurrent run posted and
				 * archived it (or it was moved away). The next. */
				log_debug(LOGGER, "selection_skip_gone", ctx->correlation_id,
					  LF_STR("image", e->item.name), LF_STR("error", ferr.msg));
				gone = ferr;
				continue;
			}
			*err = ferr;
			return -1;
		}
		if (state_is_posted_sha256(state, sel->sha256) ||
		    state_is_posted_content_hash(state, sel->content_hash)) {
			log_debug(LOGGER, "selection_skip_duplicate", ctx->correlation_id,
				  LF_STR("image", e->item.name), LF_STR("sha256", sel->sha256));
			drop_temp(sel);
			continue;
		}
		if (state_is_quarantined(state, sel->sha256, sel->content_hash)) {
			drop_temp(sel);
			continue;
		}
		/* Posted meanwhile, or chosen by a concurrent run: the next. */
		int c = state_claim(state, sel->sha256, sel->content_hash, pp_cid(ctx), true,
				    STATE_CLAIM_LEASE_S, &ferr);
		if (c < 0) {
			*err = ferr;
			drop_temp(sel);
			return -1;
		}
		if (c == 0) {
			log_debug(LOGGER, "selection_skip_claimed", ctx->correlation_id,
				  LF_STR("image", e->item.name), LF_STR("sha256", sel->sha256));
			drop_temp(sel);
			continue;
		}
		sel->claimed = true;
		sel->name = xstrdup(e->item.name);
		sel->queue_position = k + 1;
		return 0;
	}
	if (gone.kind != PP_ERR_NONE) {
		/* Nothing new was left but what vanished: say what vanished. */
		*err = gone;
		return -1;
	}
	if (queue->n > queue->npostable)
		return pp_fail_kind(err, "selection", PP_ERR_ALL_POSTED,
				    "No new images to post (all duplicates; %zu held in the queue)",
				    queue->n - queue->npostable);
	return pp_fail_kind(err, "selection", PP_ERR_ALL_POSTED, "No new images to post (all duplicates)");
}
