/* commands.c - the table of photopub's commands: name, entry point in
 * libphotopub.so, summary and --help text. Compiled into the binary itself,
 * so that --help needs nothing loaded. */
#include <stddef.h>
#include "cmd/cmd.h"

const struct command commands[] = {
	{
		.name = "run",
		.symbol = "cmd_run",
		.summary = "pick an unposted image, describe, caption and publish it",
		.usage =
			"usage: photopub run --config FILE [--env FILE] [--select NAME]\n"
			"                    [--dry-publish] [--preview] [--debug] [--log-file FILE]\n"
			"\n"
			"Picks an image that was never posted (or NAME), has the AI describe it,\n"
			"writes its caption and sidecar, publishes it to every enabled platform at\n"
			"once and archives it.\n"
			"\n"
			"  --config FILE    the INI configuration (required)\n"
			"  --env FILE       .env file with secrets (default: .env beside FILE, then ./.env)\n"
			"  --select NAME    publish exactly this file of the folder, posted or not\n"
			"  --dry-publish    do everything but publish, write a sidecar, archive or record state\n"
			"  --preview        dry publish, and print a human-readable report to stdout\n"
			"  --debug          debug mode: publish nothing, report every platform as\n"
			"                   published; debug-level log lines\n"
			"  --log-file FILE  append every log line to FILE too\n"
			"\n"
			"Exit codes: 0 published; 1 the run failed (no image, every platform failed);\n"
			"2 usage or configuration error. Log lines (JSON, one per line) go to stderr.\n",
	},
	{
		.name = "serve",
		.symbol = "cmd_serve",
		.summary = "the web server: random image, analyze, publish from a phone",
		.usage =
			"usage: photopub serve --config FILE [--env FILE] [--host ADDR] [--port N]\n"
			"                      [--log-file FILE] [--allow-remote] [--threads N]\n"
			"                      [--port-file FILE]\n"
			"\n"
			"Serves the web interface and its API: a random image, analyze it,\n"
			"publish it, with the same pipeline as `photopub run`.\n"
			"\n"
			"  --config FILE     the INI configuration (default: $CONFIG_PATH)\n"
			"  --env FILE        .env file with secrets (default: $ENV_PATH, then .env\n"
			"                    beside FILE, then ./.env)\n"
			"  --host ADDR       address to listen on (default: [Web] host, 127.0.0.1)\n"
			"  --port N          port (default: [Web] port, then $PORT, then 8000; 0: any free)\n"
			"  --log-file FILE   append every log line to FILE too (reopened on SIGHUP)\n"
			"  --allow-remote    listen beyond loopback without authentication\n"
			"  --threads N       request threads (default: one per core)\n"
			"  --port-file FILE  write the port once listening (useful with --port 0)\n"
			"\n"
			"SIGTERM or SIGINT: stop accepting, let requests in flight finish (up to 30 s),\n"
			"exit 0. SIGHUP: reopen the log file (logrotate).\n",
	},
	{ .name = NULL },
};
