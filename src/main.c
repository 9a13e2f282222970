/* main.c - the photopub binary: finds the command in the table and runs it
 * from libphotopub.so.
 *
 * The binary links only libc: --help and --version answer at once, and the
 * module with libvips, libcurl and the rest is loaded only for a real
 * command. `photopub --config FILE …` without a command word means `run`, as
 * the upstream CLI had none. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"

#define MODULE_NAME "libphotopub.so"

static void print_help(void)
{
	printf("photopub %s - photo-publishing pipeline\n\n"
	       "usage: photopub COMMAND [OPTIONS]\n"
	       "       photopub --config FILE [OPTIONS]   (same as `photopub run`)\n"
	       "       photopub --version | --help | COMMAND --help\n\n"
	       "Commands:\n",
	       PHOTOPUB_VERSION);
	for (const struct command *c = commands; c->name; c++)
		printf("  %-8s %s\n", c->name, c->summary);
	printf("\nSee `photopub COMMAND --help` for a command's options.\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* The module beside the binary ($PHOTOPUB_MODULE overrides), then the
 * installed location ../lib/photopub/. */
/* RTLD_GLOBAL: libphotopub-image.so, loaded later by libphotopub.so,
 * resolves the core's functions (logging, buffers) there. */
static void *load_module(void)
{
	const char *env = getenv("PHOTOPUB_MODULE");
	if (env && *env)
		return dlopen(env, RTLD_NOW | RTLD_GLOBAL);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/" MODULE_NAME, exe);
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		snprintf(path, sizeof(path), "%s/../lib/photopub/" MODULE_NAME, exe);
		h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	}
	return h;
}

static int run_symbol(const char *symbol, int argc, char **argv)
{
	void *h = load_module();
	if (!h) {
		/* Without the module there is no logger: this one line is written by hand. */
		const char *e = dlerror();
		fprintf(stderr, "{\"level\":\"error\",\"logger\":\"cli\",\"message\":\"module_error\","
				"\"error\":\"cannot load " MODULE_NAME "\"}\n");
		(void)e;
		return EXIT_USAGE;
	}
	int (*fn)(int, char **) = (int (*)(int, char **))dlsym(h, symbol);
	if (!fn)
		return EXIT_USAGE;
	return fn(argc, argv);
}

int main(int argc, char **argv)
{
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
		return run_symbol("cmd_unknown", 3, args);
	}
	for (int i = 1 + shift; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	return run_symbol(cmd->symbol, argc - shift, argv + shift);
}
