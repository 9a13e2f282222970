/* test_state.c - the SQLite state: posted hashes, history rows, read-only
 * sessions that leave the file byte-identical, the one-time posted.json import
 * (data-driven cases in tests/data/state/import/<case>/{posted.json,expected})
 * and the hash cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include "state/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state/state.h"
#include "storage/content_hash.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CH_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define CH_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define SCHEMA_NOW 8 /* the schema version a new database gets */

struct fixture {
	char *dir;
	char *db;   /* dir/var/state.db: its folder does not exist yet */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = tu_scratch_dir();
	f->db = xasprintf("%s/var/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void file_sha256(const char *path, char out[65])
{
	char ch[65];
	struct pp_error err = { 0 };
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, out, ch, &err), 0);
	close(fd);
}

/* A connection of the test's own to the state database at path (its
 * PostgreSQL schema under PHOTOPUB_TEST_STATE_URL), through db.h. */
static struct db *raw_open(const char *path)
{
	struct db *db = NULL;
	struct pp_error err = { 0 };
	const struct db_open_options o = { 0 };
	char *target = tu_state_target(path);
	if (db_driver_for(target)->open(target, path, &o, &db, &err) != 0)
		fail_msg("raw_open: %s", err.msg);
	free(target);
	return db;
}

static void raw_close(struct db *db)
{
	db->ops->close(db);
}

static long long raw_int(struct db *db, const char *sql)
{
	struct db_stmt *s = NULL;
	assert_int_equal(db_prepare(db, sql, &s), 0);
	if (db_step(s) != DB_ROW)
		fail_msg("%s: %s", sql, db_errmsg(db));
	long long v = db_column_int64(s, 0);
	db_finalize(s);
	return v;
}

static void raw_exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static int raw_version(struct db *db)
{
	int v = -1;
	assert_int_equal(db->ops->get_version(db, &v), 0);
	return v;
}

/* What messages call the state database: its path, or the URL without its
 * password, which no message may show. */
static void assert_names_state(const struct fixture *f, const char *msg)
{
	if (!tu_state_pg()) {
		assert_non_null(strstr(msg, f->db));
		return;
	}
	assert_non_null(strstr(msg, "postgresql://postgres@"));
	const char *url = getenv("PHOTOPUB_TEST_STATE_URL");
	const char *colon = strchr(url + strlen("postgresql://"), ':');
	const char *at = strchr(url, '@');
	char *password = xstrndup(colon + 1, (size_t)(at - colon - 1));
	if (strstr(msg, password))
		fail_msg("the password is in \"%s\"", msg);
	free(password);
}

/* ---- posted hashes ---------------------------------------------------------- */

static void test_create_and_mark_posted(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);

	if (!tu_state_pg()) { /* a private file in a private folder */
		struct stat sb;
		char *var = xasprintf("%s/var", f->dir);
		assert_int_equal(stat(var, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0700);
		assert_int_equal(stat(f->db, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		free(var);
	}

	assert_false(state_is_posted_sha256(st, SHA_A));
	assert_false(state_is_posted_content_hash(st, CH_C));
	assert_int_equal(state_mark_posted(st, SHA_A, CH_C, &err), 0);
	assert_int_equal(state_mark_posted(st, SHA_B, NULL, &err), 0);
	assert_int_equal(state_mark_posted(st, SHA_A, CH_C, &err), 0); /* again: fine */
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_true(state_is_posted_sha256(st, SHA_B));
	assert_true(state_is_posted_content_hash(st, CH_C));
	assert_false(state_is_posted_content_hash(st, CH_D));
	/* hex is compared case-insensitively */
	assert_true(state_is_posted_sha256(st, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	/* a hash is not a content hash */
	assert_false(state_is_posted_content_hash(st, SHA_A));
	assert_false(state_is_posted_sha256(st, "short"));
	assert_false(state_is_posted_sha256(st, NULL));

	assert_int_equal(state_mark_posted(st, "xyz", NULL, &err), -1);
	assert_names_state(f, err.msg);
	assert_int_equal(state_mark_posted(st, SHA_A, "nothex", &err), -1);
	assert_non_null(strstr(err.msg, "content hash"));
	state_close(st);

	/* persisted, schema versioned, WAL */
	st = tu_state_open(f->db, false);
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_true(state_is_posted_content_hash(st, CH_C));
	state_close(st);
	struct db *db = raw_open(f->db);
	assert_int_equal(raw_version(db), SCHEMA_NOW);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM posted_sha256"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM posted_content_hash"), 1);
	if (!tu_state_pg()) {
		struct db_stmt *s = NULL;
		assert_int_equal(db_prepare(db, "PRAGMA journal_mode", &s), 0);
		assert_int_equal(db_step(s), DB_ROW);
		assert_string_equal(db_column_text(s, 0), "wal");
		db_finalize(s);
	}
	raw_close(db);
}

static void test_history_rows(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct history_row rows[] = {
		{ .image = "a.jpg", .sha256 = SHA_A, .platform = "telegram", .post_id = "42",
		  .success = true, .correlation_id = "cid-1" },
		{ .image = "a.jpg", .sha256 = SHA_A, .platform = "email", .success = false,
		  .error = "SMTP 535 auth failed", .correlation_id = "cid-1" },
	};
	assert_int_equal(state_add_history(st, rows, 2, &err), 0);
	assert_int_equal(state_add_history(st, rows, 0, &err), 0);
	struct history_row bad = { .image = "b.jpg" };
	assert_int_equal(state_add_history(st, &bad, 1, &err), -1);
	assert_non_null(strstr(err.msg, "platform"));
	state_close(st);

	struct db *db = raw_open(f->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM history"), 2);
	struct db_stmt *s = NULL;
	assert_int_equal(db_prepare(db,
		"SELECT time, image, sha256, platform, post_id, success, error, correlation_id"
		" FROM history ORDER BY id", &s), 0);
	assert_int_equal(db_step(s), DB_ROW);
	const char *t = db_column_text(s, 0);
	/* RFC 3339 UTC: 2026-11-28T10:15:02.113Z */
	assert_int_equal(strlen(t), 24);
	assert_int_equal(t[4], '-');
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], '.');
	assert_int_equal(t[23], 'Z');
	assert_string_equal(db_column_text(s, 1), "a.jpg");
	assert_string_equal(db_column_text(s, 2), SHA_A);
	assert_string_equal(db_column_text(s, 3), "telegram");
	assert_string_equal(db_column_text(s, 4), "42");
	assert_int_equal(db_column_int64(s, 5), 1);
	assert_true(db_column_is_null(s, 6));
	assert_string_equal(db_column_text(s, 7), "cid-1");
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 3), "email");
	assert_true(db_column_is_null(s, 4));
	assert_int_equal(db_column_int64(s, 5), 0);
	assert_string_equal(db_column_text(s, 6), "SMTP 535 auth failed");
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	raw_close(db);
}

/* The tables of schema 1, as a file of that version has them, upstream's
 * posted.json already imported. */
#define SCHEMA_1                                                                           \
	"CREATE TABLE posted_sha256(sha256 TEXT PRIMARY KEY, posted_at TEXT NOT NULL)"     \
	" WITHOUT ROWID;"                                                                  \
	"CREATE TABLE posted_content_hash(content_hash TEXT PRIMARY KEY,"                  \
	" posted_at TEXT NOT NULL) WITHOUT ROWID;"                                         \
	"CREATE TABLE history(id INTEGER PRIMARY KEY, time TEXT NOT NULL, image TEXT,"     \
	" sha256 TEXT, platform TEXT NOT NULL, post_id TEXT, success INTEGER NOT NULL,"    \
	" error TEXT, correlation_id TEXT);"                                               \
	"CREATE TABLE hash_cache(key TEXT PRIMARY KEY, size INTEGER NOT NULL,"             \
	" mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, content_hash TEXT NOT NULL)"    \
	" WITHOUT ROWID;"                                                                  \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"               \
	"INSERT INTO meta VALUES('posted_json_imported', '1');"

/* Writes the database file of an older version: its folder, then sql.
 * SQLite only: the files of older versions are SQLite files. */
static void old_database(struct fixture *f, const char *sql)
{
	if (tu_state_pg())
		skip();
	char *var = xasprintf("%s/var", f->dir);
	mkdir(var, 0700);
	free(var);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* Collects rows as "platform:action:url" (NULLs as "-"), comma-separated. */
static int collect(void *arg, const char *time, const struct history_row *r)
{
	struct buf *b = arg;
	(void)time;
	buf_addf(b, "%s%s:%s:%s", b->len ? "," : "", r->platform, r->action ? r->action : "-",
		 r->url ? r->url : "-");
	return 0;
}

/* url and action are stored and read back; the query filters, orders
 * newest first and limits. */
static void test_history_url_action(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct history_row rows[] = {
		{ .image = "a.jpg", .platform = "telegram", .post_id = "42", .success = true,
		  .url = "https://t.me/chan/42" },
		{ .image = "b.jpg", .platform = HISTORY_CURATION, .action = "keep", .success = true,
		  .url = "keep/b.jpg" },
		{ .image = "c.jpg", .platform = HISTORY_CURATION, .action = "delete", .success = true },
	};
	assert_int_equal(state_add_history(st, rows, 3, &err), 0);

	struct buf b = BUF_INIT;
	assert_int_equal(state_history_each(st, NULL, NULL, collect, &b, &err), 0);
	assert_string_equal(buf_str(&b), "telegram:-:https://t.me/chan/42,storage:keep:keep/b.jpg,"
					 "storage:delete:-");
	buf_reset(&b);
	struct history_filter nf = { .newest_first = true, .limit = 2 };
	assert_int_equal(state_history_query(st, &nf, collect, &b, &err), 0);
	assert_string_equal(buf_str(&b), "storage:delete:-,storage:keep:keep/b.jpg");
	buf_reset(&b);
	struct history_filter pf = { .platform = "telegram", .newest_first = true };
	assert_int_equal(state_history_query(st, &pf, collect, &b, &err), 0);
	assert_string_equal(buf_str(&b), "telegram:-:https://t.me/chan/42");
	buf_release(&b);
	state_close(st);
}

/* A database of schema 2 with history: read-only, its rows read with no
 * url and action; read-write upgrades it to 3 and keeps every old row. */
static void test_version_2_database_keeps_history(void **state)
{
	struct fixture *f = *state;
	old_database(f, SCHEMA_1
		     "CREATE TABLE journal(id INTEGER PRIMARY KEY, correlation_id TEXT NOT NULL,"
		     " image TEXT NOT NULL, sha256 TEXT NOT NULL, content_hash TEXT, caption TEXT,"
		     " sd_caption TEXT, owner TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);"
		     "CREATE TABLE journal_platform(journal_id INTEGER NOT NULL REFERENCES journal(id),"
		     " platform TEXT NOT NULL, outcome TEXT NOT NULL, post_id TEXT, error TEXT,"
		     " correlation_id TEXT, UNIQUE(journal_id, platform));"
		     "CREATE TABLE quarantine(sha256 TEXT PRIMARY KEY, content_hash TEXT,"
		     " image TEXT NOT NULL, reason TEXT NOT NULL, moved_to TEXT, correlation_id TEXT,"
		     " at TEXT NOT NULL) WITHOUT ROWID;"
		     "INSERT INTO history(time, image, sha256, platform, post_id, success, error,"
		     " correlation_id) VALUES('2026-11-01T00:00:00.000Z', 'old.jpg', '" SHA_A "',"
		     " 'telegram', '7', 1, NULL, 'cid-old');"
		     "INSERT INTO journal VALUES(1, 'cid-j', 'j.jpg', '" SHA_B "', NULL, 'c', NULL,"
		     " 'nobody', '2026-11-01T00:00:00Z', NULL);"
		     "INSERT INTO journal_platform VALUES(1, 'telegram', 'posted', '9', NULL, 'cid-j');"
		     "PRAGMA user_version = 2;");

	struct pp_error err = { 0 };
	struct buf b = BUF_INIT;
	struct state *st = tu_state_open(f->db, true);
	assert_int_equal(state_history_each(st, NULL, NULL, collect, &b, &err), 0);
	assert_string_equal(buf_str(&b), "telegram:-:-");
	struct journal_intent *v = NULL;
	size_t n = 0;
	/* read-only, an older schema's journal is not resumed (previews never do) */
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	state_close(st);

	st = tu_state_open(f->db, false);
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].platforms[0].post_id, "9");
	assert_null(v[0].platforms[0].url);
	state_journal_release(v, n);
	struct history_row row = { .image = "new.jpg", .platform = HISTORY_CURATION,
				   .action = "remove", .success = true, .url = "remove/new.jpg" };
	assert_int_equal(state_add_history(st, &row, 1, &err), 0);
	struct journal_platform p = { .platform = "outbox", .outcome = JOURNAL_POSTED,
				      .post_id = "x", .url = "/out/x" };
	assert_int_equal(state_journal_set(st, 1, &p, &err), 0);
	buf_reset(&b);
	assert_int_equal(state_history_each(st, NULL, NULL, collect, &b, &err), 0);
	assert_string_equal(buf_str(&b), "telegram:-:-,storage:remove:remove/new.jpg");
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n, 2);
	assert_string_equal(v[0].platforms[1].url, "/out/x");
	state_journal_release(v, n);
	state_close(st);
	buf_release(&b);

	struct db *db = raw_open(f->db);
	assert_int_equal(raw_version(db), SCHEMA_NOW);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM history WHERE correlation_id = 'cid-old'"
				     " AND post_id = '7' AND url IS NULL AND action IS NULL"), 1);
	raw_close(db);
}

/* ---- read-only sessions ---------------------------------------------------- */

static void test_read_only_leaves_file_identical(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct hash_entry e = { SHA_A, CH_C }, got;

	if (tu_state_pg())
		skip(); /* the bytes of the SQLite file */
	struct state *st = tu_state_open(f->db, false);
	assert_int_equal(state_mark_posted(st, SHA_A, CH_C, &err), 0);
	assert_int_equal(state_cache_put(st, "/img/a.jpg", 10, 100, &e, &err), 0);
	state_close(st);

	char before[65], after[65];
	struct stat sb_before, sb_after;
	file_sha256(f->db, before);
	assert_int_equal(stat(f->db, &sb_before), 0);

	st = tu_state_open(f->db, true);
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_true(state_is_posted_content_hash(st, CH_C));
	assert_true(state_cache_get(st, "/img/a.jpg", 10, 100, &got));
	assert_string_equal(got.sha256, SHA_A);

	/* posting functions fail, naming the file */
	assert_int_equal(state_mark_posted(st, SHA_B, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INTERNAL);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_names_state(f, err.msg);
	struct history_row row = { .image = "a.jpg", .platform = "telegram", .success = true };
	assert_int_equal(state_add_history(st, &row, 1, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INTERNAL);
	assert_false(state_is_posted_sha256(st, SHA_B));

	/* the cache works in memory, inside a begin/commit group too */
	struct hash_entry e2 = { SHA_B, CH_D };
	assert_int_equal(state_begin(st, &err), 0);
	assert_int_equal(state_cache_put(st, "/img/b.jpg", 20, 200, &e2, &err), 0);
	assert_int_equal(state_cache_put(st, "/img/a.jpg", 11, 101, &e2, &err), 0);
	assert_int_equal(state_commit(st, &err), 0);
	assert_true(state_cache_get(st, "/img/b.jpg", 20, 200, &got));
	assert_string_equal(got.content_hash, CH_D);
	assert_true(state_cache_get(st, "/img/a.jpg", 11, 101, &got));
	assert_string_equal(got.sha256, SHA_B);
	assert_int_equal(state_cache_preload(st, "/img/", &err), 0);
	assert_true(state_cache_get(st, "/img/a.jpg", 11, 101, &got));
	assert_string_equal(got.sha256, SHA_B);
	state_close(st);

	file_sha256(f->db, after);
	assert_string_equal(before, after);
	assert_int_equal(stat(f->db, &sb_after), 0);
	assert_int_equal(sb_before.st_size, sb_after.st_size);
	assert_int_equal(sb_before.st_mtim.tv_sec, sb_after.st_mtim.tv_sec);
	assert_int_equal(sb_before.st_mtim.tv_nsec, sb_after.st_mtim.tv_nsec);

	/* nothing of the read-only session reached the file */
	st = tu_state_open(f->db, false);
	assert_false(state_cache_get(st, "/img/b.jpg", 20, 200, &got));
	assert_true(state_cache_get(st, "/img/a.jpg", 10, 100, &got));
	assert_false(state_is_posted_sha256(st, SHA_B));
	state_close(st);
}

static void test_read_only_while_a_writer_is_open(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *w = tu_state_open(f->db, false);
	assert_int_equal(state_mark_posted(w, SHA_A, NULL, &err), 0);
	/* the row is in the WAL, not yet in the main file */
	struct state *r = tu_state_open(f->db, true);
	assert_true(state_is_posted_sha256(r, SHA_A));
	state_close(r);
	assert_int_equal(state_mark_posted(w, SHA_B, NULL, &err), 0);
	state_close(w);
}

static void test_read_only_missing_file_creates_nothing(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct hash_entry e = { SHA_A, CH_C }, got;

	struct state *st = tu_state_open(f->db, true);
	assert_false(state_is_posted_sha256(st, SHA_A));
	assert_int_equal(state_cache_put(st, "/img/a.jpg", 1, 2, &e, &err), 0);
	assert_true(state_cache_get(st, "/img/a.jpg", 1, 2, &got));
	assert_false(state_cache_get(st, "/img/a.jpg", 1, 3, &got));
	assert_int_equal(state_mark_posted(st, SHA_A, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INTERNAL);
	state_close(st);

	struct stat sb;
	char *var = xasprintf("%s/var", f->dir);
	assert_int_equal(stat(var, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(f->db, &sb), -1);
	free(var);
}

/* ---- posted.json import ---------------------------------------------------- */

static char *import_source(const struct fixture *f)
{
	char *dir = xasprintf("%s/cache/publisher_v2", f->dir);
	assert_int_equal(fs_mkdir_p(dir, 0755, NULL), 0);
	return dir;
}

static int count_events(const char *log, const char *event)
{
	char *needle = xasprintf("\"message\":\"%s\"", event);
	int n = 0;
	for (const char *p = log; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(needle);
	return n;
}

/* The "key":N field of the first line holding event. */
static long event_int(const char *log, const char *event, const char *key)
{
	char *needle = xasprintf("\"message\":\"%s\"", event);
	const char *line = strstr(log, needle);
	free(needle);
	assert_non_null(line);
	const char *eol = strchr(line, '\n');
	char *k = xasprintf("\"%s\":", key);
	const char *p = strstr(line, k);
	assert_non_null(p);
	assert_true(!eol || p < eol);
	long v = strtol(p + strlen(k), NULL, 10);
	free(k);
	return v;
}

static void run_import_case(const char *case_dir)
{
	void *sp = NULL;
	setup(&sp);
	struct fixture *f = sp;
	char *src_json = xasprintf("%s/posted.json", case_dir);
	char *src_exp = xasprintf("%s/expected", case_dir);
	size_t len = 0;
	char *json = tu_read(src_json, &len);
	char *expected = tu_read(src_exp, NULL);
	assert_non_null(json);
	assert_non_null(expected);
	char *cache = import_source(f);
	free(tu_write(cache, "posted.json", json, len));

	tu_log_start();
	struct state *st = tu_state_open(f->db, false);
	char *log = tu_log_stop();

	const char *event = NULL;
	char *save = NULL;
	for (char *line = strtok_r(expected, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !line[0])
			continue;
		char *eq = strchr(line, '=');
		assert_non_null(eq);
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		if (!strcmp(k, "event")) {
			event = v;
			if (count_events(log, v) != 1)
				fail_msg("%s: expected one %s line, log:\n%s", case_dir, v, log);
		} else if (!strcmp(k, "posted")) {
			if (!state_is_posted_sha256(st, v))
				fail_msg("%s: %s should be posted", case_dir, v);
		} else if (!strcmp(k, "posted_ch")) {
			if (!state_is_posted_content_hash(st, v))
				fail_msg("%s: content hash %s should be posted", case_dir, v);
		} else if (!strcmp(k, "not_posted")) {
			if (state_is_posted_sha256(st, v))
				fail_msg("%s: %s should not be posted", case_dir, v);
		} else if (!strcmp(k, "not_posted_ch")) {
			if (state_is_posted_content_hash(st, v))
				fail_msg("%s: content hash %s should not be posted", case_dir, v);
		} else {
			long want = strtol(v, NULL, 10);
			long got = event_int(log, "state_import", k);
			if (got != want)
				fail_msg("%s: %s = %ld, expected %ld", case_dir, k, got, want);
		}
	}
	assert_non_null(event);
	if (!strcmp(event, "state_import_error")) {
		assert_non_null(strstr(log, "\"level\":\"warning\""));
		assert_non_null(strstr(log, "\"logger\":\"state\""));
		assert_int_equal(count_events(log, "state_import"), 0);
	}
	state_close(st);
	free(log);

	/* Once only: a second open imports nothing more, even when the file
	 * gained a hash; a file that failed is tried (and reported) again. */
	const char *extra = "[\"" SHA_B "\"]";
	free(tu_write(cache, "posted.json", extra, strlen(extra)));
	tu_log_start();
	st = tu_state_open(f->db, false);
	log = tu_log_stop();
	if (!strcmp(event, "state_import")) {
		assert_int_equal(count_events(log, "state_import"), 0);
		assert_false(state_is_posted_sha256(st, SHA_B));
	} else {
		assert_int_equal(count_events(log, "state_import"), 1);
		assert_true(state_is_posted_sha256(st, SHA_B));
	}
	state_close(st);

	free(log);
	free(cache);
	free(json);
	free(expected);
	free(src_json);
	free(src_exp);
	teardown(&sp);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_import_cases(void **state)
{
	(void)state;
	char *root = tu_data("state/import");
	DIR *d = opendir(root);
	assert_non_null(d);
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64)
		if (de->d_name[0] != '.')
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		char *dir = fs_join(root, names[i]);
		run_import_case(dir);
		free(dir);
		free(names[i]);
	}
	free(root);
}

static void test_import_into_read_only_memory(void **state)
{
	struct fixture *f = *state;
	char *cache = import_source(f);
	const char *json = "{\"sha256\": [\"" SHA_A "\"]}";
	free(tu_write(cache, "posted.json", json, strlen(json)));
	/* a preview without a state file still skips what upstream posted */
	struct state *st = tu_state_open(f->db, true);
	assert_true(state_is_posted_sha256(st, SHA_A));
	state_close(st);
	struct stat sb;
	assert_int_equal(stat(f->db, &sb), -1);
	free(cache);
}

static void test_import_home_default(void **state)
{
	struct fixture *f = *state;
	char *home = xasprintf("%s/home", f->dir);
	char *dir = xasprintf("%s/.cache/publisher_v2", home);
	assert_int_equal(fs_mkdir_p(dir, 0755, NULL), 0);
	const char *json = "[\"" SHA_A "\"]";
	free(tu_write(dir, "posted.json", json, strlen(json)));
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	unsetenv("XDG_CACHE_HOME");
	struct state *st = tu_state_open(f->db, false);
	assert_true(state_is_posted_sha256(st, SHA_A));
	state_close(st);
	if (old_home)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	free(old_home);
	free(home);
	free(dir);
}

/* ---- hash cache ------------------------------------------------------------ */

static void test_cache_hit_and_miss(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct hash_entry e = { SHA_A, CH_C }, got;
	struct state *st = tu_state_open(f->db, false);

	assert_false(state_cache_get(st, "/p/a.jpg", 10, 1000, &got));
	assert_int_equal(state_cache_put(st, "/p/a.jpg", 10, 1000, &e, &err), 0);
	assert_true(state_cache_get(st, "/p/a.jpg", 10, 1000, &got));
	assert_string_equal(got.sha256, SHA_A);
	assert_string_equal(got.content_hash, CH_C);
	assert_false(state_cache_get(st, "/p/a.jpg", 11, 1000, &got)); /* size changed */
	assert_false(state_cache_get(st, "/p/a.jpg", 10, 1001, &got)); /* mtime changed */
	assert_false(state_cache_get(st, "/p/b.jpg", 10, 1000, &got));
	/* a put replaces */
	struct hash_entry e2 = { SHA_B, CH_D };
	assert_int_equal(state_cache_put(st, "/p/a.jpg", 12, 1002, &e2, &err), 0);
	assert_false(state_cache_get(st, "/p/a.jpg", 10, 1000, &got));
	assert_true(state_cache_get(st, "/p/a.jpg", 12, 1002, &got));
	assert_string_equal(got.sha256, SHA_B);
	state_close(st);

	/* from the file, with and without a preload */
	st = tu_state_open(f->db, false);
	assert_true(state_cache_get(st, "/p/a.jpg", 12, 1002, &got));
	assert_string_equal(got.content_hash, CH_D);
	assert_false(state_cache_get(st, "/p/a.jpg", 10, 1000, &got));
	assert_int_equal(state_cache_preload(st, "/p/", &err), 0);
	assert_true(state_cache_get(st, "/p/a.jpg", 12, 1002, &got));
	assert_false(state_cache_get(st, "/p/a.jpg", 12, 1003, &got));
	state_close(st);
}

/* The preload takes exactly the keys under the prefix, LIKE wildcards and
 * all: shown by deleting the rows behind the state's back after it. */
static void test_cache_preload_prefix(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct hash_entry e = { SHA_A, CH_C }, got;
	static const char *const keys[] = { "/a/b/x.jpg", "/a/b/sub/v.jpg", "/a/b_/y.jpg",
					    "/a/b%/z.jpg", "/a/bc/w.jpg", "/a/b", "/a/B/u.jpg" };
	static const bool under[] = { true, true, false, false, false, false, false };

	struct state *st = tu_state_open(f->db, false);
	assert_int_equal(state_begin(st, &err), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		assert_int_equal(state_cache_put(st, keys[i], 1, 1, &e, &err), 0);
	assert_int_equal(state_commit(st, &err), 0);
	state_close(st);

	st = tu_state_open(f->db, false);
	assert_int_equal(state_cache_preload(st, "/a/b/", &err), 0);
	struct db *db = raw_open(f->db);
	raw_exec(db, "DELETE FROM hash_cache");
	raw_close(db);
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (state_cache_get(st, keys[i], 1, 1, &got) != under[i])
			fail_msg("%s: expected %s", keys[i], under[i] ? "a hit" : "a miss");
	state_close(st);

	/* a prefix holding LIKE wildcards matches them literally */
	static const char *const wkeys[] = { "/p_q%/a.jpg", "/pxqyz/b.jpg", "/p_q%x/c.jpg" };
	static const bool wunder[] = { true, false, false };
	st = tu_state_open(f->db, false);
	for (size_t i = 0; i < sizeof(wkeys) / sizeof(*wkeys); i++)
		assert_int_equal(state_cache_put(st, wkeys[i], 1, 1, &e, &err), 0);
	state_close(st);
	st = tu_state_open(f->db, false);
	assert_int_equal(state_cache_preload(st, "/p_q%/", &err), 0);
	db = raw_open(f->db);
	raw_exec(db, "DELETE FROM hash_cache");
	raw_close(db);
	for (size_t i = 0; i < sizeof(wkeys) / sizeof(*wkeys); i++)
		if (state_cache_get(st, wkeys[i], 1, 1, &got) != wunder[i])
			fail_msg("%s: expected %s", wkeys[i], wunder[i] ? "a hit" : "a miss");
	state_close(st);
}

static void test_cache_many_and_transactions(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct hash_entry e, got;
	struct state *st = tu_state_open(f->db, false);

	assert_int_equal(state_commit(st, &err), -1);
	assert_names_state(f, err.msg);

	assert_int_equal(state_begin(st, &err), 0);
	assert_int_equal(state_begin(st, &err), 0); /* nested: no-op */
	for (int i = 0; i < 3000; i++) {
		char key[64];
		snprintf(key, sizeof(key), "/many/img-%05d.jpg", i);
		snprintf(e.sha256, sizeof(e.sha256), "%064d", i);
		snprintf(e.content_hash, sizeof(e.content_hash), "%064d", -i);
		assert_int_equal(state_cache_put(st, key, i, i * 7, &e, &err), 0);
	}
	assert_int_equal(state_commit(st, &err), 0);
	/* posting inside a group nests as a savepoint */
	assert_int_equal(state_mark_posted(st, SHA_A, NULL, &err), 0);
	assert_int_equal(state_commit(st, &err), 0);
	state_close(st);

	st = tu_state_open(f->db, false);
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_int_equal(state_cache_preload(st, "/many/", &err), 0);
	for (int i = 0; i < 3000; i += 7) {
		char key[64], want[65];
		snprintf(key, sizeof(key), "/many/img-%05d.jpg", i);
		snprintf(want, sizeof(want), "%064d", i);
		assert_true(state_cache_get(st, key, i, i * 7, &got));
		assert_string_equal(got.sha256, want);
	}
	state_close(st);
}

/* ---- threads ---------------------------------------------------------------- */

struct worker {
	struct state *st;
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pp_error err = { 0 };
	for (int i = 0; i < 400; i++) {
		char key[64];
		struct hash_entry e, got;
		snprintf(key, sizeof(key), "/t%d/%d.jpg", w->id, i);
		snprintf(e.sha256, sizeof(e.sha256), "%032d%032d", w->id, i);
		snprintf(e.content_hash, sizeof(e.content_hash), "%064d", i);
		if (w->id == 0 && i % 50 == 0 && state_begin(w->st, &err) != 0)
			w->failures++;
		if (state_cache_put(w->st, key, i, i, &e, &err) != 0)
			w->failures++;
		if (!state_cache_get(w->st, key, i, i, &got) || strcmp(got.sha256, e.sha256))
			w->failures++;
		if (w->id == 0 && i % 50 == 49 && state_commit(w->st, &err) != 0)
			w->failures++;
		if (i % 40 == 0) {
			char sha[65];
			snprintf(sha, sizeof(sha), "%032d%032d", w->id, i);
			if (state_mark_posted(w->st, sha, NULL, &err) != 0 ||
			    !state_is_posted_sha256(w->st, sha))
				w->failures++;
		}
		if (i % 100 == 0) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "/t%d/", (w->id + 1) % 4);
			if (state_cache_preload(w->st, prefix, &err) != 0)
				w->failures++;
		}
	}
	return NULL;
}

/* One state shared by threads: no lost update, no failure, no memory error
 * (the run is under AddressSanitizer). */
static void test_shared_between_threads(void **state)
{
	struct fixture *f = *state;
	struct state *st = tu_state_open(f->db, false);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .st = st, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	state_close(st);
	struct db *db = raw_open(f->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM hash_cache"), 1600);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM posted_sha256"), 40);
	raw_close(db);
}

/* ---- errors ----------------------------------------------------------------- */

/* ---- the publish journal and the quarantine --------------------------------- */

static void test_journal_round_trip(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	struct journal_intent in = {
		.correlation_id = "run-1", .image = "a.jpg", .sha256 = SHA_A, .content_hash = CH_C,
		.caption = "Dusk. #x", .owner = "host=h boot=b pid=1 start=2", .n = 2,
		.platforms = { { .platform = "outbox", .outcome = JOURNAL_PENDING },
			       { .platform = "telegram", .outcome = JOURNAL_PENDING } },
	};
	assert_int_equal(state_journal_begin(st, &in, &err), 0);
	assert_true(in.id > 0);
	struct journal_platform posted = { .platform = "outbox", .outcome = JOURNAL_POSTED,
					   .post_id = "p1", .correlation_id = "run-1" };
	assert_int_equal(state_journal_set(st, in.id, &posted, &err), 0);
	state_close(st);

	/* what a killed run leaves, as the next one reads it */
	st = tu_state_open(f->db, false);
	struct journal_intent *v = NULL;
	size_t n = 0;
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].image, "a.jpg");
	assert_string_equal(v[0].sha256, SHA_A);
	assert_string_equal(v[0].content_hash, CH_C);
	assert_string_equal(v[0].caption, "Dusk. #x");
	assert_null(v[0].sd_caption);
	assert_non_null(v[0].started_at);
	assert_int_equal(v[0].n, 2);
	/* the order they were recorded in, not the order of the updates */
	assert_string_equal(v[0].platforms[0].platform, "outbox");
	assert_int_equal(v[0].platforms[0].outcome, JOURNAL_POSTED);
	assert_string_equal(v[0].platforms[0].post_id, "p1");
	assert_string_equal(v[0].platforms[1].platform, "telegram");
	assert_int_equal(v[0].platforms[1].outcome, JOURNAL_PENDING);
	assert_int_equal(state_journal_finish(st, v[0].id, &err), 0);
	state_journal_release(v, n);
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	state_journal_release(v, n);
	assert_string_equal(journal_outcome_name(JOURNAL_UNKNOWN), "unknown");

	/* incomplete intents are refused */
	struct journal_intent bad = { .image = "b.jpg", .sha256 = SHA_B };
	assert_int_equal(state_journal_begin(st, &bad, &err), -1);
	state_close(st);

	st = tu_state_open(f->db, true);
	assert_int_equal(state_journal_begin(st, &in, &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
	state_close(st);
}

static void test_rollback_keeps_nothing(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	assert_int_equal(state_begin(st, &err), 0);
	assert_int_equal(state_mark_posted(st, SHA_A, NULL, &err), 0);
	state_rollback(st);
	assert_false(state_is_posted_sha256(st, SHA_A));
	state_close(st);
}

static void test_quarantine(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, false);
	assert_false(state_is_quarantined(st, SHA_A, NULL));
	struct quarantine_entry q = { .sha256 = SHA_A, .content_hash = CH_C, .image = "bad.jpg",
				      .reason = "does not decode", .moved_to = "quarantine/bad.jpg",
				      .correlation_id = "run-1" };
	assert_int_equal(state_quarantine_add(st, &q, &err), 0);
	q.reason = "again";
	assert_int_equal(state_quarantine_add(st, &q, &err), 0);
	assert_true(state_is_quarantined(st, SHA_A, NULL));
	assert_true(state_is_quarantined(st, NULL, CH_C));       /* known by its content hash */
	assert_true(state_is_quarantined(st, "", CH_C));
	assert_false(state_is_quarantined(st, SHA_B, CH_D));
	assert_false(state_is_quarantined(st, NULL, NULL));
	q.sha256 = "zz";
	assert_int_equal(state_quarantine_add(st, &q, &err), -1);
	state_close(st);
}

/* A database of the first schema: read-only it keeps what it knew (it is not
 * read as empty), and read-write upgrades it in place. */
static void test_version_1_database(void **state)
{
	struct fixture *f = *state;
	old_database(f, SCHEMA_1
		     "INSERT INTO posted_sha256 VALUES('" SHA_A "', 'then');"
		     "PRAGMA user_version = 1;");

	struct pp_error err = { 0 };
	struct state *st = tu_state_open(f->db, true);
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_false(state_is_quarantined(st, SHA_A, NULL)); /* no such table: not quarantined */
	struct journal_intent *v = NULL;
	size_t n = 9;
	assert_int_equal(state_journal_open(st, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	state_close(st);

	st = tu_state_open(f->db, false);
	assert_true(state_is_posted_sha256(st, SHA_A));
	assert_int_equal(state_quarantine_add(st, &(struct quarantine_entry){ .sha256 = SHA_B,
		.image = "b.jpg", .reason = "x" }, &err), 0);
	state_close(st);
	struct db *db = raw_open(f->db);
	assert_int_equal(raw_version(db), SCHEMA_NOW);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM journal"), 0);
	raw_close(db);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct state *st = NULL;

	if (tu_state_pg())
		goto newer; /* the errors of SQLite files */
	/* the folder of the database is a file */
	char *file = tu_write(f->dir, "plain", "x", 1);
	char *bad = xasprintf("%s/state.db", file);
	assert_int_equal(state_open(bad, false, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, bad));

	/* not a database */
	char *junk = tu_write(f->dir, "junk.db", "this is not sqlite, not at all, no.........."
				      "...........................................", 88);
	assert_int_equal(state_open(junk, false, &st, &err), -1);
	assert_non_null(strstr(err.msg, junk));
	assert_non_null(strstr(err.msg, "not a database"));
	assert_int_equal(state_open(junk, true, &st, &err), -1);
	assert_non_null(strstr(err.msg, junk));

	free(file);
	free(bad);
	free(junk);

	/* a newer schema */
newer:
	st = tu_state_open(f->db, false);
	state_close(st);
	struct db *db = raw_open(f->db);
	assert_int_equal(db->ops->set_version(db, 99), 0);
	raw_close(db);
	char *target = tu_state_target(f->db);
	assert_int_equal(state_open(target, false, &st, &err), -1);
	assert_non_null(strstr(err.msg, "newer"));
	assert_names_state(f, err.msg);
	assert_int_equal(state_open(target, true, &st, &err), -1);
	assert_non_null(strstr(err.msg, "newer"));
	free(target);

	assert_int_equal(state_open("", false, &st, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_mark_posted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_url_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_2_database_keeps_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_leaves_file_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_while_a_writer_is_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_missing_file_creates_nothing, setup,
						teardown),
		cmocka_unit_test(test_import_cases),
		cmocka_unit_test_setup_teardown(test_import_into_read_only_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_home_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_hit_and_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_preload_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_many_and_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_between_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_keeps_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_1_database, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
