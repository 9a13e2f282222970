/* test_storage_local.c - the local-folder backend: what a listing shows, names
 * and links that must be refused, sidecars, archive autorename, the hash cache
 * (counted reads), metadata revisions, and storage_open's dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "image/image.h"
#include "state/state.h"
#include "storage/content_hash.h"
#include "storage/local_stats.h"
#include "storage/storage.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

struct fixture {
	char *dir;       /* the image folder */
	char *outside;   /* a folder beside it, for links that leave */
	char *db;
	struct config cfg;
	struct state *st;
	struct storage *s;
};

static const struct pp_ctx ctx = { .correlation_id = "test-cid" };

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = tu_mkdtemp();
	f->outside = tu_scratch_dir();
	f->db = xasprintf("%s/state.db", f->outside);
	f->cfg.backend = "local";
	f->cfg.storage_path = f->dir;
	f->cfg.archive = "archive";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	storage_close(f->s);
	state_close(f->st);
	tu_rmrf(f->dir);
	tu_rmrf(f->outside);
	free(f->dir);
	free(f->outside);
	free(f->db);
	free(f);
	return 0;
}

/* Opens the state (when with_state) and the backend. */
static void open_store(struct fixture *f, bool with_state)
{
	struct pp_error err = { 0 };
	if (with_state && !f->st)
		f->st = tu_state_open(f->db, false);
	if (storage_open(&f->cfg, with_state ? f->st : NULL, &f->s, &err) != 0)
		fail_msg("storage_open: %s", err.msg);
	assert_string_equal(f->s->ops->name, "local");
}

static void put(const char *dir, const char *name, const char *text)
{
	free(tu_write(dir, name, text, strlen(text)));
}

/* Every entry of dir (hidden ones too), sorted, comma-separated; caller frees. */
static char *entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, names[i]);
		free(names[i]);
	}
	return buf_detach(&b);
}

static char *list_names(struct fixture *f, struct storage_list *l)
{
	struct pp_error err = { 0 };
	if (f->s->ops->list(f->s, &ctx, l, &err) != 0)
		fail_msg("list: %s", err.msg);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, l->items[i].name);
	}
	return buf_detach(&b);
}

static void digests_of(const char *data, size_t len, char sha[65], char ch[65])
{
	struct hasher *h = hasher_new();
	hasher_update(h, data, len);
	hasher_finish(h, sha, ch);
}

/* A valid 2x2 RGB PNG, built here with zlib. Caller frees; *len its size. */
static unsigned char *tiny_png(size_t *len)
{
	static const unsigned char raw[] = { 0, 255, 0, 0, 0, 255, 0,
					     0, 0, 0, 255, 255, 255, 255 };
	unsigned char z[128];
	uLongf zlen = sizeof(z);
	assert_int_equal(compress(z, &zlen, raw, sizeof(raw)), Z_OK);
	struct buf b = BUF_INIT;
	buf_add(&b, "\x89PNG\r\n\x1a\n", 8);
	const struct { const char *type; const unsigned char *data; size_t n; } chunks[] = {
		{ "IHDR", (const unsigned char *)"\0\0\0\2\0\0\0\2\x08\x02\0\0\0", 13 },
		{ "IDAT", z, zlen },
		{ "IEND", NULL, 0 },
	};
	for (size_t i = 0; i < 3; i++) {
		unsigned char be[4] = { (unsigned char)(chunks[i].n >> 24),
					(unsigned char)(chunks[i].n >> 16),
					(unsigned char)(chunks[i].n >> 8), (unsigned char)chunks[i].n };
		buf_add(&b, be, 4);
		buf_add(&b, chunks[i].type, 4);
		if (chunks[i].n)
			buf_add(&b, chunks[i].data, chunks[i].n);
		uLong crc = crc32(0, (const Bytef *)chunks[i].type, 4);
		if (chunks[i].n)
			crc = crc32(crc, chunks[i].data, (uInt)chunks[i].n);
		unsigned char c[4] = { (unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
				       (unsigned char)(crc >> 8), (unsigned char)crc };
		buf_add(&b, c, 4);
	}
	*len = b.len;
	return (unsigned char *)buf_detach(&b);
}

/* ---- listing ------------------------------------------------------------------ */

static void make_mixed_folder(struct fixture *f)
{
	put(f->dir, "a.JPG", "jpeg bytes A");
	put(f->dir, "b.jpeg", "jpeg bytes B, longer");
	put(f->dir, "c.PNG", "png C");
	put(f->dir, "d.png", "png D");
	put(f->dir, "a.txt", "sidecar of a");
	put(f->dir, "notes.TXT", "notes");
	put(f->dir, "e.gif", "gif");
	put(f->dir, "noext", "x");
	put(f->dir, ".hidden.jpg", "hidden");
	put(f->dir, "jpg", "no dot");
	char *p = xasprintf("%s/archive", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "old.jpg", "archived");
	free(p);
	p = xasprintf("%s/sub", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "deep.jpg", "in a sub-folder");
	free(p);
	p = xasprintf("%s/folder.jpg", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	put(f->outside, "secret.jpg", "outside bytes");
	char *target = xasprintf("%s/secret.jpg", f->outside);
	p = xasprintf("%s/out.jpg", f->dir);
	assert_int_equal(symlink(target, p), 0);
	free(p);
	free(target);
	p = xasprintf("%s/in.jpg", f->dir);
	assert_int_equal(symlink("a.JPG", p), 0);
	free(p);
	p = xasprintf("%s/fifo.jpg", f->dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
}

static void test_list_filters(void **state)
{
	struct fixture *f = *state;
	make_mixed_folder(f);
	open_store(f, true);

	struct storage_list l = { 0 };
	char *names = list_names(f, &l);
	assert_string_equal(names, "a.JPG,b.jpeg,c.PNG,d.png");
	free(names);

	const char *want[][2] = { { "a.JPG", "jpeg bytes A" }, { "b.jpeg", "jpeg bytes B, longer" },
				  { "c.PNG", "png C" }, { "d.png", "png D" } };
	for (size_t i = 0; i < 4; i++) {
		struct storage_item *it = &l.items[i];
		char sha[65], ch[65];
		digests_of(want[i][1], strlen(want[i][1]), sha, ch);
		assert_int_equal(it->size, (int64_t)strlen(want[i][1]));
		assert_string_equal(it->sha256, sha);
		assert_string_equal(it->content_hash, ch);
		struct stat sb;
		char *p = fs_join(f->dir, it->name);
		assert_int_equal(stat(p, &sb), 0);
		free(p);
		assert_int_equal(it->mtime_ns,
				 (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
	}
	storage_list_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
}

static void test_list_without_state(void **state)
{
	struct fixture *f = *state;
	put(f->dir, "a.jpg", "A");
	open_store(f, false);
	uint64_t before = local_storage_files_hashed();
	struct storage_list l = { 0 };
	char *names = list_names(f, &l);
	assert_string_equal(names, "a.jpg");
	assert_string_equal(l.items[0].sha256, "");
	assert_string_equal(l.items[0].content_hash, "");
	assert_int_equal(local_storage_files_hashed(), before);
	/* on demand instead */
	char sha[65], want[65], ch[65];
	struct pp_error err = { 0 };
	assert_int_equal(storage_sha256(f->s, &ctx, "a.jpg", sha, &err), 0);
	digests_of("A", 1, want, ch);
	assert_string_equal(sha, want);
	storage_list_release(&l);
	free(names);
}

static void test_list_empty_folder(void **state)
{
	struct fixture *f = *state;
	open_store(f, true);
	struct storage_list l = { 0 };
	char *names = list_names(f, &l);
	assert_string_equal(names, "");
	assert_int_equal(l.n, 0);
	storage_list_release(&l);
	free(names);
}

/* ---- names and links ------------------------------------------------------------ */

static void expect_invalid(struct fixture *f, const char *name)
{
	struct pp_error err;
	char *text = NULL, *as = NULL, *url = NULL, sha[65];
	struct storage_meta meta;
	const struct storage_ops *o = f->s->ops;

	memset(&err, 0, sizeof(err));
	assert_int_equal(o->download(f->s, &ctx, name, 1, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->sidecar_read(f->s, &ctx, name, &text, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_null(text);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->sidecar_write(f->s, &ctx, name, "x", &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->metadata(f->s, &ctx, name, &meta, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(storage_archive(f->s, &ctx, name, &as, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_null(as);
	memset(&err, 0, sizeof(err));
	assert_int_equal(storage_move_to(f->s, &ctx, name, STORAGE_KEEP, &as, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_null(as);
	memset(&err, 0, sizeof(err));
	assert_int_equal(storage_delete(f->s, &ctx, name, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->sha256(f->s, &ctx, name, sha, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->image_url(f->s, &ctx, name, NULL, &url, &err), -1);
	assert_int_equal(err.kind, PP_ERR_INVALID);
	assert_null(url);
	/* the message never carries raw control characters */
	for (const char *p = err.msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static void test_names_refused(void **state)
{
	struct fixture *f = *state;
	put(f->dir, "a.jpg", "A");
	open_store(f, true);
	static const char *const bad[] = { "..", ".", "../x.jpg", "/etc/passwd", "a/b.jpg", "",
					   "a\n.jpg", "a\r.jpg", "tab\t.jpg", "del\x7f.jpg",
					   "./a.jpg", "archive", "a.txt", "a.jpg/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_invalid(f, bad[i]);
	expect_invalid(f, NULL);
	char *base = fs_join(f->dir, "a.jpg"); /* absolute path to a real image */
	expect_invalid(f, base);
	free(base);
	/* nothing moved */
	char *list = entries(f->dir);
	assert_string_equal(list, "a.jpg");
	free(list);
}

static void test_links_refused(void **state)
{
	struct fixture *f = *state;
	make_mixed_folder(f);
	put(f->outside, "secret.txt", "outside sidecar");
	char *target = xasprintf("%s/secret.txt", f->outside);
	char *p = xasprintf("%s/d.txt", f->dir);
	assert_int_equal(symlink(target, p), 0);
	free(p);
	free(target);
	open_store(f, true);
	const struct storage_ops *o = f->s->ops;
	struct pp_error err = { 0 };

	char *tmp_path = NULL;
	int fd = -1;
	assert_int_equal(fs_temp_file(".jpg", &tmp_path, &fd, &err), 0);
	static const char *const links[] = { "out.jpg", "in.jpg" };
	for (size_t i = 0; i < 2; i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(o->download(f->s, &ctx, links[i], fd, &err), -1);
		assert_int_equal(err.kind, PP_ERR_REFUSED);
		assert_non_null(strstr(err.msg, "symbolic link"));
		assert_non_null(strstr(err.msg, links[i]));

		char *as = NULL;
		memset(&err, 0, sizeof(err));
		assert_int_equal(storage_archive(f->s, &ctx, links[i], &as, &err), -1);
		assert_int_equal(err.kind, PP_ERR_REFUSED);
		assert_null(as);

		struct storage_meta meta;
		memset(&err, 0, sizeof(err));
		assert_int_equal(o->metadata(f->s, &ctx, links[i], &meta, &err), -1);
		assert_int_equal(err.kind, PP_ERR_REFUSED);

		char sha[65];
		memset(&err, 0, sizeof(err));
		assert_int_equal(o->sha256(f->s, &ctx, links[i], sha, &err), -1);
		assert_int_equal(err.kind, PP_ERR_REFUSED);

		char *url = NULL;
		memset(&err, 0, sizeof(err));
		assert_int_equal(o->image_url(f->s, &ctx, links[i], NULL, &url, &err), -1);
		assert_int_equal(err.kind, PP_ERR_REFUSED);
	}
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0); /* nothing of the outside file was copied */

	/* a non-regular file is refused too (and opening it does not block) */
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->download(f->s, &ctx, "fifo.jpg", fd, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->download(f->s, &ctx, "folder.jpg", fd, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);

	/* a sidecar that is a link to outside is not read */
	char *text = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->sidecar_read(f->s, &ctx, "d.png", &text, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);
	assert_null(text);

	/* links stay where they were; the outside file is untouched */
	assert_int_equal(lstat(p = fs_join(f->dir, "out.jpg"), &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	free(p);
	char *secret_path = fs_join(f->outside, "secret.jpg");
	char *secret = tu_read(secret_path, NULL);
	assert_string_equal(secret, "outside bytes");
	free(secret);
	free(secret_path);
	char *arch = fs_join(f->dir, "archive");
	char *list = entries(arch);
	assert_string_equal(list, "old.jpg");
	free(list);
	free(arch);

	close(fd);
	unlink(tmp_path);
	free(tmp_path);
}

static void test_archive_folder_link_refused(void **state)
{
	struct fixture *f = *state;
	put(f->dir, "a.jpg", "A");
	char *p = fs_join(f->dir, "archive");
	assert_int_equal(symlink(f->outside, p), 0);
	free(p);
	open_store(f, true);
	struct pp_error err = { 0 };
	char *as = NULL;
	assert_int_equal(storage_archive(f->s, &ctx, "a.jpg", &as, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);
	assert_null(as);
	char *in = entries(f->outside);
	assert_null(strstr(in, "a.jpg"));
	free(in);
}

/* ---- download, image_url, sha256 ---------------------------------------------- */

static void test_download(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	size_t big_len = 3 * 1024 * 1024 + 17;
	char *big = xmalloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 131 + (i >> 11));
	free(tu_write(f->dir, "big.jpg", big, big_len));
	open_store(f, true);

	char *tmp_path = NULL;
	int fd = -1;
	assert_int_equal(fs_temp_file(".jpg", &tmp_path, &fd, &err), 0);
	assert_int_equal(f->s->ops->download(f->s, &ctx, "big.jpg", fd, &err), 0);
	close(fd);
	size_t got_len = 0;
	char *got = tu_read(tmp_path, &got_len);
	assert_int_equal(got_len, big_len);
	assert_memory_equal(got, big, big_len);

	/* sha256 agrees with the bytes */
	char sha[65], want[65], ch[65];
	digests_of(big, big_len, want, ch);
	assert_int_equal(storage_sha256(f->s, &ctx, "big.jpg", sha, &err), 0);
	assert_string_equal(sha, want);

	memset(&err, 0, sizeof(err));
	assert_int_equal(f->s->ops->download(f->s, &ctx, "nope.jpg", 1, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "Selected file not found: nope.jpg"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(storage_sha256(f->s, &ctx, "nope.jpg", sha, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);

	unlink(tmp_path);
	free(tmp_path);
	free(got);
	free(big);
}

static void test_image_url(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	size_t len = 0;
	unsigned char *png = tiny_png(&len);
	char *path = tu_write(f->dir, "p.png", png, len);
	open_store(f, true);
	if (image_init("test_storage_local", &err) != 0)
		fail_msg("image_init: %s", err.msg);

	char *url = NULL;
	if (f->s->ops->image_url(f->s, &ctx, "p.png", NULL, &url, &err) != 0)
		fail_msg("image_url: %s", err.msg);
	assert_non_null(url);
	assert_int_equal(strncmp(url, "data:image/jpeg;base64,/9j/", 27), 0);
	free(url);
	url = NULL;
	assert_int_equal(f->s->ops->image_url(f->s, &ctx, "p.png", path, &url, &err), 0);
	assert_int_equal(strncmp(url, "data:image/jpeg;base64,/9j/", 27), 0);
	free(url);
	url = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(f->s->ops->image_url(f->s, &ctx, "gone.png", NULL, &url, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	free(path);
	free(png);
}

/* ---- sidecars ------------------------------------------------------------------ */

static void test_sidecar_read_write(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	put(f->dir, "a.jpg", "A");
	put(f->dir, "x.y.jpeg", "XY");
	open_store(f, true);
	const struct storage_ops *o = f->s->ops;

	char *text = (char *)"sentinel";
	assert_int_equal(o->sidecar_read(f->s, &ctx, "a.jpg", &text, &err), 0);
	assert_null(text); /* absent: not an error */

	umask(077); /* the file mode is 0644 whatever the umask */
	assert_int_equal(o->sidecar_write(f->s, &ctx, "a.jpg", "first\n\n# ---\n# sha256: 1\n",
					  &err), 0);
	assert_int_equal(o->sidecar_write(f->s, &ctx, "x.y.jpeg", "", &err), 0);
	umask(022);
	char *list = entries(f->dir);
	assert_string_equal(list, "a.jpg,a.txt,x.y.jpeg,x.y.txt"); /* no temp file left */
	free(list);
	struct stat sb;
	char *p = fs_join(f->dir, "a.txt");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);

	assert_int_equal(o->sidecar_read(f->s, &ctx, "a.jpg", &text, &err), 0);
	assert_string_equal(text, "first\n\n# ---\n# sha256: 1\n");
	free(text);
	assert_int_equal(o->sidecar_read(f->s, &ctx, "x.y.jpeg", &text, &err), 0);
	assert_string_equal(text, "");
	free(text);

	/* replaced whole */
	assert_int_equal(o->sidecar_write(f->s, &ctx, "a.jpg", "second", &err), 0);
	assert_int_equal(o->sidecar_read(f->s, &ctx, "a.jpg", &text, &err), 0);
	assert_string_equal(text, "second");
	free(text);
	list = entries(f->dir);
	assert_string_equal(list, "a.jpg,a.txt,x.y.jpeg,x.y.txt");
	free(list);

	/* the sidecar of an image that does not exist yet can be written */
	assert_int_equal(o->sidecar_write(f->s, &ctx, "later.PNG", "l", &err), 0);
	assert_int_equal(o->sidecar_read(f->s, &ctx, "later.PNG", &text, &err), 0);
	assert_string_equal(text, "l");
	free(text);

	/* over 1 MiB is refused */
	size_t big = (1u << 20) + 1;
	char *blob = xmalloc(big);
	memset(blob, 'x', big);
	free(tu_write(f->dir, "a.txt", blob, big));
	text = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(o->sidecar_read(f->s, &ctx, "a.jpg", &text, &err), -1);
	assert_int_equal(err.kind, PP_ERR_TOO_LARGE);
	assert_null(text);
	free(blob);
	free(p);
}

/* ---- archive ------------------------------------------------------------------- */

static char *archive_ok(struct fixture *f, const char *name)
{
	struct pp_error err = { 0 };
	char *as = NULL;
	if (storage_archive(f->s, &ctx, name, &as, &err) != 0)
		fail_msg("archive %s: %s", name, err.msg);
	assert_non_null(as);
	return as;
}

/* The file name in dir holds want. */
static void assert_content(const char *dir, const char *name, const char *want)
{
	char *p = fs_join(dir, name);
	char *t = tu_read(p, NULL);
	assert_string_equal(t, want);
	free(t);
	free(p);
}

static void test_archive_autorename(void **state)
{
	struct fixture *f = *state;
	char *arch = fs_join(f->dir, "archive");
	open_store(f, true);

	put(f->dir, "a.jpg", "A0");
	put(f->dir, "a.txt", "caption 0");
	char *as = archive_ok(f, "a.jpg");
	assert_string_equal(as, "a.jpg");
	free(as);
	struct stat sb;
	assert_int_equal(stat(arch, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));

	put(f->dir, "a.jpg", "A1");
	put(f->dir, "a.txt", "caption 1");
	as = archive_ok(f, "a.jpg");
	assert_string_equal(as, "a (1).jpg");
	free(as);

	put(f->dir, "a.jpg", "A2");
	put(f->dir, "a.txt", "caption 2");
	as = archive_ok(f, "a.jpg");
	assert_string_equal(as, "a (2).jpg");
	free(as);

	put(f->dir, "a.jpg", "A3"); /* no sidecar this time: fine */
	as = archive_ok(f, "a.jpg");
	assert_string_equal(as, "a (3).jpg");
	free(as);

	char *list = entries(f->dir);
	assert_string_equal(list, "archive");
	free(list);
	list = entries(arch);
	assert_string_equal(list, "a (1).jpg,a (1).txt,a (2).jpg,a (2).txt,a (3).jpg,a.jpg,a.txt");
	free(list);
	/* each sidecar followed its own image */
	assert_content(arch, "a (2).txt", "caption 2");
	assert_content(arch, "a (2).jpg", "A2");

	/* a taken sidecar name in the archive is skipped too, so that image and
	 * sidecar keep one stem: "b.txt" belongs to "b.jpg", "b (1).txt" is stale */
	put(arch, "b.jpg", "old b");
	put(arch, "b.txt", "old b caption");
	put(arch, "b (1).txt", "stale");
	put(f->dir, "b.png", "B");
	put(f->dir, "b.txt", "caption b");
	as = archive_ok(f, "b.png");
	assert_string_equal(as, "b (2).png");
	free(as);
	assert_content(arch, "b (2).txt", "caption b");
	assert_content(arch, "b.txt", "old b caption");
	/* and for an image without a sidecar of its own: "d.txt" alone is another's */
	put(arch, "d.txt", "left alone");
	put(f->dir, "d.jpg", "D");
	as = archive_ok(f, "d.jpg");
	assert_string_equal(as, "d (1).jpg");
	free(as);
	assert_content(arch, "d.txt", "left alone");

	/* archived_as may be NULL; a missing image is not_found */
	put(f->dir, "c.jpg", "C");
	struct pp_error err = { 0 };
	assert_int_equal(storage_archive(f->s, &ctx, "c.jpg", NULL, &err), 0);
	memset(&err, 0, sizeof(err));
	char *none = NULL;
	assert_int_equal(storage_archive(f->s, &ctx, "c.jpg", &none, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "Selected file not found: c.jpg"));
	assert_null(none);
	free(arch);
}

static void test_archive_custom_folder(void **state)
{
	struct fixture *f = *state;
	f->cfg.archive = "done";
	put(f->dir, "z.jpeg", "Z");
	open_store(f, true);
	char *as = archive_ok(f, "z.jpeg");
	assert_string_equal(as, "z.jpeg");
	free(as);
	char *list = entries(f->dir);
	assert_string_equal(list, "done");
	free(list);
	/* the archive folder is not listed */
	put(f->dir, "y.jpg", "Y");
	struct storage_list l = { 0 };
	char *names = list_names(f, &l);
	assert_string_equal(names, "y.jpg");
	free(names);
	storage_list_release(&l);
}

/* ---- curation: keep, remove, delete ------------------------------------------------ */

/* Keep and remove move image and sidecar into their folders, nested ones
 * created part by part; a taken name is renamed. */
static void test_curate_move_nested(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	char *to = NULL;
	put(f->dir, "a.jpg", "A");
	put(f->dir, "a.txt", "caption a");
	put(f->dir, "b.png", "B");
	open_store(f, true);
	f->s->folders[STORAGE_KEEP] = "curated/keep";
	assert_int_equal(storage_move_to(f->s, &ctx, "a.jpg", STORAGE_KEEP, &to, NULL, &err), 0);
	assert_string_equal(to, "curated/keep/a.jpg");
	free(to);
	char *keep = xasprintf("%s/curated/keep", f->dir);
	char *list = entries(keep);
	assert_string_equal(list, "a.jpg,a.txt");
	free(list);
	/* again under the same name: renamed, the first one kept */
	put(f->dir, "a.jpg", "A2");
	assert_int_equal(storage_move_to(f->s, &ctx, "a.jpg", STORAGE_KEEP, &to, NULL, &err), 0);
	assert_string_equal(to, "curated/keep/a (1).jpg");
	free(to);
	list = entries(keep);
	assert_string_equal(list, "a (1).jpg,a.jpg,a.txt");
	free(list);
	free(keep);
	assert_int_equal(storage_move_to(f->s, &ctx, "b.png", STORAGE_REMOVE, &to, NULL, &err), 0);
	assert_string_equal(to, "remove/b.png");
	free(to);
	list = entries(f->dir);
	assert_string_equal(list, "curated,remove");
	free(list);
	/* the image is gone: not found, nothing made */
	assert_int_equal(storage_move_to(f->s, &ctx, "b.png", STORAGE_REMOVE, &to, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	assert_null(to);
}

/* A folder that is not a relative path inside the image folder is
 * refused before anything is made; so is a part that is a link. */
static void test_curate_folder_refused(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	char *to = NULL;
	put(f->dir, "a.jpg", "A");
	open_store(f, true);
	static const char *const bad[] = { "../out", "/tmp", "a/../../x", "a//b", "a/", "/", "",
					   ".", "keep/.", "k\nx" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		f->s->folders[STORAGE_KEEP] = bad[i];
		memset(&err, 0, sizeof(err));
		assert_int_equal(storage_move_to(f->s, &ctx, "a.jpg", STORAGE_KEEP, &to, NULL, &err), -1);
		assert_int_equal(err.kind, PP_ERR_INVALID);
		assert_null(to);
	}
	char *link = xasprintf("%s/out", f->dir);
	assert_int_equal(symlink(f->outside, link), 0);
	free(link);
	f->s->folders[STORAGE_KEEP] = "out/keep";
	assert_int_equal(storage_move_to(f->s, &ctx, "a.jpg", STORAGE_KEEP, &to, NULL, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);
	char *list = entries(f->dir);
	assert_string_equal(list, "a.jpg,out");
	free(list);
	list = entries(f->outside); /* the state's files only (none in PostgreSQL) */
	assert_string_equal(list, tu_state_pg() ? "" : "state.db,state.db-shm,state.db-wal");
	free(list);
}

/* Delete unlinks the image and its sidecar, nothing else; a link is refused. */
static void test_curate_delete(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	bool sidecar = false;
	put(f->dir, "a.jpg", "A");
	put(f->dir, "a.txt", "caption");
	put(f->dir, "b.jpg", "B");
	put(f->outside, "o.jpg", "O");
	char *target = xasprintf("%s/o.jpg", f->outside), *link = xasprintf("%s/l.jpg", f->dir);
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	open_store(f, true);
	assert_int_equal(storage_delete(f->s, &ctx, "a.jpg", &sidecar, &err), 0);
	assert_true(sidecar);
	assert_int_equal(storage_delete(f->s, &ctx, "b.jpg", &sidecar, &err), 0);
	assert_false(sidecar);
	assert_int_equal(storage_delete(f->s, &ctx, "a.jpg", &sidecar, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	memset(&err, 0, sizeof(err));
	assert_int_equal(storage_delete(f->s, &ctx, "l.jpg", &sidecar, &err), -1);
	assert_int_equal(err.kind, PP_ERR_REFUSED);
	char *list = entries(f->dir);
	assert_string_equal(list, "l.jpg");
	free(list);
	list = entries(f->outside);
	assert_string_equal(list, tu_state_pg() ? "o.jpg" : "o.jpg,state.db,state.db-shm,state.db-wal");
	free(list);
}

/* ---- hash cache ----------------------------------------------------------------- */

static void test_cached_listing_reads_nothing(void **state)
{
	struct fixture *f = *state;
	enum { N = 10000 };
	size_t total = 0;
	for (int i = 0; i < N; i++) {
		char name[32], body[32];
		snprintf(name, sizeof(name), "img-%05d.jpg", i);
		int n = snprintf(body, sizeof(body), "image %d", i);
		free(tu_write(f->dir, name, body, (size_t)n));
		total += (size_t)n;
	}
	open_store(f, true);

	uint64_t files0 = local_storage_files_hashed(), bytes0 = local_storage_bytes_hashed();
	struct storage_list l = { 0 };
	free(list_names(f, &l));
	assert_int_equal(l.n, N);
	assert_int_equal(local_storage_files_hashed() - files0, N);
	assert_int_equal(local_storage_bytes_hashed() - bytes0, total);
	char sha[65], ch[65];
	digests_of("image 1234", 10, sha, ch);
	assert_string_equal(l.items[1234].sha256, sha);
	storage_list_release(&l);

	/* second listing: everything from the cache */
	uint64_t files1 = local_storage_files_hashed(), bytes1 = local_storage_bytes_hashed();
	free(list_names(f, &l));
	assert_int_equal(l.n, N);
	assert_int_equal(local_storage_files_hashed(), files1);
	assert_int_equal(local_storage_bytes_hashed(), bytes1);
	assert_string_equal(l.items[1234].sha256, sha);
	assert_string_equal(l.items[1234].content_hash, ch);
	storage_list_release(&l);

	/* a changed file is read again, and only that one */
	put(f->dir, "img-00007.jpg", "changed, and longer");
	free(list_names(f, &l));
	assert_int_equal(local_storage_files_hashed(), files1 + 1);
	assert_int_equal(local_storage_bytes_hashed(), bytes1 + strlen("changed, and longer"));
	digests_of("changed, and longer", 19, sha, ch);
	assert_string_equal(l.items[7].sha256, sha);
	storage_list_release(&l);

	/* the cache outlives the process's state: a new state, then a
	 * read-only one, read nothing */
	storage_close(f->s);
	f->s = NULL;
	state_close(f->st);
	f->st = NULL;
	open_store(f, true);
	uint64_t files2 = local_storage_files_hashed();
	free(list_names(f, &l));
	assert_int_equal(local_storage_files_hashed(), files2);
	storage_list_release(&l);
	storage_close(f->s);
	f->s = NULL;
	state_close(f->st);
	f->st = NULL;

	struct pp_error err = { 0 };
	f->st = tu_state_open(f->db, true);
	assert_int_equal(storage_open(&f->cfg, f->st, &f->s, &err), 0);
	free(list_names(f, &l));
	assert_int_equal(l.n, N);
	assert_int_equal(local_storage_files_hashed(), files2);
	storage_list_release(&l);
}

static void test_sha256_uses_cache(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	put(f->dir, "a.jpg", "AAAA");
	open_store(f, true);
	char sha[65], want[65], ch[65];
	digests_of("AAAA", 4, want, ch);
	uint64_t n0 = local_storage_files_hashed();
	assert_int_equal(storage_sha256(f->s, &ctx, "a.jpg", sha, &err), 0);
	assert_string_equal(sha, want);
	assert_int_equal(local_storage_files_hashed(), n0 + 1);
	assert_int_equal(storage_sha256(f->s, &ctx, "a.jpg", sha, &err), 0);
	assert_string_equal(sha, want);
	assert_int_equal(local_storage_files_hashed(), n0 + 1);
	/* the listing reuses it */
	struct storage_list l = { 0 };
	free(list_names(f, &l));
	assert_string_equal(l.items[0].content_hash, ch);
	assert_int_equal(local_storage_files_hashed(), n0 + 1);
	storage_list_release(&l);
}

/* ---- metadata ------------------------------------------------------------------ */

static void test_metadata(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	put(f->dir, "m.jpg", "one");
	put(f->dir, "n.jpg", "one");
	open_store(f, true);
	const struct storage_ops *o = f->s->ops;

	struct storage_meta m1, m2, m3, other;
	assert_int_equal(o->metadata(f->s, &ctx, "m.jpg", &m1, &err), 0);
	assert_int_equal(strncmp(m1.id, "id:local:", 9), 0);
	assert_true(strlen(m1.rev) > 0);
	assert_int_equal(o->metadata(f->s, &ctx, "m.jpg", &m2, &err), 0);
	assert_string_equal(m1.id, m2.id);
	assert_string_equal(m1.rev, m2.rev);
	assert_int_equal(o->metadata(f->s, &ctx, "n.jpg", &other, &err), 0);
	assert_string_not_equal(m1.id, other.id);

	/* rewritten in place (same inode): same id, new rev */
	char *p = fs_join(f->dir, "m.jpg");
	FILE *fp = fopen(p, "ab");
	assert_non_null(fp);
	fputs(" two", fp);
	fclose(fp);
	assert_int_equal(o->metadata(f->s, &ctx, "m.jpg", &m3, &err), 0);
	assert_string_equal(m1.id, m3.id);
	assert_string_not_equal(m1.rev, m3.rev);

	/* same size, only the mtime moves: new rev */
	struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 1000000000, .tv_nsec = 5 } };
	assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
	struct storage_meta m4;
	assert_int_equal(o->metadata(f->s, &ctx, "m.jpg", &m4, &err), 0);
	assert_string_not_equal(m3.rev, m4.rev);

	memset(&err, 0, sizeof(err));
	assert_int_equal(o->metadata(f->s, &ctx, "gone.jpg", &m4, &err), -1);
	assert_int_equal(err.kind, PP_ERR_NOT_FOUND);
	free(p);
}

/* ---- open ---------------------------------------------------------------------- */

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	struct storage *s = (struct storage *)&err; /* must be reset to NULL */

	char *missing = fs_join(f->dir, "missing");
	f->cfg.storage_path = missing;
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "does not exist"));

	char *file = tu_write(f->dir, "file.jpg", "x", 1);
	f->cfg.storage_path = file;
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), -1);
	assert_non_null(strstr(err.msg, file));
	assert_non_null(strstr(err.msg, "not a folder"));

	f->cfg.storage_path = NULL;
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), -1);

	f->cfg.storage_path = f->dir;
	f->cfg.archive = "../elsewhere";
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), -1);
	assert_non_null(strstr(err.msg, "../elsewhere"));
	f->cfg.archive = NULL; /* default "archive" */
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), 0);
	storage_close(s);

	f->cfg.backend = "dropbox";
	assert_int_equal(storage_open(&f->cfg, NULL, &s, &err), -1);
	/* Dispatched to the Dropbox backend, which wants its image folder. */
	assert_string_equal(err.where, "storage.dropbox");
	assert_non_null(strstr(err.msg, "image_folder"));
	assert_null(s);
	f->cfg.backend = "local";
	free(missing);
	free(file);
}

static void test_is_image_name(void **state)
{
	(void)state;
	assert_true(storage_is_image_name("a.jpg"));
	assert_true(storage_is_image_name("a.JPG"));
	assert_true(storage_is_image_name("a.Jpeg"));
	assert_true(storage_is_image_name("a.b.PNG"));
	assert_false(storage_is_image_name("a.txt"));
	assert_false(storage_is_image_name("a.jpg.txt"));
	assert_false(storage_is_image_name("jpg"));
	assert_false(storage_is_image_name(".jpg"));
	assert_false(storage_is_image_name("a.gif"));
	assert_false(storage_is_image_name("a.jpgx"));
	assert_false(storage_is_image_name(""));
	assert_false(storage_is_image_name(NULL));
}

/* The readiness probe: the folder there and readable; gone, or replaced by
 * another folder of the same name, it is not ready. */
static void test_ready(void **state)
{
	struct fixture *f = *state;
	struct pp_error err = { 0 };
	open_store(f, false);
	assert_int_equal(storage_ready(f->s, &ctx, &err), 0);
	char *away = xasprintf("%s.away", f->dir);
	assert_int_equal(rename(f->dir, away), 0);
	assert_int_equal(storage_ready(f->s, &ctx, &err), -1);
	assert_non_null(strstr(err.msg, "the image folder"));
	assert_int_equal(mkdir(f->dir, 0700), 0);
	pp_error_clear(&err);
	assert_int_equal(storage_ready(f->s, &ctx, &err), -1);
	assert_non_null(strstr(err.msg, "not the one opened"));
	assert_int_equal(rmdir(f->dir), 0);
	assert_int_equal(rename(away, f->dir), 0);
	assert_int_equal(storage_ready(f->s, &ctx, &err), 0);
	free(away);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_list_filters),
		T(test_list_without_state),
		T(test_list_empty_folder),
		T(test_names_refused),
		T(test_links_refused),
		T(test_archive_folder_link_refused),
		T(test_download),
		T(test_image_url),
		T(test_sidecar_read_write),
		T(test_archive_autorename),
		T(test_archive_custom_folder),
		T(test_curate_move_nested),
		T(test_curate_folder_refused),
		T(test_curate_delete),
		T(test_cached_listing_reads_nothing),
		T(test_sha256_uses_cache),
		T(test_metadata),
		T(test_open_errors),
		T(test_ready),
		cmocka_unit_test(test_is_image_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
