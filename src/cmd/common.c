/* common.c - what the commands share: usage errors, --help text from the
 * command table, configuration loading with its error line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "telemetry/log.h"
#include "util/buf.h"

int cmd_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *hint = xasprintf("photopub %s%s--help", command ? command : "", command ? " " : "");
	log_error("cli", "usage_error", NULL, LF_STR("command", command), LF_STR("error", msg),
		  LF_STR("help", hint));
	free(hint);
	return EXIT_USAGE;
}

int cmd_unknown(int argc, char **argv)
{
	return cmd_usage_error(NULL, "unknown command \"%s\"", argc > 2 ? argv[2] : "");
}

int cmd_load_config(const struct config_options *opts, struct config *cfg, bool force_debug)
{
	struct config_error e;
	if (config_load(opts, cfg, &e) < 0) {
		log_error("config", "config_error", NULL, LF_STR("file", e.file),
			  LF_STR("section", *e.section ? e.section : NULL),
			  LF_STR("key", *e.key ? e.key : NULL), LF_STR("problem", e.problem),
			  LF_STR("error", e.msg));
		return -1;
	}
	log_set_level(force_debug ? LOG_DEBUG : (enum log_level)log_level_parse(cfg->log_level));
	return 0;
}

int cmd_open_log_file(const char *path)
{
	struct pp_error err = { 0 };
	if (log_set_file(path, &err) < 0) {
		log_error("cli", "log_file_error", NULL, LF_STR("path", path), LF_STR("error", err.msg));
		return -1;
	}
	return 0;
}
