/* correlation.c - UUID4 from the OS random source and the web request rules
 * for taking a caller's id (X-Request-ID, W3C traceparent). */
#include <stdio.h>
#include <string.h>
#include "telemetry/correlation.h"
#include "util/hex.h"
#include "util/random.h"

/* 16 random bytes from a per-thread pool filled by getrandom(2) 256 bytes
 * at a time: the bytes are the OS's, one syscall serves 16 ids (a busy web
 * server makes one per request). */
static void uuid_bytes(unsigned char b[16])
{
	static _Thread_local unsigned char pool[256];
	static _Thread_local size_t left;
	if (left < 16) {
		if (random_bytes(pool, sizeof(pool)) < 0)
			memset(pool, 0, sizeof(pool)); /* getrandom cannot fail on a sane kernel */
		left = sizeof(pool);
	}
	left -= 16;
	memcpy(b, pool + left, 16);
	memset(pool + left, 0, 16); /* used bytes do not linger */
}

void uuid4(char out[UUID_STR_LEN])
{
	static const int group[] = { 4, 2, 2, 2, 6 }; /* bytes between the dashes */
	unsigned char b[16];
	uuid_bytes(b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	char *p = out;
	const unsigned char *q = b;
	for (int g = 0; g < 5; g++) {
		if (g)
			*p++ = '-';
		hex_encode(q, (size_t)group[g], p); /* its NUL ends out after the last */
		p += 2 * group[g];
		q += group[g];
	}
}

bool request_id_valid(const char *v, size_t n)
{
	if (!v || n == 0 || n > CORRELATION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool lower_hex(const char *s, size_t n, bool *all_zero)
{
	*all_zero = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		if (c != '0')
			*all_zero = false;
	}
	return true;
}

bool traceparent_trace_id(const char *v, char out[33])
{
	/* 00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags> */
	bool zero;
	if (!v || strlen(v) < 55)
		return false;
	if (!lower_hex(v, 2, &zero) || strncmp(v, "ff", 2) == 0 || v[2] != '-')
		return false;
	/* Version 00 has exactly this length; later versions may append fields. */
	if (strncmp(v, "00", 2) == 0 && strlen(v) != 55)
		return false;
	if (strlen(v) > 55 && v[55] != '-')
		return false;
	if (!lower_hex(v + 3, 32, &zero) || zero || v[35] != '-')
		return false;
	memcpy(out, v + 3, 32);
	out[32] = '\0';
	if (!lower_hex(v + 36, 16, &zero) || zero || v[52] != '-')
		return false;
	if (!lower_hex(v + 53, 2, &zero))
		return false;
	return true;
}

void correlation_from_headers(const char *request_id, const char *traceparent,
			      char out[CORRELATION_ID_MAX + 1])
{
	char trace[33];
	if (request_id && request_id_valid(request_id, strlen(request_id))) {
		snprintf(out, CORRELATION_ID_MAX + 1, "%s", request_id);
		return;
	}
	if (traceparent && traceparent_trace_id(traceparent, trace)) {
		memcpy(out, trace, 33);
		return;
	}
	uuid4(out);
}
