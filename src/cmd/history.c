/* history.c - `photopub history`: what was posted where and when, from the
 * state's publication history: post ids, failures and their reasons. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
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
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 's': a->since = optarg; break;
		case 'p': a->platform = optarg; break;
		case 'j': a->json = true; break;
		case ':':
			return cmd_usage_error("history", "option %s needs a value", argv[optind - 1]);
		default:
			return cmd_usage_error("history", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error("history", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cmd_usage_error("history", "--config FILE is required");
	return 0;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int add_json(void *arg, const char *time, const struct history_row *r)
{
	json_array_append_new(arg, json_pack("{s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
					     "time", opt_str(time), "image", opt_str(r->image),
					     "platform", opt_str(r->platform), "success", r->success,
					     "post_id", opt_str(r->post_id), "error", opt_str(r->error),
					     "correlation_id", opt_str(r->correlation_id)));
	return 0;
}

static int print_row(void *arg, const char *time, const struct history_row *r)
{
	size_t *n = arg;
	if ((*n)++ == 0)
		printf("%-24s  %-10s  %-6s  %s\n", "time", "platform", "result", "image: post id or error");
	printf("%-24s  %-10s  %-6s  %s: %s\n", time ? time : "", r->platform ? r->platform : "",
	       r->success ? "posted" : "failed", r->image ? r->image : "",
	       r->success ? (r->post_id ? r->post_id : "") : (r->error ? r->error : ""));
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
	json_t *rows = a.json ? json_array() : NULL;
	size_t n = 0;
	if (state_history_each(st, a.since ? since : NULL, a.platform, a.json ? add_json : print_row,
			       a.json ? (void *)rows : (void *)&n, &err) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", "state"),
			  LF_STR("error", err.msg));
		json_decref(rows);
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
