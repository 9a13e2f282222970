/* source.h - whether a file named on the command line (--config, --env)
 * can be read as one: there, not a folder, readable. */
#ifndef PHOTOPUB_CONFIG_SOURCE_H
#define PHOTOPUB_CONFIG_SOURCE_H

#include "config/config.h"

/* 0 when path is a file (or a pipe, a device) this process can open for
 * reading; else adds the problem to e ("FILE: is a folder, not a <what>",
 * "FILE: the <what> does not exist", "FILE: cannot read the <what>:
 * Permission denied") and returns -1. what: "configuration file", ".env
 * file". Never blocks. */
int config_check_source(const char *path, const char *what, struct config_error *e);

#endif
