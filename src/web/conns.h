/* conns.h - the web server's connections, as libmicrohttpd opens and closes
 * them: the limit per client, the deadline for a whole request head and for
 * a whole body (whatever trickle of bytes a client sends), and room made
 * near the connection limit by closing the oldest connections that are
 * still waiting for a head. The dispatcher tells what each connection waits
 * for; a sweeper thread closes the overdue. */
#ifndef PHOTOPUB_WEB_CONNS_H
#define PHOTOPUB_WEB_CONNS_H

#include <stdbool.h>
#include <sys/socket.h>
#include "util/error.h"

struct web_conns_limits {
	unsigned max;            /* connections at once (also libmicrohttpd's limit) */
	unsigned per_client;     /* connections one client may hold: an IPv4
				    address, or an IPv6 /64 */
	int head_timeout_s;      /* from accept, or from the last response, to a whole head */
	int body_timeout_s;      /* from the head to the whole body */
	const char *exempt;      /* comma-separated addresses held to max only
				    (trusted proxies: many clients each); may be NULL */
};

/* Past this many open connections, each new one closes the oldest that is
 * waiting for a request head: 15/16 of max. */
unsigned web_conns_high_water(unsigned max);

struct web_conns;
struct web_conn;

/* Starts the registry and its sweeper (the limits are copied, exempt too). */
int web_conns_new(const struct web_conns_limits *lim, struct web_conns **out,
		  struct pp_error *err);
/* Stops the sweeper and frees the registry: after libmicrohttpd has
 * stopped, as it reports each closed connection here. */
void web_conns_free(struct web_conns *cs);

/* libmicrohttpd's accept policy: whether a connection from addr may be
 * taken (false when its client holds per_client already). Near the limit,
 * makes room first: the oldest connection waiting for a head is closed. */
bool web_conns_admit(struct web_conns *cs, const struct sockaddr *addr, socklen_t len);

/* A connection libmicrohttpd accepted, on socket fd: its record (the
 * connection's socket context), waiting for a head. Never NULL. */
struct web_conn *web_conns_opened(struct web_conns *cs, const struct sockaddr *addr,
				  socklen_t len, int fd);
/* libmicrohttpd closed it (before closing fd); c is freed. NULL is ignored. */
void web_conns_closed(struct web_conns *cs, struct web_conn *c);

/* What a connection waits for from now on. */
enum web_conn_phase {
	CONN_HEAD, /* a request head: after accept and after each response */
	CONN_BODY, /* the body of the request whose head is in */
	CONN_BUSY, /* nothing: its request is read, the handler or the response runs */
};

/* Sets what c waits for, and since when: now. c may be NULL. */
void web_conns_phase(struct web_conns *cs, struct web_conn *c, enum web_conn_phase phase);

/* The caller's slot for the request c is reading (NULL: none): the
 * registry only keeps it, so that whoever sees the connection close can
 * free a request libmicrohttpd gave up on without ending it. c may be NULL. */
void web_conn_set_request(struct web_conn *c, void *request);
void *web_conn_request(const struct web_conn *c);

/* Connections open now (those closed by a deadline or to make room are
 * counted until libmicrohttpd has closed them). */
unsigned web_conns_open(struct web_conns *cs);

#endif
