/* s3_xml.c - S3's XML answers read with glib's GMarkup (a real parser: no
 * DTDs, no entities beyond XML's five and character references, UTF-8
 * checked): ListObjectsV2 pages and <Error> documents. See s3.h. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "storage/dropbox.h"
#include "storage/s3.h"
#include "util/buf.h"
#include "util/hex.h"

#define WHERE "storage.s3"
#define DEPTH_MAX 6             /* ListBucketResult/Contents/Owner/ID is 4 */
#define TEXT_MAX (S3_KEY_MAX * 6 + 64) /* an element's text, before any check */

/* What the parser is in: the element names from the root down, the text of
 * the innermost one, and what the document asked of the caller. */
struct reader {
	const char *root;        /* the root element expected */
	char stack[DEPTH_MAX][32]; /* element names, cut to 31 bytes */
	int depth;
	struct buf text;
	bool too_long;
	/* ListBucketResult */
	struct s3_page *page;
	size_t cap;
	struct s3_object cur;
	bool bad_size;
	bool too_many;
	/* Error */
	struct s3_error_reply *error;
};

static const char *parent(const struct reader *r)
{
	return r->depth >= 2 ? r->stack[r->depth - 2] : "";
}

static void on_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
		     const char **attr_values, void *data, GError **error)
{
	(void)ctx;
	(void)attr_names;
	(void)attr_values;
	struct reader *r = data;
	if (r->depth == 0 && strcmp(name, r->root)) {
		g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
			    "the root element is <%s>, not <%s>", name, r->root);
		return;
	}
	if (r->depth >= DEPTH_MAX) {
		g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
			    "elements nested deeper than %d", DEPTH_MAX);
		return;
	}
	snprintf(r->stack[r->depth++], sizeof(r->stack[0]), "%s", name);
	buf_reset(&r->text);
	r->too_long = false;
	if (r->page && r->depth == 2 && !strcmp(name, "Contents")) {
		free(r->cur.key);
		r->cur = (struct s3_object){ .size = -1 };
	}
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, void *data,
		    GError **error)
{
	(void)ctx;
	(void)error;
	struct reader *r = data;
	if (r->too_long || len > TEXT_MAX - r->text.len) {
		r->too_long = true;
		return;
	}
	buf_add(&r->text, text, len);
}

static void copy_text(char *dst, size_t cap, const struct reader *r)
{
	snprintf(dst, cap, "%s", buf_str(&r->text));
}

/* The end of an element of a ListBucketResult. */
static void list_end(struct reader *r, const char *name, GError **error)
{
	struct s3_page *p = r->page;
	const char *up = parent(r);
	if (r->depth == 2 && !strcmp(name, "IsTruncated")) {
		p->truncated = !strcmp(buf_str(&r->text), "true");
	} else if (r->depth == 2 && !strcmp(name, "EncodingType")) {
		p->url_encoded = !strcmp(buf_str(&r->text), "url");
	} else if (r->depth == 2 && !strcmp(name, "NextContinuationToken")) {
		free(p->next_token);
		p->next_token = r->text.len ? xstrdup(buf_str(&r->text)) : NULL;
	} else if (r->depth == 3 && !strcmp(up, "Contents")) {
		if (!strcmp(name, "Key")) {
			if (r->too_long || r->text.len > S3_KEY_MAX) {
				g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
					    "a key longer than %d bytes", S3_KEY_MAX);
				return;
			}
			free(r->cur.key);
			r->cur.key = xstrdup(buf_str(&r->text));
		} else if (!strcmp(name, "Size")) {
			char *end = NULL;
			errno = 0;
			long long v = strtoll(buf_str(&r->text), &end, 10);
			if (!r->text.len || errno || *end || v < 0)
				r->bad_size = true;
			else
				r->cur.size = v;
		} else if (!strcmp(name, "LastModified")) {
			r->cur.mtime_ns = dropbox_parse_rfc3339(buf_str(&r->text));
		} else if (!strcmp(name, "ETag")) {
			const char *t = buf_str(&r->text);
			size_t n = strlen(t);
			if (n >= 2 && t[0] == '"' && t[n - 1] == '"')
				snprintf(r->cur.etag, sizeof(r->cur.etag), "%.*s", (int)(n - 2), t + 1);
			else
				copy_text(r->cur.etag, sizeof(r->cur.etag), r);
		}
	} else if (r->depth == 2 && !strcmp(name, "Contents")) {
		if (!r->cur.key || r->cur.size < 0 || r->bad_size) {
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "a <Contents> without a <Key> and a numeric <Size>");
			return;
		}
		if (p->n >= S3_PAGE_MAX) {
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "more than %d keys in one page", S3_PAGE_MAX);
			return;
		}
		if (p->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			p->objects = xrealloc(p->objects, r->cap * sizeof(*p->objects));
		}
		p->objects[p->n++] = r->cur;
		r->cur = (struct s3_object){ .size = -1 };
	} else if (r->depth == 2 && !strcmp(name, "CommonPrefixes")) {
		p->prefixes++;
	}
}

static void on_end(GMarkupParseContext *ctx, const char *name, void *data, GError **error)
{
	(void)ctx;
	struct reader *r = data;
	if (r->page)
		list_end(r, name, error);
	else if (r->error && r->depth == 2 && !strcmp(name, "Code"))
		copy_text(r->error->code, sizeof(r->error->code), r);
	else if (r->error && r->depth == 2 && !strcmp(name, "Message"))
		copy_text(r->error->message, sizeof(r->error->message), r);
	r->depth--;
	buf_reset(&r->text);
}

static const GMarkupParser parser = {
	.start_element = on_start, .end_element = on_end, .text = on_text,
};

/* Runs the parser over the whole document; msg gets why it failed. */
static int parse(struct reader *r, const char *xml, size_t len, char *msg, size_t cap)
{
	GError *e = NULL;
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, r, NULL);
	gboolean ok = g_markup_parse_context_parse(ctx, xml ? xml : "", (gssize)len, &e) &&
		      g_markup_parse_context_end_parse(ctx, &e);
	if (ok && r->depth != 0)
		ok = FALSE;
	if (!ok)
		snprintf(msg, cap, "%s", e ? e->message : "an incomplete document");
	if (e)
		g_error_free(e);
	g_markup_parse_context_free(ctx);
	free(r->cur.key);
	r->cur.key = NULL;
	buf_release(&r->text);
	return ok ? 0 : -1;
}

/* Decodes an encoding-type=url value in place ('+' is a space, as S3
 * sends it); -1 for a bad escape or a NUL. */
static int url_decode(char *s)
{
	char *w = s;
	for (const char *p = s; *p; p++) {
		if (*p == '+') {
			*w++ = ' ';
		} else if (*p == '%') {
			int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

int s3_parse_list(const char *xml, size_t len, struct s3_page *out, struct pp_error *err)
{
	char why[256];
	*out = (struct s3_page){ 0 };
	struct reader r = { .root = "ListBucketResult", .page = out, .cur = { .size = -1 } };
	if (parse(&r, xml, len, why, sizeof(why)) < 0) {
		s3_page_release(out);
		return pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				    "S3 ListObjectsV2: the reply is not a usable listing (%s)", why);
	}
	for (size_t i = 0; out->url_encoded && i < out->n; i++)
		if (url_decode(out->objects[i].key) < 0)
			out->objects[i].key[0] = '\0';
	if (out->truncated && !out->next_token) {
		s3_page_release(out);
		return pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
				    "S3 ListObjectsV2: a truncated page without a NextContinuationToken");
	}
	return 0;
}

void s3_page_release(struct s3_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->objects[i].key);
	free(p->objects);
	free(p->next_token);
	*p = (struct s3_page){ 0 };
}

int s3_parse_error(const char *xml, size_t len, struct s3_error_reply *out)
{
	char why[256];
	*out = (struct s3_error_reply){ 0 };
	struct reader r = { .root = "Error", .error = out };
	if (!len || parse(&r, xml, len, why, sizeof(why)) < 0) {
		*out = (struct s3_error_reply){ 0 };
		return -1;
	}
	return 0;
}
