"""`photopub run` end to end on the embedded defaults (local folder, offline
analyzer, outbox publisher, SQLite state): telemetry on every exit path,
correlation ids, dedup, archiving, preview/dry-publish/debug writing nothing,
bad images and bad input."""

import json
import os
import subprocess
import shutil
import sqlite3
import harness
from harness import TestCase, tree_digest, SAMPLES


class RunTest(TestCase):

    def history_rows(self):
        db = sqlite3.connect(self.ws.state)
        try:
            return db.execute("select * from history").fetchall()
        finally:
            db.close()

    def test_success_path_telemetry_and_outputs(self):
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        t = self.assertTiming(res, True, ran=harness.TIMING_STAGES + ["publish_outbox_ms"])
        self.assertIsInstance(t["publish_outbox_ms"], int)
        self.assertIs(t["preview_mode"], False)
        self.assertIs(t["dry_publish"], False)
        self.assertIsNone(t["error"])
        cid = self.assertOneCorrelation(res)
        self.assertEqual(t["correlation_id"], cid)

        done = res.one("workflow_complete")
        self.assertTrue(done["success"])
        self.assertTrue(done["archived"])
        image = done["image"]
        self.assertIn(image, SAMPLES)
        out = done["results"]["outbox"]
        self.assertTrue(out["success"])
        self.assertIsNone(out["error"])

        va = res.one("vision_analysis")
        self.assertEqual(va["logger"], "ai")
        self.assertTrue(va["ok"])
        self.assertIsInstance(va["vision_analysis_ms"], int)
        cg = res.one("caption_generated")
        self.assertGreater(cg["caption_length"], 0)
        self.assertTrue(cg["has_sd"])
        pp = res.one("publisher_publish")
        self.assertEqual(pp["logger"], "publisher.outbox")
        self.assertEqual(pp["platform"], "outbox")
        self.assertTrue(pp["success"])
        sc = res.one("sidecar_upload_complete")
        self.assertEqual(sc["image"], image)

        # The image and its sidecar moved into the archive, the post is in the outbox.
        self.assertNotIn(image, self.ws.image_names())
        stem = os.path.splitext(image)[0]
        self.assertEqual(self.ws.archived(), sorted([image, stem + ".txt"]))
        posts = self.ws.posts()
        self.assertEqual(posts, [out["post_id"]])
        post = os.path.join(self.ws.outbox, posts[0])
        self.assertEqual(sorted(os.listdir(post)), sorted([image, "caption.txt", "post.json"]))
        with open(os.path.join(post, "post.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["correlation_id"], cid)
        self.assertEqual(meta["image"], image)
        with open(os.path.join(harness.EXAMPLES, image), "rb") as a, \
             open(os.path.join(post, image), "rb") as b:
            self.assertEqual(a.read(), b.read())
        # Sidecar content.
        with open(os.path.join(self.ws.images, "archive", stem + ".txt")) as f:
            side = f.read().split("\n")
        self.assertTrue(side[0])
        self.assertIn("# ---", side)
        self.assertIn("# image_file: " + image, side)
        self.assertTrue(any(l.startswith("# sha256: ") for l in side))
        # State: posted hash and history with the correlation id.
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("select image, platform, post_id, correlation_id from history").fetchall()
        self.assertEqual(rows, [(image, "outbox", out["post_id"], cid)])
        self.assertEqual(db.execute("select count(*) from posted_sha256").fetchone()[0], 1)
        db.close()
        # The stdout summary.
        self.assertIn(image, res.stdout)

    def test_each_run_has_its_own_correlation_id(self):
        a = self.ws.run()
        b = self.ws.run()
        self.assertEqual((a.rc, b.rc), (0, 0))
        self.assertNotEqual(self.assertOneCorrelation(a), self.assertOneCorrelation(b))

    def test_bare_config_form_means_run(self):
        res = self.ws.run(command=None)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTiming(res, True)

    def test_archive_on_runs_until_no_images(self):
        n = len(SAMPLES)
        for i in range(n):
            res = self.ws.run()
            self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.ws.image_names(), [])
        self.assertEqual(len(self.ws.posts()), n)
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        t = self.assertTiming(res, False, ran=["dropbox_list_images_ms"],
                              skipped=["vision_analysis_ms", "caption_generation_ms",
                                       "sidecar_write_ms", "publish_parallel_ms", "archive_ms"])
        # The archive folder is no file of a type left out.
        self.assertEqual(t["error"], "No images found in %s (supported types: .jpg, .jpeg, .png, .webp, .tif, .tiff, .heic, .heif)"
                         % self.ws.images)
        self.assertIsNone(t["image"])
        self.assertOneCorrelation(res)

    def test_no_images_counts_the_types_left_out(self):
        for name in os.listdir(self.ws.images):
            if os.path.isfile(os.path.join(self.ws.images, name)):
                os.unlink(os.path.join(self.ws.images, name))
        for name in ("a.gif", "b.GIF", "c.gif", "d.bmp", "e.bmp", ".hidden.heic", "a.txt"):
            with open(os.path.join(self.ws.images, name), "wb") as f:
                f.write(b"not read")
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        want = ("No images found in %s (skipped 3 .gif, 2 .bmp; supported types: .jpg, .jpeg, .png, .webp, .tif, .tiff, .heic, .heif)"
                % self.ws.images)
        self.assertEqual(res.one("workflow_timing")["error"], want)
        self.assertEqual(res.one("workflow_complete")["error"], want)
        self.assertEqual(len(os.listdir(self.ws.images)), 7)  # nothing moved or lost

    def test_name_that_is_not_text_is_skipped(self):
        # A name that is not UTF-8 (or holds a control byte) cannot be named
        # in post.json, a URL or a mail header: it is left alone, with a word.
        good = self.ws.image_names()
        for raw in (b"bad\xff.jpg", b"tab\tname.jpg"):
            with open(os.path.join(self.ws.images.encode(), raw), "wb") as f:
                f.write(open(os.path.join(self.ws.images, good[0]), "rb").read())
        for _ in good:
            res = self.ws.run()
            self.assertEqual(res.rc, 0, res.stderr)
            skipped = res.events("storage_name_skipped")
            self.assertEqual(len(skipped), 2, res.stderr)
            self.assertIn("\ufffd", skipped[0]["image"] + skipped[1]["image"])
        for post in self.ws.posts():
            with open(os.path.join(self.ws.outbox, post, "post.json")) as f:
                self.assertIn(json.load(f)["image"], good)
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        self.assertTrue(res.one("workflow_timing")["error"].startswith("No images found in "))
        self.assertEqual(sorted(os.listdir(self.ws.images.encode())),
                         sorted([b"archive", b"bad\xff.jpg", b"tab\tname.jpg"]))

    def test_litter_of_a_killed_run_is_removed(self):
        # Temp names carry their maker's pid: what a dead process left goes,
        # a running one's stays, and a preview touches neither.
        p = subprocess.Popen(["/bin/true"])
        p.wait()
        dead, live = p.pid, os.getpid()
        tmpdir = os.path.join(self.ws.dir, "tmp")
        os.makedirs(os.path.join(self.ws.outbox, ".tmp-%d-post-AAAAAA" % dead))
        with open(os.path.join(self.ws.outbox, ".tmp-%d-post-AAAAAA" % dead, "post.json"), "w") as f:
            f.write("{}")
        os.makedirs(os.path.join(self.ws.outbox, ".tmp-%d-post-BBBBBB" % live))
        litter = {
            "dead": [os.path.join(tmpdir, "photopub-%d-XXXXXX.jpg" % dead),
                     os.path.join(self.ws.images, ".photopub-sidecar-%d-0123.tmp" % dead)],
            "live": [os.path.join(tmpdir, "photopub-%d-YYYYYY.jpg" % live),
                     os.path.join(self.ws.images, ".photopub-sidecar-%d-4567.tmp" % live)],
        }
        os.makedirs(tmpdir)
        for path in litter["dead"] + litter["live"]:
            with open(path, "w") as f:
                f.write("x")
        res = self.ws.run("--preview", env={"TMPDIR": tmpdir})
        self.assertEqual(res.rc, 0, res.stderr)
        for path in litter["dead"] + litter["live"]:
            self.assertTrue(os.path.exists(path), path)
        res = self.ws.run(env={"TMPDIR": tmpdir})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("stale_temp_removed")["temp_dir"], 1)
        self.assertEqual(res.one("stale_temp_removed")["image_folder"], 1)
        for path in litter["dead"]:
            self.assertFalse(os.path.exists(path), path)
        for path in litter["live"]:
            self.assertTrue(os.path.exists(path), path)
        left = sorted(os.listdir(self.ws.outbox))
        self.assertNotIn(".tmp-%d-post-AAAAAA" % dead, left)
        self.assertIn(".tmp-%d-post-BBBBBB" % live, left)
        self.assertEqual(len([n for n in left if not n.startswith(".")]), 1)
        self.assertEqual([n for n in os.listdir(tmpdir) if str(live) not in n], [])

    def test_archive_off_dedups_by_hash(self):
        self.ws.set("Content", "archive", "false")
        n = len(SAMPLES)
        posted = set()
        for i in range(n):
            res = self.ws.run()
            self.assertEqual(res.rc, 0, res.stderr)
            posted.add(res.one("workflow_complete")["image"])
            self.assertIsNone(res.one("workflow_timing")["archive_ms"])
        self.assertEqual(posted, set(SAMPLES))
        self.assertEqual(self.ws.archived(), [])
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        t = self.assertTiming(res, False, skipped=["vision_analysis_ms"])
        self.assertEqual(t["error"], "No new images to post (all duplicates)")
        # Same bytes under a new name are not posted again.
        shutil.copy(os.path.join(self.ws.images, SAMPLES[0]), os.path.join(self.ws.images, "renamed copy.jpg"))
        res = self.ws.run()
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("workflow_timing")["error"], "No new images to post (all duplicates)")
        self.assertEqual(len(self.ws.posts()), n)

    def test_select_takes_exactly_that_file(self):
        name = SAMPLES[-1]
        res = self.ws.run("--select", name)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("workflow_complete")["image"], name)
        res = self.ws.run("--select", "absent.jpg")
        self.assertEqual(res.rc, 1)
        t = self.assertTiming(res, False, skipped=["vision_analysis_ms", "archive_ms"])
        self.assertEqual(t["error"], "Selected file not found: absent.jpg")

    def test_traversal_names_are_refused(self):
        outside = os.path.join(self.ws.dir, "secret.jpg")
        shutil.copy(os.path.join(harness.EXAMPLES, SAMPLES[0]), outside)
        before = tree_digest(self.ws.dir)
        for name in ["../secret.jpg", outside, "archive/../../secret.jpg", "..", "/etc/passwd",
                     "a/b.jpg", "x\ny.jpg"]:
            res = self.ws.run("--select", name)
            self.assertEqual(res.rc, 1, name)
            self.assertTiming(res, False, skipped=["vision_analysis_ms", "publish_parallel_ms"])
        self.assertEqual(self.ws.posts(), [])
        self.assertTrue(os.path.exists(outside))
        # Only the database may have appeared (history is empty).
        os.remove(self.ws.state)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.ws.state + suffix):
                os.remove(self.ws.state + suffix)
        self.assertEqual(tree_digest(self.ws.dir), before)

    def test_symlink_out_of_the_folder_is_not_followed(self):
        outside = os.path.join(self.ws.dir, "private.jpg")
        shutil.copy(os.path.join(harness.EXAMPLES, SAMPLES[0]), outside)
        os.symlink(outside, os.path.join(self.ws.images, "link.jpg"))
        res = self.ws.run("--select", "link.jpg")
        self.assertEqual(res.rc, 1)
        self.assertEqual(self.ws.posts(), [])
        self.assertTrue(os.path.isfile(outside))

    def test_preview_dry_publish_and_debug_change_nothing(self):
        # A first real run creates the database, so later runs have one to keep intact.
        self.assertEqual(self.ws.run().rc, 0)
        watched = [self.ws.images, self.ws.outbox, self.ws.state]
        before = tree_digest(*watched)
        rows_before = self.history_rows()
        self.assertEqual(len(rows_before), 1)
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        t = self.assertTiming(res, True, ran=["vision_analysis_ms", "caption_generation_ms"],
                              skipped=["sidecar_write_ms", "publish_parallel_ms", "archive_ms"])
        self.assertIs(t["preview_mode"], True)
        self.assertIs(t["dry_publish"], True)
        for part in ["Image", "Analysis", "Caption", "Platforms", "[outbox]", "Sidecar",
                     "Timings", "  list images (local) ", "  vision analysis ", "# ---",
                     "characters"]:
            self.assertIn(part, res.stdout)
        self.assertEqual(tree_digest(*watched), before)

        res = self.ws.run("--dry-publish")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTiming(res, True, skipped=["sidecar_write_ms", "publish_parallel_ms", "archive_ms"])
        self.assertEqual(tree_digest(*watched), before)
        # Each platform succeeds, marked as dry, as upstream: not a failure.
        self.assertEqual(res.one("workflow_complete")["results"]["outbox"],
                         {"success": True, "post_id": None, "url": None, "error": None,
                          "dry_run": True})
        self.assertIn("outbox    would publish (dry publish)\n", res.stdout)
        self.assertNotIn("failed", res.stdout.replace("result:   ok", ""))
        self.assertEqual(self.history_rows(), rows_before)

        res = self.ws.run("--debug")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTrue(res.one("workflow_complete")["results"]["outbox"]["success"])
        self.assertNotIn("dry_run", res.one("workflow_complete")["results"]["outbox"])
        self.assertIn("outbox    not sent (debug)\n", res.stdout)
        self.assertNotIn("published", res.stdout)
        self.assertEqual(self.history_rows(), rows_before)
        self.assertTrue(any(l["level"] == "debug" for l in res.lines))
        self.assertEqual(tree_digest(*watched), before)

        self.ws.set("Content", "debug", "true")
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(tree_digest(*watched), before)

    def test_preview_without_database_creates_none(self):
        os.rename(self.ws.state, self.ws.state + ".x") if os.path.exists(self.ws.state) else None
        res = self.ws.run("--preview")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertFalse(os.path.exists(self.ws.state))

    def test_undecodable_images_fail_and_are_set_aside(self):
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'
        for name, data in [("truncated.jpg", None), ("notes.jpg", b"just some text\n" * 40),
                           ("vector.jpg", svg)]:
            if data is None:
                with open(os.path.join(harness.EXAMPLES, SAMPLES[0]) if SAMPLES[0].endswith(".jpg")
                          else os.path.join(harness.EXAMPLES, [s for s in SAMPLES if s.endswith(".jpg")][0]), "rb") as f:
                    full = f.read()
                data = full[: len(full) // 2]
            with open(os.path.join(self.ws.images, name), "wb") as f:
                f.write(data)
            before = tree_digest(self.ws.outbox)
            others = [n for n in self.ws.image_names() if n != name]
            res = self.ws.run("--select", name)
            self.assertEqual(res.rc, 1, res.stderr)
            t = self.assertTiming(res, False, ran=["image_selection_ms"],
                                  skipped=["vision_analysis_ms", "publish_parallel_ms", "archive_ms"])
            self.assertIn(name, t["error"])
            self.assertIn("not a decodable image", t["error"])
            self.assertEqual(t["image"], name)
            self.assertEqual(tree_digest(self.ws.outbox), before)
            self.assertEqual(self.ws.image_names(), others)
            self.assertIn(name, os.listdir(os.path.join(self.ws.images, "quarantine")))
            if os.path.exists(self.ws.state):
                db = sqlite3.connect(self.ws.state)
                self.assertEqual(db.execute("select count(*) from posted_sha256").fetchone()[0], 0)
                db.close()

    def test_every_publisher_failing_archives_nothing(self):
        # The outbox path is a file: the only platform fails.
        with open(os.path.join(self.ws.dir, "blocked"), "w") as f:
            f.write("x")
        self.ws.set("Outbox", "path", os.path.join(self.ws.dir, "blocked"))
        before = tree_digest(self.ws.images)
        res = self.ws.run()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False, ran=["publish_parallel_ms", "publish_outbox_ms"],
                              skipped=["archive_ms"])
        self.assertIn("every platform failed", t["error"])
        done = res.one("workflow_complete")
        self.assertFalse(done["archived"])
        self.assertFalse(done["results"]["outbox"]["success"])
        self.assertTrue(done["results"]["outbox"]["error"])
        # The sidecar was written beside the image; nothing else changed.
        names = self.ws.image_names()
        self.assertEqual(len([n for n in names if n in SAMPLES]), len(SAMPLES))
        db = sqlite3.connect(self.ws.state)
        self.assertEqual(db.execute("select count(*) from posted_sha256").fetchone()[0], 0)
        self.assertEqual(db.execute("select success from history").fetchall(), [(0,)])
        db.close()
        self.assertNotEqual(before, None)

    def test_archive_collision_autorenames(self):
        name = SAMPLES[0]
        stem, ext = os.path.splitext(name)
        arch = os.path.join(self.ws.images, "archive")
        os.makedirs(arch)
        shutil.copy(os.path.join(harness.EXAMPLES, SAMPLES[1]), os.path.join(arch, name))
        shutil.copy(os.path.join(harness.EXAMPLES, SAMPLES[1]), os.path.join(arch, stem + " (1)" + ext))
        res = self.ws.run("--select", name)
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        self.assertEqual(done["archived_as"], stem + " (2)" + ext)
        self.assertIn(stem + " (2).txt", self.ws.archived())

    def test_hostile_file_names_keep_logs_valid(self):
        src = os.path.join(harness.EXAMPLES, [s for s in SAMPLES if s.endswith(".jpg")][0])
        name = 'quote" back\\slash \x01ctl caf\xe9 \U0001F4F7.jpg'
        shutil.copy(src, os.path.join(self.ws.images.encode(), os.fsencode(name)))
        bad = os.path.join(self.ws.images.encode(), b"latin1 \xff\xfe.jpg")
        shutil.copy(src, bad)
        self.ws.set("Content", "archive", "false")
        for _ in range(len(SAMPLES) + 2):
            res = self.ws.run()   # parse_log asserts every line is JSON
            self.assertIn(res.rc, (0, 1))
        self.assertTrue(os.path.exists(bad))

    def test_config_errors_exit_2_naming_the_key(self):
        self.ws.set("Content", "archive", "perhaps")
        res = self.ws.run()
        self.assertEqual(res.rc, 2)
        err = res.one("config_error")
        self.assertEqual(err["section"], "Content")
        self.assertEqual(err["key"], "archive")
        self.assertIn(self.ws.config, err["error"])
        self.assertEqual(res.events("workflow_timing"), [])

        with open(self.ws.config, "w") as f:
            f.write("[Storage]\npath = %s\n[[broken\n" % self.ws.images)
        res = self.ws.run()
        self.assertEqual(res.rc, 2)
        self.assertIn("line 3", res.one("config_error")["error"])

    def test_usage_errors_exit_2(self):
        res = self.ws.run("--no-such-flag")
        self.assertEqual(res.rc, 2)
        self.assertEqual(res.one("usage_error")["command"], "run")
        res = self.ws.run(command="nonsense")
        self.assertEqual(res.rc, 2)

    def test_malformed_sidecar_and_env_are_survived(self):
        with open(os.path.join(self.ws.images, os.path.splitext(SAMPLES[0])[0] + ".txt"), "wb") as f:
            f.write(b"\xff\xfe garbage\n# ---\n# broken line\n# tags: [not json\n")
        with open(os.path.join(self.ws.dir, ".env"), "w") as f:
            f.write("this is not an env file\nOK_KEY=1\n")
        res = self.ws.run("--select", SAMPLES[0])
        self.assertEqual(res.rc, 0, res.stderr)
        warn = res.one("env_invalid_line")
        self.assertEqual(warn["line"], 1)


class HelpTest(TestCase):
    images = []

    def test_help_and_version(self):
        import subprocess
        out = subprocess.run([harness.BIN, "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("run", out.stdout)
        self.assertEqual(out.stderr, "")
        out = subprocess.run([harness.BIN, "run", "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("--dry-publish", out.stdout)
        out = subprocess.run([harness.BIN, "--version"], capture_output=True, text=True)
        self.assertRegex(out.stdout, r"^photopub \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    harness.main()
