/* instagram.h - what the Instagram publisher (instagram.c,
 * `instagram_publisher` in publisher.h) reads in the Graph API's replies,
 * apart from its HTTP calls: a pure function over a reply's bytes, for it
 * and for tests and fuzzers. */
#ifndef PHOTOPUB_PUBLISH_INSTAGRAM_H
#define PHOTOPUB_PUBLISH_INSTAGRAM_H

#include <jansson.h>
#include <stddef.h>
#include "util/error.h"

/* The reply of the Graph API call named what ("instagram media") with HTTP
 * status: 0 with *root the JSON object of a 2xx reply (the caller's
 * reference; the step reads its "id" or "status_code"); -1 with err filled
 * (kind remote, http_status, error.message when there is one) and *root
 * NULL otherwise. */
int instagram_parse_reply(const char *what, long status, const char *body, size_t len,
			  json_t **root, struct pp_error *err);

#endif
