/* db.c - picking the driver of db.h for a state target: a PostgreSQL URL
 * or, for anything else, a SQLite file path. */
#include <stdio.h>
#include <string.h>
#include "state/db.h"
#include "util/buf.h"

bool db_is_url(const char *target)
{
	return target && (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11));
}

const struct db_ops *db_driver_for(const char *target)
{
	return db_is_url(target) ? &db_pg_ops : &db_sqlite_ops;
}

/* postgresql://user:password@host…: the password is between the first ':'
 * after the scheme and the '@' that ends the user information. */
char *db_url_redact(const char *url, char **password)
{
	*password = NULL;
	const char *info = strstr(url, "://");
	if (!info)
		return xstrdup(url);
	info += 3;
	size_t hostpart = strcspn(info, "/?#");
	const char *at = memrchr(info, '@', hostpart);
	const char *colon = at ? memchr(info, ':', (size_t)(at - info)) : NULL;
	if (!colon)
		return xstrdup(url);
	*password = xstrndup(colon + 1, (size_t)(at - colon - 1));
	return xasprintf("%.*s%s", (int)(colon - url), url, at);
}
