"""What `run --preview` says about where it stands: whether the chosen image
is new or was posted before (when, and on which platforms, from the state),
the AI provider and its models, and the configuration file by its absolute
path. Everything else of the preview is test_run's."""

import os
import sqlite3
import subprocess
import sys
import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_openai import FakeOpenAI  # noqa: E402
from fake_telegram import FakeTelegram  # noqa: E402

IMG = "tabby-cat-closeup.jpg"
KEY = "sk-previewtest0123456789abcdefABCDEF"


def field(stdout, name):
    """The value of the report line `  name   value`."""
    for line in stdout.splitlines():
        if line.startswith("  " + name + " ") and line[2 + 24:27] == " ":
            return line[27:]
    raise AssertionError("no %s line in:\n%s" % (name, stdout))


class PreviewStatusTest(TestCase):

    def test_new_then_posted_before(self):
        res = self.ws.run("--preview", "--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(field(res.stdout, "status"), "new (never posted)")
        self.assertEqual(field(res.stdout, "config"), os.path.realpath(self.ws.config))

        # Posted on Telegram and the outbox, kept in the folder (no archive):
        # --select can pick it again.
        tg = FakeTelegram().start()
        self.addCleanup(tg.stop)
        self.ws.set("Content", "archive", "false")
        tg.configure(self.ws)
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        db = sqlite3.connect(self.ws.state)
        (t,) = db.execute("select max(time) from history where success = 1").fetchone()
        db.close()
        when = "%s %s UTC" % (t[:10], t[11:16])

        res = self.ws.run("--preview", "--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn(field(res.stdout, "status"),
                      ["posted before, %s (outbox, telegram)" % when,
                       "posted before, %s (telegram, outbox)" % when])
        # Another image is still new.
        other = [n for n in self.ws.image_names() if n != IMG][0]
        res = self.ws.run("--preview", "--select", other)
        self.assertEqual(field(res.stdout, "status"), "new (never posted)")

    def test_posted_hash_without_history(self):
        # A hash recorded as posted (upstream's posted.json imported) with no
        # history row: posted before, date unknown.
        res = self.ws.run("--select", IMG, "--preview")
        sha = field(res.stdout, "sha256")
        other = [n for n in self.ws.image_names() if n != IMG][0]
        self.assertEqual(self.ws.run("--select", other).rc, 0)  # makes the database
        db = sqlite3.connect(self.ws.state)
        db.execute("insert into posted_sha256(sha256, posted_at) values (?, ?)",
                   (sha, "2026-11-01T00:00:00.000Z"))
        db.commit()
        db.close()
        res = self.ws.run("--preview", "--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(field(res.stdout, "status"),
                         "posted before (its hash is recorded as posted; the history has no "
                         "post of it)")

    def test_relative_config_path_is_named_in_full(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.ws.home,
               "XDG_CACHE_HOME": os.path.join(self.ws.home, ".cache")}
        for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        proc = subprocess.run([os.path.abspath(harness.BIN), "run", "--config", "photopub.ini",
                               "--preview"], cwd=self.ws.dir, env=env, capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(field(proc.stdout, "config"), os.path.realpath(self.ws.config))

    def test_local_provider_and_models(self):
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(field(res.stdout, "ai provider").startswith("local (the offline analyzer"))
        self.assertEqual(field(res.stdout, "vision model"), "photopub-local-v1")
        self.assertEqual(field(res.stdout, "caption model"), "photopub-local-v1")
        self.assertEqual(field(res.stdout, "sd caption model"), "photopub-local-v1")

    def test_openai_provider_and_models(self):
        fake = FakeOpenAI(api_key=KEY).start()
        self.addCleanup(fake.stop)
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", fake.base_url)
        self.ws.set("openAI", "vision_model", "gpt-4o-vision-test")
        self.ws.set("openAI", "caption_model", "gpt-4o-mini-caption-test")
        self.ws.set("openAI", "sd_caption_model", "sd-caption-test")
        self.ws.env["OPENAI_API_KEY"] = KEY
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(field(res.stdout, "ai provider"),
                         "openai (OpenAI-compatible API at %s)" % fake.base_url)
        self.assertEqual(field(res.stdout, "vision model"), "gpt-4o-vision-test")
        self.assertEqual(field(res.stdout, "caption model"), "gpt-4o-mini-caption-test")
        self.assertEqual(field(res.stdout, "sd caption model"), "sd-caption-test")
        self.assertNotIn(KEY, res.stdout + res.stderr)

        self.ws.set("openAI", "sd_caption_enabled", "false")
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(field(res.stdout, "sd caption model"),
                         "none ([openAI] sd_caption_enabled = false)")


if __name__ == "__main__":
    import unittest
    unittest.main()
