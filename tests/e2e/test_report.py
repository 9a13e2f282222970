"""`photopub report` says what went wrong: real runs (one published to the
outbox, two whose only platform, Telegram on a port nobody listens on,
failed) written to a log file, then the report's failed runs (newest first,
each with its own section #run-<id>, waterfall and lines, and the trace
command), the platforms' failure reasons counted, the slowest runs marking
the failed ones, and stage labels by backend."""

import html
import os
import re
import socket
import subprocess

import harness

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"


def dead_port():
    """A port on 127.0.0.1 that nothing listens on (picked free, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def failing_log(ws):
    """Runs one good and two failed runs of ws into one log file; returns
    (path, [failed correlation ids, oldest first], good correlation id)."""
    log = os.path.join(ws.dir, "runs.log")
    ws.set("Log", "file", log)
    ws.set("HTTP", "connect_timeout", "1")
    ok = ws.run()
    assert ok.rc == 0, ok.stderr
    ws.sections["Outbox"] = {"enabled": "false"}
    ws.set("Content", "telegram", "true")
    ws.set("Telegram", "api_url", "http://127.0.0.1:%d" % dead_port())
    ws.env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHANNEL_ID": "-100123"})
    failed = []
    for _ in range(2):
        res = ws.run()
        assert res.rc == 1, res.stderr
        failed.append(res.one("workflow_timing")["correlation_id"])
    return log, failed, ok.one("workflow_timing")["correlation_id"]


class ReportFailuresTest(harness.TestCase):
    images = harness.SAMPLES[:3]

    def test_what_went_wrong(self):
        log, failed, good = failing_log(self.ws)
        out = os.path.join(self.ws.dir, "report.html")
        proc = subprocess.run([harness.BIN, "report", log, "-o", out], capture_output=True,
                              text=True, env=self.ws.environ(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn(TOKEN, page)
        self.assertNotIn(TOKEN.split(":")[1], page)
        part = page[page.index('id="failures"'):page.index("<h2>Workflow stages")]
        # Failed runs, newest first, each linked to its own section.
        rows = re.findall(r'<tr><td class="t"><a href="#run-([^"]+)">', part)
        self.assertEqual(rows, failed[::-1])
        for cid in failed:
            self.assertIn('id="run-%s"' % cid, page)
            self.assertIn("photopub trace %s</code>" % cid[:8], part)
        self.assertNotIn('id="run-%s"' % good, page)
        self.assertIn("publish telegram", part)  # where they failed
        self.assertIn("Couldn&#39;t connect to server", part)
        # The reasons, counted per platform.
        self.assertRegex(part, r"<b>telegram</b>: <span class=\"reason\"[^>]*>2× unavailable</span>")
        # A run's section: its waterfall by stage labels, and its lines.
        sec = part[part.index('id="run-%s"' % failed[0]):]
        sec = sec[:sec.index("</section>")]
        for label in ("list images (local)", "vision analysis", "publish telegram", "total"):
            self.assertIn('<span class="wfn"', sec)
            self.assertIn(">%s</span>" % label, sec)
        lines = html.unescape(sec[sec.index('<pre class="lines">'):])
        self.assertIn('"message":"publisher_publish"', lines)
        self.assertIn('"message":"workflow_timing"', lines)
        # The slowest runs include the failed ones, marked, linked to their section.
        slow = page[page.index("<h2>Slowest runs"):page.index("<h2>Slowest requests")]
        self.assertEqual(slow.count('<span class="badge">failed</span>'), 2)
        for cid in failed:
            self.assertIn('href="#run-%s"' % cid, slow)
        self.assertIn(good, slow)
        # Stage panels by label, their key beside it.
        self.assertIn('list images (local) <span class="key">dropbox_list_images_ms</span>', page)
        # Few points: bars with their values, not a lone dot.
        self.assertIn('<rect class="bar"', page)

    def test_no_failures(self):
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        out = os.path.join(self.ws.dir, "report.html")
        proc = subprocess.run([harness.BIN, "report", self.ws.log_file(), "-o", out],
                              capture_output=True, text=True, env=self.ws.environ(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("No failed run in these logs.", page)
        self.assertIn("No failed publish in these logs.", page)
        self.assertNotIn('href="#run-', page)


if __name__ == "__main__":
    harness.main()
