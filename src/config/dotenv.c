/* dotenv.c - the .env layer of the configuration. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/dotenv.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"

static bool valid_key(const char *k, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)k[i]) || k[i] == '_'))
			return false;
	return true;
}

/* Parses the value at p (up to the end of the line at end) into out.
 * Returns false on an unterminated quote. */
static bool parse_value(const char *p, const char *end, struct buf *out)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '\'' || *p == '"')) {
		char q = *p++;
		for (; p < end && *p != q; p++) {
			if (q == '"' && *p == '\\' && p + 1 < end) {
				p++;
				switch (*p) {
				case 'n': buf_addc(out, '\n'); break;
				case 't': buf_addc(out, '\t'); break;
				case 'r': buf_addc(out, '\r'); break;
				default: buf_addc(out, *p); break;
				}
				continue;
			}
			buf_addc(out, *p);
		}
		return p < end;
	}
	const char *v = p, *e = end;
	for (const char *c = p; c < end; c++)
		if (*c == '#' && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
			e = c;
			break;
		}
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	buf_add(out, v, (size_t)(e - v));
	return true;
}

/* The env_invalid_line warning, and the same in e when there is one. */
static void warn_line(const char *name, int lineno, const char *problem, struct config_error *e)
{
	log_warning("config", "env_invalid_line", NULL, LF_STR("file", name), LF_INT("line", lineno),
		    LF_STR("problem", problem));
	if (e)
		config_warn(e, name, lineno, NULL, NULL, "%s (line ignored)", problem);
}

static int parse_text(const char *text, const char *name, dotenv_fn *each, void *arg,
		      struct config_error *e)
{
	int count = 0, lineno = 0;
	const char *line = text;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		lineno++;
		if (end > line && end[-1] == '\r')
			end--;
		const char *p = line;
		if (lineno == 1 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
		    (unsigned char)p[2] == 0xbf)
			p += 3;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end || *p == '#')
			goto next;
		if (end - p > 7 && strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
			p += 7;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
		}
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq) {
			warn_line(name, lineno, "expected KEY=VALUE", e);
			goto next;
		}
		const char *ke = eq;
		while (ke > p && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		if (!valid_key(p, (size_t)(ke - p))) {
			warn_line(name, lineno, "invalid variable name", e);
			goto next;
		}
		struct buf value = BUF_INIT;
		if (!parse_value(eq + 1, end, &value)) {
			warn_line(name, lineno, "unterminated quote", e);
			buf_release(&value);
			goto next;
		}
		char *key = xstrndup(p, (size_t)(ke - p));
		each(key, buf_str(&value), arg);
		free(key);
		buf_release(&value);
		count++;
next:
		line = nl ? nl + 1 : NULL;
	}
	return count;
}

int dotenv_parse(const char *text, const char *name, dotenv_fn *each, void *arg)
{
	return parse_text(text, name, each, arg, NULL);
}

/* dotenv_fn for dotenv_load: the process environment wins. */
static void set_unless_set(const char *key, const char *value, void *arg)
{
	(void)arg;
	setenv(key, value, 0);
}

int dotenv_load_report(const char *path, struct pp_error *err, struct config_error *e)
{
	char *text = NULL;
	if (fs_read_file(path, &text, NULL, 1 << 20, err) < 0)
		return -1;
	int count = parse_text(text, path, set_unless_set, NULL, e);
	free(text);
	return count;
}

int dotenv_load(const char *path, struct pp_error *err)
{
	return dotenv_load_report(path, err, NULL);
}
