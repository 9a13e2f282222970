/* commands.c - the table of photopub's commands: name, entry point,
 * summary and --help text. main.c loops over it; a new command is its
 * cmd/ file and a row here. */
#include <stddef.h>
#include "cmd/cmd.h"

/* The options and exit codes of keep, remove and delete. */
#define CURATE_OPTIONS                                                                      \
	"\n"                                                                                 \
	"  --config FILE  the INI configuration (required)\n"                                \
	"  --env FILE     .env file with secrets (default: .env beside FILE, then ./.env)\n" \
	"  --json         print {filename, action, destination_folder, preview_only}\n"      \
	"\n"                                                                                 \
	"Recorded in the history (platform \"storage\"). With [Content] debug = true\n"      \
	"nothing changes (preview only). Exit codes: 0 done; 1 no such image or the\n"       \
	"storage failed; 2 usage or configuration error"

const struct command commands[] = {
	{
		.name = "run",
		.run = cmd_run,
		.summary = "pick an unposted image, describe, caption and publish it",
		.usage =
			"usage: photopub run --config FILE [--env FILE] [--select NAME]\n"
			"                    [--dry-publish] [--preview] [--debug] [--log-file FILE]\n"
			"                    [--caption-file FILE] [--alt-text-file FILE] [--edit]\n"
			"\n"
			"Picks an image that was never posted (or NAME), has the AI describe it,\n"
			"writes its caption and sidecar, publishes it to every enabled platform at\n"
			"once and archives it. Then stdout says the image, its caption and alt\n"
			"text, and per platform: ok with the post's link, failed with why, would\n"
			"publish (dry publish) or not sent (debug).\n"
			"\n"
			"  --config FILE    the INI configuration (required)\n"
			"  --env FILE       .env file with secrets (default: .env beside FILE, then ./.env)\n"
			"  --select NAME    publish exactly this file of the folder, posted or not\n"
			"  --dry-publish    do everything but publish, write a sidecar, archive or record state\n"
			"  --preview        dry publish, and print a human-readable report to stdout:\n"
			"                   the config file, AI provider and models, whether the\n"
			"                   image is new or was posted before, caption, platforms\n"
			"  --debug          debug mode: publish nothing, report every platform as\n"
			"                   published; debug-level log lines\n"
			"  --log-file FILE  append every log line to FILE instead of the default log\n"
			"                   file ([Log] file; none: no file)\n"
			"  --caption-file FILE  publish this caption (UTF-8; - is standard input)\n"
			"                   instead of the generated one; empty is a usage error\n"
			"  --alt-text-file FILE  this alt text instead of the AI's (one line, at\n"
			"                   most 125 characters; empty: none)\n"
			"  --edit           open $VISUAL, else $EDITOR, else vi on the caption before\n"
			"                   publishing, like git commit: lines that are \"#\" or start\n"
			"                   with \"# \" are dropped; an empty caption aborts the run\n"
			"                   (exit 1, nothing published); needs a terminal\n"
			"\n"
			"Exit codes: 0 published; 1 the run failed (no image, every platform failed);\n"
			"2 usage or configuration error. Log lines (JSON, one per line) go to stderr\n"
			"and to the log file: $LOGS_DIRECTORY/photopub.log under systemd, else\n"
			"$XDG_STATE_HOME/photopub/photopub.log (~/.local/state/photopub/photopub.log).\n",
	},
	{
		.name = "serve",
		.run = cmd_serve,
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
			"  --log-file FILE   append every log line to FILE instead of the default log\n"
			"                    file (reopened on SIGHUP, as the default is)\n"
			"  --allow-remote    listen beyond loopback without authentication\n"
			"  --threads N       request threads (default: one per core)\n"
			"  --port-file FILE  write the port once listening (useful with --port 0)\n"
			"\n"
			"SIGTERM or SIGINT: stop accepting, let requests in flight finish (up to 30 s),\n"
			"exit 0. SIGHUP: reopen the log file (logrotate).\n",
	},
	{
		.name = "check",
		.run = cmd_check,
		.summary = "check the configuration: every error at once, platform readiness",
		.usage =
			"usage: photopub check --config FILE [--env FILE] [--json]\n"
			"\n"
			"Loads and validates the configuration the way `photopub run` and\n"
			"`photopub serve` would, and prints every error (file:line, [Section] key,\n"
			"what is wrong, a hint such as \"did you mean [Mastodon] enabled?\") and\n"
			"every warning, then each platform: enabled or disabled, and for an\n"
			"enabled one \"ready\" or what it is missing; then the storage backend and\n"
			"the AI provider it will use. Secret values are never printed.\n"
			"\n"
			"  --config FILE  the INI configuration (required)\n"
			"  --env FILE     .env file with secrets (default: .env beside FILE, then ./.env)\n"
			"  --json         print one JSON object: {valid, errors: [{file, line, section,\n"
			"                 key, problem, hint}], warnings: [...], platforms: [{name,\n"
			"                 enabled, ready, missing, invalid}], storage, ai}\n"
			"\n"
			"Exit codes: 0 valid (warnings allowed); 2 any error, or a usage error.\n",
	},
	{
		.name = "stats",
		.run = cmd_stats,
		.summary = "latency percentiles and error counts from logs; budgets",
		.usage =
			"usage: photopub stats [--budget FILE] [--since T] [--until T] [--json] [LOGFILE ...]\n"
			"\n"
			"Reads photopub's JSON log lines (with no file named: standard input, or\n"
			"the default log file when standard input is a terminal; .gz files are\n"
			"read directly) in one streaming pass and prints, for every\n"
			"workflow stage, web event, HTTP route and publisher: count, errors and\n"
			"p50 / p90 / p95 / p99 / max in milliseconds. Lines that are not JSON,\n"
			"truncated lines and other programs' lines are skipped and counted.\n"
			"\n"
			"  --budget FILE  check the budgets of FILE ([budget] workflow.total_ms.p95 = 8000,\n"
			"                 error_rate.telegram = 0.05, ...): exit 1 when one is violated\n"
			"  --since T      only lines at or after T: RFC 3339 (2026-11-29T07:00:00Z),\n"
			"                 a date (2026-11-29, midnight UTC) or back from now (90m, 24h, 7d)\n"
			"  --until T      only lines before T (same forms)\n"
			"  --json         one JSON object instead of the table\n"
			"\n"
			"Percentiles are nearest-rank: exact below 512 ms, within 0.2 % above.\n"
			"Exit codes: 0 ok (every budget holds); 1 a budget is violated;\n"
			"2 usage error, unreadable input or bad budget file. See docs/operations.md.\n",
	},
	{
		.name = "trace",
		.run = cmd_trace,
		.summary = "every log line of one run or request, and its waterfall",
		.usage =
			"usage: photopub trace CORRELATION_ID [--json] [LOGFILE ...]\n"
			"\n"
			"Prints every log line carrying CORRELATION_ID (from the files; with none,\n"
			"standard input, or the default log file when standard input is a\n"
			"terminal; .gz read directly) in time order, then a\n"
			"waterfall of its stages: for a run, the stages of workflow_timing with the\n"
			"platforms side by side under the publish stage; for a web request, the\n"
			"request, its web event and the AI, storage and publisher work it did.\n"
			"CORRELATION_ID may be any unique prefix of 8 or more characters.\n"
			"\n"
			"  --json         {\"correlation_id\", \"lines\": [...], \"waterfall\": [...]}\n"
			"\n"
			"Exit codes: 0 found; 1 no line has that id; 2 usage error, ambiguous prefix\n"
			"or unreadable input.\n",
	},
	{
		.name = "report",
		.run = cmd_report,
		.summary = "a self-contained HTML latency report from logs",
		.usage =
			"usage: photopub report [LOGFILE ...] -o FILE.html\n"
			"\n"
			"Writes one HTML file (inline CSS and SVG, nothing loaded from the network):\n"
			"what went wrong (the newest failed runs, each with where it failed, its\n"
			"error, waterfall and lines; each platform's failure reasons counted), per\n"
			"stage and endpoint the percentiles over time and a latency histogram,\n"
			"errors per platform, and the slowest runs and requests with their\n"
			"correlation ids. With no file named reads standard input, or the default\n"
			"log file when standard input is a terminal.\n"
			"\n"
			"  -o, --output FILE  the HTML file to write (required)\n"
			"\n"
			"Exit codes: 0 written; 2 usage error, unreadable input or unwritable output.\n",
	},
	{
		.name = "history",
		.run = cmd_history,
		.summary = "what was posted where and when, and what failed",
		.usage =
			"usage: photopub history --config FILE [--env FILE] [--since T]\n"
			"                        [--platform NAME] [--json]\n"
			"\n"
			"Lists the publication history of the state database, oldest first:\n"
			"one row per platform and attempt, with its time (UTC), the image, the\n"
			"post id and link or why it failed, and one row per curation action\n"
			"(keep, remove, delete; platform \"storage\"). Reads the state without\n"
			"changing it.\n"
			"\n"
			"  --config FILE    the INI configuration (required)\n"
			"  --env FILE       .env file with secrets (default: .env beside FILE)\n"
			"  --since T        only rows at or after T: RFC 3339, a date (UTC\n"
			"                   midnight) or back from now (90m, 24h, 7d)\n"
			"  --platform NAME  only this platform's rows (outbox, telegram, ...,\n"
			"                   storage for curation)\n"
			"  --json           a JSON array of {time, image, platform, action, success,\n"
			"                   post_id, url, error, correlation_id, partial, retryable}\n"
			"\n"
			"A run that reached some platforms and not others is marked partly\n"
			"published; photopub retry sends it to the rest.\n"
			"\n"
			"Exit codes: 0 listed (also when empty); 1 the state cannot be read;\n"
			"2 usage or configuration error.\n",
	},
	{
		.name = "retry",
		.run = cmd_retry,
		.summary = "send a run's image again to the platforms that did not get it",
		.usage =
			"usage: photopub retry (CORRELATION_ID | --last) --config FILE [--env FILE]\n"
			"                      [--platform NAME] [--json] [--log-file FILE]\n"
			"\n"
			"Publishes the image of one run again, only to its platforms that failed\n"
			"or whose outcome stayed unknown after a crash, never to one that has the\n"
			"post, with the caption, alt text and per-platform captions the run sent\n"
			"(no AI call). The image is read from the archive (or from the folder when\n"
			"no platform had it: then it is archived once one takes it). Its lines\n"
			"carry a new correlation id and retry_of, the run's.\n"
			"\n"
			"  CORRELATION_ID   the run's correlation id (photopub history shows it), or\n"
			"                   a unique start of it of at least 8 characters (the\n"
			"                   outbox's folder names show one)\n"
			"  --last           the newest run\n"
			"  --platform NAME  only this platform (refused when it has the post)\n"
			"  --config FILE    the INI configuration (required)\n"
			"  --env FILE       .env file with secrets (default: .env beside FILE)\n"
			"  --json           print {filename, results, archived, any_success, partial,\n"
			"                   retry_of, correlation_id}, as POST /api/history/{id}/retry\n"
			"  --log-file FILE  append every log line to FILE instead of the default log file\n"
			"\n"
			"Exit codes: 0 a platform published; 1 nothing to retry, no such run, the\n"
			"platform has the post already, or every platform failed again; 2 usage or\n"
			"configuration error.\n",
	},
	{
		.name = "keep",
		.run = cmd_keep,
		.summary = "move an image and its sidecar to the keep folder",
		.usage =
			"usage: photopub keep NAME --config FILE [--env FILE] [--json]\n"
			"\n"
			"Moves the image NAME of the folder and its sidecar into the keep folder\n"
			"([Storage] folder_keep, default \"keep\" inside the image folder).\n"
			CURATE_OPTIONS ".\n",
	},
	{
		.name = "remove",
		.run = cmd_remove,
		.summary = "move an image and its sidecar to the remove folder",
		.usage =
			"usage: photopub remove NAME --config FILE [--env FILE] [--json]\n"
			"\n"
			"Moves the image NAME of the folder and its sidecar into the remove folder\n"
			"([Storage] folder_remove, default \"remove\" inside the image folder).\n"
			CURATE_OPTIONS ".\n",
	},
	{
		.name = "delete",
		.run = cmd_delete,
		.summary = "delete an image and its sidecar (when delete is enabled)",
		.usage =
			"usage: photopub delete NAME --config FILE [--env FILE] [--json]\n"
			"\n"
			"Deletes the image NAME of the folder and its sidecar for good. Refused\n"
			"unless [Storage] delete_enabled = true or FEATURE_DELETE=true.\n"
			CURATE_OPTIONS ", or delete is disabled.\n",
	},
	{
		.name = "queue",
		.run = cmd_queue,
		.summary = "the order images will be posted in; pin, skip, hold, release",
		.usage =
			"usage: photopub queue --config FILE [--env FILE] [--limit N] [--json]\n"
			"       photopub queue pin|skip|hold|release NAME --config FILE [--env FILE]\n"
			"\n"
			"Lists the posting queue: the images of the folder that runs will post,\n"
			"in the order they will post them (position 1 is what the next `run` and\n"
			"`run --preview` take), with their status: next, queued, pinned or held.\n"
			"New images join it in the [Content] order (random: a shuffled deck;\n"
			"oldest, newest: by modification time; name). Listing reads the state\n"
			"without changing it.\n"
			"\n"
			"  pin NAME         put NAME next (the latest pin goes first)\n"
			"  skip NAME        send NAME to the back of the queue\n"
			"  hold NAME        never post NAME until it is released (listed last)\n"
			"  release NAME     queue a held NAME again, at its place\n"
			"\n"
			"  --config FILE    the INI configuration (required)\n"
			"  --env FILE       .env file with secrets (default: .env beside FILE)\n"
			"  --limit N        list the first N images (default 50, at most 10000)\n"
			"  --json           {\"items\": [{filename, position, status, pinned, added_at,\n"
			"                   size}], \"count\": N}, as GET /api/queue answers\n"
			"\n"
			"Exit codes: 0 listed or changed; 1 NAME is not in the queue (not in the\n"
			"folder, posted or quarantined), or the state or folder cannot be read;\n"
			"2 usage or configuration error.\n",
	},
	{ .name = NULL },
};
