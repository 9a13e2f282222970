/* serve.c - `photopub serve`: the web server over the same services as
 * `photopub run`. Config from --config or CONFIG_PATH, .env from --env or
 * ENV_PATH, host and port from the flags, [Web] or PORT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "telemetry/log.h"
#include "web/server.h"

struct serve_args {
	const char *config, *env, *host, *log_file, *port_file;
	int port;                /* -1: from the configuration */
	int threads;
	bool allow_remote;
};

static int parse_args(int argc, char **argv, struct serve_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 't' },
		{ "allow-remote", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	struct cmd_getopt g = { .command = "serve", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 'H': a->host = optarg; break;
		case 'l': a->log_file = optarg; break;
		case 'P': a->port_file = optarg; break;
		case 'r': a->allow_remote = true; break;
		case 'p':
			a->port = (int)strtol(optarg, &end, 10);
			if (*end || a->port < 0 || a->port > 65535)
				return cmd_usage_error("serve", "--port needs a port number, got \"%s\"", optarg);
			break;
		case 't':
			a->threads = (int)strtol(optarg, &end, 10);
			if (*end || a->threads < 1 || a->threads > 256)
				return cmd_usage_error("serve", "--threads needs 1 to 256, got \"%s\"", optarg);
			break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind < argc)
		return cmd_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		a->config = getenv("CONFIG_PATH");
	if (!a->env)
		a->env = getenv("ENV_PATH") && *getenv("ENV_PATH") ? getenv("ENV_PATH") : NULL;
	if (!a->config || !*a->config)
		return cmd_usage_error("serve", "--config FILE (or CONFIG_PATH) is required");
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = { .port = -1 };
	struct config cfg = { 0 };
	struct workflow_env env = { .cfg = &cfg };
	struct pp_error err = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (a.log_file && cmd_open_log_file(a.log_file) < 0)
		return EXIT_USAGE;
	struct config_options co = { .config_path = a.config, .env_path = a.env, .for_web = true };
	if (cmd_load_config(&co, &cfg, false) < 0)
		return EXIT_USAGE;
	if ((rc = cmd_open_services(&env, argv[0], false)) != 0)
		goto out;
	log_set_async(true);
	struct web_options wo = {
		.host = a.host ? a.host : cfg.web_host,
		.port = a.port >= 0 ? a.port : cfg.web_port,
		.allow_remote = a.allow_remote || cfg.web_allow_remote,
		.threads = (unsigned)a.threads,
		.shutdown_grace_s = 30,
		.port_file = a.port_file,
	};
	int s = web_serve(&env, &wo, &err);
	if (s < 0) {
		log_error("web", "web_server_error", NULL, LF_STR("error", err.msg));
		rc = pp_error_exit_code(err.kind);
	} else if (s > 0) {
		/* Requests outlived the grace period and still use the services. */
		log_shutdown();
		_exit(EXIT_OK);
	}
out:
	cmd_finish(&env, &cfg);
	return rc;
}
