"""`photopub history`: the publication history read back from the state,
as a table and as JSON, filtered by platform and time, failures with their
reasons; it never changes the state."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


class HistoryTest(harness.TestCase):

    def history(self, *args):
        return self.ws.run(*args, command="history")

    def test_empty_then_posts_and_failures(self):
        res = self.history()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.stdout, "nothing posted yet\n")
        self.assertFalse(os.path.exists(self.ws.state), "reading made no state file")

        first = self.ws.run()
        self.assertEqual(first.rc, 0, first.stderr)
        # a failing outbox: the path is a file
        with open(os.path.join(self.ws.dir, "blocked"), "w") as f:
            f.write("x")
        self.ws.set("Outbox", "path", os.path.join(self.ws.dir, "blocked"))
        failed = self.ws.run()
        self.assertEqual(failed.rc, 1)

        before = harness.tree_digest(self.ws.state)
        res = self.history("--json")
        self.assertEqual(res.rc, 0, res.stderr)
        rows = json.loads(res.stdout)
        self.assertEqual([(r["platform"], r["success"]) for r in rows],
                         [("outbox", True), ("outbox", False)])
        ok, bad = rows
        done = first.one("workflow_complete")
        self.assertEqual(ok["image"], done["image"])
        self.assertEqual(ok["post_id"], done["results"]["outbox"]["post_id"])
        self.assertEqual(ok["correlation_id"], first.lines[0]["correlation_id"])
        self.assertIsNone(ok["error"])
        self.assertIsNone(bad["post_id"])
        self.assertTrue(bad["error"])
        self.assertRegex(ok["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(harness.tree_digest(self.ws.state), before)

        table = self.history().stdout.splitlines()
        self.assertEqual(len(table), 3)
        self.assertIn("posted", table[1])
        self.assertIn(ok["post_id"], table[1])
        self.assertIn("failed", table[2])

        self.assertEqual(json.loads(self.history("--json", "--platform", "telegram").stdout), [])
        self.assertEqual(len(json.loads(self.history("--json", "--since", "1h").stdout)), 2)
        self.assertEqual(json.loads(self.history("--json", "--since", "2099-01-01").stdout), [])
        self.assertEqual(len(json.loads(self.history("--json", "--since", ok["time"]).stdout)), 2)
        self.assertEqual(len(json.loads(self.history("--json", "--since", bad["time"]).stdout)), 1)

    def test_usage_errors(self):
        for args in (["--since", "soon"], ["--bogus"], ["extra"]):
            res = self.history(*args)
            self.assertEqual(res.rc, 2, args)
            self.assertEqual(res.one("usage_error")["command"], "history")


if __name__ == "__main__":
    harness.main()
