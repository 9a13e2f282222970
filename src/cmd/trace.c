/* trace.c - `photopub trace ID`: every log line of one correlation id in
 * time order, then the waterfall of its stages; --json for machines. The id
 * may be any unique prefix of 8 or more characters. Exits 1 when no line
 * carries the id, 2 on a usage error, an ambiguous prefix or an unreadable
 * input. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "ops/trace.h"
#include "telemetry/log.h"

#define BAR_WIDTH 50
#define CANDIDATES_SHOWN 5 /* ids an ambiguous prefix lists */

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;
	struct cmd_getopt g = { .command = "trace", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		if (c == 'j')
			json = true;
		else
			return EXIT_USAGE; /* cmd_getopt said why */
	}
	if (optind >= argc)
		return cmd_usage_error("trace", "the CORRELATION_ID to trace is missing");
	const char *id = argv[optind++];
	if (strlen(id) < TRACE_MIN_PREFIX)
		return cmd_usage_error("trace", "give at least 8 characters of the CORRELATION_ID");
	struct cmd_inputs in = { .files = argv + optind, .n = argc - optind };
	int rc = cmd_log_inputs("trace", &in);
	if (rc)
		return rc;

	struct trace t;
	struct pp_error err = { 0 };
	struct wf_bar *bars = NULL;
	trace_init(&t, id);
	for (int i = 0; i < (in.n ? in.n : 1); i++) {
		const char *path = in.n ? in.files[i] : NULL;
		if (trace_read(&t, path, &err) < 0) {
			log_error("ops", "input_error", NULL, LF_STR("file", path ? path : "-"),
				  LF_STR("error", err.msg));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (trace_resolve(&t, &err) < 0) {
		json_t *cands = json_array();
		for (size_t i = 0; i < t.nids && i < CANDIDATES_SHOWN; i++)
			json_array_append_new(cands, json_string(t.ids[i]));
		log_error("ops", "trace_ambiguous", NULL, LF_STR("id", id),
			  LF_INT("matches", (long long)(t.nids + t.ids_dropped)),
			  LF_JSON("candidates", cands), LF_STR("error", err.msg));
		json_decref(cands);
		rc = EXIT_USAGE;
		goto out;
	}
	if (t.n == 0) {
		log_error("ops", "trace_not_found", NULL, LF_STR("id", id),
			  LF_INT("lines_read", t.lines_read),
			  LF_STR("error", "no log line carries this correlation_id"));
		rc = EXIT_FAILED;
		goto out;
	}
	trace_sort(&t);
	size_t nbars = trace_waterfall(&t, &bars);
	if (json) {
		json_t *root = trace_to_json(&t, bars, nbars);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		trace_print(&t, bars, nbars, BAR_WIDTH, stdout);
	}
	fflush(stdout);
out:
	free(bars);
	trace_release(&t);
	cmd_inputs_release(&in);
	log_shutdown();
	return rc;
}
