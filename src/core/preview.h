/* preview.h - the human-readable report of `photopub run --preview`. */
#ifndef PHOTOPUB_CORE_PREVIEW_H
#define PHOTOPUB_CORE_PREVIEW_H

#include <stdint.h>
#include <stdio.h>
#include "config/config.h"
#include "types/models.h"
#include "types/stage.h"
#include "core/workflow.h"
#include "image/image.h"
#include "publish/publisher.h"
#include "state/state.h"

struct preview {
	const struct config *cfg;
	const struct workflow_result *result;
	const char *image;                 /* NULL when none was selected */
	size_t queue_position;             /* its 1-based place in the posting queue; 0: --select */
	const char *sha256;
	int64_t bytes;
	const struct image_info *info;
	const struct analysis *analysis;   /* NULL when the AI did not run */
	const char *caption, *sd_caption, *caption_model;
	const char *sidecar;               /* the text that would be written */
	const char *image_path;            /* local copy, for the publishers' previews */
	const struct publisher_ops *const *ops;
	size_t nops;
	const struct caption_override *overrides; /* the platforms' own captions */
	size_t noverrides;
	const struct stage_times *timings;
	const char *correlation_id;
	struct state *state;               /* read: whether the image was posted before */
	const char *content_hash;          /* may be NULL or "" */
	const struct ai *ai;               /* the provider and its models */
};

/* Writes the report to f. */
void preview_write(const struct preview *p, FILE *f);

#endif
