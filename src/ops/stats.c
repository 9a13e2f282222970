/* stats.c - the aggregation of stats.h: classifies each line, picks out the
 * events that carry latencies and adds them to the series of their group;
 * reads large files in parts on several threads. Owns the series and their
 * hash index. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ops/logread.h"
#include "ops/stats.h"
#include "types/stage.h"
#include "util/buf.h"

const unsigned stats_percentiles[4] = { 500, 900, 950, 990 };
const char *const stats_percentile_names[4] = { "p50", "p90", "p95", "p99" };

/* ---- groups ------------------------------------------------------------- */

static uint32_t hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static void group_init(struct stats_group *g, size_t limit)
{
	memset(g, 0, sizeof(*g));
	g->limit = limit;
}

static void group_release(struct stats_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		hist_release(&g->v[i]->h);
		free(g->v[i]->name);
		free(g->v[i]);
	}
	free(g->v);
	free(g->slots);
	memset(g, 0, sizeof(*g));
}

static void group_index(struct stats_group *g, size_t i)
{
	const char *name = g->v[i]->name;
	size_t mask = g->nslots - 1, at = hash_bytes(name, strlen(name)) & mask;
	while (g->slots[at])
		at = (at + 1) & mask;
	g->slots[at] = (uint32_t)i + 1;
}

static struct stats_series *group_lookup(const struct stats_group *g, const char *name, size_t n)
{
	if (!g->nslots)
		return NULL;
	size_t mask = g->nslots - 1, at = hash_bytes(name, n) & mask;
	for (; g->slots[at]; at = (at + 1) & mask) {
		struct stats_series *s = g->v[g->slots[at] - 1];
		if (s->len == n && memcmp(s->name, name, n) == 0)
			return s;
	}
	return NULL;
}

static struct stats_series *group_add(struct stats_group *g, const char *name, size_t n)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	struct stats_series *s = xcalloc(1, sizeof(*s));
	s->name = xstrndup(name, n);
	s->len = n;
	g->v[g->n++] = s;
	if (g->n * 2 > g->nslots) {
		free(g->slots);
		g->nslots = g->nslots ? g->nslots * 2 : 64;
		while (g->n * 2 > g->nslots)
			g->nslots *= 2;
		g->slots = xcalloc(g->nslots, sizeof(*g->slots));
		for (size_t i = 0; i < g->n; i++)
			group_index(g, i);
	} else {
		group_index(g, g->n - 1);
	}
	return s;
}

/* The series called name (n bytes), created when new; "(other)" once the
 * group is full, counting `weight` samples into the overflow. */
static struct stats_series *group_get_w(struct stats_group *g, const char *name, size_t n,
					uint64_t weight)
{
	struct stats_series *s = group_lookup(g, name, n);
	if (s)
		return s;
	size_t named = g->n - (group_lookup(g, STATS_OTHER, strlen(STATS_OTHER)) ? 1 : 0);
	if (named < g->limit)
		return group_add(g, name, n);
	g->overflow += weight;
	s = group_lookup(g, STATS_OTHER, strlen(STATS_OTHER));
	return s ? s : group_add(g, STATS_OTHER, strlen(STATS_OTHER));
}

static struct stats_series *group_get(struct stats_group *g, const char *name, size_t n)
{
	return group_get_w(g, name, n, 1);
}

static void group_merge(struct stats_group *dst, const struct stats_group *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct stats_series *s = src->v[i];
		struct stats_series *d = group_get_w(dst, s->name, s->len, s->events);
		d->events += s->events;
		d->errors += s->errors;
		d->success += s->success;
		d->failure += s->failure;
		hist_merge(&d->h, &s->h);
	}
	dst->overflow += src->overflow;
}

const struct stats_series *stats_group_find(const struct stats_group *g, const char *name,
					    bool nocase)
{
	if (!nocase)
		return group_lookup(g, name, strlen(name));
	for (size_t i = 0; i < g->n; i++)
		if (!strcasecmp(g->v[i]->name, name))
			return g->v[i];
	return NULL;
}

/* Pipeline position of a workflow_timing key, for the output order: the
 * stage table's order, each platform's time right after the stage that
 * runs the platforms, other keys and "other" before the whole run. */
static int stage_rank(const char *name)
{
	int s = stage_by_key(name, strlen(name));
	if (s >= 0)
		return stage_defs[s].flags & STAGE_WHOLE ? 1000 : s * 10;
	if (!strncmp(name, "publish_", 8))
		for (size_t i = 0; i < STAGE_COUNT; i++)
			if (stage_defs[i].flags & STAGE_PLATFORMS)
				return (int)i * 10 + 5;
	if (!strcmp(name, STATS_OTHER))
		return 900;
	return 800;
}

static int cmp_pipeline(const void *a, const void *b)
{
	const struct stats_series *x = *(const struct stats_series *const *)a;
	const struct stats_series *y = *(const struct stats_series *const *)b;
	int rx = stage_rank(x->name), ry = stage_rank(y->name);
	return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct stats_series *x = *(const struct stats_series *const *)a;
	const struct stats_series *y = *(const struct stats_series *const *)b;
	bool ox = !strcmp(x->name, STATS_OTHER), oy = !strcmp(y->name, STATS_OTHER);
	if (ox != oy)
		return ox ? 1 : -1;
	return strcmp(x->name, y->name);
}

const struct stats_series **stats_group_sorted(const struct stats_group *g, bool pipeline_order)
{
	const struct stats_series **v = xmalloc((g->n + 1) * sizeof(*v));
	for (size_t i = 0; i < g->n; i++)
		v[i] = g->v[i];
	qsort(v, g->n, sizeof(*v), pipeline_order ? cmp_pipeline : cmp_name);
	v[g->n] = NULL;
	return v;
}

/* ---- lines ---------------------------------------------------------------- */

void stats_init(struct stats *st)
{
	memset(st, 0, sizeof(*st));
	group_init(&st->stages, STATS_MAX_SERIES);
	group_init(&st->web, STATS_MAX_SERIES);
	group_init(&st->http, STATS_MAX_HTTP);
	group_init(&st->publishers, STATS_MAX_SERIES);
}

void stats_release(struct stats *st)
{
	group_release(&st->stages);
	group_release(&st->web);
	group_release(&st->http);
	group_release(&st->publishers);
	stats_cost_release(&st->cost);
	memset(st, 0, sizeof(*st));
}

static bool ends_with_ms(const struct ll_value *k)
{
	return k->n > 3 && memcmp(k->p + k->n - 3, "_ms", 3) == 0;
}

/* The member's value as a sample: a non-negative number. */
static bool sample(const struct ll_value *v, uint64_t *out)
{
	int64_t x;
	if (!ll_int(v, &x) || x < 0)
		return false;
	*out = (uint64_t)x;
	return true;
}

/* A series through a per-member-position cache: lines of one event keep
 * their keys in the same order, so the cached series usually matches. */
static struct stats_series *cached_get(struct stats_group *g, struct stats_series **cache,
				       unsigned pos, const struct ll_value *key)
{
	struct stats_series *s = cache[pos];
	if (s && s->len == key->n && memcmp(s->name, key->p, key->n) == 0)
		return s;
	s = group_get(g, key->p, key->n);
	cache[pos] = s;
	return s;
}

static bool is_false(const struct ll_member *m)
{
	return m && m->val.type == LV_FALSE;
}

static void add_backend(struct stats *st, const char *name, size_t n)
{
	if (!n || n >= sizeof(st->backends[0]))
		return;
	for (size_t i = 0; i < st->nbackends; i++)
		if (strlen(st->backends[i]) == n && !memcmp(st->backends[i], name, n))
			return;
	if (st->nbackends < STATS_MAX_BACKENDS) {
		memcpy(st->backends[st->nbackends], name, n);
		st->backends[st->nbackends++][n] = '\0';
	}
}

const char *stats_backends(const struct stats *st, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < st->nbackends && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", st->backends[i]);
	return out;
}

static void add_timing(struct stats *st, const struct logline *l)
{
	bool failed = is_false(ll_find(l, "success"));
	st->runs++;
	if (failed)
		st->failed_runs++;
	for (unsigned i = 4; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		if (m->key.escaped || !ends_with_ms(&m->key))
			continue;
		uint64_t v;
		bool have = sample(&m->val, &v);
		if (!have && m->val.type != LV_NULL)
			continue;
		struct stats_series *s = cached_get(&st->stages, st->stage_cache, i, &m->key);
		s->events++;
		if (!have)
			continue;
		hist_add(&s->h, v);
		if (failed)
			s->errors++;
	}
}

static void add_web(struct stats *st, const struct logline *l)
{
	const struct ll_value *msg = &l->m[3].val;
	bool error = msg->n > 6 && memcmp(msg->p + msg->n - 6, "_error", 6) == 0;
	for (unsigned i = 4; i < l->n; i++) {
		const struct ll_member *m = &l->m[i];
		if (m->key.escaped || m->key.n < 8 || memcmp(m->key.p, "web_", 4) != 0 ||
		    !ends_with_ms(&m->key))
			continue;
		uint64_t v;
		bool have = sample(&m->val, &v);
		if (!have && m->val.type != LV_NULL)
			continue;
		struct stats_series *s = cached_get(&st->web, st->web_cache, i, &m->key);
		s->events++;
		if (have)
			hist_add(&s->h, v);
		if (error)
			s->errors++;
	}
}

static void add_http(struct stats *st, const struct logline *l)
{
	const struct ll_member *method = ll_find(l, "method"), *route = ll_find(l, "route"),
			       *path = ll_find(l, "path"), *status = ll_find(l, "status"),
			       *dur = ll_find(l, "duration_ms");
	int64_t code;
	if (!method || method->val.type != LV_STRING || !status || !ll_int(&status->val, &code) ||
	    code < 100 || code > 599)
		return;
	const struct ll_member *where = route && route->val.type == LV_STRING && route->val.n ? route
					: path && path->val.type == LV_STRING ? path : NULL;
	if (!where)
		return;
	char key[600];
	size_t n = ll_copy(&method->val, key, 32);
	key[n++] = ' ';
	n += ll_copy(&where->val, key + n, 512);
	n += (size_t)snprintf(key + n, sizeof(key) - n, " %dxx", (int)(code / 100));
	struct stats_series *s = group_get(&st->http, key, n);
	s->events++;
	st->requests++;
	if (code >= 500) {
		st->requests_5xx++;
		s->errors++;
	}
	uint64_t v;
	if (dur && sample(&dur->val, &v))
		hist_add(&s->h, v);
}

static void add_publish(struct stats *st, const struct logline *l)
{
	const struct ll_member *platform = ll_find(l, "platform"), *ok = ll_find(l, "success"),
			       *dur = ll_find(l, "duration_ms");
	char name[128];
	size_t n;
	if (platform && platform->val.type == LV_STRING && platform->val.n) {
		n = ll_copy(&platform->val, name, sizeof(name));
	} else {
		const struct ll_value *logger = &l->m[2].val;
		if (logger->escaped || logger->n <= 10 || memcmp(logger->p, "publisher.", 10))
			return;
		n = ll_copy(&(struct ll_value){ logger->p + 10, logger->n - 10, LV_STRING, false },
			    name, sizeof(name));
	}
	struct stats_series *s = group_get(&st->publishers, name, n);
	s->events++;
	if (ok && ok->val.type == LV_TRUE) {
		s->success++;
	} else if (ok && ok->val.type == LV_FALSE) {
		s->failure++;
		s->errors++;
	}
	uint64_t v;
	if (dur && sample(&dur->val, &v))
		hist_add(&s->h, v);
}

#define MSG_IS(v, lit) ((v)->n == sizeof(lit) - 1 && memcmp((v)->p, lit, sizeof(lit) - 1) == 0)

void stats_add_line(struct stats *st, const char *s, size_t n, bool too_long)
{
	if (too_long) {
		st->lines++;
		st->truncated++;
		return;
	}
	struct logline l;
	stats_add_parsed(st, logline_parse(s, n, &l), &l);
}

bool stats_add_parsed(struct stats *st, enum ll_kind kind, const struct logline *l)
{
	switch (kind) {
	case LL_BLANK: return false;
	case LL_NOT_JSON: st->lines++; st->not_json++; return false;
	case LL_TRUNCATED: st->lines++; st->truncated++; return false;
	case LL_FOREIGN: st->lines++; st->foreign++; return false;
	case LL_OURS: break;
	}
	st->lines++;
	st->ours++;
	if ((st->has_since && l->ts_ms < st->since_ms) || (st->has_until && l->ts_ms >= st->until_ms))
		return false;
	if (st->in_window++ == 0 || l->ts_ms < st->first_ms)
		st->first_ms = l->ts_ms;
	if (st->in_window == 1 || l->ts_ms > st->last_ms)
		st->last_ms = l->ts_ms;

	const struct ll_value *msg = &l->m[3].val, *logger = &l->m[2].val;
	if (msg->escaped)
		return true;
	if (MSG_IS(msg, "workflow_timing"))
		add_timing(st, l);
	else if (MSG_IS(msg, "publisher_publish"))
		add_publish(st, l);
	else if (MSG_IS(msg, "http_request"))
		add_http(st, l);
	else if (MSG_IS(msg, "vision_analysis") || MSG_IS(msg, "caption_call"))
		stats_cost_add(&st->cost, l);
	else if (MSG_IS(msg, "images_listed")) {
		const struct ll_member *b = ll_find(l, "storage");
		if (b && b->val.type == LV_STRING && !b->val.escaped)
			add_backend(st, b->val.p, b->val.n);
	}
	else if (msg->n > 4 && memcmp(msg->p, "web_", 4) == 0 && MSG_IS(logger, "web"))
		add_web(st, l);
	return true;
}

/* Adds everything src counted to dst (src unchanged). */
static void stats_merge(struct stats *dst, const struct stats *src)
{
	dst->lines += src->lines;
	dst->not_json += src->not_json;
	dst->truncated += src->truncated;
	dst->foreign += src->foreign;
	dst->ours += src->ours;
	dst->bytes += src->bytes;
	if (src->in_window) {
		if (!dst->in_window || src->first_ms < dst->first_ms)
			dst->first_ms = src->first_ms;
		if (!dst->in_window || src->last_ms > dst->last_ms)
			dst->last_ms = src->last_ms;
		dst->in_window += src->in_window;
	}
	dst->runs += src->runs;
	dst->failed_runs += src->failed_runs;
	dst->requests += src->requests;
	dst->requests_5xx += src->requests_5xx;
	group_merge(&dst->stages, &src->stages);
	group_merge(&dst->web, &src->web);
	group_merge(&dst->http, &src->http);
	group_merge(&dst->publishers, &src->publishers);
	stats_cost_merge(&dst->cost, &src->cost);
	for (size_t i = 0; i < src->nbackends; i++)
		add_backend(dst, src->backends[i], strlen(src->backends[i]));
}

/* ---- reading --------------------------------------------------------------- */

/* Large plain files are cut at line boundaries into parts read by one thread
 * each; every part has its own struct stats, merged in file order at the end
 * (histograms merge exactly, so the result is the same as one pass). */
#define PART_MIN_BYTES ((uint64_t)16 << 20)
#define MAX_PARTS 8

struct part {
	const char *path;
	uint64_t off, len;
	struct stats st;
	struct pp_error err;
	int rc;
};

static int read_stream(struct stats *st, struct logread *r, struct pp_error *err)
{
	struct logline_raw line;
	int rc;
	while ((rc = logread_next(r, &line, err)) > 0)
		stats_add_line(st, line.s, line.n, line.too_long);
	st->bytes += logread_bytes(r);
	return rc < 0 ? -1 : 0;
}

static void *part_run(void *arg)
{
	struct part *p = arg;
	struct logread *r;
	p->rc = logread_open_range(p->path, p->off, p->len, &r, &p->err);
	if (p->rc == 0) {
		p->rc = read_stream(&p->st, r, &p->err);
		logread_close(r);
	}
	return NULL;
}

/* How many parts path is worth (1: read it as a stream), with the offsets
 * where they start (cut[0] = 0, cut[n] = size). */
static unsigned plan_parts(const char *path, uint64_t cut[MAX_PARTS + 1])
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	unsigned n = 1;
	unsigned char magic[2];
	if (fd < 0)
		return 1;
	if (cpus < 2 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size < 2 * PART_MIN_BYTES || pread(fd, magic, 2, 0) != 2 ||
	    (magic[0] == 0x1f && magic[1] == 0x8b))
		goto out;
	uint64_t size = (uint64_t)sb.st_size;
	n = (unsigned)(cpus < MAX_PARTS ? cpus : MAX_PARTS);
	if (size / PART_MIN_BYTES < n)
		n = (unsigned)(size / PART_MIN_BYTES);
	cut[0] = 0;
	cut[n] = size;
	char buf[64 * 1024];
	for (unsigned k = 1; k < n; k++) {
		/* The part starts after the first '\n' at or after the even split. */
		uint64_t pos = size / n * k - 1, at = size;
		if (pos < cut[k - 1])
			pos = cut[k - 1];
		while (pos < size) {
			ssize_t got = pread(fd, buf, sizeof(buf), (off_t)pos);
			if (got <= 0)
				break;
			char *nl = memchr(buf, '\n', (size_t)got);
			if (nl) {
				at = pos + (uint64_t)(nl - buf) + 1;
				break;
			}
			pos += (uint64_t)got;
		}
		cut[k] = at;
	}
out:
	close(fd);
	return n;
}

static int read_parts(struct stats *st, const char *path, unsigned n,
		      const uint64_t cut[MAX_PARTS + 1], struct pp_error *err)
{
	struct part parts[MAX_PARTS];
	pthread_t tid[MAX_PARTS];
	bool started[MAX_PARTS] = { false };
	int rc = 0;
	for (unsigned k = 0; k < n; k++) {
		parts[k] = (struct part){ .path = path, .off = cut[k], .len = cut[k + 1] - cut[k] };
		stats_init(&parts[k].st);
		parts[k].st.has_since = st->has_since;
		parts[k].st.since_ms = st->since_ms;
		parts[k].st.has_until = st->has_until;
		parts[k].st.until_ms = st->until_ms;
	}
	for (unsigned k = 1; k < n; k++)
		started[k] = pthread_create(&tid[k], NULL, part_run, &parts[k]) == 0;
	part_run(&parts[0]);
	for (unsigned k = 1; k < n; k++) {
		if (started[k])
			pthread_join(tid[k], NULL);
		else
			part_run(&parts[k]);
	}
	for (unsigned k = 0; k < n; k++) {
		if (parts[k].rc < 0 && rc == 0) {
			*err = parts[k].err;
			rc = -1;
		}
		stats_merge(st, &parts[k].st);
		stats_release(&parts[k].st);
	}
	return rc;
}

int stats_read(struct stats *st, const char *path, struct pp_error *err)
{
	uint64_t cut[MAX_PARTS + 1];
	unsigned n = path && strcmp(path, "-") ? plan_parts(path, cut) : 1;
	if (n > 1)
		return read_parts(st, path, n, cut, err);
	struct logread *r;
	if (logread_open(path, &r, err) < 0)
		return -1;
	int rc = read_stream(st, r, err);
	logread_close(r);
	return rc;
}
