/* fuzz_telegram.c - a Bot API sendPhoto reply body through the parsers of
 * publish/telegram.c, with each status the publisher tells apart: the
 * message_id of a success, the description of a failure, and a 429's
 * parameters.retry_after. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "publish/telegram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 403, 429, 502 };
	const char *body = (const char *)data;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		char *post_id = NULL;
		int rc = telegram_parse_reply(statuses[i], body, size, &post_id, &err);
		if (rc == 0 ? !post_id || !*post_id || statuses[i] != 200
			    : post_id != NULL || err.kind == PP_ERR_NONE)
			abort();
		free(post_id);
	}
	(void)telegram_retry_after(body, size);
	return 0;
}
