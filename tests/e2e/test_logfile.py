"""The default log file: every command that logs appends its JSON lines to
$XDG_STATE_HOME/photopub/photopub.log (or $LOGS_DIRECTORY/photopub.log),
[Log] file moves it or turns it off, a file that cannot be opened is only a
warning; stats, trace and report read it when standard input is a terminal."""

import json
import os
import pty
import stat
import subprocess

import harness


def read_log(path):
    with open(path, encoding="utf-8") as f:
        return harness.parse_log(f.read())


def run_with_tty_stdin(ws, *args, env=None):
    """photopub with standard input on a pseudo-terminal; (rc, stdout, stderr lines)."""
    e = ws.environ()
    e.update(env or {})
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([harness.BIN] + list(args), env=e, stdin=slave,
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, proc.stdout, harness.parse_log(proc.stderr)


class DefaultLogFileTest(harness.TestCase):
    images = harness.SAMPLES[:2]

    def test_run_appends_its_lines_to_the_default_file(self):
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        path = self.ws.log_file()
        self.assertEqual(read_log(path), res.lines)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        # A second command appends.
        res2 = self.ws.run("--dry-publish")
        self.assertEqual(res2.rc, 0, res2.stderr)
        self.assertEqual(read_log(path), res.lines + res2.lines)

    def test_the_file_gets_json_whatever_the_stderr_format(self):
        res = self.ws.run("--log-format", "text", check_json=False)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertFalse(res.stderr.startswith("{"), res.stderr)
        lines = read_log(self.ws.log_file())
        self.assertEqual(len(lines), len([l for l in res.stderr.splitlines() if l]))
        self.assertTrue(any(l["message"] == "workflow_timing" for l in lines))

    def test_logs_directory_wins_under_systemd(self):
        logs = os.path.join(self.ws.dir, "var-log-photopub")
        res = self.ws.run(env={"LOGS_DIRECTORY": logs})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(read_log(os.path.join(logs, "photopub.log")), res.lines)
        self.assertFalse(os.path.exists(self.ws.log_file()))

    def test_log_file_key_moves_it(self):
        self.ws.set("Log", "file", "logs/mine.log")  # relative to the config file
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(read_log(os.path.join(self.ws.dir, "logs", "mine.log")), res.lines)
        self.assertFalse(os.path.exists(self.ws.log_file()))

    def test_none_turns_it_off(self):
        self.ws.set("Log", "file", "none")
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(self.ws.log_file())))

    def test_log_file_option_replaces_the_default(self):
        log = os.path.join(self.ws.dir, "given.log")
        res = self.ws.run("--log-file", log)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(read_log(log), res.lines)
        self.assertFalse(os.path.exists(self.ws.log_file()))

    def test_an_unwritable_file_is_only_a_warning(self):
        # A folder below a plain file cannot be made, even by root.
        blocker = os.path.join(self.ws.dir, "plain-file")
        open(blocker, "w").close()
        for env, key in (({"LOGS_DIRECTORY": blocker}, None),
                         ({}, os.path.join(blocker, "sub", "photopub.log"))):
            if key:
                self.ws.set("Log", "file", key)
            res = self.ws.run("--dry-publish", env=env)
            self.assertEqual(res.rc, 0, res.stderr)
            w = res.one("log_file_error")
            self.assertEqual(w["level"], "warning")
            self.assertIn(blocker, w["path"])
            self.assertTrue(w["error"])
            res.one("workflow_timing")

    def test_queue_changes_reach_the_file(self):
        name = self.ws.image_names()[0]
        proc = subprocess.run([harness.BIN, "queue", "pin", name, "--config", self.ws.config],
                              capture_output=True, text=True, env=self.ws.environ(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = harness.parse_log(proc.stderr)
        self.assertTrue(lines)
        self.assertEqual(read_log(self.ws.log_file()), lines)


class ReadersTest(harness.TestCase):
    images = harness.SAMPLES[:2]

    def setUp(self):
        super().setUp()
        self.res = self.ws.run()
        self.assertEqual(self.res.rc, 0, self.res.stderr)
        self.cid = self.res.one("workflow_timing")["correlation_id"]

    def test_stats_reads_the_default_file_from_a_terminal(self):
        rc, out, lines = run_with_tty_stdin(self.ws, "stats", "--json")
        self.assertEqual(rc, 0, lines)
        self.assertEqual([l["file"] for l in lines if l["message"] == "log_input_default"],
                         [self.ws.log_file()])
        self.assertEqual(json.loads(out)["stages"]["total_ms"]["count"], 1)

    def test_trace_reads_the_default_file_from_a_terminal(self):
        rc, out, lines = run_with_tty_stdin(self.ws, "trace", self.cid[:8])
        self.assertEqual(rc, 0, lines)
        self.assertIn(self.cid, out)
        self.assertTrue(any(l["message"] == "log_input_default" for l in lines))

    def test_report_reads_the_default_file_from_a_terminal(self):
        html = os.path.join(self.ws.dir, "r.html")
        rc, out, lines = run_with_tty_stdin(self.ws, "report", "-o", html)
        self.assertEqual(rc, 0, lines)
        self.assertIn("%d lines read" % len(read_log(self.ws.log_file())), out)
        self.assertTrue(os.path.getsize(html) > 0)
        self.assertTrue(any(l["message"] == "log_input_default" for l in lines))

    def test_stdin_that_is_not_a_terminal_is_still_read(self):
        proc = subprocess.run([harness.BIN, "stats", "--json"], input="", capture_output=True,
                              text=True, env=self.ws.environ(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("log_input_default", proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["lines"], 0)

    def test_no_default_file_is_a_usage_error(self):
        os.unlink(self.ws.log_file())
        rc, out, lines = run_with_tty_stdin(self.ws, "stats")
        self.assertEqual(rc, 2)
        err = [l for l in lines if l["message"] == "usage_error"][0]
        self.assertIn(self.ws.log_file(), err["error"])


if __name__ == "__main__":
    harness.main()
