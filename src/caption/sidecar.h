/* sidecar.h - the `<stem>.txt` beside an image: the sd_caption on line 1,
 * then `# ---` and `# key: value` metadata lines (REFERENCE "Sidecar"). */
#ifndef PHOTOPUB_CAPTION_SIDECAR_H
#define PHOTOPUB_CAPTION_SIDECAR_H

#include <jansson.h>
#include <stdbool.h>
#include "types/models.h"
#include "util/error.h"

/* Phase 1 metadata; NULL or "" fields are omitted. */
struct sidecar_fields {
	const char *image_file;
	const char *dropbox_file_id;
	const char *dropbox_rev;
	const char *sha256;
	const char *created;            /* "2026-11-28T10:15:02Z" */
	const char *sd_caption_version; /* "v1.0" */
	const char *model_version;
	const char *artist_alias;
	/* The caption as approved and the alt text, written after artist_alias
	 * so that reading the sidecar gives them back exactly: as they are
	 * when they are one line that starts with none of `"`, `[`, `{` and
	 * no blank, else as one JSON string ("line one\nline two"). */
	const char *caption;
	const char *alt_text;
};

/* The sidecar text. analysis is used for phase 2 keys when extended is true.
 * Caller frees. */
char *sidecar_build(const char *sd_caption, const struct sidecar_fields *f,
		    const struct analysis *analysis, bool extended);

struct sidecar {
	char *sd_caption;               /* line 1, "" when empty */
	json_t *meta;                   /* object, keys in file order; values
					   JSON-decoded when they start with [ or {,
					   and caption / alt_text when they are one
					   JSON string ("…") */
};

/* Parses text. A malformed metadata line is skipped with a warning in
 * *warnings (count), never an error; only NULL text fails. */
int sidecar_parse(const char *text, struct sidecar *out, int *warnings, struct pp_error *err);
void sidecar_release(struct sidecar *s);

/* The web's caption of a sidecar: meta "caption" when present, else sd_caption.
 * Points into s. */
const char *sidecar_caption(const struct sidecar *s);

/* meta "alt_text" when it is a string, else NULL. Points into s. */
const char *sidecar_alt_text(const struct sidecar *s);

/* "<stem>.txt" for an image name; caller frees. */
char *sidecar_name(const char *image_name);

#endif
