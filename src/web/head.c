/* head.c - the checks on a request head (head.h), one row each in
 * head_checks[]: the head's size, the target's length, obsolete line
 * folding, conflicting framing, transfer codings other than chunked. They read the head as libmicrohttpd parsed
 * it; each row says what it relies on. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "web/head.h"

/* What a check sees. */
struct head {
	struct MHD_Connection *mhd;
	const char *method; /* the first byte of the head */
	size_t size;        /* bytes of the head, 0 when libmicrohttpd did not say */
	const char *target;
};

/* ---- size --------------------------------------------------------------- */

static bool too_large(const struct head *h)
{
	return h->size > WEB_HEAD_MAX;
}

static bool target_too_long(const struct head *h)
{
	return strlen(h->target) > WEB_TARGET_MAX;
}

/* ---- obsolete line folding ---------------------------------------------- */

/* libmicrohttpd 0.9.75 parses the head in place, in the buffer it read it
 * into, which starts with the method. A line that starts with a space or a
 * tab (obs-fold, RFC 9112 section 5.2) it joins to the line before by
 * appending it to that header's *name*, copied for that elsewhere in the
 * connection's memory: so a folded header's name lies outside the bytes of
 * the head. A fold right after the request line leaves a name that starts
 * with white space. Either way the header reached this server other than
 * as sent, where a proxy in front may have read it as a header of its own:
 * RFC 9112 lets a server refuse it with 400, and this one does. Later
 * versions of libmicrohttpd parse heads differently; the end-to-end test
 * of folding says whether they still fold this way. */
struct fold_scan {
	uintptr_t start, end; /* the head's bytes */
	bool folded;
};

static enum MHD_Result scan_fold(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct fold_scan *s = cls;
	uintptr_t k = (uintptr_t)key;
	(void)kind;
	(void)value;
	if (key[0] == ' ' || key[0] == '\t' || (s->end > s->start && (k < s->start || k >= s->end))) {
		s->folded = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static bool folded(const struct head *h)
{
	struct fold_scan s = { .start = (uintptr_t)h->method,
			       .end = h->size ? (uintptr_t)h->method + h->size : 0 };
	MHD_get_connection_values(h->mhd, MHD_HEADER_KIND, scan_fold, &s);
	return s.folded;
}

/* ---- framing ------------------------------------------------------------ */

/* Counts the Content-Length and Transfer-Encoding header lines. */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	unsigned *n = cls;
	(void)kind;
	(void)value;
	if (!strcasecmp(key, "Content-Length"))
		n[0]++;
	else if (!strcasecmp(key, "Transfer-Encoding"))
		n[1]++;
	return MHD_YES;
}

/* Two Content-Length lines, or Content-Length with Transfer-Encoding: a
 * body whose end a proxy and this server could see in different places,
 * the start of request smuggling. */
static bool framing_conflicts(const struct head *h)
{
	unsigned n[2] = { 0, 0 };
	MHD_get_connection_values(h->mhd, MHD_HEADER_KIND, count_framing, n);
	return n[0] > 1 || (n[0] && n[1]);
}

/* A Transfer-Encoding that is not exactly "chunked" ("chunked, identity",
 * "gzip", two lines of it): codings this server does not decode, where a
 * proxy in front may decode one more or one less, and see another body
 * end. RFC 9112 section 6.1 answers them 501. */
static enum MHD_Result scan_coding(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	unsigned *odd = cls;
	(void)kind;
	if (!strcasecmp(key, "Transfer-Encoding") && (odd[1]++ || !value || strcasecmp(value, "chunked")))
		odd[0] = 1;
	return MHD_YES;
}

static bool unknown_coding(const struct head *h)
{
	unsigned odd[2] = { 0, 0 }; /* found, lines seen */
	MHD_get_connection_values(h->mhd, MHD_HEADER_KIND, scan_coding, odd);
	return odd[0] != 0;
}

/* ---- the table ---------------------------------------------------------- */

static const struct head_check {
	bool (*fails)(const struct head *h);
	struct head_refusal refusal;
} head_checks[] = {
	{ too_large, { 431, "Request header fields too large (at most 16384 bytes in all)" } },
	{ target_too_long, { 414, "Request target too long (at most 8192 bytes)" } },
	{ folded, { 400, "Obsolete line folding in the request head" } },
	{ framing_conflicts, { 400, "Conflicting Content-Length or Transfer-Encoding" } },
	{ unknown_coding, { 501, "Transfer-Encoding other than chunked is not supported" } },
};

_Static_assert(WEB_HEAD_MAX == 16384 && WEB_TARGET_MAX == 8192, "the messages name the limits");

int web_head_check(struct MHD_Connection *mhd, const char *method, const char *target,
		   struct head_refusal *why)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct head h = { .mhd = mhd, .method = method, .size = ci ? ci->header_size : 0,
			  .target = target ? target : "" };
	for (size_t i = 0; i < sizeof(head_checks) / sizeof(head_checks[0]); i++) {
		if (head_checks[i].fails(&h)) {
			*why = head_checks[i].refusal;
			return -1;
		}
	}
	return 0;
}
