/* posted_before.h - whether an image was posted before, when and where:
 * its hashes in the posted tables, its successful rows in the publication
 * history. Read only: the preview asks it. */
#ifndef PHOTOPUB_CORE_POSTED_BEFORE_H
#define PHOTOPUB_CORE_POSTED_BEFORE_H

#include <stdbool.h>
#include <stdio.h>
#include "state/state.h"
#include "util/error.h"

struct posted_before {
	bool posted;           /* its hashes are recorded as posted, or a platform has it */
	char when[32];         /* its latest post, "2026-11-30 14:02 UTC"; "" when the
				  history has none (hashes imported from upstream) */
	char platforms[128];   /* the platforms that have it, "telegram, outbox"; "" none */
};

/* Fills *out for the image of SHA-256 sha256 (content_hash may be NULL or
 * ""). 0, or -1 with err filled when the history cannot be read. */
int posted_before_find(struct state *st, const char *sha256, const char *content_hash,
		       struct posted_before *out, struct pp_error *err);

/* "new (never posted)" or "posted before, <when> (<platforms>)". */
void posted_before_write(const struct posted_before *p, FILE *f);

#endif
