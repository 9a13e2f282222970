/* retry.c - `photopub retry`: one run's image sent again to the platforms
 * that failed or whose outcome stayed unknown (core/retry.c), under a new
 * correlation id whose lines carry retry_of; prints what each platform
 * said (or the web route's JSON with --json) and exits 0, 1 or 2. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "core/retry.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "util/fsutil.h"

struct retry_args {
	const char *config, *env, *run, *platform, *log_file;
	bool last, json;
};

static int parse_args(int argc, char **argv, struct retry_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "platform", required_argument, NULL, 'p' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "last", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct cmd_getopt g = { .command = "retry", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 'p': a->platform = optarg; break;
		case 'l': a->log_file = optarg; break;
		case 'L': a->last = true; break;
		case 'j': a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind < argc)
		a->run = argv[optind++];
	if (optind < argc)
		return cmd_usage_error("retry", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cmd_usage_error("retry", "--config FILE is required");
	if (!a->run == !a->last)
		return cmd_usage_error("retry", a->last ? "give either CORRELATION_ID or --last, not both"
							: "which run? give its CORRELATION_ID or --last");
	return 0;
}

static void print_result(const struct retry_result *r, const char *cid)
{
	const struct workflow_result *w = &r->wr;
	if (w->image)
		printf("image:    %s\n", w->image);
	if (r->retry_of)
		printf("retry of: %s\n", r->retry_of);
	cmd_print_caption(w);
	cmd_print_platforms(w);
	printf("result:   %s%s (correlation_id %s)\n", w->success ? "ok" : "failed",
	       r->partial ? ", partly published" : "", cid);
	fflush(stdout);
}

int cmd_retry(int argc, char **argv)
{
	struct retry_args a = { 0 };
	struct config cfg = { 0 };
	struct workflow_env env = { .cfg = &cfg };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (a.log_file && cmd_open_log_file(a.log_file) < 0)
		return EXIT_USAGE;
	struct config_options co = { .config_path = a.config, .env_path = a.env };
	if (cmd_load_config(&co, &cfg, false) < 0)
		return EXIT_USAGE;
	fs_temp_cleanup_on_signals();
	if ((rc = cmd_open_services(&env, argv[0], false)) != 0)
		goto out;

	char cid[UUID_STR_LEN];
	uuid4(cid);
	struct pp_ctx ctx = { .correlation_id = cid };
	struct retry_options ro = { .ctx = &ctx, .run = a.run, .platform = a.platform };
	struct retry_result result;
	rc = retry_run(&env, &ro, &result);
	if (a.json) {
		json_t *o = retry_result_json(&result, cid);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		fflush(stdout);
		json_decref(o);
	} else if (result.wr.nplatforms) {
		print_result(&result, cid);
	} else {
		/* Nothing sent: why, on stdout like a run's error (stderr holds only
		 * log lines, retry_refused among them). */
		printf("error:    %s\nresult:   nothing sent (correlation_id %s)\n",
		       workflow_error(&result.wr), cid);
	}
	if (result.wr.abandoned) {
		/* A platform is still running past its time limit: leave as run does. */
		log_warning("cli", "exit_with_platform_running", cid,
			    LF_INT("platforms", result.wr.abandoned));
		log_shutdown();
		fflush(stdout);
		_exit(rc);
	}
	retry_result_release(&result);
out:
	cmd_finish(&env, &cfg);
	return rc;
}
