/* history.h - the publication history as JSON: one object per row with
 * the fields `photopub history --json` and GET /api/history both give
 * (time, image, platform, action, success, post_id, url, error,
 * correlation_id), read from the state with a struct history_filter. */
#ifndef PHOTOPUB_CORE_HISTORY_H
#define PHOTOPUB_CORE_HISTORY_H

#include <jansson.h>
#include "state/state.h"

/* One row as a JSON object (a new reference). */
json_t *history_row_json(const char *time, const struct history_row *row);

/* The rows f selects, as a new JSON array in *out; -1 with err filled
 * when the state cannot be read (*out NULL). */
int history_json(struct state *st, const struct history_filter *f, json_t **out,
		 struct pp_error *err);

#endif
