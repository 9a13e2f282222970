/* import.c - the one-time import of upstream's posted.json (a list of
 * SHA-256 digests, or an object of digest and content-hash lists) into the
 * posted tables, remembered in the meta table. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "state/state.h"
#include "state/state_impl.h"
#include "telemetry/log.h"
#include "util/buf.h"

#define IMPORT_META_KEY "posted_json_imported"

/* $XDG_CACHE_HOME/publisher_v2/posted.json (a relative XDG_CACHE_HOME is
 * ignored, as the XDG spec says), else $HOME/.cache/…; NULL without either. */
static char *posted_json_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/publisher_v2/posted.json", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/.cache/publisher_v2/posted.json", home);
	return NULL;
}

struct import_counts {
	long sha256;
	long content_hashes;
	long skipped;
};

/* Inserts every valid hex-64 string of arr with statement id. */
static int import_array(struct state *st, json_t *arr, enum stmt_id id, const char *now,
			long *count, long *skipped, struct pp_error *err)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr)) {
		(*skipped)++;
		return 0;
	}
	json_array_foreach(arr, i, v) {
		char hex[65];
		if (!json_is_string(v) || !st_hex64(json_string_value(v), hex)) {
			(*skipped)++;
			continue;
		}
		struct db_stmt *s = st_stmt(st, id, err);
		if (!s)
			return -1;
		db_bind_text(s, 1, hex);
		db_bind_text(s, 2, now);
		if (st_step_done(st, s, "import posted hashes", err) < 0)
			return -1;
		(*count)++;
	}
	return 0;
}

/* Imports upstream's posted.json once. A missing file is not imported (and
 * will be looked for again next time); a malformed one is a warning, never an
 * error. Only a database failure fails. Lock not needed: called from open. */
int st_import_posted_json(struct state *st, struct pp_error *err)
{
	bool done = false;
	char *path = NULL;
	json_t *root = NULL;
	struct import_counts c = { 0 };
	char now[32];
	int rc = -1;

	if (st_row_exists(st, S_META_GET, IMPORT_META_KEY, &done, "read the meta table", err) < 0)
		return -1;
	if (done)
		return 0;
	path = posted_json_path();
	if (!path || access(path, F_OK) < 0) {
		rc = 0;
		goto out;
	}

	json_error_t jerr;
	root = json_load_file(path, JSON_DECODE_ANY, &jerr);
	if (!root || !(json_is_object(root) || json_is_array(root))) {
		char why[300];
		if (!root)
			snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
		else
			snprintf(why, sizeof(why), "expected a JSON object or array");
		log_warning(STATE_LOGGER, "state_import_error", NULL, LF_STR("path", path),
			    LF_STR("error", why));
		rc = 0;
		goto out;
	}

	st_utc_now(now);
	if (st_begin(st, "begin the posted.json import", err) < 0)
		goto out;
	int r = 0;
	if (json_is_array(root)) {
		r = import_array(st, root, S_ADD_SHA, now, &c.sha256, &c.skipped, err);
	} else {
		static const char *const sha_keys[] = { "sha256", "hashes", "posted" };
		static const char *const ch_keys[] = { "dropbox_content_hashes", "content_hashes" };
		for (size_t i = 0; r == 0 && i < sizeof(sha_keys) / sizeof(*sha_keys); i++) {
			json_t *a = json_object_get(root, sha_keys[i]);
			if (a)
				r = import_array(st, a, S_ADD_SHA, now, &c.sha256, &c.skipped, err);
		}
		for (size_t i = 0; r == 0 && i < sizeof(ch_keys) / sizeof(*ch_keys); i++) {
			json_t *a = json_object_get(root, ch_keys[i]);
			if (a)
				r = import_array(st, a, S_ADD_CH, now, &c.content_hashes, &c.skipped,
						 err);
		}
	}
	if (r == 0) {
		struct db_stmt *s = st_stmt(st, S_META_PUT, err);
		if (!s) {
			r = -1;
		} else {
			char *value = xasprintf("%s %s", now, path);
			db_bind_text(s, 1, IMPORT_META_KEY);
			db_bind_text(s, 2, value);
			free(value);
			r = st_step_done(st, s, "mark posted.json imported", err);
		}
	}
	if (r == 0 && db_commit(st->db) < 0)
		r = st_db_fail(st, err, "commit the posted.json import");
	if (r < 0) {
		db_rollback(st->db);
		goto out;
	}
	log_info(STATE_LOGGER, "state_import", NULL, LF_STR("path", path),
		 LF_INT("sha256", c.sha256), LF_INT("content_hashes", c.content_hashes),
		 LF_INT("skipped", c.skipped));
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

