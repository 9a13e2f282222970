/* bluesky.h - what the Bluesky publisher (bluesky.c, `bluesky_publisher` in
 * publisher.h) builds and reads apart from its HTTP calls: pure functions
 * over the post and the XRPC replies, for it and for tests and fuzzers. */
#ifndef PHOTOPUB_PUBLISH_BLUESKY_H
#define PHOTOPUB_PUBLISH_BLUESKY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "types/models.h"
#include "util/error.h"

#define BLUESKY_MAX_GRAPHEMES 300       /* app.bsky.feed.post text */
#define BLUESKY_MAX_TEXT_BYTES 3000
#define BLUESKY_MAX_ALT_GRAPHEMES 2000  /* what the app allows */
#define BLUESKY_BLOB_LIMIT 1000000      /* bytes of an uploaded image */
#define BLUESKY_MAX_LANGS 3
#define BLUESKY_MAX_LABELS 3

/* What an XRPC reply asks of the caller. */
enum bluesky_verdict {
	BLUESKY_OK,            /* 2xx with a JSON object */
	BLUESKY_EXPIRED,       /* the access token expired or was refused: refresh */
	BLUESKY_RATE_LIMITED,  /* 429: wait for ratelimit-reset, or fail */
	BLUESKY_FAILED,        /* anything else: err says what */
};

/* Reads the reply of the XRPC method nsid ("com.atproto.repo.createRecord")
 * with HTTP status: BLUESKY_OK with *root the object (caller's reference),
 * otherwise *root NULL and err filled: "Bluesky <method> failed (HTTP 400
 * InvalidRequest): <message>", kind auth (401, 400 ExpiredToken /
 * InvalidToken), rate_limited (429), unavailable (5xx, transient) or remote.
 * Never copies a token into err. */
enum bluesky_verdict bluesky_parse_reply(const char *nsid, long status, const char *body,
					 size_t len, json_t **root, struct pp_error *err);

/* The self-labels of [Bluesky] labels: "auto" (the analysis decides: none
 * unless nsfw; then porn for sexual_content, sexual for suggestive,
 * partial_nudity, fetish or bondage, nudity for nudity, sexual when the
 * analysis names none of them), "none", or a comma-separated list of
 * sexual, nudity, porn (always sent). Fills out[] (static strings) and
 * returns the count, or -1 for a setting that is none of these. analysis
 * may be NULL. */
int bluesky_labels(const char *setting, const struct analysis *a,
		   const char *out[BLUESKY_MAX_LABELS]);

/* The languages of [Bluesky] languages (comma-separated BCP 47 tags, at
 * most three), as a JSON array (new reference), or NULL when the setting is
 * not such a list. */
json_t *bluesky_langs(const char *setting);

/* The text a caption is posted as: valid UTF-8 cut to 300 graphemes and
 * 3000 bytes at a word (caption/richtext.h). Caller frees. */
char *bluesky_text(const char *caption);

/* What the post holds besides its text. */
struct bluesky_post {
	const char *text;            /* from bluesky_text */
	json_t *langs;               /* borrowed; NULL: none */
	const char *const *labels;   /* n_labels static strings */
	size_t n_labels;
	json_t *blob;                /* borrowed: the uploadBlob reply's "blob" */
	const char *alt;             /* may be NULL: "" is sent */
	int width, height;           /* of the uploaded image */
	time_t created;              /* createdAt */
};

/* The app.bsky.feed.post record (new reference): $type, text, facets
 * (app.bsky.richtext.facet #tag and #link with UTF-8 byteStart/byteEnd),
 * langs, createdAt, embed app.bsky.embed.images with the image, its alt
 * and aspectRatio, and com.atproto.label.defs#selfLabels when labels. */
json_t *bluesky_post_record(const struct bluesky_post *p);

/* The rkey of an at:// record URI (its last path segment; caller frees),
 * or NULL when uri is not at://<repo>/<collection>/<rkey>. */
char *bluesky_rkey(const char *uri);

/* Seconds to wait for a 429 whose ratelimit-reset header says reset
 * (epoch seconds) at time now, given left seconds before the publish
 * timeout: the wait (0 when reset has passed), or -1 when it would not end
 * in time (the caller fails and says when to retry). */
long bluesky_rate_wait(long long reset, time_t now, long left);

#endif
