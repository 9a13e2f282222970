"""Hostile images (tests/e2e/hostile.py) thrown at `run` and `serve`: each
one gets a correct copy or the quarantine, never a crash, and every line of
stderr and of --log-file stays one JSON object. A correct copy is the
picture as it should be displayed: its size (EXIF orientation applied,
scaled to Telegram's 1280 px), and its colours (CMYK converted, 16-bit
scaled, alpha flattened on white)."""

import io
import os
import shutil
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import hostile  # noqa: E402
import webharness  # noqa: E402

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402
from PIL import Image  # noqa: E402

CORPUS = None
EXPECT = None


def setUpModule():
    global CORPUS, EXPECT
    CORPUS = tempfile.mkdtemp(prefix="pp-hostile-")
    EXPECT = hostile.make(CORPUS)


def tearDownModule():
    shutil.rmtree(CORPUS, ignore_errors=True)


# How far a copy's mean colour may be from the original's, per channel
# (JPEG at quality 85, scaling; CMYK through a colour profile).
TOLERANCE = {"cmyk.jpg": 40}


class HostileRunTest(harness.TestCase):
    images = []

    def setUp(self):
        super().setUp()
        for name in EXPECT:
            shutil.copy(os.path.join(CORPUS, name), self.ws.images)
        self.tg = FakeTelegram().start()
        self.addCleanup(self.tg.stop)
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Telegram", "api_url", self.tg.url)
        self.ws.env.update({"TELEGRAM_BOT_TOKEN": self.tg.token,
                            "TELEGRAM_CHANNEL_ID": self.tg.chat_id})

    def test_every_hostile_image(self):
        log_file = os.path.join(self.ws.dir, "run.log")
        for name in sorted(EXPECT):
            with self.subTest(image=name):
                sent = len(self.tg.photos)
                res = self.ws.run("--select", name, "--log-file", log_file)
                self.assertIn(res.rc, (0, 1), res.stderr[-2000:])
                if EXPECT[name] == "quarantine":
                    self.assertEqual(res.rc, 1, res.stderr[-2000:])
                    q = res.one("image_quarantined")
                    self.assertEqual(q["image"], name)
                    self.assertEqual(len(self.tg.photos), sent, "nothing sent")
                    self.assertIn(name, os.listdir(os.path.join(self.ws.images, "quarantine")))
                    continue
                self.assertEqual(res.rc, 0, res.stderr[-2000:])
                self.assertEqual(len(self.tg.photos), sent + 1)
                self.assertCorrectCopy(name, self.tg.photos[-1]["photo"])
        with open(log_file, "rb") as f:
            lines = harness.parse_log(f.read().decode("utf-8", "surrogateescape"))
        self.assertGreater(len(lines), len(EXPECT) * 5)

    def assertCorrectCopy(self, name, jpeg):
        w, h, mean = hostile.expected_view(os.path.join(CORPUS, name))
        got = Image.open(io.BytesIO(jpeg))
        self.assertEqual(got.format, "JPEG")
        self.assertEqual(got.mode, "RGB")
        gw, gh = got.size
        self.assertLessEqual(gw, 1280)
        if w <= 1280:
            self.assertEqual((gw, gh), (w, h))
        else:
            self.assertAlmostEqual(gw / gh, w / h, delta=0.01 * w / h)
        small = got.convert("RGB").resize((32, 32))
        px = list(small.getdata())
        got_mean = [sum(p[i] for p in px) / len(px) for i in range(3)]
        tol = TOLERANCE.get(name, 12)
        for c in range(3):
            self.assertLess(abs(got_mean[c] - mean[c]), tol,
                            "%s: mean colour %s, expected %s" % (name, got_mean, mean))


class HostileServeTest(unittest.TestCase):
    def setUp(self):
        self.ws = harness.Workspace([])
        self.addCleanup(self.ws.cleanup)
        for name in EXPECT:
            shutil.copy(os.path.join(CORPUS, name), self.ws.images)

    def test_routes_on_every_hostile_image(self):
        srv = webharness.WebServer(self.ws).start()
        self.addCleanup(srv.kill)
        statuses = {}
        for name in sorted(EXPECT):
            q = urllib.parse.quote(name)
            for path, method in (("/api/images/%s/file" % q, "GET"),
                                 ("/api/images/%s/file?w=320" % q, "GET"),
                                 ("/api/images/%s/analyze" % q, "POST")):
                r = srv.request(path, method=method, timeout=120)
                statuses[(name, path.split("/")[-1])] = r.status
                self.assertNotEqual(r.status, 0, "no answer to %s %s" % (method, path))
                self.assertLess(r.status, 500, "%s %s: %r" % (method, path, r))
                self.assertTrue(r.header("X-Correlation-ID"))
        for _ in range(10):
            r = srv.request("/api/images/random")
            self.assertEqual(r.status, 200, r)
        self.assertEqual(srv.request("/health").status, 200)
        # what decodes gets a thumbnail; what does not, a 4xx
        for name, what in EXPECT.items():
            thumb = statuses[(name, "file?w=320")]
            if what == "post":
                self.assertEqual(thumb, 200, name)
            else:
                self.assertTrue(400 <= thumb < 500, (name, thumb))
        srv.stop()  # exits 0 with every stderr and log-file line JSON


if __name__ == "__main__":
    harness.main()
