/* metrics.h - the counters behind GET /metrics, in the Prometheus text
 * exposition format (version 0.0.4). Updates are lock-free atomics: the
 * request path takes no lock for them. */
#ifndef PHOTOPUB_WEB_METRICS_H
#define PHOTOPUB_WEB_METRICS_H

#include "telemetry/observe.h"
#include "util/buf.h"

struct web_metrics;

/* route_names: the route templates, by index (copied pointers: static). */
struct web_metrics *web_metrics_new(const char *const *route_names, size_t nroutes);
void web_metrics_free(struct web_metrics *m);

/* One request: route is an index into route_names, or -1 when none matched. */
void web_metrics_observe_request(struct web_metrics *m, const char *method, int route,
				 int status, double seconds);

/* The observer that feeds photopub_stage_duration_seconds and
 * photopub_publish_total; valid as long as m. */
const struct observer *web_metrics_observer(struct web_metrics *m);

/* Appends the exposition text. */
void web_metrics_render(struct web_metrics *m, struct buf *out);

#endif
