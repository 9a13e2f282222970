"""Concurrent runs over one folder and one state never post the same image:
8 runs at once, with the SQLite state file and with PostgreSQL (the server
tests/pg/pg-start started: PHOTOPUB_TEST_PG_DIR names it; no server fails
the test). And [State] url's password never shows in a log line or message."""

import json
import os
import subprocess
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

RUNS = 8


def pg_url():
    d = os.environ.get("PHOTOPUB_TEST_PG_DIR")
    if not d:
        raise AssertionError("PHOTOPUB_TEST_PG_DIR is not set: ctest sets it (tests/pg)")
    path = os.path.join(d, "url")
    if not os.path.isfile(path):
        raise AssertionError("no PostgreSQL server: %s is missing (tests/pg/pg-start)" % path)
    with open(path) as f:
        return f.read().strip()


def schema_url(base, schema):
    """The URL of a schema of its own, created first (with psql's bin dir)."""
    d = os.environ["PHOTOPUB_TEST_PG_DIR"]
    with open(os.path.join(d, "bindir")) as f:
        psql = os.path.join(f.read().strip(), "psql")
    subprocess.run([psql, "-X", "-q", base, "-c", "CREATE SCHEMA %s" % schema], check=True,
                   capture_output=True, text=True)
    return base + "?options=-csearch_path%%3D%s" % schema


class ConcurrentRuns(harness.TestCase):
    def run_all(self):
        self.assertGreaterEqual(len(harness.SAMPLES), RUNS)
        procs = []
        for i in range(RUNS):
            e = dict(os.environ)
            e.update({"HOME": self.ws.home, "XDG_CACHE_HOME": os.path.join(self.ws.home, ".cache")})
            e.update(self.ws.env)
            procs.append(subprocess.Popen([harness.BIN, "run", "--config", self.ws.config],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, env=e))
        images = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, err)
            lines = harness.parse_log(err)
            done = [l for l in lines if l.get("message") == "workflow_timing"]
            self.assertEqual(len(done), 1, err)
            images.append(done[0]["image"])
        # 8 distinct images, each posted once.
        self.assertEqual(len(set(images)), RUNS, images)
        posted = []
        for post in self.ws.posts():
            with open(os.path.join(self.ws.outbox, post, "post.json")) as f:
                posted.append(json.load(f)["image"])
        self.assertEqual(sorted(posted), sorted(images))
        # The next run posts what is left, then none is left.
        left = len(harness.SAMPLES) - RUNS
        for _ in range(left):
            self.assertEqual(self.ws.run().rc, 0)
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        self.assertEqual(len(self.ws.posts()), len(harness.SAMPLES))

    def test_sqlite(self):
        self.run_all()

    def test_postgres(self):
        url = schema_url(pg_url(), "e2e_%s" % uuid.uuid4().hex[:12])
        self.ws.set("State", "backend", "postgres")
        self.ws.set("State", "url", url)
        self.run_all()
        self.assertFalse(os.path.exists(self.ws.state))  # no SQLite file made


class PasswordSecret(harness.TestCase):
    def test_url_password_never_shown(self):
        base = urllib.parse.urlsplit(pg_url())
        password = base.password
        self.assertTrue(password)
        url = schema_url(pg_url(), "e2e_%s" % uuid.uuid4().hex[:12])
        self.ws.set("State", "backend", "postgres")
        self.ws.set("State", "url", url)
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertNotIn(password, res.stderr + res.stdout)
        # A wrong database: the error names the server, never the password.
        bad = url.replace("/photopub_test?", "/no_such_database?")
        self.ws.set("State", "url", bad)
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("no_such_database", res.stderr)
        self.assertIn("postgresql://postgres@127.0.0.1", res.stderr)
        self.assertNotIn(password, res.stderr + res.stdout)
        # A wrong password: refused, and the wrong one is not shown either.
        wrong = url.replace(":%s@" % password, ":wrong-%s@" % password[:6])
        self.ws.set("State", "url", wrong)
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("password authentication failed", res.stderr)
        self.assertNotIn("wrong-%s" % password[:6], res.stderr + res.stdout)

    def test_password_from_pgpassword_or_pgpass(self):
        base = urllib.parse.urlsplit(pg_url())
        password = base.password
        url = schema_url(pg_url(), "e2e_%s" % uuid.uuid4().hex[:12])
        bare = url.replace(":%s@" % password, "@")
        self.assertNotIn(password, bare)
        self.ws.set("State", "backend", "postgres")
        self.ws.set("State", "url", bare)
        # no password anywhere: refused
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("state", res.one("startup_error")["where"])
        # PGPASSWORD (libpq's): works, and is redacted like any secret
        res = self.ws.run(env={"PGPASSWORD": password})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertNotIn(password, res.stderr + res.stdout)
        # ~/.pgpass (HOME is the workspace's): works too
        pgpass = os.path.join(self.ws.home, ".pgpass")
        with open(pgpass, "w") as f:
            f.write("127.0.0.1:%d:photopub_test:postgres:%s\n" % (base.port, password))
        os.chmod(pgpass, 0o600)
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertNotIn(password, res.stderr + res.stdout)

    def test_postgres_without_url(self):
        self.ws.set("State", "backend", "postgres")
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("[State] url", res.stderr)


if __name__ == "__main__":
    unittest.main()
