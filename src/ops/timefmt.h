/* timefmt.h - the times of the log tools: RFC 3339 timestamps of log lines,
 * the --since / --until forms, and formatting back to UTC. All times are
 * milliseconds since the Unix epoch (UTC). */
#ifndef PHOTOPUB_OPS_TIMEFMT_H
#define PHOTOPUB_OPS_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 date-time of n bytes: YYYY-MM-DD, 'T' (or 't' or a
 * space), hh:mm:ss, an optional fraction (milliseconds kept), then 'Z' or an
 * offset ±hh:mm. False when s is anything else (nothing before or after). */
bool ts_parse_rfc3339(const char *s, size_t n, int64_t *ms);

/* Parses a --since / --until argument: an RFC 3339 date-time, a date
 * YYYY-MM-DD (its midnight, UTC), or a duration back from now_ms: a positive
 * integer followed by s, m, h, d or w ("90m", "24h", "7d"). -1 when
 * arg is none of these. */
int ts_parse_bound(const char *arg, int64_t now_ms, int64_t *ms);

/* Writes "YYYY-MM-DDThh:mm:ss.mmmZ" (25 bytes with the NUL) into out. */
void ts_format(int64_t ms, char out[32]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The current time in milliseconds (wall clock: for --since 24h only). */
int64_t ts_now_ms(void);

#endif
