/* fuzz_sidecar.c - a `.txt` sidecar's text through sidecar_parse (as the
 * storage reads it: up to its first NUL), the web's caption of it, its
 * metadata written back out as JSON, and the round trip of that caption
 * as the `caption` and `alt_text` keys: parse(build(c)) gives c back. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "caption/sidecar.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct sidecar sc;
	struct pp_error err = { 0 };
	int warnings;
	if (sidecar_parse(text, &sc, &warnings, &err) < 0)
		abort(); /* only NULL text fails */
	(void)strlen(sidecar_caption(&sc));
	/* What the web sends back: every key and value must be JSON. */
	char *json = json_dumps(sc.meta, JSON_COMPACT);
	if (!json)
		abort();
	free(json);
	const char *c = sidecar_caption(&sc);
	if (*c) {
		struct sidecar_fields f = { .caption = c, .alt_text = c };
		char *built = sidecar_build("sd", &f, NULL, false);
		struct sidecar back;
		if (sidecar_parse(built, &back, NULL, &err) < 0 || strcmp(sidecar_caption(&back), c) ||
		    !sidecar_alt_text(&back) || strcmp(sidecar_alt_text(&back), c))
			abort();
		sidecar_release(&back);
		free(built);
	}
	sidecar_release(&sc);
	free(text);
	return 0;
}
