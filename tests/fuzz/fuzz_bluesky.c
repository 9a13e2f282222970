/* fuzz_bluesky.c - an XRPC reply body through the reader of
 * publish/bluesky.c with each status the publisher tells apart, the URI of
 * a createRecord reply through the rkey reader, and the body as caption
 * text through the grapheme cut and the facet finder: every span must lie
 * on the text, inside it, in order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "caption/richtext.h"
#include "fuzz.h"
#include "publish/bluesky.h"
#include "util/grapheme.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 429, 502 };
	const char *body = (const char *)data;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		json_t *root = NULL;
		enum bluesky_verdict v = bluesky_parse_reply("com.atproto.repo.createRecord",
							     statuses[i], body, size, &root, &err);
		if (v == BLUESKY_OK ? !root || statuses[i] != 200
				    : root != NULL || err.kind == PP_ERR_NONE)
			abort();
		if (root) {
			free(bluesky_rkey(json_string_value(json_object_get(root, "uri"))));
			json_decref(root);
		}
	}
	char *s = strndup(body, size);
	char *text = bluesky_text(s);
	size_t n = strlen(text);
	if (grapheme_count(text, n) > BLUESKY_MAX_GRAPHEMES || n > BLUESKY_MAX_TEXT_BYTES)
		abort();
	struct richtext_span *v;
	size_t k = richtext_spans(text, &v), last = 0;
	for (size_t i = 0; i < k; i++) {
		if (v[i].start < last || v[i].end <= v[i].start || v[i].end > n)
			abort();
		last = v[i].end;
	}
	richtext_spans_free(v, k);
	free(text);
	free(s);
	return 0;
}
