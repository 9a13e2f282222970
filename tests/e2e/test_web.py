"""`photopub serve` end to end, through curl (raw paths with --path-as-is)
and raw sockets: every route, the auth matrix (Bearer, Basic, the signed
admin cookie, the login limit), the loopback rule, traversal attempts,
protocol errors (404, 405, 413, 400, 422, oversized headers), correlation
ids and Server-Timing, the web_* and http_request lines, a graceful SIGTERM
during a slow request, and /metrics."""

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

import harness
from harness import SAMPLES, Workspace
from webharness import (CURL, UUID4, WebServer, metric, parse_prometheus, parse_server_timing,
                        raw_request, wait_until)

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_openai import FakeOpenAI  # noqa: E402
from fake_telegram import FakeTelegram, jpeg_size  # noqa: E402

IMG = "tabby-cat-closeup.jpg"            # 451 x 300
IMG2 = "rocket-on-pad-at-dusk.jpg"
IMG3 = "espresso-on-wooden-table.jpg"
PNG = "astronaut-portrait-square.png"
TOKEN = "e2e-bearer-3f9a1c77d2e4"
USER, PASS = "photographer", "basic-pass-8812zq"
ADMIN_PW = "admin-pw-ecb41d-horse"
SECRET = "e2e-session-secret-51aa0c9f"
OPENAI_KEY = "sk-e2e-web-Tq4Rz8Lm1Vx6Wp3"
ROUTES = {"/", "/health", "/metrics", "/api/images/random", "/api/images/{filename}/file",
          "/api/images/list", "/api/images/{filename}/thumbnail",
          "/api/images/{filename}/analyze", "/api/images/{filename}/publish", "/api/admin/login",
          "/api/admin/status", "/api/admin/logout", "/api/images/{filename}/keep",
          "/api/images/{filename}/remove", "/api/images/{filename}/delete", "/api/history",
          "/api/platforms", "/api/caption/preview",
          "/api/queue", "/api/history/{id}/retry", "/health/live", "/health/ready"}
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PROMTOOL = shutil.which("promtool")


def setUpModule():
    if not os.access(CURL, os.X_OK):
        raise AssertionError("curl is not installed (scripts/deps test installs it)")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def dropbox_content_hash(path):
    """SHA-256 over the SHA-256 digests of each 4 MiB block."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(4 << 20)
            if not block:
                break
            h.update(hashlib.sha256(block).digest())
    return h.hexdigest()


def session_key(secret):
    """The cookie key the server derives from WEB_SESSION_SECRET."""
    return hmac.new(b"photopub-session", secret.encode(), hashlib.sha256).digest()


def sign(key, expiry):
    mac = hmac.new(key, b"pv2_admin:%d" % expiry, hashlib.sha256).hexdigest()
    return "%d.%s" % (expiry, mac)


def cookie_parts(set_cookie):
    """(name, value, {attribute lowercased: value or True})."""
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.lower()] = v if eq else True
    return name, value, attrs


def admin_cookie(value):
    return "Cookie: pv2_admin=" + value


def quote(name):
    return urllib.parse.quote(name, safe="")


class WebCase(unittest.TestCase):
    images = None

    def setUp(self):
        self.ws = Workspace(self.images)
        self.addCleanup(self.ws.cleanup)

    def serve(self, env=None, args=(), ws=None, **kw):
        srv = WebServer(ws or self.ws, env, args, **kw)
        self.addCleanup(srv.kill)
        self.addCleanup(self.stop_server, srv)
        return srv.start()

    def stop_server(self, srv):
        """Cleanup: SIGTERM → exit 0, every stderr and log-file line JSON."""
        if srv.proc is not None and srv.stopped is None:
            srv.stop()

    def call(self, srv, method, path, common=True, **kw):
        r = srv.request(path, method=method, **kw)
        self.assertNotEqual(r.status, 0, "no answer to %s %s: %s" % (method, path, r.curl_err))
        if common:
            self.assertCommon(r)
        return r

    def get(self, srv, path, **kw):
        return self.call(srv, "GET", path, **kw)

    def post(self, srv, path, body=None, **kw):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.call(srv, "POST", path, data=data, **kw)

    def assertCommon(self, r):
        """What every answer of ours carries, errors included."""
        cid = r.header("X-Correlation-ID")
        self.assertTrue(cid and REQUEST_ID_RE.match(cid), "X-Correlation-ID %r on %r" % (cid, r))
        st = r.header("Server-Timing")
        self.assertTrue(st, "no Server-Timing on %r" % r)
        timing = parse_server_timing(st)
        self.assertIn("total", timing)
        for name, dur in timing.items():
            self.assertLessEqual(dur, timing["total"] + 0.2, st)
        if r.status >= 400:
            self.assertEqual(r.header("Content-Type"), "application/json", r)
            body = r.json()
            self.assertEqual(list(body), ["detail"], body)
            self.assertIsInstance(body["detail"], str)
            self.assertTrue(body["detail"])
        return cid

    def assertStatus(self, r, status):
        self.assertEqual(r.status, status, r)
        return r


# ---- routes ------------------------------------------------------------------

class RoutesTest(WebCase):

    def test_random_never_offers_a_name_that_is_not_text(self):
        with open(os.path.join(self.ws.images.encode(), b"bad\xff.jpg"), "wb") as f:
            f.write(open(os.path.join(self.ws.images, IMG), "rb").read())
        srv = self.serve()
        for i in range(20):
            body = self.assertStatus(self.get(srv, "/api/images/random"), 200).json()
            self.assertIn(body["filename"], self.ws.image_names())
        self.assertTrue([l for l in srv.lines() if l["message"] == "storage_name_skipped"])
        srv.stop()

    def test_conflicting_framing_is_refused_and_closed(self):
        # What a proxy and this server could split in two places: 400, the
        # connection closed, and the request hidden behind it never runs.
        srv = self.serve()
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        attempts = {
            "two lengths": b"POST /api/admin/logout HTTP/1.1\r\nHost: x\r\nX-Request-ID: sm-1\r\n"
                           b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled,
            "length and chunked": b"POST /api/admin/logout HTTP/1.1\r\nHost: x\r\nX-Request-ID: sm-2\r\n"
                                  b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        }
        for why, data in attempts.items():
            r = raw_request(srv.port, data)
            self.assertIsNotNone(r, why)
            self.assertEqual(r.status, 400, why)
            self.assertEqual((r.header("Connection") or "").lower(), "close", why)
            self.assertTrue(r.header("X-Correlation-ID"), why)
            self.assertEqual(r.body.count(b"HTTP/1.1"), 0, why)
        for cid in ("sm-1", "sm-2"):
            self.assertEqual([l["status"] for l in srv.request_lines(cid) if l["message"] == "http_request"], [400])
        srv.stop()
        self.assertFalse([l for l in srv.lines() if l.get("path") == "/smuggled"])

    def test_obsolete_line_folding_is_refused_and_closed(self):
        # A header line that starts with a space or a tab continues the line
        # before it (obs-fold): a proxy may read it as its own header where
        # this server would not. 400, the connection closed, nothing after
        # it read as a request.
        srv = self.serve()
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        attempts = {
            "fold-1": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: fold-1\r\nX-A: one\r\n two\r\n\r\n",
            "fold-2": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: fold-2\r\nX-A: one\r\n\ttwo\r\n\r\n",
            "fold-3": b"GET /health HTTP/1.1\r\n Host: x\r\nX-Request-ID: fold-3\r\n\r\n",
            "fold-4": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: fold-4\r\nX-A: a\r\n b\r\n c\r\n\r\n",
            "fold-5": b"GET /health HTTP/1.1\nHost: x\nX-Request-ID: fold-5\nX-A: one\n two\n\n",
            "fold-6": b"POST /api/admin/logout HTTP/1.1\r\nHost: x\r\nX-Request-ID: fold-6\r\n"
                      b"X-A: one\r\n Content-Length: 0\r\n\r\n",
            "fold-7": b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: one\r\nX-Request-ID: fold-7\r\n x\r\n\r\n",
        }
        for cid, data in attempts.items():
            r = raw_request(srv.port, data + smuggled)
            self.assertIsNotNone(r, cid)
            self.assertEqual(r.status, 400, (cid, r))
            self.assertEqual((r.header("Connection") or "").lower(), "close", cid)
            self.assertTrue(r.header("X-Correlation-ID"), cid)
            self.assertEqual(r.json(), {"detail": "Obsolete line folding in the request head"}, cid)
            self.assertEqual(r.body.count(b"HTTP/1.1"), 0, cid)
            if cid != "fold-7":   # its folded line is the id: a new one is made
                self.assertEqual(r.header("X-Correlation-ID"), cid)
                http = [l for l in srv.request_lines(cid) if l["message"] == "http_request"]
                self.assertEqual([(l["status"], l["path"]) for l in http],
                                 [(400, "/api/admin/logout" if cid == "fold-6" else "/health")], cid)
        # A value with inner white space and a long value are not folds.
        r = raw_request(srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: one  two\t three \r\n"
                        b"Cookie: a=1; b=2\r\nX-B: " + b"v" * 3000 + b"\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status, 200, r)
        srv.stop()
        self.assertFalse([l for l in srv.lines() if l.get("path") == "/smuggled"])

    def test_health_live_and_ready_on_sqlite(self):
        srv = self.serve()
        self.assertEqual(self.assertStatus(self.get(srv, "/health/live"), 200).json(), {"live": True})
        self.assertEqual(self.assertStatus(self.get(srv, "/health/ready"), 200).json(),
                         {"ready": True, "state": "ok", "storage": "ok"})
        shutil.rmtree(self.ws.images)
        # the probe's own body, not {"detail"}: what is not ready, by name
        r = self.assertStatus(self.get(srv, "/health/ready", common=False), 503)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual((r.json()["ready"], r.json()["state"]), (False, "ok"))
        self.assertIn("No such file or directory", r.json()["storage"])
        self.assertEqual(self.assertStatus(self.get(srv, "/health/live"), 200).json(), {"live": True})
        self.assertStatus(self.get(srv, "/health"), 200)
        srv.stop()

    def test_index_and_health(self):
        srv = self.serve()
        r = self.assertStatus(self.get(srv, "/"), 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"), r)
        self.assertIn(b"<html", r.body.lower())
        self.assertTrue(r.header("Content-Security-Policy"))
        r = self.assertStatus(self.get(srv, "/health"), 200)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json(), {"status": "ok"})
        # HEAD: GET's headers without the body.
        for path, length in (("/health", len(r.body)),
                             ("/api/images/%s/file" % IMG, os.path.getsize(os.path.join(self.ws.images, IMG)))):
            h = raw_request(srv.port, b"HEAD %s HTTP/1.1\r\nHost: x\r\nX-Request-ID: head-1\r\n"
                            b"Connection: close\r\n\r\n" % path.encode())
            self.assertEqual((h.status, h.body), (200, b""), h)
            self.assertEqual(h.header("Content-Length"), str(length))
            self.assertEqual(h.header("X-Correlation-ID"), "head-1")

    def test_random_image(self):
        srv = self.serve()
        seen = set()
        for i in range(12):
            r = self.assertStatus(self.get(srv, "/api/images/random", headers=["X-Request-ID: rnd-%d" % i]), 200)
            body = r.json()
            self.assertEqual(set(body), {"filename", "temp_url", "sha256", "content_hash", "caption",
                                         "sd_caption", "alt_text", "metadata", "has_sidecar"})
            name = body["filename"]
            self.assertIn(name, SAMPLES)
            seen.add(name)
            path = os.path.join(self.ws.images, name)
            self.assertEqual(body["sha256"], sha256_file(path))
            self.assertEqual(body["content_hash"], dropbox_content_hash(path))
            self.assertEqual(body["temp_url"], "/api/images/%s/file" % quote(name))
            self.assertIsNone(body["caption"])
            self.assertIsNone(body["sd_caption"])
            self.assertIsNone(body["metadata"])
            self.assertIs(body["has_sidecar"], False)
            # The listing is cached; the sidecar is read on every request.
            self.assertIn("sidecar", parse_server_timing(r.header("Server-Timing")))
            lines = srv.request_lines("rnd-%d" % i)
            ev = [l for l in lines if l["message"] == "web_random_image"]
            self.assertEqual(len(ev), 1, lines)
            self.assertEqual(ev[0]["filename"], name)
            self.assertIsInstance(ev[0]["web_random_image_ms"], int)
            self.assertIsNone(ev[0]["error"])
        self.assertGreater(len(seen), 1, "12 random picks out of %d images were all %s" % (len(SAMPLES), seen))

    def test_image_file(self):
        srv = self.serve()
        for name in (IMG, PNG):
            with open(os.path.join(self.ws.images, name), "rb") as f:
                want = f.read()
            url = "/api/images/%s/file" % quote(name)
            r = self.assertStatus(self.get(srv, url), 200)
            self.assertEqual(r.body, want)
            self.assertEqual(r.header("Content-Type"), "image/png" if name == PNG else "image/jpeg")
            etag = r.header("ETag")
            self.assertRegex(etag, r'^"[^"]+"$')
            self.assertIn("max-age", r.header("Cache-Control"))
            r304 = self.assertStatus(self.get(srv, url, headers=["If-None-Match: " + etag]), 304)
            self.assertEqual(r304.body, b"")
            self.assertEqual(r304.header("ETag"), etag)
            self.assertTrue(r304.header("Cache-Control"))
            self.assertStatus(self.get(srv, url, headers=['If-None-Match: "something-else"']), 200)

            # Widths round down to the steps copies are made at (… 128,
            # 192, 256 …): ?w=200 is 192 px wide, the copy ?w=192 … 255 share.
            small = self.assertStatus(self.get(srv, url + "?w=200"), 200)
            self.assertEqual(small.header("Content-Type"), "image/jpeg")
            size = jpeg_size(small.body)
            self.assertIsNotNone(size, "?w=200 did not give a JPEG")
            self.assertEqual(size[0], 192)
            self.assertLess(len(small.body), len(want))
            setag = small.header("ETag")
            self.assertNotEqual(setag, etag)
            self.assertIn("max-age", small.header("Cache-Control"))
            self.assertStatus(self.get(srv, url + "?w=200", headers=["If-None-Match: " + setag]), 304)
            # A list of tags, a weak tag, and "*" match too.
            self.assertStatus(self.get(srv, url, headers=['If-None-Match: "x", %s' % etag]), 304)
            self.assertStatus(self.get(srv, url, headers=["If-None-Match: W/" + etag]), 304)
            self.assertStatus(self.get(srv, url, headers=["If-None-Match: *"]), 304)
            self.assertStatus(self.get(srv, url, headers=["If-None-Match: " + etag[:-2] + '"']), 200)
            timing = parse_server_timing(small.header("Server-Timing"))
            self.assertIn("resize", timing)
            self.assertIn("queue", timing)
            again = self.assertStatus(self.get(srv, url + "?w=255"), 200)
            self.assertEqual((again.body, again.header("ETag")), (small.body, setag))
            self.assertNotIn("resize", parse_server_timing(again.header("Server-Timing")))
        enc = self.assertStatus(self.get(srv, "/api/images/%s/file?w=%%32%%30%%30" % quote(IMG)), 200)
        self.assertEqual(jpeg_size(enc.body)[0], 192)
        for bad in ("abc", "5", "100000", "-200", "200px", "", "%zz"):
            self.assertStatus(self.get(srv, "/api/images/%s/file?w=%s" % (IMG, bad)), 400)

    def test_analyze_from_sidecar_and_force_refresh(self):
        self.ws = Workspace([IMG])
        self.addCleanup(self.ws.cleanup)
        srv = self.serve()
        url = "/api/images/%s/analyze" % IMG
        sidecar = os.path.join(self.ws.images, IMG[:-4] + ".txt")

        first = self.assertStatus(self.post(srv, url, headers=["X-Request-ID: an-1"]), 200).json()
        self.assertEqual(set(first), {"filename", "description", "mood", "tags", "nsfw", "caption",
                                      "sd_caption", "alt_text", "sidecar_written", "cache_hit"})
        self.assertIs(first["cache_hit"], False)
        self.assertEqual(first["filename"], IMG)
        self.assertTrue(first["description"])
        self.assertIsInstance(first["tags"], list)
        self.assertTrue(first["tags"])
        self.assertIs(first["nsfw"], False)
        self.assertTrue(first["caption"])
        self.assertTrue(first["sd_caption"])
        self.assertIs(first["sidecar_written"], True)
        with open(sidecar) as f:
            self.assertEqual(f.readline().rstrip("\n"), first["sd_caption"])
        lines = srv.request_lines("an-1")
        done = [l for l in lines if l["message"] == "web_analyze_complete"]
        self.assertEqual(len(done), 1)
        self.assertIs(done[0]["cache_hit"], False)
        self.assertIsInstance(done[0]["web_analyze_ms"], int)
        self.assertEqual(len([l for l in lines if l["message"] == "vision_analysis"]), 1)

        with open(sidecar, "rb") as f:
            sidecar_bytes = f.read()
        second = self.assertStatus(self.post(srv, url, headers=["X-Request-ID: an-2"]), 200)
        self.assertNotIn("ai", parse_server_timing(second.header("Server-Timing")))
        second = second.json()
        self.assertIs(second["sidecar_written"], False)
        self.assertIs(second["cache_hit"], True)
        self.assertEqual(second["sd_caption"], first["sd_caption"])
        self.assertTrue(second["caption"])
        lines = srv.request_lines("an-2")
        self.assertIs([l for l in lines if l["message"] == "web_analyze_complete"][0]["cache_hit"], True)
        self.assertEqual([l for l in lines if l["logger"] == "ai"], [], "no AI call for a cached answer")
        with open(sidecar, "rb") as f:
            self.assertEqual(f.read(), sidecar_bytes, "a cache hit rewrote the sidecar")

        # Query values are percent-decoded once: %74rue is "true".
        third = self.assertStatus(self.post(srv, url + "?force_refresh=%74rue",
                                            headers=["X-Request-ID: an-3"]), 200)
        self.assertIn("ai", parse_server_timing(third.header("Server-Timing")))
        self.assertIs(third.json()["sidecar_written"], True)
        lines = srv.request_lines("an-3")
        self.assertIs([l for l in lines if l["message"] == "web_analyze_complete"][0]["cache_hit"], False)
        self.assertEqual(len([l for l in lines if l["message"] == "vision_analysis"]), 1)

        # The random image now shows the sidecar.
        rnd = self.get(srv, "/api/images/random").json()
        self.assertIs(rnd["has_sidecar"], True)
        self.assertEqual(rnd["sd_caption"], first["sd_caption"])
        self.assertIsInstance(rnd["metadata"], dict)
        self.assertEqual(rnd["metadata"].get("image_file"), IMG)

    def test_publish(self):
        self.ws = Workspace([IMG, IMG2])
        self.addCleanup(self.ws.cleanup)
        srv = self.serve()
        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG, {},
                                        headers=["X-Request-ID: pub-1"]), 200)
        body = r.json()
        self.assertEqual(set(body), {"filename", "results", "archived", "any_success"})
        self.assertEqual(body["filename"], IMG)
        self.assertEqual(list(body["results"]), ["outbox"])
        out = body["results"]["outbox"]
        self.assertIs(out["success"], True)
        self.assertIsNone(out["error"])
        self.assertEqual(self.ws.posts(), [out["post_id"]])
        self.assertIs(body["archived"], True)
        self.assertIs(body["any_success"], True)
        self.assertEqual(self.ws.image_names(), [IMG2])
        self.assertIn(IMG, self.ws.archived())
        self.assertIn("publish", parse_server_timing(r.header("Server-Timing")))
        lines = srv.request_lines("pub-1")
        done = [l for l in lines if l["message"] == "web_publish_complete"]
        self.assertEqual(len(done), 1)
        self.assertIs(done[0]["any_success"], True)
        self.assertIs(done[0]["archived"], True)
        self.assertIsInstance(done[0]["web_publish_ms"], int)
        # Archived: no longer listed, so no longer served or offered.
        for _ in range(5):
            self.assertEqual(self.get(srv, "/api/images/random").json()["filename"], IMG2)
        self.assertStatus(self.get(srv, "/api/images/%s/file" % IMG), 404)
        self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG), 404)
        self.assertEqual(len(self.ws.posts()), 1)

    def test_publish_body_errors(self):
        self.ws = Workspace([IMG])
        self.addCleanup(self.ws.cleanup)
        srv = self.serve()
        url = "/api/images/%s/publish" % IMG
        cases = [
            (b'{"platforms": ["outbox"', 400), (b"not json", 400), (b"{}{}", 400),
            (b'{"platforms": ["myspace"]}', 422), (b'{"platforms": ["outbox", "myspace"]}', 422),
            (b'{"platforms": ["telegram"]}', 422),       # a platform that is not enabled
            (b'{"platforms": "outbox"}', 422), (b'{"platforms": [1]}', 422),
            (b'{"platforms": []}', 422), (b'{"platforms": {"outbox": true}}', 422),
            (b'["outbox"]', 422), (b'"outbox"', 422), (b"42", 422),
        ]
        for i, (body, status) in enumerate(cases):
            cid = "bad-body-%d" % i
            r = self.post(srv, url, body, headers=["X-Request-ID: " + cid])
            self.assertEqual(r.status, status, (body, r))
            err = [l for l in srv.request_lines(cid) if l["message"] == "web_publish_error"]
            self.assertEqual(len(err), 1, body)
            self.assertEqual(err[0]["status"], status)
            self.assertTrue(err[0]["error"])
            self.assertIsInstance(err[0]["web_publish_ms"], int)
        self.assertIn("myspace", self.post(srv, url, {"platforms": ["myspace"]}).json()["detail"])
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.image_names(), [IMG])


class ConcurrencyTest(WebCase):
    images = [IMG, IMG2]

    def test_one_image_goes_out_once(self):
        srv = self.serve()
        results = [None] * 4

        def publish(i):
            results[i] = srv.request("/api/images/%s/publish" % IMG, method="POST",
                                     headers=["X-Request-ID: same-%d" % i])
        threads = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        # Meanwhile the cheap routes keep answering.
        for _ in range(10):
            self.assertStatus(self.get(srv, "/health"), 200)
        for t in threads:
            t.join(60)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200, 404, 404, 404], results)
        for r in results:
            self.assertCommon(r)
        self.assertEqual(len(self.ws.posts()), 1)
        self.assertEqual(self.ws.image_names(), [IMG2])


class BrokenImageTest(WebCase):
    images = []

    def test_undecodable_image(self):
        with open(os.path.join(self.ws.images, "broken.jpg"), "wb") as f:
            f.write(b"\xff\xd8 not a JPEG " * 200)
        srv = self.serve()
        r = self.assertStatus(self.get(srv, "/api/images/broken.jpg/file"), 200)
        self.assertEqual(r.body, b"\xff\xd8 not a JPEG " * 200)
        r = self.get(srv, "/api/images/broken.jpg/file?w=100")
        self.assertEqual(r.status, 422, r)
        r = self.post(srv, "/api/images/broken.jpg/analyze", headers=["X-Request-ID: broken-1"])
        self.assertTrue(400 <= r.status < 600 and r.status != 500, r)
        err = [l for l in srv.request_lines("broken-1") if l["message"] == "web_analyze_error"]
        self.assertEqual(len(err), 1)
        self.assertEqual(err[0]["status"], r.status)
        r = self.post(srv, "/api/images/broken.jpg/publish", headers=["X-Request-ID: broken-2"])
        self.assertTrue(400 <= r.status < 600 and r.status != 500, r)
        self.assertEqual(self.ws.posts(), [])
        # publishing it set it aside
        self.assertEqual(self.ws.image_names(), [])
        self.assertEqual(os.listdir(os.path.join(self.ws.images, "quarantine")), ["broken.jpg"])


class UnsupportedTypesTest(WebCase):
    images = []

    def test_no_images_names_what_was_skipped(self):
        for name in ("a.gif", "b.GIF", "c.gif", "d.bmp", "e.bmp"):
            with open(os.path.join(self.ws.images, name), "wb") as f:
                f.write(b"not read")
        srv = self.serve()
        r = self.assertStatus(self.get(srv, "/api/images/random"), 404)
        self.assertEqual(r.json(), {"detail": "No images found in %s (skipped 3 .gif, 2 .bmp; "
                                              "supported types: .jpg, .jpeg, .png, .webp, .tif, .tiff, .heic, .heif)" % self.ws.images})


class EmptyFolderTest(WebCase):
    images = []

    def test_no_images(self):
        srv = self.serve()
        no_images = "No images found in %s (supported types: .jpg, .jpeg, .png, .webp, .tif, .tiff, .heic, .heif)" % self.ws.images
        r = self.assertStatus(self.get(srv, "/api/images/random", headers=["X-Request-ID: empty-1"]), 404)
        self.assertEqual(r.json(), {"detail": no_images})
        err = [l for l in srv.request_lines("empty-1") if l["message"] == "web_random_image_error"]
        self.assertEqual(len(err), 1)
        self.assertEqual(err[0]["error"], no_images)
        self.assertIsInstance(err[0]["web_random_image_ms"], int)


class SidecarTest(WebCase):
    images = [IMG]

    def test_random_shows_sidecar(self):
        with open(os.path.join(self.ws.images, IMG[:-4] + ".txt"), "w") as f:
            f.write("soft tabby portrait, window light\n\n# ---\n# image_file: %s\n"
                    "# caption: A cat considers the afternoon.\n# tags: [\"cat\",\"tabby\"]\n" % IMG)
        srv = self.serve()
        for _ in range(3):
            body = self.assertStatus(self.get(srv, "/api/images/random"), 200).json()
            self.assertEqual(body["filename"], IMG, "the sidecar is not an image")
            self.assertIs(body["has_sidecar"], True)
            self.assertEqual(body["caption"], "A cat considers the afternoon.")
            self.assertEqual(body["sd_caption"], "soft tabby portrait, window light")
            self.assertEqual(body["metadata"]["image_file"], IMG)
            self.assertEqual(body["metadata"]["tags"], ["cat", "tabby"])
        # A sidecar with a caption answers analyze without the AI.
        r = self.assertStatus(self.post(srv, "/api/images/%s/analyze" % IMG, headers=["X-Request-ID: sc-1"]), 200)
        self.assertEqual(r.json()["caption"], "A cat considers the afternoon.")
        self.assertEqual([l for l in srv.request_lines("sc-1") if l["logger"] == "ai"], [])

    def test_empty_sidecar_is_no_sidecar(self):
        for text in ("", " \n\n"):
            with open(os.path.join(self.ws.images, IMG[:-4] + ".txt"), "w") as f:
                f.write(text)
            srv = self.serve()
            body = self.assertStatus(self.get(srv, "/api/images/random"), 200).json()
            self.assertEqual(body["filename"], IMG)
            self.assertIs(body["has_sidecar"], False, repr(text))
            self.assertIsNone(body["caption"])
            self.assertIsNone(body["metadata"])
            # analyze runs the AI and writes a real sidecar.
            rid = "empty-sc-%d" % len(text)
            r = self.assertStatus(self.post(srv, "/api/images/%s/analyze" % IMG,
                                            headers=["X-Request-ID: " + rid]), 200).json()
            self.assertIs(r["cache_hit"], False)
            self.assertTrue(r["caption"])
            self.assertEqual(len([l for l in srv.request_lines(rid)
                                  if l["message"] == "vision_analysis"]), 1)
            self.assertIs(self.get(srv, "/api/images/random").json()["has_sidecar"], True)
            self.stop_server(srv)


class PlatformsTest(WebCase):
    images = [IMG, IMG2, IMG3]

    def test_platforms_list_is_honoured(self):
        tg = FakeTelegram().start()
        self.addCleanup(tg.stop)
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Telegram", "api_url", tg.url)
        srv = self.serve({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_CHANNEL_ID": tg.chat_id})
        status = self.get(srv, "/api/admin/status").json()
        self.assertEqual(sorted(status["platforms"]), ["outbox", "telegram"])

        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG, {"platforms": ["outbox"]}), 200).json()
        self.assertEqual(list(r["results"]), ["outbox"])
        self.assertIs(r["results"]["outbox"]["success"], True)
        self.assertEqual(tg.photos, [], "telegram was not asked for")
        self.assertEqual(len(self.ws.posts()), 1)

        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG2, {"platforms": ["telegram"]}), 200).json()
        self.assertEqual(list(r["results"]), ["telegram"])
        self.assertEqual(r["results"]["telegram"]["post_id"], str(tg.photos[0]["message_id"]))
        self.assertEqual(len(tg.photos), 1)
        self.assertEqual(len(self.ws.posts()), 1, "outbox was not asked for")

        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG3), 200).json()
        self.assertEqual(sorted(r["results"]), ["outbox", "telegram"])
        self.assertIs(r["any_success"], True)
        self.assertEqual(len(tg.photos), 2)
        self.assertEqual(len(self.ws.posts()), 2)
        self.assertEqual(sorted(f for f in self.ws.archived() if f.endswith(".jpg")), sorted([IMG, IMG2, IMG3]))
        srv.stop()
        text = srv.all_output()
        self.assertNotIn(tg.token.split(":")[1], text)


# ---- auth ------------------------------------------------------------------------

class AuthMatrixTest(WebCase):
    images = [IMG]
    URL = "/api/images/%s/analyze" % IMG

    def protected(self, srv, *headers, args=()):
        return self.post(srv, self.URL, headers=list(headers), args=args)

    def assertRefused(self, r, scheme):
        self.assertStatus(r, 401)
        self.assertEqual(r.json(), {"detail": "Not authenticated"})
        self.assertTrue(r.header("WWW-Authenticate", ).startswith(scheme), r)

    def assertPublic(self, srv):
        for path in ("/", "/health", "/api/images/random", "/api/images/%s/file" % IMG, "/api/admin/status"):
            self.assertStatus(self.get(srv, path), 200)

    def test_no_auth_configured(self):
        srv = self.serve()
        self.assertStatus(self.protected(srv), 200)
        self.assertStatus(self.protected(srv, "Authorization: Bearer anything"), 200)
        self.assertIs(self.get(srv, "/api/admin/status").json()["auth_required"], False)

    def test_bearer(self):
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN})
        self.assertStatus(self.protected(srv, "Authorization: Bearer " + TOKEN), 200)
        self.assertStatus(self.protected(srv, "Authorization: bearer " + TOKEN), 200)
        self.assertRefused(self.protected(srv), "Bearer")
        for wrong in ("Bearer " + TOKEN + "x", "Bearer " + TOKEN[:-1], "Bearer ", "Bearer",
                      "Token " + TOKEN, TOKEN, "Basic " + __import__("base64").b64encode(
                          (USER + ":" + TOKEN).encode()).decode()):
            self.assertRefused(self.protected(srv, "Authorization: " + wrong), "Bearer")
        self.assertPublic(srv)
        self.assertIs(self.get(srv, "/api/admin/status").json()["auth_required"], True)
        lines = srv.stop()
        self.assertNotIn(TOKEN, srv.all_output())
        refused = [l for l in lines if l["message"] == "web_analyze_error"]
        self.assertEqual(len(refused), 8)
        self.assertTrue(all(l["status"] == 401 and l["error"] for l in refused))

    def test_basic(self):
        import base64
        srv = self.serve({"WEB_AUTH_USER": USER, "WEB_AUTH_PASS": PASS})
        self.assertStatus(self.protected(srv, args=["-u", USER + ":" + PASS]), 200)
        self.assertRefused(self.protected(srv), "Basic")
        for user, pw in ((USER, PASS + "x"), (USER, ""), (USER + "x", PASS), ("", PASS), (PASS, USER)):
            self.assertRefused(self.protected(srv, args=["-u", user + ":" + pw]), "Basic")
        for raw in ("Basic !!!notbase64", "Basic " + base64.b64encode(USER.encode()).decode(),
                    "Basic " + base64.b64encode((USER + ":" + PASS + "\0").encode()).decode(),
                    "Bearer " + PASS):
            self.assertRefused(self.protected(srv, "Authorization: " + raw), "Basic")
        self.assertPublic(srv)
        srv.stop()
        self.assertNotIn(PASS, srv.all_output())

    def test_bearer_and_basic(self):
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN, "WEB_AUTH_USER": USER, "WEB_AUTH_PASS": PASS})
        self.assertStatus(self.protected(srv, "Authorization: Bearer " + TOKEN), 200)
        self.assertStatus(self.protected(srv, args=["-u", USER + ":" + PASS]), 200)
        self.assertStatus(self.protected(srv, "Authorization: Bearer " + PASS), 401)
        self.assertStatus(self.protected(srv, args=["-u", USER + ":" + TOKEN]), 401)
        self.assertStatus(self.protected(srv), 401)
        self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG), 401)
        self.assertEqual(self.ws.posts(), [])


class AdminCookieTest(WebCase):
    images = [IMG, IMG2]
    TTL = 120
    ANALYZE = "/api/images/%s/analyze" % IMG

    def admin_server(self, **env):
        e = {"web_admin_pw": ADMIN_PW, "WEB_SESSION_SECRET": SECRET,
             "WEB_ADMIN_COOKIE_TTL_SECONDS": str(self.TTL)}
        e.update(env)
        return self.serve(e)

    def login(self, srv, password=ADMIN_PW, **kw):
        return self.post(srv, "/api/admin/login", {"password": password}, **kw)

    def test_signed_cookie(self):
        srv = self.admin_server()
        key = session_key(SECRET)
        self.assertFalse(os.path.exists(os.path.join(self.ws.dir, "web-session.key")),
                         "WEB_SESSION_SECRET is set: no key file")
        # Without the cookie: 403 on the mutating routes.
        r = self.assertStatus(self.post(srv, self.ANALYZE, headers=["X-Request-ID: no-cookie"]), 403)
        err = [l for l in srv.request_lines("no-cookie") if l["message"] == "web_analyze_error"]
        self.assertEqual(err[0]["status"], 403)
        self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG), 403)
        self.assertIs(self.get(srv, "/api/admin/status").json()["admin"], False)
        self.assertIs(self.get(srv, "/api/admin/status").json()["admin_configured"], True)

        # Wrong password: 401, no cookie.
        r = self.assertStatus(self.login(srv, "not-the-password"), 401)
        self.assertEqual(r.all("Set-Cookie"), [])

        # Right password: a cookie signed over its expiry.
        before = int(time.time())
        r = self.assertStatus(self.login(srv), 200)
        after = int(time.time())
        self.assertEqual(r.json(), {"admin": True})
        cookies = r.all("Set-Cookie")
        self.assertEqual(len(cookies), 1)
        name, value, attrs = cookie_parts(cookies[0])
        self.assertEqual(name, "pv2_admin")
        self.assertIs(attrs.get("httponly"), True)
        self.assertEqual(attrs.get("samesite"), "Lax")
        self.assertEqual(attrs.get("path"), "/")
        self.assertEqual(attrs.get("max-age"), str(self.TTL))
        self.assertNotIn("secure", attrs)
        expiry = int(value.split(".")[0])
        self.assertGreaterEqual(expiry, before + self.TTL)
        self.assertLessEqual(expiry, after + self.TTL)
        self.assertEqual(value, sign(key, expiry), "the value is HMAC-SHA256(key, pv2_admin:<expiry>)")

        self.assertStatus(self.post(srv, self.ANALYZE, headers=[admin_cookie(value)]), 200)
        self.assertIs(self.get(srv, "/api/admin/status", headers=[admin_cookie(value)]).json()["admin"], True)

        # A cookie we sign ourselves with the documented key works too: this
        # is the verification, not a lookup of issued values.
        now = int(time.time())
        self.assertStatus(self.post(srv, self.ANALYZE, headers=[admin_cookie(sign(key, now + 60))]), 200)

        mac = value.split(".")[1]
        flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
        forged = {
            "upstream constant": "1",
            "empty": "",
            "random hex": secrets.token_hex(32),
            "random MAC": "%d.%s" % (expiry, secrets.token_hex(32)),
            "tampered MAC": "%d.%s" % (expiry, flipped),
            "uppercase MAC": "%d.%s" % (expiry, mac.upper()),
            "changed expiry": "%d.%s" % (expiry + 1, mac),
            "earlier expiry": "%d.%s" % (expiry - 1, mac),
            "expired": sign(key, now - 5),
            "long expired": sign(key, now - 86400),
            "beyond the TTL": sign(key, now + 86400),
            "other secret": sign(session_key(SECRET + "x"), now + 60),
            "raw secret as key": sign(SECRET.encode(), now + 60),
            "no MAC": "%d." % expiry,
            "no expiry": "." + mac,
            "signed zero": sign(key, 0),
            "negative": sign(key, -1),
            "leading zero": "0" + sign(key, now + 60),
            "trailing garbage": value + "00",
            "MAC only": mac,
        }
        for why, v in forged.items():
            r = self.post(srv, self.ANALYZE, headers=[admin_cookie(v)])
            self.assertEqual(r.status, 403, "%s cookie %r accepted" % (why, v))
            self.assertIs(self.get(srv, "/api/admin/status", headers=[admin_cookie(v)]).json()["admin"], False, why)
            self.assertEqual(self.post(srv, "/api/images/%s/publish" % IMG2,
                                       headers=[admin_cookie(v)]).status, 403, why)
        self.assertEqual(self.ws.posts(), [])

        # Logout clears the cookie: a client that keeps cookies is logged out.
        jar = os.path.join(self.ws.dir, "cookies")
        self.assertStatus(self.login(srv, args=["-c", jar]), 200)
        self.assertIs(self.get(srv, "/api/admin/status", args=["-b", jar]).json()["admin"], True)
        r = self.assertStatus(self.post(srv, "/api/admin/logout", args=["-b", jar, "-c", jar]), 200)
        self.assertEqual(r.json()["admin"], False)
        name, value, attrs = cookie_parts(r.header("Set-Cookie"))
        self.assertEqual((name, value), ("pv2_admin", ""))
        self.assertEqual(attrs.get("max-age"), "0")
        self.assertEqual(attrs.get("path"), "/")
        self.assertIs(attrs.get("httponly"), True)
        self.assertIs(self.get(srv, "/api/admin/status", args=["-b", jar]).json()["admin"], False)
        self.assertStatus(self.post(srv, self.ANALYZE, args=["-b", jar]), 403)

        # Logout ends the session on the server: a copy of the cookie taken
        # before it is refused too, and other sessions go on.
        # (a session value is its expiry second and MAC: sessions issued in
        # the same second are one, so these logins are a second apart)
        def next_second():
            time.sleep(1.05 - time.time() % 1)
        next_second()
        copied = cookie_parts(self.login(srv).header("Set-Cookie"))[1]
        next_second()
        other = cookie_parts(self.login(srv).header("Set-Cookie"))[1]
        self.assertIs(self.get(srv, "/api/admin/status", headers=[admin_cookie(copied)]).json()["admin"], True)
        self.assertStatus(self.post(srv, "/api/admin/logout", headers=[admin_cookie(copied)]), 200)
        self.assertIs(self.get(srv, "/api/admin/status", headers=[admin_cookie(copied)]).json()["admin"], False)
        self.assertStatus(self.post(srv, self.ANALYZE, headers=[admin_cookie(copied)]), 403)
        self.assertIs(self.get(srv, "/api/admin/status", headers=[admin_cookie(other)]).json()["admin"], True)

        lines = srv.stop()
        self.assertNotIn(ADMIN_PW, srv.stderr())
        self.assertNotIn(SECRET, srv.stderr())
        self.assertEqual(len([l for l in lines if l["message"] == "web_admin_login_failed"]), 1)

    def test_login_body_errors(self):
        srv = self.admin_server()
        for body, status in ((b"{bad json", 400), (b"", 422), (b"{}", 422), (b'{"password": 5}', 422),
                             (b'{"password": null}', 422), (b'["%s"]' % ADMIN_PW.encode(), 422),
                             (b'"%s"' % ADMIN_PW.encode(), 422)):
            r = self.post(srv, "/api/admin/login", body)
            self.assertEqual(r.status, status, (body, r))
            self.assertEqual(r.all("Set-Cookie"), [])

    def test_secure_cookies(self):
        srv = self.admin_server(WEB_SECURE_COOKIES="true")
        r = self.assertStatus(self.login(srv), 200)
        self.assertIs(cookie_parts(r.header("Set-Cookie"))[2].get("secure"), True)
        r = self.assertStatus(self.post(srv, "/api/admin/logout"), 200)
        self.assertIs(cookie_parts(r.header("Set-Cookie"))[2].get("secure"), True)

    def test_login_rate_limit(self):
        srv = self.admin_server()
        for i in range(5):
            r = self.assertStatus(self.login(srv, "wrong-%d" % i), 401)
            self.assertIsNone(r.header("Retry-After"))
        r = self.assertStatus(self.login(srv, "wrong-5"), 429)
        retry = r.header("Retry-After")
        self.assertRegex(retry or "", r"^[0-9]+$")
        self.assertTrue(1 <= int(retry) <= 60, retry)
        # Locked out: even the right password waits.
        r = self.assertStatus(self.login(srv), 429)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertTrue(r.header("Retry-After"))
        # Other routes are not affected.
        self.assertStatus(self.get(srv, "/api/admin/status"), 200)
        lines = srv.stop()
        self.assertEqual(len([l for l in lines if l["message"] == "web_admin_login_failed"]), 5)

    def test_login_limit_per_client_behind_a_trusted_proxy(self):
        # Behind a trusted proxy the client is X-Forwarded-For's last hop:
        # one client's failures do not lock out another behind the same proxy.
        self.ws.set("Web", "trusted_proxies", "192.0.2.10, 127.0.0.1")
        srv = self.admin_server()
        xff = lambda addr: ["X-Forwarded-For: %s, 192.0.2.10" % addr]
        for i in range(5):
            self.assertStatus(self.login(srv, "wrong-%d" % i, headers=xff("198.51.100.7")), 401)
        self.assertStatus(self.login(srv, headers=xff("198.51.100.7")), 429)
        self.assertStatus(self.login(srv, headers=xff("198.51.100.8")), 200)
        lines = srv.stop()
        failed = [l["client"] for l in lines if l["message"] == "web_admin_login_failed"]
        self.assertEqual(failed, ["198.51.100.7"] * 5)

    def test_forwarded_for_is_ignored_from_anyone_else(self):
        # Without trusted_proxies the header is the client's word: ignored,
        # so changing it does not get around the limit.
        srv = self.admin_server()
        for i in range(5):
            self.assertStatus(self.login(srv, "wrong-%d" % i,
                                         headers=["X-Forwarded-For: 203.0.113.%d" % i]), 401)
        self.assertStatus(self.login(srv, headers=["X-Forwarded-For: 203.0.113.99"]), 429)
        lines = srv.stop()
        self.assertEqual({l["client"] for l in lines if l["message"] == "web_admin_login_failed"},
                         {"127.0.0.1"})

    def test_not_configured(self):
        srv = self.serve()
        self.assertStatus(self.login(srv), 503)
        self.assertIs(self.get(srv, "/api/admin/status").json()["admin_configured"], False)
        # Without web_admin_pw no cookie is needed.
        self.assertStatus(self.post(srv, self.ANALYZE), 200)

    def test_session_key_file(self):
        env = {"web_admin_pw": ADMIN_PW}
        srv = self.serve(env)
        path = os.path.join(os.path.dirname(self.ws.state), "web-session.key")
        self.assertTrue(os.path.isfile(path))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        self.assertRegex(text, r"^[0-9a-f]{64}\n$")
        r = self.assertStatus(self.login(srv), 200)
        value = cookie_parts(r.header("Set-Cookie"))[1]
        expiry = int(value.split(".")[0])
        self.assertEqual(value, sign(bytes.fromhex(text.strip()), expiry),
                         "the cookie is signed with the stored key")
        self.assertStatus(self.post(srv, self.ANALYZE, headers=[admin_cookie(value)]), 200)
        srv.stop()

        again = self.serve(env)
        with open(path) as f:
            self.assertEqual(f.read(), text, "the key file is reused, not replaced")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertIs(self.get(again, "/api/admin/status", headers=[admin_cookie(value)]).json()["admin"], True)
        self.assertStatus(self.post(again, self.ANALYZE, headers=[admin_cookie(value)]), 200)
        # A key derived from some secret is not this key.
        forged = sign(session_key(SECRET), int(time.time()) + 60)
        self.assertStatus(self.post(again, self.ANALYZE, headers=[admin_cookie(forged)]), 403)
        again.stop()
        self.assertNotIn(text.strip(), again.stderr())


# ---- binding ----------------------------------------------------------------------

class BindTest(WebCase):
    images = [IMG]

    def test_remote_without_auth_refused(self):
        srv = WebServer(self.ws, host="0.0.0.0")
        rc, lines = srv.run_to_exit()
        self.assertEqual(rc, 2, srv.stderr())
        self.assertFalse(os.path.exists(srv.port_file))
        err = [l for l in lines if l["level"] == "error"]
        self.assertTrue(err, lines)
        text = json.dumps(err)
        self.assertIn("0.0.0.0", text)
        self.assertIn("WEB_AUTH_TOKEN", text)
        self.assertIn("--allow-remote", text)

    def test_remote_allowed(self):
        for env, args in (({}, ["--allow-remote"]), ({"WEB_AUTH_TOKEN": TOKEN}, []),
                          ({"WEB_AUTH_USER": USER, "WEB_AUTH_PASS": PASS}, [])):
            srv = self.serve(env, args, host="0.0.0.0")
            self.assertStatus(self.get(srv, "/health"), 200)
            start = [l for l in srv.lines() if l["message"] == "web_server_start"][0]
            self.assertEqual(start["host"], "0.0.0.0")
            srv.stop()
        self.ws.set("Web", "allow_remote", "true")
        srv = self.serve(host="0.0.0.0")
        self.assertStatus(self.get(srv, "/health"), 200)


# ---- traversal ----------------------------------------------------------------------

class TraversalTest(WebCase):
    images = [IMG]

    def test_only_listed_images(self):
        ws = self.ws
        marker = secrets.token_hex(16).encode()
        outside = b"OUTSIDE-" + marker + b"\xff\xd8 not for the web"
        notes = b"NOTES-" + marker
        with open(os.path.join(ws.dir, "secret.jpg"), "wb") as f:
            f.write(outside)
        with open(os.path.join(ws.dir, "secret.txt"), "wb") as f:
            f.write(outside)
        with open(os.path.join(ws.images, "notes.txt"), "wb") as f:
            f.write(notes)
        os.makedirs(os.path.join(ws.images, "sub"))
        with open(os.path.join(ws.images, "sub", "inner.jpg"), "wb") as f:
            f.write(outside)
        os.makedirs(os.path.join(ws.images, "archive"))
        with open(os.path.join(ws.images, "archive", "old.jpg"), "wb") as f:
            f.write(outside)
        os.symlink(os.path.join(ws.dir, "secret.jpg"), os.path.join(ws.images, "link.jpg"))
        os.symlink("/etc/passwd", os.path.join(ws.images, "passwd.jpg"))
        # Names with a percent sign: decoded exactly once.
        with open(os.path.join(ws.images, IMG), "rb") as f:
            img_bytes = f.read()
        shutil.copy(os.path.join(ws.images, IMG), os.path.join(ws.images, "my photo.jpg"))
        shutil.copy(os.path.join(harness.EXAMPLES, IMG2), os.path.join(ws.images, "pct%41.jpg"))
        with open(os.path.join(ws.images, "pct%41.jpg"), "rb") as f:
            pct_bytes = f.read()
        with open("/etc/passwd", "rb") as f:
            passwd = f.read()
        before = harness.tree_digest(ws.images, os.path.join(ws.dir, "secret.jpg"),
                                     os.path.join(ws.dir, "secret.txt"))
        abs_secret = os.path.join(ws.dir, "secret.jpg")
        srv = self.serve()

        # The controls: a listed image, by its name encoded once.
        self.assertEqual(self.assertStatus(self.get(srv, "/api/images/%s/file" % IMG), 200).body, img_bytes)
        self.assertEqual(self.assertStatus(self.get(srv, "/api/images/my%20photo.jpg/file"), 200).body, img_bytes)
        self.assertEqual(self.assertStatus(self.get(srv, "/api/images/pct%2541.jpg/file"), 200).body, pct_bytes)
        # Decoded twice these would be listed names: they must not be found.
        self.assertStatus(self.get(srv, "/api/images/my%2520photo.jpg/file"), 404)
        self.assertEqual(self.get(srv, "/api/images/pct%41.jpg/file").status, 404)

        names = [
            "../secret.jpg", "../../../../etc/passwd", "..", ".", "%2e%2e", "%2e",
            "..%2fsecret.jpg", "..%2Fsecret.jpg", "%2e%2e%2fsecret.jpg", "%2E%2E%2Fsecret.jpg",
            "%2e%2e/secret.jpg", ".%2e/secret.jpg", "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "%252e%252e%252fsecret.jpg", "..%252fsecret.jpg", "%25%32%65%25%32%65%25%32%66secret.jpg",
            "sub%2Finner.jpg", "sub%2finner.jpg", "archive%2Fold.jpg", "%2Fetc%2Fpasswd",
            quote(abs_secret), quote("/etc/passwd") + "%00.jpg", "..%5csecret.jpg", "%5c..%5csecret.jpg",
            "notes.txt", "notes.txt%00.jpg", IMG + "%00", IMG + "%00.txt", "%00", "%00" + IMG,
            "link.jpg", "passwd.jpg", "secret.jpg", "secret.txt", "missing.jpg",
            "%c0%ae%c0%ae%c0%afsecret.jpg", "..%c0%afsecret.jpg", "%2e%2e%5c%2e%2e%5csecret.jpg",
            IMG + "%2f..%2f..%2fsecret.jpg", IMG + "%2F", "%2F" + IMG, "....%2f%2fsecret.jpg",
            "%", "%2", "%zz.jpg", "a%0d%0aX-Injected:%201.jpg", "%0a" + IMG, "~%2f.ssh%2fid_rsa",
        ]
        bad_bodies = [outside, notes, passwd[:64], marker]
        for name in names:
            for method, suffix in (("GET", "/file"), ("GET", "/file?w=64"), ("POST", "/analyze"),
                                   ("POST", "/publish")):
                path = "/api/images/" + name + suffix
                r = self.call(srv, method, path)
                self.assertTrue(400 <= r.status < 500, "%s %s answered %d" % (method, path, r.status))
                for bad in bad_bodies:
                    self.assertNotIn(bad, r.body, "%s %s leaked a file" % (method, path))
                self.assertIsNone(r.header("X-Injected"))
        # Nothing was read into the pipeline or written anywhere.
        self.assertEqual(ws.posts(), [])
        self.assertEqual(harness.tree_digest(ws.images, os.path.join(ws.dir, "secret.jpg"),
                                             os.path.join(ws.dir, "secret.txt")), before)
        lines = srv.stop()
        for l in lines:
            self.assertNotIn(marker.decode(), json.dumps(l))
        self.assertFalse([l for l in lines if l["message"] in ("vision_analysis", "workflow_start")],
                         "a refused name reached the pipeline")


# ---- protocol ---------------------------------------------------------------------------

class ProtocolTest(WebCase):
    images = [IMG]

    def test_unknown_routes_and_methods(self):
        srv = self.serve()
        for path in ("/nope", "/api", "/api/images", "/api/images/random/extra", "/API/images/random",
                     "/health/", "//health", "/api/images/%s" % IMG, "/api/images/%s/destroy" % IMG,
                     "/index.html", "/api/admin", "/metrics/x"):
            r = self.assertStatus(self.get(srv, path), 404)
            self.assertEqual(r.json(), {"detail": "Not Found"})
        for method, path, allow in (("POST", "/health", "GET, HEAD"), ("GET", "/api/images/%s/analyze" % IMG, "POST"),
                                    ("DELETE", "/api/images/random", "GET, HEAD"), ("PUT", "/api/admin/login", "POST"),
                                    ("GET", "/api/admin/logout", "POST"), ("POST", "/", "GET, HEAD"),
                                    ("PATCH", "/api/images/%s/publish" % IMG, "POST"),
                                    ("HEAD", "/api/images/%s/publish" % IMG, "POST"),
                                    ("POST", "/api/images/%s/file" % IMG, "GET, HEAD"),
                                    ("POST", "/metrics", "GET, HEAD"), ("BREW", "/health", "GET, HEAD")):
            if method == "HEAD":
                r = raw_request(srv.port, b"HEAD %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
                self.assertEqual((r.status, r.header("Allow"), r.body), (405, allow, b""), r)
                continue
            r = self.assertStatus(self.call(srv, method, path), 405)
            self.assertEqual(r.header("Allow"), allow, (method, path))
            self.assertEqual(r.json(), {"detail": "Method Not Allowed"})

    def test_body_limits(self):
        srv = self.serve({"web_admin_pw": ADMIN_PW})
        limit = 64 * 1024
        # Exactly at the limit the body is read (wrong password: 401).
        head = b'{"password": "x", "pad": "'
        pad = head + b"a" * (limit - len(head) - 2) + b'"}'
        self.assertEqual(len(pad), limit)
        self.assertStatus(self.post(srv, "/api/admin/login", pad), 401)
        big = b'{"password": "' + ADMIN_PW.encode() + b'", "pad": "' + b"a" * limit + b'"}'
        for route in ("/api/admin/login", "/api/images/%s/publish" % IMG, "/api/images/%s/analyze" % IMG,
                      "/health", "/nope"):
            for chunked in (False, True):
                cid = "big-%d-%s" % (chunked, route.replace("/", "_"))
                r = self.post(srv, route, big, chunked=chunked, headers=["X-Request-ID: " + cid])
                self.assertEqual(r.status, 413, (route, chunked, r))
                self.assertEqual(r.all("Set-Cookie"), [])
                lines = srv.request_lines(cid)
                http = [l for l in lines if l["message"] == "http_request"]
                self.assertEqual(len(http), 1)
                self.assertEqual(http[0]["status"], 413)
                if "publish" in route:
                    err = [l for l in lines if l["message"] == "web_publish_error"]
                    self.assertEqual(len(err), 1, lines)
                    self.assertEqual(err[0]["status"], 413)
                    self.assertEqual(http[0]["route"], "/api/images/{filename}/publish")
        # A 10 MB upload is refused without being kept: the server stays up.
        r = self.post(srv, "/api/images/%s/publish" % IMG, b"x" * (10 << 20), chunked=True)
        self.assertEqual(r.status, 413)
        self.assertStatus(self.get(srv, "/health"), 200)
        self.assertEqual(self.ws.posts(), [])

    def test_oversized_headers(self):
        srv = self.serve()
        # A head of 16 KiB is read; one byte more is 431, answered like any
        # error: X-Correlation-ID, the JSON detail, one http_request line,
        # and the connection closed.
        def head(cid, size):
            start = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-ID: %s\r\nX-Pad: " % cid.encode()
            return start + b"p" * (size - len(start) - 4) + b"\r\n\r\n"
        self.assertEqual(len(head("edge-0", 16384)), 16384)
        self.assertEqual(raw_request(srv.port, head("edge-0", 16384)).status, 200)
        cases = [("edge-1", 431, raw_request(srv.port, head("edge-1", 16385)))]
        for cid, status, headers, path in (
                ("big-1", 431, ["X-Big: " + "a" * 40000], "/health"),
                ("big-2", 431, ["X-H%d: %s" % (i, "b" * 200) for i in range(100)], "/health"),
                ("big-3", 431, ["Cookie: " + "; ".join("c%d=%s" % (i, "v" * 90) for i in range(250))],
                 "/api/images/random"),
                ("long-1", 414, [], "/api/images/%s/file?pad=%s" % (IMG, "q" * 9000))):
            cases.append((cid, status, self.call(srv, "GET", path, headers=headers + ["X-Request-ID: " + cid])))
        for cid, status, r in cases:
            self.assertEqual(r.status, status, (cid, r))
            self.assertEqual(r.header("X-Correlation-ID"), cid)
            self.assertEqual((r.header("Connection") or "").lower(), "close", cid)
            self.assertIn("detail", r.json())
            http = [l for l in srv.request_lines(cid) if l["message"] == "http_request"]
            self.assertEqual([l["status"] for l in http], [status], cid)
            self.assertIsNotNone(http[0]["route"], cid)
        # Past what the server reads of a head at all, libmicrohttpd answers
        # 431 itself; the request still has its http_request line.
        n0 = len([l for l in srv.lines() if l["message"] == "http_request"])
        r = srv.request("/health", headers=["X-H%d: %s" % (i, "b" * 400) for i in range(1400)])
        self.assertEqual(r.status, 431, r)
        http = wait_until(lambda: [l for l in srv.lines() if l["message"] == "http_request"][n0:], 10,
                          "the http_request line of a head past the buffer")
        self.assertEqual([(l["status"], l["path"], l["method"]) for l in http], [(431, "/health", None)])
        self.assertTrue(UUID4.match(http[0]["correlation_id"]), http)
        r = srv.request("/" + "p" * 70000)
        self.assertTrue(400 <= r.status < 500, r)
        # Still serving.
        self.assertStatus(self.get(srv, "/health"), 200)
        self.assertStatus(self.get(srv, "/api/images/random"), 200)


# ---- correlation ids, timing, request lines -----------------------------------------------

class CorrelationTest(WebCase):
    images = [IMG, IMG2]

    def lines_of_request(self, srv, do, cid):
        """All log-file lines written while one request ran alone; its lines
        carry cid, so they must be exactly the lines written meanwhile."""
        n0 = len(srv.lines("log"))
        r = do()
        srv.request_lines(cid, "log")
        return r, srv.lines("log")[n0:]

    def test_request_id_everywhere(self):
        srv = self.serve()
        cid = "e2e.Req-42:abc"
        r, lines = self.lines_of_request(
            srv, lambda: self.post(srv, "/api/images/%s/analyze" % IMG, headers=["X-Request-ID: " + cid]), cid)
        self.assertEqual(r.header("X-Correlation-ID"), cid)
        self.assertTrue(lines)
        for l in lines:
            self.assertEqual(l.get("correlation_id"), cid, l)
        loggers = {l["logger"] for l in lines}
        self.assertTrue({"web", "ai", "workflow"} <= loggers, loggers)

        cid = "e2e-publish-7"
        r, lines = self.lines_of_request(
            srv, lambda: self.post(srv, "/api/images/%s/publish" % IMG, headers=["X-Request-ID: " + cid]), cid)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("X-Correlation-ID"), cid)
        for l in lines:
            self.assertEqual(l.get("correlation_id"), cid, l)
        loggers = {l["logger"] for l in lines}
        self.assertTrue({"web", "ai", "workflow", "storage", "publisher.outbox"} <= loggers, loggers)
        msgs = [l["message"] for l in lines]
        for m in ("vision_analysis", "publisher_publish", "workflow_complete", "web_publish_complete", "http_request"):
            self.assertIn(m, msgs)
        self.assertEqual(msgs[-1], "http_request")
        # stderr has the same lines as the log file.
        self.assertEqual([l for l in srv.lines() if l.get("correlation_id") == cid], lines)

        # The longest valid id is kept as is.
        longest = "A" * 128
        self.assertEqual(self.get(srv, "/health", headers=["X-Request-ID: " + longest]).header("X-Correlation-ID"), longest)

    def test_invalid_request_ids_replaced(self):
        srv = self.serve()
        seen = set()
        markers = []

        def check_fresh(r, marker, status=200):
            self.assertEqual(r.status, status, r)
            cid = r.header("X-Correlation-ID")
            self.assertRegex(cid, UUID4)
            self.assertNotIn(cid, seen)
            seen.add(cid)
            self.assertNotIn(marker, cid)
            self.assertIsNone(r.header("X-Injected"))
            markers.append(marker)
            return cid

        invalid = ['quote"Q1', "single'Q2", "space Q3", "semi;Q4", "slash/Q5", "brace{Q6}", "Q7" + "x" * 2046,
                   "Q8" + "y" * 127, "uni\u00e9Q9", "<script>Q10</script>", "comma,Q11", "plus+Q12", "Q13%0d%0a"]
        for v in invalid:
            marker = re.search(r"Q\d+", v).group(0)
            r = self.get(srv, "/health", headers=["X-Request-ID: " + v])
            cid = check_fresh(r, marker)
            http = [l for l in srv.request_lines(cid) if l["message"] == "http_request"]
            self.assertEqual(len(http), 1)
        # CR and LF cannot be sent with curl: a raw request.
        for value in (b"cr\rQ20", b"fold\r\n Q21", b"tab\tQ22", b"del\x7fQ24", b"hi\xffQ25"):
            marker = re.search(rb"Q\d+", value).group(0).decode()
            r = raw_request(srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + value +
                            b"\r\nConnection: close\r\n\r\n")
            if r is None or r.status == 400 and r.header("X-Correlation-ID") is None:
                continue  # refused by the HTTP parser itself: nothing was logged under it
            # A folded line is refused (obsolete line folding), under a new id.
            check_fresh(r, marker, 400 if b"\r\n " in value else 200)
            self.assertCommon(r)
        # libmicrohttpd ends a header value at a NUL byte: the rest is never seen.
        r = raw_request(srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: nul\x00Q23\r\n"
                        b"Connection: close\r\n\r\n")
        if r is not None and r.header("X-Correlation-ID") is not None:
            cid = r.header("X-Correlation-ID")
            self.assertTrue(cid == "nul" or UUID4.match(cid), cid)
        markers.append("Q23")
        # A bare LF ends the header line: what follows is another header, never part of the id.
        r = raw_request(srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: lf\nX-Injected: Q26\r\n"
                        b"Connection: close\r\n\r\n")
        self.assertNotIn("Q26", r.header("X-Correlation-ID") or "")
        self.assertIsNone(r.header("X-Injected"))
        markers.append("Q26")

        # traceparent
        trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        tp = "00-%s-00f067aa0ba902b7-01" % trace
        self.assertEqual(self.get(srv, "/health", headers=["traceparent: " + tp]).header("X-Correlation-ID"), trace)
        self.assertEqual(self.get(srv, "/health", headers=["traceparent: " + tp, 'X-Request-ID: bad"Q30']
                                  ).header("X-Correlation-ID"), trace)
        markers.append("Q30")
        self.assertEqual(self.get(srv, "/health", headers=["traceparent: " + tp, "X-Request-ID: wins-1"]
                                  ).header("X-Correlation-ID"), "wins-1")
        for bad in ("ff-%s-00f067aa0ba902b7-01" % trace, "00-%s-00f067aa0ba902b7-01" % ("0" * 32),
                    "00-%s-%s-01" % (trace, "0" * 16), "00-%s-00f067aa0ba902b7-01" % trace.upper(),
                    "00-%s-00f067aa0ba902b7" % trace, "00-%s-00f067aa0ba902b7-01" % trace[:-1],
                    "xx-%s-00f067aa0ba902b7-01" % trace):
            cid = self.get(srv, "/health", headers=["traceparent: " + bad]).header("X-Correlation-ID")
            self.assertRegex(cid, UUID4, bad)

        srv.stop()
        text = srv.all_output()
        for m in markers:
            self.assertNotIn(m, text, "an invalid id reached the log")
        self.assertNotIn("x" * 100, text)

    def test_every_answer_has_an_id(self):
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN, "web_admin_pw": ADMIN_PW, "WEB_SESSION_SECRET": SECRET})
        bearer = "Authorization: Bearer " + TOKEN
        cases = [
            (401, "POST", "/api/images/%s/analyze" % IMG, [], None),
            (403, "POST", "/api/images/%s/analyze" % IMG, [bearer], None),
            (404, "GET", "/nope", [], None),
            (405, "DELETE", "/health", [], None),
            (413, "POST", "/api/admin/login", [], b"x" * 70000),
            (400, "POST", "/api/admin/login", [], b"{"),
            (422, "POST", "/api/admin/login", [], b"{}"),
            (401, "POST", "/api/admin/login", [], b'{"password": "no"}'),
            (400, "GET", "/api/images/notes.txt/file", [], None),
            (404, "GET", "/api/images/missing.jpg/file", [], None),
            (200, "GET", "/health", [], None),
        ]
        for i, (status, method, path, headers, body) in enumerate(cases):
            cid = "every-%d" % i
            r = self.call(srv, method, path, headers=headers + ["X-Request-ID: " + cid], data=body)
            self.assertEqual(r.status, status, (method, path, r))
            self.assertEqual(r.header("X-Correlation-ID"), cid)
            http = [l for l in srv.request_lines(cid) if l["message"] == "http_request"]
            self.assertEqual(len(http), 1)
        # A 304 too.
        etag = self.get(srv, "/api/images/%s/file" % IMG).header("ETag")
        r = self.get(srv, "/api/images/%s/file" % IMG, headers=["If-None-Match: " + etag, "X-Request-ID: every-304"])
        self.assertEqual(r.status, 304)
        self.assertEqual(r.header("X-Correlation-ID"), "every-304")


class RequestLinesTest(WebCase):
    images = [IMG]

    def test_one_http_request_line_per_request(self):
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN})
        bearer = "Authorization: Bearer " + TOKEN
        reqs = [("GET", "/health", [], None), ("GET", "/", [], None), ("GET", "/api/images/random", [], None),
                ("GET", "/api/images/%s/file" % IMG, [], None), ("GET", "/api/images/%s/file?w=100" % IMG, [], None),
                ("POST", "/api/images/%s/analyze" % IMG, [bearer], None),
                ("POST", "/api/images/%s/analyze?force_refresh=1" % IMG, [bearer], None),
                ("POST", "/api/images/%s/analyze" % IMG, [], None),
                ("POST", "/api/images/missing.jpg/analyze", [bearer], None),
                ("POST", "/api/images/notes.txt/analyze", [bearer], None),
                ("POST", "/api/images/%s/publish" % IMG, [bearer], b'{"platforms": ["nope"]}'),
                ("POST", "/api/images/%s/publish" % IMG, [bearer], b"{"),
                ("POST", "/api/images/missing.jpg/publish", [bearer], None),
                ("GET", "/nope?x=1", [], None), ("PUT", "/health", [], None),
                ("GET", "/metrics", [bearer], None), ("GET", "/metrics", [], None),
                ("POST", "/api/admin/login", [], b'{"password": "x"}'),
                ("GET", "/api/admin/status", [], None), ("POST", "/api/admin/logout", [], None)]
        got = []
        for i, (method, path, headers, body) in enumerate(reqs):
            cid = "line-%02d" % i
            r = self.call(srv, method, path, headers=headers + ["X-Request-ID: " + cid], data=body)
            got.append((cid, method, path, r))
        for cid, method, path, r in got:
            lines = srv.request_lines(cid)
            http = [l for l in lines if l["message"] == "http_request"]
            self.assertEqual(len(http), 1, lines)
            h = http[0]
            self.assertEqual(h["logger"], "web")
            self.assertEqual(h["method"], method)
            self.assertEqual(h["path"], path.split("?")[0])
            self.assertEqual(h["status"], r.status)
            self.assertIsInstance(h["duration_ms"], int)
            self.assertGreaterEqual(h["duration_ms"], 0)
            self.assertEqual(h["bytes"], len(r.body))
            self.assertTrue(h["route"] is None or h["route"] in ROUTES, h)
            # The route's web_* line: exactly one, _error unless 2xx.
            events = {"/api/images/random": "web_random_image", "analyze": "web_analyze_complete",
                      "publish": "web_publish_complete"}
            ev = None
            for k, v in events.items():
                if path.split("?")[0].endswith(k) or path.startswith(k):
                    ev = v
            web = [l for l in lines if l["message"].startswith("web_") and l["message"] not in
                   ("web_vision_analysis_start", "web_sidecar_upload_complete", "web_sidecar_upload_error",
                    "web_admin_login_failed", "web_admin_login")]
            if ev is None:
                self.assertEqual(web, [], lines)
                continue
            name = ev if r.status < 300 else ev.replace("_complete", "") + "_error"
            self.assertEqual([l["message"] for l in web], [name], path)
            ms_field = {"web_random_image": "web_random_image_ms", "web_analyze_complete": "web_analyze_ms",
                        "web_publish_complete": "web_publish_ms"}[ev]
            self.assertIsInstance(web[0][ms_field], int)
            self.assertEqual(web[0]["status"], r.status)
            if r.status >= 300:
                self.assertEqual(web[0]["error"], r.json()["detail"])
            else:
                self.assertIsNone(web[0]["error"])


# ---- AI through the fake OpenAI server; SIGTERM during a slow request -------------------------

class OpenAIWebTest(WebCase):
    images = [IMG]

    def setUp(self):
        super().setUp()
        self.fake = FakeOpenAI(api_key=OPENAI_KEY).start()
        self.addCleanup(self.fake.stop)
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", self.fake.base_url)
        self.ws.env["OPENAI_API_KEY"] = OPENAI_KEY

    def test_sidecar_cache_and_force_refresh(self):
        srv = self.serve()
        url = "/api/images/%s/analyze" % IMG
        first = self.assertStatus(self.post(srv, url, headers=["X-Request-ID: oa-1"]), 200).json()
        calls = len(self.fake.chat_requests())
        self.assertGreaterEqual(calls, 1)
        self.assertEqual(first["description"], self.fake.analysis["description"])
        self.assertTrue(first["caption"].startswith(self.fake.caption), first)
        self.assertEqual(first["sd_caption"], self.fake.sd_caption)
        va = [l for l in srv.request_lines("oa-1") if l["message"] == "vision_analysis"]
        self.assertEqual(len(va), 1)
        self.assertEqual(va[0]["logger"], "ai")

        second = self.assertStatus(self.post(srv, url, headers=["X-Request-ID: oa-2"]), 200).json()
        self.assertEqual(len(self.fake.chat_requests()), calls, "the sidecar answered: no AI call")
        self.assertEqual(second["sd_caption"], self.fake.sd_caption)
        lines = srv.request_lines("oa-2")
        self.assertIs([l for l in lines if l["message"] == "web_analyze_complete"][0]["cache_hit"], True)
        self.assertEqual([l for l in lines if l["message"] == "vision_analysis"], [])

        self.fake.sd_caption = "a fresh sd caption"
        # Query values are percent-decoded once: %74rue is "true".
        third = self.assertStatus(self.post(srv, url + "?force_refresh=%74rue", headers=["X-Request-ID: oa-3"]), 200).json()
        self.assertEqual(len(self.fake.chat_requests()), 2 * calls)
        self.assertEqual(third["sd_caption"], "a fresh sd caption")
        lines = srv.request_lines("oa-3")
        self.assertIs([l for l in lines if l["message"] == "web_analyze_complete"][0]["cache_hit"], False)
        self.assertEqual(len([l for l in lines if l["message"] == "vision_analysis"]), 1)
        with open(os.path.join(self.ws.images, IMG[:-4] + ".txt")) as f:
            self.assertEqual(f.readline().strip(), "a fresh sd caption")

        # An AI failure is an error answer with its web_analyze_error line.
        self.fake.queue_status(401, times=3)
        r = self.post(srv, url + "?force_refresh=1", headers=["X-Request-ID: oa-4"])
        self.assertEqual(r.status, 502, r)
        err = [l for l in srv.request_lines("oa-4") if l["message"] == "web_analyze_error"]
        self.assertEqual(len(err), 1)
        self.assertEqual(err[0]["status"], 502)
        self.assertTrue(err[0]["error"])
        self.assertIsInstance(err[0]["web_analyze_ms"], int)
        srv.stop()
        self.assertNotIn(OPENAI_KEY, srv.stderr())

    def test_ai_rate_limit_is_503_with_retry_after(self):
        # The AI's 429 keeps its kind through the stages: 503, and the wait
        # the AI asked for, once its retries are spent.
        srv = self.serve()
        self.fake.queue_status(429, headers={"Retry-After": "2"}, times=3)
        r = self.post(srv, "/api/images/%s/analyze" % IMG, headers=["X-Request-ID: oa-429"])
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header("Retry-After"), "2")
        self.assertEqual(len(self.fake.chat_requests()), 3)
        lines = srv.request_lines("oa-429")
        err = [l for l in lines if l["message"] == "web_analyze_error"]
        self.assertEqual([e["status"] for e in err], [503])
        va = [l for l in lines if l["message"] == "vision_analysis"]
        self.assertEqual([v["error_type"] for v in va], ["rate_limited"])
        srv.stop()

    def test_sigterm_during_slow_request(self):
        srv = self.serve()
        self.fake.queue_reply(delay=3.0)
        result = {}

        def slow():
            result["r"] = srv.request("/api/images/%s/analyze" % IMG, method="POST",
                                      headers=["X-Request-ID: slow-1"])
        t = threading.Thread(target=slow)
        t.start()
        wait_until(lambda: self.fake.chat_requests(), 15, "the AI call")
        signalled = time.monotonic()
        srv.signal(signal.SIGTERM)
        wait_until(lambda: any(l["message"] == "web_server_stopping" for l in srv.lines()), 10, "web_server_stopping")
        # New connections are refused while the slow request finishes.
        self.assertIsNone(result.get("r"), "the slow request finished before the check")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        t.join(30)
        r = result["r"]
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["filename"], IMG)
        self.assertEqual(r.header("X-Correlation-ID"), "slow-1")
        rc = srv.proc.wait(30)
        self.assertGreaterEqual(time.monotonic() - signalled, 1.5, "the request was not slow")
        self.assertEqual(rc, 0)
        lines = srv.stop()
        msgs = [l["message"] for l in lines]
        self.assertLess(msgs.index("web_server_stopping"), msgs.index("web_server_stopped"))
        done = [l for l in lines if l["message"] == "http_request" and l.get("correlation_id") == "slow-1"]
        self.assertEqual(len(done), 1)
        self.assertEqual(done[0]["status"], 200)
        self.assertLess(msgs.index("web_server_stopping"), lines.index(done[0]))


# ---- /metrics ----------------------------------------------------------------------------------

class MetricsTest(WebCase):
    images = [IMG, IMG2]

    def scrape(self, srv, headers=()):
        r = self.assertStatus(self.get(srv, "/metrics", headers=list(headers)), 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain; version=0.0.4"), r)
        text = r.body.decode("utf-8")
        if PROMTOOL:
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, "promtool check metrics:\n%s%s" % (p.stdout, p.stderr))
        samples, types = parse_prometheus(text)
        return text, samples, types

    def test_metrics(self):
        srv = self.serve()
        text, s0, types = self.scrape(srv)
        self.assertEqual(types["http_server_request_duration_seconds"], "histogram")
        self.assertEqual(types["photopub_stage_duration_seconds"], "histogram")
        self.assertEqual(types["photopub_publish_total"], "counter")
        key = dict(http_request_method="GET", http_route="/health", http_response_status_code="200")
        n0 = metric(s0, "http_server_request_duration_seconds_count", **key)
        for _ in range(7):
            self.assertStatus(self.get(srv, "/health"), 200)
        self.assertStatus(self.get(srv, "/api/images/%s/file" % IMG), 200)
        self.assertStatus(self.get(srv, "/api/images/secret-name-zz.jpg/file"), 404)
        self.assertStatus(self.get(srv, "/nope/raw-path-yy"), 404)
        self.assertStatus(self.call(srv, "POST", "/health"), 405)
        text, s1, _ = self.scrape(srv)
        self.assertEqual(metric(s1, "http_server_request_duration_seconds_count", **key), n0 + 7)
        self.assertEqual(metric(s1, "http_server_request_duration_seconds_bucket", le="+Inf", **key), n0 + 7)
        self.assertEqual(metric(s1, "http_server_request_duration_seconds_count", http_request_method="GET",
                                http_route="/api/images/{filename}/file", http_response_status_code="404"), 1)
        self.assertEqual(metric(s1, "http_server_request_duration_seconds_count", http_request_method="POST",
                                http_route="/health", http_response_status_code="405"), 1)
        routes = {dict(l).get("http_route") for (n, l) in s1 if n.startswith("http_server_request_duration")}
        self.assertTrue(routes <= ROUTES | {""}, routes)
        for raw in (IMG, "secret-name-zz", "raw-path-yy"):
            self.assertNotIn(raw, text)

        # A publish moves the publish counter and the stage histogram.
        before = metric(s1, "photopub_publish_total", platform="outbox", result="success")
        total0 = metric(s1, "photopub_stage_duration_seconds_count", stage="total")
        self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG), 200)
        _, s2, _ = self.scrape(srv)
        self.assertEqual(metric(s2, "photopub_publish_total", platform="outbox", result="success"), before + 1)
        self.assertEqual(metric(s2, "photopub_publish_total", platform="outbox", result="failure"), 0)
        self.assertEqual(metric(s2, "photopub_stage_duration_seconds_count", stage="total"), total0 + 1)
        self.assertGreater(metric(s2, "photopub_stage_duration_seconds_sum", stage="total"), 0)
        self.assertEqual(metric(s2, "photopub_stage_duration_seconds_count", stage="publish_outbox"), 1)

    def test_metrics_auth(self):
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN})
        r = self.assertStatus(self.get(srv, "/metrics"), 401)
        self.assertTrue(r.header("WWW-Authenticate"))
        self.assertStatus(self.get(srv, "/metrics", headers=["Authorization: Bearer wrong"]), 401)
        self.scrape(srv, ["Authorization: Bearer " + TOKEN])
        srv.stop()
        self.ws.set("Web", "metrics_public", "true")
        srv = self.serve({"WEB_AUTH_TOKEN": TOKEN})
        self.scrape(srv)
        # Only /metrics became public.
        self.assertStatus(self.post(srv, "/api/images/%s/analyze" % IMG), 401)


if __name__ == "__main__":
    harness.main()
