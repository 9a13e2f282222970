/* local_caption.h - the offline analyzer's caption wording: a short line
 * about the light and colour, and a concrete detail (time of day from
 * EXIF, camera and lens, or where the brightest light sits), chosen from
 * tables by a seed. Private to ai/. */
#ifndef PHOTOPUB_AI_LOCAL_CAPTION_H
#define PHOTOPUB_AI_LOCAL_CAPTION_H

#include <stdbool.h>
#include <stdint.h>
#include "util/buf.h"

/* Said in the description of every offline analysis. */
#define LOCAL_ANALYZER_NOTE "It describes light and colour, not subjects."

enum caption_light { CAPTION_LOW_KEY, CAPTION_MID_KEY, CAPTION_HIGH_KEY };

/* What a caption may say: measured light and colour, and EXIF facts. */
struct caption_facts {
	enum caption_light light;
	bool mono;
	const char *tone;       /* "warm", "cool", "quiet" */
	const char *c1, *c2;    /* colour names; c2 may equal a fallback word */
	const char *camera;     /* "Fujifilm X-T4"; NULL when unknown */
	const char *lens;       /* NULL when unknown */
	int hour, minute;       /* local clock time of the shot; -1 when unknown */
	const char *brightest;  /* "upper left", …; NULL when even */
};

/* "golden hour", "blue hour", …: the bucket of a clock time (hour 0-23). */
const char *local_time_bucket(int hour, int minute);

/* Reads the clock time from an EXIF date ("2024:05:01 18:40:12").
 * 0, or -1 (hour and minute set to -1) when it is not one. */
int local_clock_of(const char *exif_date, int *hour, int *minute);

/* Appends the camera and lens as a caption says them ("a Fujifilm X-T4
 * with the XF23mmF2 R WR"); nothing when camera is NULL or "". */
void local_kit_phrase(struct buf *b, const char *camera, const char *lens);

/* The caption line and its detail sentence (each one sentence ending in
 * '.', detail maybe empty), the same for the same facts and seed. */
void local_caption_compose(const struct caption_facts *f, uint64_t seed, struct buf *line,
			   struct buf *detail);

#endif
