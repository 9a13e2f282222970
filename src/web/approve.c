/* approve.c - the web's side of caption approval (approve.h): reading and
 * checking what a person approved, the platforms' caption rules, and the
 * per-platform preview, which formats with caption_apply and each
 * platform's rules exactly as its publisher does before sending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caption/alt_text.h"
#include "caption/format.h"
#include "publish/publisher.h"
#include "web/approve.h"
#include "web/routes.h"

/* A string field of body: NULL when absent or null; -1 when not a string. */
static int string_field(json_t *body, const char *key, const char **out, size_t *len,
			struct pp_error *err)
{
	json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return pp_fail_kind(err, "web", PP_ERR_INVALID, "%s must be a string", key);
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int parse_overrides(const struct config *cfg, json_t *v, struct web_approval *out,
			   struct pp_error *err)
{
	const char *name;
	json_t *o;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return pp_fail_kind(err, "web", PP_ERR_INVALID,
				    "overrides must be an object: {\"<platform>\": {\"caption\": \"…\"}}");
	json_object_foreach(v, name, o) {
		const struct publisher_ops *ops = publisher_find(name);
		if (!ops || !ops->enabled(cfg))
			return pp_fail_kind(err, "web", PP_ERR_INVALID,
					    "overrides: unknown or disabled platform: %s", name);
		if (!json_is_object(o))
			return pp_fail_kind(err, "web", PP_ERR_INVALID,
					    "overrides.%s must be an object with a caption", ops->name);
		const char *k;
		json_t *x;
		json_object_foreach(o, k, x)
			if (strcmp(k, "caption"))
				return pp_fail_kind(err, "web", PP_ERR_INVALID,
						    "overrides.%s: unknown key %s (only caption)",
						    ops->name, k);
		json_t *c = json_object_get(o, "caption");
		if (!json_is_string(c))
			return pp_fail_kind(err, "web", PP_ERR_INVALID,
					    "overrides.%s.caption must be a string", ops->name);
		char what[64];
		snprintf(what, sizeof(what), "overrides.%s.caption", ops->name);
		if (approval_check_caption(what, json_string_value(c), json_string_length(c), err) < 0)
			return -1;
		if (out->nov < WORKFLOW_MAX_PLATFORMS)
			out->ov[out->nov++] = (struct caption_override){
				.platform = ops->name, .caption = json_string_value(c) };
	}
	return 0;
}

int web_approval_parse(const struct config *cfg, json_t *body, struct web_approval *out,
		       struct pp_error *err)
{
	size_t len = 0;
	*out = (struct web_approval){ 0 };
	if (!json_is_object(body))
		return 0;
	if (string_field(body, "caption", &out->caption, &len, err) < 0 ||
	    (out->caption && approval_check_caption("caption", out->caption, len, err) < 0))
		return -1;
	if (string_field(body, "alt_text", &out->alt_text, &len, err) < 0 ||
	    (out->alt_text && alt_text_check(out->alt_text, len, err) < 0))
		return -1;
	return parse_overrides(cfg, json_object_get(body, "overrides"), out, err);
}

static size_t limit_of(const struct publisher_ops *ops)
{
	return ops->caption.limit ? ops->caption.limit : CAPTION_LIMIT_DEFAULT;
}

json_t *web_platforms_info(const struct config *cfg)
{
	json_t *a = json_array();
	for (size_t i = 0; publishers[i]; i++) {
		const struct publisher_ops *p = publishers[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "enabled", json_boolean(p->enabled(cfg)));
		json_object_set_new(o, "max_length", json_integer((json_int_t)limit_of(p)));
		json_object_set_new(o, "alt_text", json_boolean(p->caps.alt_text));
		json_object_set_new(o, "hashtags", json_boolean(!p->caption.one_line));
		json_object_set_new(o, "max_hashtags", p->caption.max_hashtags
					       ? json_integer((json_int_t)p->caption.max_hashtags)
					       : json_null());
		json_object_set_new(o, "one_line", json_boolean(p->caption.one_line));
		json_array_append_new(a, o);
	}
	json_t *o = json_object();
	json_object_set_new(o, "platforms", a);
	json_object_set_new(o, "caption_max_length", json_integer(APPROVED_CAPTION_MAX));
	json_object_set_new(o, "alt_text_max_length", json_integer(ALT_TEXT_MAX));
	return o;
}

/* One platform's entry of the preview: the caption as ops sends it. */
static json_t *preview_one(const struct publisher_ops *ops, const char *caption,
			   const char *alt_text)
{
	char *text = caption_apply(&ops->caption, caption);
	/* the same rules with no limit: whether the limit cut something */
	struct caption_rules whole = ops->caption;
	whole.limit = (size_t)-1 / 2;
	char *uncut = caption_apply(&whole, caption);
	size_t max = limit_of(ops);
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(ops->name));
	json_object_set_new(o, "text", json_string(text));
	json_object_set_new(o, "length", json_integer((json_int_t)caption_length(&ops->caption, text)));
	json_object_set_new(o, "max_length", json_integer((json_int_t)max));
	json_object_set_new(o, "over", json_boolean(caption_length(&ops->caption, uncut) > max));
	json_object_set_new(o, "alt_text", ops->caps.alt_text && alt_text && *alt_text
						   ? json_string(alt_text) : json_null());
	free(text);
	free(uncut);
	return o;
}

int h_platforms(struct web_request *rq)
{
	return web_reply_json(rq, 200, web_platforms_info(rq->shared->env->cfg));
}

int h_caption_preview(struct web_request *rq)
{
	const struct config *cfg = rq->shared->env->cfg;
	struct pp_error err = { 0 };
	struct web_approval ap;
	json_t *body = rq->body.len ? json_loadb(rq->body.data, rq->body.len, 0, NULL) : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		return web_reply_error(rq, 422, "Body must be a JSON object with a caption");
	}
	if (web_approval_parse(cfg, body, &ap, &err) < 0) {
		json_decref(body);
		return web_reply_error(rq, 422, "%s", err.msg);
	}
	if (!ap.caption) {
		json_decref(body);
		return web_reply_error(rq, 422, "caption is required");
	}
	struct publish_input in = { .caption = ap.caption, .alt_text = ap.alt_text,
				    .overrides = ap.ov, .noverrides = ap.nov };
	json_t *a = json_array();
	for (size_t i = 0; publishers[i]; i++)
		if (publishers[i]->enabled(cfg))
			json_array_append_new(a, preview_one(publishers[i],
							     publish_caption_for(&in, publishers[i]->name),
							     ap.alt_text));
	json_decref(body);
	return web_reply_json(rq, 200, json_pack("{s:o}", "platforms", a));
}
