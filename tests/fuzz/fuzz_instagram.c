/* fuzz_instagram.c - a Graph API reply body through the parser of
 * publish/instagram.c, with a 2xx and an error status, and what each step
 * of the container flow reads of it (id, status_code). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "publish/instagram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 500 };
	const char *body = (const char *)data;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		json_t *root = NULL;
		if (instagram_parse_reply("instagram media", statuses[i], body, size, &root, &err) == 0) {
			if (!json_is_object(root) || statuses[i] != 200)
				abort();
			const char *id = json_string_value(json_object_get(root, "id"));
			const char *st = json_string_value(json_object_get(root, "status_code"));
			(void)(id ? strlen(id) : 0);
			(void)(st ? strcmp(st, "FINISHED") : 0);
		} else if (root || err.kind == PP_ERR_NONE) {
			abort();
		}
		json_decref(root);
	}
	return 0;
}
