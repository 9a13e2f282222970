"""The Telegram publisher against a fake Bot API: the multipart fields the
real API takes, a JPEG at most 1280 px wide, the 1024-character photo
caption, 429 retry_after, 400 descriptions, a hung platform cut off by
[Publish] timeout, and the bot token in no output."""

import os
import sqlite3
import sys
import time
import harness
from harness import TestCase, SAMPLES

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_telegram import FakeTelegram, jpeg_size  # noqa: E402

WIDE = "bleached-wooden-deck.jpg"   # 1600 x 1200


class TelegramTest(TestCase):

    def setUp(self):
        super().setUp()
        self.tg = FakeTelegram().start()
        self.addCleanup(self.tg.stop)
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Telegram", "api_url", self.tg.url)
        self.ws.env.update({"TELEGRAM_BOT_TOKEN": self.tg.token, "TELEGRAM_CHANNEL_ID": self.tg.chat_id})

    def assertNoToken(self, res):
        self.assertNotIn(self.tg.token, res.stdout + res.stderr)
        self.assertNotIn(self.tg.token.split(":")[1], res.stdout + res.stderr)

    def test_send_photo(self):
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.tg.photos), 1)
        p = self.tg.photos[0]
        self.assertEqual(p["chat_id"], self.tg.chat_id)
        self.assertEqual(p["content_type"], "image/jpeg")
        self.assertEqual(p["size"], (1280, 960))
        self.assertTrue(p["caption"])
        self.assertLessEqual(len(p["caption"]), 1024)
        done = res.one("workflow_complete")
        self.assertEqual(done["results"]["telegram"], {"success": True, "post_id": str(p["message_id"]),
                                                     "url": "https://t.me/photopub_test/%d" % p["message_id"],
                                                     "error": None})
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertTrue(done["archived"])
        t = res.one("workflow_timing")
        self.assertIsInstance(t["publish_telegram_ms"], int)
        self.assertIsInstance(t["publish_outbox_ms"], int)
        pub = [l for l in res.events("publisher_publish") if l["platform"] == "telegram"][0]
        self.assertEqual(pub["logger"], "publisher.telegram")
        db = sqlite3.connect(self.ws.state)
        rows = sorted(db.execute("select platform, post_id, success from history").fetchall())
        self.assertEqual(rows, [("outbox", done["results"]["outbox"]["post_id"], 1),
                                ("telegram", str(p["message_id"]), 1)])
        db.close()
        # The original is untouched in the archive; the prepared copy is gone.
        with open(os.path.join(harness.EXAMPLES, WIDE), "rb") as a, \
             open(os.path.join(self.ws.images, "archive", WIDE), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertNoToken(res)

    def test_small_image_is_not_upscaled(self):
        name = "tabby-cat-closeup.jpg"  # 451 x 300
        res = self.ws.run("--select", name)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.tg.photos[0]["size"], (451, 300))

    def test_long_caption_cut_to_1024(self):
        self.ws.set("Content", "hashtag_string", " ".join("#tag%d" % i for i in range(400)))
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        cap = self.tg.photos[0]["caption"]
        self.assertLessEqual(len(cap), 1024)
        # The outbox keeps the generic caption, longer than Telegram's.
        post = os.path.join(self.ws.outbox, self.ws.posts()[0], "caption.txt")
        with open(post) as f:
            self.assertGreater(len(f.read().strip()), 1024)

    def test_429_retry_after_is_honoured(self):
        self.tg.fail_next(429, "Too Many Requests: retry after 2", retry_after=2)
        t0 = time.monotonic()
        res = self.ws.run("--select", WIDE)
        took = time.monotonic() - t0
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.tg.seen("/bot%s/sendPhoto" % self.tg.token)), 2)
        self.assertGreaterEqual(took, 2.0)
        retry = [l for l in res.events("http_retry")]
        self.assertEqual(len(retry), 1)
        self.assertEqual(retry[0]["wait_ms"], 2000)
        self.assertNoToken(res)

    def test_one_of_two_platforms_failing_still_archives(self):
        self.tg.fail_next(400, "Bad Request: chat not found")
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        self.assertFalse(done["results"]["telegram"]["success"])
        self.assertIn("chat not found", done["results"]["telegram"]["error"])
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertTrue(done["archived"])
        self.assertEqual(self.ws.archived(), sorted([WIDE, WIDE[:-4] + ".txt"]))
        # 400 is not retried.
        self.assertEqual(len(self.tg.seen("/bot%s/sendPhoto" % self.tg.token)), 1)
        db = sqlite3.connect(self.ws.state)
        self.assertEqual(db.execute("select count(*) from posted_sha256").fetchone()[0], 1)
        rows = sorted(db.execute("select platform, success, error is not null from history").fetchall())
        self.assertEqual(rows, [("outbox", 1, 0), ("telegram", 0, 1)])
        db.close()
        self.assertNoToken(res)

    def test_hung_platform_is_cut_off_by_the_publish_timeout(self):
        self.ws.set("Publish", "timeout", "3")
        self.tg.hang_next()
        t0 = time.monotonic()
        res = self.ws.run("--select", WIDE)
        took = time.monotonic() - t0
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertLess(took, 12)
        done = res.one("workflow_complete")
        self.assertEqual(done["results"]["telegram"]["error"], "timeout")
        self.assertFalse(done["results"]["telegram"]["success"])
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertTrue(done["archived"])
        t = res.one("workflow_timing")
        self.assertGreaterEqual(t["publish_telegram_ms"], 3000)
        self.assertLess(t["publish_parallel_ms"], 6000)
        self.assertEqual(self.ws.archived().count(WIDE), 1)

    def test_wrong_token_fails_cleanly(self):
        self.ws.env["TELEGRAM_BOT_TOKEN"] = "111111111:AAwrongTokenwrongTokenwrongToken12"
        res = self.ws.run("--select", WIDE)
        self.assertEqual(res.rc, 0)  # the outbox still took it
        err = res.one("workflow_complete")["results"]["telegram"]["error"]
        self.assertIn("Unauthorized", err)
        self.assertNotIn("wrongToken", res.stdout + res.stderr)

    def test_preview_shows_the_telegram_caption(self):
        res = self.ws.run("--preview", "--select", WIDE)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn("[telegram]", res.stdout)
        self.assertIn("1024 characters", res.stdout)
        self.assertEqual(self.tg.photos, [])


if __name__ == "__main__":
    harness.main()
