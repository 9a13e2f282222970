/* local.c - the offline describer: `local_ai`. It cannot see what a photo
 * shows; it measures it (image_measure: tone, contrast, colour, palette,
 * sharpness and where the detail sits, from one downscaled decode), reads
 * the figures as categories, and words every analysis field and every
 * caption from them, deterministically. */
#include <glib.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ai/ai.h"
#include "ai/local_caption.h"
#include "caption/alt_text.h"
#include "image/image.h"
#include "image/colour.h"
#include "image/measure.h"
#include "util/buf.h"

#define WHERE "ai.local"
#define MODEL "photopub-local-v1"
#define MAX_TAGS 25

struct local {
	struct ai base;
};

/* ---- measuring ------------------------------------------------------ */

static const char *cell_names[9] = {
	"upper left", "top centre", "upper right",
	"centre left", "centre", "centre right",
	"lower left", "bottom centre", "lower right",
};


static void aspect_of(int w, int h, char *out, size_t size)
{
	static const int ratios[][2] = { { 1, 1 }, { 5, 4 }, { 4, 3 }, { 7, 5 }, { 3, 2 },
					 { 16, 10 }, { 5, 3 }, { 16, 9 }, { 2, 1 }, { 21, 9 },
					 { 3, 1 } };
	int lng = w > h ? w : h, sht = w > h ? h : w;
	double r = sht > 0 ? (double)lng / sht : 1.0;
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		double want = (double)ratios[i][0] / ratios[i][1];
		if (fabs(r - want) / want < 0.015) {
			if (w >= h)
				snprintf(out, size, "%d:%d", ratios[i][0], ratios[i][1]);
			else
				snprintf(out, size, "%d:%d", ratios[i][1], ratios[i][0]);
			return;
		}
	}
	if (w >= h)
		snprintf(out, size, "%.2f:1", r);
	else
		snprintf(out, size, "1:%.2f", r);
}

/* Turns the figures into the categories the wording uses. */
static void classify(struct image_measure *m)
{
	int lng = m->width > m->height ? m->width : m->height;
	int sht = m->width > m->height ? m->height : m->width;

	if (lng > 0 && (double)(lng - sht) / lng < 0.03)
		m->orientation = "square";
	else
		m->orientation = m->width > m->height ? "landscape" : "portrait";
	aspect_of(m->width, m->height, m->aspect, sizeof(m->aspect));
	m->megapixels = (double)m->width * (double)m->height / 1e6;

	if (m->l_mean < 35 && m->l_p50 < 40)
		m->key = KEY_LOW;
	else if (m->l_mean > 68 && m->l_p50 > 65)
		m->key = KEY_HIGH;
	else
		m->key = KEY_MID;
	m->contrast = m->l_sd < 10 ? LVL_LOW : m->l_sd < 22 ? LVL_MID : LVL_HIGH;

	if (m->c_mean < 5 && m->c_p95 < 10)
		m->sat = SAT_MONO;
	else if (m->c_mean < 15)
		m->sat = SAT_MUTED;
	else if (m->c_mean < 35)
		m->sat = SAT_NATURAL;
	else
		m->sat = SAT_VIVID;

	/* warm: magenta-red through yellow; cool: green-cyan through blue */
	double tint = hypot(m->a_mean, m->b_mean), hue = image_hue_deg(m->a_mean, m->b_mean);
	if (m->sat == SAT_MONO || tint < 3)
		m->temp = TEMP_NEUTRAL;
	else if (hue >= 330 || hue < 110)
		m->temp = TEMP_WARM;
	else if (hue >= 140 && hue < 320)
		m->temp = TEMP_COOL;
	else
		m->temp = TEMP_NEUTRAL;

	if (m->l_sd < 3)
		m->sharp = SHARP_NONE; /* nothing to be sharp or soft about */
	else if (m->lap_var > 40)
		m->sharp = SHARP_SHARP;
	else if (m->lap_var > 8)
		m->sharp = SHARP_MODERATE;
	else
		m->sharp = SHARP_SOFT;

	double total = 0, col[3] = { 0 }, row[3] = { 0 };
	int top = 0;
	for (int c = 0; c < 9; c++) {
		total += m->energy[c];
		if (m->energy[c] > m->energy[top])
			top = c;
	}
	m->where_cell = top;
	if (m->l_sd < 3 || total / 9 < 0.05) {
		m->where = W_NONE;
	} else {
		for (int c = 0; c < 9; c++) {
			col[c % 3] += m->energy[c] / total;
			row[c / 3] += m->energy[c] / total;
		}
		int mc = col[0] >= col[1] && col[0] >= col[2] ? 0 : col[1] >= col[2] ? 1 : 2;
		int mr = row[0] >= row[1] && row[0] >= row[2] ? 0 : row[1] >= row[2] ? 1 : 2;
		if (m->energy[4] / total >= 0.25)
			m->where = W_CENTRE;
		else if (col[mc] >= 0.5)
			m->where = mc == 0 ? W_LEFT : mc == 1 ? W_MIDCOL : W_RIGHT;
		else if (row[mr] >= 0.5)
			m->where = mr == 0 ? W_TOP : mr == 1 ? W_MIDROW : W_BOTTOM;
		else if (m->energy[top] / total >= 0.25)
			m->where = top == 4 ? W_CENTRE : W_CELL;
		else
			m->where = W_EVEN;
	}

	int bright = 0, dark = 0;
	for (int c = 1; c < 9; c++) {
		if (m->cell_l[c] > m->cell_l[bright])
			bright = c;
		if (m->cell_l[c] < m->cell_l[dark])
			dark = c;
	}
	m->brightest_cell = m->cell_l[bright] - m->cell_l[dark] < 8 ? -1 : bright;
}

/* "concentrated in the centre"; NULL for W_NONE. */
static const char *where_phrase(const struct image_measure *m, char *tmp, size_t size)
{
	switch (m->where) {
	case W_CENTRE: return "concentrated in the centre";
	case W_LEFT: return "concentrated in the left third";
	case W_RIGHT: return "concentrated in the right third";
	case W_MIDCOL: return "concentrated in the central column";
	case W_TOP: return "concentrated in the upper third";
	case W_BOTTOM: return "concentrated in the lower third";
	case W_MIDROW: return "concentrated in a horizontal middle band";
	case W_CELL:
		snprintf(tmp, size, "gathered in the %s", cell_names[m->where_cell]);
		return tmp;
	case W_EVEN: return "spread evenly across the frame";
	case W_NONE: break;
	}
	return NULL;
}

static const char *where_tag(enum where w)
{
	switch (w) {
	case W_CENTRE: return "centred_composition";
	case W_LEFT: return "left_weighted_composition";
	case W_RIGHT: return "right_weighted_composition";
	case W_MIDCOL: return "central_column_composition";
	case W_TOP: return "top_weighted_composition";
	case W_BOTTOM: return "bottom_weighted_composition";
	case W_MIDROW: return "horizontal_band_composition";
	case W_CELL: return "off_centre_composition";
	case W_EVEN: return "evenly_spread_detail";
	case W_NONE: break;
	}
	return "uniform_field";
}

static const char *key_word(enum key k)
{
	return k == KEY_LOW ? "low-key" : k == KEY_HIGH ? "high-key" : "mid-key";
}

static const char *tone_word(double L)
{
	return L < 35 ? "dark" : L > 70 ? "light" : "mid-tone";
}

static const char *evenness(double sd)
{
	return sd < 6 ? "even" : sd < 15 ? "softly graded" : "textured";
}

/* Up to two distinct palette names, most populated first. */
static int palette_names(const struct image_measure *m, const char *names[2])
{
	int n = 0;
	for (int i = 0; i < m->npalette && n < 2; i++)
		if (n == 0 || strcmp(names[0], m->palette[i].name) != 0)
			names[n++] = m->palette[i].name;
	return n;
}


static void fill_analysis(const struct image_measure *m, struct analysis *an)
{
	const char *names[2];
	int nn = palette_names(m, names);
	char tmp[64];
	const char *where = where_phrase(m, tmp, sizeof(tmp));
	const char *satw = m->sat == SAT_MONO ? "monochrome" : m->sat == SAT_VIVID ? "vividly coloured"
			 : m->sat == SAT_MUTED ? "muted colour" : "colour";
	const char *contrastw = m->contrast == LVL_HIGH ? "high-contrast"
			      : m->contrast == LVL_MID ? "moderate-contrast" : "low-contrast";
	struct buf b = BUF_INIT;

	/* description */
	buf_addf(&b, "A %s, %s %s photograph ", key_word(m->key), contrastw, satw);
	if (strcmp(m->orientation, "square") == 0)
		buf_adds(&b, "in square format");
	else
		buf_addf(&b, "in %s orientation", m->orientation);
	if (nn == 2)
		buf_addf(&b, ", dominated by %s and %s tones", names[0], names[1]);
	else if (nn == 1)
		buf_addf(&b, ", dominated by %s tones", names[0]);
	if (where)
		buf_addf(&b, " with detail %s.", where);
	else
		buf_adds(&b, ", evenly toned throughout.");
	an->description = ai_limit_words(buf_detach(&b), 30);
	{
		/* say plainly what the figures can and cannot tell */
		char *d = xasprintf("%s %s", an->description, LOCAL_ANALYZER_NOTE);
		free(an->description);
		an->description = d;
	}

	/* alt text: what the measures say is shown, in one short sentence */
	const char *light = m->key == KEY_LOW ? "A dim" : m->key == KEY_HIGH ? "A bright"
			  : "An evenly lit";
	buf_addf(&b, "%s, %s %s photograph", light, contrastw,
		 strcmp(m->orientation, "square") == 0 ? "square"
		 : strcmp(m->orientation, "portrait") == 0 ? "portrait-orientation"
		 : "landscape-orientation");
	if (m->sat == SAT_MONO)
		buf_adds(&b, " in black and white");
	else if (nn == 2)
		buf_addf(&b, " in %s and %s", names[0], names[1]);
	else if (nn == 1)
		buf_addf(&b, " in %s tones", names[0]);
	buf_adds(&b, ".");
	an->alt_text = alt_text_clean(buf_str(&b));
	buf_release(&b);

	/* mood: the key and contrast, then temperature or saturation */
	static const char *moods[3][3] = {
		/* low contrast, moderate, high */
		{ "brooding", "moody", "dramatic" },   /* low key */
		{ "subdued", "balanced", "bold" },     /* mid key */
		{ "airy", "bright", "crisp" },         /* high key */
	};
	const char *second = m->sat == SAT_MONO ? "austere"
			   : m->sat == SAT_VIVID ? "energetic"
			   : m->temp == TEMP_WARM ? "intimate"
			   : m->temp == TEMP_COOL ? "calm"
			   : m->sat == SAT_MUTED ? "understated" : "quiet";
	an->mood = xasprintf("%s, %s", moods[m->key][m->contrast], second);

	/* tags: only what was measured */
	struct strv *t = &an->tags;
	strv_push_unique(t, m->sat == SAT_MONO ? "monochrome" : "colour");
	strv_push_unique(t, "photography");
	int hour, minute;
	bool when = local_clock_of(m->taken, &hour, &minute) == 0;
	if (when) {
		char *s = ai_snake_case(local_time_bucket(hour, minute));
		strv_push_unique(t, s);
		free(s);
	}
	strv_push_unique(t, strcmp(m->orientation, "square") == 0 ? "square_format"
			 : strcmp(m->orientation, "portrait") == 0 ? "portrait_orientation"
			 : "landscape_orientation");
	if (strchr(m->aspect, '.') == NULL) {
		char *a = xasprintf("aspect_%s", m->aspect);
		strv_push_owned(t, ai_snake_case(a));
		free(a);
	}
	strv_push_unique(t, m->key == KEY_LOW ? "low_key" : m->key == KEY_HIGH ? "high_key" : "mid_key");
	strv_push_unique(t, m->l_mean < 20 ? "very_dark_image" : m->l_mean < 40 ? "dark_image"
			 : m->l_mean < 60 ? "midtone_image" : m->l_mean < 80 ? "bright_image"
			 : "very_bright_image");
	strv_push_unique(t, m->contrast == LVL_HIGH ? "high_contrast"
			 : m->contrast == LVL_MID ? "moderate_contrast" : "low_contrast");
	if (m->sat != SAT_MONO)
		strv_push_unique(t, m->sat == SAT_VIVID ? "vivid_colours"
				 : m->sat == SAT_MUTED ? "muted_colours" : "natural_colours");
	strv_push_unique(t, m->temp == TEMP_WARM ? "warm_tones" : m->temp == TEMP_COOL ? "cool_tones"
			 : "neutral_tones");
	if (m->sharp != SHARP_NONE)
		strv_push_unique(t, m->sharp == SHARP_SHARP ? "sharp_focus"
				 : m->sharp == SHARP_MODERATE ? "moderately_sharp" : "soft_focus");
	strv_push_unique(t, where_tag(m->where));
	strv_push_unique(t, m->border_l < 35 ? "dark_background" : m->border_l > 70 ? "light_background"
			 : "midtone_background");
	strv_push_unique(t, m->border_sd < 6 ? "even_background" : m->border_sd < 15
			 ? "graded_background" : "textured_background");
	if (m->highlight_clip > 0.02)
		strv_push_unique(t, "clipped_highlights");
	if (m->shadow_clip > 0.05)
		strv_push_unique(t, "crushed_shadows");
	bool minimalist = m->npalette <= 2 && (m->where == W_NONE || m->border_sd < 6);
	if (minimalist)
		strv_push_unique(t, "minimalist");
	for (int i = 0; i < m->npalette; i++) {
		char *s = ai_snake_case(m->palette[i].name);
		strv_push_unique(t, s);
		free(s);
	}
	strv_push_unique(t, m->megapixels >= 20 ? "very_high_resolution" : m->megapixels >= 8
			 ? "high_resolution" : m->megapixels >= 2 ? "medium_resolution"
			 : "low_resolution");
	if (m->megapixels >= 1) {
		char *s = xasprintf("%.0fmp", floor(m->megapixels + 0.5));
		strv_push_unique(t, s);
		free(s);
	}
	while (t->n > MAX_TAGS) {
		free(t->v[--t->n]);
		t->v[t->n] = NULL;
	}

	/* The analyzer sees numbers, not content: it can neither flag nor clear
	 * anything, so nsfw stays false and safety_labels empty. */
	an->nsfw = false;

	/* subject: a measured statement, never an identification */
	double diff = m->centre_l - m->border_l;
	const char *tone = diff > 12 ? "bright" : diff < -12 ? "dark" : "mid-tone";
	if (m->where == W_NONE)
		an->subject = xasprintf("no distinct subject: a uniform %s field of tone",
					tone_word(m->l_mean));
	else if (m->where == W_CENTRE)
		an->subject = xasprintf("centred %s subject on a %s background", tone,
					tone_word(m->border_l));
	else if (m->where == W_EVEN)
		an->subject = xasprintf("%s centre against a %s surround, detail spread across the frame",
					tone, tone_word(m->border_l));
	else
		an->subject = xasprintf("%s subject area with detail %s, on a %s background", tone,
					where, tone_word(m->border_l));

	an->style = xasprintf("%s, %s", m->sat == SAT_MONO ? "monochrome photography"
			      : "colour photography", key_word(m->key));

	b = (struct buf)BUF_INIT;
	buf_addf(&b, "%s, %s, %s light", key_word(m->key),
		 m->contrast == LVL_HIGH ? "hard contrast" : m->contrast == LVL_MID
		 ? "moderate contrast" : "soft, flat contrast",
		 m->temp == TEMP_WARM ? "warm" : m->temp == TEMP_COOL ? "cool" : "neutral");
	if (m->highlight_clip > 0.02)
		buf_adds(&b, ", clipped highlights");
	if (m->shadow_clip > 0.05)
		buf_adds(&b, ", crushed shadows");
	if (when)
		buf_addf(&b, ", %s (%02d:%02d)", local_time_bucket(hour, minute), hour, minute);
	an->lighting = buf_detach(&b);

	if (m->camera[0] && m->lens[0])
		an->camera = xasprintf("%s; lens %s", m->camera, m->lens);
	else if (m->camera[0])
		an->camera = xstrdup(m->camera);
	else
		an->camera = xasprintf("%.1f MP frame, %s", m->megapixels, m->aspect);

	struct strv *ae = &an->aesthetic_terms;
	if (m->contrast == LVL_HIGH)
		strv_push_unique(ae, "high contrast");
	else if (m->contrast == LVL_LOW)
		strv_push_unique(ae, "soft contrast");
	if (m->key == KEY_LOW && m->contrast == LVL_HIGH)
		strv_push_unique(ae, "chiaroscuro");
	else if (m->key == KEY_HIGH)
		strv_push_unique(ae, "high key");
	else if (m->key == KEY_LOW)
		strv_push_unique(ae, "low key");
	strv_push_unique(ae, m->sat == SAT_MONO ? "monochrome" : m->sat == SAT_MUTED ? "muted palette"
			 : m->sat == SAT_VIVID ? "vivid palette" : "natural palette");
	if (m->temp != TEMP_NEUTRAL)
		strv_push_unique(ae, m->temp == TEMP_WARM ? "warm palette" : "cool palette");
	if (minimalist)
		strv_push_unique(ae, "minimalist");
	if (m->border_sd < 6 && (m->where == W_CENTRE || m->where == W_CELL || m->where == W_LEFT ||
				 m->where == W_RIGHT || m->where == W_TOP || m->where == W_BOTTOM))
		strv_push_unique(ae, "negative space");
	if (m->sharp == SHARP_SHARP)
		strv_push_unique(ae, "crisp detail");
	else if (m->sharp == SHARP_SOFT)
		strv_push_unique(ae, "soft focus");

	an->pose = xstrdup("");

	b = (struct buf)BUF_INIT;
	buf_addf(&b, "%s %s frame; ", m->orientation, m->aspect);
	buf_adds(&b, where ? "detail " : "no point of detail");
	if (where)
		buf_adds(&b, where);
	if (m->brightest_cell >= 0)
		buf_addf(&b, "; brightest area in the %s", cell_names[m->brightest_cell]);
	else
		buf_adds(&b, "; even brightness across the frame");
	an->composition = buf_detach(&b);

	an->background = xasprintf("%s, %s %s background", tone_word(m->border_l),
				   evenness(m->border_sd), m->border_name);

	b = (struct buf)BUF_INIT;
	for (int i = 0; i < m->npalette; i++)
		buf_addf(&b, "%s#%02x%02x%02x", i ? ", " : "", m->palette[i].r, m->palette[i].g,
			 m->palette[i].b);
	an->color_palette = buf_detach(&b);
}

/* ---- captions ------------------------------------------------------- */

/* FNV-1a over the analysis as JSON: the same analysis always picks the same
 * phrasing. */
static uint64_t analysis_seed(const struct analysis *an)
{
	json_t *j = analysis_to_json(an);
	char *s = json_dumps(j, JSON_COMPACT);
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = s ? s : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	free(s);
	json_decref(j);
	return h;
}

struct words {
	const char *light;   /* "shadow", "light", "half-light" */
	const char *tone;    /* "warm", "cool", "quiet" */
	const char *c1, *c2; /* colour names */
	char mood[32];
	bool mono;
	int ncolours;
	const char *colours[3];
	struct caption_facts facts;
	char camera[160], lens[128], brightest[32];
};

static bool has_tag(const struct analysis *an, const char *tag)
{
	return strv_contains(&an->tags, tag);
}

/* Colour names from "#rrggbb, …"; returns how many distinct ones (≤ max). */
static int names_from_palette(const char *palette, const char **out, int max)
{
	int n = 0;
	for (const char *p = palette ? strchr(palette, '#') : NULL; p && n < max;
	     p = strchr(p + 1, '#')) {
		unsigned int r, g, b;
		if (sscanf(p, "#%2x%2x%2x", &r, &g, &b) != 3)
			continue;
		const char *name = image_colour_name(image_rgb_to_lab((int)r, (int)g, (int)b));
		bool dup = false;
		for (int i = 0; i < n; i++)
			dup = dup || strcmp(out[i], name) == 0;
		if (!dup)
			out[n++] = name;
	}
	return n;
}

/* The caption facts from an analysis: light and colour from the tags and
 * palette; camera, lens and clock time as fill_analysis words them ("Make
 * Model, settings; lens L" and "…, golden hour (18:40)" in lighting); the
 * brightest area from the composition. */
static void facts_of(const struct analysis *an, struct words *w)
{
	struct caption_facts *f = &w->facts;
	const char *cam = an->camera ? an->camera : "";
	const char *lens = strstr(cam, "; lens ");
	const char *clock = an->lighting ? strrchr(an->lighting, '(') : NULL;
	const char *bright = an->composition ? strstr(an->composition, "brightest area in the ")
			   : NULL;

	f->light = has_tag(an, "low_key") ? CAPTION_LOW_KEY : has_tag(an, "high_key")
		 ? CAPTION_HIGH_KEY : CAPTION_MID_KEY;
	f->mono = w->mono;
	f->tone = w->tone;
	f->c1 = w->c1;
	f->c2 = w->ncolours > 1 ? w->colours[1] : w->mono ? "deep grey" : "soft neutrals";
	/* an analysis from elsewhere may say "unknown" where EXIF said nothing */
	static const char *no_camera[] = { "unknown", "n/a", "none", "not ", "no " };
	bool named = *cam && !strstr(cam, " MP frame");
	for (size_t i = 0; named && i < sizeof(no_camera) / sizeof(no_camera[0]); i++)
		named = g_ascii_strncasecmp(cam, no_camera[i], strlen(no_camera[i])) != 0;
	if (named) {
		size_t n = strcspn(cam, ",;");
		snprintf(w->camera, sizeof(w->camera), "%.*s", (int)n, cam);
		f->camera = w->camera;
	}
	if (f->camera && lens) {
		snprintf(w->lens, sizeof(w->lens), "%s", lens + strlen("; lens "));
		f->lens = w->lens;
	}
	f->hour = f->minute = -1;
	if (!clock || sscanf(clock, "(%2d:%2d)", &f->hour, &f->minute) != 2 || f->hour < 0 ||
	    f->hour > 23 || f->minute < 0 || f->minute > 59)
		f->hour = f->minute = -1;
	if (bright) {
		bright += strlen("brightest area in the ");
		snprintf(w->brightest, sizeof(w->brightest), "%.*s", (int)strcspn(bright, ";,."),
			 bright);
		f->brightest = w->brightest;
	}
}

static void words_of(const struct analysis *an, struct words *w)
{
	memset(w, 0, sizeof(*w));
	w->mono = has_tag(an, "monochrome");
	w->light = has_tag(an, "low_key") ? "shadow" : has_tag(an, "high_key") ? "light" : "half-light";
	w->tone = has_tag(an, "warm_tones") ? "warm" : has_tag(an, "cool_tones") ? "cool" : "quiet";
	w->ncolours = names_from_palette(an->color_palette, w->colours, 3);
	w->c1 = w->ncolours > 0 ? w->colours[0] : w->mono ? "grey" : "colour";
	w->c2 = w->ncolours > 1 ? w->colours[1] : "silence";
	const char *mood = an->mood && *an->mood ? an->mood : "still";
	size_t n = strcspn(mood, ",;. ");
	if (n == 0 || n >= sizeof(w->mood))
		snprintf(w->mood, sizeof(w->mood), "still");
	else
		snprintf(w->mood, sizeof(w->mood), "%.*s", (int)n, mood);
	for (char *p = w->mood; *p; p++)
		*p = (char)g_ascii_tolower(*p);
	facts_of(an, w);
}

/* Expands {light} {Light} {tone} {c1} {C1} {c2} {mood} in tmpl. */
static void expand(struct buf *b, const char *tmpl, const struct words *w)
{
	static const char *keys[] = { "{light}", "{Light}", "{tone}", "{c1}", "{C1}", "{c2}", "{mood}" };
	while (*tmpl) {
		size_t k;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strncmp(tmpl, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			buf_addc(b, *tmpl++);
			continue;
		}
		const char *v = k <= 1 ? w->light : k == 2 ? w->tone : k <= 4 ? w->c1
			      : k == 5 ? w->c2 : w->mood;
		size_t start = b->len;
		buf_adds(b, v);
		if ((k == 1 || k == 4) && b->len > start)
			b->data[start] = (char)g_ascii_toupper(b->data[start]);
		tmpl += strlen(keys[k]);
	}
}


static const char *questions[] = {
	"What do you feel first: the shadows or the light?",
	"What catches your eye first: the {c1} or the {c2}?",
	"Does the {tone} {light} draw you in or hold you at a distance?",
	"Where does your eye come to rest first?",
};

static char *sd_caption_of(const struct analysis *an, const struct words *w)
{
	static const char *map[][2] = {
		{ "monochrome", "monochrome" }, { "colour", "colour" },
		{ "low_key", "low key lighting" }, { "mid_key", "mid key lighting" },
		{ "high_key", "high key lighting" },
		{ "high_contrast", "high contrast" }, { "moderate_contrast", "moderate contrast" },
		{ "low_contrast", "low contrast" },
		{ "vivid_colours", "vivid colours" }, { "natural_colours", "natural colours" },
		{ "muted_colours", "muted colours" },
		{ "warm_tones", "warm tones" }, { "cool_tones", "cool tones" },
		{ "portrait_orientation", "portrait orientation" },
		{ "landscape_orientation", "landscape orientation" },
		{ "square_format", "square format" },
		{ "centred_composition", "centred composition" },
		{ "dark_background", "dark background" }, { "light_background", "light background" },
		{ "midtone_background", "mid-tone background" },
		{ "even_background", "plain background" },
		{ "sharp_focus", "sharp focus" }, { "soft_focus", "soft focus" },
		{ "minimalist", "minimalist" },
	};
	struct buf b = BUF_INIT;
	int n = 0;

	buf_adds(&b, "photograph");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (has_tag(an, map[i][0])) {
			buf_addf(&b, ", %s", map[i][1]);
			n++;
		}
	}
	if (n < 3) {
		/* an analysis from elsewhere: its own tags, as words */
		for (size_t i = 0; i < an->tags.n && i < 12; i++) {
			char *s = ai_snake_case(an->tags.v[i]);
			for (char *p = s; *p; p++)
				if (*p == '_')
					*p = ' ';
			if (*s)
				buf_addf(&b, ", %s", s);
			free(s);
		}
	}
	if (w->ncolours == 1)
		buf_addf(&b, ", %s tones", w->colours[0]);
	else if (w->ncolours == 2)
		buf_addf(&b, ", %s and %s tones", w->colours[0], w->colours[1]);
	else if (w->ncolours == 3)
		buf_addf(&b, ", %s, %s and %s tones", w->colours[0], w->colours[1], w->colours[2]);
	for (char *p = b.data; *p; p++)
		*p = (char)g_ascii_tolower(*p);
	return buf_detach(&b);
}

static char *caption_text(const struct caption_spec *spec,
			  const struct words *w, uint64_t seed)
{
	struct buf poem = BUF_INIT, detail = BUF_INIT, question = BUF_INIT, b = BUF_INIT;
	bool engage = (spec->style && strcmp(spec->style, "engagement_question") == 0) ||
		      (spec->platform && strcmp(spec->platform, "fetlife_email") == 0);
	char *out;

	local_caption_compose(&w->facts, seed, &poem, &detail);
	if (engage) {
		size_t q = (seed >> 16) % (sizeof(questions) / sizeof(questions[0]));
		if (q == 1 && w->ncolours < 2)
			q = 0; /* the colour question needs two colours */
		expand(&question, questions[q], w);
		if (poem.len + 1 + question.len <= spec->max_length)
			buf_addf(&b, "%s %s", buf_str(&poem), buf_str(&question));
		else
			buf_adds(&b, buf_str(&question));
		/* email captions carry no hashtags */
		for (char *p = b.data; p && *p; p++)
			if (*p == '#')
				*p = ' ';
	} else {
		size_t tags = spec->hashtags && *spec->hashtags ? 1 + strlen(spec->hashtags) : 0;
		buf_adds(&b, buf_str(&poem));
		/* the detail only where it fits whole, with the hashtags */
		size_t want = (size_t)g_utf8_strlen(buf_str(&poem), -1) + 1 +
			      (size_t)g_utf8_strlen(buf_str(&detail), -1) + tags;
		if (detail.len && want <= spec->max_length)
			buf_addf(&b, " %s", buf_str(&detail));
		if (tags)
			buf_addf(&b, " %s", spec->hashtags);
	}
	out = ai_enforce_length(buf_str(&b), spec->max_length);
	buf_release(&poem);
	buf_release(&detail);
	buf_release(&question);
	buf_release(&b);
	return out;
}

/* ---- the ops -------------------------------------------------------- */

static int local_open(const struct config *cfg, struct ai **out, struct pp_error *err)
{
	struct local *l;

	*out = NULL;
	if (image_init(NULL, err))
		return -1;
	l = xcalloc(1, sizeof(*l));
	l->base.ops = &local_ai;
	*out = &l->base;
	return 0;
}

static void local_close(struct ai *ai)
{
	free(ai);
}

static int local_analyze(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
			 struct analysis *out, struct ai_call *call, struct pp_error *err)
{
	struct image_measure m;

	*out = (struct analysis){ 0 };
	snprintf(call->model, sizeof(call->model), "%s", MODEL);
	call->prompt_tokens = -1;
	call->completion_tokens = -1;
	if (!img || !img->path)
		return pp_fail(err, WHERE, "the local analyzer needs a local copy of the image");
	if (image_measure(img->path, &m, err)) {
		call->error_type = "decode_error";
		return -1;
	}
	classify(&m);
	fill_analysis(&m, out);
	return 0;
}

static int local_caption(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
			 const struct caption_spec *spec, bool with_sd,
			 struct caption_result *out, struct ai_call *call, struct pp_error *err)
{
	struct words w;
	uint64_t seed;

	*out = (struct caption_result){ 0 };
	snprintf(call->model, sizeof(call->model), "%s", MODEL);
	call->prompt_tokens = -1;
	call->completion_tokens = -1;
	if (spec->max_length == 0)
		return pp_fail(err, WHERE, "caption limit is 0 characters");
	words_of(an, &w);
	seed = analysis_seed(an);
	out->caption = caption_text(spec, &w, seed);
	if (with_sd)
		out->sd_caption = sd_caption_of(an, &w);
	out->model = xstrdup(MODEL);
	return 0;
}

static const char *local_model(const struct ai *ai)
{
	return MODEL;
}

const struct ai_ops local_ai = {
	.name = "local",
	.needs_url = false,
	.open = local_open,
	.close = local_close,
	.analyze = local_analyze,
	.caption = local_caption,
	.vision_model = local_model,
	.caption_model = local_model,
};
