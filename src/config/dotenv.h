/* dotenv.h - reads a .env file (KEY=VALUE lines) into the environment,
 * never overriding a variable the process already has. */
#ifndef PHOTOPUB_CONFIG_DOTENV_H
#define PHOTOPUB_CONFIG_DOTENV_H

#include "util/error.h"

/* Applies path. Accepts `export KEY=VALUE`, spaces around '=', single quotes
 * (literal), double quotes (\n \t \" \\ escapes), and `# comments` after
 * unquoted values. A malformed line gives a warning line naming the file and
 * the line number (never its content: it may hold a secret). Returns the
 * number of variables read, or -1 when the file cannot be read. */
int dotenv_load(const char *path, struct pp_error *err);

struct config_error;

/* dotenv_load, each malformed line also a warning in e (config_warn). */
int dotenv_load_report(const char *path, struct pp_error *err, struct config_error *e);

/* Called with each variable a .env text sets, in order. */
typedef void dotenv_fn(const char *key, const char *value, void *arg);

/* The parser of dotenv_load: reads text (a .env file's content, up to its
 * first NUL) and calls each for every variable; name is the file's name for
 * the warnings. Returns the number of variables read. */
int dotenv_parse(const char *text, const char *name, dotenv_fn *each, void *arg);

#endif
