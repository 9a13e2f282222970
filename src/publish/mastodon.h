/* mastodon.h - what the Mastodon and Pixelfed publishers (mastodon.c,
 * `mastodon_publisher` and `pixelfed_publisher` in publisher.h) read in the
 * Mastodon API's replies, apart from their HTTP calls: pure functions over
 * a reply's bytes and headers, for them and for tests and fuzzers. */
#ifndef PHOTOPUB_PUBLISH_MASTODON_H
#define PHOTOPUB_PUBLISH_MASTODON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

/* An instance's limits (GET /api/v2/instance, or /api/v1/instance):
 * configuration.statuses.max_characters and configuration.media_attachments.
 * image_size_limit (bytes), image_matrix_limit (width x height pixels),
 * description_limit (characters), supported_mime_types (whether image/jpeg
 * and image/png are among them). */
struct mastodon_limits {
	size_t max_characters;
	size_t image_size_limit;
	uint64_t image_matrix_limit;
	size_t description_limit;
	bool jpeg, png;
};

/* Reads an instance reply body into *lim, which holds the defaults on entry:
 * a limit the reply lacks (or gives as anything but a positive integer)
 * keeps its default; a supported_mime_types array replaces jpeg and png.
 * Returns 0, or -1 (lim unchanged) when the body is not a JSON object. */
int mastodon_parse_instance(const char *body, size_t len, struct mastodon_limits *lim);

/* A media reply (POST /api/v2/media, POST /api/v1/media, GET
 * /api/v1/media/:id) with its HTTP status: 0 with *id (caller frees) and
 * *ready — true for a 200 whose url is a string, false for a 202, a 206 or
 * a 200 whose url is null (still processing; a 206 has no body, and *id is
 * then NULL) — or -1 with err filled as mastodon_fail() says. title names
 * the platform in messages ("Mastodon"). */
int mastodon_parse_media(const char *title, long status, const char *body, size_t len,
			 char **id, bool *ready, struct pp_error *err);

/* A POST /api/v1/statuses reply: 0 with *id and *url (the status's link;
 * NULL when the reply has none that is http(s)) for a 2xx reply with an id;
 * -1 with err filled otherwise. Both the caller's to free. */
int mastodon_parse_status(const char *title, long status, const char *body, size_t len,
			  char **id, char **url, struct pp_error *err);

/* Fills err for the failed call `what` ("media upload") of title from its
 * status and body (the API's {"error": "…"} text when there is one): kind
 * auth for 401 and 403 (the token is wrong, revoked or lacks a scope),
 * invalid for 400 and 422 (the request failed validation), rate_limited
 * and transient for 429, unavailable and transient for 5xx, remote for the
 * rest; http_status set. Returns -1. */
int mastodon_fail(const char *title, const char *what, long status, const char *body, size_t len,
		  struct pp_error *err);

/* The time an X-RateLimit-Reset value names, in ms since the epoch: an ISO
 * 8601 / RFC 3339 timestamp (Mastodon's, with any fraction) or a number of
 * seconds since the epoch (GoToSocial's). -1 when it is neither. */
int64_t mastodon_reset_ms(const char *value);

/* The Idempotency-Key of a post: lowercase hex of SHA-256 over
 * "<image sha256>:<correlation id of the run that first sent it>", so
 * every attempt of that post sends the same key. NULL parts are "". */
void mastodon_idempotency_key(const char *sha256, const char *first_correlation_id,
			      char out[65]);

#endif
