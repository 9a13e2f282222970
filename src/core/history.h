/* history.h - the publication history as JSON: one object per row with
 * the fields `photopub history --json` and GET /api/history both give
 * (time, image, platform, action, success, post_id, url, error,
 * correlation_id, partial, retryable), read from the state with a struct history_filter. */
#ifndef PHOTOPUB_CORE_HISTORY_H
#define PHOTOPUB_CORE_HISTORY_H

#include <jansson.h>
#include "state/state.h"

/* One row as a JSON object (a new reference). */
json_t *history_row_json(const char *time, const struct history_row *row);


/* The rows f selects, as a new JSON array in *out, each with what became
 * of its run, from the publish journal (a retry's rows belong to the run it
 * retried): "partial" when the post is on some of the run's platforms and
 * not on others, "retryable" when some failed or their outcome is unknown
 * (photopub retry sends those); both false for a curation row or a run the
 * journal does not know. -1 with err filled when the state cannot be read
 * (*out NULL). */
int history_json(struct state *st, const struct history_filter *f, json_t **out,
		 struct pp_error *err);

#endif
