/* config.c - the configuration: key table, defaults, environment layer and
 * validation. Every INI key photopub reads is one row of `keys` below; every
 * environment variable one row of `env_keys`. docs/configuration.md mirrors
 * both tables. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "config/dotenv.h"
#include "config/ini.h"
#include "config/problems.h"
#include "config/source.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/suggest.h"

#define LOGGER "config"

static const char *const provider_names[] = { "local", "openai", NULL };
static const char *const security_names[] = { "starttls", "tls", "none", NULL };
static const char *const target_names[] = { "subject", "body", "both", NULL };
static const char *const mode_names[] = { "normal", "private", "avatar", NULL };
static const char *const level_names[] = { "debug", "info", "warning", "error", NULL };
static const char *const order_names[] = { "random", "oldest", "newest", "name", NULL };
static const char *const vision_detail_names[] = { "low", "high", "auto", NULL };
static const char *const state_backend_names[] = { "sqlite", "postgres", NULL };

#define OFF(f) offsetof(struct config, f)

static const struct config_key keys[] = {
	{ "Storage", "backend", CONFIG_STR, OFF(backend), NULL, 0, 0, NULL },
	{ "Storage", "path", CONFIG_PATH, OFF(storage_path), NULL, 0, 0, NULL },
	{ "Storage", "archive", CONFIG_STR, OFF(archive), NULL, 0, 0, NULL },
	{ "Storage", "quarantine", CONFIG_STR, OFF(quarantine), "quarantine", 0, 0, NULL },

	{ "Dropbox", "image_folder", CONFIG_STR, OFF(image_folder), NULL, 0, 0, NULL },
	{ "Dropbox", "archive", CONFIG_STR, OFF(archive), NULL, 0, 0, NULL },
	{ "Dropbox", "api_url", CONFIG_URL, OFF(dropbox_api_url), "https://api.dropboxapi.com", 0, 0, NULL },
	{ "Dropbox", "content_url", CONFIG_URL, OFF(dropbox_content_url), "https://content.dropboxapi.com", 0, 0, NULL },
	{ "Dropbox", "oauth_url", CONFIG_URL, OFF(dropbox_oauth_url), "https://api.dropboxapi.com", 0, 0, NULL },

	{ "Content", "hashtag_string", CONFIG_STR, OFF(hashtag_string), "", 0, 0, NULL },
	{ "Content", "archive", CONFIG_BOOL, OFF(archive_enabled), "true", 0, 0, NULL },
	{ "Content", "debug", CONFIG_BOOL, OFF(debug), "false", 0, 0, NULL },
	{ "Content", "telegram", CONFIG_BOOL, OFF(telegram), "false", 0, 0, NULL },
	{ "Content", "instagram", CONFIG_BOOL, OFF(instagram), "false", 0, 0, NULL },
	{ "Content", "fetlife", CONFIG_BOOL, OFF(fetlife), "false", 0, 0, NULL },
	{ "Content", "order", CONFIG_ENUM, OFF(order), "random", 0, 0, order_names },

	{ "AI", "provider", CONFIG_ENUM, OFF(provider), NULL, 0, 0, provider_names },
	{ "openAI", "base_url", CONFIG_URL, OFF(openai_base_url), "https://api.openai.com/v1", 0, 0, NULL },
	{ "openAI", "vision_model", CONFIG_STR, OFF(vision_model), NULL, 0, 0, NULL },
	{ "openAI", "caption_model", CONFIG_STR, OFF(caption_model), NULL, 0, 0, NULL },
	{ "openAI", "model", CONFIG_STR, 0, NULL, 0, 0, NULL }, /* legacy: see apply_derived */
	{ "openAI", "system_prompt", CONFIG_STR, OFF(system_prompt), NULL, 0, 0, NULL },
	{ "openAI", "role_prompt", CONFIG_STR, OFF(role_prompt), NULL, 0, 0, NULL },
	{ "openAI", "sd_caption_enabled", CONFIG_BOOL, OFF(sd_caption_enabled), "true", 0, 0, NULL },
	{ "openAI", "sd_caption_single_call_enabled", CONFIG_BOOL, OFF(sd_caption_single_call_enabled), "true", 0, 0, NULL },
	{ "openAI", "sd_caption_model", CONFIG_STR, OFF(sd_caption_model), NULL, 0, 0, NULL },
	{ "openAI", "sd_caption_system_prompt", CONFIG_STR, OFF(sd_caption_system_prompt), NULL, 0, 0, NULL },
	{ "openAI", "sd_caption_role_prompt", CONFIG_STR, OFF(sd_caption_role_prompt), NULL, 0, 0, NULL },
	{ "openAI", "vision_max_px", CONFIG_INT, OFF(vision_max_px), "1024", 256, 2048, NULL },
	{ "openAI", "vision_detail", CONFIG_ENUM, OFF(vision_detail), "low", 0, 0, vision_detail_names },
	{ "openAI", "prices", CONFIG_STR, OFF(openai_prices), NULL, 0, 0, NULL },

	{ "HTTP", "connect_timeout", CONFIG_INT, OFF(http_connect_timeout), "10", 1, 300, NULL },
	{ "HTTP", "timeout", CONFIG_INT, OFF(http_timeout), "60", 1, 3600, NULL },

	{ "Telegram", "api_url", CONFIG_URL, OFF(telegram_api_url), "https://api.telegram.org", 0, 0, NULL },

	{ "Email", "sender", CONFIG_STR, OFF(email_sender), NULL, 0, 0, NULL },
	{ "Email", "recipient", CONFIG_STR, OFF(email_recipient), NULL, 0, 0, NULL },
	{ "Email", "smtp_server", CONFIG_STR, OFF(smtp_server), NULL, 0, 0, NULL },
	{ "Email", "smtp_port", CONFIG_INT, OFF(smtp_port), NULL, 1, 65535, NULL },
	{ "Email", "security", CONFIG_ENUM, OFF(email_security), NULL, 0, 0, security_names },
	{ "Email", "caption_target", CONFIG_ENUM, OFF(caption_target), "subject", 0, 0, target_names },
	{ "Email", "subject_mode", CONFIG_ENUM, OFF(subject_mode), "normal", 0, 0, mode_names },
	{ "Email", "confirmation_to_sender", CONFIG_BOOL, OFF(confirmation_to_sender), "true", 0, 0, NULL },
	{ "Email", "confirmation_tags_count", CONFIG_INT, OFF(confirmation_tags_count), "5", 0, 100, NULL },
	{ "Email", "confirmation_tags_nature", CONFIG_STR, OFF(confirmation_tags_nature), "", 0, 0, NULL },
	{ "Email", "ca_file", CONFIG_PATH, OFF(email_ca_file), NULL, 0, 0, NULL },

	{ "Instagram", "name", CONFIG_STR, OFF(instagram_name), NULL, 0, 0, NULL },
	{ "Instagram", "user_id", CONFIG_STR, OFF(instagram_user_id), NULL, 0, 0, NULL },
	{ "Instagram", "graph_url", CONFIG_URL, OFF(instagram_graph_url), "https://graph.facebook.com/v21.0", 0, 0, NULL },
	{ "Instagram", "poll_interval", CONFIG_INT, OFF(instagram_poll_interval), "2", 1, 60, NULL },
	{ "Instagram", "poll_timeout", CONFIG_INT, OFF(instagram_poll_timeout), "60", 1, 3600, NULL },

	{ "CaptionFile", "extended_metadata_enabled", CONFIG_BOOL, OFF(extended_metadata_enabled), "false", 0, 0, NULL },
	{ "CaptionFile", "artist_alias", CONFIG_STR, OFF(artist_alias), NULL, 0, 0, NULL },

	{ "State", "path", CONFIG_PATH, OFF(state_path), NULL, 0, 0, NULL },
	{ "State", "backend", CONFIG_ENUM, OFF(state_backend), "sqlite", 0, 0, state_backend_names },
	{ "State", "url", CONFIG_STR, OFF(state_url), NULL, 0, 0, NULL },

	{ "Publish", "timeout", CONFIG_INT, OFF(publish_timeout), "120", 1, 86400, NULL },

	{ "Web", "host", CONFIG_STR, OFF(web_host), "127.0.0.1", 0, 0, NULL },
	{ "Web", "port", CONFIG_INT, OFF(web_port), NULL, 1, 65535, NULL },
	{ "Web", "metrics_public", CONFIG_BOOL, OFF(metrics_public), "false", 0, 0, NULL },
	{ "Web", "metrics", CONFIG_BOOL, OFF(metrics_enabled), "true", 0, 0, NULL },
	{ "Web", "allow_remote", CONFIG_BOOL, OFF(web_allow_remote), "false", 0, 0, NULL },
	{ "Web", "trusted_proxies", CONFIG_STR, OFF(web_trusted_proxies), "", 0, 0, NULL },
	{ "Web", "head_timeout", CONFIG_INT, OFF(web_head_timeout), "10", 1, 300, NULL },
	{ "Web", "body_timeout", CONFIG_INT, OFF(web_body_timeout), "20", 1, 3600, NULL },

	{ "Log", "level", CONFIG_ENUM, 0, NULL, 0, 0, level_names }, /* see apply_derived */
	{ "Log", "file", CONFIG_STR, OFF(log_file), NULL, 0, 0, NULL }, /* see apply_derived */
};

struct env_def {
	const char *name;
	size_t offset;      /* char * field */
	bool secret;
};

static const struct env_def env_keys[] = {
	{ "DROPBOX_APP_KEY", OFF(dropbox_app_key), true },
	{ "DROPBOX_APP_SECRET", OFF(dropbox_app_secret), true },
	{ "DROPBOX_REFRESH_TOKEN", OFF(dropbox_refresh_token), true },
	{ "OPENAI_API_KEY", OFF(openai_api_key), true },
	{ "TELEGRAM_BOT_TOKEN", OFF(telegram_bot_token), true },
	{ "TELEGRAM_CHANNEL_ID", OFF(telegram_channel_id), false },
	{ "EMAIL_PASSWORD", OFF(email_password), true },
	{ "INSTA_PASSWORD", OFF(insta_password), true },
	{ "INSTAGRAM_ACCESS_TOKEN", OFF(instagram_access_token), true },
	{ "WEB_AUTH_TOKEN", OFF(web_auth_token), true },
	{ "WEB_AUTH_USER", OFF(web_auth_user), false },
	{ "WEB_AUTH_PASS", OFF(web_auth_pass), true },
	{ "web_admin_pw", OFF(web_admin_pw), true },
	{ "WEB_SESSION_SECRET", OFF(web_session_secret), true },
};

/* ---- helpers ------------------------------------------------------------ */

const char *config_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int config_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_int(const char *v, int min, int max, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_enum(const char *v, const char *const *choices, int *out)
{
	for (int i = 0; choices[i]; i++)
		if (!strcasecmp(v, choices[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

static char *choices_text(const char *const *choices)
{
	struct buf b = BUF_INIT;
	for (int i = 0; choices[i]; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", choices[i]);
	return buf_detach(&b);
}

static char **str_field(struct config *cfg, size_t off)
{
	return (char **)((char *)cfg + off);
}

static char *resolve_path(const struct config *cfg, const char *v)
{
	if (v[0] == '/')
		return xstrdup(v);
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		const char *home = getenv("HOME");
		return xasprintf("%s%s", home ? home : "", v + 1);
	}
	return fs_join(cfg->dir, v);
}

/* The key section/key among config's own (modules NULL) or a module's. */
static const struct config_key *find_key_in(const struct config_key *table, size_t n,
					    const char *section, const char *key)
{
	for (size_t i = 0; table && (n ? i < n : table[i].section != NULL); i++)
		if (!strcasecmp(table[i].section, section) && (!key || !strcmp(table[i].key, key)))
			return &table[i];
	return NULL;
}

static const struct config_key *find_key(const char *section, const char *key)
{
	return find_key_in(keys, sizeof(keys) / sizeof(keys[0]), section, key);
}

static const struct config_key *find_module_key(const struct config_module *const *mods,
						const char *section, const char *key)
{
	for (size_t i = 0; mods && mods[i]; i++) {
		const struct config_key *k = find_key_in(mods[i]->keys, 0, section, key);
		if (k)
			return k;
	}
	return NULL;
}

static bool known_section(const struct config *cfg, const char *section)
{
	return find_key(section, NULL) || find_module_key(cfg->modules, section, NULL);
}

/* Offers every key of config's own table and of the modules' to fn. */
static void each_key(const struct config *cfg, void (*fn)(const struct config_key *k, void *arg),
		     void *arg)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		fn(&keys[i], arg);
	for (size_t m = 0; cfg->modules && cfg->modules[m]; m++)
		for (const struct config_key *k = cfg->modules[m]->keys; k && k->section; k++)
			fn(k, arg);
}

/* The search for a known section ("Mastodon" for "Mastadon"), or a known
 * key of one section ("enabled" for "enable"). */
struct near {
	struct suggest s;
	const char *section;    /* NULL: look for a section */
	const char *found_section;
};

static void offer_key(const struct config_key *k, void *arg)
{
	struct near *n = arg;
	const char *before = suggest_result(&n->s);
	if (!n->section)
		suggest_add(&n->s, k->section);
	else if (!strcasecmp(k->section, n->section))
		suggest_add(&n->s, k->key);
	if (suggest_result(&n->s) != before)
		n->found_section = k->section;
}

/* "[Mastodon] enabled" for key in section, or "[Mastodon]" for section
 * (key NULL), into out; false when nothing is near. */
static bool suggest_name(const struct config *cfg, const char *section, const char *key,
			 char *out, size_t size)
{
	struct near n = { .section = key ? section : NULL };
	suggest_init(&n.s, key ? key : section);
	each_key(cfg, offer_key, &n);
	const char *best = suggest_result(&n.s);
	if (!best)
		return false;
	if (key)
		snprintf(out, size, "[%s] %s", n.found_section, best);
	else
		snprintf(out, size, "[%s]", best);
	return true;
}

/* A value checked against k: text (STR, PATH made absolute, URL without
 * its trailing '/'; caller frees) or a boolean, a number, an enum index. */
struct parsed {
	char *text;
	bool b;
	int i;
};

static int parse_value(const struct config *cfg, const struct config_key *k, const char *v,
		       struct parsed *out, struct config_error *e)
{
	*out = (struct parsed){ 0 };
	switch (k->type) {
	case CONFIG_STR:
		out->text = xstrdup(v);
		return 0;
	case CONFIG_PATH:
		if (!*v)
			return config_fail(e, cfg->path, k->section, k->key, "must not be empty");
		out->text = resolve_path(cfg, v);
		return 0;
	case CONFIG_URL: {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return config_fail(e, cfg->path, k->section, k->key,
				    "must be an http:// or https:// URL, got \"%s\"", v);
		out->text = xstrdup(v);
		size_t n = strlen(out->text);
		while (n > 0 && out->text[n - 1] == '/')
			out->text[--n] = '\0';
		return 0;
	}
	case CONFIG_BOOL:
		if (config_parse_bool(v, &out->b) < 0)
			return config_fail(e, cfg->path, k->section, k->key,
				    "expected a boolean (true/false, yes/no, on/off, 1/0), got \"%s\"", v);
		return 0;
	case CONFIG_INT:
		if (parse_int(v, k->min, k->max, &out->i) < 0)
			return config_fail(e, cfg->path, k->section, k->key,
				    "expected a whole number from %d to %d, got \"%s\"", k->min, k->max, v);
		return 0;
	case CONFIG_ENUM:
		if (parse_enum(v, k->choices, &out->i) < 0) {
			char *c = choices_text(k->choices);
			config_fail(e, cfg->path, k->section, k->key, "expected one of %s, got \"%s\"", c, v);
			free(c);
			struct suggest s;
			suggest_init(&s, v);
			for (int i = 0; k->choices[i]; i++)
				suggest_add(&s, k->choices[i]);
			if (suggest_result(&s))
				config_hint(e, "did you mean %s?", suggest_result(&s));
			return -1;
		}
		return 0;
	}
	return 0;
}

int config_need_env(struct config_error *e, const char *value, const char *name,
		    const char *when)
{
	if (value)
		return 0;
	config_fail(e, "environment", NULL, name, "required with %s", when);
	config_hint(e, "set %s in the environment or in the .env file (--env FILE)", name);
	return -1;
}

/* Stores text value v of config's own key k into its field of cfg. */
static int set_value(struct config *cfg, const struct config_key *k, const char *v,
		     struct config_error *e)
{
	struct parsed p;
	if (parse_value(cfg, k, v, &p, e) < 0)
		return -1;
	switch (k->type) {
	case CONFIG_STR:
	case CONFIG_PATH:
	case CONFIG_URL:
		free(*str_field(cfg, k->offset));
		*str_field(cfg, k->offset) = p.text;
		return 0;
	case CONFIG_BOOL:
		*(bool *)((char *)cfg + k->offset) = p.b;
		return 0;
	case CONFIG_INT:
		*(int *)((char *)cfg + k->offset) = p.i;
		return 0;
	case CONFIG_ENUM:
		if (k->offset)
			*(int *)((char *)cfg + k->offset) = p.i;
		return 0;
	}
	return 0;
}

/* Stores a module key's value, normalized, as text (the last one wins). */
static int set_module_value(struct config *cfg, const struct config_key *k, const char *v,
			    struct config_error *e)
{
	struct parsed p;
	if (parse_value(cfg, k, v, &p, e) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nvalues; i++)
		if (!strcmp(cfg->values[i].section, k->section) && !strcmp(cfg->values[i].key, k->key)) {
			free(cfg->values[i].text);
			cfg->values[i].text = p.text ? p.text : xstrdup(v);
			return 0;
		}
	cfg->values = xrealloc(cfg->values, (cfg->nvalues + 1) * sizeof(*cfg->values));
	cfg->values[cfg->nvalues++] = (struct config_value){
		.section = xstrdup(k->section), .key = xstrdup(k->key),
		.text = p.text ? p.text : xstrdup(v),
	};
	return 0;
}

static const struct config_value *find_value(const struct config *cfg, const char *section,
					     const char *key)
{
	for (size_t i = 0; i < cfg->nvalues; i++)
		if (!strcasecmp(cfg->values[i].section, section) && !strcmp(cfg->values[i].key, key))
			return &cfg->values[i];
	return NULL;
}

const char *config_get(const struct config *cfg, const char *section, const char *key)
{
	const struct config_value *v = find_value(cfg, section, key);
	return v ? v->text : NULL;
}

bool config_get_bool(const struct config *cfg, const char *section, const char *key)
{
	const char *v = config_get(cfg, section, key);
	bool b = false;
	return v && config_parse_bool(v, &b) == 0 && b;
}

int config_get_int(const struct config *cfg, const char *section, const char *key)
{
	const char *v = config_get(cfg, section, key);
	return v ? atoi(v) : 0;
}

int config_get_enum(const struct config *cfg, const char *section, const char *key)
{
	const struct config_key *k = find_module_key(cfg->modules, section, key);
	const char *v = config_get(cfg, section, key);
	int i = -1;
	if (!k || !v || !k->choices || parse_enum(v, k->choices, &i) < 0)
		return -1;
	return i;
}

/* ---- loading ------------------------------------------------------------ */

static const char *ini_get(const struct ini_file *f, const char *section, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (!strcasecmp(f->entries[i].section, section) && !strcmp(f->entries[i].key, key))
			v = f->entries[i].value; /* the last one wins */
	return v;
}

static bool ini_has_section(const struct ini_file *f, const char *section)
{
	for (size_t i = 0; i < f->nsections; i++)
		if (!strcasecmp(f->sections[i], section))
			return true;
	return false;
}

static int load_env_file(const struct config_options *opts, struct config *cfg,
			 struct config_error *e)
{
	struct pp_error perr = { 0 };
	char *path = NULL;
	if (opts->env_path) {
		path = xstrdup(opts->env_path);
		if (config_check_source(path, ".env file", e) < 0) {
			free(path);
			return -1;
		}
	} else {
		char *beside = fs_join(cfg->dir, ".env");
		if (access(beside, R_OK) == 0)
			path = beside;
		else if (free(beside), access(".env", R_OK) == 0)
			path = xstrdup(".env");
	}
	if (!path)
		return 0;
	if (dotenv_load_report(path, &perr, e) < 0) {
		config_fail(e, path, NULL, NULL, "%s", perr.msg);
		free(path);
		return -1;
	}
	cfg->env_path = path;
	return 0;
}

/* Environment values, secrets registered with the sanitizer before anything
 * (an INI error message quoting a value, say) could carry one to a log. */
static void apply_env(struct config *cfg)
{
	for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
		const char *ev = config_env(env_keys[i].name);
		if (!ev)
			continue;
		*str_field(cfg, env_keys[i].offset) = xstrdup(ev);
		if (env_keys[i].secret)
			sanitize_add_secret(ev);
	}
}

/* The modules' secrets are registered like config's own; their values are
 * read with config_env(). */
static void apply_module_env(const struct config *cfg)
{
	for (size_t m = 0; cfg->modules && cfg->modules[m]; m++)
		for (const struct config_env_key *k = cfg->modules[m]->env; k && k->name; k++) {
			const char *ev = config_env(k->name);
			if (ev && k->secret)
				sanitize_add_secret(ev);
		}
}

/* Defaults of the module keys the file did not set, normalized like values. */
static void apply_module_defaults(struct config *cfg, struct config_error *e)
{
	for (size_t m = 0; cfg->modules && cfg->modules[m]; m++)
		for (const struct config_key *k = cfg->modules[m]->keys; k && k->section; k++)
			if (k->def && !find_value(cfg, k->section, k->key))
				set_module_value(cfg, k, k->def, e);
}

static void apply_defaults(struct config *cfg)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct config_key *k = &keys[i];
		if (!k->def || !k->offset)
			continue;
		struct config_error ignored = { 0 };
		set_value(cfg, k, k->def, &ignored);
	}
}

/* Warns of an unknown section or key, with the nearest known name. */
static void warn_unknown(struct config *cfg, const char *section, const char *key, int line,
			 struct config_error *e)
{
	char near[160] = "";
	bool have = suggest_name(cfg, section, key, near, sizeof(near));
	char *hint = have ? xasprintf("did you mean %s?", near) : NULL;
	if (key) {
		log_warning(LOGGER, "config_unknown_key", NULL, LF_STR("file", cfg->path),
			    LF_STR("section", section), LF_STR("key", key), LF_INT("line", line),
			    LF_STR("suggestion", have ? near : NULL));
		config_warn(e, cfg->path, line, section, key, "unknown key (ignored)");
	} else {
		log_warning(LOGGER, "config_unknown_section", NULL, LF_STR("file", cfg->path),
			    LF_STR("section", section), LF_INT("line", line),
			    LF_STR("suggestion", have ? near : NULL));
		config_warn(e, cfg->path, line, section, NULL, "unknown section (ignored)");
	}
	if (hint)
		config_hint(e, "%s", hint);
	free(hint);
}

static void apply_ini(struct config *cfg, const struct ini_file *f, struct config_error *e)
{
	for (size_t i = 0; i < f->nsections; i++)
		if (!known_section(cfg, f->sections[i]))
			warn_unknown(cfg, f->sections[i], NULL, f->section_lines[i], e);
	for (size_t i = 0; i < f->n; i++) {
		const struct ini_entry *en = &f->entries[i];
		const struct config_key *k = find_key(en->section, en->key);
		const struct config_key *mk = k ? NULL : find_module_key(cfg->modules, en->section,
									  en->key);
		if (!k && !mk) {
			if (known_section(cfg, en->section))
				warn_unknown(cfg, en->section, en->key, en->line, e);
			continue;
		}
		if (k && k->offset == 0 && k->type != CONFIG_ENUM)
			continue; /* handled in apply_derived */
		size_t before = e->nerrors;
		if ((k ? set_value(cfg, k, en->value, e) : set_module_value(cfg, mk, en->value, e)) < 0) {
			/* The section as written in the file, and the line. */
			struct config_problem *p = e->nerrors > before ? config_last_problem(e) : NULL;
			if (p) {
				snprintf(p->section, sizeof(p->section), "%s", en->section);
				p->line = en->line;
				config_refresh_first(e);
			}
		}
	}
}

char *config_state_dir(void)
{
	const char *xdg = config_env("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/photopub", xdg);
	const char *home = config_env("HOME");
	return xasprintf("%s/.local/state/photopub", home ? home : ".");
}

char *config_default_log_path(void)
{
	const char *logs = config_env("LOGS_DIRECTORY");
	if (logs && logs[0] == '/') {
		/* systemd may list several folders, separated by ':'; the first is ours. */
		size_t n = strcspn(logs, ":");
		return xasprintf("%.*s/photopub.log", (int)n, logs);
	}
	char *dir = config_state_dir();
	char *path = fs_join(dir, "photopub.log");
	free(dir);
	return path;
}

static char *default_state_path(void)
{
	char *dir = config_state_dir();
	char *path = fs_join(dir, "state.db");
	free(dir);
	return path;
}

static void apply_derived(struct config *cfg, const struct ini_file *f, struct config_error *e)
{
	const char *v;

	/* [Storage] backend: dropbox when the upstream [Dropbox] section is there. */
	if (!cfg->backend)
		cfg->backend = xstrdup(ini_has_section(f, "Dropbox") && !ini_get(f, "Storage", "path")
					       ? "dropbox" : "local");
	if (!cfg->archive)
		cfg->archive = xstrdup("archive");

	/* Models: legacy [openAI] model fills both when they are absent. */
	const char *legacy = ini_get(f, "openAI", "model");
	if (!cfg->vision_model)
		cfg->vision_model = xstrdup(legacy && *legacy ? legacy : "gpt-4o");
	if (!cfg->caption_model)
		cfg->caption_model = xstrdup(legacy && *legacy ? legacy : "gpt-4o-mini");
	if (!cfg->sd_caption_model)
		cfg->sd_caption_model = xstrdup(cfg->caption_model);


	if (!ini_get(f, "AI", "provider"))
		cfg->provider = cfg->openai_api_key ? AI_OPENAI : AI_LOCAL;

	/* Email server: INI, else SMTP_SERVER / SMTP_PORT, else Gmail on 587. */
	if (!cfg->smtp_server)
		cfg->smtp_server = xstrdup((v = config_env("SMTP_SERVER")) ? v : "smtp.gmail.com");
	if (!ini_get(f, "Email", "smtp_port")) {
		cfg->smtp_port = 587;
		if ((v = config_env("SMTP_PORT")) && parse_int(v, 1, 65535, &cfg->smtp_port) < 0)
			config_fail(e, "environment", NULL, "SMTP_PORT",
				    "expected a port number from 1 to 65535, got \"%s\"", v);
	}
	if (!ini_get(f, "Email", "security"))
		cfg->email_security = cfg->smtp_port == 465 ? EMAIL_TLS : EMAIL_STARTTLS;

	/* Web. */
	if (!ini_get(f, "Web", "port")) {
		cfg->web_port = 8000;
		if ((v = config_env("PORT")) && parse_int(v, 1, 65535, &cfg->web_port) < 0)
			config_fail(e, "environment", NULL, "PORT",
				    "expected a port number from 1 to 65535, got \"%s\"", v);
	}
	cfg->web_admin_cookie_ttl = 3600;
	if ((v = config_env("WEB_ADMIN_COOKIE_TTL_SECONDS"))) {
		int ttl;
		if (parse_int(v, INT_MIN, INT_MAX, &ttl) < 0)
			config_fail(e, "environment", NULL, "WEB_ADMIN_COOKIE_TTL_SECONDS",
				    "expected a number of seconds, got \"%s\"", v);
		else
			cfg->web_admin_cookie_ttl = ttl < 60 ? 60 : ttl > 3600 ? 3600 : ttl;
	}
	if ((v = config_env("WEB_SECURE_COOKIES")) && config_parse_bool(v, &cfg->web_secure_cookies) < 0)
		config_fail(e, "environment", NULL, "WEB_SECURE_COOKIES", "expected a boolean, got \"%s\"", v);
	if ((v = config_env("WEB_DEBUG")) && config_parse_bool(v, &cfg->web_debug) < 0)
		config_fail(e, "environment", NULL, "WEB_DEBUG", "expected a boolean, got \"%s\"", v);

	if (!cfg->state_path)
		cfg->state_path = default_state_path();

	/* [Log] file: "none" turns the file off; unset is the default file. */
	if (!cfg->log_file) {
		cfg->log_file = config_default_log_path();
	} else if (!strcasecmp(cfg->log_file, "none")) {
		free(cfg->log_file);
		cfg->log_file = NULL;
	} else if (!*cfg->log_file) {
		config_fail(e, cfg->path, "Log", "file", "must not be empty (none turns the file off)");
	} else {
		char *abs = resolve_path(cfg, cfg->log_file);
		free(cfg->log_file);
		cfg->log_file = abs;
	}

	v = ini_get(f, "Log", "level");
	cfg->log_level = xstrdup(v ? v : "info");
	for (char *p = cfg->log_level; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* Model names the default OpenAI endpoint accepts: gpt-3.5*, gpt-4*, gpt-5*
 * and later, o1*, o3*, o4* and later. */
static bool openai_model_ok(const char *m)
{
	if (!strncmp(m, "gpt-3.5", 7))
		return true;
	if (!strncmp(m, "gpt-", 4) && m[4] >= '4' && m[4] <= '9')
		return true;
	if (m[0] == 'o' && m[1] >= '1' && m[1] <= '9')
		return true;
	return false;
}

static void validate(struct config *cfg, const struct config_options *opts,
		     struct config_error *e)
{
	const char *file = cfg->path;
	if (cfg->provider == AI_OPENAI &&
	    config_need_env(e, cfg->openai_api_key, "OPENAI_API_KEY", "[AI] provider = openai") == 0 &&
	    !strcmp(cfg->openai_base_url, "https://api.openai.com/v1")) {
		if (strncmp(cfg->openai_api_key, "sk-", 3))
			config_fail(e, "environment", NULL, "OPENAI_API_KEY",
				    "an OpenAI key starts with \"sk-\"");
		const char *const names[] = { "vision_model", "caption_model", "sd_caption_model" };
		const char *values[] = { cfg->vision_model, cfg->caption_model, cfg->sd_caption_model };
		for (int i = 0; i < 3; i++)
			if (!openai_model_ok(values[i]))
				config_fail(e, file, "openAI", names[i],
					    "\"%s\" is not an OpenAI model name (gpt-4…, gpt-3.5…, o1…, o3…)",
					    values[i]);
	}

	if (log_level_parse(cfg->log_level) < 0)
		config_fail(e, file, "Log", "level", "expected debug, info, warning or error");
	if (opts->check)
		opts->check(cfg, opts, e);
}

/* The line of the file each problem of a key set there is about. */
static void find_lines(const struct config *cfg, const struct ini_file *f, struct config_error *e)
{
	for (size_t i = 0; i < e->nproblems; i++) {
		struct config_problem *p = &e->problems[i];
		if (p->line || !*p->section || strcmp(p->file, cfg->path))
			continue;
		if (!*p->key) {
			for (size_t j = 0; j < f->nsections && !p->line; j++)
				if (!strcasecmp(f->sections[j], p->section))
					p->line = f->section_lines[j];
			continue;
		}
		for (size_t j = 0; j < f->n; j++)
			if (!strcasecmp(f->entries[j].section, p->section) &&
			    !strcmp(f->entries[j].key, p->key))
				p->line = f->entries[j].line; /* the last one wins, as its value */
	}
	config_refresh_first(e);
}

int config_load(const struct config_options *opts, struct config *cfg,
		struct config_error *e)
{
	struct ini_file f = { 0 };
	int bad = 0;
	*cfg = (struct config){ 0 };
	*e = (struct config_error){ 0 };

	cfg->path = xstrdup(opts->config_path);
	char *slash = strrchr(cfg->path, '/');
	cfg->dir = slash ? xstrndup(cfg->path, (size_t)(slash - cfg->path + (slash == cfg->path)))
			 : xstrdup(".");

	/* The INI file and the .env file: both are reported before stopping. */
	if (!opts->config_text && config_check_source(cfg->path, "configuration file", e) < 0) {
		/* reported */
	} else if ((opts->config_text ? ini_read_mem(opts->config_text, opts->config_len, &f, &bad)
				      : ini_read(cfg->path, &f, &bad)) < 0) {
		if (bad == 0)
			config_fail(e, cfg->path, NULL, NULL, "cannot read the configuration file: %s",
			     strerror(errno));
		else
			config_fail(e, cfg->path, NULL, NULL,
			     "line %d is not valid INI (expected [Section] or key = value)", bad);
	}
	load_env_file(opts, cfg, e);
	if (e->nerrors)
		goto unread;
	cfg->modules = opts->modules;
	apply_env(cfg);
	apply_module_env(cfg);
	apply_defaults(cfg);
	/* Each step reports every problem it finds; the next ones still run on
	 * the defaults, so one pass finds everything. */
	apply_ini(cfg, &f, e);
	apply_module_defaults(cfg, e);
	apply_derived(cfg, &f, e);
	validate(cfg, opts, e);
	find_lines(cfg, &f, e);
	ini_release(&f);
	if (!e->nerrors)
		return 0;
	if (!opts->keep)
		config_release(cfg);
	return -1;
unread:
	ini_release(&f);
	config_release(cfg);
	return -1;
}

void config_release(struct config *cfg)
{
	char **fields[] = {
		&cfg->path, &cfg->dir, &cfg->env_path, &cfg->backend, &cfg->storage_path, &cfg->archive, &cfg->quarantine,
		&cfg->image_folder, &cfg->dropbox_api_url, &cfg->dropbox_content_url,
		&cfg->dropbox_oauth_url, &cfg->dropbox_app_key, &cfg->dropbox_app_secret,
		&cfg->dropbox_refresh_token, &cfg->hashtag_string, &cfg->openai_base_url,
		&cfg->openai_api_key, &cfg->vision_model, &cfg->caption_model, &cfg->system_prompt,
		&cfg->role_prompt, &cfg->sd_caption_model, &cfg->sd_caption_system_prompt,
		&cfg->sd_caption_role_prompt, &cfg->openai_prices, &cfg->telegram_api_url, &cfg->telegram_bot_token,
		&cfg->telegram_channel_id, &cfg->email_sender, &cfg->email_recipient,
		&cfg->smtp_server, &cfg->confirmation_tags_nature, &cfg->email_password,
		&cfg->email_ca_file,
		&cfg->instagram_name, &cfg->instagram_user_id, &cfg->instagram_graph_url,
		&cfg->instagram_access_token, &cfg->insta_password, &cfg->artist_alias,
		&cfg->state_path, &cfg->state_url, &cfg->web_host, &cfg->web_auth_token,
		&cfg->web_auth_user, &cfg->web_auth_pass, &cfg->web_admin_pw,
		&cfg->web_session_secret, &cfg->web_trusted_proxies, &cfg->log_level, &cfg->log_file,
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	for (size_t i = 0; i < cfg->nvalues; i++) {
		free(cfg->values[i].section);
		free(cfg->values[i].key);
		free(cfg->values[i].text);
	}
	free(cfg->values);
	*cfg = (struct config){ 0 };
}

const char *config_caption_target_name(enum caption_target t) { return target_names[t]; }
const char *config_subject_mode_name(enum subject_mode m) { return mode_names[m]; }
const char *config_email_security_name(enum email_security s) { return security_names[s]; }
const char *config_content_order_name(enum content_order o) { return order_names[o]; }
