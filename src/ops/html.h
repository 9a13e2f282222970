/* html.h - small helpers of the HTML report: escaping untrusted text and
 * formatting durations and counts for people. */
#ifndef PHOTOPUB_OPS_HTML_H
#define PHOTOPUB_OPS_HTML_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* Appends s with & < > " ' escaped: safe in text and in quoted attributes.
 * Control characters other than tab and newline become U+FFFD. */
void html_escape(struct buf *out, const char *s);

/* "0 ms", "840 ms", "1.25 s", "8 s", "12.5 s", "3.2 min", "1.5 h". */
void html_fmt_ms(double ms, char *out, size_t cap);

/* 1234567 -> "1,234,567". */
void html_fmt_count(uint64_t n, char *out, size_t cap);

#endif
