/* stats.c - `photopub stats`: latency percentiles, error counts and budgets
 * from log files (or standard input), one streaming pass in bounded memory.
 * Prints an aligned table or (--json) one object on stdout; exits 1 when a
 * budget is violated, 2 on a usage error or an unreadable input or budget. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "ops/budget.h"
#include "ops/stats.h"
#include "ops/timefmt.h"
#include "telemetry/log.h"

struct stats_args {
	const char *budget, *since, *until;
	bool json;
	struct cmd_inputs in;
};

static int parse_args(int argc, char **argv, struct stats_args *a)
{
	static const struct option opts[] = {
		{ "budget", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct cmd_getopt g = { .command = "stats", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'b': a->budget = optarg; break;
		case 's': a->since = optarg; break;
		case 'u': a->until = optarg; break;
		case 'j': a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	a->in = (struct cmd_inputs){ .files = argv + optind, .n = argc - optind };
	return cmd_log_inputs("stats", &a->in);
}

static int set_bound(const char *opt, const char *arg, bool *has, int64_t *ms)
{
	if (!arg)
		return 0;
	if (cmd_time_bound("stats", opt, arg, ms))
		return EXIT_USAGE;
	*has = true;
	return 0;
}

static void warn_overflow(const char *group, const struct stats_group *g)
{
	if (g->overflow)
		log_warning("ops", "stats_series_overflow", NULL, LF_STR("group", group),
			    LF_INT("limit", g->limit), LF_INT("samples", g->overflow),
			    LF_STR("series", STATS_OTHER));
}

int cmd_stats(int argc, char **argv)
{
	struct stats_args a = { 0 };
	struct budget_set budgets = { 0 };
	struct stats st;
	struct pp_error err = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	stats_init(&st);
	if (set_bound("--since", a.since, &st.has_since, &st.since_ms) ||
	    set_bound("--until", a.until, &st.has_until, &st.until_ms)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (a.budget) {
		struct budget_error be;
		if (budget_load(a.budget, &budgets, &be) < 0) {
			log_error("ops", "budget_error", NULL, LF_STR("file", a.budget),
				  be.line ? LF_INT("line", be.line) : LF_NULL("line"),
				  LF_STR("key", *be.key ? be.key : NULL), LF_STR("error", be.msg));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	for (int i = 0; i < (a.in.n ? a.in.n : 1); i++) {
		const char *path = a.in.n ? a.in.files[i] : NULL;
		if (stats_read(&st, path, &err) < 0) {
			log_error("ops", "input_error", NULL, LF_STR("file", path ? path : "-"),
				  LF_STR("error", err.msg));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	warn_overflow("stages", &st.stages);
	warn_overflow("web", &st.web);
	warn_overflow("http", &st.http);
	warn_overflow("publishers", &st.publishers);

	size_t violated = a.budget ? budget_check(&budgets, &st) : 0;
	if (a.json) {
		json_t *root = stats_to_json(&st);
		if (a.budget)
			json_object_set_new(root, "budgets", budget_to_json(&budgets));
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		stats_print(&st, stdout);
		if (a.budget)
			budget_print(&budgets, stdout);
	}
	fflush(stdout);
	rc = violated ? EXIT_FAILED : EXIT_OK;
out:
	budget_release(&budgets);
	stats_release(&st);
	cmd_inputs_release(&a.in);
	log_shutdown();
	return rc;
}
