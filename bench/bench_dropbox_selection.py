"""Selection on a large Dropbox folder: 10,000 images listed in 5 pages, all but
one already posted (by content hash). photopub must read every page, skip the
posted images by their listed content hash and download exactly one image.
Prints the downloads, dropbox_list_images_ms and image_selection_ms from the
workflow_timing line, the fake Dropbox's own time answering the calls, and
what photopub spent beyond it. Figures only, no timing asserts (a sanitizer
build is several times slower than a release build).

Usage: /usr/bin/python3 bench/bench_dropbox_selection.py BUILD_DIR [RUNS]"""

import datetime
import os
import sqlite3
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) < 2:
    sys.exit(__doc__.split("\n\n")[-1])
BUILD = os.path.abspath(sys.argv[1])
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
os.environ["PHOTOPUB_BIN"] = os.path.join(BUILD, "photopub")
os.environ["PHOTOPUB_SOURCE"] = ROOT
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
lsan = os.path.join(ROOT, "tests", "lsan.supp")
os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0" % lsan)

import harness  # noqa: E402
from fake_dropbox import FakeDropbox  # noqa: E402

FILES = 10000
PAGE = 2000
FOLDER = "/Photos"
NEW = "zz-the-new-one.jpg"


def main():
    fake = FakeDropbox(app_key="bench-key", app_secret="bench-secret",
                       refresh_token="bench-refresh", page_size=PAGE).start()
    ws = harness.Workspace(images=[])
    try:
        ws.sections["Storage"] = {"backend": "dropbox"}
        ws.sections["Dropbox"] = {"image_folder": FOLDER, "api_url": fake.url,
                                  "content_url": fake.url, "oauth_url": fake.url}
        ws.write_config()
        ws.env.update({"DROPBOX_APP_KEY": "bench-key", "DROPBOX_APP_SECRET": "bench-secret",
                       "DROPBOX_REFRESH_TOKEN": "bench-refresh"})

        # A first run on the empty folder creates the state database.
        res = ws.run()
        if res.rc != 1 or not os.path.exists(ws.state):
            sys.exit("setup run failed (rc %d):\n%s" % (res.rc, res.stderr[-2000:]))

        # 9,999 posted images (never downloaded: their bytes need not decode) and one new one.
        t0 = time.perf_counter()
        for i in range(FILES - 1):
            fake.put("%s/img-%05d.jpg" % (FOLDER, i), b"posted image %d" % i)
        with open(os.path.join(harness.EXAMPLES, "rocket-on-pad-at-dusk.jpg"), "rb") as f:
            fake.put("%s/%s" % (FOLDER, NEW), f.read())
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        db = sqlite3.connect(ws.state)
        with db:
            db.executemany("INSERT OR IGNORE INTO posted_content_hash(content_hash, posted_at) "
                           "VALUES(?, ?)",
                           [(fake.metadata("%s/img-%05d.jpg" % (FOLDER, i))["content_hash"], now)
                            for i in range(FILES - 1)])
        db.close()
        print("setup: %d files in %s, %d posted, pages of %d (%.1f s)"
              % (FILES, FOLDER, FILES - 1, PAGE, time.perf_counter() - t0))

        rows = []
        for run in range(RUNS):
            dl0 = sum(fake.downloads.values())
            busy0 = dict(fake.busy)
            pages0 = len(fake.calls("list_folder")) + len(fake.calls("list_folder/continue"))
            res = ws.run("--dry-publish")
            if res.rc != 0:
                sys.exit("run %d failed (rc %d):\n%s" % (run + 1, res.rc, res.stderr[-2000:]))
            t = res.one("workflow_timing")
            listed = res.one("images_listed")["count"]
            busy = {k: fake.busy[k] - busy0.get(k, 0.0) for k in fake.busy}
            fake_list_ms = (busy.get("list_folder", 0) + busy.get("list_folder/continue", 0)) * 1e3
            fake_dl_ms = busy.get("download", 0) * 1e3
            pages = len(fake.calls("list_folder")) + len(fake.calls("list_folder/continue")) - pages0
            row = {
                "downloads": sum(fake.downloads.values()) - dl0,
                "listed": listed,
                "pages": pages,
                "image": t["image"],
                "list_ms": t["dropbox_list_images_ms"],
                "fake_list_ms": fake_list_ms,
                "select_ms": t["image_selection_ms"],
                "fake_dl_ms": fake_dl_ms,
            }
            row["list_beyond_ms"] = row["list_ms"] - fake_list_ms
            row["select_beyond_ms"] = row["select_ms"] - fake_dl_ms
            rows.append(row)
            print("run %d: downloads %d  listed %d in %d pages  dropbox_list_images_ms %d "
                  "(fake %.1f, beyond %.1f)  image_selection_ms %d (fake %.1f, beyond %.1f)  -> %s"
                  % (run + 1, row["downloads"], listed, pages, row["list_ms"], fake_list_ms,
                     row["list_beyond_ms"], row["select_ms"], fake_dl_ms,
                     row["select_beyond_ms"], row["image"]))

        med = lambda k: statistics.median(r[k] for r in rows)
        print()
        print("downloads per run:                  %s (must be 1)"
              % ",".join(str(r["downloads"]) for r in rows))
        print("images listed:                      %d in %d pages"
              % (rows[0]["listed"], rows[0]["pages"]))
        print("dropbox_list_images_ms (median):    %8.1f" % med("list_ms"))
        print("  fake answering list calls:        %8.1f" % med("fake_list_ms"))
        print("  photopub beyond the fake:         %8.1f" % med("list_beyond_ms"))
        print("image_selection_ms (median):        %8.1f" % med("select_ms"))
        print("  fake answering the download:      %8.1f" % med("fake_dl_ms"))
        print("  selection beyond the fake:        %8.1f" % med("select_beyond_ms"))
        print("RESULT downloads %d" % max(r["downloads"] for r in rows))
        print("RESULT dropbox_list_images_ms %.1f" % med("list_ms"))
        print("RESULT fake_list_ms %.1f" % med("fake_list_ms"))
        print("RESULT image_selection_ms %.1f" % med("select_ms"))
        print("RESULT selection_beyond_fake_ms %.1f" % med("select_beyond_ms"))
    finally:
        fake.stop()
        ws.cleanup()


if __name__ == "__main__":
    main()
