/* error.c - filling struct pp_error. */
#include <stdio.h>
#include <string.h>
#include "util/error.h"

int pp_vfail(struct pp_error *err, const char *where, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->where = where;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int pp_fail(struct pp_error *err, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pp_vfail(err, where, fmt, ap);
	va_end(ap);
	return -1;
}

int pp_fail_kind(struct pp_error *err, const char *where, const char *kind,
		 const char *fmt, ...)
{
	va_list ap;
	if (err)
		snprintf(err->kind, sizeof(err->kind), "%s", kind);
	va_start(ap, fmt);
	pp_vfail(err, where, fmt, ap);
	va_end(ap);
	return -1;
}

void pp_error_clear(struct pp_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}
