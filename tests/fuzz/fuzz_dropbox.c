/* fuzz_dropbox.c - a Dropbox API reply body through the parsers of
 * storage/dropbox.c, as each endpoint's caller reads it: a 2xx RPC reply
 * (list_folder pages with their entries and server_modified times,
 * get_temporary_link, get_metadata, move_v2), an error reply with each
 * status the backend tells apart, and the oauth2/token reply. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "storage/dropbox.h"
#include "storage/storage.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

static void ok_reply(const char *body, size_t len)
{
	json_t *reply;
	struct pp_error err = { 0 };
	if (dropbox_parse_reply(body, len, "list_folder", 200, &reply, &err) < 0)
		return;

	struct storage_list list = { 0 };
	size_t cap = 0, entries = 0;
	const char *cursor;
	/* two pages of the same reply, as list_folder/continue would add them */
	if (dropbox_list_page(reply, &list, &cap, &entries, &cursor) && cursor)
		(void)strlen(cursor);
	(void)dropbox_list_page(reply, &list, &cap, &entries, &cursor);
	if (list.n > cap || list.n > entries)
		abort();
	for (size_t i = 0; i < list.n; i++)
		if (!storage_is_image_name(list.items[i].name))
			abort(); /* only images are listed */
	storage_list_release(&list);

	char *url = NULL;
	if (dropbox_link_of(reply, &url, &err) == 0 && !*url)
		abort();
	free(url);
	struct storage_meta meta;
	dropbox_meta_of(reply, &meta);
	free(dropbox_moved_name(reply));
	json_decref(reply);
}

static void error_reply(const char *body, size_t len)
{
	static const long statuses[] = { 400, 401, 403, 409, 429, 500, 503 };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		char tags[160];
		if (dropbox_parse_error("download", statuses[i], (int)i, body, len, tags,
					sizeof(tags), &err) != -1 || err.kind == PP_ERR_NONE)
			abort();
	}
}

static void token_reply(const char *body, size_t len)
{
	static const long statuses[] = { 200, 400, 429, 500 };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pp_error err = { 0 };
		char *token = NULL;
		int64_t expires;
		if (dropbox_parse_token_reply(statuses[i], body, len, &token, &expires, &err) == 0 &&
		    (!token || !*token || expires < 0 || expires > 366 * 86400))
			abort();
		free(token);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	ok_reply(body, size);
	error_reply(body, size);
	token_reply(body, size);

	/* server_modified on its own */
	char *s = fuzz_str(data, size < 64 ? size : 64);
	(void)dropbox_parse_rfc3339(s);
	free(s);
	return 0;
}
