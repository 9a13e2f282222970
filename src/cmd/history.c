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

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* What a row says: the post id and link, where a curated image went, or
 * why it failed; then whether its run is partly published or can be sent
 * again, and the start of its id that photopub retry takes. */
static void print_detail(json_t *o)
{
	const char *action = str(o, "action"), *url = str(o, "url"), *post = str(o, "post_id");
	const char *cid = str(o, "correlation_id");
	if (!json_is_true(json_object_get(o, "success")))
		printf("%s", str(o, "error") ? str(o, "error") : "");
	else if (action)
		printf("%s", url ? url : !strcmp(action, "delete") ? "deleted" : "");
	else
		printf("%s%s%s", post ? post : "", url ? "  " : "", url ? url : "");
	bool partial = json_is_true(json_object_get(o, "partial"));
	if (json_is_true(json_object_get(o, "retryable")) && cid)
		printf("  (%sphotopub retry %.8s sends the rest)", partial ? "partly published; " : "",
		       cid);
	else if (partial)
		printf("  (partly published)");
}

static void print_rows(json_t *rows)
{
	size_t i;
	json_t *o;
	json_array_foreach(rows, i, o) {
		if (i == 0)
			printf("%-24s  %-10s  %-6s  %s\n", "time", "platform", "result",
			       "image: post id and link, where it went, or error");
		const char *action = str(o, "action");
		const char *result = !json_is_true(json_object_get(o, "success")) ? "failed"
				     : action ? action : "posted";
		printf("%-24s  %-10s  %-6s  %s: ", str(o, "time") ? str(o, "time") : "",
		       str(o, "platform") ? str(o, "platform") : "", result,
		       str(o, "image") ? str(o, "image") : "");
		print_detail(o);
		putchar('\n');
	}
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
	if (state_open_config(&cfg, true, &st, &err) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", "state"),
			  LF_STR("error", err.msg));
		goto out;
	}
	json_t *rows = NULL;
	struct history_filter f = { .since = a.since ? since : NULL, .platform = a.platform };
	if (history_json(st, &f, &rows, &err) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", "state"),
			  LF_STR("error", err.msg));
		goto out;
	}
	if (a.json) {
		json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (json_array_size(rows) == 0) {
		printf("nothing posted%s%s%s\n", a.platform ? " to " : "",
		       a.platform ? a.platform : "", a.since ? " in that time" : " yet");
	} else {
		print_rows(rows);
	}
	json_decref(rows);
	rc = EXIT_OK;
out:
	state_close(st);
	config_release(&cfg);
	return rc;
}
