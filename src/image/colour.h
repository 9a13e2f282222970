/* colour.h - 8-bit sRGB to CIELAB, and plain colour names. */
#ifndef PHOTOPUB_IMAGE_COLOUR_H
#define PHOTOPUB_IMAGE_COLOUR_H

struct lab {
	double l, a, b;
};

/* One 8-bit sRGB colour to CIELAB (D65). */
struct lab image_rgb_to_lab(int r8, int g8, int b8);

/* The hue angle of (a, b), 0-360 degrees. */
double image_hue_deg(double a, double b);

/* A plain colour name ("charcoal", "warm beige", …) from lightness, chroma
 * and hue; a static string. */
const char *image_colour_name(struct lab c);

#endif
