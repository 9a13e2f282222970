/* logtext.h - the human form of a log line, for a terminal.
 *
 *   10:15:02.113 INFO  workflow_timing cid=7e9ab81f image=a.jpg archive_ms=12
 *
 * Local time to the millisecond, the level, the event, the first 8
 * characters of the correlation id, then the event's fields as key=value
 * (values holding spaces, quotes or '=' are quoted, each cut to 80
 * characters; null fields are left out). Values pass through sanitize() like the JSON line's. A line is at
 * most LOG_TEXT_COLUMNS characters, cut with "…". usage_error and
 * config_error lines read as sentences ("error: …"). With colour, the level
 * and the event are in ANSI colours. The JSON line (log.h) is the contract;
 * this form is for people and may change. */
#ifndef PHOTOPUB_TELEMETRY_LOGTEXT_H
#define PHOTOPUB_TELEMETRY_LOGTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include "telemetry/log.h"

#define LOG_TEXT_COLUMNS 199 /* visible characters, without colour codes or '\n' */

/* Renders the text line (ending with '\n') into *out; returns its length.
 * The caller frees *out. */
size_t log_render_text(enum log_level level, const char *logger, const char *event,
		       const char *correlation_id, const struct log_field *fields,
		       bool colour, char **out);

/* Whether a terminal on fd should get colour: fd is a tty, NO_COLOR is
 * unset (or empty) and TERM is set and not "dumb". */
bool log_colour_wanted(int fd);

#endif
