/* test_storage.c - the storage facade: the backends table, the settings
 * check, one timed storage_call line per call, the time reported to the
 * request's sink under "storage" or "sidecar", and optional operations a
 * backend lacks failing with their kind. */
#include <stdlib.h>
#include <string.h>
#include "storage/storage.h"
#include "telemetry/log.h"
#include "testutil.h"
#include "util/buf.h"

static double timing_of(const struct pp_timing *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->t[i].name, name))
			return t->t[i].ms;
	return -1;
}

static void test_backends_table(void **state)
{
	(void)state;
	assert_ptr_equal(storage_backend_find("local"), &local_storage);
	assert_ptr_equal(storage_backend_find("dropbox"), &dropbox_storage);
	assert_null(storage_backend_find("ftp"));
	assert_null(storage_backend_find(NULL));
	assert_true(dropbox_storage.caps & STORAGE_PUBLIC_URLS);
	assert_false(local_storage.caps & STORAGE_PUBLIC_URLS);

	struct config cfg = { .path = "/etc/photopub.ini", .backend = "ftp", .archive = "archive" };
	struct config_error e;
	e = (struct config_error){ 0 };
	assert_int_equal(storage_validate(&cfg, &e), -1);
	assert_string_equal(e.section, "Storage");
	assert_string_equal(e.key, "backend");
	assert_non_null(strstr(e.msg, "known: local, dropbox"));
	cfg.backend = "dropbox";
	cfg.archive = "../out";
	e = (struct config_error){ 0 };
	assert_int_equal(storage_validate(&cfg, &e), -1);
	assert_string_equal(e.section, "Dropbox");
	assert_string_equal(e.key, "archive");
	cfg.archive = "archive";
	e = (struct config_error){ 0 };
	assert_int_equal(storage_validate(&cfg, &e), -1);
	assert_string_equal(e.key, "image_folder");
}

static void test_calls_are_timed_and_logged_once(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp();
	static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };
	free(tu_write(dir, "a.jpg", jpeg, sizeof(jpeg)));
	free(tu_write(dir, "a.txt", "sd caption\n", 11));
	struct config cfg = { .backend = "local", .storage_path = dir, .archive = "archive" };
	struct storage *s = NULL;
	struct pp_error err = { 0 };
	assert_int_equal(storage_open(&cfg, NULL, &s, &err), 0);

	struct pp_timing t;
	pp_timing_init(&t);
	struct pp_ctx ctx = { .correlation_id = "facade-1", .timing = &t };
	struct storage_list list = { 0 };
	char *text = NULL;
	log_set_level(LOG_DEBUG);
	tu_log_start();
	assert_int_equal(storage_list(s, &ctx, &list, &err), 0);
	assert_int_equal(storage_sidecar_read(s, &ctx, "a.jpg", &text, &err), 0);
	char *url = NULL, *staged = NULL;
	assert_int_equal(storage_stage_public(s, &ctx, "/nonexistent", "a.jpg", &url, &staged, &err), -1);
	char *out = tu_log_stop();
	log_set_level(LOG_INFO);

	assert_int_equal(list.n, 1);
	assert_string_equal(text, "sd caption\n");
	assert_int_equal(err.kind, PP_ERR_UNSUPPORTED);
	assert_null(url);
	/* One line per call that reached the backend; not for the one it lacks. */
	size_t calls = 0;
	for (const char *p = out; (p = strstr(p, "\"message\":\"storage_call\"")); p++)
		calls++;
	assert_int_equal(calls, 2);
	assert_non_null(strstr(out, "\"correlation_id\":\"facade-1\",\"backend\":\"local\","
				    "\"op\":\"list\",\"image\":null,\"duration_ms\":"));
	assert_non_null(strstr(out, "\"ok\":true,\"count\":1,\"error\":null"));
	assert_non_null(strstr(out, "\"op\":\"sidecar_read\",\"image\":\"a.jpg\""));
	assert_true(timing_of(&t, "storage") >= 0);
	assert_true(timing_of(&t, "sidecar") >= 0);
	assert_int_equal(t.n, 2);

	free(out);
	free(text);
	storage_list_release(&list);
	pp_timing_release(&t);
	storage_close(s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backends_table),
		cmocka_unit_test(test_calls_are_timed_and_logged_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
