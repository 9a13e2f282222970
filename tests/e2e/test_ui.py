"""The web UI in a real browser: `photopub serve` on 127.0.0.1 and Debian's
chromium driven by playwright-core (tests/ui/ui_test.mjs) at a phone's
viewport, 390x844, and a desktop's, 1280x800. Main path: load, next image,
admin login after a wrong password, analyze (AI, then sidecar, then force
refresh), publish to the outbox, archive. Second path: a file name, caption
and metadata holding markup shown as text, the bearer-token prompt, the
login rate limit. Then one test per scenario: the phone layout and the
caption editor (layout), the grid and a review swipe undone (grid), an
edited caption reaching the outbox (edit), swipe keep/remove moving the
files (curate), History (history), its Retry button on a run whose
Telegram post failed (retry) and the queue against `run` (queue).

The last four need routes other work adds: edit needs the publish body's
caption/alt_text, curate the keep/remove routes, history GET /api/history,
queue GET /api/queue. Screenshots go to <build dir>/tests/artifacts/ui-*.png."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import Workspace, parse_log, SAMPLES
from webharness import curl

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402

UI_DIR = os.path.join(harness.SOURCE, "tests", "ui")
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(harness.BIN)), "tests", "artifacts")
CHROMIUM = "/usr/bin/chromium"
ADMIN_PW = "correct horse battery staple"
TOKEN = "ui-test-token-7f3a"
MAX_LOGIN_FAILURES = 5
SKIP_EXIT = 77


def setup_node_modules():
    """Installs playwright-core into tests/ui/node_modules from the lock file
    when it is missing. Returns None, or why the browser test cannot run;
    raises when the install fails."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node and npm are not installed (scripts/deps test installs them)"
    marker = os.path.join(UI_DIR, "node_modules", "playwright-core", "package.json")
    # One install at a time: builds in other folders share tests/ui.
    with open(os.path.join(tempfile.gettempdir(), "photopub-ui-npm.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(marker):
            return None
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=UI_DIR, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError("npm ci in tests/ui failed:\n" + (proc.stderr + proc.stdout).strip()[-2000:])
    return None


class Server:
    """`photopub serve --port 0` on a workspace; stopped with SIGTERM."""

    def __init__(self, ws, env):
        self.ws = ws
        self.port_file = os.path.join(ws.dir, "port")
        self.log_path = os.path.join(ws.dir, "serve.log")
        e = ws.environ()
        e.update(env)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [harness.BIN, "serve", "--config", ws.config, "--host", "127.0.0.1", "--port", "0",
             "--port-file", self.port_file],
            env=e, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise AssertionError("photopub serve exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("photopub serve wrote no port file in 60 s:\n" + self.read_log())
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read().strip())

    def read_log(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def stop(self):
        """SIGTERM; returns the exit code and the parsed log lines."""
        if not harness.terminate(self.proc):
            raise AssertionError("photopub serve did not stop within 30 s of SIGTERM")
        self.log.close()
        with open(self.log_path, errors="replace") as f:
            text = f.read()
        return self.proc.returncode, parse_log(text)


class UiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMIUM):
            raise unittest.SkipTest(CHROMIUM + " is not installed (scripts/deps test installs chromium)")
        why = setup_node_modules()
        if why:
            raise unittest.SkipTest(why)
        os.makedirs(ARTIFACTS, exist_ok=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pp-ui-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, ws, env):
        server = Server(ws, env)
        self.addCleanup(server.kill)
        return server

    def browse(self, cfg):
        """Runs ui_test.mjs with cfg; returns its RESULT object."""
        cfg = dict(cfg, artifacts=ARTIFACTS, chromium=CHROMIUM)
        path = os.path.join(self.tmp, "ui-%s.json" % cfg["scenario"])
        with open(path, "w") as f:
            json.dump(cfg, f)
        proc = subprocess.run(["node", os.path.join(UI_DIR, "ui_test.mjs"), path], cwd=UI_DIR,
                              capture_output=True, text=True, timeout=300)
        out = proc.stdout + ("\n" + proc.stderr if proc.stderr.strip() else "")
        print(out.rstrip())
        if proc.returncode == SKIP_EXIT:
            self.skipTest(out.strip().splitlines()[-1] if out.strip() else "browser not available")
        self.assertEqual(proc.returncode, 0, "the browser test failed:\n" + out)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        self.assertEqual(len(lines), 1, out)
        res = json.loads(lines[0][len("RESULT "):])
        for shot in res["screenshots"]:
            self.assertGreater(os.path.getsize(shot), 1000, shot)
        return res

    def test_phone_load_next_login_analyze_publish(self):
        ws = Workspace()
        self.addCleanup(ws.cleanup)
        self.assertGreaterEqual(len(SAMPLES), 2)
        server = self.start(ws, {"web_admin_pw": ADMIN_PW})
        res = self.browse({"scenario": "main", "base_url": server.url, "admin_pw": ADMIN_PW,
                           "images": ws.image_names(), "platforms": ["outbox"]})
        rc, lines = server.stop()
        self.assertEqual(rc, 0, "photopub serve should exit 0 on SIGTERM")

        # What the page showed is what happened on disk.
        pub = res["published"]
        name = pub["filename"]
        self.assertIn(name, SAMPLES)
        self.assertNotIn(name, ws.image_names())
        self.assertIn(name, ws.archived())
        self.assertEqual(ws.posts(), [pub["post_id"]])
        with open(os.path.join(ws.outbox, pub["post_id"], "post.json")) as f:
            self.assertEqual(json.load(f)["image"], name)

        # The server saw what the page did: one wrong login, the analyses, one publish.
        msgs = [l["message"] for l in lines]
        self.assertEqual(msgs.count("web_admin_login_failed"), 1)
        self.assertEqual(msgs.count("web_admin_login"), 1)
        done = [l for l in lines if l["message"] == "web_analyze_complete"]
        self.assertEqual([l["cache_hit"] for l in done], [False, True, False])
        self.assertTrue(all(l["filename"] == name for l in done))
        pubs = [l for l in lines if l["message"] == "web_publish_complete"]
        self.assertEqual(len(pubs), 1)
        self.assertTrue(pubs[0]["archived"])
        self.assertFalse([l for l in lines if l["message"].endswith("_error")],
                         "no web_*_error line expected")
        # Every image the page loaded was a phone-sized copy.
        files = [l for l in lines if l["message"] == "http_request"
                 and l.get("route") == "/api/images/{filename}/file"]
        self.assertTrue(files)
        self.assertTrue(all(l["status"] in (200, 304) for l in files), files)

    def test_markup_as_text_token_prompt_and_login_limit(self):
        ws = Workspace(images=[])
        self.addCleanup(ws.cleanup)
        name = '<b>café & "tea" #1?.jpg'
        stem = name[:-4]
        shutil.copy(os.path.join(harness.EXAMPLES, SAMPLES[0]), os.path.join(ws.images, name))
        sd_caption = "<script>window.__pp_xss=2</script> sd & <b>bold</b>"
        caption = '<img src=x onerror="window.__pp_xss=1"> Caption & "quotes"'
        with open(os.path.join(ws.images, stem + ".txt"), "w") as f:
            f.write(sd_caption + "\n\n# ---\n")
            f.write("# image_file: %s\n" % name)
            f.write("# caption: %s\n" % caption)
            f.write("# <i>key</i>: <svg onload=window.__pp_xss=3>\n")
            f.write('# tags: ["<b>x</b>", "y"]\n')
        server = self.start(ws, {"web_admin_pw": ADMIN_PW, "WEB_AUTH_TOKEN": TOKEN})
        self.browse({"scenario": "token", "base_url": server.url, "admin_pw": ADMIN_PW,
                     "token": TOKEN, "filename": name, "caption": caption,
                     "sd_caption": sd_caption, "max_failures": MAX_LOGIN_FAILURES,
                     "metadata": {"image_file": name, "<i>key</i>": "<svg onload=window.__pp_xss=3>",
                                  "tags": "<b>x</b>, y"}})
        rc, lines = server.stop()
        self.assertEqual(rc, 0)
        analyses = [l for l in lines if l["message"] == "web_analyze_complete"]
        self.assertEqual(len(analyses), 1, "only the call with the right token reaches analyze")
        self.assertTrue(analyses[0]["cache_hit"])
        refused = [l for l in lines if l["message"] == "web_analyze_error" and l["status"] == 401]
        self.assertEqual(len(refused), 2, "one call without a token, one with the wrong one")
        self.assertEqual(ws.posts(), [])

    def test_errors_in_words(self):
        broken = Workspace(images=[])
        self.addCleanup(broken.cleanup)
        with open(os.path.join(broken.images, "broken.jpg"), "wb") as f:
            f.write(b"\xff\xd8 not a JPEG " * 200)
        failing = Workspace(images=[SAMPLES[0]])
        self.addCleanup(failing.cleanup)
        with open(failing.outbox, "w") as f:
            f.write("a file where the outbox folder should be\n")
        a = self.start(broken, {})
        b = self.start(failing, {})
        self.browse({"scenario": "errors", "base_url": a.url, "failing_url": b.url})
        for server in (a, b):
            rc, _ = server.stop()
            self.assertEqual(rc, 0)
        self.assertEqual(failing.image_names(), [SAMPLES[0]], "a failed publish archives nothing")
        self.assertEqual(failing.archived(), [])


    # ---- one scenario each: the layout, the caption editor, grid, review, ----
    # ---- history and queue ---------------------------------------------------

    def platforms_of(self, server):
        r = curl(server.url + "/api/admin/status")
        self.assertEqual(r.status, 200, r)
        return r.json()["platforms"]

    def test_layout_caption_editor_and_confirmation(self):
        """Phone and desktop: the landscape photo unboxed, one caption in its
        field before Publish, tags as words, a real alt, the counters per
        platform, Publish disabled until a caption is on screen, the
        confirmation."""
        landscape = "tabby-cat-closeup.jpg"          # 451 x 300
        ws = Workspace(images=[landscape])
        self.addCleanup(ws.cleanup)
        ws.set("Content", "telegram", "true")
        ws.set("Telegram", "api_url", "http://127.0.0.1:9")
        ws.set("Content", "fetlife", "true")
        ws.set("Email", "sender", "a@example.com")
        ws.set("Email", "recipient", "b@example.com")
        ws.set("Email", "smtp_server", "127.0.0.1")
        ws.set("Email", "smtp_port", "9")
        ws.set("Email", "security", "none")
        server = self.start(ws, {"TELEGRAM_BOT_TOKEN": "123456:ui-test-token-abcdef",
                                 "TELEGRAM_CHANNEL_ID": "-100123", "EMAIL_PASSWORD": "ui-pw"})
        platforms = self.platforms_of(server)
        self.assertEqual(set(platforms), {"telegram", "email", "outbox"})
        self.browse({"scenario": "layout", "base_url": server.url, "landscape": landscape,
                     "platforms": platforms})
        rc, lines = server.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(ws.posts(), [], "a cancelled publish publishes nothing")
        self.assertFalse([l for l in lines if l["message"].startswith("web_publish")])

    def test_grid_search_review_and_undo(self):
        """Thumbnails from the thumbnail route, the list's search and order,
        the review of the image picked, a swipe right undone before it is
        sent."""
        ws = Workspace()
        self.addCleanup(ws.cleanup)
        server = self.start(ws, {})
        names = ws.image_names()
        self.browse({"scenario": "grid", "base_url": server.url, "images": names, "undo_ms": 700,
                     "search": "wood", "search_hits": [n for n in names if "wood" in n]})
        rc, lines = server.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(ws.image_names(), names, "an undone swipe moves nothing")
        routes = {l.get("route") for l in lines if l["message"] == "http_request"}
        self.assertIn("/api/images/{filename}/thumbnail", routes)
        self.assertIn("/api/images/list", routes)
        posts = [l for l in lines if l["message"] == "http_request" and l["method"] == "POST"]
        self.assertEqual(posts, [], "nothing was sent for an undone choice")

    def test_edited_caption_reaches_the_outbox(self):
        """The caption and alt text edited on the page are what the outbox gets."""
        ws = Workspace(images=[SAMPLES[0]])
        self.addCleanup(ws.cleanup)
        server = self.start(ws, {"web_admin_pw": ADMIN_PW})
        caption = "Edited in the browser: dusk, steel and a long wait \u2014 #launch"
        alt = "A rocket standing on its pad at dusk, lit from below."
        res = self.browse({"scenario": "edit", "base_url": server.url, "admin_pw": ADMIN_PW,
                           "caption": caption, "alt_text": alt})
        rc, _ = server.stop()
        self.assertEqual(rc, 0)
        post = res["published"]["post_id"]
        with open(os.path.join(ws.outbox, post, "post.json")) as f:
            posted = json.load(f)
        self.assertIn(caption.split(" #")[0], posted["caption"], "the outbox holds the edited caption")
        self.assertEqual(posted["alt_text"], alt, "the outbox holds the edited alt text")
        with open(os.path.join(ws.outbox, post, "caption.txt")) as f:
            self.assertIn(caption.split(" #")[0], f.read())

    def test_swipe_keep_and_remove_move_the_files(self):
        """A swipe right keeps, a swipe left removes: the files move."""
        ws = Workspace()
        self.addCleanup(ws.cleanup)
        names = ws.image_names()
        server = self.start(ws, {"web_admin_pw": ADMIN_PW})
        res = self.browse({"scenario": "curate", "base_url": server.url, "admin_pw": ADMIN_PW,
                           "images": names, "undo_ms": 300})
        rc, _ = server.stop()
        self.assertEqual(rc, 0)
        self.assertEqual([c["action"] for c in res["curated"]], ["keep", "remove", "keep", "remove"])
        for c in res["curated"]:
            self.assertNotIn(c["filename"], ws.image_names(), c)
            self.assertTrue(c["destination_folder"], c)
            self.assertTrue(os.path.exists(os.path.join(ws.images, c["destination_folder"], c["filename"])), c)
        kept = {c["destination_folder"] for c in res["curated"] if c["action"] == "keep"}
        removed = {c["destination_folder"] for c in res["curated"] if c["action"] == "remove"}
        self.assertEqual(len(kept), 1)
        self.assertEqual(len(removed), 1)
        self.assertNotEqual(kept, removed)

    def test_history_shows_the_post(self):
        """The History view shows the post just made."""
        ws = Workspace(images=SAMPLES[:2])
        self.addCleanup(ws.cleanup)
        run = ws.run("--select", SAMPLES[1])
        self.assertEqual(run.rc, 0, run.stderr)
        server = self.start(ws, {"web_admin_pw": ADMIN_PW})
        self.browse({"scenario": "history", "base_url": server.url, "admin_pw": ADMIN_PW,
                     "posted": SAMPLES[1]})
        rc, _ = server.stop()
        self.assertEqual(rc, 0)

    def test_history_retry_sends_only_the_failed_platform(self):
        """A run whose telegram failed shows as partial with a Retry button;
        the click sends it to telegram alone."""
        ws = Workspace(images=SAMPLES[:1])
        self.addCleanup(ws.cleanup)
        tg = FakeTelegram().start()
        self.addCleanup(tg.stop)
        tg.configure(ws)
        tg.fail_next(400, "Bad Request: chat not found")
        run = ws.run("--select", SAMPLES[0])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertIs(run.one("workflow_complete")["partial"], True)
        posts = ws.posts()
        self.assertEqual(tg.photo_requests(), 1)
        server = self.start(ws, dict(ws.env, web_admin_pw=ADMIN_PW))
        self.browse({"scenario": "retry", "base_url": server.url, "admin_pw": ADMIN_PW})
        rc, lines = server.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(tg.photo_requests(), 2, "telegram got the second post")
        self.assertEqual(ws.posts(), posts, "the outbox got nothing more")
        done = [l for l in lines if l["message"] == "web_retry_complete"]
        self.assertEqual(len(done), 1)
        self.assertIs(done[0]["partial"], False)

    def test_queue_shown_is_what_run_posts_next(self):
        """The Queue view shows the order the next runs post in."""
        ws = Workspace()
        self.addCleanup(ws.cleanup)
        server = self.start(ws, {})
        res = self.browse({"scenario": "queue", "base_url": server.url})
        rc, _ = server.stop()
        self.assertEqual(rc, 0)
        shown = res["queue"]
        self.assertTrue(shown)
        for want in shown[:2]:
            run = ws.run()
            self.assertEqual(run.rc, 0, run.stderr)
            self.assertEqual(run.one("workflow_complete")["image"], want)

    def test_report_fits_a_phone_and_links_its_failed_runs(self):
        """The HTML of `photopub report` over real failed runs, opened from
        its file at 390x844: no sideways scrolling, every failed-run link
        lands on its section."""
        import test_report
        ws = Workspace(SAMPLES[:3])
        self.addCleanup(ws.cleanup)
        log, failed, _ = test_report.failing_log(ws)
        out = os.path.join(self.tmp, "report.html")
        proc = subprocess.run([harness.BIN, "report", log, "-o", out], capture_output=True,
                              text=True, env=ws.environ(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        res = self.browse({"scenario": "report", "base_url": "file://" + out,
                           "failed_runs": len(failed)})
        for cid in failed:
            self.assertIn("#run-" + cid, res["run_links"])


if __name__ == "__main__":
    harness.main()
