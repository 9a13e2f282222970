/* timefmt.c - RFC 3339 parsing and formatting for the log tools, and the
 * relative forms of --since / --until. Calendar arithmetic after Howard
 * Hinnant's days_from_civil. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ops/timefmt.h"

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *v)
{
	unsigned x = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] - '0';
		if (c > 9)
			return false;
		x = x * 10 + c;
	}
	*v = x;
	return true;
}

static bool date_part(const char *s, unsigned *y, unsigned *mo, unsigned *d)
{
	if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, mo) || s[7] != '-' ||
	    !digits(s + 8, 2, d))
		return false;
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (*mo < 1 || *mo > 12 || *d < 1 || *d > mdays[*mo - 1])
		return false;
	bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return !(*mo == 2 && *d == 29 && !leap);
}

/* Lines of one log share their date: the last one parsed, per thread. */
static _Thread_local char last_date[10];
static _Thread_local int64_t last_days = INT64_MIN;

bool ts_parse_rfc3339(const char *s, size_t n, int64_t *ms)
{
	unsigned y, mo, d, h, mi, sec, frac = 0;
	int64_t days;
	if (n < 20)
		return false;
	if (last_days != INT64_MIN && memcmp(s, last_date, 10) == 0) {
		days = last_days; /* validated when it was parsed */
	} else {
		if (!date_part(s, &y, &mo, &d))
			return false;
		days = ts_days_from_civil(y, mo, d);
		memcpy(last_date, s, 10);
		last_days = days;
	}
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return false;
	if (!digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 60)
		return false;
	size_t i = 19;
	if (s[i] == '.') {
		size_t start = ++i;
		while (i < n && (unsigned)((unsigned char)s[i] - '0') <= 9) {
			if (i - start < 3)
				frac = frac * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start)
			return false;
		for (size_t k = i - start; k < 3; k++)
			frac *= 10;
	}
	int64_t offset_min = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-')) {
		unsigned oh, om;
		if (!digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
		offset_min = (int64_t)(oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	int64_t secs = days * 86400 + (int64_t)h * 3600 + mi * 60 + (sec > 59 ? 59 : sec) -
		       offset_min * 60;
	*ms = secs * 1000 + frac;
	return true;
}

int ts_parse_bound(const char *arg, int64_t now_ms, int64_t *ms)
{
	size_t n = strlen(arg);
	unsigned y, mo, d;
	if (n == 10 && date_part(arg, &y, &mo, &d)) {
		*ms = ts_days_from_civil(y, mo, d) * 86400000;
		return 0;
	}
	if (ts_parse_rfc3339(arg, n, ms))
		return 0;
	if (n >= 2 && n <= 12) {
		unsigned v;
		int64_t unit;
		switch (arg[n - 1]) {
		case 's': unit = 1000; break;
		case 'm': unit = 60 * 1000; break;
		case 'h': unit = 3600 * 1000; break;
		case 'd': unit = 86400 * 1000; break;
		case 'w': unit = 7 * 86400 * 1000; break;
		default: return -1;
		}
		if (n - 1 > 9 || !digits(arg, n - 1, &v) || v == 0)
			return -1;
		*ms = now_ms - (int64_t)v * unit;
		return 0;
	}
	return -1;
}

void ts_format(int64_t ms, char out[32])
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	unsigned m, d;
	ts_civil_from_days(days, &y, &m, &d);
	unsigned s = (unsigned)(rem / 1000);
	/* Years past 9999 do not fit RFC 3339: they are clamped, so the text
	 * always fits out (and the compiler can see it does). */
	int year = y < 0 ? 0 : y > 9999 ? 9999 : (int)y;
	snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", year, m % 100, d % 100,
		 s / 3600 % 100, s / 60 % 60, s % 60, (unsigned)(rem % 1000));
}

int64_t ts_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
