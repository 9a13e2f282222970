/* history.c - `photopub history`: what was posted where and when, from the
 * state's publication history: post ids and links, failures and their
 * reasons, curation actions. The JSON rows are core/history.c's, as the
 * web's GET /api/history gives them. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "core/history.h"
#include "ops/timefmt.h"
#include "state/state.h"
#include "telemetry/log.h"

struct history_args {
	const char *config, *env, *since, *platform;
	bool json;
};

static int parse_args(int argc, char **argv, struct history_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "since", required_argument, NULL, 's' },
		{ "platform", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct cmd_getopt g = { .command = "history", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 's': a->since = optarg; break;
		case 'p': a->platform = optarg; break;
		case 'j': a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind < argc)
		return cmd_usage_error("history", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cmd_usage_error("history", "--config FILE is required");
	return 0;
}

/* What a row says: the post id and link, where a curated image went, or
 * why it failed. */
static void print_detail(const struct history_row *r)
{
	if (!r->success)
		printf("%s", r->error ? r->error : "");
	else if (r->action)
		printf("%s", r->url ? r->url : !strcmp(r->action, "delete") ? "deleted" : "");
	else
		printf("%s%s%s", r->post_id ? r->post_id : "", r->url ? "  " : "",
		       r->url ? r->url : "");
}

static int print_row(void *arg, const char *time, const struct history_row *r)
{
	size_t *n = arg;
	if ((*n)++ == 0)
		printf("%-24s  %-10s  %-6s  %s\n", "time", "platform", "result",
		       "image: post id and link, where it went, or error");
	const char *result = !r->success ? "failed" : r->action ? r->action : "posted";
	printf("%-24s  %-10s  %-6s  %s: ", time ? time : "", r->platform ? r->platform : "", result,
	       r->image ? r->image : "");
	print_detail(r);
	putchar('\n');
	return 0;
}

int cmd_history(int argc, char **argv)
{
	struct history_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	char since[32];
	int64_t ms = 0;
	if (a.since) {
		if (cmd_time_bound("history", "--since", a.since, &ms))
			return EXIT_USAGE;
		ts_format(ms, since);
	}

	struct config cfg;
	struct config_options co = { .config_path = a.config, .env_path = a.env, .preview = true };
	if (cmd_load_config(&co, &cfg, false) < 0)
		return EXIT_USAGE;
	struct state *st = NULL;
	struct pp_error err = { 0 };
	rc = EXIT_FAILED;
	if (state_open(cfg.state_path, true, &st, &err) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", "state"),
			  LF_STR("error", err.msg));
		goto out;
	}
	json_t *rows = NULL;
	size_t n = 0;
	struct history_filter f = { .since = a.since ? since : NULL, .platform = a.platform };
	if ((a.json ? history_json(st, &f, &rows, &err)
		    : state_history_query(st, &f, print_row, &n, &err)) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", "state"),
			  LF_STR("error", err.msg));
		goto out;
	}
	if (a.json) {
		json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(rows);
	} else if (n == 0) {
		printf("nothing posted%s%s%s\n", a.platform ? " to " : "",
		       a.platform ? a.platform : "", a.since ? " in that time" : " yet");
	}
	rc = EXIT_OK;
out:
	state_close(st);
	config_release(&cfg);
	return rc;
}
