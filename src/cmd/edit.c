/* edit.c - the caption a person approves on the command line (edit.h):
 * --caption-file, --alt-text-file, and --edit's editor session. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caption/alt_text.h"
#include "caption/approval.h"
#include "cmd/edit.h"
#include "publish/publisher.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/utf8.h"

#define FILE_MAX ((size_t)1 << 20)

/* The whole of path, or of standard input for "-". */
static char *read_text(const char *opt, const char *path, size_t *len, struct pp_error *err)
{
	char *data = NULL;
	if (strcmp(path, "-") != 0) {
		struct pp_error rerr = { 0 };
		if (fs_read_file(path, &data, len, FILE_MAX, &rerr) < 0) {
			pp_fail_kind(err, "run", PP_ERR_INVALID, "%s %s: %s", opt, path, rerr.msg);
			return NULL;
		}
		return data;
	}
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0 && b.len <= FILE_MAX)
		buf_add(&b, chunk, n);
	if (ferror(stdin) || b.len > FILE_MAX) {
		buf_release(&b);
		pp_fail_kind(err, "run", PP_ERR_INVALID, "%s -: cannot read standard input%s", opt,
			     b.len > FILE_MAX ? " (over 1 MiB)" : "");
		return NULL;
	}
	*len = b.len;
	return buf_detach(&b);
}

char *edit_read_caption_file(const char *path, struct pp_error *err)
{
	size_t len = 0;
	char *data = read_text("--caption-file", path, &len, err);
	if (!data)
		return NULL;
	if (strlen(data) != len) {
		free(data);
		pp_fail_kind(err, "run", PP_ERR_INVALID, "--caption-file %s holds a NUL byte", path);
		return NULL;
	}
	char *caption = approval_from_file(data);
	free(data);
	char what[300];
	snprintf(what, sizeof(what), "the caption of --caption-file %s", path);
	if (approval_check_caption(what, caption, strlen(caption), err) < 0) {
		free(caption);
		return NULL;
	}
	return caption;
}

char *edit_read_alt_text_file(const char *path, struct pp_error *err)
{
	size_t len = 0;
	char *data = read_text("--alt-text-file", path, &len, err);
	if (!data)
		return NULL;
	char *alt = strlen(data) == len ? approval_from_file(data) : NULL;
	free(data);
	struct pp_error cerr = { 0 };
	if (!alt || alt_text_check(alt, strlen(alt), &cerr) < 0) {
		pp_fail_kind(err, "run", PP_ERR_INVALID, "--alt-text-file %s: %s", path,
			     alt ? cerr.msg : "holds a NUL byte");
		free(alt);
		return NULL;
	}
	return alt;
}

/* What the editor is given: the caption, then the comment lines. */
static char *edit_text(const struct workflow_edit *e, const char *caption)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s\n\n", caption);
	buf_addf(&b, "# Please edit the caption to publish for %s. Lines that are\n"
		     "# \"#\" or start with \"# \" are ignored (hashtag lines are kept),\n"
		     "# and an empty caption aborts the run: nothing is published.\n#\n",
		 e->image ? e->image : "the image");
	buf_adds(&b, "# Platforms (each sends at most its own number of characters):\n");
	for (size_t i = 0; i < e->nops; i++) {
		const struct publisher_ops *p = e->ops[i];
		buf_addf(&b, "#   %-10s %5zu%s", p->name,
			 p->caption.limit ? p->caption.limit : (size_t)CAPTION_LIMIT_DEFAULT,
			 p->caption.one_line ? ", one line without hashtags" : "");
		if (p->caption.max_hashtags)
			buf_addf(&b, ", at most %zu hashtags", p->caption.max_hashtags);
		buf_addc(&b, '\n');
	}
	if (!e->nops)
		buf_adds(&b, "#   (none)\n");
	buf_addf(&b, "#\n# Alt text: %s\n", e->alt_text && *e->alt_text ? e->alt_text : "(none)");
	return buf_detach(&b);
}

/* Runs editor on path; 0 when it exited 0. */
static int run_editor(const char *editor, const char *path, struct pp_error *err)
{
	char *script = xasprintf("%s \"$@\"", editor);
	pid_t pid = fork();
	if (pid < 0) {
		free(script);
		return pp_fail_kind(err, "run", PP_ERR_INTERNAL, "cannot start the editor: %s",
				    strerror(errno));
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, editor, path, (char *)NULL);
		_exit(127);
	}
	free(script);
	/* The terminal's Ctrl-C is the editor's: the run waits for it. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pp_fail_kind(err, "run", PP_ERR_INVALID,
				    "the editor (%s) failed%s; aborting: nothing was published",
				    editor, WIFEXITED(status) && WEXITSTATUS(status) == 127
						    ? " (not found?)" : "");
	return 0;
}

static const char *editor_name(void)
{
	const char *names[] = { "VISUAL", "EDITOR" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return v;
	}
	return "vi";
}

int edit_caption(void *arg, const struct workflow_edit *e, char **caption, struct pp_error *err)
{
	(void)arg;
	char *path = NULL, *text = NULL, *data = NULL, *edited = NULL;
	int fd = -1, rc = -1;
	if (fs_temp_file(".txt", &path, &fd, err) < 0)
		return -1;
	text = edit_text(e, *caption);
	if (fs_write_all(fd, text, strlen(text)) < 0) {
		pp_fail_kind(err, "run", PP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (run_editor(editor_name(), path, err) < 0)
		goto out;
	size_t len = 0;
	if (fs_read_file(path, &data, &len, FILE_MAX, err) < 0)
		goto out;
	if (strlen(data) != len) {
		pp_fail_kind(err, "run", PP_ERR_INVALID, "the edited caption holds a NUL byte");
		goto out;
	}
	edited = approval_from_edit(data);
	if (!*edited) {
		pp_fail_kind(err, "run", PP_ERR_INVALID,
			     "aborting: the edited caption is empty; nothing was published");
		goto out;
	}
	if (approval_check_caption("the edited caption", edited, strlen(edited), err) < 0)
		goto out;
	free(*caption);
	*caption = edited;
	edited = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	fs_temp_remove(path);
	free(path);
	free(text);
	free(data);
	free(edited);
	return rc;
}
