/* crash_shim.c - an LD_PRELOAD library that kills the process with SIGKILL
 * at one chosen rename, the way a power cut or `kill -9` would, so the
 * crash-consistency tests can stop a run at an exact point.
 *
 *   PHOTOPUB_CRASH_RENAME  an fnmatch(3) pattern for the rename's new name.
 *                          With a '/', it is matched against the whole path
 *                          (where '*' matches '/' too); without, only a bare
 *                          name (a rename relative to a folder) matches it.
 *   PHOTOPUB_CRASH_AFTER   "1": rename first, then die; otherwise die before.
 *   PHOTOPUB_CRASH_NTH     die at the Nth matching rename (default 1). */
#include <dlfcn.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int seen;

static int matches(const char *newpath)
{
	const char *pat = getenv("PHOTOPUB_CRASH_RENAME");
	if (!pat || !*pat || !newpath)
		return 0;
	int flags = strchr(pat, '/') ? 0 : FNM_PATHNAME;
	if (fnmatch(pat, newpath, flags) != 0)
		return 0;
	const char *nth = getenv("PHOTOPUB_CRASH_NTH");
	int want = nth ? atoi(nth) : 1;
	return atomic_fetch_add(&seen, 1) + 1 == want;
}

static int after(void)
{
	const char *a = getenv("PHOTOPUB_CRASH_AFTER");
	return a && !strcmp(a, "1");
}

static void die(void)
{
	kill(getpid(), SIGKILL);
	_exit(137);
}

#define WRAP(call)                          \
	do {                                \
		int hit = matches(newpath); \
		if (hit && !after())        \
			die();              \
		int rc = call;              \
		if (hit)                    \
			die();              \
		return rc;                  \
	} while (0)

int rename(const char *oldpath, const char *newpath)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	WRAP(real(oldpath, newpath));
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	static int (*real)(int, const char *, int, const char *);
	if (!real)
		real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	WRAP(real(olddirfd, oldpath, newdirfd, newpath));
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);
	if (!real)
		real = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(
			RTLD_NEXT, "renameat2");
	WRAP(real(olddirfd, oldpath, newdirfd, newpath, flags));
}
