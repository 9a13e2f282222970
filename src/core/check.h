/* check.h - the configuration checks that need the layers above config. */
#ifndef PHOTOPUB_CORE_CHECK_H
#define PHOTOPUB_CORE_CHECK_H

#include "config/config.h"

/* The storage backend's settings, every enabled platform's, what a platform
 * needs of the storage, and that a run has a platform at all. Meant for
 * config_options.check, so config_load runs it: fills e, returns -1. */
int check_config(const struct config *cfg, const struct config_options *opts,
		 struct config_error *e);

/* The settings of every platform and storage backend, for
 * config_options.modules: a NULL-terminated list of static tables. */
const struct config_module *const *check_config_modules(void);

#endif
