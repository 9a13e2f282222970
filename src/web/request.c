/* request.c - reading what an HTTP client sent: the request target,
 * percent-decoding, route patterns, query parameters, cookies, entity tags
 * and small values, as pure functions over strings (see request.h). The
 * server takes paths and queries raw, so decoding happens here, once. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "storage/storage.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/hex.h"
#include "web/request.h"

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether key[0..n) with '+' read as ' ' equals name, ASCII letters
 * compared without case. */
static bool key_equals(const char *key, size_t n, const char *name, bool plus_is_space)
{
	if (strlen(name) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = plus_is_space && key[i] == '+' ? ' ' : key[i];
		if (ascii_lower(c) != ascii_lower(name[i]))
			return false;
	}
	return true;
}

char *request_decode(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 1 < n ? hex_digit(s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				buf_release(&b);
				return NULL;
			}
			buf_addc(&b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

char *request_path(const char *target)
{
	const char *q = strchr(target, '?');
	return q ? xstrndup(target, (size_t)(q - target)) : xstrdup(target);
}

const char *request_query(const char *target)
{
	const char *q = strchr(target, '?');
	return q ? q + 1 : NULL;
}

bool request_match(const char *pattern, const char *path, char **param)
{
	*param = NULL;
	const char *p = pattern, *q = path;
	while (*p && *q) {
		if (*p != '/' || *q != '/')
			break;
		p++;
		q++;
		const char *pe = strchrnul(p, '/'), *qe = strchrnul(q, '/');
		if (*p == '{') {
			if (qe == q)
				break;
			free(*param);
			*param = request_decode(q, (size_t)(qe - q));
		} else if (pe - p != qe - q || strncmp(p, q, (size_t)(pe - p))) {
			break;
		}
		p = pe;
		q = qe;
	}
	if (*p || *q) {
		free(*param);
		*param = NULL;
		return false;
	}
	return true;
}

bool request_filename_ok(const char *name)
{
	return name && fs_name_is_safe(name) && storage_is_image_name(name);
}

int request_query_get(const char *query, const char *name, char **out)
{
	*out = NULL;
	for (const char *p = query; p && *p;) {
		const char *amp = strchrnul(p, '&');
		const char *eq = memchr(p, '=', (size_t)(amp - p));
		const char *kend = eq ? eq : amp;
		if (key_equals(p, (size_t)(kend - p), name, true)) {
			if (!eq)
				return 0;
			char *plus = xstrndup(eq + 1, (size_t)(amp - eq - 1));
			for (char *c = plus; *c; c++)
				if (*c == '+')
					*c = ' ';
			*out = request_decode(plus, strlen(plus));
			free(plus);
			return *out ? 0 : -1;
		}
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

char *request_cookie(const char *header, const char *name)
{
	const char *pos = header;
	while (pos) {
		while (*pos == ' ')
			pos++;
		const char *sce = pos;
		while (*sce && *sce != ',' && *sce != ';' && *sce != '=')
			sce++;
		const char *kend = sce;
		while (kend > pos && kend[-1] == ' ')
			kend--;
		bool hit = key_equals(pos, (size_t)(kend - pos), name, false);
		if (*sce != '=') {
			/* No value: the empty string. */
			if (hit)
				return xstrdup("");
			if (!*sce)
				break;
			pos = sce + 1;
			continue;
		}
		const char *v = sce + 1, *e = v;
		bool quoted = false;
		while (*e && (quoted || (*e != ';' && *e != ','))) {
			if (*e == '"')
				quoted = !quoted;
			e++;
		}
		if (hit) {
			if (e > v && v[0] == '"' && e[-1] == '"')
				return e - v == 1 ? xstrdup("") : xstrndup(v + 1, (size_t)(e - v - 2));
			return xstrndup(v, (size_t)(e - v));
		}
		pos = *e ? e + 1 : NULL;
	}
	return NULL;
}

bool request_etag_matches(const char *inm, const char *tag)
{
	const char *p = inm;
	size_t tl = strlen(tag);
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		const char *e = p;
		if (*e == '"') {
			e = strchr(e + 1, '"');
			e = e ? e + 1 : p + strlen(p);
		} else {
			e = strchrnul(e, ',');
		}
		if ((size_t)(e - p) == tl && !strncmp(p, tag, tl))
			return true;
		p = e;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

bool request_length_exceeds(const char *content_length, size_t max)
{
	return content_length && strtoull(content_length, NULL, 10) > max;
}

bool request_truthy(const char *v)
{
	return v && (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		     !strcasecmp(v, "on"));
}

int request_int_range(const char *s, long min, long max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

size_t request_list_count(const char *list)
{
	if (!list)
		return 0;
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	return n;
}

int request_list_item(const char *list, size_t i, char *out, size_t n)
{
	if (!list || n == 0)
		return -1;
	const char *p = list;
	for (; i > 0; i--) {
		p = strchr(p, ',');
		if (!p)
			return -1;
		p++;
	}
	const char *end = strchr(p, ',');
	if (!end)
		end = p + strlen(p);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

bool request_list_has(const char *list, const char *value)
{
	char item[256];
	for (size_t i = 0, n = request_list_count(list); i < n; i++)
		if (request_list_item(list, i, item, sizeof(item)) == 0 && *item &&
		    !strcmp(item, value))
			return true;
	return false;
}
