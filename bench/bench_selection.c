/* bench_selection.c - listing and selection over a local folder of 10,000
 * images whose hashes are already cached: the list (readdir + stat + hash
 * cache), then the posting queue built from it and the choice of its first
 * unposted image (one copy + hash), all but 1 % already posted. Prints ms
 * per listing and per selection.
 * Usage: bench_selection [N]  (default 10000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "core/queue.h"
#include "core/selection.h"
#include "state/state.h"
#include "storage/local_stats.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/fsutil.h"

static void rmrf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char root[] = "/tmp/photopub-bench-sel-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	char *images = fs_join(root, "images");
	char *db = fs_join(root, "state.db");
	mkdir(images, 0755);
	log_set_stderr(false);

	/* 10,000 distinct small files (selection never decodes them). */
	for (int i = 0; i < n; i++) {
		char name[64], body[2048];
		snprintf(name, sizeof(name), "img-%05d.jpg", i);
		memset(body, 'a' + i % 26, sizeof(body));
		snprintf(body, 32, "%d", i);
		char *p = fs_join(images, name);
		fs_write_atomic(p, body, sizeof(body), 0644, NULL);
		free(p);
	}

	struct config cfg = { .storage_path = images, .archive = "archive", .state_path = db };
	struct state *st;
	struct storage *s;
	struct pp_error err = { 0 };
	struct pp_ctx ctx = { .correlation_id = "bench" };
	if (state_open(db, false, &st, &err) < 0 || local_storage.open(&cfg, st, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}

	/* First listing fills the hash cache; mark 99 % as posted. */
	struct storage_list list;
	int64_t t0 = now_monotonic();
	s->ops->list(s, &ctx, &list, &err);
	double first_ms = (double)(now_monotonic() - t0) / 1e6;
	state_begin(st, &err);
	for (size_t i = 0; i < list.n; i++)
		if (i % 100 != 0)
			state_mark_posted(st, list.items[i].sha256, list.items[i].content_hash, &err);
	state_commit(st, &err);
	storage_list_release(&list);
	state_close(st);

	/* Fresh process state, as a new run would have. */
	const int rounds = 20;
	double list_ms = 0, select_ms = 0;
	unsigned downloads = 0;
	uint64_t hashed_before = local_storage_files_hashed();
	for (int r = 0; r < rounds; r++) {
		struct storage *s2;
		state_open(db, true, &st, &err);
		local_storage.open(&cfg, st, &s2, &err);
		t0 = now_monotonic();
		s2->ops->list(s2, &ctx, &list, &err);
		int64_t t1 = now_monotonic();
		struct selection sel;
		struct queue q;
		if (queue_build(st, &cfg, &list, &q, &err) < 0 ||
		    selection_choose(s2, st, &ctx, &list, NULL, &q, &sel, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		queue_release(&q);
		int64_t t2 = now_monotonic();
		list_ms += (double)(t1 - t0) / 1e6;
		select_ms += (double)(t2 - t1) / 1e6;
		downloads += sel.downloads;
		selection_release(&sel);
		storage_list_release(&list);
		storage_close(s2);
		state_close(st);
	}
	uint64_t rehashed = local_storage_files_hashed() - hashed_before;
	storage_close(s);

	printf("selection over %d local images, hashes cached, 99%% posted (%d rounds)\n", n, rounds);
	printf("  first listing (hashes every file): %8.1f ms\n", first_ms);
	printf("  cached listing:                   %8.1f ms\n", list_ms / rounds);
	printf("  choice of one unposted image:     %8.1f ms (%.1f downloads)\n",
	       select_ms / rounds, (double)downloads / rounds);
	printf("  listing + choice:                 %8.1f ms  (goal < 50 ms)\n",
	       (list_ms + select_ms) / rounds);
	printf("  files re-hashed by cached listings: %llu\n", (unsigned long long)rehashed);
	printf("RESULT selection_ms %.1f\n", (list_ms + select_ms) / rounds);
	rmrf(root);
	free(images);
	free(db);
	return 0;
}
