/* instagram.c - the Instagram publisher, through the official Graph API
 * content-publishing flow:
 *
 *   POST {graph_url}/{user_id}/media          image_url, caption, alt_text
 *                                             (when there is one) -> container id
 *   GET  {graph_url}/{container_id}?fields=status_code   IN_PROGRESS -> FINISHED
 *   POST {graph_url}/{user_id}/media_publish  creation_id -> media id (post_id)
 *   GET  {graph_url}/{media_id}?fields=permalink -> the post's link (url)
 *
 * Meta's servers fetch the image themselves, so the prepared JPEG (at most
 * 1080 px wide, 8 MB) is first staged in the storage folder, which gives a
 * public temporary URL, and deleted again on every path. The container flow
 * is a small state machine: ig_enter() is the only place the state changes,
 * and it logs each step. An aspect ratio outside 4:5 … 1.91:1 fails with the
 * ratio named: a photographer's image is never cropped silently. The
 * replies are read by the function instagram.h declares. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "caption/format.h"
#include "net/http.h"
#include "publish/instagram.h"
#include "publish/prepare.h"
#include "publish/publisher.h"
#include "storage/storage.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/url.h"

#define WHERE "publisher.instagram"
#define LOGGER "publisher.instagram"
#define MAX_WIDTH 1080
#define MIN_RATIO 0.8   /* 4:5 */
#define MAX_RATIO 1.91  /* 1.91:1 */

enum ig_state { IG_START, IG_STAGED, IG_CREATED, IG_FINISHED, IG_PUBLISHED, IG_FAILED };

static const char *const state_names[] = {
	"start", "staged", "container_created", "container_finished", "published", "failed",
};

struct ig {
	const struct config *cfg;
	const struct publish_input *in;
	struct http_client *client;
	enum ig_state state;
	int64_t started;
	char *auth;          /* "Authorization: Bearer …" */
	char *container;
	char *media_id;
};

static void ig_enter(struct ig *ig, enum ig_state next, const char *detail)
{
	log_info(LOGGER, "instagram_step", pp_cid(&ig->in->ctx),
		 LF_STR("from", state_names[ig->state]), LF_STR("to", state_names[next]),
		 LF_STR("detail", detail), LF_MS("elapsed_ms", elapsed_ms(ig->started)));
	ig->state = next;
}

static bool instagram_enabled(const struct config *cfg)
{
	return cfg->instagram;
}

static int instagram_validate(const struct config *cfg, struct config_error *e)
{
	int rc = 0;
	if (!cfg->instagram_user_id || !*cfg->instagram_user_id)
		rc = config_fail(e, cfg->path, "Instagram", "user_id",
				 "required with [Content] instagram = true (the Instagram "
				 "professional account id)");
	if (config_need_env(e, cfg->instagram_access_token, "INSTAGRAM_ACCESS_TOKEN",
			    "[Content] instagram = true") < 0)
		rc = -1;
	return rc;
}

int instagram_parse_reply(const char *what, long status, const char *body, size_t len,
			  json_t **root, struct pp_error *err)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	*root = NULL;
	if (status < 200 || status >= 300 || !json_is_object(j)) {
		const char *msg = json_string_value(
			json_object_get(json_object_get(j, "error"), "message"));
		err->http_status = (int)status;
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "Instagram %s failed (HTTP %ld): %s", what,
			     status, msg ? msg : "reply is not JSON");
		json_decref(j);
		return -1;
	}
	*root = j;
	return 0;
}

/* Calls the Graph API; on success *root is the reply object. */
static int graph(struct ig *ig, const char *method, const char *url, const char *form,
		 const char *what, bool once, json_t **root, struct pp_error *err)
{
	const char *headers[] = { ig->auth, "Content-Type: application/x-www-form-urlencoded",
				  NULL };
	struct http_request req = {
		.method = method, .url = url, .headers = headers, .body = form,
		.body_len = form ? strlen(form) : 0, .correlation_id = pp_cid(&ig->in->ctx),
		.what = what, .download_fd = -1, .not_idempotent = once,
	};
	struct http_response resp = { 0 };
	*root = NULL;
	if (http_call(ig->client, &req, &resp, err) < 0)
		return -1;
	int rc = instagram_parse_reply(what, resp.status, buf_str(&resp.body), resp.body.len, root,
				       err);
	http_response_release(&resp);
	return rc;
}

static int create_container(struct ig *ig, const char *image_url, const char *caption,
			    struct pp_error *err)
{
	char *u = url_escape(image_url), *c = url_escape(caption);
	const char *alt = ig->in->alt_text;
	char *a = alt && *alt ? url_escape(alt) : NULL;
	/* alt_text: the image's description for screen readers (image posts) */
	char *form = a ? xasprintf("image_url=%s&caption=%s&alt_text=%s", u, c, a)
		       : xasprintf("image_url=%s&caption=%s", u, c);
	free(a);
	char *url = xasprintf("%s/%s/media", ig->cfg->instagram_graph_url, ig->cfg->instagram_user_id);
	json_t *root;
	int rc = graph(ig, "POST", url, form, "instagram media", false, &root, err);
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(root, "id"));
		if (id && *id) {
			ig->container = xstrdup(id);
			ig_enter(ig, IG_CREATED, id);
		} else {
			rc = pp_fail(err, WHERE, "Instagram media: the reply has no container id");
		}
		json_decref(root);
	}
	free(u);
	free(c);
	free(form);
	free(url);
	return rc;
}

/* Polls the container until FINISHED, a final status or the time limit. */
static int wait_container(struct ig *ig, struct pp_error *err)
{
	char *url = xasprintf("%s/%s?fields=status_code", ig->cfg->instagram_graph_url,
			      ig->container);
	int64_t t0 = now_monotonic();
	int rc = -1;
	for (;;) {
		json_t *root;
		if (graph(ig, "GET", url, NULL, "instagram container status", false, &root, err) < 0)
			break;
		const char *status = json_string_value(json_object_get(root, "status_code"));
		char *st = xstrdup(status ? status : "");
		json_decref(root);
		if (!strcmp(st, "FINISHED")) {
			ig_enter(ig, IG_FINISHED, st);
			free(st);
			rc = 0;
			break;
		}
		if (!strcmp(st, "ERROR") || !strcmp(st, "EXPIRED")) {
			pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "Instagram could not process the image "
				     "(container status %s)", st);
			free(st);
			break;
		}
		free(st);
		if (elapsed_ms(t0) / 1000 + ig->cfg->instagram_poll_interval >
		    ig->cfg->instagram_poll_timeout) {
			pp_fail_kind(err, WHERE, PP_ERR_TIMEOUT, "Instagram container not ready after %d s",
				     ig->cfg->instagram_poll_timeout);
			break;
		}
		struct timespec ts = { ig->cfg->instagram_poll_interval, 0 };
		nanosleep(&ts, NULL);
	}
	free(url);
	return rc;
}

static int publish_container(struct ig *ig, struct pp_error *err)
{
	char *form = xasprintf("creation_id=%s", ig->container);
	char *url = xasprintf("%s/%s/media_publish", ig->cfg->instagram_graph_url,
			      ig->cfg->instagram_user_id);
	json_t *root;
	int rc = graph(ig, "POST", url, form, "instagram media_publish", true, &root, err);
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(root, "id"));
		if (id && *id) {
			ig->media_id = xstrdup(id);
			ig_enter(ig, IG_PUBLISHED, id);
		} else {
			rc = pp_fail(err, WHERE, "Instagram media_publish: the reply has no media id");
		}
		json_decref(root);
	}
	free(form);
	free(url);
	return rc;
}

/* The published media's permalink (GET {media}?fields=permalink), or NULL
 * with a warning line: the post is there whether or not its link is known. */
static char *fetch_permalink(struct ig *ig)
{
	char *url = xasprintf("%s/%s?fields=permalink", ig->cfg->instagram_graph_url, ig->media_id);
	struct pp_error err = { 0 };
	json_t *root = NULL;
	char *link = NULL;
	if (graph(ig, "GET", url, NULL, "instagram permalink", false, &root, &err) == 0) {
		const char *p = json_string_value(json_object_get(root, "permalink"));
		if (p && !strncmp(p, "https://", 8))
			link = xstrdup(p);
		json_decref(root);
	}
	if (!link)
		log_warning(LOGGER, "instagram_permalink_error", pp_cid(&ig->in->ctx),
			    LF_STR("media_id", ig->media_id),
			    LF_STR("error", err.msg[0] ? err.msg : "the reply has no permalink"));
	free(url);
	return link;
}

/* Checks the aspect ratio; a failure names it. */
static int check_ratio(const struct publish_input *in, struct pp_error *err)
{
	if (!in->info || in->info->height <= 0)
		return 0;
	double r = (double)in->info->width / in->info->height;
	if (r < MIN_RATIO - 1e-3 || r > MAX_RATIO + 1e-3)
		return pp_fail_kind(err, WHERE, PP_ERR_UNSUPPORTED,
				    "aspect ratio %.2f:1 (%d x %d) is outside what Instagram takes "
				    "(4:5 = 0.80:1 to 1.91:1); crop the image to publish it there",
				    r, in->info->width, in->info->height);
	return 0;
}

static int instagram_publish(const struct config *cfg, const struct publish_input *in,
			     struct publish_result *out, struct pp_error *err)
{
	struct ig ig = { .cfg = cfg, .in = in, .state = IG_START, .started = now_monotonic() };
	struct prepared_image img = { 0 };
	struct storage *st = in->storage;
	char *image_url = NULL, *staged = NULL, *caption = NULL;
	int rc = -1;

	if (check_ratio(in, err) < 0)
		goto out;
	if (!st || !storage_has(st, STORAGE_PUBLIC_URLS)) {
		pp_fail(err, WHERE, "the %s storage has no public URL for Instagram to fetch from",
			st ? st->ops->name : "configured");
		goto out;
	}
	if (prepare_jpeg(in->image_path, in->image_name, MAX_WIDTH, 90, &img, err) < 0)
		goto out;
	if (img.bytes > instagram_publisher.caps.max_bytes) {
		pp_fail(err, WHERE, "the prepared JPEG is %zu bytes, over Instagram's 8 MB", img.bytes);
		goto out;
	}
	if (storage_stage_public(st, &in->ctx, img.path, in->image_name, &image_url, &staged, err) < 0)
		goto out;
	ig_enter(&ig, IG_STAGED, staged);

	struct http_options ho = { .connect_timeout_s = cfg->http_connect_timeout,
				   .timeout_s = cfg->http_timeout };
	ig.client = http_client_new(&ho);
	ig.auth = xasprintf("Authorization: Bearer %s", cfg->instagram_access_token);
	caption = caption_apply(&instagram_publisher.caption, in->caption);
	if (create_container(&ig, image_url, caption, err) < 0 || wait_container(&ig, err) < 0 ||
	    publish_container(&ig, err) < 0)
		goto out;
	out->success = true;
	out->post_id = xstrdup(ig.media_id);
	out->url = fetch_permalink(&ig);
	rc = 0;
out:
	if (rc < 0 && ig.state != IG_START)
		ig_enter(&ig, IG_FAILED, err->msg);
	if (staged) {
		struct pp_error uerr = { 0 };
		if (storage_unstage(st, &in->ctx, staged, &uerr) < 0)
			log_warning(LOGGER, "instagram_unstage_error", pp_cid(&in->ctx),
				    LF_STR("staged", staged), LF_STR("error", uerr.msg));
	}
	prepared_image_release(&img);
	http_client_free(ig.client);
	free(ig.auth);
	free(ig.container);
	free(ig.media_id);
	free(image_url);
	free(staged);
	free(caption);
	return rc;
}

static void instagram_preview(const struct config *cfg, const struct publish_input *in, FILE *f)
{
	char *caption = caption_apply(&instagram_publisher.caption, in->caption);
	struct pp_error err = { 0 };
	fprintf(f, "  account: %s\n", cfg->instagram_user_id ? cfg->instagram_user_id : "?");
	fprintf(f, "  photo:   JPEG at most %d px wide, staged for Meta to fetch\n", MAX_WIDTH);
	if (check_ratio(in, &err) < 0)
		fprintf(f, "  refused: %s\n", err.msg);
	fprintf(f, "  caption: %s\n", caption);
	fprintf(f, "           (%zu of at most %zu characters)\n", utf8_strlen(caption),
		instagram_publisher.caption.limit);
	if (in->alt_text && *in->alt_text)
		fprintf(f, "  alt:     %s\n", in->alt_text);
	free(caption);
}

const struct publisher_ops instagram_publisher = {
	.name = "instagram",
	.section = "Content",
	.key = "instagram",
	.caption = { .limit = 2200, .max_hashtags = 30 },
	.caps = { .needs_public_url = true, .alt_text = true, .max_width = MAX_WIDTH, .max_bytes = 8u << 20,
		  .formats = "jpeg" },
	.enabled = instagram_enabled,
	.validate = instagram_validate,
	.publish = instagram_publish,
	.preview = instagram_preview,
};
