/* fuzz_mastodon.c - a Mastodon API reply body through the parsers of
 * publish/mastodon.c: instance limits, media and status replies with each
 * status the publishers tell apart, and the bytes as an X-RateLimit-Reset
 * value. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "publish/mastodon.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 202, 206, 401, 422, 429, 503 };
	const char *body = (const char *)data;
	struct mastodon_limits lim = { .max_characters = 500, .image_size_limit = 1,
				       .image_matrix_limit = 1, .description_limit = 1 };
	if (mastodon_parse_instance(body, size, &lim) == 0 &&
	    (!lim.max_characters || !lim.image_size_limit || !lim.image_matrix_limit ||
	     !lim.description_limit))
		abort();
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		char *id = NULL, *url = NULL;
		bool ready = false;
		int rc = mastodon_parse_media("Mastodon", statuses[i], body, size, &id, &ready, &err);
		if (rc == 0 ? (ready && statuses[i] != 200) || (!id && statuses[i] != 206)
			    : id != NULL || err.kind == PP_ERR_NONE)
			abort();
		free(id);
		id = NULL;
		pp_error_clear(&err);
		rc = mastodon_parse_status("Mastodon", statuses[i], body, size, &id, &url, &err);
		if (rc == 0 ? !id || !*id || statuses[i] >= 300
			    : id != NULL || url != NULL || err.kind == PP_ERR_NONE)
			abort();
		free(id);
		free(url);
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)mastodon_reset_ms(s);
	free(s);
	return 0;
}
