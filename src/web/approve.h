/* approve.h - what the web needs to approve a caption before it is
 * published: the publish body's caption, alt_text and per-platform
 * overrides, checked; the platforms and their caption rules
 * (GET /api/platforms); and each platform's caption as it would be sent
 * for a given text (POST /api/caption/preview), by the publishers' own
 * formatting code. */
#ifndef PHOTOPUB_WEB_APPROVE_H
#define PHOTOPUB_WEB_APPROVE_H

#include <jansson.h>
#include "caption/approval.h"
#include "config/config.h"
#include "core/workflow.h"
#include "util/error.h"

struct web_request;

/* The approval of a publish body. Strings point into the body it was read
 * from, which must outlive it. */
struct web_approval {
	const char *caption;         /* NULL: the generated one */
	const char *alt_text;        /* NULL: the AI's; "": none */
	struct caption_override ov[WORKFLOW_MAX_PLATFORMS];
	size_t nov;
};

/* Reads "caption", "alt_text" and "overrides" ({"<platform>":{"caption":
 * ".."}}) of body (an object, or JSON null for none). 0, or -1 with err
 * (kind invalid: a 422) naming the field and what is wrong; a platform in
 * overrides that is unknown or not enabled under cfg is refused. */
int web_approval_parse(const struct config *cfg, json_t *body, struct web_approval *out,
		       struct pp_error *err);

/* {"platforms": [{name, enabled, max_length, alt_text, hashtags,
 * max_hashtags, one_line}, …] (every known platform, in table order),
 * "caption_max_length", "alt_text_max_length"}; new reference. */
json_t *web_platforms_info(const struct config *cfg);

/* The route handlers (rows of web_routes[]). */
int h_platforms(struct web_request *rq);
int h_caption_preview(struct web_request *rq);

#endif
