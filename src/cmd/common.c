/* common.c - what the commands share: usage errors, configuration loading
 * with its error line, and opening and closing the pipeline's services. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ai/ai.h"
#include "cmd/cmd.h"
#include "core/check.h"
#include "image/image.h"
#include "ops/timefmt.h"
#include "state/state.h"
#include "storage/storage.h"
#include "telemetry/sanitize.h"
#include "telemetry/log.h"
#include "telemetry/logtext.h"
#include "util/buf.h"
#include "util/fsutil.h"

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

/* Sets the format of stderr's lines from a name (auto, json, text). */
static int set_log_format(const char *name)
{
	int f = log_format_parse(name);
	if (f < 0)
		return -1;
	log_set_format((enum log_format)f, f == LOG_FORMAT_TEXT && log_colour_wanted(2));
	return 0;
}

int cmd_log_format(int *argc, char **argv)
{
	set_log_format("auto");
	const char *env = getenv("PHOTOPUB_LOG_FORMAT");
	if (env && *env && set_log_format(env) < 0)
		return cmd_usage_error(NULL, "PHOTOPUB_LOG_FORMAT \"%s\": expected auto, json or text", env);
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *value = NULL;
		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strncmp(a, "--log-format=", 13)) {
			value = a + 13;
		} else if (!strcmp(a, "--log-format")) {
			if (i + 1 >= *argc)
				return cmd_usage_error(NULL, "option --log-format needs a value");
			value = argv[++i];
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (set_log_format(value) < 0)
			return cmd_usage_error(NULL, "--log-format \"%s\": expected auto, json or text", value);
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int cmd_getopt(struct cmd_getopt *g)
{
	char shortopts[32];
	snprintf(shortopts, sizeof(shortopts), ":%s", g->shortopts ? g->shortopts : "");
	if (!g->started) {
		opterr = 0;
		optind = 1;
		g->started = true;
	}
	int c = getopt_long(g->argc, g->argv, shortopts, g->opts, NULL);
	if (c == ':')
		cmd_usage_error(g->command, "option %s needs a value", g->argv[optind - 1]);
	else if (c == '?')
		cmd_usage_error(g->command, "unknown option %s", g->argv[optind - 1]);
	return c == ':' ? '?' : c;
}

int cmd_config_args(const char *command, int argc, char **argv, struct cmd_config_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct cmd_getopt g = { .command = command, .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 'j': a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	return 0;
}

int cmd_unknown(int argc, char **argv)
{
	return cmd_usage_error(NULL, "unknown command \"%s\"", argc > 2 ? argv[2] : "");
}

/* One config_error line per error of e, in the order found. */
static void log_config_errors(const struct config_error *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nproblems; i++) {
		const struct config_problem *p = &e->problems[i];
		if (p->warning)
			continue;
		char problem[600], msg[1200];
		if (p->line > 0)
			snprintf(problem, sizeof(problem), "%s (line %d)", p->problem, p->line);
		else
			snprintf(problem, sizeof(problem), "%s", p->problem);
		config_problem_message(p, msg, sizeof(msg));
		log_error("config", "config_error", NULL, LF_STR("file", p->file),
			  LF_STR("section", *p->section ? p->section : NULL),
			  LF_STR("key", *p->key ? p->key : NULL), LF_STR("problem", problem),
			  LF_STR("error", msg), p->line > 0 ? LF_INT("line", p->line) : LF_NULL("line"),
			  LF_STR("hint", *p->hint ? p->hint : NULL), LF_INT("index", ++n),
			  LF_INT("count", e->nerrors));
	}
	if (n < e->nerrors)
		log_error("config", "config_error", NULL, LF_STR("file", e->file),
			  LF_STR("problem", "more problems than one report holds; fix these first"),
			  LF_STR("error", "more problems than one report holds; fix these first"),
			  LF_INT("index", n + 1), LF_INT("count", e->nerrors));
}

/* The configured (or default) log file, unless --log-file opened one: its
 * folder is created 0700 when missing. A failure is a warning, never a
 * failed command: the lines still reach stderr. */
static void open_configured_log(const struct config *cfg)
{
	if (!cfg->log_file || log_has_file())
		return;
	struct pp_error err = { 0 };
	char *dir = xstrdup(cfg->log_file);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	int rc = slash && slash != dir ? fs_mkdir_p(dir, 0700, &err) : 0;
	if (rc == 0)
		rc = log_set_file(cfg->log_file, &err);
	if (rc < 0)
		log_warning("cli", "log_file_error", NULL, LF_STR("path", cfg->log_file),
			    LF_STR("error", err.msg));
	free(dir);
}

int cmd_load_config(const struct config_options *opts, struct config *cfg, bool force_debug)
{
	struct config_error e;
	struct config_options o = *opts;
	o.check = check_config;
	o.modules = check_config_modules();
	if (config_load(&o, cfg, &e) < 0) {
		log_config_errors(&e);
		return -1;
	}
	log_set_level(force_debug ? LOG_DEBUG : (enum log_level)log_level_parse(cfg->log_level));
	open_configured_log(cfg);
	return 0;
}

int cmd_time_bound(const char *command, const char *opt, const char *arg, int64_t *ms)
{
	if (ts_parse_bound(arg, ts_now_ms(), ms) == 0)
		return 0;
	return cmd_usage_error(command,
			       "%s \"%s\": expected an RFC 3339 time (2026-11-29T07:00:00Z), a "
			       "date (2026-11-29) or a duration back from now (90m, 24h, 7d)",
			       opt, arg);
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

int cmd_log_inputs(const char *command, struct cmd_inputs *in)
{
	if (in->n || !isatty(STDIN_FILENO))
		return 0;
	in->default_path = config_default_log_path();
	if (access(in->default_path, R_OK) < 0) {
		int rc = cmd_usage_error(command,
					 "no LOGFILE named and the default log %s cannot be read (%s): "
					 "name a LOGFILE or pipe the log into standard input",
					 in->default_path, strerror(errno));
		cmd_inputs_release(in);
		return rc;
	}
	log_info("ops", "log_input_default", NULL, LF_STR("file", in->default_path));
	in->files = &in->default_path;
	in->n = 1;
	return 0;
}

void cmd_inputs_release(struct cmd_inputs *in)
{
	free(in->default_path);
	in->default_path = NULL;
}

int cmd_open_services(struct workflow_env *env, const char *argv0, bool read_only)
{
	const struct config *cfg = env->cfg;
	struct pp_error err = { 0 };
	if (image_init(argv0, &err) < 0 || state_open_config(cfg, read_only, &env->state, &err) < 0 ||
	    storage_open(cfg, env->state, &env->storage, &err) < 0 ||
	    ai_open(cfg, &env->ai, &err) < 0) {
		log_error("cli", "startup_error", NULL, LF_STR("where", err.where),
			  LF_STR("error", err.msg));
		return EXIT_FAILED;
	}
	if (!read_only) {
		/* What a run killed with SIGKILL left: its temp copies and sidecars. */
		int tmp = fs_temp_sweep(), folder = storage_sweep(env->storage);
		if (tmp + folder > 0)
			log_info("cli", "stale_temp_removed", NULL, LF_INT("temp_dir", tmp),
				 LF_INT("image_folder", folder));
	}
	return 0;
}

void cmd_print_platforms(const struct workflow_result *r)
{
	for (size_t i = 0; i < r->nplatforms; i++) {
		const struct publish_result *p = &r->platforms[i].result;
		if (p->dry_run)
			printf("%-9s would publish (dry publish)\n", r->platforms[i].name);
		else if (p->debug)
			printf("%-9s not sent (debug)\n", r->platforms[i].name);
		else if (p->success && p->url)
			printf("%-9s ok: %s\n", r->platforms[i].name, p->url);
		else if (p->success)
			printf("%-9s ok: post %s\n", r->platforms[i].name,
			       p->post_id ? p->post_id : "-");
		else
			printf("%-9s failed: %s\n", r->platforms[i].name,
			       publish_error(p) ? publish_error(p) : "?");
	}
	if (r->archived)
		printf("archived: %s\n", r->archived_as ? r->archived_as : r->image);
	if (workflow_error(r))
		printf("error:    %s\n", workflow_error(r));
}

void cmd_finish(struct workflow_env *env, struct config *cfg)
{
	ai_close(env->ai);
	storage_close(env->storage);
	state_close(env->state);
	*env = (struct workflow_env){ 0 };
	config_release(cfg);
	image_shutdown();
	log_shutdown();
	sanitize_clear_secrets();
}
