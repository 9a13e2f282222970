/* outbox.c - the local publisher: each post becomes a folder under
 * [Outbox] path holding a copy of the image, caption.txt (the caption as it
 * would be posted) and post.json (caption, sd_caption, alt_text, analysis,
 * hashes, correlation_id). The folder is built under a hidden temp name and
 * renamed into place, so a reader never sees half a post. post_id = the
 * folder name, url = the folder's path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "caption/format.h"
#include "publish/publisher.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define OUTBOX_TEMP_PREFIX ".tmp-" /* "<pid>-<post name>-XXXXXX" follows */

static const struct config_key outbox_keys[] = {
	{ .section = "Outbox", .key = "enabled", .type = CONFIG_BOOL, .def = "false" },
	{ .section = "Outbox", .key = "path", .type = CONFIG_PATH, .def = "outbox" },
	{ 0 },
};

static const char *outbox_path(const struct config *cfg)
{
	return config_get(cfg, "Outbox", "path");
}

static bool outbox_enabled(const struct config *cfg)
{
	return config_get_bool(cfg, "Outbox", "enabled");
}

static int outbox_validate(const struct config *cfg, struct config_error *e)
{
	if (!outbox_path(cfg) || !*outbox_path(cfg))
		return config_fail(e, cfg->path, "Outbox", "path", "must not be empty");
	return 0;
}

/* "20261129T062808Z-<stem>-<first 8 of the correlation id>" */
static char *post_name(const struct publish_input *in)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	char *stem = fs_stem(in->image_name);
	for (char *p = stem; *p; p++)
		if (*p == ' ' || *p == '/')
			*p = '-';
	char *name = xasprintf("%s-%s-%.8s", ts, stem, in->ctx.correlation_id ? in->ctx.correlation_id : "");
	free(stem);
	return name;
}

static json_t *post_json(const struct publish_input *in, const char *caption, const char *id)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *o = json_object();
	json_object_set_new(o, "post_id", json_string(id));
	json_object_set_new(o, "platform", json_string("outbox"));
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "image", json_string(in->image_name));
	json_object_set_new(o, "sha256", json_string(in->sha256 ? in->sha256 : ""));
	json_object_set_new(o, "caption", json_string(caption));
	json_object_set_new(o, "sd_caption", in->sd_caption ? json_string(in->sd_caption) : json_null());
	json_object_set_new(o, "alt_text", in->alt_text && *in->alt_text ? json_string(in->alt_text)
									  : json_null());
	if (in->info) {
		json_object_set_new(o, "width", json_integer(in->info->width));
		json_object_set_new(o, "height", json_integer(in->info->height));
	}
	json_object_set_new(o, "analysis", in->analysis ? analysis_to_json(in->analysis) : json_null());
	json_object_set_new(o, "correlation_id",
			    json_string(in->ctx.correlation_id ? in->ctx.correlation_id : ""));
	return o;
}

static int outbox_publish(const struct config *cfg, const struct publish_input *in,
			  struct publish_result *out, struct pp_error *err)
{
	int rc = -1;
	char *caption = caption_apply(&outbox_publisher.caption, in->caption);
	char *name = post_name(in);
	char *tmpl = NULL, *final = NULL, *image = NULL, *text = NULL, *json = NULL;
	char *body = NULL;
	json_t *post = NULL;

	if (fs_mkdir_p(outbox_path(cfg), 0755, err) < 0)
		goto out;
	/* a run killed here leaves .tmp-<pid>-…: the next one removes it */
	fs_sweep_stale(outbox_path(cfg), OUTBOX_TEMP_PREFIX);
	tmpl = xasprintf("%s/" OUTBOX_TEMP_PREFIX "%ld-%s-XXXXXX", outbox_path(cfg), (long)getpid(),
			 name);
	if (!mkdtemp(tmpl)) {
		pp_fail(err, "publisher.outbox", "cannot create a folder in %s: %s", outbox_path(cfg),
			strerror(errno));
		free(tmpl);
		tmpl = NULL;
		goto out;
	}
	chmod(tmpl, 0755);
	image = fs_join(tmpl, in->image_name);
	text = fs_join(tmpl, "caption.txt");
	json = fs_join(tmpl, "post.json");
	post = post_json(in, caption, name);
	body = json_dumps(post, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *caption_nl = xasprintf("%s\n", caption);
	int wr = fs_copy_file(in->image_path, image, 0644, err);
	if (wr == 0)
		wr = fs_write_atomic(text, caption_nl, strlen(caption_nl), 0644, err);
	free(caption_nl);
	if (wr == 0 && body)
		wr = fs_write_atomic(json, body, strlen(body), 0644, err);
	if (wr < 0)
		goto out;

	/* Rename into place; a taken name (same second, same image) gets a suffix. */
	final = fs_join(outbox_path(cfg), name);
	for (int i = 2; renameat2(AT_FDCWD, tmpl, AT_FDCWD, final, RENAME_NOREPLACE) < 0; i++) {
		if (errno != EEXIST || i > 99) {
			pp_fail(err, "publisher.outbox", "cannot move the post into %s: %s",
				outbox_path(cfg), strerror(errno));
			goto out;
		}
		free(final);
		free(name);
		char *base = post_name(in);
		name = xasprintf("%s-%d", base, i);
		free(base);
		final = fs_join(outbox_path(cfg), name);
	}
	free(tmpl);
	tmpl = NULL;
	out->success = true;
	out->post_id = xstrdup(name);
	/* the post's folder, absolute: where to look at it from anywhere */
	out->url = realpath(final, NULL);
	if (!out->url) {
		out->url = final;
		final = NULL;
	}
	rc = 0;
out:
	if (tmpl) {
		if (image)
			unlink(image);
		if (text)
			unlink(text);
		if (json)
			unlink(json);
		rmdir(tmpl);
	}
	free(tmpl);
	free(final);
	free(image);
	free(text);
	free(json);
	free(body);
	json_decref(post);
	free(name);
	free(caption);
	return rc;
}

/* Whether the post of ref is in the outbox: a folder whose name carries the
 * first 8 characters of the run's id and whose post.json names that run and
 * that image. A folder appears whole (it is renamed into place), so one
 * that is there is a post that landed. */
static int outbox_landed(const struct config *cfg, const struct publish_ref *ref, char **post_id,
			 struct pp_error *err)
{
	*post_id = NULL;
	DIR *d = opendir(outbox_path(cfg));
	if (!d) {
		if (errno == ENOENT)
			return 0;
		pp_fail_kind(err, "publisher.outbox", PP_ERR_IO, "cannot read the outbox %s: %s",
			     outbox_path(cfg), strerror(errno));
		return -1;
	}
	char tag[16];
	snprintf(tag, sizeof(tag), "-%.8s", ref->correlation_id ? ref->correlation_id : "");
	int found = 0;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strstr(de->d_name, tag))
			continue;
		char *dir = fs_join(outbox_path(cfg), de->d_name);
		char *json = fs_join(dir, "post.json");
		json_t *post = json_load_file(json, 0, NULL);
		const char *cid = json_string_value(json_object_get(post, "correlation_id"));
		const char *sha = json_string_value(json_object_get(post, "sha256"));
		if (cid && sha && ref->correlation_id && ref->sha256 &&
		    !strcmp(cid, ref->correlation_id) && !strcmp(sha, ref->sha256)) {
			*post_id = xstrdup(de->d_name);
			found = 1;
		}
		json_decref(post);
		free(json);
		free(dir);
	}
	closedir(d);
	return found;
}

static void outbox_preview(const struct config *cfg, const struct publish_input *in, FILE *f)
{
	char *caption = caption_apply(&outbox_publisher.caption, in->caption);
	fprintf(f, "  folder:  %s/<time>-<image>-<id>/ (image, caption.txt, post.json)\n",
		outbox_path(cfg));
	fprintf(f, "  caption: %s\n", caption);
	if (in->alt_text && *in->alt_text)
		fprintf(f, "  alt:     %s\n", in->alt_text);
	free(caption);
}

const struct publisher_ops outbox_publisher = {
	.name = "outbox",
	.section = "Outbox",
	.key = "enabled",
	.caption = { .limit = CAPTION_LIMIT_DEFAULT },
	.caps = { .alt_text = true, .formats = "any" },
	.settings = { .keys = outbox_keys },
	.enabled = outbox_enabled,
	.validate = outbox_validate,
	.publish = outbox_publish,
	.landed = outbox_landed,
	.preview = outbox_preview,
};
