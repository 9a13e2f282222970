/* logline.h - reads one line of a photopub log: a strict, allocation-free
 * JSON scanner that validates the whole line and records the spans of the
 * top-level members, and the rules that tell photopub's own lines from
 * everything else.
 *
 * Classification of a line (after leading and trailing whitespace):
 *   LL_BLANK      nothing but whitespace;
 *   LL_OURS       a valid JSON object whose first four members are, in this
 *                 order, "timestamp" (an RFC 3339 string), "level" (debug,
 *                 info, warning or error), "logger" and "message" (strings):
 *                 the shape log.h writes;
 *   LL_FOREIGN    any other valid JSON value (another program's object, an
 *                 array, a number…);
 *   LL_TRUNCATED  a line that starts with '{' and ends before its object is
 *                 complete while every byte up to there is valid JSON: a line
 *                 cut short (by a crash, a full disk, a copy). A cut inside a
 *                 string, an escape or a UTF-8 sequence counts;
 *   LL_NOT_JSON   everything else, including a complete object followed by
 *                 more bytes.
 * Validation follows RFC 8259: string escapes, no raw control characters,
 * valid UTF-8 in strings, the number grammar, nesting up to 128 levels.
 * Duplicate keys are allowed (the first is found by ll_find). */
#ifndef PHOTOPUB_OPS_LOGLINE_H
#define PHOTOPUB_OPS_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ll_kind { LL_BLANK, LL_OURS, LL_FOREIGN, LL_TRUNCATED, LL_NOT_JSON };
enum ll_type { LV_STRING, LV_NUMBER, LV_TRUE, LV_FALSE, LV_NULL, LV_OBJECT, LV_ARRAY };

/* A span of the line. Strings: the bytes between the quotes, still escaped
 * when `escaped`; other values: their whole text. */
struct ll_value {
	const char *p;
	uint32_t n;
	uint8_t type;     /* enum ll_type */
	bool escaped;     /* a string holding a backslash escape */
};

struct ll_member {
	struct ll_value key;
	struct ll_value val;
};

#define LL_MAX_MEMBERS 64

struct logline {
	unsigned n;                          /* members recorded (the first LL_MAX_MEMBERS) */
	struct ll_member m[LL_MAX_MEMBERS];  /* in line order; spans point into the line */
	int64_t ts_ms;                       /* LL_OURS: the timestamp, ms since the epoch */
	int level;                           /* LL_OURS: enum log_level */
};

/* Classifies the n bytes at s and, for an object, fills *out. The byte s[n]
 * must be readable and be '\n' or '\0' (it stops the string scanner: the line
 * reader guarantees it). Spans in *out point into s. */
enum ll_kind logline_parse(const char *s, size_t n, struct logline *out);

/* The first member called key (compared with the unescaped key), or NULL. */
const struct ll_member *ll_find(const struct logline *l, const char *key);

/* True when v is the string lit (unescaped). */
bool ll_str_eq(const struct ll_value *v, const char *lit);
/* True when the key is exactly the plain bytes k (keys of our lines need no escapes). */
static inline bool ll_key_is(const struct ll_member *m, const char *k, size_t klen)
{
	return !m->key.escaped && m->key.n == klen && __builtin_memcmp(m->key.p, k, klen) == 0;
}

/* A number value as a double / as an integer (rounded to nearest). False
 * when v is not a number (null, a string…) or out of range. */
bool ll_double(const struct ll_value *v, double *out);
bool ll_int(const struct ll_value *v, int64_t *out);

/* Unescapes the string v into out (cap bytes, NUL-terminated, cut at a UTF-8
 * character boundary when too long). Returns the length written. Non-string
 * values are copied as their JSON text. */
size_t ll_copy(const struct ll_value *v, char *out, size_t cap);
/* The string member key of l copied into out as ll_copy does; "" when l
 * has no such member or it is not a string. Returns the length. */
size_t ll_find_str(const struct logline *l, const char *key, char *out, size_t cap);
/* The same into a new string; caller frees. */
char *ll_strdup(const struct ll_value *v);

#endif
