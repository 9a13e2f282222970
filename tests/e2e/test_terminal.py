"""Log lines on a terminal: `run` with stderr on a pseudo-terminal prints
short text lines (colour unless NO_COLOR or TERM=dumb), --log-format json
forces JSON there and --log-format text forces text without one (the
--log-file keeping JSON); usage and configuration errors read as sentences;
a bad --log-format is a usage error; `serve` prints the URL to open."""

import json
import os
import pty
import re
import subprocess
import time

import harness
import webharness

TEXT_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO |WARN |ERROR) [a-z_]+( |$)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_on_tty(ws, *args, env=None, command="run"):
    """photopub with stderr on a pseudo-terminal; (rc, stdout, stderr text)."""
    e = dict(ws.environ(), TERM="xterm")
    e.update(env or {})
    argv = [harness.BIN] + ([command] if command else []) + list(args)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(argv, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=slave)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    out = proc.stdout.read().decode("utf-8", "replace")
    proc.stdout.close()
    proc.wait(timeout=120)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return proc.returncode, out, text


class TerminalTest(harness.TestCase):
    def config_args(self, *args):
        return ["--config", self.ws.config] + list(args)

    def assertTextLines(self, text, colour=False):
        lines = [l for l in text.splitlines() if l]
        self.assertTrue(lines, text)
        for l in lines:
            plain = ANSI.sub("", l)
            self.assertRegex(plain, TEXT_LINE)
            self.assertLess(len(plain), 200, plain)
            self.assertEqual(bool(ANSI.search(l)), colour, repr(l))
        return [ANSI.sub("", l) for l in lines]

    def test_run_on_a_terminal_prints_text(self):
        rc, out, err = run_on_tty(self.ws, *self.config_args())
        self.assertEqual(rc, 0, err)
        lines = self.assertTextLines(err, colour=True)
        timing = [l for l in lines if " workflow_timing " in l]
        self.assertEqual(len(timing), 1, lines)
        self.assertRegex(timing[0], r" cid=[0-9a-f]{8} ")
        self.assertNotIn("correlation_id", err)
        self.assertRegex(out, r"result:\s+ok")

    def test_no_colour_when_asked(self):
        for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
            with self.subTest(env=env):
                rc, _, err = run_on_tty(self.ws, *self.config_args("--preview"), env=env)
                self.assertEqual(rc, 0, err)
                self.assertTextLines(err, colour=False)

    def test_json_forced_on_a_terminal(self):
        for args, env in ((["--log-format", "json"], None), (["--log-format=json"], None),
                          ([], {"PHOTOPUB_LOG_FORMAT": "json"})):
            with self.subTest(args=args, env=env):
                rc, _, err = run_on_tty(self.ws, *self.config_args("--preview", *args), env=env)
                self.assertEqual(rc, 0, err)
                lines = harness.parse_log(err)
                self.assertTrue(any(l["message"] == "workflow_timing" for l in lines))

    def test_text_forced_without_a_terminal_file_keeps_json(self):
        log = os.path.join(self.ws.dir, "run.log")
        # the option also works before the command word
        proc = subprocess.run([harness.BIN, "--log-format", "text", "run", "--config", self.ws.config,
                               "--preview", "--log-file", log],
                              capture_output=True, text=True, timeout=120,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.ws.home,
                                   "TERM": "xterm",
                                   **{k: os.environ[k] for k in ("ASAN_OPTIONS", "LSAN_OPTIONS",
                                                                  "UBSAN_OPTIONS") if k in os.environ}})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = self.assertTextLines(proc.stderr, colour=False)  # no colour: not a terminal
        self.assertTrue(any(" workflow_timing " in l for l in lines))
        with open(log, encoding="utf-8") as f:
            file_lines = harness.parse_log(f.read())
        self.assertEqual(len(file_lines), len(lines))
        res = self.ws.run("--preview", "--log-format", "text", check_json=False)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTextLines(res.stderr)

    def test_default_without_a_terminal_stays_json(self):
        res = self.ws.run("--preview")  # parses every stderr line as JSON
        self.assertEqual(res.rc, 0, res.stderr)
        res.one("workflow_timing")

    def test_bad_log_format_is_a_usage_error(self):
        for args in (["--log-format", "yaml"], ["--log-format"]):
            with self.subTest(args=args):
                res = self.ws.run(*args)
                self.assertEqual(res.rc, 2, res.stderr)
                self.assertIn("--log-format", res.one("usage_error")["error"])
        res = self.ws.run(env={"PHOTOPUB_LOG_FORMAT": "xml"})
        self.assertEqual(res.rc, 2)
        self.assertIn("PHOTOPUB_LOG_FORMAT", res.one("usage_error")["error"])

    def test_usage_and_config_errors_read_as_sentences(self):
        rc, _, err = run_on_tty(self.ws, env={"NO_COLOR": "1"})
        self.assertEqual(rc, 2)
        self.assertEqual(err.strip(), "error: --config FILE is required (see photopub run --help)")
        self.ws.sections["Storage"] = {"backend": "local"}
        self.ws.write_config()
        rc, _, err = run_on_tty(self.ws, *self.config_args(), env={"NO_COLOR": "1"})
        self.assertEqual(rc, 2)
        self.assertRegex(err.strip(), r"^error: \[Storage\] path: .+ \(%s\)$" % re.escape(self.ws.config))
        self.assertNotIn("{", err)


class ServeUrlTest(harness.TestCase):
    def test_serve_prints_the_url(self):
        srv = webharness.WebServer(self.ws)
        srv.launch = lambda: None
        if os.path.exists(srv.port_file):
            os.unlink(srv.port_file)
        proc = subprocess.Popen(srv.argv(), env=srv.environ(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            deadline = time.monotonic() + 60
            while not os.path.exists(srv.port_file) and time.monotonic() < deadline:
                time.sleep(0.05)
            with open(srv.port_file) as f:
                port = int(f.read())
        finally:
            self.assertTrue(harness.terminate(proc))
            rest = proc.stdout.read()
            proc.stdout.close()
        self.assertEqual(line, "photopub serve: open http://127.0.0.1:%d/\n" % port)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(rest, "")
        with open(srv.log_path, encoding="utf-8") as f:
            start = [l for l in harness.parse_log(f.read()) if l["message"] == "web_server_start"]
        self.assertEqual(start[0]["port"], port)


if __name__ == "__main__":
    harness.main()
