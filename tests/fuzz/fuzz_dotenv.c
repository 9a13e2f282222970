/* fuzz_dotenv.c - a .env file's text through dotenv_parse, the parser of
 * dotenv_load: export prefixes, quotes, escapes, comments, the BOM; each
 * variable is checked against the rules and dropped, the environment is
 * never touched. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "config/dotenv.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

/* A name is [A-Za-z_][A-Za-z0-9_]*: anything else is a parser defect. */
static void check_var(const char *key, const char *value, void *arg)
{
	size_t *count = arg;
	if (!*key || !(isalpha((unsigned char)key[0]) || key[0] == '_'))
		abort();
	for (const char *p = key + 1; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			abort();
	(void)strlen(value);
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	size_t count = 0;
	int n = dotenv_parse(text, "/fuzz/.env", check_var, &count);
	if (n < 0 || (size_t)n != count)
		abort();
	free(text);
	return 0;
}
