/* history.c - the publication history as JSON (history.h): the one place a
 * history row becomes the object the CLI and the web API print. */
#include "core/history.h"

/* A string, or null when there is none (or it is not UTF-8 text). */
static json_t *opt_str(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

json_t *history_row_json(const char *time, const struct history_row *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o}", "time", opt_str(time),
			 "image", opt_str(r->image), "platform", opt_str(r->platform),
			 "action", opt_str(r->action), "success", r->success,
			 "post_id", opt_str(r->post_id), "url", opt_str(r->url),
			 "error", opt_str(r->error), "correlation_id", opt_str(r->correlation_id));
}

static int add_row(void *arg, const char *time, const struct history_row *r)
{
	json_array_append_new(arg, history_row_json(time, r));
	return 0;
}

int history_json(struct state *st, const struct history_filter *f, json_t **out,
		 struct pp_error *err)
{
	json_t *rows = json_array();
	*out = NULL;
	if (state_history_query(st, f, add_row, rows, err) < 0) {
		json_decref(rows);
		return -1;
	}
	*out = rows;
	return 0;
}
