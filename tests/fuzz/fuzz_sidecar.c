/* fuzz_sidecar.c - a `.txt` sidecar's text through sidecar_parse (as the
 * storage reads it: up to its first NUL), the web's caption of it, and its
 * metadata written back out as JSON. */
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
	sidecar_release(&sc);
	free(text);
	return 0;
}
