/* storage.c - picks the storage backend the configuration names, and the
 * helpers every backend shares (which names are images, listing release). */
#include <stdlib.h>
#include <strings.h>
#include "storage/storage.h"
#include "util/fsutil.h"

int storage_open(const struct config *cfg, struct state *st, struct storage **out,
		 struct pp_error *err)
{
	*out = NULL;
	switch (cfg->backend) {
	case STORAGE_LOCAL:
		return local_storage.open(cfg, st, out, err);
	case STORAGE_DROPBOX:
		return dropbox_storage.open(cfg, st, out, err);
	}
	return pp_fail_kind(err, "storage", "unsupported", "unknown storage backend %d",
			    (int)cfg->backend);
}

bool storage_is_image_name(const char *name)
{
	if (!name)
		return false;
	const char *ext = fs_ext(name);
	return !strcasecmp(ext, ".jpg") || !strcasecmp(ext, ".jpeg") || !strcasecmp(ext, ".png");
}

/* Frees every item's name and the array; l is left empty and reusable. */
void storage_list_release(struct storage_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
