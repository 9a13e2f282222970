/* proc.h - who this process is, as a string another process can test for
 * liveness: the host, the boot, the pid and the pid's start time. A pid
 * alone is not enough, since pids are reused and a reboot restarts them. */
#ifndef PHOTOPUB_UTIL_PROC_H
#define PHOTOPUB_UTIL_PROC_H

#include <stddef.h>

#define PROC_OWNER_MAX 192

/* "host=<name> boot=<boot id> pid=<pid> start=<ticks since boot>". */
void proc_owner(char out[PROC_OWNER_MAX]);

enum proc_liveness {
	PROC_DEAD,       /* same host: that process is gone, or the host rebooted */
	PROC_ALIVE,      /* same host and boot: it still runs */
	PROC_ELSEWHERE,  /* another host (or an unreadable owner): cannot tell */
};

enum proc_liveness proc_owner_liveness(const char *owner);

#endif
