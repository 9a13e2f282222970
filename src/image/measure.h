/* measure.h - what the offline analyzer measures in a photo: size and
 * EXIF camera, tone, colour, palette, detail and where it sits, border and
 * centre. image_measure() (image.h) fills the figures from one downscaled
 * decode in the libvips module; the categories (key, contrast, saturation,
 * …) are the analyzer's reading of them (ai/local.c). */
#ifndef PHOTOPUB_IMAGE_MEASURE_H
#define PHOTOPUB_IMAGE_MEASURE_H

#include <stddef.h>

#define MEASURE_DECODE_SIZE 512   /* long side of the decode, px */
#define MAX_PALETTE 6

enum key { KEY_LOW, KEY_MID, KEY_HIGH };
enum level { LVL_LOW, LVL_MID, LVL_HIGH };
enum sat { SAT_MONO, SAT_MUTED, SAT_NATURAL, SAT_VIVID };
enum temp { TEMP_NEUTRAL, TEMP_WARM, TEMP_COOL };
enum sharp { SHARP_NONE, SHARP_SOFT, SHARP_MODERATE, SHARP_SHARP };
enum where { W_NONE, W_CENTRE, W_LEFT, W_RIGHT, W_MIDCOL, W_TOP, W_BOTTOM, W_MIDROW,
	     W_CELL, W_EVEN };

struct swatch {
	int r, g, b;
	double share;
	const char *name;
};

struct image_measure {
	/* the original, as displayed */
	int width, height;
	double megapixels;
	char aspect[16];
	const char *orientation;    /* "landscape", "portrait", "square" */
	char camera[256];           /* from EXIF; "" when absent */

	/* tone (L*, 0-100) */
	double l_mean, l_sd, l_p50;
	double shadow_clip, highlight_clip;
	enum key key;
	enum level contrast;

	/* colour */
	double c_mean, c_p95, a_mean, b_mean;
	enum sat sat;
	enum temp temp;
	struct swatch palette[MAX_PALETTE];
	int npalette;

	/* detail */
	double lap_var;
	enum sharp sharp;
	double energy[9], cell_l[9];
	enum where where;
	int where_cell;             /* W_CELL: 0-8 */
	int brightest_cell;         /* -1: even brightness */

	/* border ring vs centre */
	double border_l, border_sd, centre_l;
	const char *border_name;

	/* more EXIF (API version 6); "" when absent */
	char lens[128];             /* exif-ifd2-LensModel */
	char taken[32];             /* exif-ifd2-DateTimeOriginal, "YYYY:MM:DD HH:MM:SS" */
};


#endif
