"""The Bluesky publisher against the reference implementation: the atproto
PDS from the npm registry (@atproto/dev-env's network without an AppView,
tests/pds), started on 127.0.0.1 with its own temporary data folder. Each
test creates an account and an app password on it, posts with photopub and
reads the record back with com.atproto.repo.getRecord: text, facets (their
byte offsets checked here: the PDS does not), langs, alt text, aspect
ratio, self-labels and the blob (getBlob). A small fake (fake_bluesky.py)
covers what the PDS cannot be made to do: 429 with ratelimit-reset, an
expired access token, 5xx."""

import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_bluesky import FakeBluesky  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

PDS_DIR = os.path.join(harness.SOURCE, "tests", "pds")
WIDE = "bleached-wooden-deck.jpg"   # 1600 x 1200
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def setup_pds_modules():
    """Installs @atproto/dev-env into tests/pds/node_modules from the lock
    file when it is missing, one install at a time (parallel ctest runs and
    other checkouts share the lock). Raises when it cannot."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise AssertionError("node and npm are not installed (scripts/deps test installs them)")
    marker = os.path.join(PDS_DIR, "node_modules", "@atproto", "dev-env", "package.json")
    with open(os.path.join(tempfile.gettempdir(), "photopub-pds-npm.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(marker):
            return
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=PDS_DIR, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise AssertionError("npm ci in tests/pds failed:\n" + (proc.stderr + proc.stdout).strip()[-2000:])


class PDS:
    """`node tests/pds/pds.js DIR`: a PLC directory and a PDS on 127.0.0.1."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pp-pds-")
        env = dict(os.environ, TMPDIR=self.dir, NODE_ENV="test", LOG_ENABLED="false")
        self.log = open(os.path.join(self.dir, "pds.log"), "w+")
        self.proc = subprocess.Popen(["node", os.path.join(PDS_DIR, "pds.js"), os.path.join(self.dir, "data")],
                                     cwd=PDS_DIR, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("PDS_URL "):
            self.proc.wait(timeout=30)
            self.log.seek(0)
            raise AssertionError("the PDS did not start:\n" + self.log.read()[-3000:])
        self.url = line.split()[1]

    def stop(self):
        harness.terminate(self.proc)
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def xrpc(self, nsid, body=None, token=None, query=None, raw=False, method=None):
        url = "%s/xrpc/%s" % (self.url, nsid)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        req = urllib.request.Request(url, data=data, headers=headers, method=method or ("POST" if data else "GET"))
        try:
            with NO_PROXY.open(req, timeout=30) as r:
                payload = r.read()
        except urllib.error.HTTPError as e:
            raise AssertionError("%s: HTTP %d %s" % (nsid, e.code, e.read().decode(errors="replace")))
        return payload if raw else json.loads(payload)

    def account(self):
        """A new account and an app password for it: (handle, did, password)."""
        handle = "pp%s.test" % secrets.token_hex(4)
        acct = self.xrpc("com.atproto.server.createAccount",
                         {"handle": handle, "email": handle + "@example.com", "password": "hunter2-" + handle})
        app = self.xrpc("com.atproto.server.createAppPassword", {"name": "photopub"}, token=acct["accessJwt"])
        return handle, acct["did"], app["password"]

    def posts(self, did):
        return self.xrpc("com.atproto.repo.listRecords",
                         query={"repo": did, "collection": "app.bsky.feed.post"})["records"]


def facet_slices(record):
    """[(kind, text of the byte span, tag or uri)] of a record's facets."""
    raw = record["text"].encode("utf-8")
    out = []
    for f in record.get("facets", []):
        feat = f["features"][0]
        kind = feat["$type"].split("#")[1]
        out.append((kind, raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode("utf-8"),
                    feat.get("tag") or feat.get("uri")))
    return out


def noisy_jpeg(path, size=(4000, 3000)):
    """A JPEG far over 1 MB: noise does not compress."""
    from PIL import Image
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    img.save(path, "JPEG", quality=95)


class BlueskyPDSTest(TestCase):
    images = [WIDE, "tabby-cat-closeup.jpg"]

    @classmethod
    def setUpClass(cls):
        setup_pds_modules()
        cls.pds = PDS()

    @classmethod
    def tearDownClass(cls):
        cls.pds.stop()

    def setUp(self):
        super().setUp()
        self.handle, self.did, self.password = self.pds.account()
        self.ws.set("Bluesky", "enabled", "true")
        self.ws.set("Bluesky", "handle", self.handle)
        self.ws.set("Bluesky", "service", self.pds.url)
        self.ws.set("Bluesky", "languages", "de, en")
        self.ws.env["BLUESKY_APP_PASSWORD"] = self.password

    def write(self, name, text):
        path = os.path.join(self.ws.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_pp(self, *args):
        res = self.ws.run(*args)
        out = res.stdout + res.stderr
        self.assertNotIn(self.password, out)
        db = sqlite3.connect(self.ws.state)
        for access, refresh in db.execute("select access_token, refresh_token from session"):
            self.assertNotIn(access, out)
            self.assertNotIn(refresh, out)
        db.close()
        return res

    def post_of(self, res):
        done = res.one("workflow_complete")
        r = done["results"]["bluesky"]
        self.assertTrue(r["success"], r)
        uri = r["post_id"]
        self.assertTrue(uri.startswith("at://%s/app.bsky.feed.post/" % self.did), uri)
        rkey = uri.rsplit("/", 1)[1]
        self.assertEqual(r["url"], "https://bsky.app/profile/%s/post/%s" % (self.handle, rkey))
        got = self.pds.xrpc("com.atproto.repo.getRecord",
                            query={"repo": self.did, "collection": "app.bsky.feed.post", "rkey": rkey})
        self.assertEqual(got["uri"], uri)
        return got["value"]

    def test_post_read_back(self):
        caption = ("Morgenlicht über dem Café ☕ 👩‍💻 and flags 🇩🇪🇯🇵 — see https://example.com/a?b=ü. "
                   "#café #日本語 #1 (https://example.org/x_(y)) C#no")
        alt = "Weiße Planken, von oben gesehen: das Holz ist grau und gemasert."
        res = self.run_pp("--select", WIDE, "--caption-file", self.write("caption.txt", caption),
                          "--alt-text-file", self.write("alt.txt", alt))
        self.assertEqual(res.rc, 0, res.stderr)
        rec = self.post_of(res)
        self.assertEqual(rec["$type"], "app.bsky.feed.post")
        self.assertEqual(rec["text"], caption)
        self.assertEqual(facet_slices(rec), [
            ("link", "https://example.com/a?b=ü", "https://example.com/a?b=ü"),
            ("tag", "#café", "café"),
            ("tag", "#日本語", "日本語"),
            ("link", "https://example.org/x_(y)", "https://example.org/x_(y)"),
        ])
        self.assertEqual(rec["langs"], ["de", "en"])
        self.assertNotIn("labels", rec)
        self.assertRegex(rec["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        embed = rec["embed"]
        self.assertEqual(embed["$type"], "app.bsky.embed.images")
        self.assertEqual(len(embed["images"]), 1)
        image = embed["images"][0]
        self.assertEqual(image["alt"], alt)
        self.assertEqual(image["aspectRatio"], {"width": 1600, "height": 1200})
        blob = image["image"]
        self.assertEqual(blob["mimeType"], "image/jpeg")
        self.assertLessEqual(blob["size"], 1000000)
        data = self.pds.xrpc("com.atproto.sync.getBlob",
                             query={"did": self.did, "cid": blob["ref"]["$link"]}, raw=True)
        self.assertEqual(len(data), blob["size"])
        self.assertEqual(data[:2], b"\xff\xd8")
        # Telemetry from the table, the session line, the history row.
        t = res.one("workflow_timing")
        self.assertIsInstance(t["publish_bluesky_ms"], int)
        pub = [l for l in res.events("publisher_publish") if l["platform"] == "bluesky"][0]
        self.assertEqual(pub["logger"], "publisher.bluesky")
        self.assertTrue(pub["success"])
        sess = res.events("bluesky_session")
        self.assertEqual([(s["action"], s["did"], s["handle"]) for s in sess],
                         [("created", self.did, self.handle)])
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("select post_id, url, success from history where platform = 'bluesky'").fetchall()
        self.assertEqual(rows, [(pub["post_id"], pub["url"], 1)])
        saved = db.execute("select service, account, account_id from session").fetchall()
        self.assertEqual(saved, [(self.pds.url, self.handle, self.did)])
        db.close()

    def test_second_run_reuses_the_session(self):
        first = self.run_pp("--select", WIDE)
        self.assertEqual(first.rc, 0, first.stderr)
        second = self.run_pp("--select", "tabby-cat-closeup.jpg")
        self.assertEqual(second.rc, 0, second.stderr)
        self.assertEqual([s["action"] for s in first.events("bluesky_session")], ["created"])
        # No createSession: the saved session is used as it is.
        self.assertEqual([s["action"] for s in second.events("bluesky_session")], ["reused"])
        calls = [l["what"] for l in second.lines if l["message"] == "http_call"]
        self.assertNotIn("com.atproto.server.createSession", calls)
        self.post_of(second)
        self.assertEqual(len(self.pds.posts(self.did)), 2)

    def spoil_access_token(self):
        """Makes the saved access token one the PDS refuses (its signature
        broken); returns the saved refresh token."""
        db = sqlite3.connect(self.ws.state)
        access, refresh = db.execute("select access_token, refresh_token from session").fetchone()
        db.execute("update session set access_token = ?", (access[:-6] + "AAAAAA",))
        db.commit()
        db.close()
        return refresh

    def test_refused_access_token_is_refreshed(self):
        first = self.run_pp("--select", WIDE)
        self.assertEqual(first.rc, 0, first.stderr)
        self.spoil_access_token()
        second = self.run_pp("--select", "tabby-cat-closeup.jpg")
        self.assertEqual(second.rc, 0, second.stderr)
        self.post_of(second)
        self.assertEqual([s["action"] for s in second.events("bluesky_session")], ["reused", "refreshed"])
        calls = [l["what"] for l in second.lines if l["message"] == "http_call"]
        self.assertNotIn("com.atproto.server.createSession", calls)

    def test_revoked_session_logs_in_again(self):
        first = self.run_pp("--select", WIDE)
        self.assertEqual(first.rc, 0, first.stderr)
        refresh = self.spoil_access_token()
        # Signing out on the PDS revokes the refresh token.
        self.pds.xrpc("com.atproto.server.deleteSession", token=refresh, method="POST", raw=True)
        second = self.run_pp("--select", "tabby-cat-closeup.jpg")
        self.assertEqual(second.rc, 0, second.stderr)
        self.post_of(second)
        self.assertEqual([s["action"] for s in second.events("bluesky_session")], ["reused", "created"])

    def test_long_caption_is_cut_to_300_graphemes_at_a_word(self):
        # 3 code points and 11 bytes per emoji, one grapheme: a cut that
        # counted code points would keep about 100 of them.
        words = ["👩‍💻"] * 200
        caption = "Start " + " ".join(words) + " #late"
        res = self.run_pp("--select", WIDE, "--caption-file", self.write("caption.txt", caption))
        self.assertEqual(res.rc, 0, res.stderr)
        text = self.post_of(res)["text"]   # the PDS refuses more than 300 graphemes
        self.assertTrue(text.endswith("…"), text[-20:])
        body = text[:-1]
        self.assertTrue(caption.startswith(body))
        self.assertEqual(caption[len(body)], " ")  # at a word
        graphemes = len(body.split(" ")) * 2 - 1 + 1  # words, spaces, the ellipsis
        self.assertLessEqual(graphemes, 300)
        self.assertGreater(body.count("👩‍💻"), 140)

    def test_large_image_fits_under_the_blob_limit(self):
        name = "noise.jpg"
        noisy_jpeg(os.path.join(self.ws.images, name))
        self.assertGreater(os.path.getsize(os.path.join(self.ws.images, name)), 3000000)
        res = self.run_pp("--select", name)
        self.assertEqual(res.rc, 0, res.stderr)
        image = self.post_of(res)["embed"]["images"][0]
        self.assertLessEqual(image["image"]["size"], 1000000)
        w, h = image["aspectRatio"]["width"], image["aspectRatio"]["height"]
        self.assertLessEqual(max(w, h), 2000)
        self.assertAlmostEqual(w / h, 4 / 3, places=2)
        data = self.pds.xrpc("com.atproto.sync.getBlob",
                             query={"did": self.did, "cid": image["image"]["ref"]["$link"]}, raw=True)
        self.assertEqual(len(data), image["image"]["size"])

    def test_configured_labels(self):
        self.ws.set("Bluesky", "labels", "nudity, sexual")
        res = self.run_pp("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        labels = self.post_of(res)["labels"]
        self.assertEqual(labels, {"$type": "com.atproto.label.defs#selfLabels",
                                  "values": [{"val": "nudity"}, {"val": "sexual"}]})

    def test_nsfw_analysis_labels_the_post(self):
        ai = FakeOpenAI().start()
        self.addCleanup(ai.stop)
        ai.analysis = dict(ai.analysis, nsfw=True, safety_labels=["nudity"])
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", ai.base_url)
        self.ws.env["OPENAI_API_KEY"] = ai.api_key
        res = self.run_pp("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        rec = self.post_of(res)
        self.assertEqual(rec["labels"]["values"], [{"val": "nudity"}])

    def test_wrong_app_password(self):
        self.ws.env["BLUESKY_APP_PASSWORD"] = "wrong-pass-word-here"
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)  # the outbox took it
        r = res.one("workflow_complete")["results"]["bluesky"]
        self.assertFalse(r["success"])
        self.assertIn("createSession failed (HTTP 401 AuthenticationRequired)", r["error"])
        self.assertIn("BLUESKY_APP_PASSWORD", r["error"])
        self.assertNotIn("wrong-pass-word-here", res.stdout + res.stderr)
        self.assertEqual(self.pds.posts(self.did), [])


class BlueskyFakeTest(TestCase):
    """What the PDS will not do on demand."""
    images = [WIDE, "tabby-cat-closeup.jpg"]

    def setUp(self):
        super().setUp()
        self.fake = FakeBluesky().start()
        self.addCleanup(self.fake.stop)
        self.ws.set("Bluesky", "enabled", "true")
        self.ws.set("Bluesky", "handle", self.fake.handle)
        self.ws.set("Bluesky", "service", self.fake.url)
        self.ws.env["BLUESKY_APP_PASSWORD"] = self.fake.password

    def result(self, res):
        return res.one("workflow_complete")["results"]["bluesky"]

    def nsids(self):
        return [r.path[len("/xrpc/"):] for r in self.fake.seen()]

    def test_expired_access_token_is_refreshed(self):
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        self.fake.expire_access()
        res = self.ws.run("--select", "tabby-cat-closeup.jpg")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(self.result(res)["success"], self.result(res))
        self.assertEqual(self.nsids(), [
            "com.atproto.server.createSession", "com.atproto.repo.uploadBlob",
            "com.atproto.repo.createRecord",
            "com.atproto.repo.uploadBlob",              # ExpiredToken
            "com.atproto.server.refreshSession",
            "com.atproto.repo.uploadBlob", "com.atproto.repo.createRecord"])
        refresh = self.fake.seen("/xrpc/com.atproto.server.refreshSession")[0]
        self.assertTrue(refresh.header("Authorization").startswith("Bearer eyJyZWZyZXNoIi."))
        self.assertEqual([s["action"] for s in res.events("bluesky_session")], ["reused", "refreshed"])
        db = sqlite3.connect(self.ws.state)
        self.assertEqual(db.execute("select access_token from session").fetchone()[0], self.fake.access)
        db.close()
        self.assertNotIn(self.fake.access, res.stdout + res.stderr)
        self.assertNotIn(self.fake.refresh, res.stdout + res.stderr)
        self.assertEqual(len(self.fake.records), 2)

    def test_refused_refresh_logs_in_again(self):
        self.assertEqual(self.ws.run("--select", WIDE).rc, 0)
        self.fake.expire_access()
        self.fake.revoke_refresh()
        res = self.ws.run("--select", "tabby-cat-closeup.jpg")
        self.assertTrue(self.result(res)["success"], self.result(res))
        self.assertEqual([s["action"] for s in res.events("bluesky_session")],
                         ["reused", "created"])
        self.assertEqual(self.fake.sessions, 2 + 0)

    def test_429_within_the_timeout_waits_for_the_reset(self):
        self.fake.rate_limit("com.atproto.repo.createRecord", 2)
        t0 = time.monotonic()
        res = self.ws.run("--select", WIDE)
        took = time.monotonic() - t0
        self.assertTrue(self.result(res)["success"], self.result(res))
        self.assertGreaterEqual(took, 1.0)
        rl = res.events("bluesky_rate_limited")
        self.assertEqual(len(rl), 1)
        self.assertEqual(rl[0]["method"], "com.atproto.repo.createRecord")
        self.assertIn(rl[0]["wait_s"], (1, 2))
        self.assertEqual(len(self.fake.calls("com.atproto.repo.createRecord")), 2)
        self.assertEqual(len(self.fake.records), 1)

    def test_429_past_the_timeout_fails_at_once_saying_when(self):
        self.ws.set("Publish", "timeout", "20")
        reset = self.fake.rate_limit("com.atproto.server.createSession", 3600)
        res = self.ws.run("--select", WIDE)
        r = self.result(res)
        self.assertFalse(r["success"])
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(reset))
        self.assertIn("HTTP 429 RateLimitExceeded", r["error"])
        self.assertIn("retry after " + when, r["error"])
        self.assertEqual(len(self.fake.calls("com.atproto.server.createSession")), 1)
        self.assertEqual(res.events("bluesky_rate_limited")[0]["wait_s"], -1)

    def test_5xx_fails_with_a_clear_error_and_no_second_post(self):
        self.fake.fail("com.atproto.repo.createRecord", 502)
        res = self.ws.run("--select", WIDE)
        r = self.result(res)
        self.assertFalse(r["success"])
        self.assertEqual(r["error"], "Bluesky createRecord failed (HTTP 502 InternalServerError): "
                                     "Internal Server Error")
        self.assertEqual(len(self.fake.calls("com.atproto.repo.createRecord")), 1)
        self.assertTrue(res.one("workflow_complete")["results"]["outbox"]["success"])

    def test_preview_sends_nothing(self):
        caption = "Preview of 👩‍💻 #café https://example.com"
        path = os.path.join(self.ws.dir, "caption.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(caption)
        res = self.ws.run("--select", WIDE, "--preview", "--caption-file", path)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn("account: photopub.test on " + self.fake.url, res.stdout)
        self.assertIn("text:    " + caption, res.stdout)
        self.assertIn("(38 of at most 300 graphemes, 2 tags and links)", res.stdout)
        self.assertEqual(self.fake.seen(), [])

    def test_missing_app_password_is_a_config_error(self):
        del self.ws.env["BLUESKY_APP_PASSWORD"]
        res = self.ws.run("--select", WIDE, check_json=False)
        self.assertEqual(res.rc, 2)
        self.assertIn("BLUESKY_APP_PASSWORD", res.stderr)
        self.assertEqual(self.fake.seen(), [])

    def test_bad_labels_setting_is_a_config_error(self):
        self.ws.set("Bluesky", "labels", "spicy")
        res = self.ws.run("--select", WIDE, check_json=False)
        self.assertEqual(res.rc, 2)
        self.assertIn("[Bluesky] labels", res.stderr)


if __name__ == "__main__":
    harness.main()
