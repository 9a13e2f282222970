/* curate.c - `photopub keep NAME`, `photopub remove NAME` and `photopub
 * delete NAME`: one curation action of core/curate.c on one image of the
 * folder, as the web's POST /api/images/{NAME}/keep|remove|delete does. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "core/curate.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"

struct curate_args {
	const char *config, *env, *name;
	bool json;
};

static int parse_args(const char *command, int argc, char **argv, struct curate_args *a)
{
	struct cmd_config_args ca = { 0 };
	if (cmd_config_args(command, argc, argv, &ca))
		return EXIT_USAGE;
	a->config = ca.config;
	a->env = ca.env;
	a->json = ca.json;
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(command, "unexpected argument \"%s\"", argv[optind]);
	if (!a->name || !*a->name)
		return cmd_usage_error(command, "the image's file name (NAME) is required");
	if (!a->config)
		return cmd_usage_error(command, "--config FILE is required");
	return 0;
}

static void print_done(const char *name, const struct curate_result *r, bool json)
{
	if (json) {
		json_t *o = curate_result_json(name, r);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	const char *what = curate_action_name(r->action);
	if (r->preview_only)
		printf("%s %s: preview only ([Content] debug = true), nothing changed\n", what, name);
	else if (r->moved_to)
		printf("%s %s: moved to %s%s\n", what, name, r->moved_to,
		       r->sidecar ? " with its sidecar" : "");
	else
		printf("%s %s: deleted%s\n", what, name, r->sidecar ? " with its sidecar" : "");
}

static int curate_command(enum curate_action action, int argc, char **argv)
{
	const char *command = curate_action_name(action);
	struct curate_args a = { 0 };
	struct config cfg = { 0 };
	struct workflow_env env = { .cfg = &cfg };
	int rc = parse_args(command, argc, argv, &a);
	if (rc)
		return rc;
	struct config_options co = { .config_path = a.config, .env_path = a.env, .preview = true };
	if (cmd_load_config(&co, &cfg, false) < 0)
		return EXIT_USAGE;
	if ((rc = cmd_open_services(&env, argv[0], cfg.debug)) != 0)
		goto out;

	char cid[UUID_STR_LEN];
	uuid4(cid);
	struct pp_ctx ctx = { .correlation_id = cid };
	struct curate_result r;
	struct pp_error err = { 0 };
	if (curate_image(&env, &ctx, action, a.name, &r, &err) < 0) {
		log_error("cli", "curate_error", cid, LF_STR("action", command),
			  LF_STR("image", a.name), LF_STR("kind", pp_error_name(err.kind)),
			  LF_STR("error", err.msg));
		rc = pp_error_exit_code(err.kind);
	} else {
		print_done(a.name, &r, a.json);
		rc = EXIT_OK;
	}
	curate_result_release(&r);
out:
	cmd_finish(&env, &cfg);
	return rc;
}

int cmd_keep(int argc, char **argv)
{
	return curate_command(CURATE_KEEP, argc, argv);
}

int cmd_remove(int argc, char **argv)
{
	return curate_command(CURATE_REMOVE, argc, argv);
}

int cmd_delete(int argc, char **argv)
{
	return curate_command(CURATE_DELETE, argc, argv);
}
