/* head.h - the checks a request head must pass before anything reads it:
 * its size, obsolete line folding, and framing that two parsers could read
 * two ways. One table of checks, tried in order; each refusal closes the
 * connection, so nothing after a refused head is read as a request. */
#ifndef PHOTOPUB_WEB_HEAD_H
#define PHOTOPUB_WEB_HEAD_H

#include <microhttpd.h>
#include <stddef.h>

/* The largest request head answered (request line and header lines), and
 * the largest request target within it. libmicrohttpd's own memory per
 * connection (WEB_CONNECTION_MEMORY) is larger, so that heads between the
 * two are still read whole and answered by the dispatcher, with its
 * headers and log line. It holds the head and, besides, a record of some
 * 48 bytes for every header line and every query argument: a 16 KiB head
 * of 4-byte lines, or an 8 KiB target of bare '&'s, needs about 200 KiB of
 * records. Past its memory libmicrohttpd cannot even send its own 431 and
 * the client gets no answer. The memory is mapped when a connection opens
 * but only what a head uses becomes resident. */
#define WEB_HEAD_MAX (16 * 1024)
#define WEB_TARGET_MAX (8 * 1024)
#define WEB_CONNECTION_MEMORY (512 * 1024)

/* Why a head is refused. */
struct head_refusal {
	int status;          /* 400, 414, 431 or 501 */
	const char *message; /* static: the reply's detail */
};

/* Checks the head of the request on mhd, whose headers are in: method is
 * the pointer the access handler was given (it starts the head as
 * libmicrohttpd received it), target the raw request target. Returns 0
 * when it passes; -1 with *why filled when it must be refused. */
int web_head_check(struct MHD_Connection *mhd, const char *method, const char *target,
		   struct head_refusal *why);

#endif
