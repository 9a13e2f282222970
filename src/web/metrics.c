/* metrics.c - Prometheus metrics of the web server.
 *
 *   http_server_request_duration_seconds{http_request_method, http_route,
 *       http_response_status_code}  histogram (OpenTelemetry's
 *       http.server.request.duration, its default buckets)
 *   photopub_stage_duration_seconds{stage}   histogram
 *   photopub_publish_total{platform, result} counter
 *   process_resident_memory_bytes, process_start_time_seconds
 *
 * Every series is a preallocated slot of atomic counters, indexed directly
 * (method × route × status, stage, platform), so an observation is a few
 * relaxed atomic adds: no lock, no allocation, no lookup by string on the
 * request path. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "publish/publisher.h"
#include "types/stage.h"
#include "web/metrics.h"

static const double http_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5,
				       0.75, 1, 2.5, 5, 7.5, 10 };
#define NHTTP_B (sizeof(http_buckets) / sizeof(http_buckets[0]))
static const double stage_buckets[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
					2.5, 5, 10, 30, 60, 120 };
#define NSTAGE_B (sizeof(stage_buckets) / sizeof(stage_buckets[0]))

static const char *const methods[] = { "GET", "POST", "HEAD", "PUT", "DELETE", "_OTHER" };
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
static const int statuses[] = { 200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408,
				409, 413, 415, 422, 429, 500, 501, 502, 503, 504 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */

struct hist {
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_us;      /* microseconds, so the sum is an integer add */
	atomic_uint_fast64_t bucket[16];  /* non-cumulative; rendered cumulative */
};

struct web_metrics {
	const char *const *routes;
	size_t nroutes;                   /* + 1 slot for "no route" */
	struct hist *http;                /* [method][route][status] */
	struct hist stage[STAGE_COUNT];   /* the stage table's rows */
	size_t nplatforms;                /* the publishers table's rows */
	struct hist *platform_time;       /* [platform]: publish_<platform> */
	atomic_uint_fast64_t (*publish)[2]; /* [platform][success, failure] */
	struct observer obs;
	double start_time;
};

static size_t method_index(const char *m)
{
	for (size_t i = 0; i < NMETHODS - 1; i++)
		if (!strcmp(m, methods[i]))
			return i;
	return NMETHODS - 1;
}

static size_t status_index(int s)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == s)
			return i;
	return NSTATUS - 1;
}

static void hist_observe(struct hist *h, const double *bounds, size_t nb, double seconds)
{
	size_t b = 0;
	while (b < nb && seconds > bounds[b])
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)(seconds * 1e6 + 0.5),
				  memory_order_relaxed);
}

static void on_stage(void *ctx, enum pp_stage stage, int64_t ms)
{
	struct web_metrics *m = ctx;
	hist_observe(&m->stage[stage], stage_buckets, NSTAGE_B, (double)ms / 1000.0);
}

/* Platforms come from the publishers table, so every one has its slots. */
static void on_publish(void *ctx, const char *platform, bool success, int64_t ms)
{
	struct web_metrics *m = ctx;
	int i = publisher_index(platform);
	if (i < 0 || (size_t)i >= m->nplatforms)
		return;
	atomic_fetch_add_explicit(&m->publish[i][success ? 0 : 1], 1, memory_order_relaxed);
	if (ms >= 0)
		hist_observe(&m->platform_time[i], stage_buckets, NSTAGE_B, (double)ms / 1000.0);
}

struct web_metrics *web_metrics_new(const char *const *route_names, size_t nroutes)
{
	struct web_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	m->routes = route_names;
	m->nroutes = nroutes + 1;
	m->http = calloc(NMETHODS * m->nroutes * NSTATUS, sizeof(struct hist));
	m->nplatforms = publisher_count();
	m->platform_time = calloc(m->nplatforms + 1, sizeof(*m->platform_time));
	m->publish = calloc(m->nplatforms + 1, sizeof(*m->publish));
	if (!m->http || !m->platform_time || !m->publish)
		abort();
	m->obs = (struct observer){ .ctx = m, .stage = on_stage, .publish = on_publish };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return m;
}

void web_metrics_free(struct web_metrics *m)
{
	if (!m)
		return;
	free(m->http);
	free(m->platform_time);
	free(m->publish);
	free(m);
}

const struct observer *web_metrics_observer(struct web_metrics *m)
{
	return &m->obs;
}

void web_metrics_observe_request(struct web_metrics *m, const char *method, int route,
				 int status, double seconds)
{
	if (!m)
		return;
	size_t r = route < 0 || (size_t)route >= m->nroutes - 1 ? m->nroutes - 1 : (size_t)route;
	struct hist *h = &m->http[(method_index(method) * m->nroutes + r) * NSTATUS +
				  status_index(status)];
	hist_observe(h, http_buckets, NHTTP_B, seconds);
}

/* Label values are the program's own strings (routes, names): no escaping
 * needed beyond what Prometheus requires of them, which they meet. */
static void render_hist(struct buf *out, const char *name, const char *labels,
			const struct hist *h, const double *bounds, size_t nb)
{
	uint64_t cum = 0;
	for (size_t b = 0; b < nb; b++) {
		cum += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
		buf_addf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, bounds[b],
			 (unsigned long long)cum);
	}
	cum += atomic_load_explicit(&h->bucket[nb], memory_order_relaxed);
	uint64_t count = atomic_load_explicit(&h->count, memory_order_relaxed);
	/* count and buckets are read at slightly different moments; keep the
	 * exposition consistent (+Inf == count). */
	if (count < cum)
		count = cum;
	buf_addf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)count);
	buf_addf(out, "%s_sum{%s} %.6f\n", name, labels,
		 (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
	buf_addf(out, "%s_count{%s} %llu\n", name, labels, (unsigned long long)count);
}

static long resident_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

void web_metrics_render(struct web_metrics *m, struct buf *out)
{
	char labels[512];
	buf_adds(out, "# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
		      "# TYPE http_server_request_duration_seconds histogram\n");
	for (size_t mi = 0; mi < NMETHODS; mi++)
		for (size_t r = 0; r < m->nroutes; r++)
			for (size_t s = 0; s < NSTATUS; s++) {
				const struct hist *h = &m->http[(mi * m->nroutes + r) * NSTATUS + s];
				if (!atomic_load_explicit(&h->count, memory_order_relaxed))
					continue;
				char code[8];
				if (s < NSTATUS - 1)
					snprintf(code, sizeof(code), "%d", statuses[s]);
				else
					snprintf(code, sizeof(code), "other");
				snprintf(labels, sizeof(labels),
					 "http_request_method=\"%s\",http_route=\"%s\","
					 "http_response_status_code=\"%s\"",
					 methods[mi], r < m->nroutes - 1 ? m->routes[r] : "", code);
				render_hist(out, "http_server_request_duration_seconds", labels, h,
					    http_buckets, NHTTP_B);
			}
	buf_adds(out, "# HELP photopub_stage_duration_seconds Duration of pipeline stages run by the server.\n"
		      "# TYPE photopub_stage_duration_seconds histogram\n");
	for (size_t i = 0; i < STAGE_COUNT; i++) {
		if (!atomic_load_explicit(&m->stage[i].count, memory_order_relaxed))
			continue;
		snprintf(labels, sizeof(labels), "stage=\"%s\"", stage_defs[i].name);
		render_hist(out, "photopub_stage_duration_seconds", labels, &m->stage[i],
			    stage_buckets, NSTAGE_B);
	}
	for (size_t i = 0; i < m->nplatforms; i++) {
		if (!atomic_load_explicit(&m->platform_time[i].count, memory_order_relaxed))
			continue;
		snprintf(labels, sizeof(labels), "stage=\"publish_%s\"", publishers[i]->name);
		render_hist(out, "photopub_stage_duration_seconds", labels, &m->platform_time[i],
			    stage_buckets, NSTAGE_B);
	}
	buf_adds(out, "# HELP photopub_publish_total Publish attempts by platform and result.\n"
		      "# TYPE photopub_publish_total counter\n");
	for (size_t i = 0; i < m->nplatforms; i++)
		for (int r = 0; r < 2; r++)
			buf_addf(out, "photopub_publish_total{platform=\"%s\",result=\"%s\"} %llu\n",
				 publishers[i]->name, r ? "failure" : "success",
				 (unsigned long long)atomic_load_explicit(&m->publish[i][r],
									  memory_order_relaxed));
	buf_addf(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		      "# TYPE process_resident_memory_bytes gauge\n"
		      "process_resident_memory_bytes %ld\n"
		      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
		      "# TYPE process_start_time_seconds gauge\n"
		      "process_start_time_seconds %.3f\n",
		 resident_bytes(), m->start_time);
}
