/* dropbox.h - what the Dropbox backend (dropbox.c, `dropbox_storage` in
 * storage.h) reads in Dropbox's replies, apart from its HTTP calls: pure
 * functions over a reply's bytes or its parsed object, which the backend
 * calls and which tests and fuzzers can call without a server. */
#ifndef PHOTOPUB_STORAGE_DROPBOX_H
#define PHOTOPUB_STORAGE_DROPBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "storage/storage.h"
#include "util/error.h"

/* "2026-11-28T10:15:02Z" (fraction optional) -> ns since the epoch; 0 when
 * unparsable or outside what 64-bit nanoseconds hold. */
int64_t dropbox_parse_rfc3339(const char *s);

/* The 2xx reply of an RPC or upload endpoint (HTTP status): the JSON object
 * it must be, into *out (the caller's reference). -1 with err filled (kind
 * remote, http_status) and *out NULL otherwise. */
int dropbox_parse_reply(const char *body, size_t len, const char *endpoint, long status,
			json_t **out, struct pp_error *err);

/* A non-2xx reply of endpoint: err filled (kind from the status and the
 * error's .tag tree, message, http_status, transient; the caller adds
 * retry_after) and tags set to that tree ("path/not_found", "" when none).
 * attempts > 1 is named in the message. Returns -1. */
int dropbox_parse_error(const char *endpoint, long status, int attempts, const char *body,
			size_t len, char *tags, size_t cap, struct pp_error *err);

/* The reply of oauth2/token (HTTP status): 0 with *token (caller frees; a
 * secret) and *expires_in (seconds; 0 when the server said nothing, or a
 * lifetime of more than a year that no token has), or -1 with err filled. */
int dropbox_parse_token_reply(long status, const char *body, size_t len, char **token,
			      int64_t *expires_in, struct pp_error *err);

/* One page of list_folder or list_folder/continue (a reply object): adds
 * its images (plain, downloadable image files) to out, whose capacity *cap
 * is kept between pages, and adds its number of entries to *entries. True
 * when more pages follow; then *cursor (pointing into reply) is the cursor,
 * NULL or "" when the reply gave none. */
bool dropbox_list_page(const json_t *reply, struct storage_list *out, size_t *cap,
		       size_t *entries, const char **cursor);

/* The link of a get_temporary_link reply object: 0 with *url (caller
 * frees), -1 with err filled when there is none. */
int dropbox_link_of(const json_t *reply, char **url, struct pp_error *err);

/* The id and rev of a get_metadata reply object ("" when absent; cut to
 * out's fields). */
void dropbox_meta_of(const json_t *reply, struct storage_meta *out);

/* The name a move_v2 reply object gives the moved file (metadata.name),
 * when it is a plain file name; NULL otherwise. Caller frees. */
char *dropbox_moved_name(const json_t *reply);

#endif
