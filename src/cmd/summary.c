/* summary.c - the caption and alt text lines of what `run` and `retry`
 * print at the end: the caption as sent, its first lines when it is long
 * (with a note saying how much is left out), and its alt text. */
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/utf8.h"

/* Lines of a caption shown before it is cut. */
#define SUMMARY_CAPTION_LINES 6

/* Writes the bytes s[0..n) with control characters (a hostile caption's
 * escape sequences) shown as '?'. */
static void put_clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		putchar(c == '\t' ? ' ' : c < 0x20 || c == 0x7f ? '?' : c);
	}
}

/* A value over as many lines as it has, each after the 10-column label
 * (the first after name); at most max lines, then a note of the rest. */
static void print_lines(const char *name, const char *text, int max)
{
	const char *p = text;
	int shown = 0;
	while (*p && shown < max) {
		size_t n = strcspn(p, "\n");
		printf("%-10s", shown ? "" : name);
		put_clean(p, n);
		putchar('\n');
		shown++;
		p += n;
		if (*p == '\n')
			p++;
	}
	if (*p) {
		size_t more = 1;
		for (const char *q = p; *q; q++)
			more += *q == '\n' && q[1];
		printf("%-10s[cut here: %zu more line%s; %zu characters in all]\n", "", more,
		       more == 1 ? "" : "s", utf8_strlen(text));
	}
}

void cmd_print_caption(const struct workflow_result *r)
{
	if (r->caption)
		print_lines("caption:", r->caption, SUMMARY_CAPTION_LINES);
	if (r->alt_text)
		print_lines("alt text:", r->alt_text, 2);
}
