/* testutil.c - helpers shared by the unit tests. */
#include <fcntl.h>
#include <libpq-fe.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "state/state.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

char *tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *p = xasprintf("%s/pp-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

char *tu_scratch_dir(void)
{
	char *dir = tu_mkdtemp();
	char *cache = xasprintf("%s/cache", dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);
	return dir;
}

void tu_rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = fs_join(dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

char *tu_read(const char *path, size_t *len)
{
	char *data = NULL;
	if (fs_read_file(path, &data, len, (size_t)1 << 30, NULL) < 0)
		return NULL;
	return data;
}

char *tu_data(const char *rel)
{
	const char *d = getenv("PHOTOPUB_TEST_DATA");
	return fs_join(d ? d : "tests/data", rel);
}

static char *capture_path;

void tu_log_start(void)
{
	const char *tmp = getenv("TMPDIR");
	capture_path = xasprintf("%s/pp-log-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_set_file(capture_path, NULL), 0);
	log_set_stderr(false);
}

char *tu_log_stop(void)
{
	log_set_file(NULL, NULL);
	log_set_stderr(true);
	char *s = tu_read(capture_path, NULL);
	unlink(capture_path);
	free(capture_path);
	capture_path = NULL;
	return s ? s : xstrdup("");
}

bool tu_state_pg(void)
{
	const char *url = getenv("PHOTOPUB_TEST_STATE_URL");
	return url && *url;
}

char *tu_state_target(const char *path)
{
	if (!tu_state_pg())
		return xstrdup(path);
	const char *url = getenv("PHOTOPUB_TEST_STATE_URL");
	uint64_t h = 1469598103934665603ull; /* FNV-1a of the path */
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	char schema[32];
	snprintf(schema, sizeof(schema), "t_%016llx", (unsigned long long)h);
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to the test PostgreSQL server: %s", PQerrorMessage(c));
	char *sql = xasprintf("SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS %s",
			      schema);
	PGresult *r = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("cannot create schema %s: %s", schema, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return xasprintf("%s%coptions=-csearch_path%%3D%s", url, strchr(url, '?') ? '&' : '?', schema);
}

struct state *tu_state_open(const char *path, bool read_only)
{
	struct state *st = NULL;
	struct pp_error err = { 0 };
	char *target = tu_state_target(path);
	if (state_open(target, read_only, &st, &err) != 0)
		fail_msg("state_open(%s): %s", path, err.msg);
	free(target);
	assert_non_null(st);
	return st;
}

int tu_state_setup(void **state)
{
	struct tu_state *f = xcalloc(1, sizeof(*f));
	f->dir = tu_scratch_dir();
	char *db = xasprintf("%s/state.db", f->dir);
	f->st = tu_state_open(db, false);
	free(db);
	*state = f;
	return 0;
}

int tu_state_teardown(void **state)
{
	struct tu_state *f = *state;
	state_close(f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}
