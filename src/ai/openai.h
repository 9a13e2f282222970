/* openai.h - what the OpenAI provider (openai.c, `openai_ai` in ai.h) reads
 * in the API's replies, apart from its HTTP calls: pure functions over a
 * reply's bytes or the model's text, which the provider calls and which
 * tests and fuzzers can call without a server. */
#ifndef PHOTOPUB_AI_OPENAI_H
#define PHOTOPUB_AI_OPENAI_H

#include <stdbool.h>
#include <stddef.h>
#include "ai/ai.h"
#include "types/models.h"
#include "util/error.h"

struct openai_reply {
	char *content;             /* choices[0].message.content, trimmed; caller frees */
	char model[64];            /* the model that answered, else the one asked */
};

/* A 2xx chat-completions reply (the body's len bytes) to a call named what
 * ("openai vision") asking model: 0 with *out filled; -1 with err filled
 * (kind remote) and out->content NULL when it holds no usable message
 * content (call->error_type then says "truncated", "content_filter" or
 * "refusal" when the reply said so). Its usage token counts add to call's. */
int openai_parse_reply(const char *body, size_t len, const char *what, const char *model,
		       struct openai_reply *out, struct ai_call *call, struct pp_error *err);

/* The error text of a failed response's body: error.message (or the body's
 * beginning), sanitized, with the error code when there is one. */
void openai_error_text(const char *body, size_t len, char *out, size_t cap);

/* The analysis in a vision reply's content: its JSON object (or the part
 * from the first '{' to the last '}') mapped forgivingly; content holding
 * no object gives its first 100 characters as the description, mood
 * "unknown" and call->error_type "json_decode_error". The caller releases
 * *out. */
void openai_parse_analysis(const char *content, struct analysis *out, struct ai_call *call);

/* Whether a vision reply's content is usable as an analysis: after the
 * repair openai_parse_analysis makes, a JSON object whose "description"
 * has text and whose "tags" give at least one tag. NULL *why when usable,
 * else "json_decode_error" or "missing_fields" (static). */
bool openai_analysis_usable(const char *content, const char **why);

/* The caption and sd_caption of a single-call caption reply's content (a
 * JSON object), the caption made final for spec as openai_finish_caption
 * does. 0 with out->caption set (out->sd_caption too when the model gave
 * one; out->model is the caller's to set); -1 with err filled, *why
 * ("json_decode_error", "missing_caption") and *out empty. */
int openai_parse_caption_pair(const char *content, const struct caption_spec *spec,
			      struct caption_result *out, const char **why, struct pp_error *err);

/* The model's caption text made final: quotes stripped, spec's hashtags
 * added (kept when the text has to be cut), at most spec->max_length
 * characters. NULL when nothing is left. Caller frees. */
char *openai_finish_caption(const char *text, const struct caption_spec *spec);

#endif
