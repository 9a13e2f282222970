/* problems.h - config's own use of the problem list of struct config_error
 * (config.h has the public part: config_fail, config_warn, config_hint). */
#ifndef PHOTOPUB_CONFIG_PROBLEMS_H
#define PHOTOPUB_CONFIG_PROBLEMS_H

#include "config/config.h"

/* The problem added last, or NULL when the list was full. */
struct config_problem *config_last_problem(struct config_error *e);

/* Fills e's own fields again from its first error, after a change to it
 * (a line found later). */
void config_refresh_first(struct config_error *e);

#endif
