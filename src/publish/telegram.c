/* telegram.c - the Telegram publisher: Bot API sendPhoto (multipart/form-data
 * with chat_id, photo, caption) to the configured channel.
 *
 * The photo is a JPEG copy at most 1280 px wide; the caption is cut to the
 * 1024 characters a photo caption may have. A 429 reply's
 * parameters.retry_after is honoured by the HTTP layer. The bot token is
 * part of the URL: it is registered as a secret, and no message here is
 * built from the URL. post_id = the message_id. The replies are read by the
 * functions telegram.h declares. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caption/format.h"
#include "net/http.h"
#include "publish/prepare.h"
#include "publish/publisher.h"
#include "publish/telegram.h"
#include "util/buf.h"

#define WHERE "publisher.telegram"
#define MAX_WIDTH 1280

static bool telegram_enabled(const struct config *cfg)
{
	return cfg->telegram;
}

static int telegram_validate(const struct config *cfg, struct config_error *e)
{
	const char *when = "[Content] telegram = true";
	int rc = config_need_env(e, cfg->telegram_bot_token, "TELEGRAM_BOT_TOKEN", when);
	if (config_need_env(e, cfg->telegram_channel_id, "TELEGRAM_CHANNEL_ID", when) < 0)
		rc = -1;
	return rc;
}

int telegram_retry_after(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *ra = json_object_get(json_object_get(root, "parameters"), "retry_after");
	int s = json_is_integer(ra) ? (int)json_integer_value(ra) : -1;
	json_decref(root);
	return s;
}

/* For http_request.retry_after_hint. */
static int retry_after_hint(const struct http_response *resp)
{
	return telegram_retry_after(buf_str(&resp->body), resp->body.len);
}

int telegram_parse_reply(long status, const char *body, size_t len, char **post_id,
			 struct pp_error *err)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *result = json_object_get(root, "result");
	json_t *mid = json_object_get(result, "message_id");
	int rc = 0;

	*post_id = NULL;
	if (status >= 200 && status < 300 && json_is_true(json_object_get(root, "ok")) &&
	    json_is_integer(mid)) {
		*post_id = xasprintf("%lld", (long long)json_integer_value(mid));
	} else {
		const char *desc = json_string_value(json_object_get(root, "description"));
		err->http_status = (int)status;
		rc = pp_fail_kind(err, WHERE, status == 429 ? PP_ERR_RATE_LIMITED : PP_ERR_REMOTE,
				  "Telegram sendPhoto failed (HTTP %ld): %s", status,
				  desc ? desc : root ? "no description" : "reply is not JSON");
	}
	json_decref(root);
	return rc;
}

char *telegram_post_url(const char *channel, const char *message_id)
{
	/* A public channel's username: 5-32 of [A-Za-z0-9_] after the '@'. */
	if (!channel || channel[0] != '@' || !message_id || !*message_id)
		return NULL;
	size_t n = strlen(channel + 1);
	if (n < 5 || n > 32 || strspn(channel + 1, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n ||
	    strspn(message_id, "0123456789") != strlen(message_id))
		return NULL;
	return xasprintf("https://t.me/%s/%s", channel + 1, message_id);
}

static int telegram_publish(const struct config *cfg, const struct publish_input *in,
			    struct publish_result *out, struct pp_error *err)
{
	struct prepared_image img = { 0 };
	struct http_response resp = { 0 };
	struct http_client *client = NULL;
	char *caption = NULL, *url = NULL;
	int rc = -1;

	if (prepare_jpeg(in->image_path, in->image_name, MAX_WIDTH, 90, &img, err) < 0)
		goto out;
	caption = caption_apply(&telegram_publisher.caption, in->caption);
	url = xasprintf("%s/bot%s/sendPhoto", cfg->telegram_api_url, cfg->telegram_bot_token);
	struct http_options ho = { .connect_timeout_s = cfg->http_connect_timeout,
				   .timeout_s = cfg->http_timeout };
	client = http_client_new(&ho);
	const struct http_part parts[] = {
		{ .name = "chat_id", .data = cfg->telegram_channel_id,
		  .len = strlen(cfg->telegram_channel_id) },
		{ .name = "photo", .path = img.path, .filename = in->image_name,
		  .content_type = "image/jpeg" },
		{ .name = "caption", .data = caption, .len = strlen(caption) },
	};
	struct http_request req = {
		.method = "POST", .url = url, .parts = parts,
		.nparts = caption[0] ? 3 : 2, .correlation_id = pp_cid(&in->ctx),
		.what = "telegram sendPhoto", .download_fd = -1,
		.retry_after_hint = retry_after_hint, .not_idempotent = true,
	};
	if (http_call(client, &req, &resp, err) < 0 ||
	    telegram_parse_reply(resp.status, buf_str(&resp.body), resp.body.len, &out->post_id,
				 err) < 0)
		goto out;
	out->success = true;
	out->url = telegram_post_url(cfg->telegram_channel_id, out->post_id);
	rc = 0;
out:
	http_response_release(&resp);
	http_client_free(client);
	prepared_image_release(&img);
	free(caption);
	free(url);
	return rc;
}

static void telegram_preview(const struct config *cfg, const struct publish_input *in, FILE *f)
{
	char *caption = caption_apply(&telegram_publisher.caption, in->caption);
	fprintf(f, "  chat:    %s\n", cfg->telegram_channel_id ? cfg->telegram_channel_id : "?");
	fprintf(f, "  photo:   JPEG at most %d px wide\n", MAX_WIDTH);
	fprintf(f, "  caption: %s\n", caption);
	fprintf(f, "           (%zu of at most %zu characters)\n", utf8_strlen(caption),
		telegram_publisher.caption.limit);
	free(caption);
}

const struct publisher_ops telegram_publisher = {
	.name = "telegram",
	.section = "Content",
	.key = "telegram",
	.caption = { .limit = 1024 },  /* a photo caption; 4096 is a text message's */
	.caps = { .max_width = MAX_WIDTH, .max_bytes = 10u << 20, .formats = "jpeg" },
	.enabled = telegram_enabled,
	.validate = telegram_validate,
	.publish = telegram_publish,
	.preview = telegram_preview,
};
