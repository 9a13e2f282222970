/* storage.h - the image folder, wherever it lives (a local folder, Dropbox, S3).
 *
 * Each backend is one file that fills one `const struct storage_ops` and one
 * row of storage_backends[] (storage.c). Everything above storage/ calls the
 * storage_*() facade below, never the ops: the facade times each call once,
 * writes its one debug line and reports the time to the request's sink.
 * What differs between backends is a capability bit, not a test of the
 * backend's name. Names are plain file names inside the folder: every call
 * validates them and refuses anything that could leave it ("..", "/", NUL,
 * links outside). */
#ifndef PHOTOPUB_STORAGE_STORAGE_H
#define PHOTOPUB_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "types/models.h"
#include "util/buf.h"
#include "util/error.h"

struct state;

struct storage_item {
	char *name;              /* file name in the folder */
	int64_t size;
	int64_t mtime_ns;        /* modification time, ns since the epoch; 0 unknown */
	char content_hash[65];   /* Dropbox content hash, "" when unknown */
	char sha256[65];         /* SHA-256 of the bytes, "" when unknown */
};

#define STORAGE_SKIPPED_TYPES 8 /* extensions counted one by one; the rest as "other" */

struct storage_skipped {
	char ext[16];            /* ".tif", lower case; "other" for the rest */
	size_t n;
};

struct storage_list {
	struct storage_item *items;
	size_t n;
	char *folder;            /* where it was listed, for messages; NULL unknown */
	/* Files of the folder left out for their type, by extension (skipped.c). */
	struct storage_skipped skipped[STORAGE_SKIPPED_TYPES + 1];
	size_t nskipped;
};

void storage_list_release(struct storage_list *l);
/* Whether the listing holds an image called name. */
bool storage_list_has(const struct storage_list *l, const char *name);
/* Drops the item called name from the listing (its order changes). */
void storage_list_remove(struct storage_list *l, const char *name);

struct storage_meta {
	char id[128];            /* stable id ("id:…") */
	char rev[64];            /* changes when the file changes */
};

struct storage;

/* Capabilities (storage_ops.caps). */
#define STORAGE_TEMP_LINKS (1u << 0)   /* image_url gives a temporary https link that a
					  browser can open; without it the web serves
					  the bytes itself (/api/images/{f}/file) */
#define STORAGE_PUBLIC_URLS (1u << 1)  /* stage_public: a URL that any server on the
					  internet can fetch (Instagram needs one) */
#define STORAGE_FILE_IDS (1u << 2)     /* metadata ids and revisions worth keeping in
					  the sidecar (dropbox_file_id, dropbox_rev) */
#define STORAGE_ABSOLUTE_FOLDERS (1u << 3) /* move takes an absolute folder path of the
					  account ("/Curated/keep") besides folders
					  inside the image folder */
#define STORAGE_THUMBNAILS (1u << 4)   /* thumbnail makes the web's thumbnails
					  remotely; without it the web resizes a
					  download itself (libvips) */

/* The folders curation moves images into (folders.c): [Storage]
 * folder_keep and folder_remove, read from upstream's [Dropbox] keys when
 * absent. */
enum storage_folder {
	STORAGE_KEEP,
	STORAGE_REMOVE,
	STORAGE_NFOLDERS
};

struct storage_ops {
	const char *name;        /* "local", "dropbox", "s3": [Storage] backend */
	const char *section;     /* the INI section of its settings, for errors */
	unsigned caps;           /* STORAGE_* bits */
	struct config_module settings; /* its own INI keys and environment values */

	/* Checks the settings this backend needs: adds every problem to e
	 * (config_fail) and goes on; -1 when there was one. */
	int (*validate)(const struct config *cfg, struct config_error *e);

	/* Opens the backend for cfg. state may be used for the hash cache. */
	int (*open)(const struct config *cfg, struct state *st, struct storage **out,
		    struct pp_error *err);
	void (*close)(struct storage *s);

	/* Images of the folder (.jpg/.jpeg/.png, any case), archive excluded. */
	int (*list)(struct storage *s, const struct pp_ctx *ctx, struct storage_list *out,
		    struct pp_error *err);

	/* Writes the image's bytes to fd (an empty temp file). */
	int (*download)(struct storage *s, const struct pp_ctx *ctx, const char *name, int fd,
			struct pp_error *err);

	/* A URL the AI can fetch the image from: a temporary https link, or a
	 * data: URL of a JPEG made from local_path, its longer side at most
	 * s->data_url_px ([openAI] vision_max_px).
	 * Caller frees *url. */
	int (*image_url)(struct storage *s, const struct pp_ctx *ctx, const char *name,
			 const char *local_path, char **url, struct pp_error *err);

	/* The sidecar's text, or *text = NULL when there is none (not an error). */
	int (*sidecar_read)(struct storage *s, const struct pp_ctx *ctx, const char *name,
			    char **text, struct pp_error *err);

	/* Writes (replaces) the sidecar of name atomically. */
	int (*sidecar_write)(struct storage *s, const struct pp_ctx *ctx, const char *name,
			     const char *text, struct pp_error *err);

	int (*metadata)(struct storage *s, const struct pp_ctx *ctx, const char *name,
			struct storage_meta *out, struct pp_error *err);

	/* Moves the image and its sidecar (when present) into folder, a
	 * folder inside the image folder given as one or more plain names
	 * joined by '/' (fs_relpath_is_safe: "archive", "curated/keep"), or,
	 * with STORAGE_ABSOLUTE_FOLDERS, an absolute path of the account;
	 * created with its parents when missing; a taken name becomes
	 * "a (1).jpg". *moved_as receives the image's new name (the caller's
	 * to free), *sidecar whether a sidecar moved with it. */
	int (*move)(struct storage *s, const struct pp_ctx *ctx, const char *name,
		    const char *folder, char **moved_as, bool *sidecar, struct pp_error *err);

	/* Deletes the image and its sidecar (when present) for good. An image
	 * that is not there fails with kind "not_found"; a sidecar that cannot
	 * be deleted is a warning line. *sidecar: whether one was deleted. */
	int (*remove)(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      bool *sidecar, struct pp_error *err);

	/* Fills the SHA-256 of an item whose sha256 is "" when the backend can
	 * (local: from the hash cache). NULL when it cannot without downloading. */
	int (*sha256)(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      char out[65], struct pp_error *err);

	/* Optional: removes what a killed run left in the folder (temp files
	 * whose maker is gone); returns how many. */
	int (*sweep)(struct storage *s);

	/* Optional (NULL when the backend has no public URLs): uploads the local
	 * file local_path as `<folder>/.photopub-staging/<name>` and returns a
	 * public https URL of it (*url) and the handle to delete it with
	 * (*staged). Both the caller's to free. Used by Instagram, whose servers
	 * fetch the image themselves. */
	int (*stage_public)(struct storage *s, const struct pp_ctx *ctx, const char *local_path,
			    const char *name, char **url, char **staged, struct pp_error *err);
	/* Deletes what stage_public made. */
	int (*unstage)(struct storage *s, const struct pp_ctx *ctx, const char *staged,
		       struct pp_error *err);

	/* Optional (STORAGE_THUMBNAILS): a JPEG thumbnail of name fitting in
	 * size, one of Dropbox's size names ("w256h256", "w480h320", …),
	 * made by the storage service. *data (caller frees) and *len. */
	int (*thumbnail)(struct storage *s, const struct pp_ctx *ctx, const char *name,
			 const char *size, char **data, size_t *len, struct pp_error *err);

	/* Optional: writes the bytes of the image called name in the archive
	 * folder (what move made of it: archived_as) to fd, an empty temp file.
	 * Used by photopub retry. */
	int (*download_archived)(struct storage *s, const struct pp_ctx *ctx, const char *name,
				 int fd, struct pp_error *err);

	/* Optional: whether the folder is reachable now, by the cheapest call
	 * that proves it (local: a readable directory, still the one opened;
	 * dropbox: a one-entry listing; s3: a one-key ListObjectsV2). The
	 * readiness probe of serve (/health/ready). */
	int (*ready)(struct storage *s, const struct pp_ctx *ctx, struct pp_error *err);
};

struct storage {
	const struct storage_ops *ops;
	/* Set by storage_open from the configuration, which outlives it. */
	const char *archive;       /* the archive sub-folder */
	const char *quarantine;    /* the quarantine sub-folder, NULL: "none" */
	const char *folders[STORAGE_NFOLDERS]; /* curation: storage_folder() */
	int data_url_px;           /* the longer side of a data: URL image (for the
				      AI: [openAI] vision_max_px) */
};

/* Every backend, NULL-terminated. */
extern const struct storage_ops *const storage_backends[];
extern const struct storage_ops local_storage;
extern const struct storage_ops dropbox_storage;
extern const struct storage_ops s3_storage;

/* The backend called name, or NULL. */
const struct storage_ops *storage_backend_find(const char *name);

/* The settings of folders.c: [Storage] folder_keep, folder_remove,
 * delete_enabled, [Dropbox] folder_keep, folder_remove, folder_reject and
 * the FEATURE_DELETE environment value. */
extern const struct config_module storage_folder_settings;

/* The folder cfg sends f to ("keep", "curated/keep", "/Curated/keep"),
 * its default when unset; *section and *key (either may be NULL) name the
 * key it came from, for messages. The string lives as long as cfg. */
const char *storage_folder(const struct config *cfg, enum storage_folder f,
			   const char **section, const char **key);
/* "keep", "remove": f's name in log lines and errors. */
const char *storage_folder_name(enum storage_folder f);
/* Checks the curation folders for the backend ops (every problem to e; -1). */
int storage_folders_validate(const struct config *cfg, const struct storage_ops *ops,
			     struct config_error *e);
/* Whether deleting images is allowed: [Storage] delete_enabled = true, or
 * FEATURE_DELETE set to true, 1 or yes. */
bool storage_delete_enabled(const struct config *cfg);

/* Checks cfg's backend name and its settings, adding every problem to e
 * (an unknown backend stops there, with a "did you mean"); -1 on any. */
int storage_validate(const struct config *cfg, struct config_error *e);

/* The backend cfg names, opened. */
int storage_open(const struct config *cfg, struct state *st, struct storage **out,
		 struct pp_error *err);
void storage_close(struct storage *s);

static inline bool storage_has(const struct storage *s, unsigned caps)
{
	return (s->ops->caps & caps) == caps;
}

/* The facade: each is the op of the same name (see struct storage_ops),
 * timed and logged once. ctx may be NULL. A missing optional op fails
 * with kind "unsupported". */
int storage_list(struct storage *s, const struct pp_ctx *ctx, struct storage_list *out,
		 struct pp_error *err);
int storage_download(struct storage *s, const struct pp_ctx *ctx, const char *name, int fd,
		     struct pp_error *err);
int storage_image_url(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      const char *local_path, char **url, struct pp_error *err);
/* *text = NULL when the sidecar is absent, empty or only blank space. */
int storage_sidecar_read(struct storage *s, const struct pp_ctx *ctx, const char *name,
			 char **text, struct pp_error *err);
int storage_sidecar_write(struct storage *s, const struct pp_ctx *ctx, const char *name,
			  const char *text, struct pp_error *err);
int storage_metadata(struct storage *s, const struct pp_ctx *ctx, const char *name,
		     struct storage_meta *out, struct pp_error *err);
/* Moves name (and its sidecar) into the archive folder: `storage_archive`. */
int storage_archive(struct storage *s, const struct pp_ctx *ctx, const char *name,
		    char **archived_as, struct pp_error *err);
/* Moves name (and its sidecar) into the quarantine folder: `storage_move`.
 * *moved_to (the caller's to free) is "<folder>/<new name>", or NULL when
 * the quarantine is "none" and the image stays where it is. */
int storage_quarantine(struct storage *s, const struct pp_ctx *ctx, const char *name,
		       char **moved_to, struct pp_error *err);
/* Moves name (and its sidecar) into the curation folder f: `storage_move`
 * with op "keep" or "remove". *moved_to (the caller's to free) is
 * "<folder>/<new name>"; *sidecar (may be NULL): whether a sidecar moved. */
int storage_move_to(struct storage *s, const struct pp_ctx *ctx, const char *name,
		    enum storage_folder f, char **moved_to, bool *sidecar, struct pp_error *err);
/* Deletes name and its sidecar: `storage_delete`. *sidecar may be NULL. */
int storage_delete(struct storage *s, const struct pp_ctx *ctx, const char *name, bool *sidecar,
		   struct pp_error *err);
int storage_sha256(struct storage *s, const struct pp_ctx *ctx, const char *name, char out[65],
		   struct pp_error *err);
int storage_stage_public(struct storage *s, const struct pp_ctx *ctx, const char *local_path,
			 const char *name, char **url, char **staged, struct pp_error *err);
int storage_unstage(struct storage *s, const struct pp_ctx *ctx, const char *staged,
		    struct pp_error *err);

/* The archived image name (its name in the archive folder) to fd. */
int storage_download_archived(struct storage *s, const struct pp_ctx *ctx, const char *name,
			      int fd, struct pp_error *err);

int storage_thumbnail(struct storage *s, const struct pp_ctx *ctx, const char *name,
		      const char *size, char **data, size_t *len, struct pp_error *err);

/* The backend's ready op: 0 when the folder is reachable; a backend
 * without one is taken as ready. */
int storage_ready(struct storage *s, const struct pp_ctx *ctx, struct pp_error *err);

/* The backend's sweep, or 0 when it has none. */
int storage_sweep(struct storage *s);

/* names.c: name with control characters shown as '?', cut to fit buf,
 * for messages; returns buf. */
#define STORAGE_SHOWN_MAX 300
const char *storage_shown(const char *name, char buf[STORAGE_SHOWN_MAX]);
/* Refuses (kind invalid, where naming the backend) anything but a plain
 * name of the image folder, and with image anything but an image type. */
int storage_check_name(const char *name, bool image, const char *where, struct pp_error *err);

/* One type of image that is listed and posted (image_types.c). */
struct storage_image_type {
	const char *ext;             /* ".jpg": lowercase, matched in any case */
	const char *mime;            /* "image/jpeg" */
	bool as_is;                  /* JPEG, PNG: every platform takes the file as it
					is; the others get a JPEG rendition */
	bool web;                    /* browsers and OpenAI's image input show it as it
					is (JPEG, PNG, WebP); the others get a JPEG */
};
/* Every type, in the order "No images found" names them; ends with ext NULL. */
extern const struct storage_image_type storage_image_types[];
/* The type of name by its extension, or NULL when it is none of them. */
const struct storage_image_type *storage_image_type_of(const char *name);
/* Appends the extensions, ".jpg, .jpeg, …", to b, for messages. */
void storage_image_type_list(struct buf *b);
/* Whether name has one of storage_image_types' extensions. */
bool storage_is_image_name(const char *name);

/* Counts name, a file left out of l for its type, under its extension
 * (files without one and .txt sidecars are not counted). */
void storage_list_skip(struct storage_list *l, const char *name);
/* Fills err (PP_ERR_NO_IMAGES) with "No images found in FOLDER (skipped 3
 * .tif, 2 .webp; supported types: .jpg, .jpeg, .png)" for the empty listing
 * l, and returns -1. */
int storage_no_images(const struct storage_list *l, const char *where, struct pp_error *err);

#endif
