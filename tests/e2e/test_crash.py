"""Crash consistency: runs killed with SIGKILL at chosen points (an
LD_PRELOAD shim kills at a given rename) and at random moments. The next
runs finish what was interrupted: every image reaches the outbox exactly
once, none is lost, no temporary file stays and the state opens."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

SHIM = os.environ.get("PHOTOPUB_CRASH_SHIM", "build-test/tests/libcrash_shim.so")
JPEGS = [s for s in harness.SAMPLES if s.lower().endswith(".jpg")]


def outbox_posts(ws):
    """sha256 -> number of posts in the outbox holding it."""
    count = {}
    for d in ws.posts():
        if d.startswith("."):
            continue
        with open(os.path.join(ws.outbox, d, "post.json")) as f:
            sha = json.load(f)["sha256"]
        count[sha] = count.get(sha, 0) + 1
    return count


def sha_of(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Base(harness.TestCase):
    images = []

    def setUp(self):
        super().setUp()
        self.tmp = os.path.join(self.ws.dir, "tmp")
        os.makedirs(self.tmp)
        self.ws.env["TMPDIR"] = self.tmp

    def add_images(self, copies):
        """copies variants of each sample JPEG, each with different bytes
        after the end of the image: distinct SHA-256, the same picture."""
        shas = {}
        for k in range(copies):
            for name in JPEGS:
                stem = name[:-4]
                dst = os.path.join(self.ws.images, "%s-%d.jpg" % (stem, k))
                with open(os.path.join(harness.EXAMPLES, name), "rb") as f:
                    data = f.read()
                with open(dst, "wb") as f:
                    f.write(data + b"variant %d" % k)
                shas[sha_of(dst)] = os.path.basename(dst)
        return shas

    def crash_env(self, pattern, after):
        env = {"LD_PRELOAD": SHIM, "PHOTOPUB_CRASH_RENAME": pattern,
               "PHOTOPUB_CRASH_AFTER": "1" if after else "0"}
        asan = os.environ.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        return env

    def run_killed(self, pattern, after):
        res = self.ws.run(env=self.crash_env(pattern, after), check_json=False)
        self.assertEqual(res.rc, -signal.SIGKILL, res.stderr[-2000:])

    def leftovers(self):
        found = []
        for root, dirs, files in os.walk(self.ws.dir):
            for n in dirs + files:
                if n.startswith((".tmp-", ".photopub-", "photopub-")) and n != "photopub.ini":
                    found.append(os.path.join(root, n))
        return found

    def assertStateSound(self):
        db = sqlite3.connect(self.ws.state)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            open_intents = db.execute(
                "SELECT image FROM journal WHERE finished_at IS NULL").fetchall()
            self.assertEqual(open_intents, [])
        finally:
            db.close()


class TestKilledAtAPoint(Base):
    def setUp(self):
        super().setUp()
        self.shas = self.add_images(1)

    def posted_once_each(self, posts):
        for sha, n in posts.items():
            self.assertEqual(n, 1, "%s posted %d times" % (self.shas.get(sha), n))

    def test_killed_after_the_post_landed(self):
        # The outbox folder is renamed into place, then the process dies:
        # posted, but neither archived nor recorded.
        self.run_killed("*/outbox/[0-9]*", after=True)
        before = outbox_posts(self.ws)
        self.assertEqual(sum(before.values()), 1)
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        rec = res.one("publish_intent_recovered")
        self.assertEqual(rec["action"], "settled")
        self.assertEqual(rec["platforms"], {"outbox": "posted"})
        self.assertTrue(rec["archived"])
        # the recovered image went out once; the run then posted another
        posts = outbox_posts(self.ws)
        self.assertEqual(sum(posts.values()), 2)
        self.posted_once_each(posts)
        crashed = self.shas[list(before)[0]]
        self.assertIn(crashed, self.ws.archived())
        self.assertNotEqual(res.one("workflow_complete")["image"], crashed)
        self.assertStateSound()

    def test_killed_at_the_archive(self):
        # Dies at the rename into the archive: posted, recorded nowhere.
        self.run_killed("*.jpg", after=False)
        before = outbox_posts(self.ws)
        self.assertEqual(sum(before.values()), 1)
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        rec = res.one("publish_intent_recovered")
        self.assertEqual(rec["platforms"], {"outbox": "posted"})
        posts = outbox_posts(self.ws)
        self.assertEqual(sum(posts.values()), 2)
        self.posted_once_each(posts)
        self.assertIn(self.shas[list(before)[0]], self.ws.archived())
        # history holds the crashed run's post, under its own id
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("SELECT image, success, correlation_id FROM history").fetchall()
        db.close()
        self.assertEqual(len(rows), 2, rows)
        self.assertIn(rec["intent_correlation_id"], [r[2] for r in rows])
        self.assertStateSound()

    def test_killed_before_the_post_landed(self):
        # Dies just before the outbox folder is renamed into place: the
        # platform can tell it has nothing, so the next run sends it again,
        # with the caption the interrupted run had written.
        self.run_killed("*/outbox/[0-9]*", after=False)
        self.assertEqual(outbox_posts(self.ws), {})
        db = sqlite3.connect(self.ws.state)
        (image, caption), = db.execute("SELECT image, caption FROM journal").fetchall()
        db.close()
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        rec = res.one("publish_intent_recovered")
        self.assertEqual(rec["action"], "resume")
        self.assertEqual(res.one("workflow_complete")["image"], image)
        posts = outbox_posts(self.ws)
        self.assertEqual(sum(posts.values()), 1)
        post = [d for d in self.ws.posts() if not d.startswith(".")][0]
        with open(os.path.join(self.ws.outbox, post, "caption.txt")) as f:
            self.assertEqual(f.read().strip(), caption)
        self.assertIn(image, self.ws.archived())
        self.assertEqual(self.leftovers(), [])
        self.assertStateSound()

    def test_a_resumed_post_sends_what_was_approved(self):
        # The interrupted run published a given caption and alt text; the
        # run that finishes it sends those, not what its AI writes now.
        caption = "Approved caption,\nkept across the crash \u00e9t\u00e9"
        alt = "An approved alt text that survives a crash."
        cap_f = os.path.join(self.ws.dir, "caption.txt")
        alt_f = os.path.join(self.ws.dir, "alt.txt")
        with open(cap_f, "w", encoding="utf-8") as f:
            f.write(caption + "\n")
        with open(alt_f, "w", encoding="utf-8") as f:
            f.write(alt + "\n")
        res = self.ws.run("--caption-file", cap_f, "--alt-text-file", alt_f,
                          env=self.crash_env("*/outbox/[0-9]*", False), check_json=False)
        self.assertEqual(res.rc, -signal.SIGKILL, res.stderr[-2000:])
        self.assertEqual(outbox_posts(self.ws), {})
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("publish_intent_recovered")["action"], "resume")
        self.assertEqual(res.one("caption_approved")["source"], "resumed")
        self.assertEqual(res.one("workflow_complete")["alt_text"], alt)
        post = [d for d in self.ws.posts() if not d.startswith(".")][0]
        with open(os.path.join(self.ws.outbox, post, "post.json"), encoding="utf-8") as f:
            p = json.load(f)
        self.assertEqual(p["caption"], caption)
        self.assertEqual(p["alt_text"], alt)
        self.assertStateSound()

    def test_a_run_asked_for_another_image_leaves_the_resume_for_later(self):
        self.run_killed("*/outbox/[0-9]*", after=False)
        db = sqlite3.connect(self.ws.state)
        (image,), = db.execute("SELECT image FROM journal").fetchall()
        db.close()
        other = [n for n in self.ws.image_names() if n != image][0]
        res = self.ws.run("--select", other)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("workflow_complete")["image"], other)
        self.assertEqual(res.events("publish_intent_recovered"), [])
        res = self.ws.run()
        self.assertEqual(res.one("publish_intent_recovered")["action"], "resume")
        self.assertEqual(res.one("workflow_complete")["image"], image)
        self.posted_once_each(outbox_posts(self.ws))
        self.assertStateSound()

    def test_an_unknown_outcome_is_never_sent_again(self):
        # A platform that cannot tell whether the post landed: the image is
        # archived and recorded, never sent again (at most once).
        self.run_killed("*/outbox/[0-9]*", after=True)
        shutil.rmtree(self.ws.outbox)  # the outbox can no longer tell
        os.makedirs(self.ws.outbox)
        db = sqlite3.connect(self.ws.state)
        db.execute("UPDATE journal_platform SET platform = 'telegram'")
        db.commit()
        (image,), = db.execute("SELECT image FROM journal").fetchall()
        db.close()
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        rec = res.one("publish_intent_recovered")
        self.assertEqual(rec["platforms"], {"telegram": "unknown"})
        self.assertTrue(rec["posted"])
        self.assertIn(image, self.ws.archived())
        self.assertNotEqual(res.one("workflow_complete")["image"], image)


class TestRandomKills(Base):
    KILLS = 20

    def test_random_kills_then_runs_until_empty(self):
        shas = self.add_images(3)
        rng = random.Random(int(os.environ.get("PHOTOPUB_CRASH_SEED", time.time())))
        env = dict(os.environ)
        env.update({"HOME": self.ws.home, "TMPDIR": self.tmp,
                    "XDG_CACHE_HOME": os.path.join(self.ws.home, ".cache")})
        argv = [harness.BIN, "run", "--config", self.ws.config]
        t0 = time.monotonic()
        subprocess.run(argv, env=env, capture_output=True, timeout=120)
        typical = time.monotonic() - t0
        killed = 0
        deadline = time.monotonic() + 120
        while (killed < self.KILLS and time.monotonic() < deadline
               and len(harness.Workspace.image_names(self.ws)) > 3):
            p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, typical * 1.2))
            if p.poll() is None:
                p.kill()
                killed += 1
            p.wait()
        runs = 0
        while harness.Workspace.image_names(self.ws) and runs < 3 * len(shas):
            res = self.ws.run()
            runs += 1
            if res.rc != 0:
                self.assertIn(res.one("workflow_complete")["error"],
                              ["No new images to post (all duplicates)"], res.stderr[-3000:])
                break
        posts = outbox_posts(self.ws)
        print("crash loop: %d killed runs, %d runs after, %d images, %d posts, %d posted twice"
              % (killed, runs, len(shas), sum(posts.values()),
                 sum(1 for n in posts.values() if n > 1)), file=sys.stderr)
        self.assertGreater(killed, self.KILLS // 2)
        self.assertGreater(runs, 0)
        self.assertEqual(harness.Workspace.image_names(self.ws), [])
        self.assertEqual(sorted(posts), sorted(shas), "every image posted")
        self.assertEqual([s for s, n in posts.items() if n != 1], [], "posted more than once")
        self.assertEqual(sorted(self.ws.archived()),
                         sorted(list(shas.values()) +
                                [n[:-4] + ".txt" for n in shas.values()
                                 if os.path.exists(os.path.join(self.ws.images, "archive",
                                                                n[:-4] + ".txt"))]))
        self.assertEqual(self.leftovers(), [])
        self.assertStateSound()


if __name__ == "__main__":
    harness.main()
