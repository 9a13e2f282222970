/* test_storage_dropbox.c - the Dropbox backend's table against the fake Dropbox
 * (tests/fakes/fake_dropbox.py, started per test in its standalone mode): what a
 * listing keeps, downloads, sidecars, metadata, archive autorename with the
 * sidecar following (and passing a sidecar left alone), public staging, DEL escaped in Dropbox-API-Arg, client
 * credentials without an app secret, one token refresh for many threads, the
 * token reply's lifetime, and server_modified times at the ends of what
 * nanoseconds hold. */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "net/http.h"
#include "storage/content_hash.h"
#include "storage/dropbox.h"
#include "storage/storage.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

extern char **environ;

static const struct pp_ctx ctx = { .correlation_id = "test-cid" };

struct fake {
	pid_t pid;
	int in;          /* its stdin: closing it stops it */
	char url[128];
};

struct fixture {
	struct fake fake;
	struct config cfg;
	struct storage *s;
	char *rocket;    /* sample image path */
	char *cat;
	char *tmp;       /* scratch folder */
};

static char *fake_script(void)
{
	const char *data = getenv("PHOTOPUB_TEST_DATA");
	if (data)
		return xasprintf("%s/../fakes/fake_dropbox.py", data);
	return xstrdup("tests/fakes/fake_dropbox.py");
}

static char *example(const char *name)
{
	const char *ex = getenv("PHOTOPUB_EXAMPLES");
	return xasprintf("%s/images/%s", ex ? ex : "examples", name);
}

/* Starts the fake with extra arguments (NULL-terminated) and reads its URL. */
static void fake_start(struct fake *f, const char *const *extra)
{
	char *script = fake_script();
	const char *argv[32] = { "/usr/bin/python3", script };
	size_t n = 2;
	for (size_t i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int in[2], out[2];
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	int rc = posix_spawn(&f->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(rc, 0);
	close(in[0]);
	close(out[1]);
	f->in = in[1];
	size_t got = 0;
	while (got + 1 < sizeof(f->url)) {
		ssize_t r = read(out[0], f->url + got, 1);
		if (r <= 0 || f->url[got] == '\n')
			break;
		got++;
	}
	f->url[got] = '\0';
	close(out[0]);
	free(script);
	assert_true(!strncmp(f->url, "http://127.0.0.1:", 17));
}

static void fake_stop(struct fake *f)
{
	if (f->pid <= 0)
		return;
	close(f->in);
	int status;
	if (waitpid(f->pid, &status, 0) < 0)
		kill(f->pid, SIGKILL);
	f->pid = 0;
}

/* GET or POST url path on the fake; the parsed JSON reply (caller decrefs). */
static json_t *fake_json(struct fake *f, const char *method, const char *path)
{
	struct http_client *c = http_client_new(NULL);
	char *url = xasprintf("%s%s", f->url, path);
	struct http_request req = { .method = method, .url = url, .download_fd = -1,
				    .what = "fake" };
	struct http_response resp = { 0 };
	struct pp_error err = { 0 };
	assert_int_equal(http_call(c, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	json_t *j = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
	assert_non_null(j);
	http_response_release(&resp);
	http_client_free(c);
	free(url);
	return j;
}

static json_t *fake_file(json_t *state, const char *path)
{
	return json_object_get(json_object_get(state, "files"), path);
}

static long fake_calls(json_t *state, const char *path)
{
	return (long)json_integer_value(json_object_get(json_object_get(state, "calls"), path));
}

static void open_storage(struct fixture *f, const char *folder, const char *secret)
{
	f->cfg.backend = "dropbox";
	f->cfg.image_folder = (char *)folder;
	f->cfg.archive = "archive";
	f->cfg.dropbox_api_url = f->fake.url;
	f->cfg.dropbox_content_url = f->fake.url;
	f->cfg.dropbox_oauth_url = f->fake.url;
	f->cfg.dropbox_app_key = "unit-key";
	f->cfg.dropbox_app_secret = (char *)secret;
	f->cfg.dropbox_refresh_token = "unit-refresh";
	f->cfg.http_connect_timeout = 5;
	f->cfg.http_timeout = 20;
	struct pp_error err = { 0 };
	assert_int_equal(storage_open(&f->cfg, NULL, &f->s, &err), 0);
	assert_string_equal(f->s->ops->name, "dropbox");
}

/* A fixture with its sample images and temporary folder, the fake not started. */
static struct fixture *fixture_new(void)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->rocket = example("rocket-on-pad-at-dusk.jpg");
	f->cat = example("tabby-cat-closeup.jpg");
	f->tmp = tu_mkdtemp();
	return f;
}

/* The standard folder: two images, a sidecar, a non-image, a sub-folder,
 * the staging folder, and an archive that already has an a.jpg. */
static int setup(void **state)
{
	struct fixture *f = fixture_new();
	char *p1 = xasprintf("/Photos/a.jpg=%s", f->rocket);
	char *p2 = xasprintf("/Photos/B.PNG=%s", f->cat);
	char *p3 = xasprintf("/Photos/archive/a.jpg=%s", f->cat);
	char *p4 = xasprintf("/Photos/sub/c.jpg=%s", f->cat);
	char *p5 = xasprintf("/Photos/.photopub-staging/old.jpg=%s", f->cat);
	char *p6 = xasprintf("/Ph\x7fotos/d.jpg=%s", f->rocket);
	const char *args[] = {
		"--app-key", "unit-key", "--app-secret", "unit-secret", "--refresh-token",
		"unit-refresh", "--page-size", "2", "--put", p1, "--put", p2, "--put", p3, "--put",
		p4, "--put", p5, "--put", p6, "--text", "/Photos/a.txt=sd caption\n\n# ---\n",
		"--text", "/Photos/notes.txt=not an image", NULL,
	};
	fake_start(&f->fake, args);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
	free(p5);
	free(p6);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	storage_close(f->s);
	fake_stop(&f->fake);
	tu_rmrf(f->tmp);
	free(f->tmp);
	free(f->rocket);
	free(f->cat);
	free(f);
	return 0;
}

static void hash_file(const char *path, char sha[65], char ch[65])
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct pp_error err = { 0 };
	assert_int_equal(hash_fd(fd, sha, ch, &err), 0);
	close(fd);
}

static void test_list_keeps_images_of_the_folder(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos/", "unit-secret"); /* a trailing '/' is fine */
	struct storage_list l = { 0 };
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->list(f->s, &ctx, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].name, "B.PNG");
	assert_string_equal(l.items[1].name, "a.jpg");
	char sha[65], ch[65];
	hash_file(f->rocket, sha, ch);
	assert_string_equal(l.items[1].content_hash, ch);
	assert_string_equal(l.items[1].sha256, "");
	size_t len = 0;
	free(tu_read(f->rocket, &len));
	assert_int_equal(l.items[1].size, (int64_t)len);
	assert_true(l.items[1].mtime_ns > (int64_t)1500000000 * 1000000000);
	storage_list_release(&l);
	/* Pages of 2 over 7 entries (a.jpg, B.PNG, a.txt, notes.txt, archive,
	 * sub, .photopub-staging): one list_folder and three continues. */
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_int_equal(fake_calls(st, "/2/files/list_folder"), 1);
	assert_int_equal(fake_calls(st, "/2/files/list_folder/continue"), 3);
	assert_int_equal(json_integer_value(json_object_get(st, "tokens_issued")), 1);
	json_decref(st);
}

static void test_download_and_not_found(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	char *path = xasprintf("%s/dl.jpg", f->tmp);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->download(f->s, &ctx, "a.jpg", fd, &err), 0);
	close(fd);
	size_t a = 0, b = 0;
	char *got = tu_read(path, &a), *want = tu_read(f->rocket, &b);
	assert_int_equal(a, b);
	assert_memory_equal(got, want, a);
	free(got);
	free(want);

	fd = open(path, O_RDWR | O_TRUNC);
	assert_int_equal(f->s->ops->download(f->s, &ctx, "missing.jpg", fd, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_int_equal(err.http_status, 409);
	assert_non_null(strstr(err.msg, "missing.jpg"));
	assert_int_equal(lseek(fd, 0, SEEK_END), 0); /* no error body left in the file */
	close(fd);
	/* Names that could leave the folder never reach the server. */
	fd = open(path, O_RDWR | O_TRUNC);
	assert_int_equal(f->s->ops->download(f->s, &ctx, "../a.jpg", fd, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	close(fd);
	free(path);
}

static void test_sidecars(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct pp_error err = { 0 };
	char *text = NULL;
	assert_int_equal(f->s->ops->sidecar_read(f->s, &ctx, "a.jpg", &text, &err), 0);
	assert_string_equal(text, "sd caption\n\n# ---\n");
	free(text);
	text = (char *)"x";
	assert_int_equal(f->s->ops->sidecar_read(f->s, &ctx, "B.PNG", &text, &err), 0);
	assert_null(text);
	const char *sc = "new sd caption \xc3\xa9\n\n# ---\n# image_file: B.PNG\n";
	assert_int_equal(f->s->ops->sidecar_write(f->s, &ctx, "B.PNG", sc, &err), 0);
	assert_int_equal(f->s->ops->sidecar_read(f->s, &ctx, "B.PNG", &text, &err), 0);
	assert_string_equal(text, sc);
	free(text);
	/* Written again: replaced, not renamed. */
	assert_int_equal(f->s->ops->sidecar_write(f->s, &ctx, "B.PNG", "v2\n", &err), 0);
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_int_equal(json_integer_value(json_object_get(fake_file(st, "/Photos/B.txt"), "size")), 3);
	assert_null(fake_file(st, "/Photos/B (1).txt"));
	json_decref(st);
}

static void test_metadata(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct storage_meta m;
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->metadata(f->s, &ctx, "a.jpg", &m, &err), 0);
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	json_t *file = fake_file(st, "/Photos/a.jpg");
	assert_string_equal(m.id, json_string_value(json_object_get(file, "id")));
	assert_string_equal(m.rev, json_string_value(json_object_get(file, "rev")));
	json_decref(st);
	assert_int_equal(f->s->ops->metadata(f->s, &ctx, "nope.jpg", &m, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
}

static void test_archive_autorenames_and_moves_the_sidecar(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct pp_error err = { 0 };
	char *as = NULL;
	assert_int_equal(storage_archive(f->s, &ctx, "a.jpg", &as, &err), 0);
	assert_string_equal(as, "a (1).jpg"); /* archive/a.jpg was taken */
	free(as);
	/* No sidecar: fine too, and the folder is not created twice. */
	assert_int_equal(storage_archive(f->s, &ctx, "B.PNG", &as, &err), 0);
	assert_string_equal(as, "B.PNG");
	free(as);
	assert_int_equal(storage_archive(f->s, &ctx, "a.jpg", NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);

	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_non_null(fake_file(st, "/Photos/archive/a (1).jpg"));
	assert_non_null(fake_file(st, "/Photos/archive/a (1).txt"));
	assert_non_null(fake_file(st, "/Photos/archive/B.PNG"));
	assert_null(fake_file(st, "/Photos/a.jpg"));
	assert_null(fake_file(st, "/Photos/a.txt"));
	char sha[65], ch[65];
	hash_file(f->rocket, sha, ch);
	assert_string_equal(json_string_value(json_object_get(
				    fake_file(st, "/Photos/archive/a (1).jpg"), "content_hash")), ch);
	assert_int_equal(fake_calls(st, "/2/files/create_folder_v2"), 1);
	json_decref(st);
}

/* A folder whose archive holds sidecars left alone: "a.txt" (no a.jpg) and
 * "b.txt" (no b.jpg). */
static int setup_stray(void **state)
{
	struct fixture *f = fixture_new();
	char *p1 = xasprintf("/Photos/a.jpg=%s", f->rocket);
	char *p2 = xasprintf("/Photos/b.jpg=%s", f->cat);
	const char *args[] = {
		"--app-key", "unit-key", "--app-secret", "unit-secret", "--refresh-token",
		"unit-refresh", "--put", p1, "--put", p2, "--text", "/Photos/a.txt=its own",
		"--text", "/Photos/archive/a.txt=left alone here", "--text",
		"/Photos/archive/b.txt=left alone too", NULL,
	};
	fake_start(&f->fake, args);
	free(p1);
	free(p2);
	*state = f;
	return 0;
}

/* A sidecar left alone in the archive is nobody's to take: the image, with
 * its own sidecar or without one, goes on to the first name whose sidecar's
 * name is free too, and its own sidecar keeps its stem. */
static void test_archive_passes_a_sidecar_left_alone(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct pp_error err = { 0 };
	char *as = NULL;
	assert_int_equal(storage_archive(f->s, &ctx, "a.jpg", &as, &err), 0);
	assert_string_equal(as, "a (1).jpg");
	free(as);
	assert_int_equal(storage_archive(f->s, &ctx, "b.jpg", &as, &err), 0);
	assert_string_equal(as, "b (1).jpg");
	free(as);

	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_non_null(fake_file(st, "/Photos/archive/a (1).jpg"));
	json_t *own = fake_file(st, "/Photos/archive/a (1).txt");
	assert_non_null(own);
	assert_int_equal(json_integer_value(json_object_get(own, "size")), strlen("its own"));
	json_t *alone = fake_file(st, "/Photos/archive/a.txt");
	assert_int_equal(json_integer_value(json_object_get(alone, "size")),
			 strlen("left alone here"));
	assert_null(fake_file(st, "/Photos/archive/a.jpg"));
	assert_non_null(fake_file(st, "/Photos/archive/b (1).jpg"));
	assert_null(fake_file(st, "/Photos/archive/b.jpg"));
	assert_null(fake_file(st, "/Photos/archive/b (1).txt"));
	assert_non_null(fake_file(st, "/Photos/archive/b.txt"));
	json_decref(st);
}

static void test_stage_public_and_unstage(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct pp_error err = { 0 };
	char *url = NULL, *staged = NULL;
	assert_int_equal(f->s->ops->stage_public(f->s, &ctx, f->cat, "post.jpg", &url, &staged, &err),
			 0);
	assert_string_equal(staged, "/Photos/.photopub-staging/post.jpg");
	assert_true(!strncmp(url, f->fake.url, strlen(f->fake.url)));
	/* The link serves the bytes. */
	struct http_client *c = http_client_new(NULL);
	struct http_request req = { .method = "GET", .url = url, .download_fd = -1, .what = "get" };
	struct http_response resp = { 0 };
	assert_int_equal(http_call(c, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	size_t len = 0;
	char *want = tu_read(f->cat, &len);
	assert_int_equal(resp.body.len, len);
	assert_memory_equal(resp.body.data, want, len);
	free(want);
	http_response_release(&resp);
	http_client_free(c);
	/* Not an image of the folder. */
	struct storage_list l = { 0 };
	assert_int_equal(f->s->ops->list(f->s, &ctx, &l, &err), 0);
	for (size_t i = 0; i < l.n; i++)
		assert_string_not_equal(l.items[i].name, "post.jpg");
	storage_list_release(&l);

	assert_int_equal(f->s->ops->unstage(f->s, &ctx, staged, &err), 0);
	assert_int_equal(f->s->ops->unstage(f->s, &ctx, staged, &err), 0); /* gone already */
	/* Only staged files can be deleted through unstage. */
	assert_int_equal(f->s->ops->unstage(f->s, &ctx, "/Photos/a.jpg", &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_int_equal(f->s->ops->unstage(f->s, &ctx, "/Photos/.photopub-staging/../a.jpg", &err),
			 -1);
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_null(fake_file(st, "/Photos/.photopub-staging/post.jpg"));
	assert_non_null(fake_file(st, "/Photos/a.jpg"));
	assert_int_equal(fake_calls(st, "/2/files/delete_v2"), 2);
	json_decref(st);
	free(url);
	free(staged);
}

/* The fake refuses a raw DEL in Dropbox-API-Arg, as Dropbox does. */
static void test_del_is_escaped_in_the_argument_header(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Ph\x7fotos", "unit-secret");
	char *path = xasprintf("%s/d.jpg", f->tmp);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->download(f->s, &ctx, "d.jpg", fd, &err), 0);
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	close(fd);
	free(path);
}

/* An app without a secret (PKCE) names itself with client_id in the form. */
static void test_refresh_without_app_secret(void **state)
{
	struct fixture *f = *state;
	fake_stop(&f->fake);
	const char *args[] = { "--app-key", "unit-key", "--app-secret", "", "--refresh-token",
			       "unit-refresh", "--text", "/P/x.jpg=bytes", NULL };
	fake_start(&f->fake, args);
	open_storage(f, "/P", NULL);
	struct storage_list l = { 0 };
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->list(f->s, &ctx, &l, &err), 0);
	assert_int_equal(l.n, 1);
	storage_list_release(&l);
}

/* Wrong credentials: an auth error that names the call, no secret in it. */
static void test_wrong_refresh_token(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	storage_close(f->s);
	f->s = NULL;
	f->cfg.dropbox_refresh_token = "wrong-refresh-token";
	struct pp_error err = { 0 };
	assert_int_equal(storage_open(&f->cfg, NULL, &f->s, &err), 0);
	struct storage_list l = { 0 };
	assert_int_equal(f->s->ops->list(f->s, &ctx, &l, &err), -1);
	assert_int_equal(err.kind, PP_ERR_AUTH);
	assert_int_equal(err.http_status, 400);
	assert_non_null(strstr(err.msg, "invalid_grant"));
	assert_null(strstr(err.msg, "wrong-refresh-token"));
	assert_null(strstr(err.msg, "unit-secret"));
}

/* The readiness probe: one list_folder of one entry; a folder that is not
 * there or a refused token is not ready. */
static void test_ready(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	open_storage(f, "/Photos", "unit-secret");
	assert_int_equal(storage_ready(f->s, &ctx, &err), 0);
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_int_equal(fake_calls(st, "/2/files/list_folder"), 1);
	assert_int_equal(fake_calls(st, "/2/files/list_folder/continue"), 0);
	json_decref(st);
	storage_close(f->s);
	f->s = NULL;
	open_storage(f, "/Nowhere", "unit-secret");
	assert_int_equal(storage_ready(f->s, &ctx, &err), -1);
	storage_close(f->s);
	f->s = NULL;
	f->cfg.dropbox_refresh_token = "wrong-refresh-token";
	assert_int_equal(storage_open(&f->cfg, NULL, &f->s, &err), 0);
	pp_error_clear(&err);
	assert_int_equal(storage_ready(f->s, &ctx, &err), -1);
	assert_int_equal(err.kind, PP_ERR_AUTH);
	assert_null(strstr(err.msg, "wrong-refresh-token"));
}

struct worker {
	struct fixture *f;
	int rc;
	enum pp_error_kind kind;
};

static void *download_worker(void *arg)
{
	struct worker *w = arg;
	char *path = NULL;
	int fd = -1;
	struct pp_error err = { 0 };
	if (fs_temp_file(".jpg", &path, &fd, &err) == 0) {
		w->rc = w->f->s->ops->download(w->f->s, &ctx, "a.jpg", fd, &err);
		close(fd);
		fs_temp_remove(path);
		free(path);
	} else {
		w->rc = -2;
	}
	w->kind = err.kind;
	return NULL;
}

/* Eight threads meet an expired token at once: one refresh serves them all. */
static void test_one_refresh_for_many_threads(void **state)
{
	struct fixture *f = *state;
	open_storage(f, "/Photos", "unit-secret");
	struct storage_meta m;
	struct pp_error err = { 0 };
	assert_int_equal(f->s->ops->metadata(f->s, &ctx, "a.jpg", &m, &err), 0);
	json_decref(fake_json(&f->fake, "POST", "/_fake/expire"));
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .f = f, .rc = -3 };
		assert_int_equal(pthread_create(&t[i], NULL, download_worker, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	json_t *st = fake_json(&f->fake, "GET", "/_fake/state");
	assert_int_equal(json_integer_value(json_object_get(st, "tokens_issued")), 2);
	assert_int_equal(fake_calls(st, "/oauth2/token"), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "downloads"),
							    "/Photos/a.jpg")), 8);
	json_decref(st);
}

/* server_modified: nanoseconds since the epoch, and 0 for what 64 bits
 * cannot hold instead of an overflow. */
static void test_rfc3339_times(void **state)
{
	(void)state;
	assert_int_equal(dropbox_parse_rfc3339("2026-11-28T10:15:02Z"), 1795860902LL * 1000000000);
	assert_int_equal(dropbox_parse_rfc3339("2026-11-28T10:15:02.25Z"),
			 1795860902LL * 1000000000 + 250000000);
	assert_int_equal(dropbox_parse_rfc3339("1970-01-01T00:00:01.5z"), 1500000000);
	assert_int_equal(dropbox_parse_rfc3339("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
	assert_int_equal(dropbox_parse_rfc3339("2262-04-11T23:47:16.854775808Z"), 0);
	assert_int_equal(dropbox_parse_rfc3339("4052-11-28T10:15:02Z"), 0);
	assert_int_equal(dropbox_parse_rfc3339("1033-01-01T00:00:00Z"), 0);
	assert_int_equal(dropbox_parse_rfc3339("-999-01-01T00:00:00Z"), 0);
	assert_int_equal(dropbox_parse_rfc3339("2026-11-28T10:15:02+01:00"), 0);
	assert_int_equal(dropbox_parse_rfc3339("2026-11-28"), 0);
	assert_int_equal(dropbox_parse_rfc3339(NULL), 0);
}

/* The token reply: its lifetime, and none for one no token has (the token
 * is then renewed when it is refused, never at a deadline past the clock). */
static void test_token_reply(void **state)
{
	(void)state;
	struct pp_error err = { 0 };
	char *tok;
	int64_t expires;
	const char *ok = "{\"access_token\":\"sl.abc\",\"expires_in\":14400}";
	assert_int_equal(dropbox_parse_token_reply(200, ok, strlen(ok), &tok, &expires, &err), 0);
	assert_string_equal(tok, "sl.abc");
	assert_int_equal(expires, 14400);
	free(tok);
	const char *huge = "{\"access_token\":\"sl.abc\",\"expires_in\":9223372036854775807}";
	assert_int_equal(dropbox_parse_token_reply(200, huge, strlen(huge), &tok, &expires, &err), 0);
	assert_int_equal(expires, 0);
	free(tok);
	const char *bad = "{\"error\":\"invalid_grant\",\"error_description\":\"malformed\"}";
	assert_int_equal(dropbox_parse_token_reply(400, bad, strlen(bad), &tok, &expires, &err), -1);
	assert_null(tok);
	assert_int_equal(err.kind, PP_ERR_AUTH);
	assert_string_equal(err.msg, "Dropbox refused the token refresh (oauth2/token: HTTP 400, "
				     "invalid_grant: malformed): check DROPBOX_REFRESH_TOKEN");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_keeps_images_of_the_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_and_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidecars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_autorenames_and_moves_the_sidecar, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_archive_passes_a_sidecar_left_alone, setup_stray,
						teardown),
		cmocka_unit_test_setup_teardown(test_stage_public_and_unstage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_is_escaped_in_the_argument_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refresh_without_app_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_refresh_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_refresh_for_many_threads, setup, teardown),
		cmocka_unit_test(test_rfc3339_times),
		cmocka_unit_test(test_token_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
