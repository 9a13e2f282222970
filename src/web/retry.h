/* retry.h - POST /api/history/{id}/retry[?platform=P] (admin only, slow
 * lane): the run whose correlation id is {id} (or a unique start of it)
 * published again to the platforms that did not get it, as `photopub
 * retry` does. */
#ifndef PHOTOPUB_WEB_RETRY_H
#define PHOTOPUB_WEB_RETRY_H

#include <stdbool.h>
#include "web/routes.h"

/* 200 with {filename, results, archived, any_success, partial, retry_of,
 * correlation_id} once platforms were sent (every one failing again
 * included); 404 no such run (or its image is gone), 409 nothing to retry
 * (or the platform has the post, or the run is unfinished), 422 a platform
 * that is not the run's or is off, 400 an ambiguous id. */
int web_h_retry(struct web_request *rq);

/* Whether a decoded {id} segment may be a correlation id: 1-128 of
 * [A-Za-z0-9._:-], the X-Request-ID rules. */
bool web_retry_id_ok(const char *id);

#endif
