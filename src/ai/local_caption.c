/* local_caption.c - the offline caption wording: tables of lines per light
 * (low, mid, high key) and colour (monochrome or not), the time-of-day
 * buckets, and the detail sentence from EXIF or the brightest area. It
 * words light and colour only: no line names a subject. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "ai/local_caption.h"

/* ---- time of day ---------------------------------------------------- */

/* One row per bucket, from its first minute of the day; without a place
 * or date these are typical mid-latitude times. */
static const struct {
	int from; /* minute of the day */
	const char *name;
} buckets[] = {
	{ 0 * 60, "night" },
	{ 5 * 60, "dawn" },
	{ 7 * 60, "morning" },
	{ 11 * 60, "midday" },
	{ 14 * 60, "afternoon" },
	{ 17 * 60, "golden hour" },
	{ 19 * 60 + 30, "blue hour" },
	{ 21 * 60, "night" },
};

const char *local_time_bucket(int hour, int minute)
{
	int at = hour * 60 + minute;
	const char *name = buckets[0].name;
	for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++)
		if (at >= buckets[i].from)
			name = buckets[i].name;
	return name;
}

int local_clock_of(const char *exif_date, int *hour, int *minute)
{
	int y, mo, d, h, mi;
	*hour = *minute = -1;
	if (!exif_date || sscanf(exif_date, "%4d:%2d:%2d %2d:%2d", &y, &mo, &d, &h, &mi) != 5)
		return -1;
	if (y < 1 || h < 0 || h > 23 || mi < 0 || mi > 59)
		return -1;
	*hour = h;
	*minute = mi;
	return 0;
}

void local_kit_phrase(struct buf *b, const char *camera, const char *lens)
{
	if (!camera || !*camera)
		return;
	buf_adds(b, strchr("AEIOUaeiou", camera[0]) ? "an " : "a ");
	buf_adds(b, camera);
	if (lens && *lens)
		buf_addf(b, " with the %s", lens);
}

/* ---- the lines ------------------------------------------------------ */

/* {c1} {C1} {c2} {tone}; every line opens with its own two words. */
#define LINES 6
static const char *lines[3][2][LINES] = {
	[CAPTION_LOW_KEY] = {
		{ "Low light, {tone} and close, all {c1} and {c2}.",
		  "Shadows do most of the talking here; {c1} and {c2} fill the rest.",
		  "Dark and {tone}, with {c1} glowing through.",
		  "After the light has mostly gone: {c1}, {c2} and deep shade.",
		  "Held in the dark, a {tone} glow of {c1}.",
		  "Quiet and low-lit, {c1} sinking into {c2}." },
		{ "Deep shadow and a little silver, {c1} giving way to {c2}.",
		  "Night-dark greys, with the light kept to a whisper.",
		  "Mostly shadow, and the few highlights earn their place.",
		  "{C1} pressing in from the edges, the light held back.",
		  "Little light, and every grey of it counts.",
		  "Inky and still, from {c1} down to {c2}." },
	},
	[CAPTION_MID_KEY] = {
		{ "Even, {tone} light across {c1} and {c2}.",
		  "{C1} and {c2}, in easy {tone} light.",
		  "Plain light, honest colour: {c1} with a touch of {c2}.",
		  "Middle tones, {tone} and unhurried, mostly {c1}.",
		  "Nothing loud: {c1} and {c2} under {tone} light.",
		  "Somewhere between bright and dim, {c1} against {c2}." },
		{ "Greys in every step between {c1} and {c2}.",
		  "Black and white, with the tones left to do the work.",
		  "Soft greys from edge to edge, nothing shouting.",
		  "Silver tones from {c1} to {c2}, evenly told.",
		  "Monochrome and measured, {c1} beside {c2}.",
		  "All in grey, light and shade in balance." },
	},
	[CAPTION_HIGH_KEY] = {
		{ "Bleached, bright and {tone}: {c1} and {c2}.",
		  "Light everywhere, with {c1} and {c2} holding on.",
		  "Pale and bright, {c1} softening into {c2}.",
		  "Full of light, {tone} throughout, mostly {c1}.",
		  "Airy and {tone}, {c1} touched with {c2}.",
		  "So much light the colours go soft: {c1}, {c2}." },
		{ "Bright, pale and airy, the greys barely there.",
		  "White light and soft greys, {c1} at the edges.",
		  "Washed in light, all {c1} and {c2}.",
		  "High key and quiet: paper-white with a little {c2}.",
		  "Almost all light, {c1} fading out.",
		  "Feather-light greys, {c1} and {c2}." },
	},
};

/* {clock} {bucket} {Bucket} {kit} {where}: by what is known. */
enum detail_kind { D_TIME_KIT, D_TIME, D_KIT, D_WHERE, D_KINDS };
#define DETAILS 2
static const char *details[D_KINDS][DETAILS] = {
	[D_TIME_KIT] = { "Shot at {clock} on {kit}.", "{Bucket}, {clock}, on {kit}." },
	[D_TIME] = { "Shot at {clock}, {bucket}.", "{Bucket}, {clock}." },
	[D_KIT] = { "Shot on {kit}.", "Made with {kit}." },
	[D_WHERE] = { "The brightest light sits in the {where}.",
		      "The eye goes first to the {where}, where it is brightest." },
};

static void expand(struct buf *b, const char *tmpl, const struct caption_facts *f)
{
	static const char *keys[] = { "{c1}", "{C1}", "{c2}", "{tone}", "{clock}", "{bucket}",
				      "{Bucket}", "{kit}", "{where}" };
	while (*tmpl) {
		size_t k, n = sizeof(keys) / sizeof(keys[0]);
		for (k = 0; k < n; k++)
			if (strncmp(tmpl, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == n) {
			buf_addc(b, *tmpl++);
			continue;
		}
		size_t start = b->len;
		switch (k) {
		case 0: case 1: buf_adds(b, f->c1); break;
		case 2: buf_adds(b, f->c2); break;
		case 3: buf_adds(b, f->tone); break;
		case 4: buf_addf(b, "%02d:%02d", f->hour, f->minute); break;
		case 5: case 6: buf_adds(b, local_time_bucket(f->hour, f->minute)); break;
		case 7: local_kit_phrase(b, f->camera, f->lens); break;
		default: buf_adds(b, f->brightest ? f->brightest : ""); break;
		}
		if ((k == 1 || k == 6) && b->len > start)
			b->data[start] = (char)toupper((unsigned char)b->data[start]);
		tmpl += strlen(keys[k]);
	}
}

/* splitmix64's finaliser: every bit of the seed reaches the low bits the
 * choices read. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void local_caption_compose(const struct caption_facts *f, uint64_t seed, struct buf *line,
			   struct buf *detail)
{
	seed = mix(seed);
	expand(line, lines[f->light][f->mono ? 1 : 0][seed % LINES], f);

	bool when = f->hour >= 0 && f->minute >= 0;
	bool kit = f->camera && *f->camera;
	enum detail_kind d = when && kit ? D_TIME_KIT : when ? D_TIME : kit ? D_KIT
			   : f->brightest ? D_WHERE : D_KINDS;
	if (d != D_KINDS)
		expand(detail, details[d][(seed >> 32) % DETAILS], f);
}
