/* testutil.h - helpers shared by the unit tests: temp folders, file writes,
 * capturing log lines, opening a state database. */
#ifndef PHOTOPUB_TESTUTIL_H
#define PHOTOPUB_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

struct state;

/* A fresh empty folder under $TMPDIR; caller frees (and may tu_rmrf it). */
char *tu_mkdtemp(void);
/* tu_mkdtemp, with $XDG_CACHE_HOME set to its cache/ sub-folder so that a
 * test never reads or writes the real ~/.cache; caller frees. */
char *tu_scratch_dir(void);
/* Removes a folder tree. */
void tu_rmrf(const char *path);

/* state_open(tu_state_target(path), read_only), failing the test with the
 * error when it fails. */
struct state *tu_state_open(const char *path, bool read_only);
/* True when the state tests run against PostgreSQL: PHOTOPUB_TEST_STATE_URL
 * (tests/pg/with-pg sets it) names a server. A test of the SQLite file
 * itself skips then. */
bool tu_state_pg(void);
/* What state_open opens for the state file path: path itself, or, under
 * PHOTOPUB_TEST_STATE_URL, the URL of a PostgreSQL schema of its own (the
 * same for the same path, created when missing). Caller frees. */
char *tu_state_target(const char *path);

/* A scratch folder and a writable state in it (dir/state.db): the fixture
 * of tests that need only those. tu_state_setup and tu_state_teardown are
 * cmocka setup and teardown functions of a struct tu_state. */
struct tu_state {
	char *dir;
	struct state *st;
};
int tu_state_setup(void **state);
int tu_state_teardown(void **state);
/* Writes len bytes to dir/name (creating it); returns the full path (caller frees). */
char *tu_write(const char *dir, const char *name, const void *data, size_t len);
/* Reads a whole file; NULL when missing. Caller frees. */
char *tu_read(const char *path, size_t *len);
/* Path of a file under tests/data; caller frees. */
char *tu_data(const char *rel);

/* Starts capturing log lines into a temp file (stderr off); tu_log_stop
 * returns everything captured (caller frees) and restores stderr. */
void tu_log_start(void);
char *tu_log_stop(void);

#endif
