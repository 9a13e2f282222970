/* models.h - the data that flows through a run: analysis,
 * caption spec and result, per-platform publish results. */
#ifndef PHOTOPUB_TYPES_MODELS_H
#define PHOTOPUB_TYPES_MODELS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "types/ctx.h"
#include "util/error.h"
#include "util/strv.h"

/* What the vision step saw. All strings owned; NULL or "" when empty. */
struct analysis {
	char *description;                   /* at most 30 words */
	char *mood;
	struct strv tags;                    /* lowercase_snake_case */
	bool nsfw;
	struct strv safety_labels;
	char *subject;
	char *style;
	char *lighting;
	char *camera;
	struct strv clothing_or_accessories;
	struct strv aesthetic_terms;
	char *pose;
	char *composition;
	char *background;
	char *color_palette;                 /* e.g. "#1a1a1a, #d8c8b0" */
	char *alt_text;                      /* one plain sentence for screen readers,
						at most ALT_TEXT_MAX characters
						(caption/alt_text.h); NULL when none */
};

void analysis_release(struct analysis *a);
/* {"description":…, "mood":…, "tags":[…], …} in the field order above
 * ("alt_text" last, "" when none); new reference. */
json_t *analysis_to_json(const struct analysis *a);
/* The inverse of analysis_to_json: *a filled from o (every string copied,
 * "" read as NULL; release with analysis_release). -1 (and *a empty) when
 * o is no object. */
int analysis_load_json(const json_t *o, struct analysis *a);

/* What a caption must look like (REFERENCE "Caption spec"). */
struct caption_spec {
	const char *platform;   /* "generic" or "fetlife_email" */
	const char *style;      /* "minimal_poetic" or "engagement_question" */
	const char *hashtags;   /* appended hashtags; "" for none */
	size_t max_length;      /* in characters (code points) */
};

struct caption_result {
	char *caption;          /* never empty on success */
	char *sd_caption;       /* NULL when not produced */
	char *model;            /* model that wrote it */
};

void caption_result_release(struct caption_result *c);

/* One platform's outcome. */
struct publish_result {
	bool success;
	char *post_id;          /* NULL unless success */
	char *url;              /* the post's link (the outbox: its folder), NULL when unknown */
	struct pp_error err;    /* why it did not publish; msg sanitized */
	int64_t duration_ms;    /* -1 when the publisher did not run */
	bool dry_run;           /* a success of a dry publish: nothing was sent */
	bool debug;             /* a success of debug mode: nothing was sent */
};

void publish_result_release(struct publish_result *r);

/* Why r did not publish, or NULL when it did (or said nothing). */
static inline const char *publish_error(const struct publish_result *r)
{
	return !r->success && r->err.msg[0] ? r->err.msg : NULL;
}

#endif
