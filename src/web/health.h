/* health.h - the probes of a replica behind a proxy or an orchestrator:
 * /health/live (the process answers) and /health/ready (its state and
 * storage answer too). /health stays upstream's constant answer. */
#ifndef PHOTOPUB_WEB_HEALTH_H
#define PHOTOPUB_WEB_HEALTH_H

#include "web/routes.h"

int web_h_health_live(struct web_request *rq);
int web_h_health_ready(struct web_request *rq);

#endif
