/* intent.h - the run's side of the publish journal (state.h): settling an
 * intent once its platforms have answered, and resolving, before a run
 * selects anything, the intents that killed runs left unfinished.
 *
 * The guarantee (docs/security.md): an image whose publishing was
 * interrupted is posted at most once to every platform, exactly once to a
 * platform that can tell whether a post landed (publisher_ops.landed), and
 * is then archived and recorded like any posted image. */
#ifndef PHOTOPUB_CORE_INTENT_H
#define PHOTOPUB_CORE_INTENT_H

#include <stdbool.h>
#include "core/workflow.h"
#include "state/state.h"

/* What settling did. */
struct settle_result {
	bool posted;          /* some platform has (or may have) the image */
	bool archived;
	char *archived_as;    /* the caller's to free */
	long archive_ms;      /* -1 when the archive was not tried */
};

/* Settles j: when a platform has the image (POSTED, or UNKNOWN too when
 * unknown_is_posted), archives it (an image already gone from the folder
 * is fine) and records its hashes as posted; then one history row per
 * platform and the intent finished, in one transaction. */
int intent_settle(const struct workflow_env *env, const struct pp_ctx *ctx,
		  const struct journal_intent *j, bool unknown_is_posted,
		  struct settle_result *out, struct pp_error *err);

/* Records j: its hashes as posted (when posted) and out of the posting
 * queue, one history row per platform of j, the intent finished; all or
 * nothing. */
int intent_record(struct state *st, const struct journal_intent *j, bool posted,
		  struct pp_error *err);

/* The unfinished intents of runs that are gone, resolved: platforms that
 * can tell are asked, the others become UNKNOWN. An intent with nothing
 * left to send is settled (publish_intent_recovered, action "settled").
 * The first with a platform that must be sent again becomes *resume (its
 * platforms to send flagged in resend[]), for the run to finish; further
 * ones wait for later runs. */
struct recovery {
	struct journal_intent *all;
	size_t n;
	struct journal_intent *resume;       /* NULL: nothing to send again */
	bool resend[JOURNAL_MAX_PLATFORMS];  /* by the index in resume->platforms */
};

int intent_recover(const struct workflow_env *env, const struct pp_ctx *ctx,
		   struct recovery *out, struct pp_error *err);
void recovery_release(struct recovery *r);

/* The `publish_intent_recovered` line (action "resume") of a run that
 * finishes j. */
void intent_log_resume(const struct pp_ctx *ctx, const struct journal_intent *j);

/* Marks every platform flagged in r->resend FAILED with why (the resumed
 * run could not send the image) and settles the intent. */
void intent_abandon_resume(const struct workflow_env *env, const struct pp_ctx *ctx,
			   struct recovery *r, const char *why);

#endif
