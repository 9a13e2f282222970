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
	{ .name = NULL },
};
