/* fuzz.h - what the libFuzzer targets of tests/fuzz share: the entry point's
 * declaration, a NUL-terminated copy of the input, its fields one per line,
 * and logging that renders every line but writes none. */
#ifndef PHOTOPUB_FUZZ_H
#define PHOTOPUB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "telemetry/log.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a string (cut at its first NUL by whoever reads it so). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}

/* The next line of *p (up to '\n' or the end) as a new string; *p moves
 * past it. NULL once *p is at the end. */
static inline char *fuzz_line(const char **p, const char *end)
{
	if (*p >= end)
		return NULL;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl ? nl : end;
	char *s = xstrndup(*p, (size_t)(e - *p));
	*p = nl ? nl + 1 : end;
	return s;
}

/* Every log line is built, escaped and sanitized as usual, and dropped. */
static inline void fuzz_quiet_logs(void)
{
	log_set_stderr(false);
	log_set_level(LOG_DEBUG);
}

#endif
