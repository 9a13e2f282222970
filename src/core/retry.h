/* retry.h - `photopub retry` and POST /api/history/{id}/retry: one run's
 * image published again, only to the platforms that failed or whose outcome
 * stayed unknown, with what the run had approved (caption, alt text, the
 * platforms' own captions, the analysis) from the publish journal — no AI
 * call. The outcomes go into the run's own journal rows, the history gets a
 * row per platform sent; an image that no platform had yet is archived like
 * after a run, one that was archived stays there. */
#ifndef PHOTOPUB_CORE_RETRY_H
#define PHOTOPUB_CORE_RETRY_H

#include <stdbool.h>
#include "core/workflow.h"
#include "state/state.h"

struct retry_options {
	const struct pp_ctx *ctx;    /* the retry's own id (a new UUID4, the request's) */
	const char *run;             /* the run's correlation id, or a unique start of it of
					at least RETRY_PREFIX_MIN hex digits; NULL: the newest run */
	const char *platform;        /* only this one; NULL: every platform left to send */
};

#define RETRY_PREFIX_MIN 8

struct retry_result {
	struct workflow_result wr;   /* image, the platforms sent and their results,
					archived (by this retry), err, exit_code */
	char *retry_of;              /* the run's correlation id; NULL when none was found */
	bool partial;                /* afterwards the post is on some of the run's
					platforms, not all */
};

/* Which platforms of j to send again, flagged in pick[] (by the index in
 * j->platforms): those that failed, whose outcome is unknown or that a
 * killed retry left pending, and that cfg turns on; platform (NULL: any)
 * narrows to one. -1 with err filled: "conflict" (j unfinished, nothing
 * left to send, platform has the post already), "bad_platform" (platform
 * is not one of j's, or is off). */
int retry_choose(const struct config *cfg, const struct journal_intent *j, const char *platform,
		 bool pick[JOURNAL_MAX_PLATFORMS], struct pp_error *err);

/* Runs the retry. Always fills *out (release with retry_result_release)
 * and returns its exit code; out->wr.err says why it did not run: kinds
 * "not_found" (no such run, or its image is gone), "invalid" (an ambiguous
 * or too short id), "conflict", "bad_platform", as retry_choose. Writes
 * `retry_start`, then `workflow_timing` and `workflow_complete` with
 * retry_of once it has found the run. */
int retry_run(const struct workflow_env *env, const struct retry_options *opts,
	      struct retry_result *out);

/* What `photopub retry --json` prints and the web route answers (the
 * publish answer's fields): {filename, results, archived, any_success,
 * partial, retry_of, correlation_id}; a new reference. */
json_t *retry_result_json(const struct retry_result *r, const char *correlation_id);

void retry_result_release(struct retry_result *r);

#endif
