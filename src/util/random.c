/* random.c - random_bytes of random.h, on getrandom(2). */
#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>
#include "util/random.h"

int random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
