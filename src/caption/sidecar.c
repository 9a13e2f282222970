/* sidecar.c - the `<stem>.txt` beside an image: built from the sd_caption,
 * the phase 1 fields and (extended) the phase 2 analysis keys, and parsed
 * back leniently from whatever a user or an older version left on disk
 * (REFERENCE "Sidecar"). Owns sidecar_build/parse/release/caption/name. */
#include <stdlib.h>
#include <string.h>
#include "caption/sidecar.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/utf8.h"

#define SEPARATOR "# ---"
#define UTF8_BOM "\xef\xbb\xbf"

/* Appends s with every line break (CRLF, LF or CR) turned into one space, so
 * a value always stays on its own line. */
static void add_one_line(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		buf_addc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

static void add_str(struct buf *b, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	buf_addf(b, "# %s: ", key);
	add_one_line(b, value);
	buf_addc(b, '\n');
}

/* Keys whose text is written so that it reads back exactly. */
static bool is_text_key(const char *key)
{
	return !strcmp(key, "caption") || !strcmp(key, "alt_text");
}

/* value as it is when parsing gives it back unchanged, else as one JSON
 * string (line breaks, leading or trailing blanks, a first `"`, `[`, `{`). */
static void add_text(struct buf *b, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	size_t n = strlen(value);
	bool plain = !strchr("\"[{ \t", value[0]) && !strchr(" \t", value[n - 1]) &&
		     !strpbrk(value, "\r\n");
	json_t *s = plain ? NULL : json_string(value);
	char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	if (plain || quoted) /* a value that is not UTF-8 (never approved) is left out */
		buf_addf(b, "# %s: %s\n", key, plain ? value : quoted);
	free(quoted);
	json_decref(s);
}

/* A list as a compact JSON array (["rope","studio"]), non-ASCII kept as
 * UTF-8. Empty lists are omitted; an entry that is not valid UTF-8 (which no
 * analysis holds: it comes from JSON) is left out. */
static void add_list(struct buf *b, const char *key, const struct strv *sv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++) {
		json_t *s = json_string(sv->v[i]);
		if (s)
			json_array_append_new(arr, s);
	}
	if (json_array_size(arr)) {
		char *text = json_dumps(arr, JSON_COMPACT);
		add_str(b, key, text);
		free(text);
	}
	json_decref(arr);
}

char *sidecar_build(const char *sd_caption, const struct sidecar_fields *f,
		    const struct analysis *analysis, bool extended)
{
	struct buf b = BUF_INIT;
	add_one_line(&b, sd_caption ? sd_caption : "");
	buf_adds(&b, "\n\n" SEPARATOR "\n");

	if (f) {
		add_str(&b, "image_file", f->image_file);
		add_str(&b, "dropbox_file_id", f->dropbox_file_id);
		add_str(&b, "dropbox_rev", f->dropbox_rev);
		add_str(&b, "sha256", f->sha256);
		add_str(&b, "created", f->created);
		add_str(&b, "sd_caption_version", f->sd_caption_version);
		add_str(&b, "model_version", f->model_version);
		add_str(&b, "artist_alias", f->artist_alias);
		add_text(&b, "caption", f->caption);
		add_text(&b, "alt_text", f->alt_text);
	}
	if (extended && analysis) {
		const struct analysis *a = analysis;
		add_str(&b, "subject", a->subject);
		add_str(&b, "lighting", a->lighting);
		add_str(&b, "pose", a->pose);
		add_str(&b, "camera", a->camera);
		add_list(&b, "materials", &a->clothing_or_accessories);
		add_str(&b, "art_style", a->style);
		add_str(&b, "composition", a->composition);
		add_str(&b, "background", a->background);
		add_str(&b, "color_palette", a->color_palette);
		add_list(&b, "tags", &a->tags);
		add_list(&b, "aesthetic_terms", &a->aesthetic_terms);
		add_list(&b, "moderation", &a->safety_labels);
	}
	return buf_detach(&b);
}

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static bool is_separator(const char *s, size_t n)
{
	size_t len = strlen(SEPARATOR);
	return n >= len && memcmp(s, SEPARATOR, len) == 0 && is_blank(s + len, n - len);
}

/* One metadata line s[0..n) ("# key: value", no line break) into meta.
 * Returns the number of warnings it caused (0 or 1). */
static int parse_meta_line(json_t *meta, const char *s, size_t n)
{
	if (is_blank(s, n))
		return 0;
	if (n < 2 || s[0] != '#' || s[1] != ' ')
		return 1;
	const char *colon = memmem(s + 2, n - 2, ": ", 2);
	if (!colon)
		return 1;

	const char *k = s + 2, *k_end = colon;
	while (k < k_end && (*k == ' ' || *k == '\t'))
		k++;
	while (k_end > k && (k_end[-1] == ' ' || k_end[-1] == '\t'))
		k_end--;
	if (k == k_end)
		return 1;

	int warned = 0;
	/* valid text: JSON strings and the web's replies need it */
	char *key = utf8_make_valid(k, (size_t)(k_end - k));
	char *value = utf8_make_valid(colon + 2, (size_t)(s + n - (colon + 2)));
	json_t *v = NULL;
	if (value[0] == '[' || value[0] == '{') {
		json_error_t jerr;
		v = json_loads(value, 0, &jerr);
		warned = v == NULL;
	}
	if (!v && value[0] == '"' && is_text_key(key)) {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		if (!json_is_string(v)) {
			json_decref(v);
			v = NULL; /* not one JSON string: the text as written */
		}
	}
	if (!v)
		v = json_string(value);
	json_object_set_new(meta, key, v); /* a repeated key: the last one wins */
	free(key);
	free(value);
	return warned;
}

int sidecar_parse(const char *text, struct sidecar *out, int *warnings, struct pp_error *err)
{
	*out = (struct sidecar){ 0 };
	if (warnings)
		*warnings = 0;
	if (!text)
		return pp_fail(err, "sidecar", "no sidecar text");

	if (strncmp(text, UTF8_BOM, strlen(UTF8_BOM)) == 0)
		text += strlen(UTF8_BOM);
	out->meta = json_object();

	int warned = 0;
	bool first = true, in_meta = false;
	const char *p = text;
	while (first || *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t n = len;
		while (n && p[n - 1] == '\r')
			n--;
		if (first)
			out->sd_caption = utf8_make_valid(p, n);
		else if (in_meta)
			warned += parse_meta_line(out->meta, p, n);
		else
			in_meta = is_separator(p, n);
		first = false;
		p = nl ? nl + 1 : p + len;
	}
	if (warnings)
		*warnings = warned;
	return 0;
}

void sidecar_release(struct sidecar *s)
{
	free(s->sd_caption);
	json_decref(s->meta);
	*s = (struct sidecar){ 0 };
}

const char *sidecar_caption(const struct sidecar *s)
{
	const char *c = json_string_value(s->meta ? json_object_get(s->meta, "caption") : NULL);
	if (c && *c)
		return c;
	return s->sd_caption ? s->sd_caption : "";
}

const char *sidecar_alt_text(const struct sidecar *s)
{
	return json_string_value(s->meta ? json_object_get(s->meta, "alt_text") : NULL);
}

char *sidecar_name(const char *image_name)
{
	char *stem = fs_stem(image_name ? image_name : "");
	char *name = xasprintf("%s.txt", stem);
	free(stem);
	return name;
}
