"""The Instagram publisher against fakes of the Graph API and Dropbox: the
prepared JPEG is staged in Dropbox, Meta (the fake) fetches it from the
temporary link, the container is polled until FINISHED, published, and the
staged copy deleted on every path; aspect ratios outside 4:5 … 1.91:1 fail
with the ratio named; local storage is refused by configuration."""

import json
import os
import sys
import harness
from harness import TestCase, EXAMPLES

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_dropbox import FakeDropbox  # noqa: E402
from fake_graph import FakeGraph  # noqa: E402

FOLDER = "/Photos"
LANDSCAPE = "bleached-wooden-deck.jpg"    # 1600 x 1200: 1.33
PORTRAIT = "rocket-on-pad-at-dusk.jpg"    # 320 x 427 displayed: 0.75, outside 4:5


def sample(name):
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        return f.read()


class InstagramTest(TestCase):
    images = []

    def setUp(self):
        super().setUp()
        self.dbx = FakeDropbox(app_key="k-ig", app_secret="s-ig", refresh_token="r-ig").start()
        self.addCleanup(self.dbx.stop)
        self.graph = FakeGraph().start()
        self.addCleanup(self.graph.stop)
        s = self.ws.sections
        s["Storage"] = {"backend": "dropbox"}
        s["Dropbox"] = {"image_folder": FOLDER, "api_url": self.dbx.url,
                        "content_url": self.dbx.url, "oauth_url": self.dbx.url}
        s["Content"]["instagram"] = "true"
        s["Instagram"] = {"user_id": self.graph.user_id, "graph_url": self.graph.graph_url(),
                          "poll_interval": "1", "poll_timeout": "10"}
        self.ws.write_config()
        self.ws.env.update({"DROPBOX_APP_KEY": "k-ig", "DROPBOX_APP_SECRET": "s-ig",
                            "DROPBOX_REFRESH_TOKEN": "r-ig",
                            "INSTAGRAM_ACCESS_TOKEN": self.graph.token})
        for name in (LANDSCAPE, PORTRAIT):
            self.dbx.put("%s/%s" % (FOLDER, name), sample(name))

    def staged(self):
        return [n for n in self.dbx.names(FOLDER + "/.photopub-staging")] \
            if self.dbx.exists(FOLDER + "/.photopub-staging") else []

    def test_container_flow(self):
        res = self.ws.run("--select", LANDSCAPE)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.graph.published), 1)
        pub = self.graph.published[0]
        self.assertEqual(pub["size"], (1080, 810))
        self.assertIn("/tmp-link/", pub["image_url"])
        self.assertGreaterEqual(pub["polls"], 2)        # IN_PROGRESS, then FINISHED
        self.assertTrue(pub["caption"])
        done = res.one("workflow_complete")
        # the alt text goes with the media container, as the outbox keeps it
        self.assertTrue(pub["alt_text"])
        self.assertLessEqual(len(pub["alt_text"]), 125)
        self.assertEqual(pub["alt_text"], done["alt_text"])
        self.assertEqual(done["results"]["instagram"]["post_id"], pub["media_id"])
        # the link: one GET of the media's permalink after publishing
        link = self.graph.media[pub["media_id"]]["permalink"]
        self.assertEqual(done["results"]["instagram"]["url"], link)
        asked = [r for r in self.graph.seen() if r.path.endswith("/" + pub["media_id"])]
        self.assertEqual([(r.method, r.query) for r in asked], [("GET", {"fields": ["permalink"]})])
        hist = self.ws.run("--json", "--platform", "instagram", command="history")
        self.assertEqual([r["url"] for r in json.loads(hist.stdout)], [link])
        steps = [(l["from"], l["to"]) for l in res.events("instagram_step")]
        self.assertEqual(steps, [("start", "staged"), ("staged", "container_created"),
                                 ("container_created", "container_finished"),
                                 ("container_finished", "published")])
        self.assertEqual(self.staged(), [])              # the staged copy is gone
        self.assertTrue(done["archived"])
        self.assertNotIn(self.graph.token, res.stdout + res.stderr)

    def test_permalink_failure_keeps_the_post(self):
        self.graph.fail_path("1790*", 400, "Unsupported get request", code=100)  # media ids
        res = self.ws.run("--select", LANDSCAPE)
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")["results"]["instagram"]
        self.assertTrue(done["success"])
        self.assertIsNone(done["url"])
        self.assertIn("Unsupported", res.one("instagram_permalink_error")["error"])

    def test_given_alt_text_is_sent(self):
        alt = "Rope coiled on an oak floor, \u00e9t\u00e9 light & shade = 100%"
        path = os.path.join(self.ws.dir, "alt.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(alt + "\n")
        res = self.ws.run("--select", LANDSCAPE, "--alt-text-file", path)
        self.assertEqual(res.rc, 0, res.stderr)
        (pub,) = self.graph.published
        self.assertEqual(pub["alt_text"], alt)
        self.assertEqual(res.one("workflow_complete")["alt_text"], alt)

    def test_container_error_fails_and_unstages(self):
        self.graph.status_sequence = ["IN_PROGRESS", "ERROR"]
        res = self.ws.run("--select", LANDSCAPE)
        self.assertEqual(res.rc, 0, res.stderr)        # the outbox still published
        done = res.one("workflow_complete")
        self.assertFalse(done["results"]["instagram"]["success"])
        self.assertIn("ERROR", done["results"]["instagram"]["error"])
        self.assertEqual(self.graph.published, [])
        self.assertEqual(self.staged(), [])
        self.assertEqual(res.events("instagram_step")[-1]["to"], "failed")

    def test_container_never_finishing_times_out(self):
        self.graph.status_sequence = ["IN_PROGRESS"]
        self.ws.set("Instagram", "poll_timeout", "3")
        res = self.ws.run("--select", LANDSCAPE)
        err = res.one("workflow_complete")["results"]["instagram"]["error"]
        self.assertIn("not ready after 3 s", err)
        self.assertEqual(self.staged(), [])

    def test_graph_error_message_is_reported(self):
        self.graph.fail_path(self.graph.user_id + "/media", 400, "Invalid parameter", code=100)
        res = self.ws.run("--select", LANDSCAPE)
        err = res.one("workflow_complete")["results"]["instagram"]["error"]
        self.assertIn("Invalid parameter", err)
        self.assertEqual(self.staged(), [])

    def test_aspect_ratio_outside_range_is_named(self):
        res = self.ws.run("--select", PORTRAIT)
        done = res.one("workflow_complete")
        err = done["results"]["instagram"]["error"]
        self.assertIn("aspect ratio 0.75:1", err)
        self.assertIn("320 x 427", err)
        self.assertEqual(self.graph.containers, {})     # nothing was sent, nothing cropped
        self.assertTrue(done["results"]["outbox"]["success"])

    def test_local_storage_is_a_configuration_error(self):
        self.ws.sections["Storage"] = {"backend": "local", "path": self.ws.images}
        self.ws.write_config()
        res = self.ws.run()
        self.assertEqual(res.rc, 2)
        err = res.one("config_error")
        self.assertEqual((err["section"], err["key"]), ("Content", "instagram"))
        self.assertIn("public URL", err["error"])


if __name__ == "__main__":
    harness.main()
