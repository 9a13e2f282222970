/* budget.h - latency and error-rate budgets checked against struct stats,
 * so that a cron job or a CI step can gate on a log.
 *
 * A budget file is INI with one section, [budget]; keys are case-insensitive:
 *   workflow.STAGE.STAT       a workflow_timing stage (total_ms, vision_analysis_ms, …)
 *   web.EVENT.STAT            a web event time (web_analyze_ms, …)
 *   http.METHOD ROUTE CLASS.STAT   an http series as `stats` names it
 *                             ("http.GET /api/images/random 2xx.p99")
 *   publisher.PLATFORM.STAT   publisher_publish duration_ms of one platform
 *   error_rate.workflow       failed runs / runs
 *   error_rate.http           5xx responses / requests
 *   error_rate.web.EVENT      error events / events (web_analyze_ms, …)
 *   error_rate.PLATFORM       failures / publishes (also error_rate.publisher.PLATFORM)
 * STAT is p1 … p100 (nearest rank) or max; latency limits are milliseconds,
 * error-rate limits a fraction from 0 to 1. A budget holds when the measured
 * value is at most the limit; a series without data holds ("no data"). */
#ifndef PHOTOPUB_OPS_BUDGET_H
#define PHOTOPUB_OPS_BUDGET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "ops/stats.h"

enum budget_status { BUDGET_NO_DATA, BUDGET_OK, BUDGET_VIOLATED };

struct budget {
	char *key;              /* as read (lowercased) */
	int line;
	bool error_rate;
	int group;              /* latency: 0 stages, 1 web, 2 http, 3 publishers;
				   error rate: 0 workflow, 1 web, 2 http, 3 publisher */
	char *series;           /* NULL for error_rate.workflow / error_rate.http */
	unsigned per_mille;     /* latency: 1..1000 (1000 = max) */
	double limit;
	/* budget_check fills: */
	enum budget_status status;
	double measured;
};

struct budget_set {
	struct budget *v;
	size_t n;
};

/* Why a budget file was refused: the line and key at fault (when one). */
struct budget_error {
	int line;
	char key[256];
	char msg[320];
};

/* Reads path. -1 with *e filled when the file cannot be read, has a syntax
 * error, holds an unknown section or key, a bad value, or no budget at all.
 * The caller releases *out (also after a failure). */
int budget_load(const char *path, struct budget_set *out, struct budget_error *e);
void budget_release(struct budget_set *b);

/* Measures every budget against st; returns how many are violated. */
size_t budget_check(struct budget_set *b, const struct stats *st);

/* The budget table for a terminal, and as a JSON array (caller owns it). */
void budget_print(const struct budget_set *b, FILE *out);
json_t *budget_to_json(const struct budget_set *b);

#endif
