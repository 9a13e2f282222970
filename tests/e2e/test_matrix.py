"""One suite over every state backend x storage backend (backends.py):
posting, dedup, the publish journal (a run killed around its post does not
post twice), the queue (order, pin/skip/hold/release, `--preview` names what
`run` posts) and curation (keep/remove/delete). Each behaviour is a method of
Matrix; a class per pair runs them all (Matrix_postgres_s3.test_dedup ...).
What the state holds is read through photopub (history, queue), what the
storage holds through the backend's own listing. The servers (s3rver, the
Dropbox fake) start once for the module; PostgreSQL is the ctest fixture
pg.start's (PHOTOPUB_TEST_PG_DIR)."""

import hashlib
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import backends  # noqa: E402
from test_queue import NEXT_RE  # noqa: E402

SHIM = os.environ.get("PHOTOPUB_CRASH_SHIM", "build-test/tests/libcrash_shim.so")
IMGS = ["rocket-on-pad-at-dusk.jpg", "tabby-cat-closeup.jpg", "espresso-on-wooden-table.jpg",
        "wall-clock-motion-blur.jpg"]
OUTBOX_RENAME = "*/outbox/[0-9]*"


def stem(name):
    return os.path.splitext(name)[0]


def tearDownModule():
    backends.stop_all()


class Matrix(harness.TestCase):
    """The behaviours; STATE and STORAGE are set by the generated classes."""
    images = []
    STATE = STORAGE = None

    def setUp(self):
        super().setUp()
        self.storage = self.STORAGE()
        self.storage.setup(self.ws)
        self.addCleanup(self.storage.teardown)
        self.state = self.STATE()
        self.state.setup(self.ws)

    # -- helpers ------------------------------------------------------------------

    def put(self, names, modified=None):
        """names: a list of samples, or a dict name -> sample (or bytes);
        modified: the time of the first, one minute more for each next."""
        if isinstance(names, list):
            names = {n: n for n in names}
        for k, (name, src) in enumerate(names.items()):
            self.storage.put(name, backends.sample(src) if isinstance(src, str) else src,
                             None if modified is None else modified + 60 * k)

    def run_ok(self, *args, **kw):
        res = self.ws.run(*args, **kw)
        self.assertEqual(res.rc, 0, res.stderr[-3000:])
        return res

    def run_posts(self):
        res = self.run_ok()
        return res.one("workflow_complete")["image"]

    def preview_next(self):
        res = self.run_ok("--preview")
        m = NEXT_RE.search(res.stdout)
        self.assertIsNotNone(m, res.stdout)
        return m.group(1), int(m.group(2))

    def order(self):
        return [i["filename"] for i in self.state.queue()]

    def outbox(self):
        """The outbox's posts: a list of (image, sha256)."""
        out = []
        for d in self.ws.posts():
            if d.startswith("."):
                continue
            with open(os.path.join(self.ws.outbox, d, "post.json")) as f:
                p = json.load(f)
            out.append((p["image"], p["sha256"]))
        return sorted(out)

    def assertPostedOnce(self):
        shas = [s for _, s in self.outbox()]
        self.assertEqual(sorted(set(shas)), sorted(shas), "an image posted twice: %s" % self.outbox())

    def run_killed(self, after):
        """A run killed at the rename of its outbox post into place (after:
        once it is there; else just before)."""
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"LD_PRELOAD": SHIM, "PHOTOPUB_CRASH_RENAME": OUTBOX_RENAME,
               "PHOTOPUB_CRASH_AFTER": "1" if after else "0",
               "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
        res = self.ws.run(env=env, check_json=False)
        self.assertEqual(res.rc, -signal.SIGKILL, res.stderr[-2000:])

    # -- posting ------------------------------------------------------------------

    def test_posting(self):
        self.put(IMGS[:3])
        self.assertEqual(self.state.history(), [])
        image = self.run_posts()
        self.assertIn(image, IMGS[:3])
        self.assertEqual([i for i, _ in self.outbox()], [image])
        self.assertEqual(self.storage.files("archive"), sorted([image, stem(image) + ".txt"]))
        sidecar = self.storage.read("archive/" + stem(image) + ".txt")
        self.assertTrue(sidecar and b"#test" in sidecar, sidecar)
        self.assertEqual(self.storage.files(), sorted(n for n in IMGS[:3] if n != image))
        self.assertEqual(self.state.posted(), [image])
        self.assertNotIn(image, self.order())
        second = self.run_posts()
        self.assertNotEqual(second, image)
        self.assertEqual(self.state.posted(), sorted([image, second]))
        self.assertPostedOnce()
        # what the outbox got is the image's bytes; history rows are whole
        for name, sha in self.outbox():
            self.assertEqual(sha, hashlib.sha256(backends.sample(name)).hexdigest(), name)
        rows = [r for r in self.state.history() if r["action"] is None]
        self.assertEqual(len(rows), 2, rows)
        for r in rows:
            self.assertEqual((r["platform"], r["success"], r["partial"], r["retryable"]),
                             ("outbox", True, False, False), r)
            self.assertTrue(r["url"] and r["post_id"] and r["correlation_id"], r)

    def test_archive_name_taken(self):
        # another picture under a name the archive has: posted, archived
        # as "a (1).jpg" with its sidecar "a (1).txt"
        self.put([IMGS[0]])
        self.assertEqual(self.run_posts(), IMGS[0])
        self.put({IMGS[0]: IMGS[1]})
        res = self.run_ok()
        self.assertEqual(res.one("workflow_complete")["image"], IMGS[0])
        self.assertEqual(res.one("storage_archive")["archived_as"], stem(IMGS[0]) + " (1).jpg")
        self.assertEqual(self.storage.files("archive"),
                         sorted([IMGS[0], stem(IMGS[0]) + ".txt",
                                 stem(IMGS[0]) + " (1).jpg", stem(IMGS[0]) + " (1).txt"]))
        self.assertEqual(self.storage.read("archive/" + stem(IMGS[0]) + " (1).jpg"),
                         backends.sample(IMGS[1]))
        self.assertEqual(self.storage.files(), [])
        self.assertEqual(len(self.outbox()), 2)
        self.assertPostedOnce()

    def test_archive_sidecar_name_taken(self):
        # a sidecar left alone in the archive keeps its name and its bytes:
        # the image and the run's sidecar go on to "a (1)"
        self.put([IMGS[0]])
        self.storage.put("archive/" + stem(IMGS[0]) + ".txt", b"left alone\n")
        res = self.run_ok()
        self.assertEqual(res.one("storage_archive")["archived_as"], stem(IMGS[0]) + " (1).jpg")
        self.assertEqual(self.storage.files("archive"),
                         sorted([stem(IMGS[0]) + ".txt", stem(IMGS[0]) + " (1).jpg",
                                 stem(IMGS[0]) + " (1).txt"]))
        self.assertEqual(self.storage.read("archive/" + stem(IMGS[0]) + ".txt"), b"left alone\n")
        self.assertIn(b"#test", self.storage.read("archive/" + stem(IMGS[0]) + " (1).txt"))

    def test_undecodable_image_is_quarantined(self):
        self.put({"aaa-notes.jpg": b"these are notes, not a JPEG\n", IMGS[0]: IMGS[0]})
        self.ws.set("Content", "order", "name")
        res = self.run_ok()
        q = res.one("image_quarantined")
        self.assertEqual((q["image"], q["moved_to"]), ("aaa-notes.jpg", "quarantine/aaa-notes.jpg"))
        self.assertEqual(res.one("workflow_complete")["image"], IMGS[0])
        self.assertEqual(self.storage.files("quarantine"), ["aaa-notes.jpg"])
        self.assertEqual(self.storage.files(), [])
        self.assertEqual(self.state.posted(), [IMGS[0]])

    def test_names_with_spaces_and_unicode(self):
        names = {"caf\u00e9 au lait.jpg": IMGS[2], "\u00e9t\u00e9 (1).jpg": IMGS[0],
                 "z 100%.jpg": IMGS[1]}
        self.put(names)
        self.ws.set("Content", "order", "name")
        self.assertEqual(self.order(), sorted(names))
        self.run_ok("pin", "z 100%.jpg", command="queue")
        self.assertEqual(self.preview_next(), ("z 100%.jpg", 1))
        self.assertEqual(self.run_posts(), "z 100%.jpg")
        self.assertEqual(self.run_posts(), "caf\u00e9 au lait.jpg")
        self.run_ok("\u00e9t\u00e9 (1).jpg", command="keep")
        self.assertEqual(self.storage.files("keep"), ["\u00e9t\u00e9 (1).jpg"])
        self.assertEqual(self.storage.files("archive"),
                         sorted(["z 100%.jpg", "z 100%.txt", "caf\u00e9 au lait.jpg",
                                 "caf\u00e9 au lait.txt"]))
        self.assertEqual(self.state.posted(), sorted(["z 100%.jpg", "caf\u00e9 au lait.jpg"]))
        for name, sha in self.outbox():
            self.assertEqual(sha, hashlib.sha256(backends.sample(names[name])).hexdigest(), name)

    # -- dedup --------------------------------------------------------------------

    def test_dedup(self):
        # one picture under two names, and a second one: two posts, then none
        self.put({IMGS[0]: IMGS[0], "copy of rocket.jpg": IMGS[0], IMGS[1]: IMGS[1]})
        self.run_posts()
        self.run_posts()
        res = self.ws.run()
        self.assertEqual(res.rc, 1, res.stderr[-3000:])
        self.assertIn("No new images", self.assertTiming(res, False)["error"])
        self.assertEqual(len(self.outbox()), 2, self.outbox())
        self.assertPostedOnce()
        posted = self.state.posted()
        self.assertEqual(len(posted), 2, posted)
        self.assertIn(IMGS[1], posted)
        # the copy left in the folder is no longer queued
        self.assertEqual(self.order(), [])
        # and the same bytes put again under a new name are known
        self.put({"rocket again.jpg": IMGS[0]})
        res = self.ws.run()
        self.assertEqual(res.rc, 1, res.stderr[-3000:])
        self.assertEqual(len(self.outbox()), 2)

    # -- the publish journal ------------------------------------------------------

    def test_journal_killed_after_the_post_landed(self):
        self.put(IMGS[:3])
        self.run_killed(after=True)
        (crashed, _), = self.outbox()
        res = self.run_ok()
        rec = res.one("publish_intent_recovered")
        self.assertEqual(rec["action"], "settled")
        self.assertEqual(rec["platforms"], {"outbox": "posted"})
        self.assertTrue(rec["archived"])
        self.assertIn(crashed, self.storage.files("archive"))
        self.assertNotEqual(res.one("workflow_complete")["image"], crashed)
        self.assertEqual(len(self.outbox()), 2)
        self.assertPostedOnce()
        self.assertIn(crashed, self.state.posted())
        # settled: the next run finds nothing open and posts the last one
        res = self.run_ok()
        self.assertEqual(res.events("publish_intent_recovered"), [])
        self.assertEqual(sorted(i for i, _ in self.outbox()), sorted(IMGS[:3]))
        self.assertPostedOnce()
        self.assertEqual(self.state.posted(), sorted(IMGS[:3]))

    def test_journal_killed_before_the_post_landed(self):
        self.put(IMGS[:2])
        self.run_killed(after=False)
        self.assertEqual(self.outbox(), [])
        self.assertEqual(self.state.posted(), [])
        res = self.run_ok()
        self.assertEqual(res.one("publish_intent_recovered")["action"], "resume")
        image = res.one("workflow_complete")["image"]
        self.assertEqual([i for i, _ in self.outbox()], [image])
        self.assertIn(image, self.storage.files("archive"))
        self.assertEqual(self.state.posted(), [image])
        res = self.run_ok()
        self.assertEqual(res.events("publish_intent_recovered"), [])
        self.assertEqual(self.state.posted(), sorted(IMGS[:2]))
        self.assertPostedOnce()

    # -- the queue ----------------------------------------------------------------

    def test_queue(self):
        self.put(IMGS)
        items = self.state.queue()
        order = [i["filename"] for i in items]
        self.assertEqual(sorted(order), sorted(IMGS))
        self.assertEqual([i["status"] for i in items], ["next", "queued", "queued", "queued"])
        for i in items:
            self.assertEqual(i["size"], len(backends.sample(i["filename"])), i)
        # what the preview says is what the run posts
        self.assertEqual(self.preview_next(), (order[0], 1))
        self.assertEqual(self.run_posts(), order[0])
        self.assertEqual(self.order(), order[1:])
        # pin
        self.run_ok("pin", order[3], command="queue")
        self.assertEqual(self.order()[0], order[3])
        self.assertEqual(self.preview_next(), (order[3], 1))
        self.assertEqual(self.run_posts(), order[3])
        rest = order[1:3]
        # skip: to the end
        self.run_ok("skip", rest[0], command="queue")
        self.assertEqual(self.order(), [rest[1], rest[0]])
        # hold: kept out of runs until released
        self.run_ok("hold", rest[0], command="queue")
        held = self.state.queue()
        self.assertEqual([(i["filename"], i["status"]) for i in held][-1], (rest[0], "held"))
        self.assertEqual(self.preview_next(), (rest[1], 1))
        self.assertEqual(self.run_posts(), rest[1])
        res = self.ws.run()
        self.assertEqual(res.rc, 1, "a held image was posted:\n" + res.stderr[-3000:])
        self.run_ok("release", rest[0], command="queue")
        self.assertEqual(self.preview_next(), (rest[0], 1))
        self.assertEqual(self.run_posts(), rest[0])
        self.assertEqual(self.order(), [])
        self.assertEqual(self.state.posted(), sorted(IMGS))
        self.assertEqual([i for i, _ in self.outbox()], sorted(IMGS))
        self.assertPostedOnce()

    def test_queue_orders(self):
        # name, and the listing's times (mtime, server_modified,
        # LastModified): the same order on every backend
        put_order = [IMGS[2], IMGS[0], IMGS[3], IMGS[1]]
        self.put(put_order, modified=1700000000)
        for order, want in (("name", sorted(IMGS)), ("oldest", put_order),
                            ("newest", put_order[::-1])):
            self.ws.set("Content", "order", order)
            self.assertEqual(self.order(), want, order)
            self.assertEqual(self.preview_next(), (want[0], 1), order)
        self.assertEqual(self.run_posts(), put_order[-1])
        # another order re-sorts the queue
        self.ws.set("Content", "order", "name")
        self.assertEqual(self.order(), sorted(put_order[:-1]))
        self.assertEqual(self.run_posts(), sorted(put_order[:-1])[0])

    # -- curation -----------------------------------------------------------------

    def test_curation(self):
        self.put(IMGS[:3])
        self.storage.put(stem(IMGS[0]) + ".txt", b"a sidecar\n")
        res = self.run_ok(IMGS[0], command="keep")
        self.assertEqual(self.storage.files("keep"), sorted([IMGS[0], stem(IMGS[0]) + ".txt"]))
        self.assertEqual(self.storage.read("keep/" + stem(IMGS[0]) + ".txt"), b"a sidecar\n")
        # a name taken in keep/: "a (1).jpg"
        self.put({IMGS[0]: IMGS[3]})
        res = self.run_ok(IMGS[0], command="keep")
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMGS[0]) + " (1).jpg")
        self.assertEqual(self.storage.read("keep/" + stem(IMGS[0]) + " (1).jpg"),
                         backends.sample(IMGS[3]))
        # a sidecar alone in remove/ takes its name too: the image and its
        # own sidecar go on together, the one there stays as it was
        self.storage.put("remove/" + stem(IMGS[1]) + ".txt", b"left alone\n")
        self.storage.put(stem(IMGS[1]) + ".txt", b"its own\n")
        res = self.run_ok(IMGS[1], command="remove")
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMGS[1]) + " (1).jpg")
        self.assertEqual(self.storage.files("remove"),
                         sorted([stem(IMGS[1]) + " (1).jpg", stem(IMGS[1]) + " (1).txt",
                                 stem(IMGS[1]) + ".txt"]))
        self.assertEqual(self.storage.read("remove/" + stem(IMGS[1]) + " (1).txt"), b"its own\n")
        self.assertEqual(self.storage.read("remove/" + stem(IMGS[1]) + ".txt"), b"left alone\n")
        # and for an image without a sidecar of its own too
        self.put({IMGS[1]: IMGS[1]})
        res = self.run_ok(IMGS[1], command="remove")
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMGS[1]) + " (2).jpg")
        self.storage.put(IMGS[1], backends.sample(IMGS[1]))
        self.storage.put("remove/" + stem(IMGS[1]) + " (3).txt", b"left alone\n")
        res = self.run_ok(IMGS[1], command="remove")
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMGS[1]) + " (4).jpg")
        self.assertEqual(self.storage.read("remove/" + stem(IMGS[1]) + " (3).txt"), b"left alone\n")
        res = self.ws.run(IMGS[2], command="delete")
        self.assertNotEqual(res.rc, 0, "delete without FEATURE_DELETE")
        self.assertEqual(self.storage.files(), [IMGS[2]])
        self.storage.put(stem(IMGS[2]) + ".txt", b"goes with it\n")
        res = self.run_ok(IMGS[2], command="delete", env={"FEATURE_DELETE": "true"})
        self.assertIs(res.one("storage_delete")["sidecar"], True)
        self.assertEqual(self.storage.files(), [])
        # names that are not plain names of the folder: refused, nothing moved
        before = [self.storage.files(d) for d in ("", "keep", "remove")]
        for bad in ("../" + IMGS[0], "keep/" + IMGS[0], "a\x01.jpg", "notes.txt"):
            res = self.ws.run(bad, command="remove")
            self.assertNotEqual(res.rc, 0, bad)
        self.assertEqual([self.storage.files(d) for d in ("", "keep", "remove")], before)
        res = self.ws.run(IMGS[2], command="delete", env={"FEATURE_DELETE": "true"})
        self.assertEqual(res.rc, 1, res.stderr[-3000:])
        self.assertEqual(res.one("curate_error")["kind"], "not_found")
        rows = [(r["action"], r["image"]) for r in self.state.history() if r["action"]]
        self.assertEqual(sorted(rows), sorted([("keep", IMGS[0]), ("keep", IMGS[0]),
                                               ("remove", IMGS[1]), ("remove", IMGS[1]),
                                               ("remove", IMGS[1]), ("delete", IMGS[2])]))
        for r in self.state.history():
            self.assertTrue(r["success"], r)
            self.assertEqual(r["url"] is None, r["action"] == "delete", r)
        # nothing curated is queued or posted
        self.assertEqual(self.order(), [])
        res = self.ws.run()
        self.assertEqual(res.rc, 1, res.stderr[-3000:])
        self.assertEqual(self.outbox(), [])


# A class per (state, storage) pair, named after both.
for _state in backends.STATES:
    for _storage in backends.STORAGES:
        _name = "Matrix_%s_%s" % (_state.name, _storage.name)
        globals()[_name] = type(_name, (Matrix,), {"STATE": _state, "STORAGE": _storage})
del Matrix


if __name__ == "__main__":
    harness.main()
