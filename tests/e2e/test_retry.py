"""`photopub retry` and POST /api/history/{id}/retry: a run's image sent
again only to the platforms that failed (or whose outcome stayed unknown),
never to one that has the post, with what the run approved, under a new
correlation id whose lines carry retry_of; `partial` in workflow_complete
and the history."""

import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from webharness import WebServer  # noqa: E402

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402

IMG = "bleached-wooden-deck.jpg"
TOKEN = "e2e-retry-bearer-3f9c"
ADMIN_PW = "retry-admin-pw-81d0"
SECRET = "retry-session-secret-0123456789abcdef"


class Base(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.tg = FakeTelegram().start()
        self.addCleanup(self.tg.stop)
        self.tg.configure(self.ws)

    def sends(self):
        return self.tg.photo_requests()

    def retry(self, *args):
        return self.ws.run(*args, command="retry")

    def history(self):
        res = self.ws.run("--json", command="history")
        self.assertEqual(res.rc, 0, res.stderr)
        return json.loads(res.stdout)

    def failed_run(self, caption=None):
        """A run whose outbox posts and whose telegram fails (a 400)."""
        self.tg.fail_next(400, "Bad Request: chat not found")
        args = ["--select", IMG]
        if caption:
            path = os.path.join(self.ws.dir, "caption.txt")
            with open(path, "w") as f:
                f.write(caption)
            args += ["--caption-file", path]
        res = self.ws.run(*args)
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertFalse(done["results"]["telegram"]["success"])
        # the summary says so, and how to send the rest
        self.assertIn("result:   ok, partly published (correlation_id %s)" % done["correlation_id"],
                      res.stdout)
        self.assertIn("photopub retry %s" % done["correlation_id"][:8], res.stdout)
        return res, done


class RetryTest(Base):

    def test_last_sends_only_to_the_failed_platform(self):
        caption = "An approved caption, sent again as it was"
        first, done = self.failed_run(caption)
        cid = done["correlation_id"]
        self.assertIs(done["partial"], True)
        self.assertEqual(self.sends(), 1)
        posts = self.ws.posts()
        self.assertIn(IMG, self.ws.archived())
        archived = self.ws.archived()
        rows = [r for r in self.history() if r["correlation_id"] == cid]
        self.assertEqual(sorted((r["platform"], r["success"], r["partial"]) for r in rows),
                         [("outbox", True, True), ("telegram", False, True)])
        self.assertTrue(all(r["retryable"] for r in rows))
        table = self.ws.run(command="history")
        self.assertIn("partly published", table.stdout)

        res = self.retry("--last")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.sends(), 2, "telegram got the second post")
        self.assertEqual(self.ws.posts(), posts, "nothing more in the outbox")
        self.assertEqual(self.tg.photos[-1]["caption"].split("\n")[0], caption)
        self.assertEqual(self.ws.archived(), archived, "the image stays archived")
        new = self.assertOneCorrelation(res)
        self.assertNotEqual(new, cid)
        start = res.one("retry_start")
        self.assertEqual(start["retry_of"], cid)
        self.assertEqual(start["platforms"], ["telegram"])
        complete = res.one("workflow_complete")
        self.assertEqual(complete["retry_of"], cid)
        self.assertEqual(list(complete["results"]), ["telegram"])
        self.assertTrue(complete["results"]["telegram"]["success"])
        self.assertIs(complete["partial"], False)
        self.assertFalse(complete["archived"])
        self.assertEqual(res.one("workflow_timing")["retry_of"], cid)
        self.assertIsNone(res.one("workflow_timing")["vision_analysis_ms"], "no AI call")
        self.assertEqual(res.events("vision_analysis"), [])
        self.assertIn("retry of: " + cid, res.stdout)

        rows = self.history()
        again = [r for r in rows if r["correlation_id"] == new]
        self.assertEqual([(r["platform"], r["success"]) for r in again], [("telegram", True)])
        self.assertFalse(any(r["partial"] or r["retryable"] for r in rows))

        nothing = self.retry("--last")
        self.assertEqual(nothing.rc, 1)
        self.assertIn("nothing to retry", nothing.stdout)
        self.assertEqual(self.sends(), 2)
        # the retry's id finds the same run
        self.assertEqual(self.retry(new).rc, 1)
        self.assertIn("nothing to retry", self.retry(new).stdout)

    def test_platform_that_has_the_post_is_refused(self):
        _, done = self.failed_run()
        cid = done["correlation_id"]
        posts = self.ws.posts()
        res = self.retry(cid[:8], "--platform", "outbox")
        self.assertEqual(res.rc, 1)
        self.assertIn("outbox has the post of run %s already" % cid, res.stdout)
        self.assertEqual(self.ws.posts(), posts)
        res = self.retry(cid, "--platform", "email")
        self.assertEqual(res.rc, 1)
        self.assertIn("email was not one of the platforms", res.stdout)
        self.assertEqual(self.sends(), 1)
        # a unique prefix of 8 characters names the run
        res = self.retry(cid[:8], "--platform", "telegram", "--json")
        self.assertEqual(res.rc, 0, res.stderr)
        out = json.loads(res.stdout)
        self.assertEqual(out["retry_of"], cid)
        self.assertEqual(out["filename"], IMG)
        self.assertIs(out["partial"], False)
        self.assertTrue(out["results"]["telegram"]["success"])
        self.assertEqual(self.sends(), 2)

    def test_unknown_run_and_usage(self):
        self.assertEqual(self.retry("--last").rc, 1)
        res = self.retry("0123456789abcdef")
        self.assertEqual(res.rc, 1)
        self.assertIn("no run 0123456789abcdef", res.stdout)
        res = self.retry("0123")
        self.assertEqual(res.rc, 1)
        self.assertIn("at least its first 8 characters", res.stdout)
        self.assertEqual(self.retry().rc, 2)
        self.assertEqual(self.retry("abc", "--last").rc, 2)

    def test_failed_again_stays_partial(self):
        _, done = self.failed_run()
        self.tg.fail_next(400, "Bad Request: still not found")
        res = self.retry(done["correlation_id"])
        self.assertEqual(res.rc, 1)
        self.assertIs(res.one("workflow_complete")["partial"], True)
        self.assertIn("every platform failed again", res.stdout)
        self.assertTrue(all(r["partial"] for r in self.history()))

    def test_an_image_no_platform_had_is_archived_by_the_retry(self):
        self.ws.set("Outbox", "enabled", "false")
        self.tg.fail_next(400, "Bad Request: chat not found")
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 1)
        self.assertIs(res.one("workflow_complete")["partial"], False)
        self.assertIn(IMG, self.ws.image_names())
        self.assertEqual(self.ws.archived(), [])
        res = self.retry("--last")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(res.one("workflow_complete")["archived"])
        self.assertIn(IMG, self.ws.archived())
        self.assertNotIn(IMG, self.ws.image_names())
        db = sqlite3.connect(self.ws.state)
        sha = db.execute("SELECT sha256 FROM journal").fetchone()[0]
        self.assertEqual(db.execute("SELECT count(*) FROM posted_sha256 WHERE sha256 = ?",
                                    (sha,)).fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT archived_as FROM journal").fetchone()[0], IMG)
        db.close()

    def test_an_unknown_outcome_after_a_crash_is_retried(self):
        # What resolving a killed run leaves (test_crash.py): a finished
        # intent whose telegram is "unknown"; only a retry sends it again.
        res = self.ws.run("--select", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        cid = res.one("workflow_complete")["correlation_id"]
        db = sqlite3.connect(self.ws.state)
        db.execute("UPDATE journal_platform SET outcome = 'unknown', post_id = NULL, "
                   "error = 'outcome unknown: the run was interrupted' WHERE platform = 'telegram'")
        db.commit()
        db.close()
        self.assertTrue(all(r["retryable"] for r in self.history()))
        posts = self.ws.posts()
        res = self.retry(cid)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.sends(), 2)
        self.assertEqual(self.ws.posts(), posts)
        self.assertEqual(res.one("retry_start")["platforms"], ["telegram"])


class RetryWebTest(Base):

    def serve(self):
        e = {"WEB_AUTH_TOKEN": TOKEN, "web_admin_pw": ADMIN_PW, "WEB_SESSION_SECRET": SECRET}
        self.srv = WebServer(self.ws, e).start()
        self.addCleanup(self.srv.kill)
        self.addCleanup(lambda: self.srv.stopped is None and self.srv.stop())
        self.admin = self.srv.admin_headers(TOKEN, ADMIN_PW)

    def post(self, path, headers=None):
        return self.srv.request(path, method="POST", data=b"",
                                headers=self.admin if headers is None else headers)

    def test_route(self):
        _, done = self.failed_run()
        cid = done["correlation_id"]
        self.serve()
        path = "/api/history/%s/retry" % cid
        self.assertEqual(self.post(path, headers=[]).status, 401)
        self.assertEqual(self.post(path, headers=["Authorization: Bearer " + TOKEN]).status, 403)
        self.assertEqual(self.sends(), 1, "nothing sent without the admin")
        self.assertEqual(self.post("/api/history/0123456789abcdef/retry").status, 404)
        self.assertEqual(self.post("/api/history/a%2Fb/retry").status, 400)
        r = self.post(path + "?platform=outbox")
        self.assertEqual(r.status, 409, r)
        rows = self.srv.request("/api/history", headers=self.admin).json()["entries"]
        self.assertTrue(all(e["partial"] and e["retryable"] for e in rows))

        r = self.post(path)
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(out["filename"], IMG)
        self.assertEqual(out["retry_of"], cid)
        self.assertIs(out["partial"], False)
        self.assertEqual(list(out["results"]), ["telegram"])
        self.assertTrue(out["results"]["telegram"]["success"])
        self.assertEqual(out["correlation_id"], r.header("X-Correlation-ID"))
        self.assertEqual(self.sends(), 2)
        line = [l for l in self.srv.request_lines(out["correlation_id"])
                if l["message"] == "workflow_complete"]
        self.assertEqual(line[0]["retry_of"], cid)

        r = self.post(path)
        self.assertEqual(r.status, 409, r)
        self.assertIn("nothing to retry", r.json()["detail"])
        self.assertEqual(self.sends(), 2)


if __name__ == "__main__":
    harness.main()
