/* config.h - the whole configuration of a run or a server: INI file (upstream
 * sections kept), .env file and environment, with defaults and validation.
 *
 * Precedence for secrets and other environment keys: the process environment,
 * then the .env file. INI keys come only from the INI file; a few have an
 * environment default (SMTP_SERVER, SMTP_PORT, PORT). */
#ifndef PHOTOPUB_CONFIG_CONFIG_H
#define PHOTOPUB_CONFIG_CONFIG_H

#include <stdbool.h>
#include "util/error.h"

enum ai_provider { AI_LOCAL = 0, AI_OPENAI };
enum email_security { EMAIL_STARTTLS = 0, EMAIL_TLS, EMAIL_NONE };
enum caption_target { TARGET_SUBJECT = 0, TARGET_BODY, TARGET_BOTH };
enum subject_mode { SUBJECT_NORMAL = 0, SUBJECT_PRIVATE, SUBJECT_AVATAR };

struct config {
	char *path;                 /* the INI file as given */
	char *dir;                  /* its folder: relative paths start here */
	char *env_path;             /* the .env file read, or NULL */

	/* [Storage] */
	char *backend;              /* a storage backend's name: "local", "dropbox", … */
	char *storage_path;         /* local image folder, absolute */
	char *archive;              /* archive sub-folder ([Storage] or [Dropbox] archive) */

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

	/* [Outbox] */
	bool outbox_enabled;
	char *outbox_path;          /* absolute */

	/* [State] */
	char *state_path;           /* absolute */

	/* [Publish] */
	int publish_timeout;        /* seconds */

	/* [Web] and the web environment */
	char *web_host;
	int web_port;
	bool metrics_public;
	bool metrics_enabled;       /* [Web] metrics: serve /metrics and count for it */
	bool web_allow_remote;      /* [Web] allow_remote: bind beyond loopback without auth */
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
};

/* Where a configuration problem is. Strings are empty when not applicable. */
struct config_error {
	char file[512];
	char section[64];
	char key[64];
	char problem[512];
	char msg[1200];             /* "FILE: [Section] key: problem" */
};

struct config_options {
	const char *config_path;    /* required */
	const char *env_path;       /* NULL: .env beside the INI, then in the cwd */
	bool for_web;               /* validate what serve needs (no publisher required) */
	bool preview;               /* preview needs no publisher */
	/* The checks of the layers above (storage backend, platforms), run
	 * after config's own; NULL: none. Fills e and returns -1 on a problem. */
	int (*check)(const struct config *cfg, const struct config_options *opts,
		     struct config_error *e);
};

/* Loads and validates. On success fills *cfg (release with config_release)
 * and registers every secret value with sanitize_add_secret(). Unknown
 * sections and keys give a warning line each. On failure fills *err and
 * leaves *cfg released. */
int config_load(const struct config_options *opts, struct config *cfg,
		struct config_error *err);

void config_release(struct config *cfg);

/* Fills e with a problem at file (a path, "environment", or NULL),
 * [section] key (either may be NULL), sanitized, and returns -1. */
int config_fail(struct config_error *e, const char *file, const char *section,
		const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The environment value of name after the .env layer was applied
 * (process environment first). NULL when unset or empty. */
const char *config_env(const char *name);

/* Parses a boolean as configparser does: 1/yes/true/on, 0/no/false/off. */
int config_parse_bool(const char *v, bool *out);

/* Names of the enum values, for reports. */
const char *config_caption_target_name(enum caption_target t);
const char *config_subject_mode_name(enum subject_mode m);
const char *config_email_security_name(enum email_security s);

#endif
