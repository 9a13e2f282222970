/* test_config.c - configuration: an upstream INI loads unchanged (long
 * prompt lines, inline comments, continuation lines), from its file or its
 * text, defaults, the .env layer and its parser, and errors that name the
 * file, section, key and line: every one in one load, with hints. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "config/dotenv.h"
#include "core/check.h"
#include "storage/storage.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

static char *dir;

static const char *const env_names[] = {
	"DROPBOX_APP_KEY", "DROPBOX_APP_SECRET", "DROPBOX_REFRESH_TOKEN", "OPENAI_API_KEY",
	"TELEGRAM_BOT_TOKEN", "TELEGRAM_CHANNEL_ID", "EMAIL_PASSWORD", "INSTAGRAM_ACCESS_TOKEN",
	"SMTP_SERVER", "SMTP_PORT", "PORT", "WEB_ADMIN_COOKIE_TTL_SECONDS", "XDG_STATE_HOME",
	"web_admin_pw", "WEB_AUTH_TOKEN", "FEATURE_DELETE",
};

static int setup(void **state)
{
	(void)state;
	dir = tu_mkdtemp();
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	char *images = xasprintf("%s/images", dir);
	mkdir(images, 0755);
	free(images);
	/* No stray .env from the working directory. */
	assert_int_equal(chdir(dir), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	free(dir);
	sanitize_clear_secrets();
	return 0;
}

static char *write_ini(const char *text)
{
	return tu_write(dir, "photopub.ini", text, strlen(text));
}

/* Loads text with these modules' keys and, when check, photopub's checks. */
static int load_with(const char *text, const struct config_module *const *modules, bool check,
		     struct config *cfg, struct config_error *e)
{
	char *path = write_ini(text);
	struct config_options o = { .config_path = path, .check = check ? check_config : NULL,
				    .modules = modules };
	int rc = config_load(&o, cfg, e);
	free(path);
	return rc;
}

static int load(const char *text, struct config *cfg, struct config_error *e)
{
	return load_with(text, check_config_modules(), true, cfg, e);
}

static void test_minimal_local(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	setenv("XDG_STATE_HOME", "/var/tmp/xdg", 1);
	int rc = load("[Storage]\npath = images\n[Outbox]\nenabled = yes\n", &cfg, &e);
	if (rc)
		fail_msg("%s", e.msg);
	char *want = xasprintf("%s/images", dir);
	assert_string_equal(cfg.storage_path, want);
	free(want);
	assert_string_equal(cfg.backend, "local");
	assert_int_equal(cfg.provider, AI_LOCAL);
	assert_true(config_get_bool(&cfg, "Outbox", "enabled"));
	assert_true(cfg.archive_enabled);
	assert_false(cfg.debug);
	assert_string_equal(cfg.archive, "archive");
	assert_string_equal(cfg.state_path, "/var/tmp/xdg/photopub/state.db");
	assert_string_equal(cfg.vision_model, "gpt-4o");
	assert_string_equal(cfg.caption_model, "gpt-4o-mini");
	assert_string_equal(cfg.sd_caption_model, "gpt-4o-mini");
	assert_int_equal(cfg.smtp_port, 587);
	assert_int_equal(cfg.email_security, EMAIL_STARTTLS);
	assert_int_equal(cfg.web_port, 8000);
	assert_string_equal(cfg.web_host, "127.0.0.1");
	assert_int_equal(cfg.publish_timeout, 120);
	assert_int_equal(cfg.web_admin_cookie_ttl, 3600);
	assert_int_equal(cfg.web_head_timeout, 10);
	assert_int_equal(cfg.web_body_timeout, 20);
	assert_string_equal(cfg.openai_base_url, "https://api.openai.com/v1");
	config_release(&cfg);
}

static void test_upstream_ini(void **state)
{
	(void)state;
	struct buf ini = BUF_INIT;
	buf_adds(&ini, "; upstream configuration\n"
		       "[Dropbox]\nimage_folder = /Photos/ToPost ; where they wait\narchive = posted\n"
		       "[Content]\nhashtag_string = #portrait #bw # my tags\narchive = True\n"
		       "debug = off\ntelegram = 0\nfetlife = no\ninstagram = FALSE\n"
		       "[openAI]\nmodel = gpt-4.1-mini\nsystem_prompt = ");
	for (int i = 0; i < 60; i++)
		buf_adds(&ini, "describe ");
	buf_adds(&ini, "the photo\nrole_prompt = first line\n   second line\n\tthird line\n"
		       "[CaptionFile]\nextended_metadata_enabled = true\nartist_alias = Ana\n"
		       "[Storage]\nbackend = local\npath = images\n"
		       "[Outbox]\nenabled = true\npath = /tmp/outbox/\n");
	struct config cfg;
	struct config_error e;
	int rc = load(buf_str(&ini), &cfg, &e);
	if (rc)
		fail_msg("%s", e.msg);
	assert_string_equal(cfg.image_folder, "/Photos/ToPost");
	assert_string_equal(cfg.archive, "posted");
	assert_string_equal(cfg.hashtag_string, "#portrait #bw");
	assert_string_equal(cfg.vision_model, "gpt-4.1-mini");
	assert_string_equal(cfg.caption_model, "gpt-4.1-mini");
	assert_int_equal(strlen(cfg.system_prompt), 60 * 9 + 9);
	assert_true(strncmp(cfg.system_prompt + 540, "the photo", 9) == 0);
	assert_string_equal(cfg.role_prompt, "first line\nsecond line\nthird line");
	assert_true(cfg.extended_metadata_enabled);
	assert_string_equal(cfg.artist_alias, "Ana");
	assert_string_equal(config_get(&cfg, "Outbox", "path"), "/tmp/outbox/");
	config_release(&cfg);
	buf_release(&ini);
}

static void expect_error(const char *ini, const char *section, const char *key,
			 const char *problem_part)
{
	struct config cfg;
	struct config_error e;
	int rc = load(ini, &cfg, &e);
	if (rc == 0)
		fail_msg("accepted: %s", ini);
	if (!strstr(e.msg, "photopub.ini") && strcmp(e.file, "environment"))
		fail_msg("no file in: %s", e.msg);
	if (section)
		assert_string_equal(e.section, section);
	if (key)
		assert_string_equal(e.key, key);
	if (problem_part && !strstr(e.msg, problem_part))
		fail_msg("expected \"%s\" in: %s", problem_part, e.msg);
}

static void test_errors_name_section_and_key(void **state)
{
	(void)state;
	expect_error("[Storage]\npath = images\n[Content]\narchive = maybe\n[Outbox]\nenabled=1\n",
		     "Content", "archive", "\"maybe\"");
	expect_error("[Storage]\npath = images\n[Email]\nsmtp_port = 70000\n[Outbox]\nenabled=1\n",
		     "Email", "smtp_port", "65535");
	expect_error("[Storage]\npath = images\n[Email]\ncaption_target = title\n[Outbox]\nenabled=1\n",
		     "Email", "caption_target", "subject, body, both");
	expect_error("[Storage]\n[Outbox]\nenabled=1\n", "Storage", "path", "required");
	expect_error("[Storage]\npath = nowhere\n[Outbox]\nenabled=1\n", "Storage", "path", "nowhere");
	expect_error("[Storage]\npath = images\n", "Content", NULL, "no platform");
	expect_error("[Storage]\npath = images\nthis line is wrong\n", NULL, NULL, "line 3");
	expect_error("[Dropbox]\nimage_folder = Photos\n[Outbox]\nenabled=1\n", "Dropbox",
		     "image_folder", "'/'");
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Content]\ntelegram = true\n",
		     NULL, "TELEGRAM_BOT_TOKEN", "required");
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Dropbox]\napi_url = ftp://x\n",
		     "Dropbox", "api_url", "http");
	expect_error("[Storage]\npath = images\narchive = ../elsewhere\n[Outbox]\nenabled=1\n",
		     "Storage", "archive", "inside");
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Web]\nhead_timeout = 0\n",
		     "Web", "head_timeout", "300");
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Web]\nbody_timeout = 1h\n",
		     "Web", "body_timeout", "3600");

	struct config cfg;
	struct config_error e;
	struct config_options o = { .config_path = "/nonexistent/photopub.ini" };
	assert_int_equal(config_load(&o, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/photopub.ini"));
}

#define LOCAL "[Storage]\npath = images\n[Outbox]\nenabled=1\n"
#define DROPBOX "[Dropbox]\nimage_folder = /Photos\n[Outbox]\nenabled=1\n"

/* The curation folders: defaults, [Storage] over upstream's [Dropbox]
 * keys, folder_reject as the legacy folder_remove, delete's two switches,
 * and errors naming the key. */
static void test_curation_keys(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	const char *section, *key;
	if (load(LOCAL, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(storage_folder(&cfg, STORAGE_KEEP, &section, &key), "keep");
	assert_null(key);
	assert_string_equal(storage_folder(&cfg, STORAGE_REMOVE, NULL, NULL), "remove");
	assert_false(storage_delete_enabled(&cfg));
	config_release(&cfg);

	if (load(LOCAL "[Storage]\nfolder_keep = curated/keep\ndelete_enabled = yes\n"
		 "[Dropbox]\nfolder_keep = ignored\nfolder_reject = rejected\n", &cfg, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(storage_folder(&cfg, STORAGE_KEEP, &section, &key), "curated/keep");
	assert_string_equal(section, "Storage");
	assert_string_equal(storage_folder(&cfg, STORAGE_REMOVE, &section, &key), "rejected");
	assert_string_equal(key, "folder_reject");
	assert_true(storage_delete_enabled(&cfg));
	config_release(&cfg);

	/* folder_remove wins over the legacy folder_reject; Dropbox takes absolute paths */
	setenv("DROPBOX_APP_KEY", "k", 1);
	setenv("DROPBOX_REFRESH_TOKEN", "r", 1);
	if (load(DROPBOX "[Dropbox]\nfolder_keep = /Curated/Keep\nfolder_remove = trash\n"
		 "folder_reject = old\n", &cfg, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(storage_folder(&cfg, STORAGE_KEEP, NULL, NULL), "/Curated/Keep");
	assert_string_equal(storage_folder(&cfg, STORAGE_REMOVE, NULL, NULL), "trash");
	config_release(&cfg);
	expect_error(DROPBOX "[Dropbox]\nfolder_keep = /Photos\n", "Dropbox", "folder_keep",
		     "image folder itself");
	expect_error(DROPBOX "[Dropbox]\nfolder_reject = /a/../b\n", "Dropbox", "folder_reject",
		     "..");
	unsetenv("DROPBOX_APP_KEY");
	unsetenv("DROPBOX_REFRESH_TOKEN");

	setenv("FEATURE_DELETE", "1", 1);
	if (load(LOCAL, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_true(storage_delete_enabled(&cfg));
	config_release(&cfg);
	setenv("FEATURE_DELETE", "no", 1);
	if (load(LOCAL, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_false(storage_delete_enabled(&cfg));
	config_release(&cfg);
	setenv("FEATURE_DELETE", "perhaps", 1);
	expect_error(LOCAL, NULL, "FEATURE_DELETE", "boolean");
	unsetenv("FEATURE_DELETE");

	/* a local folder never leaves the image folder */
	expect_error(LOCAL "[Storage]\nfolder_keep = /tmp/keep\n", "Storage", "folder_keep",
		     "not an absolute path");
	expect_error(LOCAL "[Storage]\nfolder_remove = ../trash\n", "Storage", "folder_remove",
		     "inside the image folder");
	expect_error(LOCAL "[Dropbox]\nfolder_keep = a//b\n", "Dropbox", "folder_keep", "inside");
	expect_error(LOCAL "[Storage]\nfolder_keep =\n", "Storage", "folder_keep", "empty");
	expect_error(LOCAL "[Storage]\nfolder_keep = archive\n", "Storage", "folder_keep", "archive");
	expect_error(LOCAL "[Storage]\nfolder_remove = keep\n", "Storage", "folder_remove",
		     "keep folder");
	expect_error(LOCAL "[Storage]\ndelete_enabled = sometimes\n", "Storage", "delete_enabled",
		     "boolean");
}

static void test_openai_rules(void **state)
{
	(void)state;
	setenv("OPENAI_API_KEY", "not-a-key-0123456789", 1);
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n", NULL, "OPENAI_API_KEY", "sk-");
	setenv("OPENAI_API_KEY", "sk-test0123456789abcdef", 1);
	expect_error("[Storage]\npath = images\n[Outbox]\nenabled=1\n[openAI]\nvision_model = llava\n",
		     "openAI", "vision_model", "llava");
	/* Newer families are accepted on the default endpoint. */
	struct config cfg;
	struct config_error e;
	assert_int_equal(load("[Storage]\npath = images\n[Outbox]\nenabled=1\n[openAI]\n"
			      "vision_model = gpt-5\ncaption_model = o4-mini\n", &cfg, &e), 0);
	assert_int_equal(cfg.provider, AI_OPENAI);
	config_release(&cfg);
	/* Any name and key on another server. */
	setenv("OPENAI_API_KEY", "ollama-local-key", 1);
	int rc = load("[Storage]\npath = images\n[Outbox]\nenabled=1\n[openAI]\n"
		      "base_url = http://127.0.0.1:11434/v1/\nvision_model = llava:13b\n", &cfg, &e);
	if (rc)
		fail_msg("%s", e.msg);
	assert_string_equal(cfg.openai_base_url, "http://127.0.0.1:11434/v1");
	config_release(&cfg);
	unsetenv("OPENAI_API_KEY");
}

static void test_unknown_keys_warn(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	tu_log_start();
	int rc = load("[Storage]\npath = images\ncolour = blue\n[Outbox]\nenabled=1\n[Mystery]\nx=1\n",
		      &cfg, &e);
	char *out = tu_log_stop();
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"message\":\"config_unknown_key\""));
	assert_non_null(strstr(out, "\"key\":\"colour\""));
	assert_non_null(strstr(out, "\"message\":\"config_unknown_section\""));
	assert_non_null(strstr(out, "\"section\":\"Mystery\""));
	free(out);
	config_release(&cfg);
}

/* A module's own section: parsed with config's rules, defaults applied,
 * errors naming file, section, key and line, secrets redacted, and its keys
 * never reported as unknown. */
static const char *const shades[] = { "light", "dark", NULL };
static const struct config_key fake_keys[] = {
	{ .section = "Fake", .key = "name", .type = CONFIG_STR },
	{ .section = "Fake", .key = "url", .type = CONFIG_URL, .def = "https://fake.example/api/" },
	{ .section = "Fake", .key = "dir", .type = CONFIG_PATH, .def = "fake-out" },
	{ .section = "Fake", .key = "on", .type = CONFIG_BOOL, .def = "no" },
	{ .section = "Fake", .key = "tries", .type = CONFIG_INT, .def = "3", .min = 1, .max = 9 },
	{ .section = "Fake", .key = "shade", .type = CONFIG_ENUM, .choices = shades },
	{ 0 },
};
static const struct config_env_key fake_env[] = { { "FAKE_TOKEN", true }, { 0 } };
static const struct config_module fake_module = { .keys = fake_keys, .env = fake_env };

static int load_with_fake(const char *text, struct config *cfg, struct config_error *e)
{
	static const struct config_module *mods[] = { &fake_module, NULL };
	return load_with(text, mods, false, cfg, e);
}

static void test_module_keys(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	setenv("FAKE_TOKEN", "fake-secret-7f3a9", 1);
	tu_log_start();
	int rc = load_with_fake("[Storage]\npath = images\n[fake]\nname = Ana\non = yes\n"
				"shade = DARK\ntries = 7\ntries = 8\n", &cfg, &e);
	char *out = tu_log_stop();
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "config_unknown"));
	free(out);
	assert_string_equal(config_get(&cfg, "Fake", "name"), "Ana");
	assert_string_equal(config_get(&cfg, "Fake", "url"), "https://fake.example/api");
	char *dir_expected = fs_join(cfg.dir, "fake-out");
	assert_string_equal(config_get(&cfg, "Fake", "dir"), dir_expected);
	free(dir_expected);
	assert_true(config_get_bool(&cfg, "Fake", "on"));
	assert_int_equal(config_get_int(&cfg, "Fake", "tries"), 8);   /* the last one wins */
	assert_int_equal(config_get_enum(&cfg, "Fake", "shade"), 1);
	assert_null(config_get(&cfg, "Fake", "missing"));
	assert_int_equal(config_get_enum(&cfg, "Fake", "missing"), -1);
	char *clean = sanitize("token fake-secret-7f3a9 here");
	assert_null(strstr(clean, "fake-secret-7f3a9"));
	free(clean);
	config_release(&cfg);

	cfg = (struct config){ 0 };
	assert_null(config_get(&cfg, "Fake", "name"));
	assert_false(config_get_bool(&cfg, "Fake", "on"));

	assert_int_equal(load_with_fake("[Storage]\npath = images\n[Fake]\n\ntries = 12\n", &cfg, &e), -1);
	assert_string_equal(e.section, "Fake");
	assert_string_equal(e.key, "tries");
	assert_non_null(strstr(e.msg, "from 1 to 9"));
	assert_non_null(strstr(e.msg, "line 5"));
	assert_int_equal(load_with_fake("[Storage]\npath = images\n[Fake]\nurl = ftp://x\n", &cfg, &e), -1);
	assert_string_equal(e.key, "url");
	assert_int_equal(load_with_fake("[Storage]\npath = images\n[Fake]\nshade = grey\n", &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "light, dark"));
	/* Without the module, its section is unknown. */
	tu_log_start();
	assert_int_equal(load("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Fake]\nname = x\n", &cfg, &e), 0);
	out = tu_log_stop();
	assert_non_null(strstr(out, "\"section\":\"Fake\""));
	free(out);
	config_release(&cfg);
	unsetenv("FAKE_TOKEN");
}

static void test_env_file(void **state)
{
	(void)state;
	const char *env =
		"# secrets\n"
		"export TELEGRAM_BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n"
		"TELEGRAM_CHANNEL_ID = '@my_channel'  \n"
		"EMAIL_PASSWORD=\"pa ss\\\"word\" # trailing comment\n"
		"SMTP_PORT=465\n"
		"garbage line without equals\n"
		"1BAD=x\n"
		"PORT=9000 # comment\n";
	free(tu_write(dir, ".env", env, strlen(env)));
	setenv("SMTP_SERVER", "mail.from.environment", 1);
	struct config cfg;
	struct config_error e;
	tu_log_start();
	int rc = load("[Storage]\npath = images\n[Outbox]\nenabled=1\n[Content]\ntelegram=1\n", &cfg, &e);
	char *out = tu_log_stop();
	if (rc)
		fail_msg("%s", e.msg);
	assert_string_equal(cfg.telegram_channel_id, "@my_channel");
	assert_string_equal(cfg.email_password, "pa ss\"word");
	assert_int_equal(cfg.smtp_port, 465);
	assert_int_equal(cfg.email_security, EMAIL_TLS);
	assert_string_equal(cfg.smtp_server, "mail.from.environment");
	assert_int_equal(cfg.web_port, 9000);
	/* Malformed lines: a warning with the line number, never the content. */
	assert_non_null(strstr(out, "\"message\":\"env_invalid_line\""));
	assert_non_null(strstr(out, "\"line\":6"));
	assert_null(strstr(out, "garbage"));
	free(out);
	/* And warnings of the report, with file and line. */
	assert_int_equal(e.nwarnings, 2);
	assert_int_equal(e.problems[0].line, 6);
	assert_string_equal(e.problems[0].problem, "expected KEY=VALUE (line ignored)");
	assert_int_equal(e.problems[1].line, 7);
	assert_non_null(strstr(e.problems[0].file, "/.env"));
	/* Secrets are registered with sanitize. */
	char *s = sanitize("password pa ss\"word and 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
	assert_null(strstr(s, "pa ss"));
	assert_null(strstr(s, "AAHdq"));
	free(s);
	config_release(&cfg);
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	unlink(".env");
}

static void test_process_env_wins(void **state)
{
	(void)state;
	const char *env = "TELEGRAM_CHANNEL_ID=from-file\nTELEGRAM_BOT_TOKEN=t0000000000\n";
	char *envpath = tu_write(dir, "other.env", env, strlen(env));
	setenv("TELEGRAM_CHANNEL_ID", "from-process", 1);
	char *path = write_ini("[Storage]\npath = images\n[Content]\ntelegram = yes\n");
	struct config_options o = { .config_path = path, .env_path = envpath, .check = check_config, .modules = check_config_modules() };
	struct config cfg;
	struct config_error e;
	assert_int_equal(config_load(&o, &cfg, &e), 0);
	assert_string_equal(cfg.telegram_channel_id, "from-process");
	assert_string_equal(cfg.telegram_bot_token, "t0000000000");
	config_release(&cfg);
	/* A named .env that is missing is an error naming it. */
	o.env_path = "/nonexistent/.env";
	assert_int_equal(config_load(&o, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/.env"));
	free(path);
	free(envpath);
	unsetenv("TELEGRAM_CHANNEL_ID");
	unsetenv("TELEGRAM_BOT_TOKEN");
}

/* The INI's text given in memory: the same result as its file, with the
 * path still naming it and giving relative paths their folder. */
static void test_text_in_memory(void **state)
{
	(void)state;
	const char *text = "[Storage]\npath = images ; beside the INI\n[Outbox]\nenabled = yes\n"
			   "[Content]\nhashtag_string = #a\n    more #b\n[HTTP]\ntimeout = 0\n";
	char *path = xasprintf("%s/not-on-disk.ini", dir);
	struct config_options o = { .config_path = path, .config_text = text,
				    .config_len = strlen(text) - strlen("[HTTP]\ntimeout = 0\n"),
				    .check = check_config, .modules = check_config_modules() };
	struct config cfg;
	struct config_error e;
	if (config_load(&o, &cfg, &e) < 0)
		fail_msg("%s", e.msg);
	char *want = xasprintf("%s/images", dir);
	assert_string_equal(cfg.storage_path, want);
	assert_string_equal(cfg.hashtag_string, "#a\nmore #b");
	assert_true(config_get_bool(&cfg, "Outbox", "enabled"));
	config_release(&cfg);
	/* All of it: the last line is wrong, and the error names the path. */
	o.config_len = strlen(text);
	assert_int_equal(config_load(&o, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "not-on-disk.ini: [HTTP] timeout:"));
	assert_non_null(strstr(e.msg, "(line 9)"));
	free(want);
	free(path);
}

static void collect(const char *key, const char *value, void *arg)
{
	buf_addf(arg, "%s=%s|", key, value);
}

/* dotenv_parse hands each variable over and leaves the environment alone. */
static void test_dotenv_parse(void **state)
{
	(void)state;
	struct buf got = BUF_INIT;
	unsetenv("PHOTOPUB_TEST_A");
	tu_log_start();
	int n = dotenv_parse("\xef\xbb\xbf" "export PHOTOPUB_TEST_A = 'x y' \r\nB=\"q\\\"\\n\"\nnope\n"
			     "C=1 # note\nD='open\n", "test.env", collect, &got);
	char *out = tu_log_stop();
	assert_int_equal(n, 3);
	assert_string_equal(buf_str(&got), "PHOTOPUB_TEST_A=x y|B=q\"\n|C=1|");
	assert_null(getenv("PHOTOPUB_TEST_A"));
	assert_non_null(strstr(out, "\"file\":\"test.env\",\"line\":3"));
	assert_non_null(strstr(out, "\"line\":5,\"problem\":\"unterminated quote\""));
	free(out);
	buf_release(&got);
}

static void test_cookie_ttl_clamped(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	setenv("WEB_ADMIN_COOKIE_TTL_SECONDS", "5", 1);
	assert_int_equal(load("[Storage]\npath = images\n[Outbox]\nenabled=1\n", &cfg, &e), 0);
	assert_int_equal(cfg.web_admin_cookie_ttl, 60);
	config_release(&cfg);
	setenv("WEB_ADMIN_COOKIE_TTL_SECONDS", "99999", 1);
	assert_int_equal(load("[Storage]\npath = images\n[Outbox]\nenabled=1\n", &cfg, &e), 0);
	assert_int_equal(cfg.web_admin_cookie_ttl, 3600);
	config_release(&cfg);
	unsetenv("WEB_ADMIN_COOKIE_TTL_SECONDS");
}

/* Every problem of one file in one load, in the order found, the first one
 * also in the struct's own fields; warnings apart from errors. */
static void test_every_problem_at_once(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	tu_log_start();
	int rc = load("[Storage]\npath = images\n"
		      "[Content]\ntelegram = true\nfetlife = true\norder = oldst\narchive = perhaps\n"
		      "[Mastodon]\nenable = true\n",
		      &cfg, &e);
	char *out = tu_log_stop();
	assert_int_equal(rc, -1);
	assert_null(cfg.path); /* released */
	assert_int_equal(e.nerrors, 7);
	assert_int_equal(e.nwarnings, 1);
	assert_int_equal(e.nproblems, 8);
	const char *want[][2] = {
		{ "Content", "order" }, { "Content", "archive" }, { "", "TELEGRAM_BOT_TOKEN" },
		{ "", "TELEGRAM_CHANNEL_ID" }, { "Email", "sender" }, { "Email", "recipient" },
		{ "", "EMAIL_PASSWORD" },
	};
	size_t n = 0;
	for (size_t i = 0; i < e.nproblems; i++) {
		const struct config_problem *p = &e.problems[i];
		if (p->warning) {
			assert_string_equal(p->section, "Mastodon");
			assert_string_equal(p->key, "enable");
			assert_int_equal(p->line, 9);
			assert_string_equal(p->hint, "did you mean [Mastodon] enabled?");
			continue;
		}
		assert_true(n < 7);
		assert_string_equal(p->section, want[n][0]);
		assert_string_equal(p->key, want[n][1]);
		n++;
	}
	/* The first error, as one message, as before. */
	assert_string_equal(e.section, "Content");
	assert_string_equal(e.key, "order");
	assert_int_equal(e.line, 6);
	assert_string_equal(e.hint, "did you mean oldest?");
	assert_non_null(strstr(e.problem, "got \"oldst\" (line 6)"));
	char *want_msg = xasprintf("%s/photopub.ini: [Content] order: expected one of random, oldest, "
				   "newest, name, got \"oldst\" (line 6)", dir);
	assert_string_equal(e.msg, want_msg);
	free(want_msg);
	/* The warning line carries the suggestion. */
	assert_non_null(strstr(out, "\"suggestion\":\"[Mastodon] enabled\""));
	free(out);
}

/* A validator's problem about a key the file sets gets that key's line;
 * one about a section, the section's line; keep leaves cfg for a report. */
static void test_lines_and_keep(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e = { 0 };
	char *path = write_ini("[Storage]\npath = images\n\n[Mastodon]\nenabled = true\n"
			       "language = english\n");
	struct config_options o = { .config_path = path, .check = check_config,
				    .modules = check_config_modules(), .keep = true };
	tu_log_start();
	int rc = config_load(&o, &cfg, &e);
	free(tu_log_stop());
	assert_int_equal(rc, -1);
	assert_non_null(cfg.path); /* kept */
	assert_true(config_get_bool(&cfg, "Mastodon", "enabled"));
	bool saw_language = false;
	for (size_t i = 0; i < e.nproblems; i++)
		if (!strcmp(e.problems[i].key, "language")) {
			saw_language = true;
			assert_int_equal(e.problems[i].line, 6);
		}
	assert_true(saw_language);
	config_release(&cfg);
	free(path);

	/* No platform at all: [Content] has no key, the section's line. */
	e = (struct config_error){ 0 };
	tu_log_start();
	rc = load("[Storage]\npath = images\n[Content]\ndebug = false\n", &cfg, &e);
	free(tu_log_stop());
	assert_int_equal(rc, -1);
	assert_int_equal(e.nerrors, 1);
	assert_string_equal(e.section, "Content");
	assert_int_equal(e.line, 3);
}

/* Unknown sections get the nearest known one, case ignored; far names none. */
static void test_suggestions(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e;
	tu_log_start();
	int rc = load("[Storage]\npath = images\n[Outbox]\nenabled=1\n[mastadon]\nx=1\n"
		      "[Content]\nhashtags = #art\n[Zebra]\ny=2\n",
		      &cfg, &e);
	char *out = tu_log_stop();
	assert_int_equal(rc, 0);
	assert_int_equal(e.nerrors, 0);
	assert_int_equal(e.nwarnings, 3);
	assert_string_equal(e.problems[0].section, "mastadon");
	assert_string_equal(e.problems[0].hint, "did you mean [Mastodon]?");
	assert_int_equal(e.problems[0].line, 5);
	assert_string_equal(e.problems[1].section, "Zebra");
	assert_string_equal(e.problems[1].hint, "");
	assert_string_equal(e.problems[2].key, "hashtags");
	assert_string_equal(e.problems[2].hint, "did you mean [Content] hashtag_string?");
	assert_non_null(strstr(out, "\"section\":\"mastadon\",\"line\":5,\"suggestion\":\"[Mastodon]\""));
	assert_non_null(strstr(out, "\"section\":\"Zebra\",\"line\":9,\"suggestion\":null"));
	free(out);
	config_release(&cfg);
}

/* --config and --env naming a folder or a missing file: their own message
 * each, both reported in one load; a device is read like a file. */
static void test_file_kinds(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error e = { 0 };
	struct config_options o = { .config_path = dir, .env_path = "/nonexistent/.env" };
	assert_int_equal(config_load(&o, &cfg, &e), -1);
	assert_int_equal(e.nerrors, 2);
	char *want = xasprintf("%s: is a folder, not a configuration file", dir);
	assert_string_equal(e.msg, want);
	free(want);
	assert_string_equal(e.problems[1].file, "/nonexistent/.env");
	assert_string_equal(e.problems[1].problem, "the .env file does not exist");

	e = (struct config_error){ 0 };
	o = (struct config_options){ .config_path = "/nonexistent/photopub.ini", .env_path = dir };
	assert_int_equal(config_load(&o, &cfg, &e), -1);
	assert_string_equal(e.msg, "/nonexistent/photopub.ini: the configuration file does not exist");
	assert_string_equal(e.problems[1].problem, "is a folder, not a .env file");

	/* A device reads as an empty file: --env /dev/null means no secrets. */
	char *path = write_ini("[Storage]\npath = images\n[Outbox]\nenabled = true\n");
	e = (struct config_error){ 0 };
	o = (struct config_options){ .config_path = path, .env_path = "/dev/null" };
	assert_int_equal(config_load(&o, &cfg, &e), 0);
	assert_string_equal(cfg.env_path, "/dev/null");
	config_release(&cfg);
	free(path);
}

/* More problems than the list holds: counted, the first ones kept. */
static void test_list_full(void **state)
{
	(void)state;
	struct config_error e = { 0 };
	for (int i = 0; i < CONFIG_MAX_PROBLEMS + 5; i++)
		assert_int_equal(config_fail(&e, "f.ini", "S", "k", "problem %d", i), -1);
	config_hint(&e, "not stored: the list is full");
	assert_int_equal(e.nproblems, CONFIG_MAX_PROBLEMS);
	assert_int_equal(e.nerrors, CONFIG_MAX_PROBLEMS + 5);
	assert_string_equal(e.problem, "problem 0");
	assert_string_equal(e.problems[CONFIG_MAX_PROBLEMS - 1].hint, "");
	char msg[256];
	e.problems[0].line = 4;
	config_problem_message(&e.problems[0], msg, sizeof(msg));
	assert_string_equal(msg, "f.ini: [S] k: problem 0 (line 4)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_ini, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_section_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_curation_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openai_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_env_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_ttl_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_in_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotenv_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_problem_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_and_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suggestions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_full, setup, teardown),
	};
	log_set_stderr(false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
