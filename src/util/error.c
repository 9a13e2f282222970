/* error.c - filling struct pp_error, and the table of error kinds. */
#include <stdio.h>
#include <string.h>
#include "util/error.h"

static const struct {
	const char *name;
	int http, exit;
} kinds[PP_ERR_COUNT] = {
#define X(id, n, h, e) [PP_ERR_##id] = { .name = n, .http = h, .exit = e },
	PP_ERROR_KINDS(X)
#undef X
};

int pp_vfail(struct pp_error *err, const char *where, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->where = where;
	if (err->kind == PP_ERR_NONE)
		err->kind = PP_ERR_INTERNAL;
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

int pp_fail_kind(struct pp_error *err, const char *where, enum pp_error_kind kind,
		 const char *fmt, ...)
{
	va_list ap;
	if (err)
		err->kind = kind;
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

static unsigned row(enum pp_error_kind kind)
{
	return (unsigned)kind < PP_ERR_COUNT ? (unsigned)kind : PP_ERR_INTERNAL;
}

const char *pp_error_name(enum pp_error_kind kind)
{
	return kinds[row(kind)].name;
}

int pp_error_http_status(enum pp_error_kind kind)
{
	return kinds[row(kind)].http;
}

int pp_error_exit_code(enum pp_error_kind kind)
{
	return kinds[row(kind)].exit;
}
