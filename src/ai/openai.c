/* openai.c - `openai_ai`: the describer on an OpenAI-compatible Chat
 * Completions API, POST {base_url}/chat/completions with Bearer auth: vision
 * analysis in JSON mode with an image_url part, captions (with the Stable
 * Diffusion caption in one JSON call, or in separate plain-text calls). Owns
 * the process-wide pacing of those calls (20 per rolling minute). What it
 * reads in the replies is in the functions openai.h declares. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "ai/ai.h"
#include "ai/openai.h"
#include "ai/prices.h"
#include "caption/alt_text.h"
#include "net/http.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/utf8.h"

#define WHERE "ai.openai"
#define LOGGER "ai"

#define VISION_TEMPERATURE 0.4
#define VISION_MAX_TOKENS 512
#define PAIR_TEMPERATURE 0.6      /* caption + sd_caption in one JSON call */
#define CAPTION_TEMPERATURE 0.7   /* caption alone, plain text */
#define SD_TEMPERATURE 0.6        /* sd_caption alone, plain text */
#define CAPTION_MAX_TOKENS 1024   /* 2200 characters are about 600 tokens */
/* Reasoning models spend completion tokens on hidden reasoning before the
 * visible answer, so they get a larger budget than the visible answer needs. */
#define REASONING_MAX_TOKENS 4096

#define MAX_TAGS 25
#define MAX_DESCRIPTION_WORDS 30
#define FALLBACK_DESCRIPTION_CHARS 100

#define RATE_LIMIT 20
#define RATE_WINDOW_NS (60 * 1000000000LL)

struct openai {
	struct ai base;
	struct http_client *http;
	char *endpoint;            /* {base_url}/chat/completions */
	char *auth_header;         /* "Authorization: Bearer …": never logged */
	char *vision_model;
	char *caption_model;
	char *sd_model;
	char *system_prompt;       /* NULL: built-in */
	char *role_prompt;
	char *sd_system_prompt;
	char *sd_role_prompt;
	bool sd_single_call;
	int vision_max_px;         /* longer side of a data: URL image */
	int vision_detail;         /* enum vision_detail */
	char *prices;              /* [openAI] prices overrides, NULL: none */
};

/* The image_url detail of each enum vision_detail, one row each. */
static const char *const detail_names[] = {
	[VISION_DETAIL_LOW] = "low",
	[VISION_DETAIL_HIGH] = "high",
	[VISION_DETAIL_AUTO] = "auto",
};

/* ---- prompts -------------------------------------------------------- */

static const char default_vision_system[] =
	"You are a careful visual analyst for a photographer's publishing pipeline. "
	"You describe only what is visible, never guess who a person is, and always "
	"answer in exactly the JSON format you are asked for.";

/* The fixed vocabulary of safety_labels. */
static const char safety_label_list[] =
	"nudity, partial_nudity, sexual_content, suggestive, fetish, bondage, violence, "
	"blood, weapons, drugs, alcohol, tobacco, minor_present, hate_symbols, self_harm";

static const char vision_keys[] =
	"Return ONE strict JSON object and nothing else (no markdown, no code fences) "
	"with exactly these keys:\n"
	"- \"description\": one plain sentence of at most 30 words saying what the photo shows\n"
	"- \"mood\": the mood in one or two words\n"
	"- \"tags\": a list of 10 to 25 tags in lowercase_snake_case, most specific first, "
	"no duplicates, no '#'\n"
	"- \"nsfw\": true or false\n"
	"- \"safety_labels\": a list of the labels that apply, chosen only from: %s; "
	"[] when none applies\n"
	"- \"subject\": the main subject (string)\n"
	"- \"style\": the photographic or artistic style (string)\n"
	"- \"lighting\": the light: source, direction, quality (string)\n"
	"- \"camera\": viewpoint, framing and apparent lens (string)\n"
	"- \"clothing_or_accessories\": a list of visible clothing, materials and "
	"accessories ([] when none)\n"
	"- \"aesthetic_terms\": a list of a few aesthetic terms\n"
	"- \"pose\": the pose of the people shown (string, \"\" when there is nobody)\n"
	"- \"composition\": how the frame is composed (string)\n"
	"- \"background\": what is behind the subject (string)\n"
	"- \"color_palette\": a list of the main colours\n"
	"- \"alt_text\": alt text for screen readers: one plain sentence of at most 125 "
	"characters describing what is shown, without \"image of\" or \"photo of\"\n";

static const char default_vision_lead[] = "Analyze this photo.";

static const char default_caption_system[] =
	"You are a social media copywriter for a fine-art photographer. You write "
	"short, original captions in natural English, without clichés or emoji.";

static const char default_sd_system[] =
	"You write training captions for Stable Diffusion image models: concrete, "
	"visual, comma-separated descriptors, never prose.";

static const char sd_instructions[] =
	"a Stable Diffusion training caption of the photo: lowercase, comma-separated "
	"concrete visual descriptors (subject, pose, clothing or materials, lighting, "
	"camera angle, composition, background, colours, style), 20 to 60 words, no "
	"hashtags, no names, no full sentences";

/* ---- small text helpers --------------------------------------------- */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A copy of s[0..n) without leading and trailing whitespace. */
static char *trimmed_copy(const char *s, size_t n)
{
	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static bool icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Removes one pair of matching quotes around the whole of s (ASCII or
 * typographic), repeatedly, and the whitespace inside them. In place. */
static void strip_quotes(char *s)
{
	static const char *const pairs[][2] = {
		{ "\"", "\"" }, { "'", "'" }, { "\u201c", "\u201d" }, { "\u2018", "\u2019" },
		{ "\u00ab", "\u00bb" }, { "`", "`" },
	};
	bool again = true;
	while (again) {
		again = false;
		size_t len = strlen(s);
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			size_t a = strlen(pairs[i][0]), b = strlen(pairs[i][1]);
			if (len < a + b || strncmp(s, pairs[i][0], a) ||
			    strcmp(s + len - b, pairs[i][1]))
				continue;
			char *inner = trimmed_copy(s + a, len - a - b);
			/* "a" and "b" is quoted twice, not once around the whole */
			bool whole = !strstr(inner, pairs[i][0]) && !strstr(inner, pairs[i][1]);
			if (whole) {
				strcpy(s, inner);
				again = true;
			}
			free(inner);
			break;
		}
	}
}



/* ---- mapping the model's JSON, forgivingly ------------------------------ */

/* Appends the text form of v: strings as they are, numbers and booleans as
 * written in JSON, lists joined with ", ", objects as compact JSON. */
static void text_of(const json_t *v, struct buf *out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		buf_addf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	case JSON_ARRAY: {
		size_t i;
		bool first = true;
		const json_t *item;
		json_array_foreach(v, i, item) {
			struct buf one = BUF_INIT;
			text_of(item, &one);
			if (one.len) {
				if (!first)
					buf_adds(out, ", ");
				buf_add(out, one.data, one.len);
				first = false;
			}
			buf_release(&one);
		}
		break;
	}
	case JSON_OBJECT: {
		char *s = json_dumps(v, JSON_COMPACT);
		if (s)
			buf_adds(out, s);
		free(s);
		break;
	}
	case JSON_NULL:
		break;
	}
}

/* The text of obj[key], trimmed; NULL when missing, null or empty. */
static char *field_text(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	struct buf b = BUF_INIT;
	char *s;
	if (!v)
		return NULL;
	text_of(v, &b);
	s = trimmed_copy(buf_str(&b), b.len);
	buf_release(&b);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* Adds one list item (trimmed; snake_cased when snake) unless empty or known. */
static void list_add(struct strv *out, const char *s, size_t n, bool snake)
{
	char *t = trimmed_copy(s, n);
	if (snake) {
		char *k = ai_snake_case(t);
		free(t);
		t = k;
	}
	if (*t && !strv_contains(out, t))
		strv_push_owned(out, t);
	else
		free(t);
}

/* Items of v into out: a list item by item (nested lists flattened), a string
 * split on commas, semicolons and line breaks, anything else as its text. */
static void list_of(const json_t *v, struct strv *out, bool snake)
{
	if (!v)
		return;
	if (json_is_array(v)) {
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item) {
			if (json_is_array(item)) {
				list_of(item, out, snake);
			} else {
				struct buf b = BUF_INIT;
				text_of(item, &b);
				list_add(out, buf_str(&b), b.len, snake);
				buf_release(&b);
			}
		}
		return;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		while (*s) {
			size_t n = strcspn(s, ",;\n");
			list_add(out, s, n, snake);
			s += n;
			if (*s)
				s++;
		}
		return;
	}
	struct buf b = BUF_INIT;
	text_of(v, &b);
	list_add(out, buf_str(&b), b.len, snake);
	buf_release(&b);
}

/* true, "true", "yes", "y", "on", "1" and non-zero numbers are true. */
static bool truth_of(const json_t *v)
{
	if (!v)
		return false;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_real(v))
		return json_real_value(v) != 0.0;
	if (json_is_string(v)) {
		char *s = trimmed_copy(json_string_value(v), json_string_length(v));
		static const char *const yes[] = { "true", "yes", "y", "on", "1" };
		bool t = false;
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
			if (strcasecmp(s, yes[i]) == 0)
				t = true;
		free(s);
		return t;
	}
	return false;
}

static void analysis_from_json(const json_t *o, struct analysis *a)
{
	struct strv palette = STRV_INIT;

	a->description = field_text(o, "description");
	if (a->description)
		a->description = ai_limit_words(a->description, MAX_DESCRIPTION_WORDS);
	a->mood = field_text(o, "mood");
	list_of(json_object_get(o, "tags"), &a->tags, true);
	while (a->tags.n > MAX_TAGS) {
		free(a->tags.v[--a->tags.n]);
		a->tags.v[a->tags.n] = NULL;
	}
	a->nsfw = truth_of(json_object_get(o, "nsfw"));
	list_of(json_object_get(o, "safety_labels"), &a->safety_labels, true);
	a->subject = field_text(o, "subject");
	a->style = field_text(o, "style");
	a->lighting = field_text(o, "lighting");
	a->camera = field_text(o, "camera");
	list_of(json_object_get(o, "clothing_or_accessories"), &a->clothing_or_accessories, false);
	list_of(json_object_get(o, "aesthetic_terms"), &a->aesthetic_terms, false);
	a->pose = field_text(o, "pose");
	a->composition = field_text(o, "composition");
	a->background = field_text(o, "background");
	list_of(json_object_get(o, "color_palette"), &palette, false);
	if (palette.n)
		a->color_palette = strv_join(&palette, ", ");
	strv_release(&palette);
	/* a model that gave none: the description, which says what is shown */
	char *alt = field_text(o, "alt_text");
	a->alt_text = alt_text_clean(alt ? alt : a->description);
	free(alt);
}

/* Parses a reply meant to be one JSON object: as it is, else the part from
 * the first '{' to the last '}' (a model that wrapped it in prose or code
 * fences). NULL when there is no object. New reference. */
static json_t *parse_object(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		o = NULL;
		const char *a = strchr(text, '{'), *b = strrchr(text, '}');
		if (a && b && b > a)
			o = json_loadb(a, (size_t)(b - a + 1), 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* ---- pacing: one window for the whole process ------------------------- */

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t rate_stamps[RATE_LIMIT]; /* start times of the last calls, a ring */
static size_t rate_head;                /* oldest stamp when the ring is full */
static size_t rate_count;

/* Waits until a call may start under RATE_LIMIT calls per rolling minute,
 * then books it. */
static void rate_acquire(const struct pp_ctx *ctx)
{
	pthread_mutex_lock(&rate_lock);
	for (;;) {
		int64_t now = now_monotonic();
		if (rate_count < RATE_LIMIT) {
			rate_stamps[(rate_head + rate_count) % RATE_LIMIT] = now;
			rate_count++;
			break;
		}
		int64_t wait = rate_stamps[rate_head] + RATE_WINDOW_NS - now;
		if (wait <= 0) {
			rate_stamps[rate_head] = now;
			rate_head = (rate_head + 1) % RATE_LIMIT;
			break;
		}
		pthread_mutex_unlock(&rate_lock);
		log_debug(LOGGER, "ai_rate_limited", ctx ? ctx->correlation_id : NULL,
			  LF_INT("wait_ms", wait / 1000000), LF_INT("limit_per_minute", RATE_LIMIT));
		struct timespec ts = { .tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&rate_lock);
	}
	pthread_mutex_unlock(&rate_lock);
}

/* ---- one chat-completions call ---------------------------------------- */

/* o1…, o3…, o4… and gpt-5… (but not gpt-5-chat…) reason before answering:
 * they take max_completion_tokens and only their default temperature. */
static bool is_reasoning_model(const char *model)
{
	const char *m = strrchr(model, '/'); /* "openai/o3-mini" on routers */
	m = m ? m + 1 : model;
	if (m[0] == 'o' && (m[1] == '1' || m[1] == '3' || m[1] == '4') &&
	    (m[2] == '\0' || m[2] == '-'))
		return true;
	return strncmp(m, "gpt-5", 5) == 0 && strncmp(m, "gpt-5-chat", 10) != 0;
}

struct chat {
	const char *what;          /* "openai vision", for logs and errors */
	const char *model;
	json_t *messages;          /* borrowed */
	double temperature;
	int max_tokens;
	bool json_mode;
};

void openai_error_text(const char *text, size_t len, char *out, size_t cap)
{
	json_t *body = json_loadb(text, len, 0, NULL);
	const json_t *e = json_object_get(body, "error");
	const char *msg = NULL, *code = NULL;
	char *clean;

	if (json_is_object(e)) {
		msg = json_string_value(json_object_get(e, "message"));
		code = json_string_value(json_object_get(e, "code"));
		if (!code)
			code = json_string_value(json_object_get(e, "type"));
	} else if (json_is_string(e)) {
		msg = json_string_value(e);
	} else if (json_is_object(body)) {
		msg = json_string_value(json_object_get(body, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(body, "detail"));
	}
	if (msg && *msg) {
		clean = sanitize(msg);
	} else {
		char *raw = trimmed_copy(text, len < 200 ? len : 200);
		clean = sanitize(raw);
		free(raw);
	}
	if (code && *code && !strstr(clean, code))
		snprintf(out, cap, "%s (%s)", clean, code);
	else
		snprintf(out, cap, "%s", *clean ? clean : "no error message");
	free(clean);
	json_decref(body);
}

/* The kind of an HTTP error reply, and its name in the AI lines'
 * error_type (*detail, static). */
static enum pp_error_kind status_kind(long status, const char **detail)
{
	static const struct { long lo, hi; enum pp_error_kind kind; const char *detail; } map[] = {
		{ 401, 401, PP_ERR_AUTH, "auth" },
		{ 403, 403, PP_ERR_AUTH, "auth" },
		{ 404, 404, PP_ERR_NOT_FOUND, "not_found" },
		{ 429, 429, PP_ERR_RATE_LIMITED, "rate_limited" },
		{ 500, 599, PP_ERR_UNAVAILABLE, "server_error" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (status >= map[i].lo && status <= map[i].hi) {
			*detail = map[i].detail;
			return map[i].kind;
		}
	*detail = "bad_request";
	return PP_ERR_REMOTE;
}

/* The text of choices[0].message.content: a string, or the text parts of a
 * list of content parts. NULL when there is none. */
static char *content_of(const json_t *message)
{
	const json_t *c = json_object_get(message, "content");
	if (json_is_string(c))
		return trimmed_copy(json_string_value(c), json_string_length(c));
	if (json_is_array(c)) {
		struct buf b = BUF_INIT;
		size_t i;
		const json_t *part;
		json_array_foreach(c, i, part) {
			const char *t = json_string_value(json_object_get(part, "text"));
			if (t)
				buf_adds(&b, t);
		}
		char *s = trimmed_copy(buf_str(&b), b.len);
		buf_release(&b);
		return s;
	}
	return NULL;
}

/* Adds a reply's token count v to *total (-1: none counted yet). A count
 * that is not a whole number from 0 up is none; the sum stops at LONG_MAX
 * rather than overflow, whatever a server claims. */
static void add_tokens(long *total, const json_t *v)
{
	json_int_t n = json_integer_value(v);
	long sum;
	if (!json_is_integer(v) || n < 0)
		return;
	if (n > LONG_MAX || __builtin_add_overflow(*total < 0 ? 0 : *total, (long)n, &sum))
		sum = LONG_MAX;
	*total = sum;
}

int openai_parse_reply(const char *text, size_t len, const char *what, const char *asked,
		       struct openai_reply *reply, struct ai_call *call, struct pp_error *err)
{
	json_t *body = json_loadb(text, len, 0, NULL);
	int rc = -1;

	*reply = (struct openai_reply){ 0 };
	const json_t *usage = json_object_get(body, "usage");
	add_tokens(&call->prompt_tokens, json_object_get(usage, "prompt_tokens"));
	add_tokens(&call->completion_tokens, json_object_get(usage, "completion_tokens"));
	const char *model = json_string_value(json_object_get(body, "model"));
	snprintf(reply->model, sizeof(reply->model), "%s", model && *model ? model : asked);

	const json_t *choice = json_array_get(json_object_get(body, "choices"), 0);
	if (!json_is_object(choice)) {
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "%s: the reply has no choices", what);
		goto out;
	}
	const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
	const json_t *message = json_object_get(choice, "message");
	if (finish && strcmp(finish, "length") == 0) {
		call->error_type = "truncated";
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
			     "%s: the reply was cut off at the token limit (finish_reason length)",
			     what);
		goto out;
	}
	if (finish && strcmp(finish, "content_filter") == 0) {
		call->error_type = "content_filter";
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE,
			     "%s: the reply was withheld by the content filter", what);
		goto out;
	}
	const char *refusal = json_string_value(json_object_get(message, "refusal"));
	reply->content = content_of(message);
	if ((!reply->content || !*reply->content) && refusal && *refusal) {
		char *clean = sanitize(refusal);
		call->error_type = "refusal";
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "%s: the model refused: %.300s", what, clean);
		free(clean);
		goto out;
	}
	if (!reply->content) {
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "%s: the reply has no message content", what);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(reply->content);
		reply->content = NULL;
	}
	json_decref(body);
	return rc;
}

/* Adds what one reply's tokens (the counts in call past the *_before ones)
 * cost at model's price to call; a model without a price makes the cost
 * unknown. */
static void add_cost(const struct openai *o, const char *model, struct ai_call *call,
		     long prompt_before, long completion_before)
{
	long p = call->prompt_tokens - (prompt_before < 0 ? 0 : prompt_before);
	long c = call->completion_tokens - (completion_before < 0 ? 0 : completion_before);
	struct price price;
	if (call->prompt_tokens < 0 && call->completion_tokens < 0)
		return; /* no usage in the reply: nothing counted */
	if (price_lookup(o->prices, model, &price) < 0) {
		call->cost_unknown = true;
		return;
	}
	call->cost_usd += price_cost(&price, call->prompt_tokens < 0 ? 0 : p,
				     call->completion_tokens < 0 ? 0 : c);
}

/* Sends one request and reads choices[0]. Token counts add to *call. On
 * success reply->content is the caller's to free; on failure err says why
 * (API message and status for an HTTP error) and kind names the failure. */
static int chat_call(struct openai *o, const struct pp_ctx *ctx, const struct chat *c,
		     struct openai_reply *reply, struct ai_call *call, struct pp_error *err)
{
	const char *headers[] = { o->auth_header, "Content-Type: application/json",
				  "Accept: application/json", NULL };
	struct http_response resp = { 0 };
	long prompt_before = call->prompt_tokens, completion_before = call->completion_tokens;
	json_t *req = json_object();
	char *payload = NULL;
	int rc = -1;

	*reply = (struct openai_reply){ 0 };
	json_object_set_new(req, "model", json_string(c->model));
	json_object_set(req, "messages", c->messages);
	if (c->json_mode)
		json_object_set_new(req, "response_format", json_pack("{s:s}", "type", "json_object"));
	if (is_reasoning_model(c->model)) {
		json_object_set_new(req, "max_completion_tokens", json_integer(REASONING_MAX_TOKENS));
	} else {
		json_object_set_new(req, "temperature", json_real(c->temperature));
		json_object_set_new(req, "max_tokens", json_integer(c->max_tokens));
	}
	payload = json_dumps(req, JSON_COMPACT);
	if (!payload) {
		pp_fail_kind(err, WHERE, PP_ERR_INTERNAL, "%s: cannot encode the request", c->what);
		goto out;
	}

	rate_acquire(ctx);
	struct http_request hr = {
		.method = "POST",
		.url = o->endpoint,
		.headers = headers,
		.body = payload,
		.body_len = strlen(payload),
		.correlation_id = ctx ? ctx->correlation_id : NULL,
		.what = c->what,
		.download_fd = -1,
	};
	if (http_call(o->http, &hr, &resp, err) < 0)
		goto out;
	if (!http_ok(&resp)) {
		char text[400];
		openai_error_text(buf_str(&resp.body), resp.body.len, text, sizeof(text));
		pp_fail_kind(err, WHERE, status_kind(resp.status, &call->error_type),
			     "%s: HTTP %ld: %s", c->what,
			     resp.status, text);
		err->http_status = (int)resp.status;
		err->transient = resp.status == 429 || resp.status >= 500;
		err->retry_after = http_retry_after(&resp);
		goto out;
	}

	rc = openai_parse_reply(buf_str(&resp.body), resp.body.len, c->what, c->model, reply, call,
				err);
	add_cost(o, reply->model, call, prompt_before, completion_before);
out:
	http_response_release(&resp);
	json_decref(req);
	free(payload);
	return rc;
}

/* [{role: system, content: system}, {role: user, content: user}]; new reference. */
static json_t *text_messages(const char *system, const char *user)
{
	return json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content", system,
			 "role", "user", "content", user);
}

/* ---- analysis ---------------------------------------------------------- */

static char *vision_prompt(const struct openai *o)
{
	struct buf b = BUF_INIT;
	const char *lead = o->role_prompt ? o->role_prompt : default_vision_lead;

	buf_adds(&b, lead);
	/* JSON mode needs the word JSON in the messages; a custom prompt that
	 * does not ask for it gets the key list too. */
	if (!o->role_prompt || !icontains(o->role_prompt, "json")) {
		buf_adds(&b, "\n\n");
		buf_addf(&b, vision_keys, safety_label_list);
	}
	return buf_detach(&b);
}

void openai_parse_analysis(const char *content, struct analysis *out, struct ai_call *call)
{
	json_t *obj = parse_object(content);
	*out = (struct analysis){ 0 };
	if (obj) {
		analysis_from_json(obj, out);
	} else {
		/* not JSON: keep what the model said, flag it */
		out->description = xstrndup(content, utf8_offset(content, strlen(content),
								   FALLBACK_DESCRIPTION_CHARS));
		out->mood = xstrdup("unknown");
		call->error_type = "json_decode_error";
	}
	json_decref(obj);
}

bool openai_analysis_usable(const char *content, const char **why)
{
	json_t *obj = parse_object(content);
	struct strv tags = STRV_INIT;
	char *description;
	bool ok;

	*why = NULL;
	if (!obj) {
		*why = "json_decode_error";
		return false;
	}
	description = field_text(obj, "description");
	list_of(json_object_get(obj, "tags"), &tags, true);
	ok = description && tags.n > 0;
	if (!ok)
		*why = "missing_fields";
	free(description);
	strv_release(&tags);
	json_decref(obj);
	return ok;
}

/* One vision call at detail; *reply as chat_call leaves it. */
static int vision_call(struct openai *o, const struct pp_ctx *ctx, const char *prompt,
		       const char *url, const char *detail, struct openai_reply *reply,
		       struct ai_call *call, struct pp_error *err)
{
	json_t *messages = json_pack("[{s:s,s:s},{s:s,s:[{s:s,s:s},{s:s,s:{s:s,s:s}}]}]",
				     "role", "system", "content",
				     o->system_prompt ? o->system_prompt : default_vision_system,
				     "role", "user", "content",
				     "type", "text", "text", prompt,
				     "type", "image_url", "image_url", "url", url, "detail", detail);
	struct chat c = { .what = "openai vision", .model = o->vision_model, .messages = messages,
			  .temperature = VISION_TEMPERATURE, .max_tokens = VISION_MAX_TOKENS,
			  .json_mode = true };
	int rc = chat_call(o, ctx, &c, reply, call, err);
	json_decref(messages);
	return rc;
}

static int openai_analyze(struct ai *ai, const struct pp_ctx *ctx, const struct ai_image *img,
			  struct analysis *out, struct ai_call *call, struct pp_error *err)
{
	struct openai *o = (struct openai *)ai;
	struct openai_reply reply = { 0 };
	const char *cid = ctx ? ctx->correlation_id : NULL;
	const char *url, *why;
	char *prompt = NULL, *own_url = NULL;
	int rc = -1;

	*out = (struct analysis){ 0 };
	snprintf(call->model, sizeof(call->model), "%s", o->vision_model);
	if (!img || !img->url || !*img->url) {
		call->error_type = "no_image_url";
		return pp_fail_kind(err, WHERE, PP_ERR_UNSUPPORTED,
				    "openai vision: no URL for %s", img && img->name ? img->name : "the image");
	}
	/* A data: URL is already at [openAI] vision_max_px (the storage made
	 * it so); a temporary link is the storage's file as it is. */
	url = img->url;

	prompt = vision_prompt(o);
	call->detail = detail_names[o->vision_detail];
	if (vision_call(o, ctx, prompt, url, call->detail, &reply, call, err) < 0)
		goto out;
	/* One more call at high detail when a lower detail gave nothing usable. */
	if (o->vision_detail != VISION_DETAIL_HIGH && !openai_analysis_usable(reply.content, &why)) {
		struct openai_reply second = { 0 };
		struct pp_error second_err = { 0 };
		call->fallback = true;
		log_warning(LOGGER, "vision_fallback", cid, LF_STR("model", o->vision_model),
			    LF_STR("from_detail", call->detail), LF_STR("detail", "high"),
			    LF_STR("reason", why));
		if (vision_call(o, ctx, prompt, url, "high", &second, call, &second_err) == 0) {
			free(reply.content);
			reply = second;
			call->detail = "high";
		} else {
			/* the first answer stands, flagged as it is */
			call->error_type = NULL;
			log_warning(LOGGER, "vision_fallback_failed", cid,
				    LF_STR("model", o->vision_model), LF_STR("error", second_err.msg));
		}
	}
	snprintf(call->model, sizeof(call->model), "%s", reply.model);

	openai_parse_analysis(reply.content, out, call);
	rc = 0;
out:
	free(reply.content);
	free(prompt);
	free(own_url);
	return rc;
}

/* ---- captions ---------------------------------------------------------- */

static void describe_line(struct buf *b, const char *key, const char *value)
{
	if (value && *value)
		buf_addf(b, "- %s: %s\n", key, value);
}

static void describe_list(struct buf *b, const char *key, const struct strv *sv)
{
	if (sv->n) {
		char *s = strv_join(sv, ", ");
		buf_addf(b, "- %s: %s\n", key, s);
		free(s);
	}
}

/* What the vision step saw, as lines for a prompt. */
static void describe(struct buf *b, const struct analysis *an)
{
	buf_adds(b, "The photo:\n");
	describe_line(b, "description", an->description);
	describe_line(b, "mood", an->mood);
	describe_list(b, "tags", &an->tags);
	describe_line(b, "subject", an->subject);
	describe_line(b, "style", an->style);
	describe_line(b, "lighting", an->lighting);
	describe_line(b, "camera", an->camera);
	describe_list(b, "clothing or accessories", &an->clothing_or_accessories);
	describe_list(b, "aesthetic terms", &an->aesthetic_terms);
	describe_line(b, "pose", an->pose);
	describe_line(b, "composition", an->composition);
	describe_line(b, "background", an->background);
	describe_line(b, "colour palette", an->color_palette);
	if (an->nsfw)
		buf_adds(b, "- the photo is adult content: keep the words tasteful\n");
}

static bool engagement(const struct caption_spec *spec)
{
	return (spec->style && strcmp(spec->style, "engagement_question") == 0) ||
	       (spec->platform && strcmp(spec->platform, "fetlife_email") == 0);
}

static bool wants_hashtags(const struct caption_spec *spec)
{
	return !engagement(spec) && spec->hashtags && *spec->hashtags;
}

/* Characters the model may write: the hashtags we append take their share
 * (unless they would leave almost nothing, then the cut takes them). */
static size_t text_budget(const struct caption_spec *spec)
{
	size_t max = spec->max_length;
	if (wants_hashtags(spec)) {
		size_t tags = utf8_strlen(spec->hashtags);
		if (tags + 1 + 20 <= max)
			max -= tags + 1;
	}
	return max;
}

/* The caption instructions of spec, for either call shape. */
static void caption_rules(struct buf *b, const struct caption_spec *spec)
{
	buf_addf(b, "Platform: %s. Style: %s.\n", spec->platform ? spec->platform : "generic",
		 spec->style ? spec->style : "minimal_poetic");
	if (engagement(spec)) {
		buf_adds(b, "Write one or two plain sentences about the photo that end with a "
			    "question inviting the reader to reply. No hashtags, no emoji, no "
			    "quotation marks; it is sent as plain text by email.\n");
	} else {
		buf_adds(b, "Write a minimal, poetic caption: one or two short, evocative lines, "
			    "no emoji. Do not write hashtags: they are added afterwards.\n");
	}
	buf_addf(b, "The caption must be at most %zu characters long.\n", text_budget(spec));
}

static char *caption_only_prompt(const struct caption_spec *spec, const struct analysis *an)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "Write a caption for a photo.\n");
	caption_rules(&b, spec);
	buf_adds(&b, "Answer with the caption text only, without quotes or any preamble.\n\n");
	describe(&b, an);
	return buf_detach(&b);
}

static char *pair_prompt(const struct openai *o, const struct caption_spec *spec,
			 const struct analysis *an)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "Write a caption for a photo, and a training caption of the same photo.\n");
	buf_adds(&b, "\"caption\": ");
	caption_rules(&b, spec);
	buf_adds(&b, "\"sd_caption\": ");
	if (o->sd_role_prompt)
		buf_adds(&b, o->sd_role_prompt);
	else
		buf_adds(&b, sd_instructions);
	buf_adds(&b, ".\nRespond with ONE JSON object and nothing else: "
		     "{\"caption\": \"…\", \"sd_caption\": \"…\"}.\n\n");
	describe(&b, an);
	return buf_detach(&b);
}

static char *sd_only_prompt(const struct openai *o, const struct analysis *an)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "Write ");
	buf_adds(&b, o->sd_role_prompt ? o->sd_role_prompt : sd_instructions);
	buf_adds(&b, ".\nAnswer with the training caption only, on one line.\n\n");
	describe(&b, an);
	return buf_detach(&b);
}

char *openai_finish_caption(const char *text, const struct caption_spec *spec)
{
	char *t = trimmed_copy(text, strlen(text));
	char *out;

	strip_quotes(t);
	if (!*t) {
		free(t);
		return NULL;
	}
	if (wants_hashtags(spec) && !strstr(t, spec->hashtags)) {
		size_t budget = text_budget(spec);
		if (budget < spec->max_length) {
			char *body = ai_enforce_length(t, budget);
			out = xasprintf("%s %s", body, spec->hashtags);
			free(body);
			free(t);
			t = out;
		}
	}
	out = ai_enforce_length(t, spec->max_length);
	free(t);
	return out;
}

/* A plain-text call; *text is the caller's on success. */
static int text_call(struct openai *o, const struct pp_ctx *ctx, const char *what,
		     const char *model, const char *system, const char *user, double temperature,
		     char **text, char *model_out, size_t model_cap, struct ai_call *call,
		     struct pp_error *err)
{
	struct openai_reply reply;
	json_t *messages = text_messages(system, user);
	struct chat c = { .what = what, .model = model, .messages = messages,
			  .temperature = temperature, .max_tokens = CAPTION_MAX_TOKENS };
	int rc = chat_call(o, ctx, &c, &reply, call, err);
	json_decref(messages);
	*text = rc == 0 ? reply.content : NULL;
	if (rc == 0 && model_out)
		snprintf(model_out, model_cap, "%s", reply.model);
	return rc;
}

int openai_parse_caption_pair(const char *content, const struct caption_spec *spec,
			      struct caption_result *out, const char **why, struct pp_error *err)
{
	json_t *obj = parse_object(content);
	int rc = -1;

	*out = (struct caption_result){ 0 };
	*why = NULL;
	if (!obj) {
		*why = "json_decode_error";
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "openai caption: the reply is not JSON");
		goto out;
	}
	char *caption = field_text(obj, "caption");
	out->caption = caption ? openai_finish_caption(caption, spec) : NULL;
	free(caption);
	if (!out->caption) {
		*why = "missing_caption";
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "openai caption: the reply has no caption");
		goto out;
	}
	char *sd = field_text(obj, "sd_caption");
	if (sd) {
		strip_quotes(sd);
		if (*sd)
			out->sd_caption = sd;
		else
			free(sd);
	}
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* The caption and sd_caption in one JSON call. 0 with both set (sd may be
 * NULL when the model left it out), -1 with err and *why filled. */
static int pair_call(struct openai *o, const struct pp_ctx *ctx, const struct analysis *an,
		     const struct caption_spec *spec, struct caption_result *out,
		     struct ai_call *call, const char **why, struct pp_error *err)
{
	struct openai_reply reply;
	char *prompt = pair_prompt(o, spec, an);
	json_t *messages = text_messages(o->system_prompt ? o->system_prompt
					 : default_caption_system, prompt);
	int rc = -1;
	struct chat c = { .what = "openai caption", .model = o->caption_model,
			  .messages = messages, .temperature = PAIR_TEMPERATURE,
			  .max_tokens = CAPTION_MAX_TOKENS, .json_mode = true };

	*why = NULL;
	if (chat_call(o, ctx, &c, &reply, call, err) < 0) {
		*why = call->error_type ? call->error_type : pp_error_name(err->kind);
		goto out;
	}
	if (openai_parse_caption_pair(reply.content, spec, out, why, err) < 0)
		goto out;
	out->model = xstrdup(reply.model);
	rc = 0;
out:
	json_decref(messages);
	free(reply.content);
	free(prompt);
	return rc;
}

static int openai_caption(struct ai *ai, const struct pp_ctx *ctx, const struct analysis *an,
			  const struct caption_spec *spec, bool with_sd,
			  struct caption_result *out, struct ai_call *call, struct pp_error *err)
{
	struct openai *o = (struct openai *)ai;
	const char *cid = ctx ? ctx->correlation_id : NULL;
	char *text = NULL, *prompt = NULL;
	char model[64] = "";
	int rc = -1;

	*out = (struct caption_result){ 0 };
	snprintf(call->model, sizeof(call->model), "%s", o->caption_model);
	if (spec->max_length == 0)
		return pp_fail(err, WHERE, "caption limit is 0 characters");

	if (with_sd && o->sd_single_call) {
		const char *why;
		if (pair_call(o, ctx, an, spec, out, call, &why, err) == 0) {
			snprintf(call->model, sizeof(call->model), "%s", out->model);
			return 0;
		}
		/* any failure: the caption alone, without an sd_caption */
		log_warning(LOGGER, "caption_single_call_failed", cid,
			    LF_STR("model", o->caption_model), LF_STR("error_type", why),
			    LF_STR("error", err->msg), LF_STR("fallback", "caption_only"));
		call->error_type = strcmp(why, "json_decode_error") == 0 ? "json_decode_error"
				   : "single_call_failed";
		pp_error_clear(err);
	}

	prompt = caption_only_prompt(spec, an);
	if (text_call(o, ctx, "openai caption", o->caption_model,
		      o->system_prompt ? o->system_prompt : default_caption_system, prompt,
		      CAPTION_TEMPERATURE, &text, model, sizeof(model), call, err) < 0)
		goto out;
	out->caption = openai_finish_caption(text, spec);
	if (!out->caption) {
		pp_fail_kind(err, WHERE, PP_ERR_REMOTE, "empty caption from %s", model);
		goto out;
	}
	out->model = xstrdup(model);
	snprintf(call->model, sizeof(call->model), "%s", model);

	if (with_sd && !o->sd_single_call) {
		struct pp_error sd_err = { 0 };
		char *sd = NULL, *sd_prompt = sd_only_prompt(o, an);
		if (text_call(o, ctx, "openai sd_caption", o->sd_model,
			      o->sd_system_prompt ? o->sd_system_prompt : default_sd_system,
			      sd_prompt, SD_TEMPERATURE, &sd, NULL, 0, call, &sd_err) == 0) {
			strip_quotes(sd);
			if (*sd)
				out->sd_caption = sd;
			else
				free(sd);
		} else {
			/* the caption stands without its training caption */
			log_warning(LOGGER, "sd_caption_failed", cid, LF_STR("model", o->sd_model),
				    LF_STR("error", sd_err.msg));
		}
		free(sd_prompt);
	}
	rc = 0;
out:
	if (rc)
		caption_result_release(out);
	free(text);
	free(prompt);
	return rc;
}

/* ---- the ops ----------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void openai_close(struct ai *ai)
{
	struct openai *o = (struct openai *)ai;
	if (!o)
		return;
	http_client_free(o->http);
	free(o->endpoint);
	if (o->auth_header) {
		/* do not leave the key in freed memory */
		memset(o->auth_header, 0, strlen(o->auth_header));
		free(o->auth_header);
	}
	free(o->vision_model);
	free(o->caption_model);
	free(o->sd_model);
	free(o->system_prompt);
	free(o->role_prompt);
	free(o->sd_system_prompt);
	free(o->sd_role_prompt);
	free(o->prices);
	free(o);
}

static int openai_open(const struct config *cfg, struct ai **out, struct pp_error *err)
{
	struct openai *o;
	struct http_options opts = {
		.connect_timeout_s = cfg->http_connect_timeout > 0 ? cfg->http_connect_timeout : 10,
		.timeout_s = cfg->http_timeout > 0 ? cfg->http_timeout : 60,
		.max_attempts = 3,
		.backoff_base_ms = 1000,
		.backoff_max_ms = 8000,
		.retry_after_max_s = 30,
	};

	*out = NULL;
	if (!cfg->openai_api_key || !*cfg->openai_api_key)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "OPENAI_API_KEY is not set");
	if (!cfg->openai_base_url || !*cfg->openai_base_url)
		return pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "[openAI] base_url is not set");
	if (price_check_overrides(cfg->openai_prices, err) < 0)
		return -1;
	o = xcalloc(1, sizeof(*o));
	o->base.ops = &openai_ai;
	o->http = http_client_new(&opts);
	if (!o->http) {
		free(o);
		return pp_fail(err, WHERE, "cannot create the HTTP client");
	}
	o->endpoint = xasprintf("%s/chat/completions", cfg->openai_base_url);
	o->auth_header = xasprintf("Authorization: Bearer %s", cfg->openai_api_key);
	o->vision_model = xstrdup(cfg->vision_model ? cfg->vision_model : "gpt-4o");
	o->caption_model = xstrdup(cfg->caption_model ? cfg->caption_model : "gpt-4o-mini");
	o->sd_model = xstrdup(cfg->sd_caption_model ? cfg->sd_caption_model : o->caption_model);
	o->system_prompt = dup_or_null(cfg->system_prompt);
	o->role_prompt = dup_or_null(cfg->role_prompt);
	o->sd_system_prompt = dup_or_null(cfg->sd_caption_system_prompt);
	o->sd_role_prompt = dup_or_null(cfg->sd_caption_role_prompt);
	o->sd_single_call = cfg->sd_caption_single_call_enabled;
	o->vision_max_px = cfg->vision_max_px > 0 ? cfg->vision_max_px : 1024;
	o->vision_detail = cfg->vision_detail >= VISION_DETAIL_LOW &&
			   cfg->vision_detail <= VISION_DETAIL_AUTO ? cfg->vision_detail
			   : VISION_DETAIL_LOW;
	o->prices = dup_or_null(cfg->openai_prices);
	*out = &o->base;
	return 0;
}

static const char *openai_vision_model(const struct ai *ai)
{
	return ((const struct openai *)ai)->vision_model;
}

static const char *openai_caption_model(const struct ai *ai)
{
	return ((const struct openai *)ai)->caption_model;
}

const struct ai_ops openai_ai = {
	.name = "openai",
	.needs_url = true,
	.open = openai_open,
	.close = openai_close,
	.analyze = openai_analyze,
	.caption = openai_caption,
	.vision_model = openai_vision_model,
	.caption_model = openai_caption_model,
};
