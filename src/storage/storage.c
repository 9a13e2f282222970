/* storage.c - the storage facade: the backends table, opening the backend
 * the configuration names, and one timed, logged wrapper per operation. The
 * one place storage calls are timed: backends measure nothing themselves. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "image/image.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/suggest.h"

#define LOGGER "storage"

const struct storage_ops *const storage_backends[] = { &local_storage, &dropbox_storage, &s3_storage,
						       NULL };

const struct storage_ops *storage_backend_find(const char *name)
{
	for (size_t i = 0; name && storage_backends[i]; i++)
		if (!strcmp(storage_backends[i]->name, name))
			return storage_backends[i];
	return NULL;
}

int storage_validate(const struct config *cfg, struct config_error *e)
{
	const struct storage_ops *ops = storage_backend_find(cfg->backend);
	if (!ops) {
		struct buf names = BUF_INIT;
		for (size_t i = 0; storage_backends[i]; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", storage_backends[i]->name);
		config_fail(e, cfg->path, "Storage", "backend", "unknown backend \"%s\" (known: %s)",
			    cfg->backend ? cfg->backend : "", buf_str(&names));
		buf_release(&names);
		struct suggest s;
		suggest_init(&s, cfg->backend ? cfg->backend : "");
		for (size_t i = 0; storage_backends[i]; i++)
			suggest_add(&s, storage_backends[i]->name);
		if (suggest_result(&s))
			config_hint(e, "did you mean %s?", suggest_result(&s));
		return -1; /* nothing else can be checked without the backend */
	}
	int rc = 0;
	if (!fs_name_is_safe(cfg->archive))
		rc = config_fail(e, cfg->path, ops->section, "archive",
				 "must be a folder name inside the image folder, got \"%s\"",
				 cfg->archive);
	if (cfg->quarantine && (!fs_name_is_safe(cfg->quarantine) ||
				!strcmp(cfg->quarantine, cfg->archive)))
		rc = config_fail(e, cfg->path, "Storage", "quarantine",
				 "must be \"none\" or a folder name inside the image folder, other "
				 "than the archive, got \"%s\"", cfg->quarantine);
	if (storage_folders_validate(cfg, ops, e) < 0)
		rc = -1;
	if (ops->validate && ops->validate(cfg, e) < 0)
		rc = -1;
	return rc;
}

int storage_open(const struct config *cfg, struct state *st, struct storage **out,
		 struct pp_error *err)
{
	*out = NULL;
	const struct storage_ops *ops = storage_backend_find(cfg->backend);
	if (!ops)
		return pp_fail_kind(err, "storage", PP_ERR_UNSUPPORTED, "unknown storage backend \"%s\"",
				    cfg->backend ? cfg->backend : "");
	if (ops->open(cfg, st, out, err) < 0)
		return -1;
	(*out)->archive = cfg->archive && *cfg->archive ? cfg->archive : "archive";
	(*out)->data_url_px = cfg->vision_max_px > 0 ? cfg->vision_max_px : 1024;
	(*out)->quarantine = cfg->quarantine && strcmp(cfg->quarantine, "none") ? cfg->quarantine
										 : NULL;
	for (int f = 0; f < STORAGE_NFOLDERS; f++)
		(*out)->folders[f] = storage_folder(cfg, (enum storage_folder)f, NULL, NULL);
	return 0;
}

void storage_close(struct storage *s)
{
	if (s)
		s->ops->close(s);
}

/* ---- the timed calls ---------------------------------------------------- */

/* What one call was, for its line and the request's Server-Timing. */
struct call {
	struct storage *s;
	const struct pp_ctx *ctx;
	const char *op;
	const char *name;
	const char *timing;          /* Server-Timing entry: "storage" or "sidecar" */
	int64_t t0;
};

static struct call begin(struct storage *s, const struct pp_ctx *ctx, const char *op,
			 const char *name, const char *timing)
{
	return (struct call){ .s = s, .ctx = ctx, .op = op, .name = name, .timing = timing,
			      .t0 = now_monotonic() };
}

static int end(const struct call *c, int rc, const struct pp_error *err, long count)
{
	double ms = elapsed_ms_f(c->t0);
	pp_ctx_time(c->ctx, c->timing, ms);
	if (log_enabled(LOG_DEBUG))
		log_debug(LOGGER, "storage_call", pp_cid(c->ctx), LF_STR("backend", c->s->ops->name),
			  LF_STR("op", c->op), LF_STR("image", c->name),
			  LF_MS("duration_ms", (int64_t)ms), LF_BOOL("ok", rc == 0),
			  count >= 0 ? LF_INT("count", count) : LF_NULL("count"),
			  LF_STR("error", rc < 0 && err ? err->msg : NULL));
	return rc;
}

static int unsupported(struct storage *s, const char *op, struct pp_error *err)
{
	return pp_fail_kind(err, "storage", PP_ERR_UNSUPPORTED, "the %s storage cannot %s",
			    s->ops->name, op);
}

int storage_list(struct storage *s, const struct pp_ctx *ctx, struct storage_list *out,
		 struct pp_error *err)
{
	struct call c = begin(s, ctx, "list", NULL, "storage");
	int rc = s->ops->list(s, ctx, out, err);
	return end(&c, rc, err, rc == 0 ? (long)out->n : -1);
}

int storage_download(struct storage *s, const struct pp_ctx *ctx, const char *name, int fd,
		     struct pp_error *err)
{
	struct call c = begin(s, ctx, "download", name, "storage");
	return end(&c, s->ops->download(s, ctx, name, fd, err), err, -1);
}

int storage_download_archived(struct storage *s, const struct pp_ctx *ctx, const char *name,
			      int fd, struct pp_error *err)
{
	if (!s->ops->download_archived)
		return unsupported(s, "read the archive", err);
	struct call c = begin(s, ctx, "download_archived", name, "storage");
	return end(&c, s->ops->download_archived(s, ctx, name, fd, err), err, -1);
}

int storage_image_url(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      const char *local_path, char **url, struct pp_error *err)
{
	struct call c = begin(s, ctx, "image_url", name, "storage");
	/* A type the AI cannot read as it is (TIFF, HEIC) goes as a JPEG of
	 * the local copy, whatever the backend's link would be. */
	const struct storage_image_type *t = storage_image_type_of(name);
	if (t && !t->web && local_path)
		return end(&c, image_data_url(local_path, s->data_url_px, url, err), err, -1);
	return end(&c, s->ops->image_url(s, ctx, name, local_path, url, err), err, -1);
}

int storage_sidecar_read(struct storage *s, const struct pp_ctx *ctx, const char *name,
			 char **text, struct pp_error *err)
{
	struct call c = begin(s, ctx, "sidecar_read", name, "sidecar");
	int rc = end(&c, s->ops->sidecar_read(s, ctx, name, text, err), err, -1);
	if (rc == 0 && *text && !*(*text + strspn(*text, " \t\r\n"))) {
		free(*text); /* an empty (or blank) sidecar is no sidecar */
		*text = NULL;
	}
	return rc;
}

int storage_sidecar_write(struct storage *s, const struct pp_ctx *ctx, const char *name,
			  const char *text, struct pp_error *err)
{
	struct call c = begin(s, ctx, "sidecar_write", name, "sidecar");
	return end(&c, s->ops->sidecar_write(s, ctx, name, text, err), err, -1);
}

int storage_metadata(struct storage *s, const struct pp_ctx *ctx, const char *name,
		     struct storage_meta *out, struct pp_error *err)
{
	if (!s->ops->metadata)
		return unsupported(s, "give file metadata", err);
	struct call c = begin(s, ctx, "metadata", name, "storage");
	return end(&c, s->ops->metadata(s, ctx, name, out, err), err, -1);
}

/* The one move; event names the line it writes ("storage_archive" keeps
 * its archived_as field). */
static int move(struct storage *s, const struct pp_ctx *ctx, const char *name, const char *op,
		const char *folder, char **moved_as, bool *moved_sidecar, struct pp_error *err)
{
	bool sidecar = false;
	char *as = NULL;
	struct call c = begin(s, ctx, op, name, "storage");
	int rc = end(&c, s->ops->move(s, ctx, name, folder, &as, &sidecar, err), err, -1);
	if (rc < 0)
		return -1;
	if (!strcmp(op, "archive"))
		log_info(LOGGER, "storage_archive", pp_cid(ctx), LF_STR("backend", s->ops->name),
			 LF_STR("image", name), LF_STR("archived_as", as), LF_BOOL("sidecar", sidecar));
	else
		log_info(LOGGER, "storage_move", pp_cid(ctx), LF_STR("backend", s->ops->name),
			 LF_STR("image", name), LF_STR("folder", folder), LF_STR("moved_as", as),
			 LF_BOOL("sidecar", sidecar));
	*moved_as = as;
	if (moved_sidecar)
		*moved_sidecar = sidecar;
	return 0;
}

int storage_archive(struct storage *s, const struct pp_ctx *ctx, const char *name,
		    char **archived_as, struct pp_error *err)
{
	char *as = NULL;
	int rc = move(s, ctx, name, "archive", s->archive, &as, NULL, err);
	if (archived_as)
		*archived_as = as;
	else
		free(as);
	return rc;
}

/* move() into folder; *moved_to is "<folder>/<new name>". */
static int move_into(struct storage *s, const struct pp_ctx *ctx, const char *name,
		     const char *op, const char *folder, char **moved_to, bool *sidecar,
		     struct pp_error *err)
{
	char *as = NULL;
	*moved_to = NULL;
	if (move(s, ctx, name, op, folder, &as, sidecar, err) < 0)
		return -1;
	*moved_to = xasprintf("%s/%s", folder, as);
	free(as);
	return 0;
}

int storage_quarantine(struct storage *s, const struct pp_ctx *ctx, const char *name,
		       char **moved_to, struct pp_error *err)
{
	*moved_to = NULL;
	if (!s->quarantine)
		return 0;
	return move_into(s, ctx, name, "quarantine", s->quarantine, moved_to, NULL, err);
}

int storage_move_to(struct storage *s, const struct pp_ctx *ctx, const char *name,
		    enum storage_folder f, char **moved_to, bool *sidecar, struct pp_error *err)
{
	*moved_to = NULL;
	if (sidecar)
		*sidecar = false;
	if ((unsigned)f >= STORAGE_NFOLDERS || !s->folders[f])
		return pp_fail_kind(err, "storage", PP_ERR_INTERNAL, "no such curation folder");
	return move_into(s, ctx, name, storage_folder_name(f), s->folders[f], moved_to, sidecar,
			 err);
}

int storage_delete(struct storage *s, const struct pp_ctx *ctx, const char *name, bool *sidecar,
		   struct pp_error *err)
{
	bool sc = false;
	if (sidecar)
		*sidecar = false;
	if (!s->ops->remove)
		return unsupported(s, "delete images", err);
	struct call c = begin(s, ctx, "delete", name, "storage");
	if (end(&c, s->ops->remove(s, ctx, name, &sc, err), err, -1) < 0)
		return -1;
	log_info(LOGGER, "storage_delete", pp_cid(ctx), LF_STR("backend", s->ops->name),
		 LF_STR("image", name), LF_BOOL("sidecar", sc));
	if (sidecar)
		*sidecar = sc;
	return 0;
}

int storage_sha256(struct storage *s, const struct pp_ctx *ctx, const char *name, char out[65],
		   struct pp_error *err)
{
	if (!s->ops->sha256)
		return unsupported(s, "hash without downloading", err);
	struct call c = begin(s, ctx, "sha256", name, "storage");
	return end(&c, s->ops->sha256(s, ctx, name, out, err), err, -1);
}

int storage_stage_public(struct storage *s, const struct pp_ctx *ctx, const char *local_path,
			 const char *name, char **url, char **staged, struct pp_error *err)
{
	if (!s->ops->stage_public)
		return unsupported(s, "give a public URL", err);
	struct call c = begin(s, ctx, "stage_public", name, "storage");
	return end(&c, s->ops->stage_public(s, ctx, local_path, name, url, staged, err), err, -1);
}

int storage_unstage(struct storage *s, const struct pp_ctx *ctx, const char *staged,
		    struct pp_error *err)
{
	if (!s->ops->unstage)
		return unsupported(s, "unstage", err);
	struct call c = begin(s, ctx, "unstage", NULL, "storage");
	return end(&c, s->ops->unstage(s, ctx, staged, err), err, -1);
}

int storage_thumbnail(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      const char *size, char **data, size_t *len, struct pp_error *err)
{
	*data = NULL;
	*len = 0;
	if (!s->ops->thumbnail)
		return unsupported(s, "make thumbnails", err);
	struct call c = begin(s, ctx, "thumbnail", name, "storage");
	return end(&c, s->ops->thumbnail(s, ctx, name, size, data, len, err), err, -1);
}

int storage_sweep(struct storage *s)
{
	return s->ops->sweep ? s->ops->sweep(s) : 0;
}

/* Frees every item's name and the array; l is left empty and reusable. */
void storage_list_remove(struct storage_list *l, const char *name)
{
	for (size_t i = 0; name && i < l->n; i++) {
		if (strcmp(l->items[i].name, name))
			continue;
		free(l->items[i].name);
		l->items[i] = l->items[--l->n];
		return;
	}
}

bool storage_list_has(const struct storage_list *l, const char *name)
{
	for (size_t i = 0; name && i < l->n; i++)
		if (!strcmp(l->items[i].name, name))
			return true;
	return false;
}

void storage_list_release(struct storage_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	free(l->folder);
	*l = (struct storage_list){ 0 };
}

int storage_ready(struct storage *s, const struct pp_ctx *ctx, struct pp_error *err)
{
	if (!s->ops->ready)
		return 0;
	struct call c = begin(s, ctx, "ready", NULL, "storage");
	return end(&c, s->ops->ready(s, ctx, err), err, -1);
}
