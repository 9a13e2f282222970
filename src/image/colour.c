/* colour.c - colour arithmetic the measurements and their wording share:
 * 8-bit sRGB to CIELAB (D65), and a plain name for a colour. No libvips. */
#include <math.h>
#include "image/colour.h"

static double srgb_linear(double c)
{
	c /= 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double lab_f(double t)
{
	return t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

/* One 8-bit sRGB colour to CIELAB (D65), for naming palette entries. */
struct lab image_rgb_to_lab(int r8, int g8, int b8)
{
	double r = srgb_linear(r8), g = srgb_linear(g8), b = srgb_linear(b8);
	double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
	double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
	double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
	double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
	return (struct lab){ 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz) };
}

double image_hue_deg(double a, double b)
{
	double h = atan2(b, a) * 180.0 / M_PI;
	return h < 0 ? h + 360.0 : h;
}

/* A plain colour name from lightness, chroma and hue (CIE LCh). */
const char *image_colour_name(struct lab c)
{
	double L = c.l, C = hypot(c.a, c.b), h = image_hue_deg(c.a, c.b);

	if (C < 8) {
		if (L < 8)
			return "black";
		if (L < 28)
			return "charcoal";
		if (L < 45)
			return "dark grey";
		if (L < 62)
			return "grey";
		if (L < 80)
			return "light grey";
		return L < 93 ? "off-white" : "white";
	}
	if (C < 20) {
		if (h >= 20 && h < 110)
			return L >= 80 ? "ivory" : L >= 55 ? "beige" : L >= 30 ? "taupe" : "dark brown";
		if (h >= 110 && h < 165)
			return L >= 50 ? "sage" : "olive";
		if (h >= 165 && h < 320)
			return L >= 60 ? "blue-grey" : "slate";
		return L >= 65 ? "dusty pink" : "mauve";
	}
	if (h < 20 || h >= 345)
		return L < 40 ? "crimson" : L >= 70 ? "pink" : "rose";
	if (h < 50)
		return L < 35 ? "deep red" : L >= 65 ? "salmon" : "red";
	if (h < 75) {
		if (L < 30)
			return "dark brown";
		if (L < 45)
			return "brown";
		return (C < 35 && L >= 60) ? "tan" : "orange";
	}
	if (h < 105) {
		if (L < 55)
			return "olive";
		if (L < 80)
			return C >= 40 ? "gold" : "khaki";
		return C >= 40 ? "yellow" : "cream";
	}
	if (h < 165)
		return L < 35 ? "deep green" : "green";
	if (h < 235)
		return L < 60 ? "teal" : "cyan";
	if (h < 320)
		return L < 25 ? "navy" : L >= 70 ? "sky blue" : "blue";
	return L < 45 ? "purple" : C >= 60 ? "magenta" : "violet";
}


