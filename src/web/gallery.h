/* gallery.h - what the web's grid and review views read: the folder's
 * images as a sorted, filtered, paged list of names, and their thumbnails
 * (Dropbox's get_thumbnail_v2 when the storage makes them, else a libvips
 * copy of the download), kept in the service's cache of resized copies. */
#ifndef PHOTOPUB_WEB_GALLERY_H
#define PHOTOPUB_WEB_GALLERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/workflow.h"
#include "util/buf.h"
#include "util/error.h"
#include "web/service.h"

/* The thumbnail sizes (upstream's, named as Dropbox names them): a
 * thumbnail fits inside width x height, its aspect ratio kept. */
struct thumb_size {
	const char *name;        /* "w256h256" */
	int width, height;
};

/* The rows, NULL-name terminated; the first is the default. */
extern const struct thumb_size web_thumb_sizes[];

/* The size called name (NULL: the default), or NULL when there is none. */
const struct thumb_size *web_thumb_size_find(const char *name);

/* "w256h256, w480h320, …": the names, for error messages (static). */
const char *web_thumb_size_names(void);

enum gallery_sort { GALLERY_SORT_NAME, GALLERY_SORT_MODIFIED, GALLERY_SORT_SIZE };

#define GALLERY_LIMIT_DEFAULT 100
#define GALLERY_LIMIT_MAX 500

/* A list request: ?sort=name|modified|size&order=asc|desc&q=…&offset=N&limit=N. */
struct gallery_query {
	enum gallery_sort sort;
	bool desc;
	char *q;                 /* case-insensitive substring of the name; NULL: all */
	size_t offset;
	size_t limit;            /* 1 … GALLERY_LIMIT_MAX */
};

/* Reads a raw query string (may be NULL) into *gq (released with
 * gallery_query_release, also on failure). An unknown or malformed value
 * fails with kind "invalid" and a message naming the parameter and what
 * it may be; unknown parameters are ignored. */
int gallery_query_parse(const char *query, struct gallery_query *gq, struct pp_error *err);
void gallery_query_release(struct gallery_query *gq);

/* {"filenames": [...], "count": N}: the page gq asks for of the listed
 * images that match, posted and quarantined ones left out (as random
 * leaves them out); count is how many match in all. */
int web_gallery_list(struct web_service *svc, const struct workflow_env *env,
		     const struct pp_ctx *ctx, const struct gallery_query *gq, json_t **out,
		     struct pp_error *err);

/* The strong ETag of name's thumbnail of size (its content identity and
 * the size), NULL when name is not a listed image. quick (on the daemon's
 * thread): a remote folder is not listed for it, NULL when its listing is
 * not at hand. Caller frees. */
char *web_thumbnail_etag(struct web_service *svc, const struct workflow_env *env,
			 const struct pp_ctx *ctx, const char *name, const struct thumb_size *size,
			 bool quick);

/* The JPEG thumbnail of name in out, *etag (caller frees) and *cache:
 * "hit" (the cache) or "miss" (made now). With cached_only nothing is made
 * and a remote folder is not listed: 0 when the thumbnail is not in the
 * cache or the listing is not at hand. Returns 1 when out is filled, -1
 * with err filled: "not_found" (not a listed image), "undecodable", the
 * storage's kinds. */
int web_thumbnail(struct web_service *svc, const struct workflow_env *env,
		  const struct pp_ctx *ctx, const char *name, const struct thumb_size *size,
		  bool cached_only, struct buf *out, char **etag, const char **cache,
		  struct pp_error *err);

/* The routes' handlers (rows of web_routes[], routes.c): GET
 * /api/images/list, and GET /api/images/{filename}/thumbnail?size=…, whose
 * quick part answers a bad size, 304 and a cached thumbnail on the
 * daemon's thread and leaves making one to the image lane. */
struct web_request;
int web_h_list(struct web_request *rq);
int web_h_thumbnail_quick(struct web_request *rq);
int web_h_thumbnail(struct web_request *rq);

#endif
