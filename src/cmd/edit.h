/* edit.h - `photopub run`'s approval of the caption from the command line:
 * --caption-file and --alt-text-file read, --edit opening the editor on the
 * generated caption like `git commit` does on a message. */
#ifndef PHOTOPUB_CMD_EDIT_H
#define PHOTOPUB_CMD_EDIT_H

#include "core/workflow.h"
#include "util/error.h"

/* The caption of --caption-file path ("-": standard input): read as UTF-8,
 * its trailing whitespace dropped, checked (caption/approval.h). NULL with
 * err filled when it cannot be read, is empty or is not a caption. Caller
 * frees. */
char *edit_read_caption_file(const char *path, struct pp_error *err);

/* The alt text of --alt-text-file path ("-": standard input), trailing
 * whitespace dropped and checked (caption/alt_text.h); "" is no alt text.
 * NULL with err filled on failure. Caller frees. */
char *edit_read_alt_text_file(const char *path, struct pp_error *err);

/* workflow_options.edit: writes the caption and comment lines naming the
 * image, its platforms and their limits to a private temp file, runs
 * $VISUAL, else $EDITOR, else vi on it (through /bin/sh, so the variable
 * may hold arguments), and reads back what is left once the comment lines
 * are dropped. An empty result, an editor that fails or a caption that is
 * not one (too long, control characters) aborts the run (-1, err filled).
 * arg is unused. */
int edit_caption(void *arg, const struct workflow_edit *e, char **caption, struct pp_error *err);

#endif
