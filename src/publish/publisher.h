/* publisher.h - a platform photopub publishes to.
 *
 * Each platform is one file that fills one `const struct publisher_ops`:
 * its caption rules, what it asks of the AI, its capabilities, its own INI
 * keys and environment values, the check of its settings and its publish
 * call. publish() runs on its own thread, at the same time as the other
 * platforms', so it must touch nothing shared but what struct publish_input
 * gives it.
 *
 * Adding a platform:
 *  1. publish/NAME.c, everything static but `const struct publisher_ops
 *     NAME_publisher`: a header comment naming the API it speaks; .settings
 *     with its [Section] keys (config_get*() reads them) and its secrets;
 *     .enabled (usually `enabled = true` in its section); .validate adding
 *     every problem to the config_error with file, section and key; .caption, .caps; publish()
 *     and preview().
 *  2. Its extern line below and its row in publishers[] (publisher.c).
 *  3. tests: unit tests, and an e2e test against a fake or real server on
 *     127.0.0.1; docs: its keys in docs/configuration.md.
 * Nothing else changes: config checks its keys, the run and the web publish
 * to it, /metrics, stats and trace count it, by looping over the table. */
#ifndef PHOTOPUB_PUBLISH_PUBLISHER_H
#define PHOTOPUB_PUBLISH_PUBLISHER_H

#include <stdbool.h>
#include <stdio.h>
#include "caption/approval.h"
#include "caption/format.h"
#include "config/config.h"
#include "types/models.h"
#include "types/session.h"
#include "image/image.h"
#include "util/error.h"

struct storage;

/* Where a platform keeps its login between runs (publish/session_store.h
 * puts it in the state file), keyed by service URL and account name.
 * get: 1 with *out filled (the caller releases it), 0 none saved, -1 error;
 * put: saves s, or forgets the saved one when s is NULL. A store whose get
 * is NULL keeps nothing: the platform logs in on every post. */
struct session_store {
	int (*get)(void *arg, const char *service, const char *account,
		   struct saved_session *out, struct pp_error *err);
	int (*put)(void *arg, const char *service, const char *account,
		   const struct saved_session *s, struct pp_error *err);
	void *arg;                     /* outlives the run, like storage */
};

struct publish_input {
	/* The run's id, without a timing sink: a platform past its time limit
	 * may still run after the request that started it has ended, so the
	 * parallel job keeps its own copy of the id (see parallel.c). */
	struct pp_ctx ctx;
	const char *image_path;        /* private temp copy of the original */
	const char *image_name;        /* its name in the folder */
	const char *sha256;
	const struct image_info *info;
	const struct analysis *analysis;
	const char *caption;           /* the caption (the AI's, or as a person approved
					  it), before platform formatting */
	const char *sd_caption;        /* may be NULL */
	struct storage *storage;       /* the image folder (staging for Instagram) */
	const char *alt_text;          /* for the platforms whose caps.alt_text; may be NULL */
	/* Per-platform captions: publish_parallel gives each platform's job
	 * its override as `caption` before it starts (publish_input_for), so
	 * publish() and preview() only ever read `caption`. */
	const struct caption_override *overrides;
	size_t noverrides;
	const char *first_correlation_id; /* the run that first sent this post; never NULL once
					     the job starts */
	struct session_store sessions; /* logins kept between runs; may be empty */
};

/* The caption platform is sent: its override in in, else in->caption. */
const char *publish_caption_for(const struct publish_input *in, const char *platform);

/* An earlier attempt, as the publish journal kept it. */
struct publish_ref {
	const char *correlation_id;    /* the run that sent it */
	const char *image_name;
	const char *sha256;
};

/* What a platform can take and needs. */
struct publisher_caps {
	bool needs_public_url;         /* its servers fetch the image from a URL
					  (the storage must have STORAGE_PUBLIC_URLS) */
	bool alt_text;                 /* takes a description of the image */
	int max_width;                 /* px of the JPEG it is sent; 0: the original file */
	size_t max_bytes;              /* largest image it accepts; 0: no limit */
	const char *formats;           /* what it accepts: "jpeg", "jpeg png", "any" */
};

struct publisher_ops {
	const char *name;              /* "telegram", "email", "instagram", "outbox" */
	const char *section, *key;     /* the INI switch that turns it on, for messages:
					  "Content" "telegram", "Outbox" "enabled" */
	struct caption_rules caption;  /* the caption as it is sent */
	/* What to ask the AI for while this platform is on (the FetLife email
	 * wants a question); NULL: the generic caption. The first enabled
	 * platform of the table with one decides. */
	const struct caption_spec *ai_spec;
	struct publisher_caps caps;
	/* Its own INI keys and environment values, for a platform whose
	 * settings are not among config's: read with config_get*(). */
	struct config_module settings;

	/* Whether cfg turns this platform on. */
	bool (*enabled)(const struct config *cfg);

	/* Checks the settings this platform needs, adding every problem to e
	 * with config_fail (file, section, key) and going on to the next
	 * check; -1 when there was one. NULL when there is nothing to check. */
	int (*validate)(const struct config *cfg, struct config_error *e);

	/* Publishes; fills out->post_id on success. Returns 0 / -1. */
	int (*publish)(const struct config *cfg, const struct publish_input *in,
		       struct publish_result *out, struct pp_error *err);

	/* Optional: whether a post sent by an earlier, interrupted run landed.
	 * Returns 1 (it did: *post_id set, the caller's to free), 0 (it did not:
	 * sending it again posts it once) or -1 (cannot tell; err filled). A
	 * platform without it is never sent an image whose outcome is unknown. */
	int (*landed)(const struct config *cfg, const struct publish_ref *ref, char **post_id,
		      struct pp_error *err);

	/* Writes the preview lines of this platform (caption as it would be sent,
	 * and anything else the platform decides) to f. NULL: the caption only. */
	void (*preview)(const struct config *cfg, const struct publish_input *in, FILE *f);
};

/* Every known platform, NULL-terminated, in a fixed order. */
extern const struct publisher_ops *const publishers[];

extern const struct publisher_ops outbox_publisher;
extern const struct publisher_ops telegram_publisher;
extern const struct publisher_ops email_publisher;
extern const struct publisher_ops instagram_publisher;
extern const struct publisher_ops mastodon_publisher;
extern const struct publisher_ops pixelfed_publisher;
extern const struct publisher_ops bluesky_publisher;

/* The platform called name, or NULL. */
const struct publisher_ops *publisher_find(const char *name);

/* What to ask the AI for under cfg: the ai_spec of the first enabled
 * platform that has one, else the generic caption (REFERENCE "Caption
 * spec") with [Content] hashtag_string. */
void publisher_caption_spec(const struct config *cfg, struct caption_spec *spec);

/* Its index in publishers[], or -1. */
int publisher_index(const char *name);

/* The number of platforms in publishers[]. */
size_t publisher_count(void);

#endif
