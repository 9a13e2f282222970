/* selection.c - picks the run's image: shuffles the listing, skips what the
 * posted state already knows by content hash or SHA-256 (and the
 * quarantined), and downloads
 * candidates one at a time until one is new. */
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

/* splitmix64: a fast generator for the shuffle, seeded once per choice
 * from the OS random source (a syscall per element would cost more than the
 * whole walk). */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int selection_choose(struct storage *st, struct state *state, const struct pp_ctx *ctx,
		     const struct storage_list *list, const char *select_name,
		     struct selection *sel, struct pp_error *err)
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
		sel->name = xstrdup(found->name);
		return 0;
	}
	if (list->n == 0)
		return pp_fail_kind(err, "selection", PP_ERR_NO_IMAGES, "No images found");

	/* Walk the listing in random order (Fisher–Yates) and take the first
	 * image not known as posted: with most of a large folder posted this
	 * looks up a few hashes, not all of them. */
	size_t n = list->n;
	size_t *order = xcalloc(n, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	uint64_t seed = 0;
	random_bytes(&seed, sizeof(seed));
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(next_random(&seed) % i);
		size_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	int rc = -1;
	for (size_t k = 0; k < n; k++) {
		const struct storage_item *it = &list->items[order[k]];
		struct pp_error ferr = { 0 };
		if ((it->content_hash[0] && state_is_posted_content_hash(state, it->content_hash)) ||
		    (it->sha256[0] && state_is_posted_sha256(state, it->sha256)) ||
		    state_is_quarantined(state, it->sha256, it->content_hash))
			continue; /* known without downloading it */
		if (fetch(st, ctx, it->name, sel, &ferr) < 0) {
			*err = ferr;
			goto out;
		}
		if (state_is_posted_sha256(state, sel->sha256) ||
		    state_is_posted_content_hash(state, sel->content_hash)) {
			log_debug(LOGGER, "selection_skip_duplicate", ctx->correlation_id,
				  LF_STR("image", it->name), LF_STR("sha256", sel->sha256));
			drop_temp(sel);
			continue;
		}
		if (state_is_quarantined(state, sel->sha256, sel->content_hash)) {
			drop_temp(sel);
			continue;
		}
		sel->name = xstrdup(it->name);
		rc = 0;
		goto out;
	}
	pp_fail_kind(err, "selection", PP_ERR_ALL_POSTED, "No new images to post (all duplicates)");
out:
	free(order);
	if (rc < 0)
		drop_temp(sel);
	return rc;
}
