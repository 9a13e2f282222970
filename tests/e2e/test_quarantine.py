"""Bad images are set aside, not retried forever: a file that does not
decode, or whose header declares more pixels than it holds, is quarantined
(moved to [Storage] quarantine, recorded in state, logged) and the run goes
on to the next candidate; nothing offers it again."""

import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import webharness  # noqa: E402

GOOD = ["bleached-wooden-deck.jpg", "tabby-cat-closeup.jpg", "astronaut-portrait-square.png"]


def sof_liar(data, size=10000):
    """A JPEG whose frame header (SOF) claims size x size pixels, with the
    scan data of the original small picture."""
    d = bytearray(data)
    i = 2
    while i < len(d):
        assert d[i] == 0xFF, "not at a marker"
        marker, length = d[i + 1], int.from_bytes(d[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            d[i + 5:i + 7] = size.to_bytes(2, "big")
            d[i + 7:i + 9] = size.to_bytes(2, "big")
            return bytes(d)
        i += 2 + length
    raise AssertionError("no SOF marker")


def write_bad(folder):
    with open(os.path.join(harness.EXAMPLES, "tabby-cat-closeup.jpg"), "rb") as f:
        jpeg = f.read()
    bad = {
        "empty.jpg": b"",
        "truncated.jpg": jpeg[:3000],
        "notes.jpg": b"shopping list: film, fixer\n" * 20,
        "liar.jpg": sof_liar(jpeg),
    }
    for name, data in bad.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return sorted(bad)


def quarantine_rows(ws):
    db = sqlite3.connect(ws.state)
    try:
        return sorted(db.execute("SELECT image, reason, moved_to FROM quarantine").fetchall())
    finally:
        db.close()


class TestQuarantine(harness.TestCase):
    images = GOOD

    def test_runs_post_every_good_image_and_set_the_bad_aside(self):
        bad = write_bad(self.ws.images)
        quarantined = []
        for _ in range(len(GOOD)):
            res = self.ws.run()
            # a run that met bad files still posts a good one and exits 0
            self.assertEqual(res.rc, 0, res.stderr[-3000:])
            quarantined += [l["image"] for l in res.events("image_quarantined")]
            for l in res.events("image_quarantined"):
                self.assertTrue(l["recorded"])
                self.assertEqual(l["moved_to"], "quarantine/" + l["image"])
                self.assertIn(l["image"], l["reason"])
                self.assertNotIn("photopub-", l["reason"], "the temp copy's name leaked")
        # the last run finds only what is set aside: nothing left to post
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        quarantined += [l["image"] for l in res.events("image_quarantined")]
        self.assertEqual(sorted(quarantined), bad, "each bad file quarantined once")
        self.assertEqual(self.ws.image_names(), [])
        self.assertEqual(sorted(os.listdir(os.path.join(self.ws.images, "quarantine"))), bad)
        self.assertEqual(len(self.ws.posts()), len(GOOD))
        rows = quarantine_rows(self.ws)
        self.assertEqual([r[0] for r in rows], bad)
        liar = [r for r in rows if r[0] == "liar.jpg"][0]
        self.assertIn("less image data than its header declares (10000x10000)", liar[1])

    def test_none_leaves_the_file_in_place_and_never_picks_it_again(self):
        self.ws.set("Storage", "quarantine", "none")
        for name in list(self.ws.image_names()):
            os.remove(os.path.join(self.ws.images, name))
        write_bad(self.ws.images)
        first = self.ws.run()
        self.assertNotEqual(first.rc, 0)
        self.assertEqual(len(first.events("image_quarantined")), 4)
        self.assertTrue(all(l["moved_to"] is None for l in first.events("image_quarantined")))
        self.assertEqual(len(self.ws.image_names()), 4)
        again = self.ws.run()
        self.assertEqual(again.events("image_quarantined"), [])
        self.assertEqual(again.events("image_probe_error"), [], "a quarantined file is not read again")
        self.assertEqual(again.one("workflow_complete")["error"],
                         "No new images to post (all duplicates)")

    def test_select_names_the_file(self):
        write_bad(self.ws.images)
        res = self.ws.run("--select", "notes.jpg")
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("workflow_complete")["error"],
                         "notes.jpg is not a decodable image (quarantined)")
        self.assertIn("notes.jpg", os.listdir(os.path.join(self.ws.images, "quarantine")))
        self.assertEqual(self.ws.posts(), [])

    def test_preview_skips_without_moving_or_recording(self):
        for name in GOOD[1:]:
            os.remove(os.path.join(self.ws.images, name))
        write_bad(self.ws.images)
        before = harness.tree_digest(self.ws.images)
        for _ in range(4):
            res = self.ws.run("--preview")
            self.assertEqual(res.rc, 0, res.stderr[-2000:])
            self.assertEqual(res.one("workflow_complete")["image"], GOOD[0])
            self.assertEqual(res.events("image_quarantined"), [])
        self.assertEqual(harness.tree_digest(self.ws.images), before)

    def test_bad_setting(self):
        self.ws.set("Storage", "quarantine", "../elsewhere")
        res = self.ws.run()
        self.assertEqual(res.rc, 2)
        self.assertIn("[Storage] quarantine", res.stdout + res.stderr)


class TestWebNeverOffersQuarantined(harness.TestCase):
    images = GOOD[:1]

    def test_random_skips_quarantined_files_left_in_place(self):
        self.ws.set("Storage", "quarantine", "none")
        bad = write_bad(self.ws.images)
        self.ws.set("Outbox", "enabled", "false")  # the run posts nothing...
        res = self.ws.run("--dry-publish")           # ...and a dry run only skips
        self.assertEqual(res.events("image_quarantined"), [])
        self.ws.set("Outbox", "enabled", "true")
        for name in bad:                             # each one set aside by a run
            res = self.ws.run("--select", name)
            self.assertEqual(len(res.events("image_quarantined")), 1, res.stderr[-2000:])
        self.assertEqual(len(self.ws.image_names()), 1 + len(bad))
        srv = webharness.WebServer(self.ws, None, ()).start()
        self.addCleanup(srv.kill)
        try:
            for _ in range(30):
                r = srv.request("/api/images/random")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["filename"], GOOD[0])
        finally:
            srv.stop()


if __name__ == "__main__":
    harness.main()
