/* conns.c - the registry of the web server's connections and its sweeper
 * (conns.h): the limit per client, the head and body deadlines, and room
 * made near the connection limit.
 *
 * Why a sweeper thread: libmicrohttpd's connection timeout counts idle time
 * only, so a client that sends one byte every few seconds holds its
 * connection for ever, and libmicrohttpd calls the dispatcher only once a
 * head is whole, so no request code ever sees a head that never ends. The
 * registry learns of each connection from libmicrohttpd (accept, close) and
 * of its requests from the dispatcher (head in, request read, response
 * sent); four times a second the sweeper shuts down, with shutdown(2), the
 * socket of each connection past its deadline. It never closes the
 * descriptor, which stays libmicrohttpd's: the thread that serves the
 * connection sees its end in its own event loop and closes it as it closes
 * any, so no thread acts on another's connection. libmicrohttpd reports a
 * connection closed before it closes its descriptor, and that report takes
 * the registry's lock, as every shutdown does: a shutdown never reaches a
 * descriptor number already given to another connection. A connection
 * whose request is read (its handler running, perhaps on a worker lane
 * with the connection suspended) has no deadline here.
 *
 * The records are one list in the order the connections were accepted, so
 * the oldest waiting for a head is the first such in it; counting a
 * client's connections walks the list (at most `max` records, a few
 * microseconds). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "web/conns.h"
#include "web/request.h"

#define LOGGER "web"
#define SWEEP_NS (250 * 1000000LL)
#define REPORT_NS (1000 * 1000000LL)

struct web_conn {
	struct web_conn *prev, *next;
	unsigned char client[16];  /* the client key: an IPv4 address as ::ffff:a.b.c.d, an IPv6 /64 */
	bool exempt;               /* not limited per client */
	int fd;
	enum web_conn_phase phase;
	int64_t since;             /* when it began to wait for what phase says */
	bool shut;                 /* shut down by a deadline or to make room */
	void *request;             /* the caller's (web_conn_set_request) */
};

/* Connections closed since the last web_connections_dropped line. */
struct dropped {
	unsigned head_deadline, body_deadline, evicted, refused;
};

struct web_conns {
	struct web_conns_limits lim;
	char *exempt;
	pthread_mutex_t lock;        /* everything below */
	pthread_cond_t wake;
	struct web_conn *head, *tail;
	unsigned open;               /* records in the list */
	unsigned live;               /* of them, not shut */
	struct dropped dropped;
	bool stop;
	pthread_t sweeper;
};

unsigned web_conns_high_water(unsigned max)
{
	return max - max / 16;
}

/* The client a peer address stands for: IPv4 addresses one each (in their
 * IPv6-mapped form), IPv6 addresses by their /64, the block one host is
 * given; its text, for the exempt list, when text is not NULL. */
static void client_of(const struct sockaddr *sa, socklen_t len, unsigned char key[16],
		      char *text, size_t n)
{
	memset(key, 0, 16);
	if (text)
		snprintf(text, n, "unknown");
	if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct in_addr *a = &((const struct sockaddr_in *)sa)->sin_addr;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &a->s_addr, 4);
		if (text)
			inet_ntop(AF_INET, a, text, (socklen_t)n);
	} else if (sa && sa->sa_family == AF_INET6 &&
		   len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(key, a->s6_addr, 16);
			if (text)
				inet_ntop(AF_INET, a->s6_addr + 12, text, (socklen_t)n);
		} else {
			memcpy(key, a->s6_addr, 8);
			if (text)
				inet_ntop(AF_INET6, a, text, (socklen_t)n);
		}
	}
}

static bool is_exempt(const struct web_conns *cs, const char *text)
{
	return cs->exempt && *cs->exempt && request_list_has(cs->exempt, text);
}

/* Closes c's connection for reason (a counter of cs->dropped). Locked. */
static void shut(struct web_conns *cs, struct web_conn *c, unsigned *reason)
{
	shutdown(c->fd, SHUT_RDWR);
	c->shut = true;
	cs->live--;
	(*reason)++;
}

/* Makes room: the oldest connection waiting for a head. Locked. */
static void evict_oldest_waiting(struct web_conns *cs)
{
	for (struct web_conn *c = cs->head; c; c = c->next) {
		if (!c->shut && c->phase == CONN_HEAD) {
			shut(cs, c, &cs->dropped.evicted);
			return;
		}
	}
}

bool web_conns_admit(struct web_conns *cs, const struct sockaddr *addr, socklen_t len)
{
	unsigned char key[16];
	char text[INET6_ADDRSTRLEN];
	client_of(addr, len, key, text, sizeof(text));
	bool exempt = is_exempt(cs, text);
	bool ok = true;
	pthread_mutex_lock(&cs->lock);
	if (!exempt) {
		unsigned held = 0;
		for (struct web_conn *c = cs->head; c; c = c->next)
			held += !c->shut && !memcmp(c->client, key, 16);
		if (held >= cs->lim.per_client) {
			cs->dropped.refused++;
			ok = false;
		}
	}
	if (ok && cs->live >= web_conns_high_water(cs->lim.max))
		evict_oldest_waiting(cs);
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

struct web_conn *web_conns_opened(struct web_conns *cs, const struct sockaddr *addr,
				  socklen_t len, int fd)
{
	struct web_conn *c = xcalloc(1, sizeof(*c));
	char text[INET6_ADDRSTRLEN];
	client_of(addr, len, c->client, text, sizeof(text));
	c->exempt = is_exempt(cs, text);
	c->fd = fd;
	c->phase = CONN_HEAD;
	c->since = now_monotonic();
	pthread_mutex_lock(&cs->lock);
	c->prev = cs->tail;
	if (cs->tail)
		cs->tail->next = c;
	else
		cs->head = c;
	cs->tail = c;
	cs->open++;
	cs->live++;
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void web_conns_closed(struct web_conns *cs, struct web_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&cs->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		cs->tail = c->prev;
	cs->open--;
	if (!c->shut)
		cs->live--;
	pthread_mutex_unlock(&cs->lock);
	free(c);
}

void web_conns_phase(struct web_conns *cs, struct web_conn *c, enum web_conn_phase phase)
{
	if (!c)
		return;
	int64_t now = now_monotonic();
	pthread_mutex_lock(&cs->lock);
	c->phase = phase;
	c->since = now;
	pthread_mutex_unlock(&cs->lock);
}

unsigned web_conns_open(struct web_conns *cs)
{
	pthread_mutex_lock(&cs->lock);
	unsigned n = cs->open;
	pthread_mutex_unlock(&cs->lock);
	return n;
}

/* Shuts every connection past its deadline. Locked. */
static void sweep(struct web_conns *cs, int64_t now)
{
	const int64_t head_ns = (int64_t)cs->lim.head_timeout_s * 1000000000;
	const int64_t body_ns = (int64_t)cs->lim.body_timeout_s * 1000000000;
	for (struct web_conn *c = cs->head; c; c = c->next) {
		if (c->shut)
			continue;
		if (c->phase == CONN_HEAD && now - c->since > head_ns)
			shut(cs, c, &cs->dropped.head_deadline);
		else if (c->phase == CONN_BODY && now - c->since > body_ns)
			shut(cs, c, &cs->dropped.body_deadline);
	}
}

/* One line for all the connections closed or refused since the last one,
 * at most one a second: a flood of them is not a flood of lines. */
static void report(const struct dropped *d, unsigned open)
{
	log_warning(LOGGER, "web_connections_dropped", NULL, LF_INT("head_deadline", d->head_deadline),
		    LF_INT("body_deadline", d->body_deadline), LF_INT("evicted", d->evicted),
		    LF_INT("refused", d->refused), LF_INT("open", open));
}

static void *sweeper_main(void *arg)
{
	struct web_conns *cs = arg;
	int64_t last_report = now_monotonic();
	pthread_mutex_lock(&cs->lock);
	while (!cs->stop) {
		int64_t next = now_monotonic() + SWEEP_NS;
		struct timespec ts = { .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 };
		pthread_cond_timedwait(&cs->wake, &cs->lock, &ts);
		if (cs->stop)
			break;
		int64_t now = now_monotonic();
		sweep(cs, now);
		struct dropped d = cs->dropped;
		if (now - last_report >= REPORT_NS &&
		    (d.head_deadline || d.body_deadline || d.evicted || d.refused)) {
			unsigned open = cs->open;
			cs->dropped = (struct dropped){ 0 };
			last_report = now;
			pthread_mutex_unlock(&cs->lock);
			report(&d, open);
			pthread_mutex_lock(&cs->lock);
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

int web_conns_new(const struct web_conns_limits *lim, struct web_conns **out,
		  struct pp_error *err)
{
	struct web_conns *cs = xcalloc(1, sizeof(*cs));
	pthread_condattr_t ca;
	cs->lim = *lim;
	cs->exempt = xstrdup(lim->exempt ? lim->exempt : "");
	cs->lim.exempt = cs->exempt;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&cs->sweeper, NULL, sweeper_main, cs) != 0) {
		pthread_cond_destroy(&cs->wake);
		pthread_mutex_destroy(&cs->lock);
		free(cs->exempt);
		free(cs);
		return pp_fail(err, "web", "cannot start the connection sweeper");
	}
	*out = cs;
	return 0;
}

void web_conns_free(struct web_conns *cs)
{
	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	cs->stop = true;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
	pthread_join(cs->sweeper, NULL);
	/* libmicrohttpd has reported every connection closed; any left is a
	 * record it never closed (it stopped without its report). */
	for (struct web_conn *c = cs->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&cs->wake);
	pthread_mutex_destroy(&cs->lock);
	free(cs->exempt);
	free(cs);
}

/* Only libmicrohttpd's thread of the connection touches its slot. */
void web_conn_set_request(struct web_conn *c, void *request)
{
	if (c)
		c->request = request;
}

void *web_conn_request(const struct web_conn *c)
{
	return c ? c->request : NULL;
}
