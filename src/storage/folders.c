/* folders.c - where curation sends images: the keep and remove folders
 * ([Storage] folder_keep / folder_remove, upstream's [Dropbox] folder_keep /
 * folder_remove / folder_reject when those are absent), their defaults and
 * checks, and whether images may be deleted ([Storage] delete_enabled,
 * upstream's FEATURE_DELETE environment toggle).
 *
 * A relative value is a folder inside the image folder, one or more plain
 * names joined by '/' ("keep", "curated/keep"); an absolute one ("/Curated")
 * is a path of the account, for a backend with STORAGE_ABSOLUTE_FOLDERS
 * (Dropbox) only: a local folder never sends an image outside itself. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "storage/storage.h"
#include "util/fsutil.h"

static const struct config_key folder_keys[] = {
	{ "Storage", "folder_keep", CONFIG_STR, 0, NULL, 0, 0, NULL },
	{ "Storage", "folder_remove", CONFIG_STR, 0, NULL, 0, 0, NULL },
	{ "Storage", "delete_enabled", CONFIG_BOOL, 0, "false", 0, 0, NULL },
	{ "Dropbox", "folder_keep", CONFIG_STR, 0, NULL, 0, 0, NULL },
	{ "Dropbox", "folder_remove", CONFIG_STR, 0, NULL, 0, 0, NULL },
	{ "Dropbox", "folder_reject", CONFIG_STR, 0, NULL, 0, 0, NULL }, /* legacy folder_remove */
	{ 0 },
};

static const struct config_env_key folder_env[] = {
	{ "FEATURE_DELETE", false },
	{ 0 },
};

const struct config_module storage_folder_settings = { .keys = folder_keys, .env = folder_env };

/* Each folder: its name, its default and the keys it is read from, the
 * first one set winning. */
static const struct {
	const char *name;
	const char *def;
	struct { const char *section, *key; } from[3];
} folders[STORAGE_NFOLDERS] = {
	[STORAGE_KEEP] = { "keep", "keep",
			   { { "Storage", "folder_keep" }, { "Dropbox", "folder_keep" } } },
	[STORAGE_REMOVE] = { "remove", "remove",
			     { { "Storage", "folder_remove" }, { "Dropbox", "folder_remove" },
			       { "Dropbox", "folder_reject" } } },
};

const char *storage_folder_name(enum storage_folder f)
{
	return (unsigned)f < STORAGE_NFOLDERS ? folders[f].name : "?";
}

const char *storage_folder(const struct config *cfg, enum storage_folder f, const char **section,
			   const char **key)
{
	if (section)
		*section = NULL;
	if (key)
		*key = NULL;
	if ((unsigned)f >= STORAGE_NFOLDERS)
		return NULL;
	for (size_t i = 0; i < 3 && folders[f].from[i].section; i++) {
		const char *v = config_get(cfg, folders[f].from[i].section, folders[f].from[i].key);
		if (!v)
			continue;
		if (section)
			*section = folders[f].from[i].section;
		if (key)
			*key = folders[f].from[i].key;
		return v;
	}
	return folders[f].def;
}

/* FEATURE_DELETE as a boolean: 1 true, 0 false or unset, -1 not a boolean. */
static int feature_delete(void)
{
	const char *v = config_env("FEATURE_DELETE");
	bool b = false;
	if (!v)
		return 0;
	return config_parse_bool(v, &b) < 0 ? -1 : b;
}

bool storage_delete_enabled(const struct config *cfg)
{
	return config_get_bool(cfg, "Storage", "delete_enabled") || feature_delete() == 1;
}

/* The one folder check: what is wrong with v, or NULL. */
static const char *folder_problem(const struct config *cfg, const struct storage_ops *ops,
				  const char *v)
{
	if (!*v)
		return "must not be empty";
	if (v[0] == '/') {
		if (!(ops->caps & STORAGE_ABSOLUTE_FOLDERS))
			return "must be a folder inside the image folder (a relative name such as "
			       "\"keep\" or \"curated/keep\"), not an absolute path";
		if (!fs_relpath_is_safe(v + 1))
			return "must be an absolute path of plain folder names (no \"..\", \".\", "
			       "empty parts or trailing '/')";
		const char *img = cfg->image_folder ? cfg->image_folder : "";
		size_t n = strlen(img);
		while (n > 0 && img[n - 1] == '/')
			n--;
		if (strlen(v) == n && !strncasecmp(v, img, n))
			return "must not be the image folder itself";
		return NULL;
	}
	if (!fs_relpath_is_safe(v))
		return "must be a folder inside the image folder: plain names joined by '/' "
		       "(no \"..\", \".\", empty parts or trailing '/')";
	if (cfg->archive && !strcmp(v, cfg->archive))
		return "must not be the archive folder";
	if (cfg->quarantine && !strcmp(v, cfg->quarantine))
		return "must not be the quarantine folder";
	return NULL;
}

int storage_folders_validate(const struct config *cfg, const struct storage_ops *ops,
			     struct config_error *e)
{
	const char *seen[STORAGE_NFOLDERS];
	int rc = 0;
	for (int f = 0; f < STORAGE_NFOLDERS; f++) {
		const char *section, *key;
		const char *v = storage_folder(cfg, (enum storage_folder)f, &section, &key);
		const char *why = folder_problem(cfg, ops, v);
		if (!why && f > 0 && !strcmp(v, seen[0]))
			why = "must differ from the keep folder";
		if (why)
			rc = config_fail(e, cfg->path, section ? section : folders[f].from[0].section,
					 key ? key : folders[f].from[0].key, "%s, got \"%s\"", why, v);
		seen[f] = v;
	}
	if (feature_delete() < 0)
		rc = config_fail(e, "environment", NULL, "FEATURE_DELETE",
				 "expected a boolean (true/false, yes/no, 1/0), got \"%s\"",
				 config_env("FEATURE_DELETE"));
	return rc;
}
