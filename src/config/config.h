/* config.h - the whole configuration of a run or a server: INI file (upstream
 * sections kept), .env file and environment, with defaults and validation.
 *
 * Precedence for secrets and other environment keys: the process environment,
 * then the .env file. INI keys come only from the INI file; a few have an
 * environment default (SMTP_SERVER, SMTP_PORT, PORT). */
#ifndef PHOTOPUB_CONFIG_CONFIG_H
#define PHOTOPUB_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "util/error.h"

enum ai_provider { AI_LOCAL = 0, AI_OPENAI };
enum vision_detail { VISION_DETAIL_LOW = 0, VISION_DETAIL_HIGH, VISION_DETAIL_AUTO };
enum email_security { EMAIL_STARTTLS = 0, EMAIL_TLS, EMAIL_NONE };
enum caption_target { TARGET_SUBJECT = 0, TARGET_BODY, TARGET_BOTH };
enum subject_mode { SUBJECT_NORMAL = 0, SUBJECT_PRIVATE, SUBJECT_AVATAR };
/* [Content] order: the order new images join the posting queue in. */
enum content_order { ORDER_RANDOM = 0, ORDER_OLDEST, ORDER_NEWEST, ORDER_NAME };
/* [State] backend: where the state lives (src/state/db.h). */
enum state_backend { STATE_SQLITE = 0, STATE_POSTGRES };

struct config {
	char *path;                 /* the INI file as given */
	char *dir;                  /* its folder: relative paths start here */
	char *env_path;             /* the .env file read, or NULL */

	/* [Storage] */
	char *backend;              /* a storage backend's name: "local", "dropbox", … */
	char *storage_path;         /* local image folder, absolute */
	char *archive;              /* archive sub-folder ([Storage] or [Dropbox] archive) */
	char *quarantine;           /* where undecodable images go, "none": left in place */

	/* [Dropbox] */
	char *image_folder;         /* "/Photos" */
	char *dropbox_api_url;
	char *dropbox_content_url;
	char *dropbox_oauth_url;
	char *dropbox_app_key;      /* env DROPBOX_APP_KEY */
	char *dropbox_app_secret;   /* env DROPBOX_APP_SECRET */
	char *dropbox_refresh_token;/* env DROPBOX_REFRESH_TOKEN */

	/* [Content] */
	char *hashtag_string;
	bool archive_enabled;
	bool debug;
	bool telegram;
	bool instagram;
	bool fetlife;
	enum content_order order;  /* the posting queue's order (core/queue.h) */

	/* [AI] and [openAI] */
	enum ai_provider provider;
	char *openai_base_url;
	char *openai_api_key;       /* env OPENAI_API_KEY */
	char *vision_model;
	char *caption_model;
	char *system_prompt;
	char *role_prompt;
	bool sd_caption_enabled;
	bool sd_caption_single_call_enabled;
	char *sd_caption_model;
	char *sd_caption_system_prompt;
	char *sd_caption_role_prompt;
	int vision_max_px;          /* longer side of the image sent to vision */
	int vision_detail;          /* enum vision_detail */
	char *openai_prices;        /* "model=in/out; …" USD per 1M tokens (ai/prices.h) */

	/* [HTTP] */
	int http_connect_timeout;   /* seconds */
	int http_timeout;           /* seconds, whole call */

	/* [Telegram] */
	char *telegram_api_url;
	char *telegram_bot_token;   /* env TELEGRAM_BOT_TOKEN */
	char *telegram_channel_id;  /* env TELEGRAM_CHANNEL_ID */

	/* [Email] */
	char *email_sender;
	char *email_recipient;
	char *smtp_server;
	int smtp_port;
	enum email_security email_security;
	enum caption_target caption_target;
	enum subject_mode subject_mode;
	bool confirmation_to_sender;
	int confirmation_tags_count;
	char *confirmation_tags_nature;
	char *email_password;       /* env EMAIL_PASSWORD */
	char *email_ca_file;        /* extra CA bundle to trust (a private relay), or NULL */

	/* [Instagram] */
	char *instagram_name;
	char *instagram_user_id;
	char *instagram_graph_url;
	char *instagram_access_token; /* env INSTAGRAM_ACCESS_TOKEN */
	char *insta_password;       /* env INSTA_PASSWORD (upstream; unused) */
	int instagram_poll_interval;
	int instagram_poll_timeout;

	/* [CaptionFile] */
	bool extended_metadata_enabled;
	char *artist_alias;

	/* [State] */
	char *state_path;           /* absolute; the SQLite file (backend sqlite) */
	enum state_backend state_backend;
	char *state_url;            /* postgresql://… (backend postgres); its password
				       is a secret: see state_open_config */

	/* [Publish] */
	int publish_timeout;        /* seconds */

	/* [Web] and the web environment */
	char *web_host;
	int web_port;
	bool metrics_public;
	bool metrics_enabled;       /* [Web] metrics: serve /metrics and count for it */
	bool web_allow_remote;      /* [Web] allow_remote: bind beyond loopback without auth */
	char *web_trusted_proxies;  /* [Web] trusted_proxies: comma-separated addresses */
	int web_head_timeout;       /* [Web] head_timeout: seconds for a whole request head */
	int web_body_timeout;       /* [Web] body_timeout: seconds for a whole request body */
	char *web_auth_token;       /* env WEB_AUTH_TOKEN */
	char *web_auth_user;        /* env WEB_AUTH_USER */
	char *web_auth_pass;        /* env WEB_AUTH_PASS */
	char *web_admin_pw;         /* env web_admin_pw */
	int web_admin_cookie_ttl;   /* env WEB_ADMIN_COOKIE_TTL_SECONDS, 60..3600 */
	bool web_secure_cookies;    /* env WEB_SECURE_COOKIES */
	bool web_debug;             /* env WEB_DEBUG */
	char *web_session_secret;   /* env WEB_SESSION_SECRET */

	/* [Log] */
	char *log_level;            /* "info" unless set */
	char *log_file;             /* absolute: [Log] file, else config_default_log_path();
				       NULL with [Log] file = none */

	/* The values of the modules' keys (see struct config_module), parsed
	 * and normalized, defaults included; read with config_get*(). */
	struct config_value {
		char *section, *key, *text;
	} *values;
	size_t nvalues;
	const struct config_module *const *modules;
};

/* A key of the INI file: its section and name, how its value is checked,
 * and for config's own keys where in struct config it goes. */
enum config_type {
	CONFIG_STR,   /* free text */
	CONFIG_PATH,  /* a file-system path; relative to the INI's folder */
	CONFIG_URL,   /* http:// or https:// base URL, trailing '/' removed */
	CONFIG_BOOL,
	CONFIG_INT,
	CONFIG_ENUM,
};

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	size_t offset;                  /* config's own keys: the field; a module's: 0 */
	const char *def;                /* default as text; NULL: none (or derived) */
	int min, max;                   /* CONFIG_INT */
	const char *const *choices;     /* CONFIG_ENUM: names, index = value */
};

/* An environment value a module reads (config_env); a secret one is
 * redacted from every log line and message once it is set. */
struct config_env_key {
	const char *name;
	bool secret;
};

/* The settings of a module above config (a platform, a storage backend):
 * its keys, checked and parsed by config_load with the same rules and errors
 * as config's own, and its environment values. Both tables end with { 0 }. */
struct config_module {
	const struct config_key *keys;
	const struct config_env_key *env;
};

/* One configuration problem: an error, or a warning (an unknown key or
 * section) that does not stop a run. Strings are empty when not applicable. */
struct config_problem {
	bool warning;
	int line;                   /* its line in the INI file; 0: none */
	char file[512];             /* the INI or .env file, or "environment" */
	char section[64];
	char key[64];
	char problem[512];          /* what is wrong, without the line */
	char hint[256];             /* "did you mean [Mastodon] enabled?", or empty */
};

#define CONFIG_MAX_PROBLEMS 48

/* What is wrong with a configuration: every problem found, in the order
 * found, and the first error in the fields above the list, as one message.
 * Zero it ({ 0 }) before its first use; config_load does. It owns no
 * memory. */
struct config_error {
	/* The first error. */
	char file[512];
	char section[64];
	char key[64];
	char problem[512];          /* with " (line N)" when it has a line */
	char msg[1200];             /* "FILE: [Section] key: problem" */
	int line;                   /* 0: none */
	char hint[256];

	/* Every error and warning, in order; nerrors + nwarnings exceeds
	 * nproblems only when more than CONFIG_MAX_PROBLEMS were found. */
	struct config_problem problems[CONFIG_MAX_PROBLEMS];
	size_t nproblems;
	size_t nerrors, nwarnings;
};

struct config_options {
	const char *config_path;    /* required */
	/* The INI file's content when it is given instead of read from
	 * config_path, which still names it in messages and gives the folder
	 * relative paths start from; NULL: read config_path. */
	const char *config_text;
	size_t config_len;
	const char *env_path;       /* NULL: .env beside the INI, then in the cwd */
	bool for_web;               /* validate what serve needs (no publisher required) */
	bool preview;               /* preview needs no publisher */
	/* The checks of the layers above (storage backend, platforms), run
	 * after config's own; NULL: none. Fills e and returns -1 on a problem. */
	int (*check)(const struct config *cfg, const struct config_options *opts,
		     struct config_error *e);
	/* The modules whose keys this configuration may hold, NULL-terminated;
	 * they must outlive the configuration. NULL: none. */
	const struct config_module *const *modules;
	/* On failure leave *cfg filled as far as it could be read, for a
	 * report (photopub check); released anyway when the INI file itself
	 * could not be read (cfg->path NULL). The caller releases it. */
	bool keep;
};

/* Loads and validates. On success fills *cfg (release with config_release)
 * and registers every secret value with sanitize_add_secret(). Unknown
 * sections and keys give a warning line each (with a suggestion) and a
 * warning in *err. Every problem is collected, not only the first: -1 when
 * *err holds an error, and then *cfg is released (unless opts->keep). */
int config_load(const struct config_options *opts, struct config *cfg,
		struct config_error *err);

void config_release(struct config *cfg);

/* 0 when the environment value name is set (value not NULL); else fills e:
 * "environment: NAME: required with <when>" and returns -1. */
int config_need_env(struct config_error *e, const char *value, const char *name,
		    const char *when);

/* Adds an error at file (a path, "environment", or NULL), [section] key
 * (either may be NULL), sanitized, to e's list (the first one also fills
 * e's own fields), and returns -1. A validator that calls it goes on with
 * its other checks and returns -1 at the end. */
int config_fail(struct config_error *e, const char *file, const char *section,
		const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Adds a warning, like config_fail but not an error; line 0: none. */
void config_warn(struct config_error *e, const char *file, int line, const char *section,
		 const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sets the hint of the problem added last ("set it in the environment or
 * in the .env file"), sanitized. */
void config_hint(struct config_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* p as one message: "FILE: [Section] key: problem (line N)" (the form of
 * config_error.msg) into out. */
void config_problem_message(const struct config_problem *p, char *out, size_t size);

/* The environment value of name after the .env layer was applied
 * (process environment first). NULL when unset or empty. */
const char *config_env(const char *name);

/* photopub's state folder: $XDG_STATE_HOME/photopub, else
 * $HOME/.local/state/photopub (the default state file and log file live
 * there). The caller frees it. */
char *config_state_dir(void);

/* The default log file: $LOGS_DIRECTORY/photopub.log under systemd
 * (LogsDirectory=photopub), else photopub.log in config_state_dir(). The
 * caller frees it. */
char *config_default_log_path(void);

/* A module key's value: its normalized text (a path made absolute, a URL
 * without its trailing '/'), its default when the file does not set it, or
 * NULL when it has neither. The typed readers parse that text; a key that is
 * unset and has no default reads as false, 0 or -1 (an enum). */
const char *config_get(const struct config *cfg, const char *section, const char *key);
bool config_get_bool(const struct config *cfg, const char *section, const char *key);
int config_get_int(const struct config *cfg, const char *section, const char *key);
int config_get_enum(const struct config *cfg, const char *section, const char *key);

/* Parses a boolean as configparser does: 1/yes/true/on, 0/no/false/off. */
int config_parse_bool(const char *v, bool *out);

/* Names of the enum values, for reports. */
const char *config_caption_target_name(enum caption_target t);
const char *config_subject_mode_name(enum subject_mode m);
const char *config_email_security_name(enum email_security s);
const char *config_content_order_name(enum content_order o);

#endif
