/* curate.h - curation: keeping, removing (moving aside) and deleting an
 * image of the folder, with its sidecar, recorded in the history.
 *
 * The actions are one table (curate.c): each names the storage folder it
 * moves the image to (none: it deletes) and the guard that must allow it.
 * Every action, done, refused or failed, writes one `image_curated` line;
 * a done one (and one the storage failed at) is a history row with
 * platform HISTORY_CURATION. In upstream's debug mode ([Content] debug =
 * true) nothing changes: the image is only looked for (preview_only). */
#ifndef PHOTOPUB_CORE_CURATE_H
#define PHOTOPUB_CORE_CURATE_H

#include <jansson.h>
#include <stdbool.h>
#include "core/workflow.h"

enum curate_action {
	CURATE_KEEP,
	CURATE_REMOVE,
	CURATE_DELETE,
	CURATE_NACTIONS
};

/* The action called name ("keep", "remove", "delete"), or -1. */
int curate_action_find(const char *name);
const char *curate_action_name(enum curate_action a);

struct curate_result {
	enum curate_action action;
	const char *folder;     /* where it went ([Storage] folder_keep, …); NULL for delete.
				   Lives as long as the storage. */
	char *moved_to;         /* "<folder>/<new name>"; NULL for delete or preview */
	bool sidecar;           /* a sidecar moved or went with it */
	bool preview_only;      /* nothing changed: [Content] debug = true */
};

/* Does action a on the image called name. Kinds: "disabled" (the action's
 * guard refused: delete without [Storage] delete_enabled), "invalid" /
 * "refused" (a name that is not a plain image name of the folder),
 * "not_found", and the storage's. out is filled on success and must be
 * released with curate_result_release either way. */
int curate_image(const struct workflow_env *env, const struct pp_ctx *ctx, enum curate_action a,
		 const char *name, struct curate_result *out, struct pp_error *err);
void curate_result_release(struct curate_result *r);

/* {filename, action, destination_folder (null for delete), preview_only}:
 * the web answer and `photopub keep --json`. */
json_t *curate_result_json(const char *name, const struct curate_result *r);

#endif
