/* run.c - `photopub run`: one pass of the pipeline from the command line.
 * Sets up the services the configuration names, runs the workflow (with
 * the caption approved by --caption-file / --edit, cmd/edit.c), prints a
 * short result (or the --preview report) on stdout and exits 0, 1 or 2. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "cmd/edit.h"
#include "core/workflow.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "util/fsutil.h"

struct run_args {
	const char *config, *env, *select, *log_file;
	const char *caption_file, *alt_text_file;
	bool dry_publish, preview, debug, edit;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "select", required_argument, NULL, 's' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "dry-publish", no_argument, NULL, 'd' },
		{ "preview", no_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'D' },
		{ "caption-file", required_argument, NULL, 'C' },
		{ "alt-text-file", required_argument, NULL, 'A' },
		{ "edit", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct cmd_getopt g = { .command = "run", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 's': a->select = optarg; break;
		case 'l': a->log_file = optarg; break;
		case 'd': a->dry_publish = true; break;
		case 'p': a->preview = true; break;
		case 'D': a->debug = true; break;
		case 'C': a->caption_file = optarg; break;
		case 'A': a->alt_text_file = optarg; break;
		case 'E': a->edit = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind < argc)
		return cmd_usage_error("run", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cmd_usage_error("run", "--config FILE is required");
	if (a->edit && !isatty(STDIN_FILENO))
		return cmd_usage_error("run", "--edit needs a terminal for the editor (standard "
					      "input is not one); use --caption-file FILE instead");
	if (a->caption_file && a->alt_text_file && !strcmp(a->caption_file, "-") &&
	    !strcmp(a->alt_text_file, "-"))
		return cmd_usage_error("run", "--caption-file and --alt-text-file cannot both "
					      "read standard input");
	return 0;
}

static void print_result(const struct workflow_result *r, const char *cid)
{
	if (r->image)
		printf("image:    %s\n", r->image);
	cmd_print_caption(r);
	cmd_print_platforms(r);
	bool partial = workflow_partial(r);
	printf("result:   %s%s (correlation_id %s)\n", r->success ? "ok" : "failed",
	       partial ? ", partly published" : "", cid);
	if (partial)
		printf("retry:    photopub retry %.8s sends it to the platforms that failed\n", cid);
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct config cfg = { 0 };
	struct workflow_env env = { .cfg = &cfg };
	char *caption = NULL, *alt_text = NULL;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	/* Read before anything starts: a bad file is a usage error. */
	struct pp_error ferr = { 0 };
	if ((a.caption_file && !(caption = edit_read_caption_file(a.caption_file, &ferr))) ||
	    (a.alt_text_file && !(alt_text = edit_read_alt_text_file(a.alt_text_file, &ferr)))) {
		free(caption);
		return cmd_usage_error("run", "%s", ferr.msg);
	}
	if (a.log_file && cmd_open_log_file(a.log_file) < 0)
		return EXIT_USAGE;
	struct config_options co = { .config_path = a.config, .env_path = a.env,
				     .preview = a.preview || a.dry_publish };
	if (cmd_load_config(&co, &cfg, a.debug) < 0)
		return EXIT_USAGE;
	bool debug = a.debug || cfg.debug;
	bool read_only = a.preview || a.dry_publish || debug;

	fs_temp_cleanup_on_signals();
	if ((rc = cmd_open_services(&env, argv[0], read_only)) != 0)
		goto out;

	char cid[UUID_STR_LEN];
	uuid4(cid);
	struct pp_ctx ctx = { .correlation_id = cid };
	struct workflow_options wo = {
		.ctx = &ctx, .select = a.select, .dry_publish = a.dry_publish, .preview = a.preview,
		.debug = a.debug, .report = stdout,
		.caption = caption, .alt_text = alt_text,
		.edit = a.edit ? edit_caption : NULL,
	};
	struct workflow_result result;
	rc = workflow_run(&env, &wo, &result);
	if (!a.preview)
		print_result(&result, cid);
	if (result.abandoned) {
		/* A platform is still running past its time limit, using the
		 * configuration and storage: leave without tearing them down. */
		log_warning("cli", "exit_with_platform_running", cid,
			    LF_INT("platforms", result.abandoned));
		log_shutdown();
		fflush(stdout);
		_exit(rc);
	}
	workflow_result_release(&result);
out:
	cmd_finish(&env, &cfg);
	free(caption);
	free(alt_text);
	return rc;
}
