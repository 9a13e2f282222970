"""All four platforms at once: Telegram, email (a real SMTP server),
Instagram (Graph API, staged through Dropbox) and the outbox, each remote one
answering after ~300 ms. publish_parallel_ms must be close to the slowest
platform and far below the sum; one platform failing or hanging leaves the
others' results standing and the image archived once."""

import asyncio
import os
import sys
import time
import harness
from harness import TestCase, EXAMPLES

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
import test_email  # noqa: E402  (the SMTP server and its certificate)
from fake_dropbox import FakeDropbox  # noqa: E402
from fake_graph import FakeGraph  # noqa: E402
from fake_telegram import FakeTelegram  # noqa: E402
from fakelib import Fault  # noqa: E402

FOLDER = "/Photos"
IMAGE = "bleached-wooden-deck.jpg"
DELAY = 0.3


def setUpModule():
    test_email.setUpModule()


def tearDownModule():
    test_email.tearDownModule()


class SlowRecorder(test_email.Recorder):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(DELAY)
        return await super().handle_DATA(server, session, envelope)


class ParallelTest(TestCase):
    images = []

    def setUp(self):
        super().setUp()
        self.dbx = FakeDropbox(app_key="k", app_secret="s", refresh_token="r").start()
        self.addCleanup(self.dbx.stop)
        with open(os.path.join(EXAMPLES, IMAGE), "rb") as f:
            self.dbx.put("%s/%s" % (FOLDER, IMAGE), f.read())
        self.tg = FakeTelegram().start()
        self.addCleanup(self.tg.stop)
        self.graph = FakeGraph().start()
        self.addCleanup(self.graph.stop)
        self.graph.status_sequence = ["FINISHED"]
        self.smtp = test_email.SmtpServer("starttls")
        self.smtp.recorder = SlowRecorder()
        self.smtp.handler = self.smtp.recorder
        self.smtp.start()
        self.addCleanup(self.smtp.stop)

        s = self.ws.sections
        s["Storage"] = {"backend": "dropbox"}
        s["Dropbox"] = {"image_folder": FOLDER, "api_url": self.dbx.url,
                        "content_url": self.dbx.url, "oauth_url": self.dbx.url}
        s["Content"].update({"telegram": "true", "instagram": "true"})
        s["Telegram"] = {"api_url": self.tg.url}
        s["Instagram"] = {"user_id": self.graph.user_id, "graph_url": self.graph.graph_url(),
                          "poll_interval": "1", "poll_timeout": "10"}
        self.ws.write_config()
        test_email.configure(self.ws, self.smtp)
        self.ws.env.update({"DROPBOX_APP_KEY": "k", "DROPBOX_APP_SECRET": "s",
                            "DROPBOX_REFRESH_TOKEN": "r",
                            "TELEGRAM_BOT_TOKEN": self.tg.token,
                            "TELEGRAM_CHANNEL_ID": self.tg.chat_id,
                            "INSTAGRAM_ACCESS_TOKEN": self.graph.token})
        # Every remote platform answers after ~300 ms.
        self.tg.add_fault(Fault("/bot%s/sendPhoto" % self.tg.token, delay=DELAY))
        self.graph.add_fault(Fault("/v21.0/%s/media" % self.graph.user_id, delay=DELAY))

    def test_platforms_publish_at_the_same_time(self):
        res = self.ws.run("--select", IMAGE)
        self.assertEqual(res.rc, 0, res.stderr)
        t = res.one("workflow_timing")
        per = {p: t["publish_%s_ms" % p] for p in ("telegram", "email", "instagram", "outbox")}
        for p, ms in per.items():
            self.assertIsInstance(ms, int, p)
        for p in ("telegram", "email", "instagram"):
            self.assertGreaterEqual(per[p], DELAY * 1000 * 0.9, p)
        total = sum(per.values())
        slowest = max(per.values())
        print("\n    per platform %s; slowest %d ms, sum %d ms, publish_parallel_ms %d ms"
              % (per, slowest, total, t["publish_parallel_ms"]), file=sys.stderr)
        self.assertLess(t["publish_parallel_ms"], slowest + 500)
        self.assertLess(t["publish_parallel_ms"], total * 0.75)
        done = res.one("workflow_complete")
        for p in ("telegram", "email", "instagram", "outbox"):
            self.assertTrue(done["results"][p]["success"], (p, done["results"][p]))
        self.assertTrue(done["archived"])
        self.assertEqual(len(self.tg.photos), 1)
        self.assertEqual(len(self.graph.published), 1)
        self.assertEqual(len(self.smtp.recorder.messages), 2)
        self.assertEqual(len(res.events("publisher_publish")), 4)

    def test_one_failing_one_hanging(self):
        self.ws.set("Publish", "timeout", "3")
        with self.tg.lock:
            self.tg.faults.clear()
        self.tg.add_fault(Fault("/bot%s/sendPhoto" % self.tg.token, hang=True, times=1))
        self.graph.fail_path(self.graph.user_id + "/media_publish", 400, "Media ID is not available",
                             code=9007)
        t0 = time.monotonic()
        res = self.ws.run("--select", IMAGE)
        took = time.monotonic() - t0
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        self.assertEqual(done["results"]["telegram"]["error"], "timeout")
        self.assertIn("Media ID is not available", done["results"]["instagram"]["error"])
        self.assertTrue(done["results"]["email"]["success"])
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertTrue(done["archived"])
        archived = self.dbx.names(FOLDER + "/archive")
        self.assertEqual(archived.count(IMAGE), 1)
        self.assertLess(took, 20)
        self.assertLess(res.one("workflow_timing")["publish_parallel_ms"], 5000)


if __name__ == "__main__":
    harness.main()
