"""Shared helpers of the end-to-end tests: a scratch folder with sample
images and a config, running the built photopub binary, and reading its log
lines (every stderr line must be one JSON object)."""

import atexit
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

BIN = os.environ.get("PHOTOPUB_BIN", "build-test/photopub")
SOURCE = os.environ.get("PHOTOPUB_SOURCE", os.getcwd())
EXAMPLES = os.path.join(SOURCE, "examples", "images")
DATA = os.environ.get("PHOTOPUB_TEST_DATA", os.path.join(SOURCE, "tests", "data"))

# photopub appends its log lines to a default file under XDG_STATE_HOME (or
# LOGS_DIRECTORY under systemd): a process a test starts with a copy of this
# environment gets a private folder, never the real home's.
os.environ.pop("LOGS_DIRECTORY", None)
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="pp-e2e-state-")
atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], True)

SAMPLES = sorted(f for f in os.listdir(EXAMPLES) if f.lower().endswith((".jpg", ".jpeg", ".png")))

TIMING_STAGES = ["dropbox_list_images_ms", "image_selection_ms", "vision_analysis_ms",
                 "caption_generation_ms", "sidecar_write_ms", "publish_parallel_ms",
                 "archive_ms", "total_ms"]


class Result:
    def __init__(self, proc, lines):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = lines

    def events(self, name):
        return [l for l in self.lines if l.get("message") == name]

    def one(self, name):
        found = self.events(name)
        if len(found) != 1:
            raise AssertionError("expected one %s line, got %d:\n%s" % (name, len(found), self.stderr))
        return found[0]


def parse_log(text):
    """Every line one JSON object with the contract's leading keys, in order."""
    lines = []
    for i, raw in enumerate(text.splitlines()):
        try:
            obj = json.loads(raw)
        except ValueError as e:
            raise AssertionError("stderr line %d is not JSON (%s): %r" % (i + 1, e, raw[:200]))
        if not isinstance(obj, dict):
            raise AssertionError("stderr line %d is not an object: %r" % (i + 1, raw[:200]))
        keys = list(obj.keys())
        if keys[:4] != ["timestamp", "level", "logger", "message"]:
            raise AssertionError("line %d keys out of order: %s" % (i + 1, keys[:5]))
        if "correlation_id" in obj and keys[4] != "correlation_id":
            raise AssertionError("line %d: correlation_id not fifth: %s" % (i + 1, keys[:6]))
        lines.append(obj)
    return lines


DEFAULT_LOG_TAIL = os.path.join(".local", "state", "photopub", "photopub.log")


def tree_digest(*paths):
    """SHA-256 over every file (path, mode, bytes) below paths: a change anywhere shows.
    The default log file (Workspace.log_file), which every command appends
    its lines to, previews included, is not part of the tree."""
    h = hashlib.sha256()
    for top in paths:
        if not os.path.exists(top):
            h.update(b"missing:" + top.encode())
            continue
        if os.path.isfile(top):
            walk = [(os.path.dirname(top), [], [os.path.basename(top)])]
        else:
            walk = os.walk(top)
        for root, dirs, files in walk:
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                if p.endswith(DEFAULT_LOG_TAIL):
                    continue
                h.update(os.path.relpath(p, top).encode() + b"\0")
                st = os.lstat(p)
                h.update(str(st.st_mode).encode())
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as fh:
                        h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def terminate(proc, timeout=30):
    """SIGTERM to proc and a wait of timeout seconds; a process still
    running then is killed. Returns False when it had to be killed."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


class Workspace:
    """A scratch folder: images/, outbox/, state.db, photopub.ini, .env."""

    def __init__(self, images=None):
        self.dir = tempfile.mkdtemp(prefix="pp-e2e-")
        self.images = os.path.join(self.dir, "images")
        self.outbox = os.path.join(self.dir, "outbox")
        self.state = os.path.join(self.dir, "state.db")
        self.config = os.path.join(self.dir, "photopub.ini")
        self.home = os.path.join(self.dir, "home")
        # The default log file of every process started here: log_file().
        self.state_home = os.path.join(self.home, ".local", "state")
        os.makedirs(self.images)
        os.makedirs(self.home)
        for name in (SAMPLES if images is None else images):
            shutil.copy(os.path.join(EXAMPLES, name), self.images)
        self.sections = {
            "Storage": {"backend": "local", "path": self.images},
            "AI": {"provider": "local"},
            "Content": {"hashtag_string": "#test", "archive": "true"},
            "Outbox": {"enabled": "true", "path": self.outbox},
            "State": {"path": self.state},
        }
        self.env = {}
        self.write_config()

    def set(self, section, key, value):
        self.sections.setdefault(section, {})[key] = value
        self.write_config()

    def write_config(self):
        with open(self.config, "w") as f:
            for section, kv in self.sections.items():
                f.write("[%s]\n" % section)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))

    def use_dropbox(self, fake, app_key, app_secret, refresh_token, folder="/Photos"):
        """The Dropbox backend on folder of fake (a FakeDropbox), its
        credentials in the environment."""
        self.sections["Storage"] = {"backend": "dropbox"}
        self.sections["Dropbox"] = {"image_folder": folder, "api_url": fake.url,
                                    "content_url": fake.url, "oauth_url": fake.url}
        self.write_config()
        self.env.update({"DROPBOX_APP_KEY": app_key, "DROPBOX_APP_SECRET": app_secret,
                         "DROPBOX_REFRESH_TOKEN": refresh_token})

    def image_names(self):
        return sorted(f for f in os.listdir(self.images)
                      if os.path.isfile(os.path.join(self.images, f)) and not f.endswith(".txt"))

    def archived(self):
        a = os.path.join(self.images, "archive")
        return sorted(os.listdir(a)) if os.path.isdir(a) else []

    def posts(self):
        return sorted(os.listdir(self.outbox)) if os.path.isdir(self.outbox) else []

    def log_file(self):
        """The default log file of the processes this workspace starts."""
        return os.path.join(self.home, DEFAULT_LOG_TAIL)

    def environ(self):
        """The environment of a process started here: its own HOME, caches
        and state folder (so its default log file) inside the workspace."""
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
             "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
             "XDG_STATE_HOME": self.state_home,
             "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
        for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        return e

    def run(self, *args, env=None, command="run", timeout=120, check_json=True, binary=None):
        e = self.environ()
        e.update(self.env)
        if env:
            e.update(env)
        argv = [binary or BIN] + ([command] if command else []) + ["--config", self.config] + list(args)
        proc = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=timeout,
                              errors="surrogateescape")
        lines = parse_log(proc.stderr) if check_json else []
        return Result(proc, lines)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class TestCase(unittest.TestCase):
    images = None

    def setUp(self):
        self.ws = Workspace(self.images)
        self.addCleanup(self.ws.cleanup)

    def assertTiming(self, res, success, ran=(), skipped=()):
        t = res.one("workflow_timing")
        for k in TIMING_STAGES:
            self.assertIn(k, t)
            v = t[k]
            self.assertTrue(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
                            "%s=%r" % (k, v))
        for k in ran:
            self.assertIsInstance(t[k], int, "%s should have run" % k)
        for k in skipped:
            self.assertIsNone(t[k], "%s should be null" % k)
        self.assertIsInstance(t["total_ms"], int)
        self.assertIs(t["success"], success)
        self.assertIn("preview_mode", t)
        self.assertIn("dry_publish", t)
        self.assertIn("error", t)
        return t

    def assertOneCorrelation(self, res):
        ids = {l["correlation_id"] for l in res.lines if "correlation_id" in l}
        self.assertEqual(len(ids), 1, ids)
        run_lines = [l for l in res.lines if l["logger"] in ("workflow", "ai", "storage")
                     or l["logger"].startswith("publisher.")]
        for l in run_lines:
            self.assertIn("correlation_id", l, l)
        return ids.pop()


def main():
    unittest.main(verbosity=2)
