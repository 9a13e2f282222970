/* error.h - the error every fallible function fills for its caller to print.
 *
 * Functions return 0 on success and -1 on failure, after filling a
 * caller-owned struct pp_error. `where` names the component ("storage.local",
 * "config", …), msg is already sanitized of secrets by whoever logs it. */
#ifndef PHOTOPUB_UTIL_ERROR_H
#define PHOTOPUB_UTIL_ERROR_H

#include <stdarg.h>

struct pp_error {
	const char *where;  /* static string: component that failed */
	int http_status;    /* HTTP status of a remote failure, else 0 */
	int transient;      /* 1 when a retry could succeed (timeouts, 429, 5xx) */
	char kind[32];      /* short machine-readable kind: "not_found", "timeout", … */
	char msg[512];      /* human-readable message */
};

/* Fills err (when not NULL) and returns -1, so code reads
 * `return pp_fail(err, "storage.local", "cannot open %s", name);`. */
int pp_fail(struct pp_error *err, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pp_vfail(struct pp_error *err, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like pp_fail and also sets err->kind. */
int pp_fail_kind(struct pp_error *err, const char *where, const char *kind,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Resets err to "no error". */
void pp_error_clear(struct pp_error *err);

#endif
