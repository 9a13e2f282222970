/* curate.c - curation (curate.h): the table of actions, and the one
 * function that checks an action's guard, has the storage move or delete
 * the image, records the history row and writes the `image_curated` line. */
#include <stdlib.h>
#include <string.h>
#include "core/curate.h"
#include "state/state.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"

#define LOGGER "curate"

static const struct curate_def {
	const char *name;
	int folder;                                /* enum storage_folder; -1: deletes */
	bool (*allowed)(const struct config *cfg); /* the guard; NULL: always */
	const char *refusal;                       /* why the guard refuses */
} actions[CURATE_NACTIONS] = {
	[CURATE_KEEP] = { .name = "keep", .folder = STORAGE_KEEP },
	[CURATE_REMOVE] = { .name = "remove", .folder = STORAGE_REMOVE },
	[CURATE_DELETE] = { .name = "delete", .folder = -1, .allowed = storage_delete_enabled,
			    .refusal = "deleting images is disabled: set [Storage] delete_enabled "
				       "= true (or FEATURE_DELETE=true in the environment)" },
};

int curate_action_find(const char *name)
{
	for (int i = 0; name && i < CURATE_NACTIONS; i++)
		if (!strcmp(actions[i].name, name))
			return i;
	return -1;
}

const char *curate_action_name(enum curate_action a)
{
	return (unsigned)a < CURATE_NACTIONS ? actions[a].name : "?";
}

/* Failures worth a history row: the storage was asked and could not do
 * it. A bad name, a missing image or a refusal changed nothing. */
static bool worth_a_row(enum pp_error_kind k)
{
	return k != PP_ERR_INVALID && k != PP_ERR_REFUSED && k != PP_ERR_NOT_FOUND &&
	       k != PP_ERR_DISABLED;
}

/* 0 when name is an image of the folder (kind "not_found" otherwise). */
static int image_exists(struct storage *st, const struct pp_ctx *ctx, const char *name,
			struct pp_error *err)
{
	struct storage_meta meta;
	if (!st->ops->metadata)
		return 0; /* cannot tell without changing anything: assume it is */
	return storage_metadata(st, ctx, name, &meta, err);
}

static void record(const struct workflow_env *env, const struct pp_ctx *ctx,
		   const struct curate_def *d, const char *name, const struct curate_result *out,
		   const struct pp_error *failed)
{
	struct history_row row = {
		.image = name, .platform = HISTORY_CURATION, .action = d->name,
		.success = !failed, .error = failed ? failed->msg : NULL,
		.correlation_id = pp_cid(ctx), .url = out->moved_to,
	};
	struct pp_error err = { 0 };
	if (env->state && state_add_history(env->state, &row, 1, &err) < 0)
		log_error(LOGGER, "state_error", pp_cid(ctx), LF_STR("image", name),
			  LF_STR("error", err.msg));
}

int curate_image(const struct workflow_env *env, const struct pp_ctx *ctx, enum curate_action a,
		 const char *name, struct curate_result *out, struct pp_error *err)
{
	*out = (struct curate_result){ .action = a };
	if ((unsigned)a >= CURATE_NACTIONS)
		return pp_fail_kind(err, "curate", PP_ERR_INTERNAL, "unknown curation action");
	const struct curate_def *d = &actions[a];
	int64_t t0 = now_monotonic();
	int rc = 0;

	if (d->folder >= 0)
		out->folder = env->storage->folders[d->folder];
	out->preview_only = env->cfg->debug;
	if (!storage_is_image_name(name))
		rc = pp_fail_kind(err, "curate", PP_ERR_INVALID,
				  "refusing file name: not an image name of the folder");
	else if (d->allowed && !d->allowed(env->cfg))
		rc = pp_fail_kind(err, "curate", PP_ERR_DISABLED, "%s", d->refusal);
	else if (out->preview_only)
		/* Upstream's debug mode: nothing is changed anywhere; the image
		 * must be there all the same. */
		rc = image_exists(env->storage, ctx, name, err);
	else if (d->folder >= 0)
		rc = storage_move_to(env->storage, ctx, name, (enum storage_folder)d->folder,
				     &out->moved_to, &out->sidecar, err);
	else
		rc = storage_delete(env->storage, ctx, name, &out->sidecar, err);

	if (!out->preview_only && (rc == 0 || worth_a_row(err->kind)))
		record(env, ctx, d, name, out, rc < 0 ? err : NULL);
	/* The deck (the order images are offered in) forgets the name here,
	 * once there is one: the image is no longer in the folder. */
	log_json(rc == 0 ? LOG_INFO : LOG_WARNING, LOGGER, "image_curated", pp_cid(ctx),
		 (const struct log_field[]){
			 LF_STR("action", d->name), LF_STR("image", name),
			 LF_STR("destination", out->moved_to), LF_STR("folder", out->folder),
			 LF_BOOL("preview_only", out->preview_only),
			 LF_MS("duration_ms", elapsed_ms(t0)), LF_BOOL("success", rc == 0),
			 LF_STR("error", rc < 0 ? err->msg : NULL), LF_END });
	return rc;
}

void curate_result_release(struct curate_result *r)
{
	free(r->moved_to);
	*r = (struct curate_result){ 0 };
}

json_t *curate_result_json(const char *name, const struct curate_result *r)
{
	return json_pack("{s:s, s:s, s:o, s:b}", "filename", name, "action",
			 curate_action_name(r->action), "destination_folder",
			 r->folder ? json_string(r->folder) : json_null(), "preview_only",
			 r->preview_only);
}
