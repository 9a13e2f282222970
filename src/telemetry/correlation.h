/* correlation.h - correlation ids: UUID4 for runs, the X-Request-ID and
 * traceparent rules for web requests (DESIGN §4). */
#ifndef PHOTOPUB_TELEMETRY_CORRELATION_H
#define PHOTOPUB_TELEMETRY_CORRELATION_H

#include <stdbool.h>
#include <stddef.h>
#include "util/random.h" /* random_bytes, the source of uuid4 */

#define UUID_STR_LEN 37 /* 36 characters and the NUL */
#define CORRELATION_ID_MAX 128

/* A random (version 4) UUID in its 36-character form, from getrandom(2). */
void uuid4(char out[UUID_STR_LEN]);

/* True when v (n bytes) is a valid X-Request-ID: 1–128 of [A-Za-z0-9._:-]. */
bool request_id_valid(const char *v, size_t n);

/* Extracts the 32-hex trace-id of a valid W3C traceparent into out (33 bytes).
 * False for an invalid header (bad shape, version ff, all-zero ids). */
bool traceparent_trace_id(const char *v, char out[33]);

/* The correlation id for a request with these headers (either may be NULL):
 * X-Request-ID when valid, else a valid traceparent's trace-id, else a UUID4.
 * out must hold CORRELATION_ID_MAX + 1 bytes. */
void correlation_from_headers(const char *request_id, const char *traceparent,
			      char out[CORRELATION_ID_MAX + 1]);

#endif
