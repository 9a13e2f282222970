/* ini.h - reads an INI file into an ordered list of (section, key, value,
 * line) entries with inih, the way Python's configparser reads upstream's
 * files: inline comments, continuation lines, case-insensitive names. */
#ifndef PHOTOPUB_CONFIG_INI_H
#define PHOTOPUB_CONFIG_INI_H

#include <stddef.h>

struct ini_entry {
	char *section;
	char *key;     /* lowercased, as configparser does */
	char *value;   /* trimmed, inline comment removed; continuation lines joined with "\n" */
	int line;
};

struct ini_file {
	struct ini_entry *entries;
	size_t n, cap;
	char **sections;  /* every section header seen, in order */
	int *section_lines; /* the line of each */
	size_t nsections;
};

/* Parses path. Returns 0, or -1 with *bad_line set to the first line that
 * could not be parsed (0 when the file could not be opened; errno set). */
int ini_read(const char *path, struct ini_file *out, int *bad_line);
/* The same for an INI file's content: the len bytes at text (text may be
 * NULL when len is 0). */
int ini_read_mem(const char *text, size_t len, struct ini_file *out, int *bad_line);
void ini_release(struct ini_file *f);

/* Removes an inline comment from value in place: ';' after whitespace, or
 * '#' after whitespace and before whitespace or the end ("#art" hashtags
 * stay), then trims. */
void ini_strip_comment(char *value);

#endif
