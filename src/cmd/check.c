/* check.c - `photopub check`: loads and validates the configuration the way
 * run and serve do (both sets of requirements), prints every error and
 * warning with its file, line, [section] key and hint, then each platform
 * of the publishers table (enabled, ready or what it lacks), the storage
 * backend and the AI provider. Everything printed goes through sanitize():
 * no secret's value ever reaches the output. */
#include <getopt.h> /* optind */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "core/check.h"
#include "publish/publisher.h"
#include "storage/storage.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/strv.h"

static int parse_args(int argc, char **argv, struct cmd_config_args *a)
{
	if (cmd_config_args("check", argc, argv, a))
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_usage_error("check", "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cmd_usage_error("check", "--config FILE is required");
	return 0;
}

/* What one part (a platform, the storage, the AI) lacks: the names of the
 * settings its errors are about, "required" ones apart from wrong ones. */
struct readiness {
	bool enabled;
	struct strv missing, invalid;
};

/* "TELEGRAM_BOT_TOKEN" for an environment value, "[Email] sender" for a key. */
static char *setting_name(const struct config_problem *p)
{
	if (*p->section && *p->key)
		return xasprintf("[%s] %s", p->section, p->key);
	if (*p->key)
		return xstrdup(p->key);
	if (*p->section)
		return xasprintf("[%s]", p->section);
	return xstrdup(p->problem);
}

static void add_problems(struct readiness *r, const struct config_error *e)
{
	for (size_t i = 0; i < e->nproblems; i++) {
		const struct config_problem *p = &e->problems[i];
		if (p->warning)
			continue;
		char *name = setting_name(p);
		strv_push_unique(!strncmp(p->problem, "required", 8) ? &r->missing : &r->invalid, name);
		free(name);
	}
}

static bool ready(const struct readiness *r)
{
	return r->missing.n == 0 && r->invalid.n == 0;
}

static void readiness_release(struct readiness *r)
{
	strv_release(&r->missing);
	strv_release(&r->invalid);
}

/* The checks of one part, run again on their own. */
static void platform_readiness(const struct config *cfg, const struct publisher_ops *p,
			       struct readiness *r)
{
	r->enabled = p->enabled(cfg);
	if (!r->enabled)
		return;
	struct config_error *e = xcalloc(1, sizeof(*e));
	check_platform(cfg, p, e);
	add_problems(r, e);
	free(e);
}

static void storage_readiness(const struct config *cfg, struct readiness *r)
{
	struct config_error *e = xcalloc(1, sizeof(*e));
	r->enabled = true;
	storage_validate(cfg, e);
	add_problems(r, e);
	free(e);
}

/* The AI's problems are config's own about [AI], [openAI] and OPENAI_API_KEY. */
static void ai_readiness(const struct config_error *all, struct readiness *r)
{
	struct config_error *e = xcalloc(1, sizeof(*e));
	r->enabled = true;
	for (size_t i = 0; i < all->nproblems; i++) {
		const struct config_problem *p = &all->problems[i];
		if (!p->warning && (!strcasecmp(p->section, "AI") || !strcasecmp(p->section, "openAI") ||
				    !strcmp(p->key, "OPENAI_API_KEY")) &&
		    e->nproblems < CONFIG_MAX_PROBLEMS)
			e->problems[e->nproblems++] = *p;
	}
	add_problems(r, e);
	free(e);
}

static const char *ai_name(const struct config *cfg)
{
	return cfg->provider == AI_OPENAI ? "openai" : "local";
}

/* ---- text ---------------------------------------------------------------- */

static void text_problem(struct buf *b, const struct config_problem *p)
{
	buf_addf(b, "%s: ", p->warning ? "warning" : "error");
	if (*p->file)
		buf_addf(b, "%s%s", p->file, p->line > 0 ? "" : ": ");
	if (p->line > 0)
		buf_addf(b, ":%d: ", p->line);
	if (*p->section)
		buf_addf(b, "[%s] ", p->section);
	if (*p->key)
		buf_addf(b, "%s: ", p->key);
	buf_addf(b, "%s\n", p->problem);
	if (*p->hint)
		buf_addf(b, "    hint: %s\n", p->hint);
}

/* " ready", " missing A, B; invalid C" */
static void text_status(struct buf *b, const struct readiness *r)
{
	if (ready(r))
		buf_adds(b, " ready");
	if (r->missing.n) {
		char *s = strv_join(&r->missing, ", ");
		buf_addf(b, " missing %s", s);
		free(s);
	}
	if (r->invalid.n) {
		char *s = strv_join(&r->invalid, ", ");
		buf_addf(b, "%s invalid %s", r->missing.n ? ";" : "", s);
		free(s);
	}
	buf_addc(b, '\n');
}

/* "  telegram   enabled  missing TELEGRAM_BOT_TOKEN" */
static void text_platform(struct buf *b, const char *name, const struct readiness *r)
{
	if (!r->enabled) {
		buf_addf(b, "  %-10s disabled\n", name);
		return;
	}
	buf_addf(b, "  %-10s enabled ", name);
	text_status(b, r);
}

static void counts(struct buf *b, const struct config_error *e)
{
	buf_addf(b, "%zu error%s, %zu warning%s", e->nerrors, e->nerrors == 1 ? "" : "s",
		 e->nwarnings, e->nwarnings == 1 ? "" : "s");
}

static void print_text(struct buf *b, const struct config *cfg, const struct config_error *e)
{
	for (size_t i = 0; i < e->nproblems; i++)
		if (!e->problems[i].warning)
			text_problem(b, &e->problems[i]);
	for (size_t i = 0; i < e->nproblems; i++)
		if (e->problems[i].warning)
			text_problem(b, &e->problems[i]);
	if (e->nproblems < e->nerrors + e->nwarnings)
		buf_addf(b, "… and %zu more\n", e->nerrors + e->nwarnings - e->nproblems);
	if (cfg->path) {
		if (e->nproblems)
			buf_addc(b, '\n');
		buf_adds(b, "platforms:\n");
		for (size_t i = 0; publishers[i]; i++) {
			struct readiness r = { 0 };
			platform_readiness(cfg, publishers[i], &r);
			text_platform(b, publishers[i]->name, &r);
			readiness_release(&r);
		}
		struct readiness r = { 0 };
		storage_readiness(cfg, &r);
		buf_addf(b, "storage:  %s", cfg->backend);
		if (cfg->storage_path && !strcmp(cfg->backend, "local"))
			buf_addf(b, " (%s)", cfg->storage_path);
		text_status(b, &r);
		readiness_release(&r);
		r = (struct readiness){ 0 };
		ai_readiness(e, &r);
		buf_addf(b, "ai:       %s", ai_name(cfg));
		if (cfg->provider == AI_OPENAI)
			buf_addf(b, " (%s, %s, %s)", cfg->openai_base_url, cfg->vision_model,
				 cfg->caption_model);
		text_status(b, &r);
		readiness_release(&r);
	}
	buf_addc(b, '\n');
	buf_adds(b, e->nerrors ? "not valid: " : "valid: ");
	counts(b, e);
	buf_addc(b, '\n');
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *json_problem(const struct config_problem *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", str_or_null(p->file));
	json_object_set_new(o, "line", p->line > 0 ? json_integer(p->line) : json_null());
	json_object_set_new(o, "section", str_or_null(p->section));
	json_object_set_new(o, "key", str_or_null(p->key));
	json_object_set_new(o, "problem", json_string(p->problem));
	json_object_set_new(o, "hint", str_or_null(p->hint));
	return o;
}

static json_t *json_strv(const struct strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* {enabled, ready, missing, invalid} into o. */
static void json_readiness(json_t *o, const struct readiness *r)
{
	json_object_set_new(o, "enabled", json_boolean(r->enabled));
	json_object_set_new(o, "ready", json_boolean(r->enabled && ready(r)));
	json_object_set_new(o, "missing", json_strv(&r->missing));
	json_object_set_new(o, "invalid", json_strv(&r->invalid));
}

/* o (the storage, the AI: always enabled) with r's readiness as root's key;
 * releases r. */
static void set_part(json_t *root, const char *key, json_t *o, struct readiness *r)
{
	json_readiness(o, r);
	json_object_del(o, "enabled");
	json_object_set_new(root, key, o);
	readiness_release(r);
}

static json_t *json_report(const struct config *cfg, const struct config_error *e,
			   const struct cmd_config_args *a)
{
	json_t *root = json_object(), *errors = json_array(), *warnings = json_array();
	json_t *platforms = json_array();
	json_object_set_new(root, "valid", json_boolean(e->nerrors == 0));
	json_object_set_new(root, "config", json_string(a->config));
	json_object_set_new(root, "env", str_or_null(cfg->env_path ? cfg->env_path : a->env));
	for (size_t i = 0; i < e->nproblems; i++)
		json_array_append_new(e->problems[i].warning ? warnings : errors,
				      json_problem(&e->problems[i]));
	json_object_set_new(root, "errors", errors);
	json_object_set_new(root, "warnings", warnings);
	json_object_set_new(root, "error_count", json_integer((json_int_t)e->nerrors));
	json_object_set_new(root, "warning_count", json_integer((json_int_t)e->nwarnings));
	json_object_set_new(root, "platforms", platforms);
	if (!cfg->path) {
		json_object_set_new(root, "storage", json_null());
		json_object_set_new(root, "ai", json_null());
		return root;
	}
	for (size_t i = 0; publishers[i]; i++) {
		struct readiness r = { 0 };
		platform_readiness(cfg, publishers[i], &r);
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(publishers[i]->name));
		json_readiness(o, &r);
		json_array_append_new(platforms, o);
		readiness_release(&r);
	}
	struct readiness r = { 0 };
	storage_readiness(cfg, &r);
	json_t *st = json_object();
	json_object_set_new(st, "backend", json_string(cfg->backend));
	json_object_set_new(st, "path", str_or_null(cfg->storage_path));
	set_part(root, "storage", st, &r);
	r = (struct readiness){ 0 };
	ai_readiness(e, &r);
	json_t *ai = json_object();
	json_object_set_new(ai, "provider", json_string(ai_name(cfg)));
	if (cfg->provider == AI_OPENAI) {
		json_object_set_new(ai, "base_url", json_string(cfg->openai_base_url));
		json_object_set_new(ai, "vision_model", json_string(cfg->vision_model));
		json_object_set_new(ai, "caption_model", json_string(cfg->caption_model));
	}
	set_part(root, "ai", ai, &r);
	return root;
}

int cmd_check(int argc, char **argv)
{
	struct cmd_config_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	/* Warnings are part of the report on stdout, not log lines too. */
	log_set_level(LOG_ERROR);

	struct config cfg = { 0 };
	struct config_error *e = xcalloc(1, sizeof(*e));
	struct config_options co = {
		.config_path = a.config, .env_path = a.env,
		.check = check_config, .modules = check_config_modules(),
		.keep = true, /* for_web and preview false: run's needs, which include serve's */
	};
	config_load(&co, &cfg, e);

	struct buf out = BUF_INIT;
	if (a.json) {
		json_t *root = json_report(&cfg, e, &a);
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		buf_addf(&out, "%s\n", s);
		free(s);
		json_decref(root);
	} else {
		print_text(&out, &cfg, e);
	}
	char *safe = sanitize(buf_str(&out));
	fputs(safe, stdout);
	free(safe);
	buf_release(&out);
	rc = e->nerrors ? EXIT_USAGE : EXIT_OK;
	free(e);
	config_release(&cfg);
	sanitize_clear_secrets();
	return rc;
}
