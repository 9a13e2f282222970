/* bench_state.c - the state's hot operations on either backend: N hash-cache
 * puts in one group (a listing of new files), N lookups, N posted marks
 * (one transaction each), N claims and releases. Prints ms per operation.
 * Usage: bench_state [N] [postgresql://URL]  (default 2000; no URL: a SQLite
 * file in a temp folder; a URL: its database, whose tables it leaves). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "state/state.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"

static double per_op(int64_t t0, int n)
{
	return (double)(now_monotonic() - t0) / 1e6 / n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	const char *url = argc > 2 ? argv[2] : NULL;
	char root[] = "/tmp/photopub-bench-state-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	char *db = xasprintf("%s/state.db", root);
	struct state *st = NULL;
	struct pp_error err = { 0 };
	log_set_stderr(false);
	setenv("XDG_CACHE_HOME", root, 1); /* no posted.json import */
	if (state_open(url ? url : db, false, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	unsigned tag = (unsigned)getpid(); /* a fresh set of keys per run */

	int64_t t0 = now_monotonic();
	state_begin(st, &err);
	for (int i = 0; i < n; i++) {
		char key[96];
		struct hash_entry e;
		snprintf(key, sizeof(key), "/bench/%08x/img-%06d.jpg", tag, i);
		snprintf(e.sha256, sizeof(e.sha256), "%056d%08x", i, tag);
		snprintf(e.content_hash, sizeof(e.content_hash), "%056d%08x", i + n, tag);
		state_cache_put(st, key, i, i, &e, &err);
	}
	state_commit(st, &err);
	double put = per_op(t0, n);

	state_close(st);
	state_open(url ? url : db, false, &st, &err);
	t0 = now_monotonic();
	int hits = 0;
	for (int i = 0; i < n; i++) {
		char key[96];
		struct hash_entry e;
		snprintf(key, sizeof(key), "/bench/%08x/img-%06d.jpg", tag, i);
		hits += state_cache_get(st, key, i, i, &e);
	}
	double get = per_op(t0, n);

	t0 = now_monotonic();
	for (int i = 0; i < n; i++) {
		char sha[65];
		snprintf(sha, sizeof(sha), "%056d%08x", i, tag);
		state_mark_posted(st, sha, NULL, &err);
	}
	double mark = per_op(t0, n);

	t0 = now_monotonic();
	for (int i = 0; i < n; i++) {
		char sha[65];
		snprintf(sha, sizeof(sha), "%056x%08x", i + 1, tag);
		state_claim(st, sha, NULL, "bench", true, 60, &err);
		state_claim_release(st, sha, "bench", &err);
	}
	double claim = per_op(t0, n);

	printf("backend %s, n %d: cache put (grouped) %.3f ms, cache get (query) %.3f ms "
	       "(%d hits), mark posted %.3f ms, claim + release %.3f ms\n",
	       url ? "postgres" : "sqlite", n, put, get, hits, mark, claim);
	state_close(st);
	char *cmd = xasprintf("rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	free(cmd);
	free(db);
	return 0;
}
