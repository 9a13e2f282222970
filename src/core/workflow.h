/* workflow.h - one run of the pipeline (DESIGN §1): list, select, describe,
 * caption, sidecar, publish in parallel, archive, record — timed stage by
 * stage, with one `workflow_timing` line on every exit path. Used by
 * `photopub run` and by the web server's publish route. */
#ifndef PHOTOPUB_CORE_WORKFLOW_H
#define PHOTOPUB_CORE_WORKFLOW_H

#include <stdbool.h>
#include <stdio.h>
#include "ai/ai.h"
#include "config/config.h"
#include "types/models.h"
#include "types/stage.h"
#include "state/state.h"
#include "storage/storage.h"

#define WORKFLOW_MAX_PLATFORMS 8

struct caption_override;
struct publisher_ops;

/* What an edit of the generated caption is shown (workflow_options.edit). */
struct workflow_edit {
	const char *image;
	const char *alt_text;                 /* may be NULL */
	const struct publisher_ops *const *ops; /* the platforms it goes to */
	size_t nops;
};

/* The services a run uses; opened and owned by the caller. */
struct workflow_env {
	const struct config *cfg;
	struct storage *storage;
	struct ai *ai;
	struct state *state;
};

struct workflow_options {
	const struct pp_ctx *ctx;    /* the run's (a CLI run's UUID4) or the web request's */
	const char *select;          /* exactly this file, posted or not */
	bool dry_publish;            /* no publish, sidecar, archive or state */
	bool preview;                /* dry_publish, and a report written to report */
	bool debug;                  /* publish nothing, report every platform as success */
	FILE *report;                /* where the preview report goes (stdout) */
	const char *const *platforms;/* NULL: every enabled platform; else only these */
	size_t nplatforms;

	/* Approval (docs: caption approval). A caption a person approved is
	 * what the sidecar keeps and every platform formats and sends, instead
	 * of the generated one; NULL: the AI's. A post that finishes an
	 * interrupted one keeps what that one had approved, and none of these
	 * apply to it. */
	const char *caption;
	const char *alt_text;        /* NULL: the AI's; "": none */
	const struct caption_override *overrides; /* a platform's own caption */
	size_t noverrides;
	/* Called with the caption (the given one, else the generated one)
	 * before the sidecar is written or anything is published: 0 with
	 * *caption replaced by one it allocated (the workflow frees the old
	 * one), or -1 with err filled to abort the run with nothing written,
	 * published or archived. NULL: no edit. */
	int (*edit)(void *arg, const struct workflow_edit *e, char **caption, struct pp_error *err);
	void *edit_arg;
};

struct workflow_platform {
	const char *name;            /* static: the publisher's name */
	struct publish_result result;
};

struct workflow_result {
	bool success;                /* any platform published (or debug) */
	int exit_code;               /* 0, 1 (failed run) */
	char *image;                 /* selected image, NULL when none */
	bool archived;
	char *archived_as;
	struct pp_error err;         /* why the run failed (kind PP_ERR_NONE on success);
					msg sanitized */
	size_t nplatforms;
	struct workflow_platform platforms[WORKFLOW_MAX_PLATFORMS];
	size_t abandoned;            /* platforms still running after their time limit */
	char *caption;               /* the caption the platforms got (approved or
					generated); NULL when none was made */
	char *alt_text;              /* its alt text; NULL when none */
};

/* Runs the pipeline. Always fills *out (release with workflow_result_release)
 * and returns its exit code. */
int workflow_run(const struct workflow_env *env, const struct workflow_options *opts,
		 struct workflow_result *out);

void workflow_result_release(struct workflow_result *r);

/* Copies the caption and alt text a run sent into r (for its summary);
 * NULL or "" leaves that one NULL. */
void workflow_result_keep_caption(struct workflow_result *r, const char *caption,
				  const char *alt_text);

/* Why the run failed, or NULL. */
static inline const char *workflow_error(const struct workflow_result *r)
{
	return r->err.kind != PP_ERR_NONE ? r->err.msg : NULL;
}

/* {"platform": {"success":…, "post_id":…, "error":…}, …}; new reference. */
json_t *workflow_results_json(const struct workflow_result *r);

/* Whether r is partly published: some of its platforms succeeded, some not. */
bool workflow_partial(const struct workflow_result *r);

/* What the two summary lines of a run (or of a retry) say. */
struct workflow_summary {
	const struct pp_ctx *ctx;
	const struct workflow_result *out;
	const struct stage_times *times;  /* total_ms filled */
	const struct publisher_ops *const *ops; /* the platforms it published to */
	size_t nops;
	bool preview, dry;
	bool partial;                /* the post is on some of its platforms, not all */
	const char *alt_text;        /* may be NULL */
	const char *retry_of;        /* a retry: the correlation id of the run it sends
					again; NULL otherwise */
};

/* The `workflow_timing` and `workflow_complete` lines. */
void workflow_log_timing(const struct workflow_summary *w);
void workflow_log_complete(const struct workflow_summary *w);

#endif
