/* embedded.h - files compiled into the binary (the web UI), generated at build time. */
#ifndef PHOTOPUB_UTIL_EMBEDDED_H
#define PHOTOPUB_UTIL_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *name;          /* file name relative to src/web/ui */
	const unsigned char *data; /* NUL-terminated for convenience; size excludes it */
	size_t size;
};

/* Table ending with a NULL name. */
extern const struct embedded_file embedded_files[];

/* The file called name, or NULL. */
const struct embedded_file *embedded_find(const char *name);

#endif
