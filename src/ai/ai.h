/* ai.h - the describer: vision analysis and captions, whichever provider.
 *
 * Each provider is one file that fills one `const struct ai_ops`. Callers go
 * through ai_analyze() and ai_caption(), which time the call and write the
 * `vision_analysis` line, so no provider logs its own timing. */
#ifndef PHOTOPUB_AI_AI_H
#define PHOTOPUB_AI_AI_H

#include <stdbool.h>
#include "config/config.h"
#include "types/models.h"
#include "util/error.h"

struct ai_image {
	const char *name;        /* file name, for messages */
	const char *path;        /* local copy of the image: always present */
	const char *url;         /* temporary link or data: URL; NULL unless ops->needs_url */
	const char *sha256;      /* of the bytes */
};

/* What one call cost, for the log line. */
struct ai_call {
	char model[64];
	const char *error_type;  /* static string, NULL when clean: "json_decode_error", … */
	long prompt_tokens;      /* -1 when the provider does not count */
	long completion_tokens;
	double cost_usd;         /* estimate summed over the calls made (ai/prices.h) */
	bool cost_unknown;       /* a call's model has no price: the cost is null */
	const char *detail;      /* vision: the image detail of the answer used, static */
	bool fallback;           /* vision: a second call at high detail was made */
};

struct ai;

struct ai_ops {
	const char *name;        /* "local", "openai" */
	bool needs_url;          /* analyze() reads img->url */

	int (*open)(const struct config *cfg, struct ai **out, struct pp_error *err);
	void (*close)(struct ai *ai);

	/* Fills *out (caller releases with analysis_release) and *call. */
	int (*analyze)(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
		       struct analysis *out, struct ai_call *call, struct pp_error *err);

	/* Caption (and sd_caption when with_sd) following spec. The caption is
	 * never empty and never longer than spec->max_length characters. */
	int (*caption)(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
		       const struct caption_spec *spec, bool with_sd,
		       struct caption_result *out, struct ai_call *call, struct pp_error *err);

	/* Model names for the log line and the sidecar's model_version. */
	const char *(*vision_model)(const struct ai *ai);
	const char *(*caption_model)(const struct ai *ai);
};

struct ai {
	const struct ai_ops *ops;
};

extern const struct ai_ops local_ai;
extern const struct ai_ops openai_ai;

/* The provider cfg names, opened. */
int ai_open(const struct config *cfg, struct ai **out, struct pp_error *err);
static inline void ai_close(struct ai *ai)
{
	if (ai)
		ai->ops->close(ai);
}

/* Timed, logged calls (`vision_analysis` with model, vision_analysis_ms, ok,
 * error_type; `caption_call`; `caption_generated` is the workflow's). *ms
 * (may be NULL) receives the call's time, which is also reported to ctx's
 * timing sink as "ai": the one clock of the vision and caption stages. */
int ai_analyze(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
	       struct analysis *out, long *ms, struct pp_error *err);
int ai_caption(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
	       const struct caption_spec *spec, bool with_sd, struct caption_result *out,
	       long *ms, struct pp_error *err);

/* Cuts s to at most max characters (code points): max-1 and "…" when longer,
 * invalid bytes counted as util/utf8.h says. Returns a new string. */
char *ai_enforce_length(const char *s, size_t max);

/* "Soft Window-Light" -> "soft_window_light": lowercase, every run of
 * characters that are not [a-z0-9] one '_'; multi-byte UTF-8 characters
 * are kept, an invalid subpart becomes U+FFFD (util/utf8.h). Returns a new
 * string, maybe "". */
char *ai_snake_case(const char *s);

/* Takes s and returns it cut to its first max words (whitespace-separated),
 * with "…" when cut (then a new string: s is freed). */
char *ai_limit_words(char *s, int max);

#endif
