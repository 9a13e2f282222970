"""Curation end to end: `photopub keep|remove|delete NAME` and the web's
POST /api/images/{filename}/keep|remove|delete move (or delete) the image
with its sidecar, delete only when enabled ([Storage] delete_enabled or
FEATURE_DELETE), the routes are admin only and answer exact JSON, hostile
names are refused with nothing moved, and the history (CLI and
GET /api/history) shows curation rows and post rows with their links; the
Dropbox backend against the fake (absolute folder_keep, delete_v2, the
legacy folder_reject)."""

import json
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import harness  # noqa: E402
from harness import EXAMPLES, TestCase  # noqa: E402
from webharness import WebServer  # noqa: E402
from fake_dropbox import FakeDropbox  # noqa: E402

IMG = "tabby-cat-closeup.jpg"
IMG2 = "rocket-on-pad-at-dusk.jpg"
IMG3 = "espresso-on-wooden-table.jpg"
TOKEN = "e2e-curate-bearer-77a1"
ADMIN_PW = "curate-admin-pw-5c2e"
SECRET = "curate-session-secret-90ab"
HISTORY_KEYS = ["time", "image", "platform", "action", "success", "post_id", "url", "error",
                "correlation_id", "partial", "retryable"]


def stem(name):
    return os.path.splitext(name)[0]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class CurateCase(TestCase):
    def snapshot(self, outside):
        """The image folder (files and folders) and a file outside it."""
        folders = sorted(root for root, _, _ in os.walk(self.ws.images))
        beside = sorted(n for n in os.listdir(self.ws.dir) if not n.startswith("state.db"))
        return harness.tree_digest(self.ws.images, outside), folders, beside


class CurateCLITest(CurateCase):
    images = [IMG, IMG2, IMG3]

    def curate(self, action, *args, env=None):
        return self.ws.run(*args, command=action, env=env)

    def sidecar(self, name, text="a sidecar\n"):
        write(os.path.join(self.ws.images, stem(name) + ".txt"), text)

    def test_keep_and_remove_move_image_and_sidecar(self):
        self.sidecar(IMG)
        res = self.curate("keep", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.stdout, "keep %s: moved to keep/%s with its sidecar\n" % (IMG, IMG))
        keep = os.path.join(self.ws.images, "keep")
        self.assertEqual(sorted(os.listdir(keep)), sorted([IMG, stem(IMG) + ".txt"]))
        with open(os.path.join(keep, stem(IMG) + ".txt")) as f:
            self.assertEqual(f.read(), "a sidecar\n")
        line = res.one("image_curated")
        self.assertEqual(line["logger"], "curate")
        self.assertEqual((line["action"], line["image"], line["destination"], line["folder"],
                          line["success"], line["preview_only"]),
                         ("keep", IMG, "keep/" + IMG, "keep", True, False))
        self.assertIsInstance(line["duration_ms"], int)
        mv = res.one("storage_move")
        self.assertEqual((mv["folder"], mv["moved_as"], mv["sidecar"]), ("keep", IMG, True))

        res = self.curate("remove", IMG2, "--json")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout), {"filename": IMG2, "action": "remove",
                                                  "destination_folder": "remove",
                                                  "preview_only": False})
        self.assertEqual(os.listdir(os.path.join(self.ws.images, "remove")), [IMG2])
        self.assertEqual(self.ws.image_names(), [IMG3])

        # the history has both, as rows of platform "storage"
        hist = self.ws.run("--json", command="history")
        self.assertEqual(hist.rc, 0, hist.stderr)
        rows = json.loads(hist.stdout)
        self.assertEqual([list(r) for r in rows], [HISTORY_KEYS, HISTORY_KEYS])
        self.assertEqual([(r["image"], r["platform"], r["action"], r["success"], r["url"])
                          for r in rows],
                         [(IMG, "storage", "keep", True, "keep/" + IMG),
                          (IMG2, "storage", "remove", True, "remove/" + IMG2)])
        self.assertEqual(rows[0]["correlation_id"], line["correlation_id"])
        table = self.ws.run(command="history").stdout.splitlines()
        self.assertEqual(len(table), 3)
        self.assertIn("keep", table[1])
        self.assertIn("keep/" + IMG, table[1])
        self.assertEqual(json.loads(self.ws.run("--json", "--platform", "outbox",
                                                command="history").stdout), [])

    def test_a_curated_image_leaves_the_stored_queue(self):
        res = self.ws.run("pin", IMG2, command="queue")   # stores the queue
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.stored_queue(), sorted([IMG, IMG2, IMG3]))
        self.assertEqual(self.curate("keep", IMG2).rc, 0)
        self.assertEqual(self.stored_queue(), sorted([IMG, IMG3]))
        queue = json.loads(self.ws.run("--json", command="queue").stdout)
        self.assertNotIn(IMG2, [i["filename"] for i in queue["items"]])

    def stored_queue(self):
        db = sqlite3.connect(self.ws.state)
        try:
            return sorted(r[0] for r in db.execute("SELECT name FROM queue"))
        finally:
            db.close()

    def test_nested_folder_and_autorename(self):
        self.ws.set("Storage", "folder_keep", "curated/keep")
        os.makedirs(os.path.join(self.ws.images, "curated", "keep"))
        with open(os.path.join(EXAMPLES, IMG2), "rb") as src, \
                open(os.path.join(self.ws.images, "curated", "keep", IMG), "wb") as dst:
            dst.write(src.read())
        res = self.curate("keep", IMG)
        self.assertEqual(res.rc, 0, res.stderr)
        renamed = "%s (1).jpg" % stem(IMG)
        self.assertEqual(res.one("image_curated")["destination"], "curated/keep/" + renamed)
        self.assertEqual(sorted(os.listdir(os.path.join(self.ws.images, "curated", "keep"))),
                         sorted([IMG, renamed]))

    def test_delete_needs_to_be_enabled(self):
        self.sidecar(IMG)
        res = self.curate("delete", IMG)
        self.assertEqual(res.rc, 2, res.stderr)
        err = res.one("curate_error")
        self.assertEqual(err["kind"], "disabled")
        self.assertIn("delete_enabled", err["error"])
        self.assertIn(IMG, self.ws.image_names())
        self.assertFalse(res.one("image_curated")["success"])
        # not recorded: nothing happened
        self.assertEqual(json.loads(self.ws.run("--json", command="history").stdout), [])

        res = self.curate("delete", IMG, env={"FEATURE_DELETE": "true"})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.stdout, "delete %s: deleted with its sidecar\n" % IMG)
        self.assertNotIn(IMG, self.ws.image_names())
        self.assertFalse(os.path.exists(os.path.join(self.ws.images, stem(IMG) + ".txt")))
        self.assertEqual(res.one("storage_delete")["sidecar"], True)

        res = self.curate("delete", IMG2, env={"FEATURE_DELETE": "0"})
        self.assertEqual(res.rc, 2)
        self.ws.set("Storage", "delete_enabled", "true")
        res = self.curate("delete", IMG2, "--json")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout), {"filename": IMG2, "action": "delete",
                                                  "destination_folder": None,
                                                  "preview_only": False})
        self.assertEqual(self.ws.image_names(), [IMG3])
        rows = json.loads(self.ws.run("--json", command="history").stdout)
        self.assertEqual([(r["image"], r["action"], r["url"]) for r in rows],
                         [(IMG, "delete", None), (IMG2, "delete", None)])
        # a missing image: not found, exit 1
        res = self.curate("delete", IMG2)
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("curate_error")["kind"], "not_found")

    def test_hostile_names_move_nothing(self):
        outside = os.path.join(self.ws.dir, "outside.jpg")
        with open(os.path.join(EXAMPLES, IMG), "rb") as src, open(outside, "wb") as dst:
            dst.write(src.read())
        os.symlink(outside, os.path.join(self.ws.images, "link.jpg"))
        before = self.snapshot(outside)
        for name in ("../outside.jpg", outside, "a/b.jpg", "..", "keep", "link.jpg",
                     "missing.jpg", "x\n.jpg", stem(IMG) + ".txt"):
            for action in ("keep", "remove"):
                res = self.curate(action, name)
                self.assertEqual(res.rc, 1, (action, name, res.stderr))
                self.assertIn(res.one("curate_error")["kind"],
                              ("invalid", "refused", "not_found"), name)
        self.assertEqual(self.snapshot(outside), before)

    def test_bad_folders_are_configuration_errors(self):
        for key, value, part in (("folder_keep", "../elsewhere", "inside"),
                                 ("folder_remove", "/tmp/trash", "absolute"),
                                 ("folder_keep", "archive", "archive"),
                                 ("delete_enabled", "perhaps", "boolean")):
            self.ws.sections["Storage"] = {"backend": "local", "path": self.ws.images, key: value}
            self.ws.write_config()
            res = self.curate("keep", IMG)
            self.assertEqual(res.rc, 2, (key, value))
            err = res.one("config_error")
            self.assertEqual((err["section"], err["key"]), ("Storage", key))
            self.assertIn(part, err["error"])
            self.assertIn(self.ws.config, err["error"])
        self.assertEqual(len(self.ws.image_names()), 3)
        self.ws.sections["Storage"] = {"backend": "local", "path": self.ws.images}
        self.ws.write_config()
        res = self.curate("keep", IMG, env={"FEATURE_DELETE": "sometimes"})
        self.assertEqual(res.rc, 2)
        self.assertEqual(res.one("config_error")["key"], "FEATURE_DELETE")

    def test_debug_mode_is_preview_only(self):
        self.ws.set("Content", "debug", "true")
        res = self.curate("remove", IMG, "--json")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout)["preview_only"], True)
        self.assertIn(IMG, self.ws.image_names())
        self.assertFalse(os.path.exists(self.ws.state), "no state written")
        res = self.curate("keep", "missing.jpg")
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("curate_error")["kind"], "not_found")

    def test_usage_errors(self):
        for args in ([], ["a.jpg", "b.jpg"], ["--bogus", IMG]):
            res = self.curate("keep", *args)
            self.assertEqual(res.rc, 2, args)
            self.assertEqual(res.one("usage_error")["command"], "keep")
        res = self.ws.run("--help", command="remove", check_json=False)
        self.assertEqual(res.rc, 0)
        self.assertIn("folder_remove", res.stdout)


class CurateWebTest(CurateCase):
    images = [IMG, IMG2, IMG3]

    def setUp(self):
        super().setUp()
        self.srv = None

    def serve(self, **env):
        e = {"WEB_AUTH_TOKEN": TOKEN, "web_admin_pw": ADMIN_PW, "WEB_SESSION_SECRET": SECRET}
        e.update(env)
        self.srv = WebServer(self.ws, e).start()
        self.addCleanup(self.srv.kill)
        self.addCleanup(lambda: self.srv.stopped is None and self.srv.stop())
        r = self.srv.request("/api/admin/login", method="POST",
                             headers=["Authorization: Bearer " + TOKEN],
                             data=json.dumps({"password": ADMIN_PW}).encode())
        self.assertEqual(r.status, 200, r)
        cookie = r.header("Set-Cookie").split(";")[0]
        self.admin = ["Authorization: Bearer " + TOKEN, "Cookie: " + cookie]
        return self.srv

    def post(self, path, headers=None):
        return self.srv.request(path, method="POST", data=b"",
                                headers=self.admin if headers is None else headers)

    def get(self, path, headers=None):
        return self.srv.request(path, headers=self.admin if headers is None else headers)

    def test_routes_are_admin_only_and_answer_exactly(self):
        self.serve()
        write(os.path.join(self.ws.images, stem(IMG) + ".txt"), "sc\n")
        for action in ("keep", "remove", "delete"):
            path = "/api/images/%s/%s" % (IMG, action)
            self.assertEqual(self.post(path, headers=[]).status, 401, action)
            r = self.post(path, headers=["Authorization: Bearer " + TOKEN])
            self.assertEqual(r.status, 403, action)
        self.assertEqual(self.get("/api/history", headers=[]).status, 401)
        self.assertEqual(self.get("/api/history", headers=["Authorization: Bearer " + TOKEN]).status,
                         403)
        self.assertEqual(len(self.ws.image_names()), 3, "nothing moved")

        r = self.post("/api/images/%s/keep" % IMG)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, json.dumps({"filename": IMG, "action": "keep",
                                             "destination_folder": "keep",
                                             "preview_only": False},
                                            separators=(",", ":")).encode())
        self.assertEqual(sorted(os.listdir(os.path.join(self.ws.images, "keep"))),
                         sorted([IMG, stem(IMG) + ".txt"]))
        r = self.post("/api/images/%s/remove" % IMG2)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"filename": IMG2, "action": "remove",
                                    "destination_folder": "remove", "preview_only": False})
        # delete is off: 403 with a clear detail, the image stays
        r = self.post("/api/images/%s/delete" % IMG3)
        self.assertEqual(r.status, 403, r)
        self.assertIn("delete_enabled", r.json()["detail"])
        self.assertEqual(self.ws.image_names(), [IMG3])
        # gone already: 404
        r = self.post("/api/images/%s/keep" % IMG)
        self.assertEqual(r.status, 404, r)

        cid = r.header("X-Correlation-ID")
        self.srv.stop()
        lines = [l for l in self.srv.lines() if l.get("message") == "web_curate_complete"]
        self.assertEqual([(l["action"], l["filename"]) for l in lines],
                         [("keep", IMG), ("remove", IMG2)])
        self.assertTrue(all(isinstance(l["web_curate_ms"], int) for l in lines))
        errs = [l for l in self.srv.by_cid(cid) if l.get("message") == "web_curate_error"]
        self.assertEqual(errs[0]["status"], 404)

    def test_delete_enabled_by_feature_delete(self):
        self.serve(FEATURE_DELETE="yes")
        r = self.post("/api/images/%s/delete" % IMG)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"filename": IMG, "action": "delete",
                                    "destination_folder": None, "preview_only": False})
        self.assertEqual(self.ws.image_names(), sorted([IMG2, IMG3]))

    def test_hostile_filenames(self):
        self.serve(FEATURE_DELETE="true")
        outside = os.path.join(self.ws.dir, "outside.jpg")
        with open(os.path.join(EXAMPLES, IMG), "rb") as src, open(outside, "wb") as dst:
            dst.write(src.read())
        before = self.snapshot(outside)
        hostile = ["..%2Foutside.jpg", "%2E%2E%2Foutside.jpg", "..", "%2Fetc%2Fpasswd",
                   urllib.parse.quote(outside, safe=""), "a%2Fb.jpg", "x%00.jpg", "x%0A.jpg",
                   "keep", "missing.jpg", "..%5Coutside.jpg"]
        for name in hostile:
            for action in ("keep", "remove", "delete"):
                r = self.post("/api/images/%s/%s" % (name, action))
                self.assertTrue(400 <= r.status < 500, (name, action, r))
        self.assertEqual(self.snapshot(outside), before)

    def test_history_route_and_post_links(self):
        run = self.ws.run()
        self.assertEqual(run.rc, 0, run.stderr)
        posted = run.one("workflow_complete")
        out = posted["results"]["outbox"]
        self.assertEqual(out["url"], os.path.realpath(os.path.join(self.ws.outbox, out["post_id"])))
        self.serve()
        left = self.ws.image_names()[0]
        self.assertEqual(self.post("/api/images/%s/keep" % left).status, 200)

        r = self.get("/api/history")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(list(body), ["entries", "count"])
        self.assertEqual(body["count"], 2)
        newest, oldest = body["entries"]
        self.assertEqual(list(newest), HISTORY_KEYS)
        self.assertEqual((newest["platform"], newest["action"], newest["image"], newest["url"]),
                         ("storage", "keep", left, "keep/" + left))
        self.assertEqual((oldest["platform"], oldest["action"], oldest["post_id"], oldest["url"]),
                         ("outbox", None, out["post_id"], out["url"]))
        # the same rows as the CLI's, oldest first there
        cli = json.loads(self.ws.run("--json", command="history").stdout)
        self.assertEqual(cli, [oldest, newest])

        self.assertEqual(self.get("/api/history?platform=outbox").json()["entries"], [oldest])
        self.assertEqual(self.get("/api/history?limit=1").json(), {"entries": [newest], "count": 1})
        self.assertEqual(self.get("/api/history?since=2099-01-01").json(),
                         {"entries": [], "count": 0})
        self.assertEqual(len(self.get("/api/history?since=1h").json()["entries"]), 2)
        for bad in ("limit=0", "limit=1001", "limit=x", "since=soon"):
            r = self.get("/api/history?" + bad)
            self.assertEqual(r.status, 400, bad)
            self.assertTrue(r.json()["detail"])


class CurateDropboxTest(TestCase):
    images = []
    APP_KEY, REFRESH = "curate-app-key", "curate-refresh-token-1"

    def setUp(self):
        super().setUp()
        self.fake = FakeDropbox(app_key=self.APP_KEY, app_secret="s",
                                refresh_token=self.REFRESH).start()
        self.addCleanup(self.fake.stop)
        self.ws.use_dropbox(self.fake, self.APP_KEY, "s", self.REFRESH)
        for name in (IMG, IMG2, IMG3):
            with open(os.path.join(EXAMPLES, name), "rb") as f:
                self.fake.put("/Photos/" + name, f.read())
        self.fake.put("/Photos/%s.txt" % stem(IMG), b"sidecar\n")

    def test_keep_to_absolute_folder(self):
        self.ws.set("Dropbox", "folder_keep", "/Curated/Keep")
        res = self.ws.run(IMG, command="keep")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.fake.names("/Curated/Keep"), sorted([IMG, stem(IMG) + ".txt"]))
        self.assertEqual(self.fake.names("/Photos"), sorted([IMG2, IMG3]))
        self.assertEqual(res.one("image_curated")["destination"], "/Curated/Keep/" + IMG)
        moves = [r.json() for r in self.fake.calls("move_v2")]
        self.assertEqual(moves[0]["from_path"], "/Photos/" + IMG)
        self.assertEqual(moves[0]["to_path"], "/Curated/Keep/" + IMG)
        self.assertEqual(moves[1]["to_path"], "/Curated/Keep/%s.txt" % stem(IMG))

    def test_legacy_folder_reject(self):
        self.ws.set("Dropbox", "folder_reject", "rejected")
        res = self.ws.run(IMG2, command="remove")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(self.fake.names("/Photos/rejected"), [IMG2])
        self.assertEqual([r.json()["path"] for r in self.fake.calls("create_folder_v2")],
                         ["/Photos/rejected"])

    def test_delete_v2(self):
        res = self.ws.run(IMG, command="delete")
        self.assertEqual(res.rc, 2)
        self.assertEqual(self.fake.calls("delete_v2"), [])
        res = self.ws.run(IMG, command="delete", env={"FEATURE_DELETE": "1"})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual([r.json() for r in self.fake.calls("delete_v2")],
                         [{"path": "/Photos/" + IMG}, {"path": "/Photos/%s.txt" % stem(IMG)}])
        self.assertEqual(self.fake.names("/Photos"), sorted([IMG2, IMG3]))
        self.assertTrue(res.one("storage_delete")["sidecar"])
        # without a sidecar: the image alone, the sidecar's not_found is fine
        res = self.ws.run(IMG2, command="delete", env={"FEATURE_DELETE": "1"})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertFalse(res.one("storage_delete")["sidecar"])
        self.assertEqual(res.events("storage_sidecar_delete_error"), [])
        # gone: not found
        res = self.ws.run(IMG2, command="delete", env={"FEATURE_DELETE": "1"})
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("curate_error")["kind"], "not_found")


if __name__ == "__main__":
    harness.main()
