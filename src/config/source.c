/* source.c - checks a file named on the command line before it is read as
 * a configuration or .env file: a folder, a missing file or a file this
 * process may not read each get their own message. Pipes and devices are
 * read like files (--env /dev/null, --env <(pass show photopub)). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/source.h"

int config_check_source(const char *path, const char *what, struct config_error *e)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			return config_fail(e, path, NULL, NULL, "the %s does not exist", what);
		return config_fail(e, path, NULL, NULL, "cannot read the %s: %s", what, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return config_fail(e, path, NULL, NULL, "is a folder, not a %s", what);
	/* Non-blocking: a FIFO with no writer yet opens without waiting. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return config_fail(e, path, NULL, NULL, "cannot read the %s: %s", what, strerror(errno));
	close(fd);
	return 0;
}
