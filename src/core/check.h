/* check.h - the configuration checks that need the layers above config. */
#ifndef PHOTOPUB_CORE_CHECK_H
#define PHOTOPUB_CORE_CHECK_H

#include "config/config.h"

/* The storage backend's settings, every enabled platform's, what a platform
 * needs of the storage, and that a run has a platform at all. Meant for
 * config_options.check, so config_load runs it: adds every problem to e,
 * returns -1 when there was one. */
int check_config(const struct config *cfg, const struct config_options *opts,
		 struct config_error *e);

struct publisher_ops;

/* One platform's settings (its validate) and what it needs of the storage
 * backend: adds every problem to e, returns -1 when there was one. */
int check_platform(const struct config *cfg, const struct publisher_ops *p,
		   struct config_error *e);

/* The settings of every platform and storage backend, for
 * config_options.modules: a NULL-terminated list of static tables. */
const struct config_module *const *check_config_modules(void);

#endif
