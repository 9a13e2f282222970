/* preview.c - the report `--preview` prints on stdout: the image, what the
 * AI saw, the caption as each platform would get it, the sidecar that would
 * be written, and where the time went. Nothing here writes anywhere else. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "core/posted_before.h"
#include "core/preview.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"

static void rule(FILE *f, const char *title)
{
	fprintf(f, "\n== %s ", title);
	for (size_t i = strlen(title); i < 66; i++)
		fputc('=', f);
	fputc('\n', f);
}

static void field(FILE *f, const char *name, const char *value)
{
	if (value && *value)
		fprintf(f, "  %-24s %s\n", name, value);
}

static void list_field(FILE *f, const char *name, const struct strv *sv)
{
	if (sv->n == 0)
		return;
	char *s = strv_join(sv, ", ");
	field(f, name, s);
	free(s);
}

static void timing(FILE *f, const char *name, int64_t ms)
{
	if (ms < 0)
		fprintf(f, "  %-24s %8s\n", name, "-");
	else
		fprintf(f, "  %-24s %6lld ms\n", name, (long long)ms);
}

/* Where the run's settings come from: the configuration file, the AI
 * provider and the models that describe and caption. */
static void setup_section(const struct preview *p, FILE *f)
{
	const struct config *cfg = p->cfg;
	rule(f, "Setup");
	char *abs = cfg->path ? realpath(cfg->path, NULL) : NULL;
	field(f, "config", abs ? abs : cfg->path);
	free(abs);
	if (cfg->env_path)
		field(f, "env", cfg->env_path);
	if (!p->ai)
		return;
	bool openai = cfg->provider == AI_OPENAI;
	if (openai) {
		char *url = sanitize(cfg->openai_base_url ? cfg->openai_base_url : "");
		char *s = xasprintf("openai (OpenAI-compatible API at %s)", url);
		field(f, "ai provider", s);
		free(s);
		free(url);
	} else {
		field(f, "ai provider", "local (the offline analyzer: no network, no account)");
	}
	field(f, "vision model", p->ai->ops->vision_model(p->ai));
	field(f, "caption model", p->ai->ops->caption_model(p->ai));
	if (!cfg->sd_caption_enabled)
		field(f, "sd caption model", "none ([openAI] sd_caption_enabled = false)");
	else
		field(f, "sd caption model", openai && cfg->sd_caption_model
						     ? cfg->sd_caption_model
						     : p->ai->ops->caption_model(p->ai));
}

/* Whether the image was posted before, when and where (from the state). */
static void status_field(const struct preview *p, FILE *f)
{
	if (!p->state || !p->sha256 || !*p->sha256)
		return;
	struct posted_before pb;
	struct pp_error err = { 0 };
	fprintf(f, "  %-24s ", "status");
	if (posted_before_find(p->state, p->sha256, p->content_hash, &pb, &err) < 0)
		fprintf(f, "unknown (%s)", err.msg);
	else
		posted_before_write(&pb, f);
	fputc('\n', f);
}

void preview_write(const struct preview *p, FILE *f)
{
	fprintf(f, "photopub preview (nothing is published, written, archived or recorded)\n");
	fprintf(f, "correlation_id: %s\n", p->correlation_id);
	setup_section(p, f);

	rule(f, "Image");
	if (!p->image) {
		fprintf(f, "  none: %s\n", workflow_error(p->result) ? workflow_error(p->result) : "no image");
	} else {
		/* What the next run posts: the same queue, read without writing. */
		if (p->queue_position)
			fprintf(f, "  next: %s (queue position %zu): the image the next run will post\n",
				p->image, p->queue_position);
		else
			fprintf(f, "  selected: %s (--select)\n", p->image);
		field(f, "file", p->image);
		field(f, "sha256", p->sha256);
		status_field(p, f);
		if (p->info) {
			char dims[64];
			snprintf(dims, sizeof(dims), "%d x %d px, %s, %lld bytes", p->info->width,
				 p->info->height, p->info->format, (long long)p->bytes);
			field(f, "size", dims);
		}
	}

	if (p->analysis) {
		const struct analysis *a = p->analysis;
		rule(f, "Analysis");
		field(f, "description", a->description);
		field(f, "mood", a->mood);
		list_field(f, "tags", &a->tags);
		field(f, "nsfw", a->nsfw ? "yes" : "no");
		list_field(f, "safety_labels", &a->safety_labels);
		field(f, "subject", a->subject);
		field(f, "style", a->style);
		field(f, "lighting", a->lighting);
		field(f, "camera", a->camera);
		list_field(f, "clothing_or_accessories", &a->clothing_or_accessories);
		list_field(f, "aesthetic_terms", &a->aesthetic_terms);
		field(f, "pose", a->pose);
		field(f, "composition", a->composition);
		field(f, "background", a->background);
		field(f, "color_palette", a->color_palette);
		field(f, "alt_text", a->alt_text);
	}

	if (p->caption) {
		rule(f, "Caption");
		fprintf(f, "  %s\n", p->caption);
		fprintf(f, "  (%zu characters, model %s)\n", utf8_strlen(p->caption),
			p->caption_model ? p->caption_model : "?");
		if (p->sd_caption)
			fprintf(f, "  sd_caption: %s\n", p->sd_caption);

		rule(f, "Platforms");
		if (p->nops == 0)
			fprintf(f, "  no platform is enabled\n");
		struct publish_input in = {
			.ctx = { .correlation_id = p->correlation_id }, .image_path = p->image_path,
			.image_name = p->image, .sha256 = p->sha256, .info = p->info,
			.analysis = p->analysis, .caption = p->caption, .sd_caption = p->sd_caption,
			.alt_text = p->analysis ? p->analysis->alt_text : NULL,
			.overrides = p->overrides, .noverrides = p->noverrides,
		};
		for (size_t i = 0; i < p->nops; i++) {
			fprintf(f, "[%s]\n", p->ops[i]->name);
			struct publish_input one = in; /* with this platform's caption */
			one.caption = publish_caption_for(&in, p->ops[i]->name);
			if (p->ops[i]->preview) {
				p->ops[i]->preview(p->cfg, &one, f);
			} else {
				char *c = caption_apply(&p->ops[i]->caption, one.caption);
				fprintf(f, "  caption: %s\n", c);
				free(c);
			}
		}

		rule(f, "Sidecar");
		if (p->sidecar)
			fprintf(f, "%s", p->sidecar);
		else
			fprintf(f, "  none (no sd_caption)\n");
	}

	rule(f, "Timings");
	for (size_t s = 0; s < STAGE_COUNT; s++) {
		char label[64];
		const char *key = stage_defs[s].ms_key;
		timing(f, stage_label(key, strlen(key), p->cfg->backend, label, sizeof(label)),
		       p->timings->ms[s]);
	}
	if (workflow_error(p->result))
		fprintf(f, "\nerror: %s\n", workflow_error(p->result));
	fflush(f);
}
