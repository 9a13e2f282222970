/* measure.c - the offline analyzer's figures, in the libvips module: one
 * shrink-on-load decode (long side at most 512 px, upright, sRGB), CIELAB and
 * a Laplacian computed by libvips, then tone, colour, palette, detail and
 * border measured over the pixels; camera and lens from EXIF. */
#include <glib.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "image/colour.h"
#include "image/api.h"
#include "image/measure.h"
#include "image/vips_util.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"

#define WHERE "image.measure"

/* An EXIF value as libvips renders it, "RAW (TEXT, TYPE, N components, B
 * bytes)", reduced to TEXT ("1/1000 sec.", "f/3.2", "10.3 mm"); a value
 * without that wrapping is taken whole. "" when absent. Printable UTF-8 only. */
static void exif_value(VipsImage *img, const char *field, char *out, size_t size)
{
	const char *raw = NULL, *text;
	size_t n;

	out[0] = '\0';
	if (!vips_image_get_typeof(img, field) || vips_image_get_string(img, field, &raw) || !raw)
		return;
	text = raw;
	n = strlen(raw);
	if (n > 0 && raw[n - 1] == ')') {
		/* drop ", TYPE, N components, B bytes)" */
		size_t end = n - 1;
		int commas = 0;
		while (end > 0 && commas < 3) {
			end--;
			if (raw[end] == ',' && raw[end + 1] == ' ')
				commas++;
		}
		/* raw[0..end) is "RAW (TEXT"; for text types RAW and TEXT are equal */
		size_t half = end >= 2 ? (end - 2) / 2 : 0;
		const char *open = strstr(raw, " (");
		if (commas == 3 && end >= 2 && (end - 2) % 2 == 0 && memcmp(raw + half, " (", 2) == 0 &&
		    memcmp(raw, raw + half + 2, half) == 0) {
			n = half;
		} else if (commas == 3 && open && (size_t)(open - raw) + 2 <= end) {
			text = open + 2;
			n = end - (size_t)(open - raw) - 2;
		}
	}
	char *valid = utf8_make_valid(text, n);
	struct buf b = BUF_INIT;
	for (const char *p = valid; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (b.len == 0 || b.data[b.len - 1] == ' '))
			continue;
		buf_addc(&b, (char)c);
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	free(valid);
	if (b.len >= size) /* cut on a character boundary */
		b.data[utf8_cut_bytes(b.data, b.len, size - 1)] = '\0';
	snprintf(out, size, "%s", buf_str(&b));
	buf_release(&b);
}

static void read_camera(VipsImage *head, char *out, size_t size)
{
	char make[64], model[96], exposure[48], fnumber[32], iso[32], focal[32];
	struct buf b = BUF_INIT;

	exif_value(head, "exif-ifd0-Make", make, sizeof(make));
	exif_value(head, "exif-ifd0-Model", model, sizeof(model));
	exif_value(head, "exif-ifd2-ExposureTime", exposure, sizeof(exposure));
	exif_value(head, "exif-ifd2-FNumber", fnumber, sizeof(fnumber));
	exif_value(head, "exif-ifd2-ISOSpeedRatings", iso, sizeof(iso));
	exif_value(head, "exif-ifd2-FocalLength", focal, sizeof(focal));

	/* "Canon" + "Canon EOS R5" reads as "Canon EOS R5". */
	if (make[0] && g_ascii_strncasecmp(model, make, strlen(make)) != 0)
		buf_adds(&b, make);
	if (model[0]) {
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, model);
	}
	const char *settings[] = { exposure, fnumber, iso, focal };
	for (size_t i = 0; i < 4; i++) {
		if (!settings[i][0])
			continue;
		buf_adds(&b, b.len ? ", " : "");
		if (settings[i] == iso)
			buf_adds(&b, "ISO ");
		buf_adds(&b, settings[i]);
	}
	snprintf(out, size, "%s", buf_str(&b));
	buf_release(&b);
}

struct bin {
	uint64_t n, r, g, b;
	int idx;
};

static int bin_cmp(const void *pa, const void *pb)
{
	const struct bin *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->idx - b->idx;
}

/* Dominant colours: an 8×8×8 RGB histogram, the most populated bins
 * averaged, near ones (ΔE76 below the threshold) merged into the larger;
 * bins under a minimum share of the frame are left out, so a flat picture
 * has a palette of one. */
static void measure_palette(const unsigned char *rgb, size_t npix, struct image_measure *m)
{
	struct bin *bins = xcalloc(512, sizeof(*bins));
	/* a second, finer pass when the first finds fewer than three colours */
	static const double thresholds[] = { 15.0, 8.0 }, min_share[] = { 0.02, 0.005 };

	for (int i = 0; i < 512; i++)
		bins[i].idx = i;
	for (size_t i = 0; i < npix; i++) {
		const unsigned char *p = rgb + 3 * i;
		struct bin *b = &bins[(p[0] >> 5) << 6 | (p[1] >> 5) << 3 | (p[2] >> 5)];
		b->n++;
		b->r += p[0];
		b->g += p[1];
		b->b += p[2];
	}
	qsort(bins, 512, sizeof(*bins), bin_cmp);

	for (size_t t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++) {
		struct bin acc[MAX_PALETTE];
		int nacc = 0;
		for (int i = 0; i < 24 && bins[i].n; i++) {
			struct lab c = image_rgb_to_lab((int)(bins[i].r / bins[i].n), (int)(bins[i].g / bins[i].n),
						  (int)(bins[i].b / bins[i].n));
			int merged = 0;
			for (int j = 0; j < nacc && !merged; j++) {
				struct lab d = image_rgb_to_lab((int)(acc[j].r / acc[j].n), (int)(acc[j].g / acc[j].n),
							  (int)(acc[j].b / acc[j].n));
				if (hypot(hypot(c.l - d.l, c.a - d.a), c.b - d.b) < thresholds[t]) {
					acc[j].n += bins[i].n;
					acc[j].r += bins[i].r;
					acc[j].g += bins[i].g;
					acc[j].b += bins[i].b;
					merged = 1;
				}
			}
			if (!merged && nacc < MAX_PALETTE &&
			    (nacc == 0 || (double)bins[i].n / (double)npix >= min_share[t]))
				acc[nacc++] = bins[i];
		}
		/* merging can reorder the sizes */
		qsort(acc, (size_t)nacc, sizeof(acc[0]), bin_cmp);
		m->npalette = nacc;
		for (int j = 0; j < nacc; j++) {
			struct swatch *s = &m->palette[j];
			s->r = (int)((acc[j].r + acc[j].n / 2) / acc[j].n);
			s->g = (int)((acc[j].g + acc[j].n / 2) / acc[j].n);
			s->b = (int)((acc[j].b + acc[j].n / 2) / acc[j].n);
			s->share = (double)acc[j].n / (double)npix;
			s->name = image_colour_name(image_rgb_to_lab(s->r, s->g, s->b));
		}
		if (nacc >= 3)
			break;
	}
	free(bins);
}

static double percentile(const uint64_t *hist, int nbins, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total), seen = 0;
	for (int i = 0; i < nbins; i++) {
		seen += hist[i];
		if (seen > want)
			return i;
	}
	return nbins - 1;
}

/* Tone, colour, detail and layout of the upright, sRGB, ≤512 px decode. */
static void measure_pixels(const unsigned char *rgb, const float *lab, const float *lap,
			   int w, int h, struct image_measure *m)
{
	size_t npix = (size_t)w * (size_t)h;
	uint64_t lhist[101] = { 0 }, chist[151] = { 0 };
	double lsum = 0, lsq = 0, csum = 0, asum = 0, bsum = 0;
	double bl = 0, blsq = 0, cl = 0, br = 0, bg = 0, bb = 0;
	size_t nborder = 0, ncentre = 0, shadow = 0, highlight = 0;
	double cell_e[9] = { 0 }, cell_l[9] = { 0 };
	size_t cell_n[9] = { 0 }, cell_ne[9] = { 0 };
	double lap_sum = 0, lap_sq = 0;
	size_t nlap = 0;

	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * (size_t)w + (size_t)x;
			double L = lab[3 * i], A = lab[3 * i + 1], B = lab[3 * i + 2];
			double C = hypot(A, B);
			int cell = (y * 3 / h) * 3 + x * 3 / w;

			lsum += L;
			lsq += L * L;
			csum += C;
			asum += A;
			bsum += B;
			lhist[L < 0 ? 0 : L > 100 ? 100 : (int)lround(L)]++;
			chist[C > 150 ? 150 : (int)lround(C)]++;
			if (L < 2)
				shadow++;
			if (L > 98)
				highlight++;
			cell_l[cell] += L;
			cell_n[cell]++;
			if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
				double v = lap[i];
				lap_sum += v;
				lap_sq += v * v;
				nlap++;
				cell_e[cell] += fabs(v);
				cell_ne[cell]++;
			}
			bool border = x < w * 0.15 || x >= w * 0.85 || y < h * 0.15 || y >= h * 0.85;
			bool centre = x >= w / 4 && x < w - w / 4 && y >= h / 4 && y < h - h / 4;
			if (border) {
				bl += L;
				blsq += L * L;
				br += rgb[3 * i];
				bg += rgb[3 * i + 1];
				bb += rgb[3 * i + 2];
				nborder++;
			}
			if (centre) {
				cl += L;
				ncentre++;
			}
		}
	}

	m->l_mean = lsum / (double)npix;
	m->l_sd = sqrt(fmax(0.0, lsq / (double)npix - m->l_mean * m->l_mean));
	m->l_p50 = percentile(lhist, 101, npix, 0.5);
	m->shadow_clip = (double)shadow / (double)npix;
	m->highlight_clip = (double)highlight / (double)npix;
	m->c_mean = csum / (double)npix;
	m->c_p95 = percentile(chist, 151, npix, 0.95);
	m->a_mean = asum / (double)npix;
	m->b_mean = bsum / (double)npix;
	if (nlap) {
		double mean = lap_sum / (double)nlap;
		m->lap_var = fmax(0.0, lap_sq / (double)nlap - mean * mean);
	}
	for (int c = 0; c < 9; c++) {
		m->energy[c] = cell_ne[c] ? cell_e[c] / (double)cell_ne[c] : 0.0;
		m->cell_l[c] = cell_n[c] ? cell_l[c] / (double)cell_n[c] : m->l_mean;
	}
	if (nborder) {
		m->border_l = bl / (double)nborder;
		m->border_sd = sqrt(fmax(0.0, blsq / (double)nborder - m->border_l * m->border_l));
		m->border_name = image_colour_name(image_rgb_to_lab((int)lround(br / (double)nborder),
							(int)lround(bg / (double)nborder),
							(int)lround(bb / (double)nborder)));
	} else {
		m->border_l = m->l_mean;
		m->border_name = "grey";
	}
	m->centre_l = ncentre ? cl / (double)ncentre : m->l_mean;
	measure_palette(rgb, npix, m);
}

/* Fills err from the libvips error buffer (and clears it). Returns -1. */
static int decode_fail(struct pp_error *err, const char *name)
{
	char *msg = vips_error_buffer_copy();
	if (msg)
		g_strdelimit(g_strstrip(msg), "\r\n", ' ');
	pp_fail_kind(err, WHERE, PP_ERR_UNDECODABLE, "%s is not a decodable image: %s", name,
		     msg && *msg ? msg : "libvips gave no reason");
	g_free(msg);
	return -1;
}

/* Decodes path once (upright, sRGB, long side at most 512 px), converts to
 * CIELAB and filters with a Laplacian, all in libvips, then measures. */
int measure_figures(const char *path, struct image_measure *m, struct pp_error *err)
{
	VipsImage *head = NULL, *img = NULL, *mem = NULL, *lab = NULL, *lband = NULL,
		  *mask = NULL, *lapi = NULL;
	unsigned char *rgb = NULL;
	float *labp = NULL, *lapp = NULL;
	size_t size;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	/* the header alone (no pixels): size as displayed and EXIF */
	head = vips_image_new_from_file(path, NULL);
	if (!head) {
		decode_fail(err, name);
		goto out;
	}
	if (image_check_pixels(head, name, err) < 0)
		goto out;
	m->width = vips_image_get_orientation_swap(head) ? head->Ysize : head->Xsize;
	m->height = vips_image_get_orientation_swap(head) ? head->Xsize : head->Ysize;
	read_camera(head, m->camera, sizeof(m->camera));
	exif_value(head, "exif-ifd2-LensModel", m->lens, sizeof(m->lens));
	exif_value(head, "exif-ifd2-DateTimeOriginal", m->taken, sizeof(m->taken));

	/* The decode is sequential and the measurements read it three times,
	 * so it is rendered once into memory (at most 512×512×3 bytes). */
	vips_error_clear();
	if (vips_thumbnail(path, &img, MEASURE_DECODE_SIZE, "height", MEASURE_DECODE_SIZE, "size", VIPS_SIZE_DOWN,
			   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL) ||
	    image_to_srgb8(&img) || !(mem = vips_image_copy_memory(img))) {
		decode_fail(err, name);
		goto out;
	}
	if (image_check_complete(head, name, err) < 0)
		goto out;
	if (mem->Bands != 3) {
		pp_fail(err, WHERE, "%s: expected three bands after conversion, got %d", name,
			mem->Bands);
		goto out;
	}
	if (!(rgb = vips_image_write_to_memory(mem, &size)) ||
	    vips_colourspace(mem, &lab, VIPS_INTERPRETATION_LAB, NULL) ||
	    !(labp = vips_image_write_to_memory(lab, &size)) ||
	    vips_extract_band(lab, &lband, 0, NULL) ||
	    !(mask = vips_image_new_matrixv(3, 3, 0.0, 1.0, 0.0, 1.0, -4.0, 1.0, 0.0, 1.0, 0.0)) ||
	    vips_conv(lband, &lapi, mask, "precision", VIPS_PRECISION_FLOAT, NULL) ||
	    !(lapp = vips_image_write_to_memory(lapi, &size))) {
		decode_fail(err, name);
		goto out;
	}
	if (lab->BandFmt != VIPS_FORMAT_FLOAT || lapi->BandFmt != VIPS_FORMAT_FLOAT ||
	    lapi->Xsize != mem->Xsize || lapi->Ysize != mem->Ysize) {
		pp_fail(err, WHERE, "%s: unexpected libvips result layout", name);
		goto out;
	}
	measure_pixels(rgb, labp, lapp, mem->Xsize, mem->Ysize, m);
	rc = 0;
out:
	g_free(rgb);
	g_free(labp);
	g_free(lapp);
	VipsImage *images[] = { lapi, mask, lband, lab, mem, img, head };
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (images[i])
			g_object_unref(images[i]);
	malloc_trim(0); /* the decode's buffers go back to the system */
	return rc;
}

