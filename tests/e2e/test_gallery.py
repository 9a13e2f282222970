"""The gallery's routes end to end: GET /api/images/list (sort, order, q,
offset, limit, 422s, posted and quarantined images left out) and GET
/api/images/{filename}/thumbnail (every size, fitting its box with the
aspect ratio kept, ETag and 304, the cache, hostile names, undecodable
images) on local storage through libvips, and on Dropbox through
get_thumbnail_v2 against the fake (the exact Dropbox-API-Arg, the bytes
passed through, its errors)."""

import json
import os
import shutil
import sys
import unittest
import urllib.parse

import harness
from harness import SAMPLES, Workspace
from webharness import WebServer, curl

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_dropbox import FakeDropbox, thumbnail_bytes  # noqa: E402
from fake_telegram import jpeg_size  # noqa: E402

SIZES = {"w256h256": (256, 256), "w480h320": (480, 320), "w640h480": (640, 480),
         "w960h640": (960, 640), "w1024h768": (1024, 768)}
IMG = "tabby-cat-closeup.jpg"            # 451 x 300
PNG = "astronaut-portrait-square.png"
APP_KEY, APP_SECRET, REFRESH = "gal-app-key", "gal-app-secret-9f1e", "gal-refresh-77c1"


def q(name):
    return urllib.parse.quote(name, safe="")


def image_size(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return jpeg_size(data)


class GalleryCase(unittest.TestCase):
    images = None

    def setUp(self):
        self.ws = Workspace(self.images)
        self.addCleanup(self.ws.cleanup)

    def serve(self, env=None):
        srv = WebServer(self.ws, env)
        self.addCleanup(srv.kill)
        srv.start()
        return srv

    def get(self, srv, path, headers=()):
        r = curl(srv.url + path, headers=headers)
        self.assertNotEqual(r.status, 0, r.curl_err)
        self.assertTrue(r.header("X-Correlation-ID"), r)
        return r

    def listing(self, srv, query=""):
        r = self.get(srv, "/api/images/list" + query)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/json")
        body = r.json()
        self.assertEqual(sorted(body), ["count", "filenames"], body)
        return body

    def assert422(self, srv, path, words):
        r = self.get(srv, path)
        self.assertEqual(r.status, 422, r)
        self.assertIn(words, r.json()["detail"])
        return r


class ListTest(GalleryCase):

    def test_sort_order_filter_and_pages(self):
        # sizes and modification times that order the names differently
        names = sorted(SAMPLES)
        for i, name in enumerate(names):
            t = 1_700_000_000 + (len(names) - i) * 100
            os.utime(os.path.join(self.ws.images, name), (t, t))
        srv = self.serve()
        body = self.listing(srv)
        self.assertEqual(body, {"filenames": names, "count": len(names)})
        self.assertEqual(self.listing(srv, "?order=desc")["filenames"], names[::-1])
        self.assertEqual(self.listing(srv, "?sort=modified")["filenames"], names[::-1])
        self.assertEqual(self.listing(srv, "?sort=modified&order=desc")["filenames"], names)
        by_size = sorted(names, key=lambda n: (os.path.getsize(os.path.join(self.ws.images, n)), n))
        self.assertEqual(self.listing(srv, "?sort=size")["filenames"], by_size)
        self.assertEqual(self.listing(srv, "?sort=size&order=desc")["filenames"], by_size[::-1])

        # q: a case-insensitive substring of the name; count is all that match
        want = [n for n in names if "o" in n.lower() and "wood" in n.lower()]
        self.assertTrue(want)
        self.assertEqual(self.listing(srv, "?q=WoOd"), {
            "filenames": [n for n in names if "wood" in n.lower()],
            "count": len([n for n in names if "wood" in n.lower()])})
        self.assertEqual(self.listing(srv, "?q=%2Ejpg")["count"],
                         len([n for n in names if ".jpg" in n.lower()]))
        self.assertEqual(self.listing(srv, "?q=no-such-image"), {"filenames": [], "count": 0})
        self.assertEqual(self.listing(srv, "?q=")["count"], len(names), "an empty q matches all")

        # pages: offset and limit, count stays the total
        pages = []
        for off in range(0, len(names), 3):
            page = self.listing(srv, "?limit=3&offset=%d" % off)
            self.assertEqual(page["count"], len(names))
            self.assertLessEqual(len(page["filenames"]), 3)
            pages += page["filenames"]
        self.assertEqual(pages, names)
        self.assertEqual(self.listing(srv, "?offset=%d" % len(names)),
                         {"filenames": [], "count": len(names)})
        self.assertEqual(self.listing(srv, "?limit=500")["filenames"], names)
        lines = [l for l in srv.stop() if l["message"] == "web_image_list"]
        self.assertTrue(lines)
        self.assertEqual(lines[0]["count"], len(names))
        self.assertIsInstance(lines[0]["web_image_list_ms"], int)

    def test_bad_values_are_422_in_words(self):
        srv = self.serve()
        for query, words in (("?sort=date", "sort must be name, modified or size"),
                             ("?sort=NAME", "sort must be"),
                             ("?order=up", "order must be asc or desc"),
                             ("?offset=-1", "offset must be a whole number"),
                             ("?offset=1.5", "offset must be"),
                             ("?limit=0", "limit must be a whole number from 1 to 500"),
                             ("?limit=501", "limit must be"),
                             ("?limit=ten", "limit must be"),
                             ("?q=%zz", "does not decode")):
            self.assert422(srv, "/api/images/list" + query, words)
        self.assertEqual(self.listing(srv, "?unknown=1&sort=name")["count"], len(SAMPLES))
        r = curl(srv.url + "/api/images/list", method="POST")
        self.assertEqual(r.status, 405, r)
        errors = [l for l in srv.stop() if l["message"] == "web_image_list_error"]
        self.assertEqual(len(errors), 9)
        self.assertTrue(all(l["status"] == 422 and l["error"] for l in errors), errors)

    def test_posted_and_quarantined_images_are_left_out(self):
        self.ws.set("Content", "archive", "false")
        self.ws.set("Storage", "quarantine", "none")
        with open(os.path.join(self.ws.images, "broken.jpg"), "wb") as f:
            f.write(b"\xff\xd8 not a JPEG " * 100)
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        res = self.ws.run("--select", "broken.jpg")
        self.assertTrue(res.events("image_quarantined"), res.stderr)
        self.assertIn(IMG, self.ws.image_names(), "archive=false keeps the posted image")
        self.assertIn("broken.jpg", self.ws.image_names())
        srv = self.serve()
        body = self.listing(srv)
        self.assertEqual(body["filenames"], sorted(n for n in SAMPLES if n != IMG))
        self.assertEqual(body["count"], len(SAMPLES) - 1)
        srv.stop()

    def test_empty_folder(self):
        for n in SAMPLES:
            os.unlink(os.path.join(self.ws.images, n))
        srv = self.serve()
        self.assertEqual(self.listing(srv), {"filenames": [], "count": 0})
        srv.stop()


class LocalThumbnailTest(GalleryCase):

    def test_every_size_fits_its_box(self):
        srv = self.serve()
        for name in (IMG, PNG):
            w0, h0 = image_size(os.path.join(self.ws.images, name))
            for size, (bw, bh) in SIZES.items():
                r = self.get(srv, "/api/images/%s/thumbnail?size=%s" % (q(name), size))
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("Content-Type"), "image/jpeg")
                self.assertEqual(r.header("Cache-Control"), "private, max-age=3600")
                w, h = jpeg_size(r.body)
                scale = min(bw / w0, bh / h0, 1.0)
                self.assertTrue(w <= bw and h <= bh, (name, size, w, h))
                self.assertLessEqual(abs(w - w0 * scale), 1.01, (name, size, w, h))
                self.assertLessEqual(abs(h - h0 * scale), 1.01, (name, size, w, h))
        # no size: the first, w256h256
        r = self.get(srv, "/api/images/%s/thumbnail" % q(IMG))
        self.assertEqual(r.status, 200)
        self.assertLessEqual(max(jpeg_size(r.body)), 256)
        srv.stop()

    def test_etag_304_and_the_cache(self):
        srv = self.serve()
        path = "/api/images/%s/thumbnail?size=w480h320" % q(IMG)
        first = self.get(srv, path, headers=["X-Request-ID: thumb-miss"])
        self.assertEqual(first.status, 200)
        etag = first.header("ETag")
        self.assertRegex(etag, r'^"t-[0-9a-f]+-\d+-w480h320"$')
        again = self.get(srv, path, headers=["X-Request-ID: thumb-hit"])
        self.assertEqual((again.status, again.body, again.header("ETag")), (200, first.body, etag))
        r304 = self.get(srv, path, headers=["If-None-Match: " + etag, "X-Request-ID: thumb-304"])
        self.assertEqual(r304.status, 304, r304)
        self.assertEqual(r304.body, b"")
        self.assertEqual(r304.header("ETag"), etag)
        other = self.get(srv, path.replace("w480h320", "w256h256"), headers=["If-None-Match: " + etag])
        self.assertEqual(other.status, 200, "another size is another ETag")
        self.assertNotEqual(other.header("ETag"), etag)
        # a changed file is a new ETag (its modification time)
        os.utime(os.path.join(self.ws.images, IMG), (1_600_000_000, 1_600_000_000))
        lines = srv.stop()
        srv = self.serve()
        changed = self.get(srv, path, headers=["If-None-Match: " + etag])
        self.assertEqual(changed.status, 200)
        self.assertNotEqual(changed.header("ETag"), etag)
        srv.stop()
        http = {l["correlation_id"]: l for l in lines if l["message"] == "http_request"}
        self.assertEqual(http["thumb-miss"]["cache"], "miss")
        self.assertEqual(http["thumb-hit"]["cache"], "hit")
        self.assertEqual(http["thumb-miss"]["route"], "/api/images/{filename}/thumbnail")
        self.assertEqual(http["thumb-304"]["status"], 304)

    def test_bad_sizes_and_hostile_names(self):
        with open(os.path.join(self.ws.images, "broken.jpg"), "wb") as f:
            f.write(b"\xff\xd8 not a JPEG " * 100)
        shutil.copy(os.path.join(self.ws.images, IMG), os.path.join(self.ws.dir, "outside.jpg"))
        srv = self.serve()
        for size in ("w64h64", "W256H256", "256", "", "w256h256%00"):
            self.assert422(srv, "/api/images/%s/thumbnail?size=%s" % (q(IMG), size),
                           "size must be one of w256h256, w480h320, w640h480, w960h640, w1024h768")
        for path, status in (("/api/images/..%2Foutside.jpg/thumbnail", 400),
                             ("/api/images/%2E%2E/thumbnail", 400),
                             ("/api/images/notes.txt/thumbnail", 400),
                             ("/api/images/a%00.jpg/thumbnail", 400),
                             ("/api/images/outside.jpg/thumbnail", 404),
                             ("/api/images/missing.jpg/thumbnail", 404),
                             ("/api/images/../outside.jpg/thumbnail", 404)):
            r = self.get(srv, path)
            self.assertEqual(r.status, status, (path, r))
            self.assertIn("detail", r.json())
        r = self.get(srv, "/api/images/broken.jpg/thumbnail?size=w256h256")
        self.assertEqual(r.status, 422, r)
        self.assertIn("broken.jpg", r.json()["detail"])
        self.assertIn("cannot be resized", r.json()["detail"])
        srv.stop()


class DropboxGalleryTest(GalleryCase):
    images = []

    def setUp(self):
        super().setUp()
        self.fake = FakeDropbox(app_key=APP_KEY, app_secret=APP_SECRET, refresh_token=REFRESH).start()
        self.addCleanup(self.fake.stop)
        self.ws.use_dropbox(self.fake, APP_KEY, APP_SECRET, REFRESH)
        for name in (IMG, PNG):
            with open(os.path.join(harness.EXAMPLES, name), "rb") as f:
                self.fake.put("/Photos/" + name, f.read())

    def test_get_thumbnail_v2_exchange_and_cache(self):
        srv = self.serve()
        self.assertEqual(self.listing(srv), {"filenames": sorted([IMG, PNG]), "count": 2})
        for size in SIZES:
            r = self.get(srv, "/api/images/%s/thumbnail?size=%s" % (q(IMG), size))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Type"), "image/jpeg")
            self.assertEqual(r.body, thumbnail_bytes("/photos/" + IMG.lower(), size))
        again = self.get(srv, "/api/images/%s/thumbnail?size=w480h320" % q(IMG))
        self.assertEqual(again.body, thumbnail_bytes("/photos/" + IMG.lower(), "w480h320"))
        r304 = self.get(srv, "/api/images/%s/thumbnail?size=w480h320" % q(IMG),
                        headers=["If-None-Match: " + again.header("ETag")])
        self.assertEqual(r304.status, 304)
        calls = self.fake.calls("get_thumbnail_v2")
        self.assertEqual(len(calls), len(SIZES), "a thumbnail asked again comes from the cache")
        args = [json.loads(c.header("Dropbox-API-Arg")) for c in calls]
        self.assertEqual(args[1], {"resource": {".tag": "path", "path": "/Photos/" + IMG},
                                   "format": "jpeg", "size": "w480h320", "mode": "strict"})
        self.assertEqual([a["size"] for a in args], list(SIZES))
        for c in calls:
            self.assertTrue(c.header("Authorization").startswith("Bearer sl.fake-"))
            self.assertEqual(c.body, b"")
        self.assertEqual(self.fake.downloads[("/photos/" + IMG).lower()], 0,
                         "Dropbox makes the thumbnail: nothing is downloaded")
        srv.stop()

    def test_dropbox_errors(self):
        self.fake.put("/Photos/fake.jpg", b"plain text, not an image")
        srv = self.serve()
        self.assertEqual(self.listing(srv)["count"], 3)
        r = self.get(srv, "/api/images/fake.jpg/thumbnail?size=w256h256")
        self.assertEqual(r.status, 422, r)
        self.assertIn("unsupported_image", r.json()["detail"])
        # gone from Dropbox since the listing (kept 30 s): 409 path/not_found -> 404
        with self.fake.lock:
            del self.fake.files[("/photos/" + PNG).lower()]
        r = self.get(srv, "/api/images/%s/thumbnail?size=w256h256" % q(PNG))
        self.assertEqual(r.status, 404, r)
        self.assertIn("not_found", r.json()["detail"])
        r = self.get(srv, "/api/images/other.jpg/thumbnail")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(len(self.fake.calls("get_thumbnail_v2")), 2, "an unlisted name is not asked for")
        out = srv.all_output()
        self.assertNotIn(APP_SECRET, out)
        self.assertNotIn("sl.fake-", out)
        srv.stop()


if __name__ == "__main__":
    harness.main()
