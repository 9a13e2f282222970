/* ini.c - INI reading on top of inih, with configparser's habits.
 *
 * Debian's libinih is built with a 200-byte line buffer, too short for the
 * prompts users keep in their INI files. The reader below hands inih each
 * physical line; a line that would not fit is split at its '=' (or ':') and
 * its value parked in a side table, and inih sees a short placeholder that
 * the handler swaps back. inih still does all the parsing. The reader also
 * notes each line's number, whether it continues the previous value, and
 * every section header (inih reports no empty section). */
#include <ctype.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/ini.h"
#include "util/buf.h"
#include "util/strv.h"

#define PLACEHOLDER "\x01long:"

struct reader {
	FILE *fp;
	struct ini_file *out;
	struct strv parked;      /* long values, by index */
	char *line;              /* getline buffer */
	size_t linecap;
	int lineno;              /* physical line just handed to inih */
	bool continuation;       /* that line continues the previous value */
};

static char *rtrim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void ini_strip_comment(char *v)
{
	for (char *p = v; *p; p++) {
		if (p == v || !isspace((unsigned char)p[-1]))
			continue;
		if (*p == ';' || (*p == '#' && (p[1] == '\0' || isspace((unsigned char)p[1])))) {
			*p = '\0';
			break;
		}
	}
	rtrim(v);
	size_t lead = strspn(v, " \t");
	memmove(v, v + lead, strlen(v + lead) + 1);
}

static void note_section(struct ini_file *f, const char *s, int line)
{
	const char *end = strchr(s, ']');
	if (!end)
		return;
	f->sections = xrealloc(f->sections, (f->nsections + 1) * sizeof(char *));
	f->section_lines = xrealloc(f->section_lines, (f->nsections + 1) * sizeof(int));
	f->section_lines[f->nsections] = line;
	f->sections[f->nsections++] = xstrndup(s + 1, (size_t)(end - s - 1));
}

/* inih's reader callback: one physical line, shortened when too long. */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *rd = stream;
	ssize_t n = getline(&rd->line, &rd->linecap, rd->fp);
	if (n < 0)
		return NULL;
	rd->lineno++;
	char *l = rd->line;
	size_t lead = strspn(l, " \t");
	char first = l[lead];
	bool blank = first == '\0' || first == '\n' || first == '\r';
	bool comment = first == ';' || first == '#';
	rd->continuation = lead > 0 && !blank && !comment;
	if (!rd->continuation && first == '[')
		note_section(rd->out, l + lead, rd->lineno);
	if (n < num - 1) {
		memcpy(str, l, (size_t)n + 1);
		return str;
	}
	/* Too long for inih: keep "name =" and park the value. */
	char *sep = strpbrk(l + lead, "=:");
	char *value;
	if (rd->continuation) {
		value = l + lead;
		snprintf(str, (size_t)num, " " PLACEHOLDER "%zu\n", rd->parked.n);
	} else if (sep && !comment && first != '[' && sep - l < num - 32) {
		value = sep + 1;
		snprintf(str, (size_t)num, "%.*s= " PLACEHOLDER "%zu\n", (int)(sep - l), l,
			 rd->parked.n);
	} else {
		/* A long comment (or garbage): inih sees only its start. */
		snprintf(str, (size_t)num, "%.*s\n", num - 2, l);
		return str;
	}
	strv_push_owned(&rd->parked, rtrim(xstrdup(value)));
	return str;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct reader *rd = user;
	struct ini_file *f = rd->out;
	char *v;
	if (strncmp(value, PLACEHOLDER, sizeof(PLACEHOLDER) - 1) == 0) {
		size_t idx = strtoul(value + sizeof(PLACEHOLDER) - 1, NULL, 10);
		v = xstrdup(idx < rd->parked.n ? rd->parked.v[idx] : "");
	} else {
		v = xstrdup(value);
	}
	ini_strip_comment(v);

	if (rd->continuation && f->n > 0) {
		/* configparser joins continuation lines with newlines. */
		struct ini_entry *e = &f->entries[f->n - 1];
		char *joined = xasprintf("%s\n%s", e->value, v);
		free(e->value);
		free(v);
		e->value = joined;
		return 1;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->entries = xrealloc(f->entries, f->cap * sizeof(*f->entries));
	}
	char *key = xstrdup(name);
	for (char *q = key; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	f->entries[f->n++] = (struct ini_entry){
		.section = xstrdup(section), .key = key, .value = v, .line = rd->lineno,
	};
	return 1;
}

/* Parses fp (closed here, may be NULL: then nothing was opened). */
static int read_stream(FILE *fp, struct ini_file *out, int *bad_line)
{
	*out = (struct ini_file){ 0 };
	*bad_line = 0;
	if (!fp)
		return -1;
	struct reader rd = { .fp = fp, .out = out };
	int rc = ini_parse_stream(read_line, &rd, on_entry, &rd);
	fclose(rd.fp);
	free(rd.line);
	strv_release(&rd.parked);
	if (rc != 0) {
		*bad_line = rc;
		return -1;
	}
	return 0;
}

int ini_read(const char *path, struct ini_file *out, int *bad_line)
{
	return read_stream(fopen(path, "r"), out, bad_line);
}

int ini_read_mem(const char *text, size_t len, struct ini_file *out, int *bad_line)
{
	static char empty[1];
	/* "r" never writes to the buffer */
	return read_stream(fmemopen(len ? (void *)text : empty, len, "r"), out, bad_line);
}

void ini_release(struct ini_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->entries[i].section);
		free(f->entries[i].key);
		free(f->entries[i].value);
	}
	free(f->entries);
	for (size_t i = 0; i < f->nsections; i++)
		free(f->sections[i]);
	free(f->sections);
	free(f->section_lines);
	*f = (struct ini_file){ 0 };
}
