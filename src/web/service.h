/* service.h - what the web routes do, on the same storage, AI, sidecar and
 * workflow code as the CLI: a random image, analyze, publish, and the image
 * bytes for local storage. */
#ifndef PHOTOPUB_WEB_SERVICE_H
#define PHOTOPUB_WEB_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include "core/workflow.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strv.h"

/* Every call takes the request's context: its correlation id, and the
 * sink the storage, AI and publish calls report their time to (the
 * request's Server-Timing). */
struct web_service;

/* The service over env (owned by the caller, alive as long as the service). */
struct web_service *web_service_new(const struct workflow_env *env);
void web_service_free(struct web_service *svc);

/* {filename, temp_url, sha256, content_hash, caption, sd_caption, alt_text,
 * metadata, has_sidecar} of the next image of the posting queue's walk
 * (web/queue.h): successive calls go from its head onward. Fails with kind
 * "no_images" when the queue is empty. */
int web_random_image(struct web_service *svc, const struct pp_ctx *ctx, json_t **out,
		     struct pp_error *err);

/* {items, count}: the posting queue of the current listing, its first
 * limit images (web/queue.c); it writes nothing. */
int web_queue(struct web_service *svc, const struct pp_ctx *ctx, size_t limit, json_t **out,
	      struct pp_error *err);

/* {filename, description, mood, tags, nsfw, caption, sd_caption, alt_text,
 * sidecar_written}; *cache_hit when the sidecar answered. Kinds: "not_found"
 * (not a listed image), "undecodable", "ai", "storage". */
int web_analyze(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		bool force_refresh, json_t **out, bool *cache_hit, struct pp_error *err);

struct web_approval;

/* {filename, results, archived, any_success}; platforms NULL: every enabled
 * one; ap (web/approve.h, may be NULL): the caption, alt text and
 * per-platform captions a person approved, published and written to the
 * sidecar instead of the generated ones. Kinds: "not_found",
 * "bad_platform", and the workflow's. */
int web_publish(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		const struct strv *platforms, const struct web_approval *ap, json_t **out,
		struct pp_error *err);

/* The width of the copy served for a request of width px: the largest of
 * the widths copies are made at (16, 24, 32, 48, 64, 96 … 3072, 4096:
 * powers of two and the steps halfway between) that is at most width, so
 * nearby widths share one copy. 0 stays 0 (the original). */
int web_image_copy_width(int width);

/* The bytes of a listed local image, or a JPEG copy at most width px wide
 * (width 0: the original; else a width of web_image_copy_width). Copies
 * are made within the server's pixel bounds (a larger image fails with
 * kind "unsupported") and kept in a bounded cache of resized copies.
 * *etag is a strong ETag of what is served; *cache says where a copy came
 * from: "hit" (the cache), "miss" (resized now), NULL for the original. */
int web_image_bytes(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		    int width, struct buf *out, const char **content_type, char **etag,
		    const char **cache, struct pp_error *err);

/* web_image_bytes from the cache alone, never decoding: 1 with out,
 * *content_type and *etag filled when the copy is there, 0 when it is not
 * (or width is 0), -1 with err filled when name is not a listed image. */
int web_image_cached(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		     int width, struct buf *out, const char **content_type, char **etag,
		     struct pp_error *err);

/* The ETag web_image_bytes would give, without producing the bytes (for
 * If-None-Match); NULL when name is not a listed image. Caller frees. */
char *web_image_etag(struct web_service *svc, const struct pp_ctx *ctx, const char *name,
		     int width);

/* The folder's current listing, the snapshot random and analyze use (kept
 * 30 s): a reference the caller gives back with web_listing_drop, the
 * items valid until then. NULL with err filled when the folder cannot be
 * listed. */
struct web_listing;
struct web_listing *web_listing_take(struct web_service *svc, const struct pp_ctx *ctx,
				     struct pp_error *err);
const struct storage_list *web_listing_items(const struct web_listing *l);
/* The snapshot when there is a fresh one and nobody is listing, else NULL:
 * never lists, never waits (for the daemon's thread). */
struct web_listing *web_listing_peek(struct web_service *svc);
void web_listing_drop(struct web_listing *l);

/* The service's bounded cache of resized copies (image_cache.h), which the
 * gallery's thumbnails share; owned by the service. */
struct image_cache *web_service_copies(struct web_service *svc);

/* Between these, no publish runs (they take the publish lock): curation
 * never moves an image away while it is being published. */
void web_service_lock_images(struct web_service *svc);
void web_service_unlock_images(struct web_service *svc);

/* The image called name left the folder (curated): the next listing is
 * read afresh. */
void web_service_forget(struct web_service *svc, const char *name);

/* Whether name is a platform that is enabled. */
bool web_platform_enabled(struct web_service *svc, const char *name);

/* Names of the enabled platforms (static strings), for the UI. */
json_t *web_platforms_json(struct web_service *svc);

#endif
