/* proc.c - the process identity of proc.h, read from /proc and uname(2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "util/proc.h"

static void read_line(const char *path, char *out, size_t n)
{
	out[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)n, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Field 22 of /proc/<pid>/stat, the start time in clock ticks since boot;
 * 0 when the process does not exist. The command name (field 2) may hold
 * spaces and parentheses: the fields after it start after the last ')'. */
static unsigned long long start_time(long pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	read_line(path, line, sizeof(line));
	char *p = strrchr(line, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void host_and_boot(char host[65], char boot[48])
{
	struct utsname u;
	snprintf(host, 65, "%s", uname(&u) == 0 ? u.nodename : "?");
	for (char *c = host; *c; c++)
		if (*c == ' ' || *c == '=')
			*c = '_';
	read_line("/proc/sys/kernel/random/boot_id", boot, 48);
	if (!boot[0] || strchr(boot, ' '))
		snprintf(boot, 48, "?");
}

void proc_owner(char out[PROC_OWNER_MAX])
{
	char host[65], boot[48];
	host_and_boot(host, boot);
	long pid = (long)getpid();
	snprintf(out, PROC_OWNER_MAX, "host=%s boot=%s pid=%ld start=%llu", host, boot, pid,
		 start_time(pid));
}

enum proc_liveness proc_owner_liveness(const char *owner)
{
	char host[65], boot[48], ohost[65], oboot[48];
	long pid = 0;
	unsigned long long start = 0;
	if (!owner || sscanf(owner, "host=%64s boot=%47s pid=%ld start=%llu", ohost, oboot, &pid,
			     &start) != 4 || pid <= 0)
		return PROC_ELSEWHERE;
	host_and_boot(host, boot);
	if (strcmp(host, ohost) != 0)
		return PROC_ELSEWHERE;
	if (strcmp(boot, oboot) != 0 || !strcmp(boot, "?"))
		return strcmp(boot, "?") ? PROC_DEAD : PROC_ELSEWHERE;
	unsigned long long now = start_time(pid);
	return now != 0 && now == start ? PROC_ALIVE : PROC_DEAD;
}
