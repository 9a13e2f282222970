/* skipped.c - what a listing left out for its type, and the "No images
 * found" message that names the folder, those files and the supported
 * types. */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "storage/storage.h"
#include "util/buf.h"
#include "util/fsutil.h"

void storage_list_skip(struct storage_list *l, const char *name)
{
	const char *ext = fs_ext(name);
	size_t n = strlen(ext);
	if (n < 2 || !strcasecmp(ext, ".txt"))
		return; /* no extension, or a sidecar */
	char low[sizeof(l->skipped[0].ext)];
	if (n >= sizeof(low))
		snprintf(low, sizeof(low), "other");
	else
		for (size_t i = 0; i <= n; i++)
			low[i] = (char)tolower((unsigned char)ext[i]);
	for (size_t i = 0; i < l->nskipped; i++)
		if (!strcmp(l->skipped[i].ext, low)) {
			l->skipped[i].n++;
			return;
		}
	if (l->nskipped == STORAGE_SKIPPED_TYPES && strcmp(low, "other"))
		snprintf(low, sizeof(low), "other");
	for (size_t i = 0; i < l->nskipped; i++)
		if (!strcmp(l->skipped[i].ext, low)) {
			l->skipped[i].n++;
			return;
		}
	snprintf(l->skipped[l->nskipped].ext, sizeof(l->skipped[0].ext), "%s", low);
	l->skipped[l->nskipped++].n = 1;
}

static int by_count(const void *a, const void *b)
{
	const struct storage_skipped *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->ext, y->ext);
}

int storage_no_images(const struct storage_list *l, const char *where, struct pp_error *err)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "No images found");
	if (l->folder)
		buf_addf(&b, " in %s", l->folder);
	buf_adds(&b, " (");
	if (l->nskipped) {
		struct storage_skipped v[STORAGE_SKIPPED_TYPES + 1];
		memcpy(v, l->skipped, l->nskipped * sizeof(*v));
		qsort(v, l->nskipped, sizeof(*v), by_count);
		buf_adds(&b, "skipped ");
		for (size_t i = 0; i < l->nskipped; i++)
			buf_addf(&b, "%s%zu %s", i ? ", " : "", v[i].n, v[i].ext);
		buf_adds(&b, "; ");
	}
	buf_adds(&b, "supported types: ");
	storage_image_type_list(&b);
	buf_addc(&b, ')');
	pp_fail_kind(err, where, PP_ERR_NO_IMAGES, "%s", buf_str(&b));
	buf_release(&b);
	return -1;
}
