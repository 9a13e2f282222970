"""What `run` and `retry` print on stdout at the end: the image, the caption
(its first lines when long, with a note of the rest), the alt text, and one
line per platform: ok with the post's link, failed with the reason, would
publish under --dry-publish, not sent under --debug. The fake Bot API
answers for Telegram; the outbox's link is its folder."""

import os
import sys
import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402

IMG = "tabby-cat-closeup.jpg"


def platform_line(stdout, name):
    found = [l for l in stdout.splitlines() if l.startswith(name + " ")]
    if len(found) != 1:
        raise AssertionError("expected one %s line in:\n%s" % (name, stdout))
    return found[0]


class SummaryTest(TestCase):

    def setUp(self):
        super().setUp()
        self.tg = FakeTelegram().start()
        self.addCleanup(self.tg.stop)
        self.tg.configure(self.ws)

    def write(self, name, text):
        path = os.path.join(self.ws.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_ok_lines_carry_each_posts_link(self):
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        tg = done["results"]["telegram"]
        self.assertEqual(platform_line(res.stdout, "telegram"),
                         "telegram  ok: https://t.me/photopub_test/%s" % tg["post_id"])
        folder = done["results"]["outbox"]["url"]
        self.assertTrue(os.path.isdir(folder), folder)
        self.assertEqual(platform_line(res.stdout, "outbox"), "outbox    ok: " + folder)
        lines = res.stdout.splitlines()
        self.assertEqual(lines[0], "image:    " + IMG)
        # The caption as the outbox kept it (the generic one), then the alt text.
        with open(os.path.join(folder, "caption.txt")) as f:
            caption = f.read().strip()
        self.assertEqual(lines[1], "caption:  " + caption)
        self.assertEqual(lines[2], "alt text: " + done["alt_text"])
        self.assertTrue(lines[-1].startswith("result:   ok (correlation_id "), lines[-1])
        # The log contract is unchanged: no caption in workflow_complete.
        self.assertNotIn("caption", done)

    def test_failed_line_says_why(self):
        self.tg.fail_next(400, "Bad Request: chat not found")
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)  # the outbox has it
        line = platform_line(res.stdout, "telegram")
        self.assertTrue(line.startswith("telegram  failed: "), line)
        self.assertIn("chat not found", line)
        self.assertTrue(platform_line(res.stdout, "outbox").startswith("outbox    ok: /"))
        self.assertIn("result:   ok, partly published", res.stdout)
        self.assertNotIn(self.tg.token, res.stdout + res.stderr)

    def test_dry_publish_and_debug(self):
        res = self.ws.run("--select", IMG, "--dry-publish")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(platform_line(res.stdout, "telegram"),
                         "telegram  would publish (dry publish)")
        self.assertEqual(platform_line(res.stdout, "outbox"), "outbox    would publish (dry publish)")
        self.assertIn("\ncaption:  ", res.stdout)
        self.assertEqual(self.tg.photos, [])

        res = self.ws.run("--select", IMG, "--debug")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(platform_line(res.stdout, "telegram"), "telegram  not sent (debug)")
        self.assertEqual(platform_line(res.stdout, "outbox"), "outbox    not sent (debug)")
        self.assertIn("\ncaption:  ", res.stdout)
        self.assertEqual(self.tg.photos, [])

    def test_long_caption_shows_its_first_lines(self):
        text = "\n".join("line %d of a long caption" % i for i in range(1, 11)) + "\n"
        cap = self.write("caption.txt", text)
        alt = self.write("alt.txt", "A tabby cat looks into the lens.\n")
        res = self.ws.run("--select", IMG, "--caption-file", cap, "--alt-text-file", alt,
                          "--dry-publish")
        self.assertEqual(res.rc, 0, res.stderr)
        lines = res.stdout.splitlines()
        i = lines.index("caption:  line 1 of a long caption")
        self.assertEqual(lines[i + 1:i + 6], ["          line %d of a long caption" % n
                                              for n in range(2, 7)])
        self.assertEqual(lines[i + 6], "          [cut here: 4 more lines; %d characters in all]"
                         % len(text.rstrip("\n")))
        self.assertEqual(lines[i + 7], "alt text: A tabby cat looks into the lens.")

    def test_retry_prints_the_same_summary(self):
        self.tg.fail_next(400, "Bad Request: chat not found")
        first = self.ws.run("--select", IMG)
        self.assertEqual(first.rc, 0, first.stderr)
        cid = first.one("workflow_complete")["correlation_id"]
        res = self.ws.run(cid, command="retry")
        self.assertEqual(res.rc, 0, res.stderr)
        tg = res.one("workflow_complete")["results"]["telegram"]
        self.assertEqual(platform_line(res.stdout, "telegram"),
                         "telegram  ok: https://t.me/photopub_test/%s" % tg["post_id"])
        self.assertIn("\ncaption:  ", res.stdout)
        self.assertIn("\nalt text: ", res.stdout)


if __name__ == "__main__":
    import unittest
    unittest.main()
