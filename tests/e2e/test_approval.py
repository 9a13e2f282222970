"""Alt text and caption approval, end to end: analyze writes the caption
and alt text into the sidecar and reads them back exactly; the web publish
body's caption, alt_text and per-platform overrides are what the platforms
get (outbox post.json, the fake Telegram), are checked (422) and written
back to the sidecar; GET /api/platforms and POST /api/caption/preview; and
`photopub run --caption-file` / `--alt-text-file` / `--edit`."""

import json
import os
import pty
import subprocess
import sys

import harness
from test_web import WebCase

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402

IMG, IMG2 = harness.SAMPLES[0], harness.SAMPLES[1]
EDITED = "An edited caption,\nover two lines, with \"quotes\" and \u00e9t\u00e9 \U0001f4f7\n#rope #studio"
ALT = "A coil of rope on an oak floor in low, warm light."


def post_of(ws):
    posts = ws.posts()
    if len(posts) != 1:
        raise AssertionError("expected one post, got %r" % posts)
    d = os.path.join(ws.outbox, posts[0])
    with open(os.path.join(d, "post.json"), encoding="utf-8") as f:
        post = json.load(f)
    with open(os.path.join(d, "caption.txt"), encoding="utf-8") as f:
        post["caption_txt"] = f.read()
    return post


def sidecar_of(ws, name, archived=False):
    folder = os.path.join(ws.images, "archive") if archived else ws.images
    with open(os.path.join(folder, os.path.splitext(name)[0] + ".txt"), encoding="utf-8") as f:
        return f.read()


class WebApprovalTest(WebCase):
    images = [IMG, IMG2]

    def test_analyze_round_trips_through_the_sidecar(self):
        srv = self.serve()
        url = "/api/images/%s/analyze" % IMG
        first = self.assertStatus(self.post(srv, url), 200).json()
        self.assertIs(first["sidecar_written"], True)
        self.assertTrue(first["alt_text"])
        self.assertLessEqual(len(first["alt_text"]), 125)
        text = sidecar_of(self.ws, IMG)
        self.assertIn("# caption: ", text)
        self.assertIn("# alt_text: " + first["alt_text"] + "\n", text)
        second = self.assertStatus(self.post(srv, url), 200).json()
        self.assertIs(second["cache_hit"], True)
        for k in ("caption", "alt_text", "sd_caption"):
            self.assertEqual(second[k], first[k], k)
        rnd = self.get(srv, "/api/images/random").json()
        if rnd["filename"] == IMG:
            self.assertEqual(rnd["alt_text"], first["alt_text"])
            self.assertEqual(rnd["caption"], first["caption"])

    def test_edited_caption_and_alt_text_are_published(self):
        srv = self.serve()
        body = {"caption": EDITED, "alt_text": ALT}
        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG, body,
                                        headers=["X-Request-ID: approve-1"]), 200).json()
        self.assertIs(r["results"]["outbox"]["success"], True)
        post = post_of(self.ws)
        self.assertEqual(post["caption"], EDITED)
        self.assertEqual(post["caption_txt"], EDITED + "\n")
        self.assertEqual(post["alt_text"], ALT)
        self.assertEqual(post["analysis"]["alt_text"], ALT)
        # the sidecar (archived with the image) keeps what was approved
        self.assertIs(r["archived"], True)
        text = sidecar_of(self.ws, IMG, archived=True)
        self.assertIn("# alt_text: " + ALT + "\n", text)
        self.assertIn("# caption: " + json.dumps(EDITED, ensure_ascii=False) + "\n", text)
        lines = srv.request_lines("approve-1")
        (done,) = [l for l in lines if l["message"] == "workflow_complete"]
        self.assertEqual(done["alt_text"], ALT)
        (ap,) = [l for l in lines if l["message"] == "caption_approved"]
        self.assertEqual(ap["source"], "given")
        self.assertEqual(ap["caption_length"], len(EDITED))
        self.assertNotIn(EDITED, srv.stderr())  # no full caption in the log

    def test_failed_publish_keeps_the_edit_for_a_reload(self):
        # the outbox path is a file: the publish fails, the image stays,
        # and the sidecar shows the edited caption on the next analyze
        with open(os.path.join(self.ws.dir, "blocker"), "w") as f:
            f.write("x")
        self.ws.set("Outbox", "path", os.path.join(self.ws.dir, "blocker", "outbox"))
        srv = self.serve()
        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG,
                                        {"caption": EDITED, "alt_text": ALT}), 200).json()
        self.assertIs(r["any_success"], False)
        again = self.assertStatus(self.post(srv, "/api/images/%s/analyze" % IMG), 200).json()
        self.assertIs(again["cache_hit"], True)
        self.assertEqual(again["caption"], EDITED)
        self.assertEqual(again["alt_text"], ALT)

    def test_overrides_per_platform(self):
        tg = FakeTelegram().start()
        self.addCleanup(tg.stop)
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Telegram", "api_url", tg.url)
        srv = self.serve({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_CHANNEL_ID": tg.chat_id})
        body = {"caption": "The caption for everyone.",
                "overrides": {"telegram": {"caption": "Telegram's own caption."}}}
        r = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG, body), 200).json()
        self.assertIs(r["any_success"], True)
        self.assertEqual([p["caption"] for p in tg.photos], ["Telegram's own caption."])
        self.assertEqual(post_of(self.ws)["caption"], "The caption for everyone.")

    def test_bad_bodies_are_422(self):
        srv = self.serve()
        url = "/api/images/%s/publish" % IMG
        cases = [
            ({"caption": 5}, "caption must be a string"),
            ({"caption": ""}, "caption is empty"),
            ({"caption": " \n "}, "caption is empty"),
            ({"caption": "x" * 2201}, "2201 characters"),
            ({"caption": "bell\u0007"}, "control character"),
            ({"alt_text": ["x"]}, "alt_text must be a string"),
            ({"alt_text": "x" * 126}, "126 characters"),
            ({"alt_text": "two\nlines"}, "one line"),
            ({"overrides": ["telegram"]}, "overrides must be an object"),
            ({"overrides": {"myspace": {"caption": "x"}}}, "unknown or disabled platform: myspace"),
            ({"overrides": {"telegram": {"caption": "x"}}}, "unknown or disabled platform: telegram"),
            ({"overrides": {"outbox": "x"}}, "overrides.outbox must be an object"),
            ({"overrides": {"outbox": {"caption": ""}}}, "overrides.outbox.caption is empty"),
            ({"overrides": {"outbox": {"text": "x"}}}, "unknown key text"),
        ]
        for body, detail in cases:
            with self.subTest(body=body):
                r = self.assertStatus(self.post(srv, url, body), 422)
                self.assertIn(detail, r.json()["detail"])
        # a NUL is no JSON this server reads
        self.assertStatus(self.post(srv, url, {"caption": "a\u0000b"}), 400)
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.archived(), [])

    def test_platforms(self):
        srv = self.serve()
        r = self.assertStatus(self.get(srv, "/api/platforms"), 200).json()
        by = {p["name"]: p for p in r["platforms"]}
        self.assertEqual(list(by), ["telegram", "email", "instagram", "mastodon", "pixelfed", "bluesky",
                                    "outbox"])
        self.assertEqual(by["bluesky"], {"name": "bluesky", "enabled": False, "max_length": 300,
                                         "alt_text": True, "hashtags": True, "max_hashtags": None,
                                         "one_line": False})
        self.assertEqual(by["telegram"], {"name": "telegram", "enabled": False, "max_length": 1024,
                                          "alt_text": False, "hashtags": True, "max_hashtags": None,
                                          "one_line": False})
        self.assertEqual(by["instagram"]["max_hashtags"], 30)
        self.assertIs(by["instagram"]["alt_text"], True)
        self.assertEqual(by["email"]["max_length"], 240)
        self.assertIs(by["email"]["hashtags"], False)
        self.assertIs(by["email"]["alt_text"], True)
        self.assertIs(by["outbox"]["enabled"], True)
        self.assertEqual(by["mastodon"]["max_length"], 500)
        self.assertIs(by["mastodon"]["alt_text"], True)
        self.assertIs(by["pixelfed"]["enabled"], False)
        self.assertEqual(r["caption_max_length"], 2200)
        self.assertEqual(r["alt_text_max_length"], 125)

    def test_preview_is_what_is_sent(self):
        tg = FakeTelegram().start()
        self.addCleanup(tg.stop)
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Telegram", "api_url", tg.url)
        srv = self.serve({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_CHANNEL_ID": tg.chat_id})
        long_caption = ("word " * 300).strip() + " #rope #studio"
        body = {"caption": long_caption, "alt_text": ALT}
        r = self.assertStatus(self.post(srv, "/api/caption/preview", body), 200).json()
        by = {p["name"]: p for p in r["platforms"]}
        self.assertEqual(sorted(by), ["outbox", "telegram"])
        self.assertEqual(by["telegram"]["max_length"], 1024)
        self.assertIs(by["telegram"]["over"], True)
        self.assertLessEqual(by["telegram"]["length"], 1024)
        self.assertEqual(by["telegram"]["length"], len(by["telegram"]["text"]))
        self.assertIsNone(by["telegram"]["alt_text"])
        self.assertIs(by["outbox"]["over"], False)
        self.assertEqual(by["outbox"]["alt_text"], ALT)
        pub = self.assertStatus(self.post(srv, "/api/images/%s/publish" % IMG, body), 200).json()
        self.assertIs(pub["any_success"], True)
        self.assertEqual(tg.photos[0]["caption"], by["telegram"]["text"])
        self.assertEqual(post_of(self.ws)["caption"], by["outbox"]["text"])
        short = self.assertStatus(self.post(srv, "/api/caption/preview", {"caption": "Short."}), 200)
        self.assertEqual({p["name"]: p["over"] for p in short.json()["platforms"]},
                         {"telegram": False, "outbox": False})
        self.assertStatus(self.post(srv, "/api/caption/preview", {}), 422)
        self.assertStatus(self.post(srv, "/api/caption/preview", {"caption": ""}), 422)
        self.assertStatus(self.post(srv, "/api/caption/preview", b"not json"), 422)


class CliApprovalTest(harness.TestCase):
    images = [IMG, IMG2]

    def run_direct(self, *args, env=None, **kw):
        """photopub run outside Workspace.run, for its standard input."""
        e = self.ws.environ()
        e.update(env or {})
        return subprocess.run([harness.BIN, "run", "--config", self.ws.config] + list(args),
                              capture_output=True, text=True, env=e, timeout=120, **kw)

    def write(self, name, text):
        path = os.path.join(self.ws.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_caption_file(self):
        cap = self.write("caption.txt", EDITED + "\n")
        alt = self.write("alt.txt", ALT + "\n")
        res = self.ws.run("--select", IMG, "--caption-file", cap, "--alt-text-file", alt)
        self.assertEqual(res.rc, 0, res.stderr)
        post = post_of(self.ws)
        self.assertEqual(post["caption"], EDITED)
        self.assertEqual(post["alt_text"], ALT)
        self.assertEqual(res.one("caption_approved")["source"], "given")
        self.assertEqual(res.one("workflow_complete")["alt_text"], ALT)

    def test_caption_from_stdin(self):
        proc = self.run_direct("--select", IMG, "--caption-file", "-",
                               input="From standard input.\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(post_of(self.ws)["caption"], "From standard input.")

    def test_bad_caption_files_are_usage_errors(self):
        for name, text, why in (("empty.txt", "\n\n", "is empty"),
                                ("long.txt", "x" * 2201, "2201 characters"),
                                ("bad.txt", None, "not valid UTF-8")):
            with self.subTest(name=name):
                path = os.path.join(self.ws.dir, name)
                with open(path, "wb") as f:
                    f.write(b"caf\xe9" if text is None else text.encode())
                res = self.ws.run("--caption-file", path)
                self.assertEqual(res.rc, 2, res.stderr)
                self.assertIn(why, res.one("usage_error")["error"])
        res = self.ws.run("--caption-file", os.path.join(self.ws.dir, "missing.txt"))
        self.assertEqual(res.rc, 2)
        res = self.ws.run("--alt-text-file", self.write("alt.txt", "two\nlines\n"))
        self.assertEqual(res.rc, 2)
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.archived(), [])

    def run_in_terminal(self, editor_script, *args):
        """photopub run with a terminal as standard input and EDITOR set."""
        editor = self.write("editor.sh", editor_script)
        os.chmod(editor, 0o755)
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        env = {"EDITOR": editor, "SEEN": os.path.join(self.ws.dir, "seen.txt")}
        try:
            proc = self.run_direct("--edit", *args, env=env, stdin=slave)
        finally:
            os.close(slave)
        return proc, harness.parse_log(proc.stderr)

    def test_edit_publishes_the_edited_caption(self):
        proc, lines = self.run_in_terminal(
            "#!/bin/sh\ncp \"$1\" \"$SEEN\"\n"
            "printf 'Edited in the editor.\\n#rope #studio\\n\\n# a comment\\n' > \"$1\"\n",
            "--select", IMG)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(post_of(self.ws)["caption"], "Edited in the editor.\n#rope #studio")
        with open(os.path.join(self.ws.dir, "seen.txt"), encoding="utf-8") as f:
            seen = f.read()
        self.assertIn("# Please edit the caption to publish for %s." % IMG, seen)
        self.assertIn("#   outbox", seen)
        self.assertIn("# Alt text: ", seen)
        generated = seen.split("\n\n# Please")[0]
        self.assertTrue(generated)
        self.assertEqual([l["source"] for l in lines if l["message"] == "caption_approved"], ["edited"])

    def test_empty_edit_aborts(self):
        proc, lines = self.run_in_terminal("#!/bin/sh\nprintf '# only a comment\\n\\n' > \"$1\"\n",
                                           "--select", IMG)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("the edited caption is empty", proc.stdout)
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.archived(), [])
        self.assertFalse(os.path.exists(os.path.join(self.ws.images, os.path.splitext(IMG)[0] + ".txt")),
                         "nothing written")
        done = [l for l in lines if l["message"] == "workflow_complete"]
        self.assertIs(done[0]["success"], False)

    def test_failing_editor_aborts(self):
        proc, _ = self.run_in_terminal("#!/bin/sh\nexit 3\n", "--select", IMG)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("the editor", proc.stdout)
        self.assertEqual(self.ws.posts(), [])

    def test_edit_without_a_terminal_is_a_usage_error(self):
        res = self.ws.run("--edit")
        self.assertEqual(res.rc, 2, res.stderr)
        self.assertIn("--edit needs a terminal", res.stderr)
        self.assertEqual(self.ws.posts(), [])


if __name__ == "__main__":
    harness.main()
