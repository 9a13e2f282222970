"""The posting queue: `--preview` names the image the next `run` posts, and
says so; `photopub queue` lists what runs then post, in that order; pin,
skip, hold and release change it; `[Content] order` gives the documented
orders; a posted image never comes back; the web's "Next image"
(/api/images/random) walks the same order as GET /api/queue without
changing it."""

import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from webharness import WebServer, curl  # noqa: E402

NEXT_RE = re.compile(r"^  next: (.+) \(queue position (\d+)\): the image the next run will post$", re.M)


class QueueTest(harness.TestCase):

    def queue(self, *args):
        res = self.ws.run(*args, command="queue")
        return res

    def queue_json(self, *args):
        res = self.queue("--json", *args)
        self.assertEqual(res.rc, 0, res.stderr)
        return json.loads(res.stdout)

    def order(self):
        return [i["filename"] for i in self.queue_json("--limit", "10000")["items"]]

    def preview_next(self):
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        m = NEXT_RE.search(res.stdout)
        self.assertIsNotNone(m, res.stdout)
        return m.group(1), int(m.group(2))

    def run_posts(self):
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        return res.one("workflow_complete")["image"], res.one("image_selected")["queue_position"]

    def test_previews_name_the_image_the_run_posts(self):
        previews = [self.preview_next() for _ in range(4)]
        self.assertEqual(len(set(previews)), 1, previews)
        name, position = previews[0]
        self.assertEqual(position, 1)
        self.assertFalse(os.path.exists(self.ws.state), "a preview writes no state")
        self.assertEqual(self.run_posts(), (name, 1))
        self.assertIn(name, self.ws.archived())
        # and again, now that the state holds the queue
        previews = [self.preview_next() for _ in range(4)]
        self.assertEqual(len(set(previews)), 1, previews)
        before = harness.tree_digest(self.ws.state)
        self.assertEqual(self.run_posts()[0], previews[0][0])
        self.assertNotEqual(harness.tree_digest(self.ws.state), before)

    def test_queue_lists_what_runs_post(self):
        res = self.queue()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertFalse(os.path.exists(self.ws.state), "listing writes no state")
        table = res.stdout.splitlines()
        self.assertEqual(table[0].split(), ["position", "status", "added", "bytes", "image"])
        self.assertEqual(table[1].split()[:2], ["1", "next"])
        self.assertIn("8 images in the queue (order random)", table[-1])

        order = self.order()
        self.assertEqual(sorted(order), harness.SAMPLES)
        doc = self.queue_json()
        self.assertEqual(doc["count"], 8)
        self.assertEqual([i["position"] for i in doc["items"]], list(range(1, 9)))
        self.assertEqual([i["status"] for i in doc["items"]], ["next"] + ["queued"] * 7)
        self.assertEqual(len(self.queue_json("--limit", "3")["items"]), 3)

        for k in range(3):
            self.assertEqual(self.run_posts(), (order[k], 1))
            before = harness.tree_digest(self.ws.state)
            self.assertEqual(self.order(), order[k + 1:])
            self.assertEqual(harness.tree_digest(self.ws.state), before, "listing changed the state")
        self.assertEqual(len(self.ws.posts()), 3)

    def test_pin_skip_hold_release(self):
        order = self.order()
        res = self.queue("pin", order[5])
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.stdout, "pinned: %s (queue position 1 of 8, next)\n" % order[5])
        changed = res.one("queue_changed")
        self.assertEqual((changed["action"], changed["image"], changed["position"]), ("pin", order[5], 1))
        self.assertEqual(self.order()[0], order[5])
        self.assertEqual(self.queue_json()["items"][0]["pinned"], True)
        self.assertEqual(self.preview_next(), (order[5], 1))
        self.assertEqual(self.run_posts()[0], order[5])

        rest = [n for n in order if n != order[5]]
        self.assertEqual(self.queue("skip", rest[0]).rc, 0)
        self.assertEqual(self.order(), rest[1:] + rest[:1])
        rest = rest[1:] + rest[:1]

        self.assertEqual(self.queue("hold", rest[0]).rc, 0)
        items = self.queue_json()["items"]
        self.assertEqual([i["filename"] for i in items], rest[1:] + rest[:1])
        self.assertEqual(items[-1]["status"], "held")
        self.assertEqual(self.run_posts()[0], rest[1])

        self.assertEqual(self.queue("release", rest[0]).rc, 0)
        self.assertEqual(self.order(), [rest[0]] + rest[2:])
        self.assertEqual(self.run_posts()[0], rest[0])

        # unknown, posted: clear errors naming the image, exit 1, nothing changed
        before = harness.tree_digest(self.ws.state)
        for name, why in (("no-such.jpg", "no such image in the folder"),
                          ("../etc/passwd", "no such image in the folder"),
                          (rest[1], "not in the queue")):
            res = self.queue("pin", name)
            self.assertEqual(res.rc, 1, res.stderr)
            err = res.one("queue_error")["error"]
            self.assertIn(name, err)
            self.assertIn(why, err)
        self.assertEqual(harness.tree_digest(self.ws.state), before)
        res = self.queue("--help")
        self.assertEqual(res.rc, 0)
        for word in ("pin NAME", "skip NAME", "hold NAME", "release NAME", "--limit N", "--json"):
            self.assertIn(word, res.stdout)
        for args in (["frobnicate", "x.jpg"], ["pin"], ["pin", "a", "b"], ["--limit", "0"]):
            res = self.queue(*args)
            self.assertEqual(res.rc, 2, args)
            self.assertEqual(res.one("usage_error")["command"], "queue")

    def test_every_image_held_posts_nothing(self):
        for name in self.order():
            self.assertEqual(self.queue("hold", name).rc, 0)
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        self.assertIn("8 held", res.one("workflow_complete")["error"])
        self.assertEqual(self.ws.posts(), [])

    def test_orders(self):
        names = harness.SAMPLES
        # modification times: the reverse of the name order, a minute apart
        for i, name in enumerate(names):
            t = 1700000000 + 60 * (len(names) - i)
            os.utime(os.path.join(self.ws.images, name), (t, t))
        expect = {"name": names, "oldest": names[::-1], "newest": names}
        for order, want in expect.items():
            self.ws.set("Content", "order", order)
            self.assertEqual(self.order(), want, order)
            res = self.queue()
            self.assertIn("(order %s)" % order, res.stdout)
        self.ws.set("Content", "order", "oldest")
        self.assertEqual(self.run_posts()[0], names[-1])
        # a new image joins at its place: the oldest of all goes first
        shutil.copy(os.path.join(harness.EXAMPLES, names[0]), os.path.join(self.ws.images, "zz-old.jpg"))
        os.utime(os.path.join(self.ws.images, "zz-old.jpg"), (1600000000, 1600000000))
        self.assertEqual(self.order()[0], "zz-old.jpg")

        self.ws.set("Content", "order", "shuffled")
        res = self.queue()
        self.assertEqual(res.rc, 2)
        e = res.one("config_error")
        self.assertEqual((e["section"], e["key"]), ("Content", "order"))
        self.assertIn("random", e["error"])

    def test_a_posted_image_never_comes_back(self):
        name, _ = self.run_posts()
        archived = os.path.join(self.ws.images, "archive", name)
        shutil.copy(archived, os.path.join(self.ws.images, name))
        shutil.copy(archived, os.path.join(self.ws.images, "copy-of-" + name))
        self.assertNotIn(name, self.order())
        self.assertNotIn("copy-of-" + name, self.order())
        res = self.queue("pin", name)
        self.assertEqual(res.rc, 1)
        self.assertIn("posted already", res.one("queue_error")["error"])
        posted = [self.run_posts()[0] for _ in range(7)]
        self.assertEqual(sorted(posted + [name]), harness.SAMPLES)
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("workflow_complete")["error"], "No new images to post (all duplicates)")

    def test_web_walks_the_queue(self):
        srv = WebServer(self.ws)
        self.addCleanup(srv.kill)
        srv.start()
        try:
            q = curl(srv.url + "/api/queue?limit=100")
            self.assertEqual(q.status, 200)
            doc = q.json()
            order = [i["filename"] for i in doc["items"]]
            self.assertEqual(doc["count"], 8)
            self.assertEqual(set(doc["items"][0]), {"filename", "position", "status", "pinned",
                                                    "added_at", "size"})
            self.assertEqual(order, self.order())
            shown = []
            for _ in range(8):
                r = curl(srv.url + "/api/images/random")
                self.assertEqual(r.status, 200)
                shown.append(r.json()["filename"])
            self.assertEqual(shown, order)
            # the walk starts again at the head; looking changed nothing
            self.assertEqual(curl(srv.url + "/api/images/random").json()["filename"], order[0])
            self.assertEqual([i["filename"] for i in curl(srv.url + "/api/queue").json()["items"]], order)
            self.assertEqual(self.order(), order)
            small = curl(srv.url + "/api/queue?limit=2").json()
            self.assertEqual((len(small["items"]), small["count"]), (2, 8))
            for bad in ("0", "x", "10001"):
                r = curl(srv.url + "/api/queue?limit=" + bad)
                self.assertEqual(r.status, 400, bad)
                self.assertIn("limit", r.json()["detail"])
            # a CLI pin shows at once; the run posts the web's head
            self.assertEqual(self.queue("pin", order[3]).rc, 0)
            self.assertEqual(curl(srv.url + "/api/queue").json()["items"][0]["filename"], order[3])
            self.assertEqual(self.run_posts()[0], order[3])
        finally:
            lines = srv.stop()
        events = [l for l in lines if l["message"] in ("web_queue", "web_queue_error")]
        self.assertTrue(any(l["message"] == "web_queue" and l["count"] == 8 for l in events))
        self.assertTrue(all(isinstance(l["web_queue_ms"], int) for l in events))


if __name__ == "__main__":
    harness.main()
