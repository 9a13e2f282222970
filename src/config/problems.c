/* problems.c - the list of configuration problems in struct config_error:
 * adding errors and warnings, hints, and the one-line message of each.
 * Validators add every problem they find and go on; the first error also
 * fills the struct's own fields, for callers that print one message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config/config.h"
#include "config/problems.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"

void config_problem_message(const struct config_problem *p, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	if (*p->file)
		buf_addf(&b, "%s: ", p->file);
	if (*p->section)
		buf_addf(&b, "[%s] ", p->section);
	if (*p->key)
		buf_addf(&b, "%s: ", p->key);
	buf_adds(&b, p->problem);
	if (p->line > 0)
		buf_addf(&b, " (line %d)", p->line);
	snprintf(out, size, "%s", buf_str(&b));
	buf_release(&b);
}

static void set_first(struct config_error *e, const struct config_problem *p)
{
	snprintf(e->file, sizeof(e->file), "%s", p->file);
	snprintf(e->section, sizeof(e->section), "%s", p->section);
	snprintf(e->key, sizeof(e->key), "%s", p->key);
	if (p->line > 0)
		snprintf(e->problem, sizeof(e->problem), "%.480s (line %d)", p->problem, p->line);
	else
		snprintf(e->problem, sizeof(e->problem), "%s", p->problem);
	e->line = p->line;
	snprintf(e->hint, sizeof(e->hint), "%s", p->hint);
	config_problem_message(p, e->msg, sizeof(e->msg));
}

static const struct config_problem *first_error(const struct config_error *e)
{
	for (size_t i = 0; i < e->nproblems; i++)
		if (!e->problems[i].warning)
			return &e->problems[i];
	return NULL;
}

void config_refresh_first(struct config_error *e)
{
	const struct config_problem *p = first_error(e);
	if (p)
		set_first(e, p);
}

struct config_problem *config_last_problem(struct config_error *e)
{
	if (!e->nproblems || e->nproblems != e->nerrors + e->nwarnings)
		return NULL;
	return &e->problems[e->nproblems - 1];
}

__attribute__((format(printf, 7, 0)))
static void add(struct config_error *e, bool warning, const char *file, int line,
		const char *section, const char *key, const char *fmt, va_list ap)
{
	struct config_problem p = { .warning = warning, .line = line > 0 ? line : 0 };
	snprintf(p.file, sizeof(p.file), "%s", file ? file : "");
	snprintf(p.section, sizeof(p.section), "%s", section ? section : "");
	snprintf(p.key, sizeof(p.key), "%s", key ? key : "");
	vsnprintf(p.problem, sizeof(p.problem), fmt, ap);
	sanitize_inplace(p.problem, sizeof(p.problem));
	if (warning)
		e->nwarnings++;
	else
		e->nerrors++;
	if (e->nproblems < CONFIG_MAX_PROBLEMS)
		e->problems[e->nproblems++] = p;
	if (!warning && e->nerrors == 1)
		set_first(e, &p);
}

int config_fail(struct config_error *e, const char *file, const char *section,
		const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(e, false, file, 0, section, key, fmt, ap);
	va_end(ap);
	return -1;
}

void config_warn(struct config_error *e, const char *file, int line, const char *section,
		 const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(e, true, file, line, section, key, fmt, ap);
	va_end(ap);
}

void config_hint(struct config_error *e, const char *fmt, ...)
{
	struct config_problem *p = config_last_problem(e);
	if (!p)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->hint, sizeof(p->hint), fmt, ap);
	va_end(ap);
	sanitize_inplace(p->hint, sizeof(p->hint));
	if (first_error(e) == p)
		set_first(e, p);
}
