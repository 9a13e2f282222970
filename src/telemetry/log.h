/* log.h - structured logging: every line one JSON object.
 *
 * Keys in this order: timestamp, level, logger, message (the event name),
 * correlation_id (when the line belongs to a run or request), then the event's
 * fields. Each line reaches stderr and the optional log file with one write(2)
 * under a lock, so lines from many threads never interleave. Every string
 * value passes through sanitize() and is escaped so that the line is valid JSON
 * whatever bytes it held (each invalid UTF-8 subpart becomes one U+FFFD, as
 * util/utf8.h says).
 *
 * Fields are a typed array built by the macros below:
 *
 *   log_info(LOGGER, "workflow_timing", cid,
 *            LF_STR("image", name), LF_MS("archive_ms", archive_ms),
 *            LF_BOOL("success", ok));
 */
#ifndef PHOTOPUB_TELEMETRY_LOG_H
#define PHOTOPUB_TELEMETRY_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARNING, LOG_ERROR };

enum log_type {
	LT_END = 0, /* terminates a field array */
	LT_STR,     /* v.s; NULL is written as null */
	LT_INT,     /* v.i */
	LT_MS,      /* v.i; a negative value (stage did not run) is written as null */
	LT_BOOL,    /* v.b */
	LT_NULL,
	LT_DOUBLE,  /* v.d; NaN and infinities are written as null */
	LT_JSON,    /* v.json: a jansson json_t *, written recursively, strings sanitized */
};

struct log_field {
	const char *key;
	enum log_type type;
	union {
		const char *s;
		int64_t i;
		bool b;
		double d;
		const void *json;
	} v;
};

#define LF_STR(k, x)    ((struct log_field){ .key = (k), .type = LT_STR, .v.s = (x) })
#define LF_INT(k, x)    ((struct log_field){ .key = (k), .type = LT_INT, .v.i = (int64_t)(x) })
#define LF_MS(k, x)     ((struct log_field){ .key = (k), .type = LT_MS, .v.i = (int64_t)(x) })
#define LF_BOOL(k, x)   ((struct log_field){ .key = (k), .type = LT_BOOL, .v.b = (x) })
#define LF_NULL(k)      ((struct log_field){ .key = (k), .type = LT_NULL })
#define LF_DOUBLE(k, x) ((struct log_field){ .key = (k), .type = LT_DOUBLE, .v.d = (x) })
#define LF_JSON(k, x)   ((struct log_field){ .key = (k), .type = LT_JSON, .v.json = (x) })
#define LF_END          ((struct log_field){ .key = NULL, .type = LT_END })

/* Writes one line. fields ends with LF_END; correlation_id may be NULL. */
void log_json(enum log_level level, const char *logger, const char *event,
	      const char *correlation_id, const struct log_field *fields);

#define LOG_FIELDS_(...) ((const struct log_field[]){ __VA_ARGS__ __VA_OPT__(,) LF_END })
#define log_debug(logger, event, cid, ...) \
	log_json(LOG_DEBUG, logger, event, cid, LOG_FIELDS_(__VA_ARGS__))
#define log_info(logger, event, cid, ...) \
	log_json(LOG_INFO, logger, event, cid, LOG_FIELDS_(__VA_ARGS__))
#define log_warning(logger, event, cid, ...) \
	log_json(LOG_WARNING, logger, event, cid, LOG_FIELDS_(__VA_ARGS__))
#define log_error(logger, event, cid, ...) \
	log_json(LOG_ERROR, logger, event, cid, LOG_FIELDS_(__VA_ARGS__))

/* Renders the line into out (without writing it); used by tests and benchmarks.
 * Returns the length. The caller frees *out. */
size_t log_render(enum log_level level, const char *logger, const char *event,
		  const char *correlation_id, const struct log_field *fields, char **out);

/* Lines below this level are dropped. Default: LOG_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);
/* "debug", "info", "warning"/"warn", "error" -> level; -1 when unknown. */
int log_level_parse(const char *name);

/* Whether lines go to stderr (default true). */
void log_set_stderr(bool on);

/* The form of the lines on stderr: JSON (the default, the contract) or the
 * short human text of logtext.h, in colour when colour. The log file always
 * gets JSON. */
enum log_format { LOG_FORMAT_JSON = 0, LOG_FORMAT_TEXT };
void log_set_format(enum log_format format, bool colour);
enum log_format log_get_format(void);
/* "json", "text", or "auto" (text when stderr is a terminal, JSON otherwise)
 * -> format; -1 when unknown. */
int log_format_parse(const char *name);

/* Appends every line to path too (created 0600 when missing). Replaces a
 * previous file. NULL closes it. */
int log_set_file(const char *path, struct pp_error *err);

/* True while a log file is open (log_set_file). */
bool log_has_file(void);

/* Reopens the log file by its name (after logrotate moved it). Safe to call
 * from any thread while others log: a line goes wholly to the old or the new file. */
int log_reopen(struct pp_error *err);

/* With on, lines are queued and written by one background thread, many per
 * write(2) (whole lines, in order); error lines still reach the sinks before
 * log_json returns. For servers under load. Off (the default) writes each
 * line at once. Turning it off flushes. */
void log_set_async(bool on);

/* Waits until every queued line is written. */
void log_flush(void);

/* Flushes, stops the writer and closes the log file. */
void log_shutdown(void);

#endif
