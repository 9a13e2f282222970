/* fuzz_openai.c - a chat-completions reply through the parsers of
 * ai/openai.c: the body of a 2xx reply (usage, model, choices, finish
 * reasons, refusals, content parts) read twice into one call's counts, as
 * the caption and sd_caption calls add up; the error text of a failed one;
 * and the message content as the vision analysis, as the single-call
 * caption pair and as a caption, for both caption specs. The content comes
 * from the reply when it has one, else it is the input itself. */
#include <stdlib.h>
#include <string.h>
#include "ai/ai.h"
#include "ai/openai.h"
#include "fuzz.h"
#include "types/models.h"
#include "util/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

static const struct caption_spec specs[] = {
	{ .platform = "generic", .style = "minimal_poetic", .hashtags = "#photography #fineart",
	  .max_length = 2200 },
	{ .platform = "fetlife_email", .style = "engagement_question", .hashtags = "",
	  .max_length = 240 },
	{ .platform = "generic", .style = "minimal_poetic", .hashtags = "#a #b #c", .max_length = 12 },
};

/* A caption is never empty and never longer than its spec allows. */
static void check_caption(const char *c, const struct caption_spec *spec)
{
	if (c && (!*c || utf8_strlen(c) > spec->max_length))
		abort();
}

static void content(const char *text)
{
	struct analysis an;
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	openai_parse_analysis(text, &an, &call);
	analysis_release(&an);

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct caption_result out;
		struct pp_error err = { 0 };
		const char *why;
		if (openai_parse_caption_pair(text, &specs[i], &out, &why, &err) == 0) {
			check_caption(out.caption, &specs[i]);
			if (!out.caption)
				abort();
		} else if (!why || out.caption) {
			abort();
		}
		caption_result_release(&out);
		char *c = openai_finish_caption(text, &specs[i]);
		check_caption(c, &specs[i]);
		free(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct ai_call call = { .prompt_tokens = -1, .completion_tokens = -1 };
	struct openai_reply reply;
	struct pp_error err = { 0 };
	char text[400];

	openai_error_text(body, size, text, sizeof(text));
	int rc = openai_parse_reply(body, size, "openai caption", "gpt-4o-mini", &reply, &call, &err);
	if (rc == 0) {
		struct openai_reply again;
		struct pp_error err2 = { 0 };
		if (openai_parse_reply(body, size, "openai sd_caption", "gpt-4o-mini", &again, &call,
				       &err2) < 0)
			abort(); /* the same bytes, the same answer */
		free(again.content);
		content(reply.content);
		free(reply.content);
	} else {
		if (reply.content)
			abort();
		char *s = fuzz_str(data, size);
		content(s);
		free(s);
	}
	return 0;
}
