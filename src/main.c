/* main.c - the photopub binary: finds the command in the table and runs it.
 * `photopub --config FILE …` without a command word means `run`, as the
 * upstream CLI had none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"

static void print_help(void)
{
	printf("photopub %s - photo-publishing pipeline\n\n"
	       "usage: photopub COMMAND [OPTIONS]\n"
	       "       photopub --config FILE [OPTIONS]   (same as `photopub run`)\n"
	       "       photopub --version | --help | COMMAND --help\n\n"
	       "Every command takes --log-format auto|json|text (or PHOTOPUB_LOG_FORMAT):\n"
	       "the form of the log lines on stderr; auto, the default, is text on a\n"
	       "terminal and JSON otherwise. --log-file always gets JSON.\n\n"
	       "Commands:\n",
	       PHOTOPUB_VERSION);
	for (const struct command *c = commands; c->name; c++)
		printf("  %-8s %s\n", c->name, c->summary);
	printf("\nSee `photopub COMMAND --help` or `man photopub-COMMAND` for a command's options.\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	if (cmd_log_format(&argc, argv) != 0)
		return EXIT_USAGE;
	if (argc < 2) {
		print_help();
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (!strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
		const struct command *c = argc > 2 ? find_command(argv[2]) : NULL;
		if (c)
			fputs(c->usage, stdout);
		else
			print_help();
		return EXIT_OK;
	}
	if (!strcmp(first, "--version") || !strcmp(first, "version")) {
		printf("photopub %s\n", PHOTOPUB_VERSION);
		return EXIT_OK;
	}

	const struct command *cmd;
	int shift = 1;
	if (first[0] == '-') {
		cmd = find_command("run"); /* upstream form: options only */
		shift = 0;
	} else if (!(cmd = find_command(first))) {
		char *args[] = { argv[0], "--unknown-command", argv[1], NULL };
		return cmd_unknown(3, args);
	}
	for (int i = 1 + shift; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	return cmd->run(argc - shift, argv + shift);
}
