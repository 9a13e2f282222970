/* history.c - the publication history as JSON (history.h): the one place a
 * history row becomes the object the CLI and the web API print. */
#include <stdbool.h>
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

/* What became of one run. */
struct history_run {
	bool partial;
	bool retryable;
};

static struct history_run lookup(struct state *st, const char *cid)
{
	struct history_run run = { 0 };
	struct journal_intent *j = NULL;
	struct pp_error err = { 0 };
	if (!cid || state_journal_find(st, cid, false, &j, &err) < 0)
		return run; /* not a run the journal knows: nothing to say */
	size_t posted = 0, left = 0;
	for (size_t i = 0; i < j->n; i++) {
		enum journal_outcome o = j->platforms[i].outcome;
		posted += o == JOURNAL_POSTED;
		left += o == JOURNAL_FAILED || o == JOURNAL_UNKNOWN ||
			(o == JOURNAL_PENDING && j->finished_at);
	}
	run.partial = posted > 0 && posted < j->n;
	run.retryable = left > 0 && j->finished_at;
	state_journal_release(j, 1);
	return run;
}

static int add_row(void *arg, const char *time, const struct history_row *r)
{
	json_array_append_new(arg, history_row_json(time, r));
	return 0;
}

/* After the query (which holds the state's lock): one lookup per run. */
static void annotate(struct state *st, json_t *rows)
{
	json_t *seen = json_object(); /* correlation id -> [partial, retryable] */
	size_t i;
	json_t *o;
	json_array_foreach(rows, i, o) {
		const char *cid = json_string_value(json_object_get(o, "correlation_id"));
		bool curation = json_is_string(json_object_get(o, "action"));
		json_t *v = cid ? json_object_get(seen, cid) : NULL;
		struct history_run run = { 0 };
		if (v) {
			run.partial = json_is_true(json_array_get(v, 0));
			run.retryable = json_is_true(json_array_get(v, 1));
		} else if (!curation) {
			run = lookup(st, cid);
			if (cid)
				json_object_set_new(seen, cid, json_pack("[bb]", run.partial,
									 run.retryable));
		}
		json_object_set_new(o, "partial", json_boolean(run.partial));
		json_object_set_new(o, "retryable", json_boolean(run.retryable));
	}
	json_decref(seen);
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
	annotate(st, rows);
	*out = rows;
	return 0;
}
