/* head.h - the checks a request head must pass before anything reads it:
 * obsolete line folding, and framing that two parsers could read
 * two ways. One table of checks, tried in order; each refusal closes the
 * connection, so nothing after a refused head is read as a request. */
#ifndef PHOTOPUB_WEB_HEAD_H
#define PHOTOPUB_WEB_HEAD_H

#include <microhttpd.h>
#include <stddef.h>

/* Why a head is refused. */
struct head_refusal {
	int status;          /* 400 */
	const char *message; /* static: the reply's detail */
};

/* Checks the head of the request on mhd, whose headers are in: method is
 * the pointer the access handler was given (it starts the head as
 * libmicrohttpd received it), target the raw request target. Returns 0
 * when it passes; -1 with *why filled when it must be refused. */
int web_head_check(struct MHD_Connection *mhd, const char *method, const char *target,
		   struct head_refusal *why);

#endif
