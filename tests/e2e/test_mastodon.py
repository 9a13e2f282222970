"""The Mastodon and Pixelfed publishers against the fake Mastodon API: the
media upload with its alt text, 202 processing and polling, the status with
its Idempotency-Key, sensitive auto (from the analysis) / always / never,
the instance's limits (size, pixels, characters, alt text), 422, 429 within
and beyond the publish timeout, 401 without the token in any output, 5xx
retried with the same key, the v1 fallbacks, Pixelfed's differences, and the
history row with the post's url."""

import hashlib
import json
import os
import shutil
import sqlite3
import sys

import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_mastodon import FakeMastodon  # noqa: E402
from fake_openai import FakeOpenAI, DEFAULT_ANALYSIS  # noqa: E402
from fakelib import Fault  # noqa: E402

WIDE = "bleached-wooden-deck.jpg"   # 1600 x 1200, 158 kB
KEY = "sk-e2e-Mastodon9Zq7Xv3Lm9Pw2"


class FediTest(TestCase):
    images = [WIDE]
    pixelfed = False

    @property
    def name(self):
        return "pixelfed" if self.pixelfed else "mastodon"

    @property
    def section(self):
        return "Pixelfed" if self.pixelfed else "Mastodon"

    def setUp(self):
        super().setUp()
        self.fake = FakeMastodon(pixelfed=self.pixelfed).start()
        self.addCleanup(self.fake.stop)
        self.ws.set(self.section, "enabled", "true")
        self.ws.set(self.section, "instance_url", self.fake.url)
        self.ws.env[self.name.upper() + "_ACCESS_TOKEN"] = self.fake.token

    def run_pp(self, *args):
        res = self.ws.run("--select", WIDE, *args)
        self.assertNotIn(self.fake.token, res.stdout + res.stderr)
        return res

    def result(self, res):
        return res.one("workflow_complete")["results"][self.name]

    def assertFailed(self, res, *fragments):
        """The platform failed with every fragment in its error."""
        r = self.result(res)
        self.assertFalse(r["success"], r)
        for frag in fragments:
            self.assertIn(frag, r["error"])
        return r

    def assertPosted(self, res):
        """The run succeeded and so did the platform."""
        self.assertEqual(res.rc, 0, res.stderr)
        r = self.result(res)
        self.assertTrue(r["success"], r)
        return r

    def assertResentOnce(self, attempts=2):
        """The status was sent `attempts` times, always with the same key, and posted once."""
        sent = self.fake.seen("/api/v1/statuses")
        self.assertEqual(len(sent), attempts)
        self.assertEqual(len({s.header("Idempotency-Key") for s in sent}), 1)
        self.assertEqual(len(self.fake.statuses), 1)

    def assertConfigError(self, *fragments):
        res = self.ws.run("--select", WIDE, check_json=False)
        self.assertEqual(res.rc, 2, res.stderr)
        for frag in fragments:
            self.assertIn(frag, res.stderr)

    def use_openai(self, **analysis):
        ai = FakeOpenAI(api_key=KEY).start()
        self.addCleanup(ai.stop)
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", ai.base_url)
        self.ws.env["OPENAI_API_KEY"] = KEY
        a = dict(DEFAULT_ANALYSIS)
        a.update(analysis)
        ai.queue_json(a)
        return ai


class MastodonTest(FediTest):

    def test_post_with_alt_text_and_media(self):
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.uploads), 1)
        up = self.fake.uploads[0]
        # Within every limit: the original file, as it is.
        with open(os.path.join(harness.EXAMPLES, WIDE), "rb") as f:
            self.assertEqual(up["bytes"], f.read())
        self.assertEqual(up["content_type"], "image/jpeg")
        self.assertTrue(up["v2"])
        self.assertTrue(up["description"])
        post = self.ws.posts()[0]
        with open(os.path.join(self.ws.outbox, post, "post.json")) as f:
            self.assertEqual(up["description"], json.load(f)["alt_text"])
        self.assertEqual(len(self.fake.statuses), 1)
        st = self.fake.statuses[0]
        self.assertEqual(st["media_ids"], [up["id"]])
        self.assertTrue(st["status"])
        self.assertLessEqual(len(st["status"]), 500)
        self.assertEqual(st["visibility"], "public")
        self.assertEqual(st["sensitive"], "false")
        self.assertNotIn("spoiler_text", st["fields"])
        self.assertIsNone(st["language"])
        self.assertEqual(st["headers"].get("Authorization"), "Bearer " + self.fake.token)
        # The key: SHA-256 over "<image sha256>:<this run's id>".
        cid = res.one("workflow_timing")["correlation_id"]
        with open(os.path.join(harness.EXAMPLES, WIDE), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(st["key"], hashlib.sha256(("%s:%s" % (sha, cid)).encode()).hexdigest())
        r = self.result(res)
        sid = st["reply"]["id"]
        self.assertEqual(r, {"success": True, "post_id": sid, "url": st["reply"]["url"], "error": None})
        t = res.one("workflow_timing")
        self.assertIsInstance(t["publish_mastodon_ms"], int)
        pub = [l for l in res.events("publisher_publish") if l["platform"] == "mastodon"][0]
        self.assertEqual(pub["logger"], "publisher.mastodon")
        self.assertEqual(pub["url"], st["reply"]["url"])
        steps = [l["step"] for l in res.events("mastodon_step")]
        self.assertEqual(steps, ["limits", "media_uploaded", "posted"])
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("select post_id, url, success from history where platform = 'mastodon'").fetchall()
        db.close()
        self.assertEqual(rows, [(sid, st["reply"]["url"], 1)])

    def test_processing_is_polled_until_ready(self):
        self.fake.processing = 3      # 202, then 206, 206, then 200
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(self.result(res)["success"], self.result(res))
        self.assertEqual(self.fake.polls, 3)
        self.assertEqual(len(self.fake.statuses), 1)
        steps = [l["step"] for l in res.events("mastodon_step")]
        self.assertEqual(steps, ["limits", "media_uploaded", "media_ready", "posted"])

    def test_processing_that_never_ends_fails_within_the_timeout(self):
        self.ws.set("Publish", "timeout", "4")
        self.fake.processing = 1000
        res = self.run_pp()
        self.assertFailed(res, "still processing")
        self.assertEqual(self.fake.statuses, [])

    def test_sensitive_auto_follows_the_analysis(self):
        self.use_openai(nsfw=True, safety_labels=["nudity"])
        self.ws.set("Mastodon", "spoiler_text", "Nude figure study")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[0]
        self.assertEqual(st["sensitive"], "true")
        self.assertEqual(st["spoiler_text"], "Nude figure study")

    def test_sensitive_auto_not_nsfw(self):
        self.use_openai(nsfw=False)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.fake.statuses[0]["sensitive"], "false")

    def test_sensitive_always_and_never(self):
        self.ws.set("Mastodon", "sensitive", "always")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[0]
        self.assertEqual((st["sensitive"], st["spoiler_text"]), ("true", "Sensitive photograph"))

        self.use_openai(nsfw=True)
        self.ws.set("Mastodon", "sensitive", "never")
        # a second run, with a second copy of the image
        shutil.copy(os.path.join(harness.EXAMPLES, WIDE), os.path.join(self.ws.images, "again.jpg"))
        res = self.ws.run("--select", "again.jpg")
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[1]
        self.assertEqual(st["sensitive"], "false")
        self.assertNotIn("spoiler_text", st["fields"])

    def test_visibility_and_language(self):
        self.ws.set("Mastodon", "visibility", "unlisted")
        self.ws.set("Mastodon", "language", "de")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[0]
        self.assertEqual((st["visibility"], st["language"]), ("unlisted", "de"))

    def test_bad_language_is_a_config_error(self):
        self.ws.set("Mastodon", "language", "German")
        self.assertConfigError("[Mastodon] language")

    def test_missing_token_is_a_config_error(self):
        del self.ws.env["MASTODON_ACCESS_TOKEN"]
        self.assertConfigError("MASTODON_ACCESS_TOKEN")

    def test_image_over_the_size_limit_is_made_smaller(self):
        self.fake.limits["image_size_limit"] = 60000
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(self.result(res)["success"], self.result(res))
        up = self.fake.uploads[0]
        self.assertLessEqual(len(up["bytes"]), 60000)
        self.assertEqual(up["content_type"], "image/jpeg")
        self.assertLess(up["size"][0], 1600)
        self.assertAlmostEqual(up["size"][0] / up["size"][1], 4 / 3, delta=0.01)

    def test_image_over_the_pixel_limit_is_downscaled(self):
        self.fake.limits["image_matrix_limit"] = 1000000
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        w, h = self.fake.uploads[0]["size"]
        self.assertLessEqual(w * h, 1000000)
        self.assertGreater(w * h, 900000)   # not smaller than it needs to be

    def test_caption_longer_than_max_characters_is_cut_at_a_word(self):
        self.fake.limits["max_characters"] = 60
        self.ws.set("Content", "hashtag_string", " ".join("#tag%d" % i for i in range(30)))
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        text = self.fake.statuses[0]["status"]
        self.assertLessEqual(len(text), 60)
        post = self.ws.posts()[0]
        with open(os.path.join(self.ws.outbox, post, "caption.txt")) as f:
            full = f.read().strip()
        self.assertGreater(len(full), 60)
        # cut at a word: what is kept (before an ellipsis, if any) is whole words of the caption
        kept = text.rstrip("\u2026").rstrip()
        self.assertTrue(full.startswith(kept), (kept, full))
        self.assertIn(full[len(kept)], " \n")

    def test_content_warning_counts_toward_the_limit(self):
        self.fake.limits["max_characters"] = 80
        self.ws.set("Mastodon", "sensitive", "always")
        self.ws.set("Mastodon", "spoiler_text", "x" * 30)
        self.ws.set("Content", "hashtag_string", " ".join("#tag%d" % i for i in range(30)))
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[0]
        self.assertLessEqual(len(st["status"]) + len(st["spoiler_text"]), 80)

    def test_alt_text_cut_to_description_limit(self):
        self.fake.limits["description_limit"] = 20
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertLessEqual(len(self.fake.uploads[0]["description"]), 20)
        self.assertTrue(self.fake.uploads[0]["description"])

    def test_limits_read_once_per_process(self):
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.seen("/api/v2/instance")), 1)

    def test_v1_fallbacks(self):
        self.fake.v2_instance = False
        self.fake.add_fault(Fault("/api/v2/media", status=404, body={"error": "Not found"}))
        self.fake.limits["max_characters"] = 70
        self.ws.set("Content", "hashtag_string", " ".join("#tag%d" % i for i in range(30)))
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.seen("/api/v1/instance")), 1)
        self.assertFalse(self.fake.uploads[0]["v2"])
        self.assertLessEqual(len(self.fake.statuses[0]["status"]), 70)

    def test_422_gives_the_api_error(self):
        self.fake.limits["supported_mime_types"] = ["image/jpeg"]
        self.fake.add_fault(Fault("/api/v1/statuses", status=422,
                                  body={"error": "Validation failed: Text can't be blank"}))
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)   # the outbox took it
        self.assertFailed(res, "HTTP 422", "Validation failed: Text can't be blank")
        self.assertEqual(len(self.fake.seen("/api/v1/statuses")), 1)   # not retried
        steps = [l["step"] for l in res.events("mastodon_step")]
        self.assertEqual(steps[-1], "failed")

    def test_429_within_the_timeout_is_waited_out(self):
        self.fake.rate_limit("/api/v1/statuses", reset_in=2)
        res = self.run_pp()
        self.assertPosted(res)
        self.assertResentOnce()
        waits = [l for l in res.events("mastodon_step") if l["step"] == "rate_limited"]
        self.assertEqual(len(waits), 1)

    def test_429_beyond_the_timeout_fails_at_once(self):
        self.fake.rate_limit("/api/v1/statuses", reset_in=3600)
        res = self.run_pp()
        # the reset time, 20xx-…, named
        self.assertFailed(res, "HTTP 429", "retry after 20", "past the publish timeout")
        self.assertEqual(len(self.fake.seen("/api/v1/statuses")), 1)
        self.assertEqual(self.fake.statuses, [])
        self.assertEqual(res.events("http_retry"), [])

    def test_401_says_the_token_is_refused_and_never_shows_it(self):
        wrong = "wrong-Mastodon-Token-Zq93Lx"
        self.ws.env["MASTODON_ACCESS_TOKEN"] = wrong
        res = self.ws.run("--select", WIDE)
        self.assertFailed(res, "HTTP 401", "invalid or revoked")
        self.assertNotIn(wrong, res.stdout + res.stderr)
        self.assertEqual(self.fake.uploads, [])
        db = sqlite3.connect(self.ws.state)
        errors = [e for (e,) in db.execute("select error from history where platform = 'mastodon'")]
        db.close()
        self.assertEqual(len(errors), 1)
        self.assertNotIn(wrong, errors[0])

    def test_5xx_is_retried_with_the_same_key(self):
        self.fake.add_fault(Fault("/api/v1/statuses", status=503,
                                  body={"error": "Service Unavailable"}))
        res = self.run_pp()
        self.assertPosted(res)
        self.assertResentOnce()

    def test_same_key_posts_once(self):
        """A resend of a post that did land (its reply lost to a timeout) gets
        the status already posted back, not a second post."""
        self.ws.set("Publish", "timeout", "30")
        self.ws.set("HTTP", "timeout", "2")
        self.fake.late_replies = 1    # posted, but answered too late
        r = self.assertPosted(self.run_pp())
        self.assertResentOnce()
        self.assertEqual(r["post_id"], self.fake.statuses[0]["reply"]["id"])

    def test_persistent_5xx_fails_clearly(self):
        self.fake.add_fault(Fault("/api/v1/statuses", status=502, body={"error": "Bad Gateway"},
                                  times=10))
        res = self.run_pp()
        self.assertFailed(res, "HTTP 502")
        self.assertEqual(self.fake.statuses, [])

    def test_preview_sends_nothing(self):
        res = self.ws.run("--preview", "--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn("[mastodon]", res.stdout)
        self.assertEqual(self.fake.requests, [])


class PixelfedTest(FediTest):
    pixelfed = True

    def test_post(self):
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        r = self.result(res)
        st = self.fake.statuses[0]
        self.assertEqual(r["post_id"], st["reply"]["id"])
        self.assertTrue(r["url"].startswith("https://pixelfed.example/"))
        # Pixelfed answers every v2 upload 202: one poll, then the post.
        self.assertEqual(self.fake.polls, 1)
        self.assertTrue(self.fake.uploads[0]["description"])
        self.assertEqual(len(self.fake.seen("/api/v2/instance")), 1)
        steps = [l["step"] for l in res.events("pixelfed_step")]
        self.assertEqual(steps, ["limits", "media_uploaded", "media_ready", "posted"])
        self.assertIsInstance(res.one("workflow_timing")["publish_pixelfed_ms"], int)
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("select post_id, url from history where platform = 'pixelfed'").fetchall()
        db.close()
        self.assertEqual(rows, [(st["reply"]["id"], st["reply"]["url"])])

    def test_older_pixelfed_without_v2_instance(self):
        self.fake.v2_instance = False
        self.fake.limits["image_matrix_limit"] = 1000000
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.seen("/api/v1/instance")), 1)
        w, h = self.fake.uploads[0]["size"]
        self.assertLessEqual(w * h, 1000000)

    def test_direct_visibility_is_refused(self):
        self.ws.set("Pixelfed", "visibility", "direct")
        self.assertConfigError("[Pixelfed] visibility")

    def test_duplicate_key_is_not_posted_twice(self):
        self.ws.set("HTTP", "timeout", "2")
        self.fake.late_replies = 1
        res = self.run_pp()
        self.assertFailed(res, "Idempotency-Key")
        self.assertEqual(len(self.fake.statuses), 1)

    def test_sensitive(self):
        self.ws.set("Pixelfed", "sensitive", "always")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        st = self.fake.statuses[0]
        self.assertEqual((st["sensitive"], st["spoiler_text"]), ("true", "Sensitive photograph"))


if __name__ == "__main__":
    harness.main()
