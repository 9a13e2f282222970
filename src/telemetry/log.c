/* log.c - log_json: renders one JSON object per line and writes it whole.
 *
 * Owns the log sinks (stderr, the optional --log-file) and the minimum level.
 * With the text format (log_set_format), stderr gets logtext.c's human line
 * instead and the file keeps the JSON one.
 * Rendering is lock-free into a per-call buffer; only the write(2) calls run
 * under the sink lock, so a reopen (SIGHUP, logrotate) never splits a line. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "telemetry/log.h"
#include "telemetry/logtext.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/utf8.h"

static atomic_int min_level = LOG_INFO;
static atomic_bool to_stderr = true;
static atomic_bool text_stderr; /* stderr gets log_render_text lines, the file JSON */
static atomic_bool text_colour;
/* Writers of a line up to PIPE_BUF bytes share the lock: one write(2) of
 * such a line is atomic on a pipe, a tty and (position included) a regular
 * file, so they need not wait for each other — only for a reopen, which
 * takes the lock alone. Longer lines take it alone too. */
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
/* (writers first: with readers first, a reopen could wait forever behind a
 * steady stream of lines) */
#define SHARED_WRITE_MAX 4096
static int file_fd = -1;
static char *file_path;

static const char *const level_names[] = { "debug", "info", "warning", "error" };

void log_set_level(enum log_level level) { atomic_store(&min_level, (int)level); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&min_level); }
bool log_enabled(enum log_level level) { return (int)level >= atomic_load(&min_level); }
void log_set_stderr(bool on) { atomic_store(&to_stderr, on); }

void log_set_format(enum log_format format, bool colour)
{
	atomic_store(&text_stderr, format == LOG_FORMAT_TEXT);
	atomic_store(&text_colour, colour);
}

enum log_format log_get_format(void)
{
	return atomic_load(&text_stderr) ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
}

int log_format_parse(const char *name)
{
	if (!strcasecmp(name, "json"))
		return LOG_FORMAT_JSON;
	if (!strcasecmp(name, "text"))
		return LOG_FORMAT_TEXT;
	if (!strcasecmp(name, "auto"))
		return isatty(2) ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
	return -1;
}

int log_level_parse(const char *name)
{
	if (!strcasecmp(name, "warn"))
		return LOG_WARNING;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(name, level_names[i]))
			return i;
	return -1;
}

/* ---- rendering ---------------------------------------------------------- */

/* A small output buffer: starts on the caller's stack, moves to the heap
 * only for long lines. */
struct out {
	char *p;
	size_t len, cap;
	bool heap;
};

static void out_grow(struct out *o, size_t extra)
{
	if (o->len + extra <= o->cap)
		return;
	size_t cap = o->cap * 2;
	while (cap < o->len + extra)
		cap *= 2;
	if (o->heap) {
		o->p = xrealloc(o->p, cap);
	} else {
		char *p = xmalloc(cap);
		memcpy(p, o->p, o->len);
		o->p = p;
		o->heap = true;
	}
	o->cap = cap;
}

static inline void out_add(struct out *o, const char *s, size_t n)
{
	out_grow(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define OUT_LIT(o, lit) out_add((o), (lit), sizeof(lit) - 1)

static inline void out_c(struct out *o, char c)
{
	out_grow(o, 1);
	o->p[o->len++] = c;
}

/* Bytes that need escaping in a JSON string. */
static unsigned char needs_escape[256];
static pthread_once_t escape_once = PTHREAD_ONCE_INIT;

static void escape_init(void)
{
	for (int c = 0; c < 0x20; c++)
		needs_escape[c] = 1;
	needs_escape['"'] = needs_escape['\\'] = needs_escape[0x7f] = 1;
	for (int c = 0x80; c < 0x100; c++)
		needs_escape[c] = 1;
}

/* Appends one ASCII byte, escaped as JSON needs it. */
static void out_escaped_ascii(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	switch (c) {
	case '"': OUT_LIT(o, "\\\""); return;
	case '\\': OUT_LIT(o, "\\\\"); return;
	case '\n': OUT_LIT(o, "\\n"); return;
	case '\r': OUT_LIT(o, "\\r"); return;
	case '\t': OUT_LIT(o, "\\t"); return;
	}
	if (c < 0x20 || c == 0x7f) {
		char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		out_add(o, e, 6);
	} else {
		out_c(o, (char)c);
	}
}

/* Appends s as a JSON string (with quotes), sanitized and escaped in one pass. */
static void out_string(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	out_c(o, '"');
	while (i < n) {
		unsigned char c = u[i];
		if (sanitize_worth_checking(s, n, i)) {
			size_t keep = 0, m = sanitize_match(s, n, i, &keep);
			if (m) {
				out_add(o, s + run, i - run);
				/* the kept prefix: ASCII, but a blank may be a tab */
				for (size_t k = 0; k < keep; k++)
					out_escaped_ascii(o, u[i + k]);
				OUT_LIT(o, REDACTED);
				i += m;
				run = i;
				continue;
			}
		}
		if (!needs_escape[c]) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			size_t l = utf8_decode(s + i, n - i, &cp);
			if (cp != UTF8_BAD) {
				i += l;
				continue;
			}
			/* one U+FFFD for each invalid subpart (util/utf8.h) */
			out_add(o, s + run, i - run);
			OUT_LIT(o, "\\ufffd");
			i += l;
			run = i;
			continue;
		}
		out_add(o, s + run, i - run);
		out_escaped_ascii(o, c);
		run = ++i;
	}
	out_add(o, s + run, n - run);
	out_c(o, '"');
}

/* Appends a key: escaped like any string, but not sanitized (keys are the
 * program's own names, never data). */
static void out_key(struct out *o, const char *k)
{
	size_t n = strlen(k);
	for (size_t i = 0; i < n; i++)
		if (needs_escape[(unsigned char)k[i]]) {
			out_string(o, k, n);
			return;
		}
	out_c(o, '"');
	out_add(o, k, n);
	out_c(o, '"');
}

static void out_int(struct out *o, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof(tmp), *p = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	out_add(o, p, (size_t)(e - p));
}

static void out_double(struct out *o, double d)
{
	if (!isfinite(d)) {
		OUT_LIT(o, "null");
		return;
	}
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", d);
	/* Shortest form that reads back the same. */
	for (int prec = 1; prec < 17; prec++) {
		char t2[32];
		int m = snprintf(t2, sizeof(t2), "%.*g", prec, d);
		if (strtod(t2, NULL) == d) {
			memcpy(tmp, t2, (size_t)m + 1);
			n = m;
			break;
		}
	}
	out_add(o, tmp, (size_t)n);
	if (!strpbrk(tmp, ".eE"))
		OUT_LIT(o, ".0");
}

static void out_json(struct out *o, const json_t *j, int depth)
{
	if (!j || depth > 32) {
		OUT_LIT(o, "null");
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		bool first = true;
		out_c(o, '{');
		json_object_foreach((json_t *)j, k, v) {
			if (!first)
				out_c(o, ',');
			first = false;
			out_string(o, k, strlen(k)); /* data: sanitized */
			out_c(o, ':');
			out_json(o, v, depth + 1);
		}
		out_c(o, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		out_c(o, '[');
		json_array_foreach((json_t *)j, i, v) {
			if (i)
				out_c(o, ',');
			out_json(o, v, depth + 1);
		}
		out_c(o, ']');
		break;
	}
	case JSON_STRING:
		out_string(o, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		out_int(o, (int64_t)json_integer_value(j));
		break;
	case JSON_REAL:
		out_double(o, json_real_value(j));
		break;
	case JSON_TRUE:
		OUT_LIT(o, "true");
		break;
	case JSON_FALSE:
		OUT_LIT(o, "false");
		break;
	case JSON_NULL:
		OUT_LIT(o, "null");
		break;
	}
}

static void put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "2026-11-28T10:15:02.113Z" (24 bytes) into ts. The formatted second is
 * cached per thread: gmtime_r runs once a second, not once a line. */
static void format_timestamp(char ts[24])
{
	static _Thread_local time_t cached_sec = (time_t)-1;
	static _Thread_local char cached[20];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_sec) {
		struct tm tm;
		gmtime_r(&now.tv_sec, &tm);
		put_digits(cached, (tm.tm_year + 1900) % 10000, 4);
		cached[4] = '-';
		put_digits(cached + 5, tm.tm_mon + 1, 2);
		cached[7] = '-';
		put_digits(cached + 8, tm.tm_mday, 2);
		cached[10] = 'T';
		put_digits(cached + 11, tm.tm_hour, 2);
		cached[13] = ':';
		put_digits(cached + 14, tm.tm_min, 2);
		cached[16] = ':';
		put_digits(cached + 17, tm.tm_sec, 2);
		cached_sec = now.tv_sec;
	}
	memcpy(ts, cached, 19);
	int ms = (int)(now.tv_nsec / 1000000);
	ts[19] = '.';
	ts[20] = (char)('0' + ms / 100);
	ts[21] = (char)('0' + ms / 10 % 10);
	ts[22] = (char)('0' + ms % 10);
	ts[23] = 'Z';
}

static void render(struct out *o, enum log_level level, const char *logger,
		   const char *event, const char *cid, const struct log_field *f)
{
	char ts[24];
	pthread_once(&escape_once, escape_init);
	format_timestamp(ts);
	OUT_LIT(o, "{\"timestamp\":\"");
	out_add(o, ts, sizeof(ts));
	OUT_LIT(o, "\",\"level\":\"");
	out_add(o, level_names[level], strlen(level_names[level]));
	OUT_LIT(o, "\",\"logger\":");
	out_key(o, logger ? logger : "photopub");
	OUT_LIT(o, ",\"message\":");
	out_key(o, event);
	if (cid) {
		OUT_LIT(o, ",\"correlation_id\":");
		out_string(o, cid, strlen(cid));
	}
	for (; f && f->type != LT_END; f++) {
		out_c(o, ',');
		out_key(o, f->key);
		out_c(o, ':');
		switch (f->type) {
		case LT_STR:
			if (f->v.s)
				out_string(o, f->v.s, strlen(f->v.s));
			else
				OUT_LIT(o, "null");
			break;
		case LT_INT:
			out_int(o, f->v.i);
			break;
		case LT_MS:
			if (f->v.i < 0)
				OUT_LIT(o, "null");
			else
				out_int(o, f->v.i);
			break;
		case LT_BOOL:
			if (f->v.b)
				OUT_LIT(o, "true");
			else
				OUT_LIT(o, "false");
			break;
		case LT_DOUBLE:
			out_double(o, f->v.d);
			break;
		case LT_JSON:
			out_json(o, f->v.json, 0);
			break;
		case LT_NULL:
		case LT_END:
			OUT_LIT(o, "null");
			break;
		}
	}
	OUT_LIT(o, "}\n");
}

size_t log_render(enum log_level level, const char *logger, const char *event,
		  const char *correlation_id, const struct log_field *fields, char **out)
{
	char stack[64];
	struct out o = { stack, 0, sizeof(stack), false };
	render(&o, level, logger, event, correlation_id, fields);
	char *p = xmalloc(o.len + 1);
	memcpy(p, o.p, o.len);
	p[o.len] = '\0';
	if (o.heap)
		free(o.p);
	*out = p;
	return o.len;
}

/* ---- sinks ------------------------------------------------------------- */

/* Writes whole lines (one or many) to the sinks. */
static void sink_write(const char *p, size_t n)
{
	if (n <= SHARED_WRITE_MAX)
		pthread_rwlock_rdlock(&sink_lock);
	else
		pthread_rwlock_wrlock(&sink_lock);
	if (atomic_load(&to_stderr) && !atomic_load(&text_stderr))
		fs_write_all(2, p, n);
	if (file_fd >= 0)
		fs_write_all(file_fd, p, n);
	pthread_rwlock_unlock(&sink_lock);
}

/* ---- the asynchronous writer (servers) ------------------------------------
 *
 * Under load, two threads writing every line to the same file serialize on
 * the file's lock in the kernel and sleep. With the writer on, log_json only
 * appends the rendered line to a queue (a memcpy under a short lock) and one
 * thread writes what has gathered: whole lines, many per write(2), in order.
 * Error lines, and log_shutdown(), wait until everything queued is written. */

#define QUEUE_MAX ((size_t)8 << 20) /* past this, producers wait: memory stays bounded */
#define BATCH_BYTES (64 * 1024)       /* a batch this large is written at once */
#define LINGER_NS (2 * 1000000)       /* else lines gather for up to 2 ms */

static struct {
	atomic_bool on;
	pthread_mutex_t mu;
	pthread_cond_t has_data, drained;
	struct buf q;
	uint64_t queued, written;   /* bytes ever queued / written: for waiting on a flush */
	bool stop;
	bool idle;                  /* the writer waits for a first line */
	int flushes;                /* callers waiting for everything to be written */
	pthread_t tid;
} aw = { .mu = PTHREAD_MUTEX_INITIALIZER, .has_data = PTHREAD_COND_INITIALIZER,
	 .drained = PTHREAD_COND_INITIALIZER };

/* The writer: sleeps until a line comes, lets lines gather for a moment
 * (so a busy server wakes it once per many lines, not once per line), then
 * writes them all. */
static void *writer_main(void *arg)
{
	struct buf batch = BUF_INIT;
	(void)arg;
	pthread_mutex_lock(&aw.mu);
	for (;;) {
		while (aw.q.len == 0 && !aw.stop) {
			aw.idle = true;
			pthread_cond_wait(&aw.has_data, &aw.mu);
		}
		aw.idle = false;
		if (aw.q.len == 0 && aw.stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += LINGER_NS;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (aw.q.len < BATCH_BYTES && !aw.stop && aw.flushes == 0)
			if (pthread_cond_timedwait(&aw.has_data, &aw.mu, &until) == ETIMEDOUT)
				break;
		struct buf t = batch;
		batch = aw.q;
		aw.q = t;
		buf_reset(&aw.q);
		pthread_mutex_unlock(&aw.mu);
		sink_write(batch.data, batch.len);
		pthread_mutex_lock(&aw.mu);
		aw.written += batch.len;
		buf_reset(&batch);
		pthread_cond_broadcast(&aw.drained);
	}
	pthread_mutex_unlock(&aw.mu);
	buf_release(&batch);
	return NULL;
}

/* Waits until every byte queued so far is written. */
static void wait_written(void)
{
	pthread_mutex_lock(&aw.mu);
	uint64_t target = aw.queued;
	aw.flushes++;
	pthread_cond_signal(&aw.has_data);
	while (aw.written < target)
		pthread_cond_wait(&aw.drained, &aw.mu);
	aw.flushes--;
	pthread_mutex_unlock(&aw.mu);
}

void log_set_async(bool on)
{
	pthread_mutex_lock(&aw.mu);
	bool running = atomic_load(&aw.on);
	if (on && !running) {
		aw.stop = false;
		static bool cond_ready;
		if (!cond_ready) {
			pthread_condattr_t ca;
			pthread_condattr_init(&ca);
			pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
			pthread_cond_destroy(&aw.has_data);
			pthread_cond_init(&aw.has_data, &ca);
			pthread_condattr_destroy(&ca);
			cond_ready = true;
		}
		/* The writer takes no signal: they belong to the program's own
		 * handling (a server's sigwait loop). */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (pthread_create(&aw.tid, NULL, writer_main, NULL) == 0)
			atomic_store(&aw.on, true);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_mutex_unlock(&aw.mu);
		return;
	}
	if (!on && running) {
		atomic_store(&aw.on, false);
		aw.stop = true;
		pthread_cond_signal(&aw.has_data);
		pthread_mutex_unlock(&aw.mu);
		pthread_join(aw.tid, NULL);
		buf_release(&aw.q);
		return;
	}
	pthread_mutex_unlock(&aw.mu);
}

static bool enqueue(const char *p, size_t n)
{
	pthread_mutex_lock(&aw.mu);
	if (!atomic_load(&aw.on) || aw.stop) {
		pthread_mutex_unlock(&aw.mu);
		return false;
	}
	while (aw.q.len + n > QUEUE_MAX && !aw.stop)
		pthread_cond_wait(&aw.drained, &aw.mu);
	buf_add(&aw.q, p, n);
	aw.queued += n;
	if (aw.idle || aw.q.len >= BATCH_BYTES)
		pthread_cond_signal(&aw.has_data);
	pthread_mutex_unlock(&aw.mu);
	return true;
}

void log_json(enum log_level level, const char *logger, const char *event,
	      const char *correlation_id, const struct log_field *fields)
{
	if (!log_enabled(level))
		return;
	if (atomic_load(&text_stderr) && atomic_load(&to_stderr)) {
		char *text;
		size_t n = log_render_text(level, logger, event, correlation_id, fields,
					   atomic_load(&text_colour), &text);
		pthread_rwlock_rdlock(&sink_lock); /* a short line: one atomic write */
		fs_write_all(2, text, n);
		pthread_rwlock_unlock(&sink_lock);
		free(text);
	}
	char stack[2048];
	struct out o = { stack, 0, sizeof(stack), false };
	render(&o, level, logger, event, correlation_id, fields);
	if (atomic_load(&aw.on) && enqueue(o.p, o.len)) {
		if (level >= LOG_ERROR)
			wait_written(); /* an error line is on disk before we go on */
	} else {
		sink_write(o.p, o.len);
	}
	if (o.heap)
		free(o.p);
}

static int open_log(const char *path, struct pp_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		pp_fail(err, "log", "cannot open log file %s: %s", path, strerror(errno));
	return fd;
}

int log_set_file(const char *path, struct pp_error *err)
{
	int fd = -1;
	if (path && (fd = open_log(path, err)) < 0)
		return -1;
	pthread_rwlock_wrlock(&sink_lock);
	if (file_fd >= 0)
		close(file_fd);
	free(file_path);
	file_fd = fd;
	file_path = path ? xstrdup(path) : NULL;
	pthread_rwlock_unlock(&sink_lock);
	return 0;
}

bool log_has_file(void)
{
	pthread_rwlock_rdlock(&sink_lock);
	bool on = file_fd >= 0;
	pthread_rwlock_unlock(&sink_lock);
	return on;
}

int log_reopen(struct pp_error *err)
{
	/* Lines queued before the signal belong to the old file. */
	log_flush();
	pthread_rwlock_wrlock(&sink_lock);
	int rc = 0;
	if (file_path) {
		int fd = open_log(file_path, err);
		if (fd < 0) {
			rc = -1; /* keep writing to the old file */
		} else {
			close(file_fd);
			file_fd = fd;
		}
	}
	pthread_rwlock_unlock(&sink_lock);
	return rc;
}

void log_flush(void)
{
	if (atomic_load(&aw.on))
		wait_written();
}

void log_shutdown(void)
{
	log_set_async(false);
	log_set_file(NULL, NULL);
}
