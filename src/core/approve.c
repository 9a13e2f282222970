/* approve.c - the caption, alt text and per-platform captions a run
 * publishes (approve.h), and the `caption_approved` line that says so. */
#include <stdlib.h>
#include <string.h>
#include "core/approve.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/utf8.h"

#define LOGGER "workflow"

static void replace(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static void log_approved(const struct stage_ctx *s, const struct approved *a)
{
	log_info(LOGGER, "caption_approved", pp_cid(s->ctx), LF_STR("image", s->sel.name),
		 LF_STR("source", a->source),
		 LF_INT("caption_length", utf8_strlen(s->caption.caption)),
		 LF_INT("alt_text_length", utf8_strlen(s->analysis.alt_text)),
		 LF_INT("overrides", a->nov));
}

int approve_run(const struct workflow_options *opts, struct stage_ctx *s,
		const struct publisher_ops *const *ops, size_t nops, struct approved *out,
		struct pp_error *err)
{
	*out = (struct approved){ .source = "generated" };
	if (opts->caption && *opts->caption) {
		replace(&s->caption.caption, opts->caption);
		out->source = "given";
	}
	if (opts->alt_text)
		replace(&s->analysis.alt_text, opts->alt_text);
	if (opts->edit) {
		struct workflow_edit e = { .image = s->sel.name, .alt_text = s->analysis.alt_text,
					   .ops = ops, .nops = nops };
		char *caption = xstrdup(s->caption.caption ? s->caption.caption : "");
		if (opts->edit(opts->edit_arg, &e, &caption, err) < 0) {
			free(caption);
			log_warning(LOGGER, "caption_edit_aborted", pp_cid(s->ctx),
				    LF_STR("image", s->sel.name), LF_STR("error", err->msg));
			return -1;
		}
		free(s->caption.caption);
		s->caption.caption = caption;
		out->source = "edited";
	}
	for (size_t i = 0; i < opts->noverrides; i++)
		for (size_t k = 0; k < nops && out->nov < WORKFLOW_MAX_PLATFORMS; k++)
			if (opts->overrides[i].platform && opts->overrides[i].caption &&
			    !strcmp(opts->overrides[i].platform, ops[k]->name))
				out->ov[out->nov++] = (struct caption_override){
					.platform = ops[k]->name, .caption = opts->overrides[i].caption };
	log_approved(s, out);
	return 0;
}

void approve_resumed(const struct journal_intent *j, struct stage_ctx *s, struct approved *out)
{
	*out = (struct approved){ .source = "resumed" };
	if (j->caption) {
		replace(&s->caption.caption, j->caption);
		if (j->sd_caption)
			replace(&s->caption.sd_caption, j->sd_caption);
	}
	replace(&s->analysis.alt_text, j->alt_text);
	for (size_t i = 0; i < j->n && out->nov < WORKFLOW_MAX_PLATFORMS; i++) {
		const struct publisher_ops *ops = publisher_find(j->platforms[i].platform);
		if (ops && j->platforms[i].caption)
			out->ov[out->nov++] = (struct caption_override){
				.platform = ops->name, .caption = j->platforms[i].caption };
	}
	log_approved(s, out);
}

const char *approved_override(const struct approved *a, const char *platform)
{
	for (size_t i = 0; i < a->nov; i++)
		if (!strcmp(a->ov[i].platform, platform))
			return a->ov[i].caption;
	return NULL;
}
