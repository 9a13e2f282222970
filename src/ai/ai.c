/* ai.c - the provider-independent side of the describer: picks the provider
 * the configuration names, times and logs every call (`vision_analysis`,
 * `caption_call`) and enforces caption length. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ai/ai.h"
#include "types/stage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/utf8.h"

#define LOGGER "ai"

int ai_open(const struct config *cfg, struct ai **out, struct pp_error *err)
{
	*out = NULL;
	switch (cfg->provider) {
	case AI_LOCAL:
		return local_ai.open(cfg, out, err);
	case AI_OPENAI:
		return openai_ai.open(cfg, out, err);
	}
	return pp_fail_kind(err, "ai", PP_ERR_UNAVAILABLE, "AI provider %s is not available in this build",
			    cfg->provider == AI_OPENAI ? "openai" : "unknown");
}

static struct log_field tokens_field(const char *key, long n)
{
	return n < 0 ? LF_NULL(key) : LF_INT(key, n);
}

/* cost_usd: null when nothing was counted or a model has no price. */
static struct log_field cost_field(const struct ai_call *call)
{
	if (call->cost_unknown || (call->prompt_tokens < 0 && call->completion_tokens < 0))
		return LF_NULL("cost_usd");
	/* an estimate: ten decimals, without the float noise of the sum */
	return LF_DOUBLE("cost_usd", round(call->cost_usd * 1e10) / 1e10);
}

int ai_analyze(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
	       struct analysis *out, long *ms, struct pp_error *err)
{
	struct pp_error local_err = { 0 };
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	const char *cid = ctx ? ctx->correlation_id : NULL;
	const char *error_type;
	int64_t start, took;
	int rc;

	if (!err)
		err = &local_err;
	*out = (struct analysis){ 0 };
	snprintf(call.model, sizeof(call.model), "%s", ai->ops->vision_model(ai));
	start = now_monotonic();
	rc = ai->ops->analyze(ai, ctx, img, out, &call, err);
	took = elapsed_ms(start);
	if (ms)
		*ms = (long)took;
	pp_ctx_time(ctx, "ai", (double)took);

	error_type = call.error_type;
	if (rc == 0) {
		log_info(LOGGER, "vision_analysis", cid, LF_STR("model", call.model),
			 LF_MS(stage_defs[STAGE_VISION].ms_key, took), LF_BOOL("ok", true),
			 LF_STR("error_type", error_type),
			 tokens_field("prompt_tokens", call.prompt_tokens),
			 tokens_field("completion_tokens", call.completion_tokens),
			 cost_field(&call), LF_STR("detail", call.detail),
			 LF_BOOL("fallback", call.fallback));
		return 0;
	}
	analysis_release(out);
	if (!error_type)
		error_type = pp_error_name(err->kind);
	log_error(LOGGER, "vision_analysis", cid, LF_STR("model", call.model),
		  LF_MS(stage_defs[STAGE_VISION].ms_key, took), LF_BOOL("ok", false),
		  LF_STR("error_type", error_type),
		  tokens_field("prompt_tokens", call.prompt_tokens),
		  tokens_field("completion_tokens", call.completion_tokens),
		  cost_field(&call), LF_STR("detail", call.detail),
		  LF_BOOL("fallback", call.fallback), LF_STR("error", err->msg));
	return -1;
}

int ai_caption(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
	       const struct caption_spec *spec, bool with_sd, struct caption_result *out,
	       long *ms, struct pp_error *err)
{
	struct pp_error local_err = { 0 };
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	const char *cid = ctx ? ctx->correlation_id : NULL;
	int64_t start, took;
	int rc;

	if (!err)
		err = &local_err;
	*out = (struct caption_result){ 0 };
	snprintf(call.model, sizeof(call.model), "%s", ai->ops->caption_model(ai));
	start = now_monotonic();
	rc = ai->ops->caption(ai, ctx, an, spec, with_sd, out, &call, err);
	took = elapsed_ms(start);
	if (ms)
		*ms = (long)took;
	pp_ctx_time(ctx, "ai", (double)took);

	if (rc == 0 && (!out->caption || !*out->caption))
		rc = pp_fail_kind(err, "ai", PP_ERR_REMOTE, "the caption came back empty");
	if (rc == 0) {
		/* whatever the provider did, the limit holds */
		char *cut = ai_enforce_length(out->caption, spec->max_length);
		free(out->caption);
		out->caption = cut;
		if (out->sd_caption && !*out->sd_caption) {
			free(out->sd_caption);
			out->sd_caption = NULL;
		}
		if (!out->model)
			out->model = xstrdup(call.model);
	}
	log_debug(LOGGER, "caption_call", cid, LF_STR("model", call.model),
		  LF_MS("duration_ms", took), LF_BOOL("ok", rc == 0),
		  LF_STR("error_type", rc == 0 ? call.error_type
			 : call.error_type ? call.error_type : pp_error_name(err->kind)),
		  tokens_field("prompt_tokens", call.prompt_tokens),
		  tokens_field("completion_tokens", call.completion_tokens),
		  cost_field(&call), LF_STR("error", rc == 0 ? NULL : err->msg));
	if (rc)
		caption_result_release(out);
	return rc;
}

char *ai_enforce_length(const char *s, size_t max)
{
	return utf8_cut_ellipsis(s, max);
}

/* "Soft Window-Light" -> "soft_window_light"; multi-byte UTF-8 characters
 * are kept as they are, an invalid subpart becomes U+FFFD. Returns a new
 * string, maybe "". */
char *ai_snake_case(const char *s)
{
	struct buf b = BUF_INIT;
	bool sep = false;
	while (*s) {
		uint32_t c;
		size_t len = utf8_decode(s, strnlen(s, 4), &c);
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
			if (sep && b.len)
				buf_addc(&b, '_');
			sep = false;
			if (c == UTF8_BAD)
				buf_adds(&b, UTF8_REPLACEMENT);
			else if (c < 0x80)
				buf_addc(&b, (char)c);
			else
				buf_add(&b, s, len);
		} else {
			sep = true;
		}
		s += len;
	}
	return buf_detach(&b);
}

/* s cut to its first max words (whitespace-separated), with "…" when cut. */
char *ai_limit_words(char *s, int max)
{
	int words = 0;
	bool in_word = false;
	for (char *p = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			in_word = false;
			continue;
		}
		if (!in_word && ++words > max) {
			char *q = p;
			while (q > s && isspace((unsigned char)q[-1]))
				q--;
			while (q > s && strchr(",;:", q[-1]))
				q--;
			char *cut = xasprintf("%.*s\u2026", (int)(q - s), s);
			free(s);
			return cut;
		}
		in_word = true;
	}
	return s;
}
