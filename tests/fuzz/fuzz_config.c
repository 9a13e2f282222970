/* fuzz_config.c - an INI file's text through config_load as the commands
 * load it: inih and its long-line reader, the key table, the modules' keys,
 * defaults, derived values and every check, under a fixed environment (no
 * .env file). */
#include <stdbool.h>
#include <stdlib.h>
#include "config/config.h"
#include "core/check.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* What the checks ask of the environment, so they run to their end. */
	static const char *const env[][2] = {
		{ "OPENAI_API_KEY", "sk-fuzz-0000000000" },
		{ "TELEGRAM_BOT_TOKEN", "123456:fuzz-token" },
		{ "TELEGRAM_CHANNEL_ID", "@fuzz" },
		{ "DROPBOX_APP_KEY", "fuzz-app-key" },
		{ "DROPBOX_REFRESH_TOKEN", "fuzz-refresh-token" },
		{ "INSTAGRAM_ACCESS_TOKEN", "fuzz-instagram-token" },
		{ "EMAIL_PASSWORD", "fuzz-mail-password" },
		{ "HOME", "/nonexistent" },
	};
	static const char *const unset[] = {
		"SMTP_SERVER", "SMTP_PORT", "PORT", "WEB_ADMIN_COOKIE_TTL_SECONDS",
		"WEB_SECURE_COOKIES", "WEB_DEBUG", "XDG_STATE_HOME", "DROPBOX_APP_SECRET",
		"WEB_AUTH_TOKEN", "WEB_AUTH_USER", "WEB_AUTH_PASS", "web_admin_pw",
		"WEB_SESSION_SECRET", "INSTA_PASSWORD",
	};
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		setenv(env[i][0], env[i][1], 1);
	for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	fuzz_quiet_logs();
	return 0;
}

/* Reads every module key back through the typed readers. */
static void read_modules(const struct config *cfg)
{
	for (size_t m = 0; cfg->modules && cfg->modules[m]; m++)
		for (const struct config_key *k = cfg->modules[m]->keys; k && k->section; k++) {
			switch (k->type) {
			case CONFIG_BOOL:
				(void)config_get_bool(cfg, k->section, k->key);
				break;
			case CONFIG_INT:
				(void)config_get_int(cfg, k->section, k->key);
				break;
			case CONFIG_ENUM:
				(void)config_get_enum(cfg, k->section, k->key);
				break;
			default:
				(void)config_get(cfg, k->section, k->key);
				break;
			}
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_options opts = {
		.config_path = "/fuzz/photopub.ini",
		.config_text = (const char *)data,
		.config_len = size,
		.env_path = "/dev/null",
		/* the run's checks and the server's, by turns */
		.for_web = size & 1,
		.check = check_config,
		.modules = check_config_modules(),
	};
	struct config cfg;
	struct config_error e;
	if (config_load(&opts, &cfg, &e) == 0) {
		read_modules(&cfg);
		(void)config_caption_target_name(cfg.caption_target);
		(void)config_subject_mode_name(cfg.subject_mode);
		(void)config_email_security_name(cfg.email_security);
		config_release(&cfg);
	}
	return 0;
}
