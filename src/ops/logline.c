/* logline.c - the JSON line scanner of logline.h: one pass over the bytes,
 * validating as it goes and recording the top-level members' spans; no
 * allocation, no copy. Strings are skipped with a byte-class table (and 16
 * bytes at a time with SSE2 where available), which keeps the scan near
 * memory speed on log lines that are mostly string bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/logline.h"
#include "ops/timefmt.h"
#include "util/buf.h"
#include "util/utf8.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_DEPTH 128

enum { OK = 0, END, BAD }; /* scan results: fine, ran out of bytes, invalid */

/* String byte classes: 0 plain, 1 '"', 2 '\\', 3 control, 4 non-ASCII. */
static const unsigned char str_cls[256] = {
	[0 ... 0x1f] = 3, ['"'] = 1, ['\\'] = 2, [0x80 ... 0xff] = 4,
};

struct scan {
	const unsigned char *p, *end;
	int err;
};

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Our lines hold no whitespace between tokens: test once, loop rarely. */
static inline void skip_ws(struct scan *s)
{
	if (__builtin_expect(s->p < s->end && is_ws(*s->p), 0))
		while (s->p < s->end && is_ws(*s->p))
			s->p++;
}

static inline bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* s->p is just after the opening quote; on success it is just after the
 * closing one and v spans the contents. */
static void scan_string(struct scan *s, struct ll_value *v)
{
	const unsigned char *p = s->p, *start = p;
	bool escaped = false;
	for (;;) {
#if defined(__SSE2__)
		/* Whole 16-byte blocks of plain bytes, while they lie inside the line. */
		while (p + 16 <= s->end) {
			__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i quote = _mm_cmpeq_epi8(b, _mm_set1_epi8('"'));
			__m128i bslash = _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'));
			/* Signed compare: bytes < 0x20 and >= 0x80 are both "less than 0x20". */
			__m128i ctl = _mm_cmplt_epi8(b, _mm_set1_epi8(0x20));
			unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, bslash), ctl));
			if (mask) {
				unsigned first = mask & -mask;
				p += __builtin_ctz(mask);
				if (__builtin_expect(first & (unsigned)_mm_movemask_epi8(quote), 1))
					goto close;
				goto special;
			}
			p += 16;
		}
#endif
		while (!str_cls[*p])
			p++;
#if defined(__SSE2__)
special:
#endif
		if (p >= s->end) {
			s->err = END;
			return;
		}
		switch (str_cls[*p]) {
		case 1:
#if defined(__SSE2__)
close:
#endif
			v->p = (const char *)start;
			v->n = (uint32_t)(p - start);
			v->type = LV_STRING;
			v->escaped = escaped;
			s->p = p + 1;
			return;
		case 2:
			escaped = true;
			if (++p >= s->end) {
				s->err = END;
				return;
			}
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p++;
				break;
			case 'u':
				p++;
				for (int i = 0; i < 4; i++, p++) {
					if (p >= s->end) {
						s->err = END;
						return;
					}
					if (!is_hex(*p)) {
						s->err = BAD;
						return;
					}
				}
				break;
			default:
				s->err = BAD;
				return;
			}
			break;
		case 3:
			s->err = BAD;
			return;
		default: {
			uint32_t cp;
			size_t n = (size_t)(s->end - p);
			size_t l = utf8_decode((const char *)p, n, &cp);
			if (cp == UTF8_BAD) {
				s->err = l == n && utf8_truncated((const char *)p, l) ? END : BAD;
				return;
			}
			p += l;
		}
		}
	}
}

static inline bool is_digit(unsigned char c)
{
	return (unsigned)(c - '0') <= 9;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static void scan_number(struct scan *s, struct ll_value *v)
{
	const unsigned char *p = s->p, *end = s->end, *start = p;
#define NEED() do { if (p >= end) { s->err = END; return; } } while (0)
	if (*p == '-')
		p++;
	NEED();
	if (*p == '0') {
		p++;
	} else if (is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else {
		s->err = BAD;
		return;
	}
	if (p < end && *p == '.') {
		p++;
		NEED();
		if (!is_digit(*p)) {
			s->err = BAD;
			return;
		}
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		NEED();
		if (*p == '+' || *p == '-')
			p++;
		NEED();
		if (!is_digit(*p)) {
			s->err = BAD;
			return;
		}
		while (p < end && is_digit(*p))
			p++;
	}
#undef NEED
	v->p = (const char *)start;
	v->n = (uint32_t)(p - start);
	v->type = LV_NUMBER;
	v->escaped = false;
	s->p = p;
}

static void scan_literal(struct scan *s, struct ll_value *v, const char *lit, size_t len,
			 enum ll_type type)
{
	for (size_t i = 0; i < len; i++) {
		if (s->p + i >= s->end) {
			s->err = END;
			return;
		}
		if (s->p[i] != (unsigned char)lit[i]) {
			s->err = BAD;
			return;
		}
	}
	v->p = (const char *)s->p;
	v->n = (uint32_t)len;
	v->type = (uint8_t)type;
	v->escaped = false;
	s->p += len;
}

static void scan_value(struct scan *s, struct ll_value *v, int depth);

/* s->p is just after '{' or '['; members recorded into l when given. */
static void scan_container(struct scan *s, bool object, int depth, struct logline *l)
{
	unsigned char close = object ? '}' : ']';
	if (depth > MAX_DEPTH) {
		s->err = BAD;
		return;
	}
	skip_ws(s);
	if (s->p >= s->end) {
		s->err = END;
		return;
	}
	if (*s->p == close) {
		s->p++;
		return;
	}
	for (;;) {
		/* Scanned straight into its slot: no copy of the spans afterwards. */
		struct ll_member scratch;
		struct ll_member *mp = l && l->n < LL_MAX_MEMBERS ? &l->m[l->n] : &scratch;
		if (object) {
			if (s->p >= s->end) {
				s->err = END;
				return;
			}
			if (*s->p != '"') {
				s->err = BAD;
				return;
			}
			s->p++;
			scan_string(s, &mp->key);
			if (s->err)
				return;
			skip_ws(s);
			if (s->p >= s->end) {
				s->err = END;
				return;
			}
			if (*s->p != ':') {
				s->err = BAD;
				return;
			}
			s->p++;
			skip_ws(s);
		}
		scan_value(s, &mp->val, depth + 1);
		if (s->err)
			return;
		if (mp != &scratch)
			l->n++;
		skip_ws(s);
		if (s->p >= s->end) {
			s->err = END;
			return;
		}
		if (*s->p == close) {
			s->p++;
			return;
		}
		if (*s->p != ',') {
			s->err = BAD;
			return;
		}
		s->p++;
		skip_ws(s);
	}
}

static void scan_value(struct scan *s, struct ll_value *v, int depth)
{
	if (s->p >= s->end) {
		s->err = END;
		return;
	}
	const unsigned char *start = s->p;
	switch (*s->p) {
	case '"':
		s->p++;
		scan_string(s, v);
		return;
	case '{':
	case '[':
		s->p++;
		scan_container(s, *start == '{', depth, NULL);
		v->p = (const char *)start;
		v->n = (uint32_t)(s->p - start);
		v->type = *start == '{' ? LV_OBJECT : LV_ARRAY;
		v->escaped = false;
		return;
	case 't':
		scan_literal(s, v, "true", 4, LV_TRUE);
		return;
	case 'f':
		scan_literal(s, v, "false", 5, LV_FALSE);
		return;
	case 'n':
		scan_literal(s, v, "null", 4, LV_NULL);
		return;
	default:
		if (*s->p == '-' || is_digit(*s->p)) {
			scan_number(s, v);
			return;
		}
		s->err = BAD;
	}
}

static const char *const level_names[] = { "debug", "info", "warning", "error" };

static bool ours(struct logline *l)
{
	static const struct { const char *k; size_t n; } head[4] = {
		{ "timestamp", 9 }, { "level", 5 }, { "logger", 6 }, { "message", 7 },
	};
	if (l->n < 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (!ll_key_is(&l->m[i], head[i].k, head[i].n) || l->m[i].val.type != LV_STRING)
			return false;
	const struct ll_value *ts = &l->m[0].val, *lv = &l->m[1].val;
	if (ts->escaped || !ts_parse_rfc3339(ts->p, ts->n, &l->ts_ms))
		return false;
	for (int i = 0; i < 4; i++)
		if (!lv->escaped && lv->n == strlen(level_names[i]) &&
		    memcmp(lv->p, level_names[i], lv->n) == 0) {
			l->level = i;
			return true;
		}
	return false;
}

enum ll_kind logline_parse(const char *str, size_t n, struct logline *out)
{
	struct scan s = { (const unsigned char *)str, (const unsigned char *)str + n, OK };
	out->n = 0;
	out->ts_ms = 0;
	out->level = 0;
	skip_ws(&s);
	if (s.p >= s.end)
		return LL_BLANK;
	bool object = *s.p == '{';
	if (object) {
		s.p++;
		scan_container(&s, true, 1, out);
	} else {
		struct ll_value v;
		scan_value(&s, &v, 1);
	}
	if (s.err == END)
		return object ? LL_TRUNCATED : LL_NOT_JSON;
	if (s.err)
		return LL_NOT_JSON;
	skip_ws(&s);
	if (s.p < s.end)
		return LL_NOT_JSON;
	if (object && ours(out))
		return LL_OURS;
	return LL_FOREIGN;
}

/* ---- reading values ------------------------------------------------------ */

static unsigned hexval(unsigned char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static unsigned read_u4(const char *p)
{
	return hexval((unsigned char)p[0]) << 12 | hexval((unsigned char)p[1]) << 8 |
	       hexval((unsigned char)p[2]) << 4 | hexval((unsigned char)p[3]);
}

/* Appends the UTF-8 of cp to out at *len if it fits in cap-1. */
static bool put_cp(char *out, size_t cap, size_t *len, uint32_t cp)
{
	char b[4];
	size_t k = utf8_encode(cp, b);
	if (*len + k >= cap)
		return false;
	memcpy(out + *len, b, k);
	*len += k;
	return true;
}

size_t ll_copy(const struct ll_value *v, char *out, size_t cap)
{
	if (cap == 0)
		return 0;
	size_t len = 0;
	if (v->type != LV_STRING || !v->escaped) {
		size_t n = v->n < cap - 1 ? v->n : cap - 1;
		if (n < v->n && v->type == LV_STRING)
			n = utf8_cut_bytes(v->p, v->n, n); /* do not cut a character */
		memcpy(out, v->p, n);
		out[n] = '\0';
		return n;
	}
	const char *p = v->p, *end = v->p + v->n;
	while (p < end) {
		if (*p != '\\') {
			uint32_t cp;
			size_t k = utf8_decode(p, (size_t)(end - p), &cp);
			if (len + k >= cap)
				break;
			memcpy(out + len, p, k);
			len += k;
			p += k;
			continue;
		}
		char c = p[1];
		uint32_t cp;
		p += 2;
		switch (c) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			cp = read_u4(p);
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && p + 6 <= end && p[0] == '\\' && p[1] == 'u') {
				uint32_t lo = read_u4(p + 2);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* a lone surrogate */
			break;
		default: cp = (unsigned char)c; break; /* " \ / */
		}
		if (!put_cp(out, cap, &len, cp))
			break;
	}
	out[len] = '\0';
	return len;
}

char *ll_strdup(const struct ll_value *v)
{
	char *s = xmalloc((size_t)v->n + 1);
	ll_copy(v, s, (size_t)v->n + 1); /* unescaping never makes a string longer */
	return s;
}

bool ll_str_eq(const struct ll_value *v, const char *lit)
{
	if (v->type != LV_STRING)
		return false;
	size_t n = strlen(lit);
	if (!v->escaped)
		return v->n == n && memcmp(v->p, lit, n) == 0;
	char tmp[256];
	if (n >= sizeof(tmp) || v->n > 6 * n + 6)
		return false;
	size_t m = ll_copy(v, tmp, sizeof(tmp));
	return m == n && memcmp(tmp, lit, n) == 0;
}

const struct ll_member *ll_find(const struct logline *l, const char *key)
{
	size_t n = strlen(key);
	for (unsigned i = 0; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		if (m->key.escaped ? ll_str_eq(&m->key, key) : ll_key_is(m, key, n))
			return m;
	}
	return NULL;
}

bool ll_double(const struct ll_value *v, double *out)
{
	if (v->type != LV_NUMBER || v->n >= 64)
		return false;
	char tmp[64];
	memcpy(tmp, v->p, v->n);
	tmp[v->n] = '\0';
	double d = strtod(tmp, NULL);
	if (!isfinite(d))
		return false;
	*out = d;
	return true;
}

bool ll_int(const struct ll_value *v, int64_t *out)
{
	if (v->type != LV_NUMBER)
		return false;
	/* The common case: a plain non-negative integer of up to 18 digits. */
	if (v->n <= 18) {
		int64_t x = 0;
		uint32_t i = 0;
		for (; i < v->n; i++) {
			unsigned d = (unsigned char)v->p[i] - '0';
			if (d > 9)
				break;
			x = x * 10 + d;
		}
		if (i == v->n) {
			*out = x;
			return true;
		}
	}
	double d;
	if (!ll_double(v, &d) || d < -9.2e18 || d > 9.2e18)
		return false;
	*out = llround(d);
	return true;
}

size_t ll_find_str(const struct logline *l, const char *key, char *out, size_t cap)
{
	const struct ll_member *m = ll_find(l, key);
	if (m && m->val.type == LV_STRING)
		return ll_copy(&m->val, out, cap);
	if (cap)
		out[0] = '\0';
	return 0;
}
