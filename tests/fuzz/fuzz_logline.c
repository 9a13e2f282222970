/* fuzz_logline.c - log files as `photopub stats` and `trace` read them: the
 * input (plain or gzip) through logread, each line through logline_parse and
 * the ll_* readers, the statistics and their reports, and the trace of the
 * first correlation id with its waterfall and reports. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "ops/logline.h"
#include "ops/logread.h"
#include "ops/stats.h"
#include "ops/trace.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -1;
}

/* Every reader on every member of a parsed line. */
static void read_members(const struct logline *l)
{
	char small[16], big[256];
	for (unsigned i = 0; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		double d;
		int64_t v;
		if (ll_copy(&m->val, small, sizeof(small)) >= sizeof(small))
			abort();
		size_t kn = ll_copy(&m->key, big, sizeof(big));
		free(ll_strdup(&m->val));
		(void)ll_double(&m->val, &d);
		(void)ll_int(&m->val, &v);
		(void)ll_str_eq(&m->val, "http_request");
		/* a plain key read whole is found again */
		if (!m->key.escaped && kn == m->key.n && !ll_find(l, big))
			abort();
	}
}

/* The lines through logread: parsed, read, counted; *id is the first
 * correlation id seen (caller frees). */
static void read_lines(const char *path, struct stats *st, char **id)
{
	struct logread *r;
	struct logline_raw line;
	struct logline l;
	struct pp_error err = { 0 };
	if (logread_open(path, &r, &err) < 0)
		return;
	while (logread_next(r, &line, &err) > 0) {
		if (line.s[line.n] != '\n' && line.s[line.n] != '\0')
			abort(); /* the parser's sentinel */
		enum ll_kind kind = logline_parse(line.s, line.n, &l);
		if (kind == LL_OURS || kind == LL_FOREIGN)
			read_members(&l);
		if (kind == LL_OURS && !*id) {
			const struct ll_member *cid = ll_find(&l, "correlation_id");
			if (cid && cid->val.type == LV_STRING)
				*id = ll_strdup(&cid->val);
		}
		stats_add_line(st, line.s, line.n, line.too_long);
	}
	logread_close(r);
}

static void trace_of(const char *path, const char *id)
{
	struct trace t;
	struct pp_error err = { 0 };
	struct wf_bar *bars = NULL;
	trace_init(&t, id);
	if (trace_read(&t, path, &err) == 0 && t.n > 0) {
		trace_sort(&t);
		size_t nbars = trace_waterfall(&t, &bars);
		trace_print(&t, bars, nbars, 40, devnull);
		json_t *root = trace_to_json(&t, bars, nbars);
		free(json_dumps(root, JSON_COMPACT));
		json_decref(root);
	}
	free(bars);
	trace_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-log", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	struct stats st;
	char *id = NULL;
	stats_init(&st);
	read_lines(path, &st, &id);
	stats_print(&st, devnull);
	json_t *root = stats_to_json(&st);
	free(json_dumps(root, JSON_COMPACT));
	json_decref(root);
	stats_release(&st);

	if (id)
		trace_of(path, id);
	free(id);
	close(fd);
	return 0;
}
