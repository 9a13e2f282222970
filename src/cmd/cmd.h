/* cmd.h - the commands of the photopub binary and what they share.
 *
 * To add a command: write src/cmd/<name>.c with `int cmd_<name>(int argc,
 * char **argv)`, declare it here, add its row to the table in commands.c
 * (its --help is the row's usage text), add tests under tests/e2e and
 * document it in README.md. */
#ifndef PHOTOPUB_CMD_CMD_H
#define PHOTOPUB_CMD_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "core/workflow.h"

/* Exit codes (DESIGN §5). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,   /* the workflow ran and failed */
	EXIT_USAGE = 2,    /* usage or configuration error */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv); /* its entry point */
	const char *summary;   /* one line for the command list */
	const char *usage;     /* the whole --help text of the command */
};

/* Entry points. argv[0] is the command name; each returns an exit code and
 * releases everything it set up. */
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_keep(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_check(int argc, char **argv);
/* Reports an unknown command (argv[2]) as a usage error. */
int cmd_unknown(int argc, char **argv);

/* The table of commands, ending with a NULL name (commands.c). */
extern const struct command commands[];

/* Writes a usage_error line (and the hint to use --help); returns EXIT_USAGE. */
int cmd_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The global option --log-format auto|json|text (anywhere before "--",
 * for every command) and PHOTOPUB_LOG_FORMAT: sets the form of stderr's
 * lines (auto: text when stderr is a terminal) and removes the option from
 * argv (*argc shrinks). 0, or EXIT_USAGE after the usage_error line. */
int cmd_log_format(int *argc, char **argv);

struct option;

/* The options of a command's argv, for cmd_getopt: getopt_long over opts
 * (shortopts as getopt's, without the leading ':'; NULL: none). */
struct cmd_getopt {
	const char *command;
	int argc;
	char **argv;
	const char *shortopts;
	const struct option *opts;
	bool started;
};

/* The next option of g, as getopt_long returns it (-1 at the first
 * operand, at optind), starting from argv[1] on the first call. A missing
 * value or an unknown option writes the usage_error line and returns '?':
 * the caller returns EXIT_USAGE. */
int cmd_getopt(struct cmd_getopt *g);

/* The options of a command that takes only --config FILE, --env FILE and
 * --json (and operands): parsed from argv into *a, optind left at the first
 * operand. 0, or EXIT_USAGE after the usage_error line. */
struct cmd_config_args {
	const char *config, *env;
	bool json;
};
int cmd_config_args(const char *command, int argc, char **argv, struct cmd_config_args *a);

/* Loads the configuration for a command, logging a `config_error` line per
 * problem found (every one, in order) and returning -1 on failure (the caller exits with EXIT_USAGE). Applies the
 * configured log level unless force_debug. */
int cmd_load_config(const struct config_options *opts, struct config *cfg, bool force_debug);

/* Parses the time of option opt (--since, --until) of command: the forms
 * of ts_parse_bound. 0, or EXIT_USAGE after the usage_error line. */
int cmd_time_bound(const char *command, const char *opt, const char *arg, int64_t *ms);

/* Opens --log-file; logs and returns -1 on failure. */
int cmd_open_log_file(const char *path);

/* The log inputs of stats, trace and report: the LOGFILEs named, else
 * standard input (files NULL, n 0) when it is not a terminal, else the
 * default log file (config_default_log_path), announced by a
 * `log_input_default` line. */
struct cmd_inputs {
	char **files;
	int n;
	char *default_path;  /* owned; files points at it when it is the input */
};

/* Fills the default when in (files and n set to the operands) names none
 * and standard input is a terminal. 0, or EXIT_USAGE after the usage_error
 * line when that file cannot be read. cmd_inputs_release frees it. */
int cmd_log_inputs(const char *command, struct cmd_inputs *in);
void cmd_inputs_release(struct cmd_inputs *in);

/* Checks the enabled platforms' settings and opens the services the
 * pipeline runs on (libvips, state, storage, AI) into *env, whose cfg must
 * be set. Returns 0, or the exit code after logging why: EXIT_USAGE for a
 * platform's configuration (`config_error`), EXIT_FAILED when a service
 * cannot start (`startup_error`). env is released by cmd_finish either way. */
int cmd_open_services(struct workflow_env *env, const char *argv0, bool read_only);

/* The lines of a run's result after its image: each platform's answer,
 * where the image was archived, why the run failed. */
void cmd_print_platforms(const struct workflow_result *r);

/* The caption the run sent (its first lines when long, with a note of the
 * rest) and its alt text, for the summary after the image (summary.c). */
void cmd_print_caption(const struct workflow_result *r);

/* Closes what cmd_open_services opened, releases the configuration, stops
 * libvips and the logger. */
void cmd_finish(struct workflow_env *env, struct config *cfg);

#endif
