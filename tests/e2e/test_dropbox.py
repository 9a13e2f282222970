"""`photopub run` on the Dropbox backend, end to end against the fake Dropbox
(tests/fakes/fake_dropbox.py): the exact calls photopub makes (arguments,
Dropbox-API-Arg encoding, auth), sidecar upload and archiving, dedup by
content hash without downloads, paged listings, non-ASCII names, retries of
transient errors, timeouts, token refresh, and no secret in any output."""

import base64
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

import harness  # noqa: E402
from harness import TestCase, EXAMPLES  # noqa: E402
from fakelib import Fault  # noqa: E402
from fake_dropbox import FakeDropbox, content_hash  # noqa: E402

APP_KEY = "e2e-app-key-4411"
APP_SECRET = "dbx-app-secret-7f3a9c"
REFRESH = "dbx-refresh-1b2c3d4e5f60"
FOLDER = "/Photos"
SMALL = ["rocket-on-pad-at-dusk.jpg", "tabby-cat-closeup.jpg",
         "photographer-with-tripod-monochrome.jpg", "espresso-on-wooden-table.jpg",
         "wall-clock-motion-blur.jpg"]


def sample(name):
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        return f.read()


class DropboxCase(TestCase):
    images = []          # nothing in the local folder: the images live in the fake
    page_size = 500

    def setUp(self):
        super().setUp()
        self.fake = FakeDropbox(app_key=APP_KEY, app_secret=APP_SECRET, refresh_token=REFRESH,
                                page_size=self.page_size).start()
        self.addCleanup(self.fake.stop)
        s = self.ws.sections
        s["Storage"] = {"backend": "dropbox"}
        s["Dropbox"] = {"image_folder": FOLDER, "api_url": self.fake.url,
                        "content_url": self.fake.url, "oauth_url": self.fake.url}
        s["HTTP"] = {"connect_timeout": "5", "timeout": "20"}
        self.ws.write_config()
        self.ws.env.update({"DROPBOX_APP_KEY": APP_KEY, "DROPBOX_APP_SECRET": APP_SECRET,
                            "DROPBOX_REFRESH_TOKEN": REFRESH})

    def put(self, names):
        """Puts sample images into the folder; names maps Dropbox name -> sample (or a list)."""
        if isinstance(names, list):
            names = {n: n for n in names}
        for name, src in names.items():
            self.fake.put("%s/%s" % (FOLDER, name), sample(src))

    def run_pp(self, *args, **kw):
        res = self.ws.run(*args, **kw)
        self.assertNoSecrets(res)
        return res

    def assertNoSecrets(self, res):
        for text in (res.stdout, res.stderr):
            self.assertNotIn(APP_SECRET, text)
            self.assertNotIn(REFRESH, text)
            self.assertNotIn("sl.fake-", text)       # every access token the fake issues
            self.assertIsNone(re.search(r"Bearer [A-Za-z0-9]", text), "a Bearer value in output")

    def header_arg(self, rec):
        """The Dropbox-API-Arg a content call carried: pure ASCII, decoded."""
        raw = rec.header("Dropbox-API-Arg")
        self.assertIsNotNone(raw)
        self.assertTrue(all(0x20 <= ord(c) < 0x7f for c in raw), "not ASCII: %r" % raw)
        return json.loads(raw)

    def posted_content_hashes(self):
        db = sqlite3.connect(self.ws.state)
        try:
            return {r[0] for r in db.execute("select content_hash from posted_content_hash")}
        finally:
            db.close()

    def image_downloads(self):
        return [self.header_arg(r)["path"] for r in self.fake.calls("download")
                if not self.header_arg(r)["path"].endswith(".txt")]


class FullRunTest(DropboxCase):

    def test_full_run_uploads_sidecar_and_archives(self):
        self.put(SMALL[:3])
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        t = self.assertTiming(res, True, ran=harness.TIMING_STAGES)
        self.assertIsNone(t["error"])
        cid = self.assertOneCorrelation(res)
        done = res.one("workflow_complete")
        image = done["image"]
        self.assertIn(image, SMALL[:3])
        self.assertTrue(done["archived"])
        self.assertEqual(done["archived_as"], image)
        stem = os.path.splitext(image)[0]
        data = sample(image)

        # Auth: one refresh with HTTP Basic client credentials, then Bearer everywhere.
        tok = self.fake.token_requests()
        self.assertEqual(len(tok), 1)
        self.assertEqual(tok[0].header("Authorization"),
                         "Basic " + base64.b64encode(("%s:%s" % (APP_KEY, APP_SECRET)).encode()).decode())
        form = urllib.parse.parse_qs(tok[0].body.decode())
        self.assertEqual(form, {"grant_type": ["refresh_token"], "refresh_token": [REFRESH]})
        api = [r for r in self.fake.server.seen() if r.path.startswith("/2/")]
        self.assertTrue(api)
        for r in api:
            self.assertEqual(r.header("Authorization"), "Bearer sl.fake-1", r.path)
        self.assertEqual(len(res.events("dropbox_token_refreshed")), 1)

        # One listing call with the documented arguments.
        ls = self.fake.calls("list_folder")
        self.assertEqual(len(ls), 1)
        self.assertEqual(ls[0].json(), {"path": FOLDER, "recursive": False,
                                        "include_non_downloadable_files": False})
        self.assertEqual(ls[0].header("Content-Type"), "application/json")
        self.assertEqual(self.fake.calls("list_folder/continue"), [])

        # Every listed image has a content hash: exactly one download, the chosen one.
        self.assertEqual(self.image_downloads(), ["%s/%s" % (FOLDER, image)])
        self.assertEqual(sum(self.fake.downloads.values()), 1)

        # The sidecar was uploaded with overwrite/mute, then archived with the image.
        ups = self.fake.calls("upload")
        self.assertEqual(len(ups), 1)
        self.assertEqual(self.header_arg(ups[0]), {"path": "%s/%s.txt" % (FOLDER, stem),
                                                   "mode": "overwrite", "autorename": False,
                                                   "mute": True})
        self.assertEqual(ups[0].header("Content-Type"), "application/octet-stream")
        mk = self.fake.calls("create_folder_v2")
        self.assertEqual([r.json() for r in mk], [{"path": FOLDER + "/archive", "autorename": False}])
        moves = [r.json() for r in self.fake.calls("move_v2")]
        self.assertEqual([(m["from_path"], m["to_path"]) for m in moves],
                         [("%s/%s" % (FOLDER, image), "%s/archive/%s" % (FOLDER, image)),
                          ("%s/%s.txt" % (FOLDER, stem), "%s/archive/%s.txt" % (FOLDER, stem))])
        # the image autorenamed, its sidecar under its final stem exactly
        self.assertEqual([m["autorename"] for m in moves], [True, False])
        self.assertEqual(self.fake.names(FOLDER + "/archive"), sorted([image, stem + ".txt"]))
        self.assertNotIn(image, self.fake.names(FOLDER))
        self.assertEqual(len(self.fake.names(FOLDER)), 2)

        side = self.fake.get("%s/archive/%s.txt" % (FOLDER, stem)).decode().split("\n")
        self.assertTrue(side[0])
        meta = self.fake.metadata("%s/archive/%s" % (FOLDER, image))
        self.assertIn("# image_file: " + image, side)
        self.assertIn("# dropbox_file_id: " + meta["id"], side)
        self.assertTrue(any(l.startswith("# dropbox_rev: ") for l in side))
        self.assertIn("# sha256: " + hashlib.sha256(data).hexdigest(), side)
        self.assertEqual(res.one("sidecar_upload_complete")["image"], image)

        # Posted state: the content hash Dropbox lists for the bytes.
        self.assertEqual(self.posted_content_hashes(), {content_hash(data)})
        db = sqlite3.connect(self.ws.state)
        self.assertEqual([r[0] for r in db.execute("select sha256 from posted_sha256")],
                         [hashlib.sha256(data).hexdigest()])
        self.assertEqual(db.execute("select image, correlation_id from history").fetchall(),
                         [(image, cid)])
        db.close()
        self.assertIn(image, res.stdout)


class PagedListingTest(DropboxCase):
    page_size = 2

    def test_every_page_is_read_and_duplicates_are_skipped_without_downloads(self):
        names = SMALL[:5]
        self.put(names)
        self.ws.set("Content", "archive", "false")
        posted = []
        for i in range(5):
            before_dl = len(self.fake.calls("download"))
            before_cont = len(self.fake.calls("list_folder/continue"))
            entries = len(self.fake.names(FOLDER))   # images, then their sidecars too
            res = self.run_pp()
            self.assertEqual(res.rc, 0, res.stderr)
            self.assertTiming(res, True, ran=["dropbox_list_images_ms", "image_selection_ms"],
                              skipped=["archive_ms"])
            # Pages of 2: list_folder, then continue until the last page.
            self.assertEqual(len(self.fake.calls("list_folder/continue")) - before_cont,
                             (entries + 1) // 2 - 1)
            self.assertEqual(res.one("images_listed")["count"], 5)
            # Content hashes are known: only the chosen image is downloaded.
            self.assertEqual(len(self.fake.calls("download")) - before_dl, 1)
            image = res.one("workflow_complete")["image"]
            self.assertNotIn(image, posted)
            posted.append(image)
        self.assertEqual(sorted(posted), sorted(names))
        self.assertEqual(self.posted_content_hashes(),
                         {content_hash(sample(n)) for n in names})
        self.assertEqual(len(self.fake.calls("list_folder")), 5)
        self.assertEqual(self.fake.calls("move_v2"), [])

        # Everything posted: nothing is downloaded and the run says why.
        before_dl = len(self.fake.calls("download"))
        before_cont = len(self.fake.calls("list_folder/continue"))
        self.assertEqual(len(self.fake.names(FOLDER)), 10)  # 5 images, 5 sidecars
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False, ran=["dropbox_list_images_ms", "image_selection_ms"],
                              skipped=["vision_analysis_ms", "publish_parallel_ms", "archive_ms"])
        self.assertEqual(t["error"], "No new images to post (all duplicates)")
        self.assertEqual(len(self.fake.calls("download")), before_dl)
        self.assertEqual(len(self.fake.calls("list_folder/continue")) - before_cont, 4)
        self.assertEqual(res.one("images_listed")["count"], 5)
        self.assertIn("No new images to post (all duplicates)", res.stdout)


class NonAsciiTest(DropboxCase):

    def test_non_ascii_names_round_trip(self):
        names = {"café ü.jpg": "rocket-on-pad-at-dusk.jpg",
                 "\U0001F305 sunrise.jpg": "tabby-cat-closeup.jpg"}
        self.put(names)
        for name in names:
            res = self.run_pp("--select", name)
            self.assertEqual(res.rc, 0, res.stderr)
            done = res.one("workflow_complete")
            self.assertEqual(done["image"], name)
            self.assertTrue(done["archived"])
            self.assertIn(name, res.stdout)
        # Every Dropbox-API-Arg was ASCII with \u escapes and decodes to the name.
        dl = self.fake.calls("download")
        self.assertEqual(len(dl), 2)
        raw = [r.header("Dropbox-API-Arg") for r in dl]
        self.assertIn("caf\\u00e9 \\u00fc.jpg", raw[0].lower())
        self.assertIn("\\ud83c\\udf05 sunrise.jpg", raw[1].lower())
        self.assertEqual([self.header_arg(r)["path"] for r in dl],
                         ["%s/%s" % (FOLDER, n) for n in names])
        self.assertEqual([self.header_arg(r)["path"] for r in self.fake.calls("upload")],
                         ["%s/%s.txt" % (FOLDER, os.path.splitext(n)[0]) for n in names])
        expected = sorted(list(names) + [os.path.splitext(n)[0] + ".txt" for n in names])
        self.assertEqual(self.fake.names(FOLDER + "/archive"), expected)
        self.assertEqual(self.fake.names(FOLDER), [])
        for name, src in names.items():
            self.assertEqual(self.fake.get("%s/archive/%s" % (FOLDER, name)), sample(src))


class RetryTest(DropboxCase):

    def test_rate_limit_and_unavailable_are_retried(self):
        self.put(SMALL[:1])
        self.fake.add_fault(Fault("/2/files/list_folder", status=429, headers={"Retry-After": "1"},
                                  body={"error_summary": "too_many_requests/..",
                                        "error": {"reason": {".tag": "too_many_requests"},
                                                  "retry_after": 1}}))
        self.fake.add_fault(Fault("/2/files/list_folder", status=503, body=b"unavailable"))
        t0 = time.monotonic()
        res = self.run_pp("--dry-publish")
        elapsed = time.monotonic() - t0
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTiming(res, True, ran=["dropbox_list_images_ms", "image_selection_ms"])
        self.assertEqual(len(self.fake.calls("list_folder")), 3)
        retries = res.events("http_retry")
        self.assertEqual([r["status"] for r in retries], [429, 503])
        self.assertEqual(retries[0]["wait_ms"], 1000)   # Retry-After honoured
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertEqual(len(self.image_downloads()), 1)

    def test_persistent_unavailability_fails_clearly(self):
        self.put(SMALL[:1])
        self.fake.add_fault(Fault("/2/files/list_folder", status=503, body=b"unavailable", times=3))
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False, ran=["dropbox_list_images_ms"],
                              skipped=["image_selection_ms", "vision_analysis_ms", "archive_ms"])
        self.assertIn("list_folder", t["error"])
        self.assertIn("503", t["error"])
        self.assertIn("3 attempts", t["error"])
        self.assertIn("error:", res.stdout)
        self.assertEqual(len(self.fake.calls("list_folder")), 3)
        self.assertEqual(self.fake.calls("download"), [])

    def test_hung_download_times_out(self):
        self.put(SMALL[:1])
        self.ws.set("HTTP", "timeout", "2")
        self.fake.add_fault(Fault("/2/files/download", hang=True, times=3))
        t0 = time.monotonic()
        res = self.run_pp(timeout=60)
        elapsed = time.monotonic() - t0
        self.assertEqual(res.rc, 1, res.stderr)
        # 3 attempts of 2 s, plus backoff (~1 s + ~2 s at most).
        self.assertLess(elapsed, 14, "took %.1f s" % elapsed)
        self.assertGreaterEqual(elapsed, 6)
        t = self.assertTiming(res, False, ran=["dropbox_list_images_ms", "image_selection_ms"],
                              skipped=["vision_analysis_ms"])
        self.assertIn("download", t["error"])
        self.assertIn("timed out", t["error"])
        self.assertEqual(len(self.fake.calls("download")), 3)


class TokenTest(DropboxCase):

    def test_expired_token_is_refreshed_once(self):
        self.put(SMALL[:2])
        self.fake.expire_after(1)   # the token dies right after list_folder
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.token_requests()), 2)
        dl = self.fake.calls("download")
        self.assertEqual([r.header("Authorization") for r in dl],
                         ["Bearer sl.fake-1", "Bearer sl.fake-2"])
        later = [r for r in self.fake.server.seen() if r.path.startswith("/2/")][2:]
        self.assertTrue(later)
        self.assertTrue(all(r.header("Authorization") == "Bearer sl.fake-2" for r in later))
        self.assertEqual([l["reason"] for l in res.events("dropbox_token_refreshed")],
                         ["first_call", "expired_access_token"])
        self.assertTrue(res.one("workflow_complete")["archived"])

    def test_second_401_is_an_error(self):
        self.put(SMALL[:1])
        body = {"error_summary": "expired_access_token/..", "error": {".tag": "expired_access_token"}}
        self.fake.add_fault(Fault("/2/files/list_folder", status=401, body=body, times=2))
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False, skipped=["image_selection_ms"])
        self.assertIn("list_folder", t["error"])
        self.assertIn("401", t["error"])
        self.assertEqual(len(self.fake.token_requests()), 2)
        self.assertEqual(len(self.fake.calls("list_folder")), 2)

    def test_wrong_refresh_token_fails_clearly(self):
        self.put(SMALL[:1])
        res = self.run_pp(env={"DROPBOX_REFRESH_TOKEN": "not-the-refresh-token-9"})
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False, skipped=["image_selection_ms"])
        self.assertIn("invalid_grant", t["error"])
        self.assertIn("DROPBOX_REFRESH_TOKEN", t["error"])
        self.assertNotIn("not-the-refresh-token-9", res.stdout + res.stderr)
        self.assertEqual(len(self.fake.token_requests()), 1)
        self.assertEqual([r for r in self.fake.server.seen() if r.path.startswith("/2/")], [])


class OpenAITest(DropboxCase):

    def test_openai_gets_a_temporary_link(self):
        try:
            from fake_openai import FakeOpenAI
        except ImportError:
            self.skipTest("tests/fakes/fake_openai.py is not there")
        key = "sk-e2e-openai-key-0123456789"
        ai = FakeOpenAI(api_key=key, fetch_links=True).start()
        self.addCleanup(ai.stop)
        self.put(SMALL[:1])
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", ai.base_url)
        self.ws.env["OPENAI_API_KEY"] = key
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertNotIn(key, res.stdout + res.stderr)
        self.assertEqual(len(self.fake.calls("get_temporary_link")), 1)
        self.assertEqual(len(ai.images), 1)
        img = ai.images[0]
        self.assertEqual(img["kind"], "link")
        self.assertTrue(img["url"].startswith(self.fake.url + "/tmp-link/"), img["url"])
        self.assertEqual(img["fetched"], sample(SMALL[0]))
        self.assertEqual(sum(self.fake.link_fetches.values()), 1)
        self.assertTrue(res.one("workflow_complete")["archived"])


if __name__ == "__main__":
    harness.main()
