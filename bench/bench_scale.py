"""Scale: many runs and two web replicas over one shared state and storage.
For each setup — (a) PostgreSQL state (tests/pg/pg-start) + S3 storage
(s3rver behind tests/fakes/s3_front.py, as tests/e2e/test_s3.py starts
them) and (b) SQLite state + a local folder — a pool of N images (default
10,000: one small JPEG with a numbered COM segment, so every file has its
own bytes and SHA-256), 8 concurrent workers each doing K `photopub run`s
in sequence (outbox publisher, offline analyzer), while 2 `photopub serve`
replicas of the same config answer GET /api/images/random under load (a
keep-alive client thread per replica, as fast as it is answered).
Prints posts per second, duplicate posts (the same SHA-256 posted twice,
counted from the outbox's image files and from the state's history: must
be 0), p50 / p99 of each replica, and the ratios between the setups.

The bucket is filled by parallel unsigned PUTs (16 connections) straight to
s3rver, as test_s3.py seeds it (s3rver checks no signature); photopub's own
requests all go through the signing front.

Needs node + npm (s3rver is installed from tests/s3's lock file into
BUILD_DIR/npm/s3) and a PostgreSQL server binary (scripts/deps test).
Usage: /usr/bin/python3 bench/bench_scale.py BUILD_DIR [--images N]
       [--runs K] [--quick] [--only sqlite|pg]"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchlib import free_port, private_state_home

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ap = argparse.ArgumentParser(description="photopub at scale: 8 runs + 2 replicas per setup")
ap.add_argument("build", nargs="?", default="build")
ap.add_argument("--images", type=int, default=10000, help="images in the pool (default 10000)")
ap.add_argument("--runs", type=int, default=5, help="runs per worker, in sequence (default 5)")
ap.add_argument("--quick", action="store_true", help="a small try: 300 images, 2 runs per worker")
ap.add_argument("--only", choices=("sqlite", "pg"), help="one setup only")
args = ap.parse_args()
if args.quick:
    args.images, args.runs = 300, 2

# test_s3's s3rver helpers look for the npm cache beside the binary.
os.environ["PHOTOPUB_BIN"] = os.path.join(os.path.abspath(args.build), "photopub")
os.environ["PHOTOPUB_SOURCE"] = SOURCE
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "fakes"))
import test_s3  # noqa: E402
from s3_front import S3Front  # noqa: E402

private_state_home()
BINARY = os.environ["PHOTOPUB_BIN"]
WORKERS, REPLICAS = 8, 2
IDLE_SECONDS = 5
BASE_IMAGE = os.path.join(SOURCE, "examples", "images", "wall-clock-motion-blur.jpg")


def numbered_jpegs(n):
    """n JPEGs of one picture, each with a COM segment "photopub-bench N"
    just after SOI: valid, distinct bytes. Yields (name, bytes)."""
    with open(BASE_IMAGE, "rb") as f:
        data = f.read()
    assert data[:2] == b"\xff\xd8"
    for i in range(n):
        text = b"photopub-bench %06d" % i
        com = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
        yield "img-%06d.jpg" % i, data[:2] + com + data[2:]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


class Load(threading.Thread):
    """GET /api/images/random on one replica, over one keep-alive
    connection, until stopped; latencies in ms of the 200 answers."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop, self.lat, self.errors = port, threading.Event(), [], 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("GET", "/api/images/random")
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    self.lat.append((time.perf_counter() - t0) * 1000)
                else:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)


def last_error(stderr):
    """The message and error of a failed run's last error line."""
    for line in reversed(stderr.splitlines()):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("level") in ("ERROR", "error", "WARNING", "warning"):
            return "%s: %s" % (obj.get("message"), obj.get("error", obj.get("reason", "")))
    return stderr.strip()[-200:]


def wait_http(port, procs, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError("serve exited with %s" % p.returncode)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/api/images/random")   # also warms its listing
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("serve did not answer on %d" % port)


def run_setup(name, work, sections, env, history):
    """The runs and replicas of one setup over its config; returns figures.
    history() gives the (sha256,) rows of the state's successful posts."""
    ini = os.path.join(work, "photopub.ini")
    outbox = os.path.join(work, "outbox")
    sections = dict(sections)
    sections.update({"AI": {"provider": "local"}, "Outbox": {"enabled": "true", "path": outbox},
                     "Content": {"hashtag_string": "#bench"}})
    with open(ini, "w") as f:
        for sec, kv in sections.items():
            f.write("[%s]\n%s" % (sec, "".join("%s = %s\n" % x for x in kv.items())))
    e = dict(os.environ, **env)
    procs, loads = [], []
    try:
        ports = []
        for r in range(REPLICAS):
            port = free_port()
            p = subprocess.Popen([BINARY, "serve", "--config", ini, "--port", str(port),
                                  "--log-file", os.path.join(work, "serve%d.log" % r)],
                                 env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            ports.append(port)
        for port in ports:
            wait_http(port, procs)
        # Baselines: the replicas under load with no run going, then one run
        # alone (its post is counted in the outbox, not in posts/s).
        idle = [Load(port) for port in ports]
        for ld in idle:
            ld.start()
        time.sleep(IDLE_SECONDS)
        for ld in idle:
            ld.stop.set()
            ld.join()
        t0 = time.perf_counter()
        alone_rc = subprocess.run([BINARY, "run", "--config", ini], env=e,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        alone = time.perf_counter() - t0
        loads = [Load(port) for port in ports]
        for ld in loads:
            ld.start()

        rcs, failures = [], []
        lock = threading.Lock()

        def worker(w):
            for _ in range(args.runs):
                p = subprocess.run([BINARY, "run", "--config", ini], env=e, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                with lock:
                    rcs.append(p.returncode)
                    if p.returncode != 0:
                        failures.append(last_error(p.stderr))

        t0 = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(worker, range(WORKERS)))
        wall = time.perf_counter() - t0
        for ld in loads:
            ld.stop.set()
        for ld in loads:
            ld.join()
    finally:
        for p in procs:
            test_s3.harness.terminate(p)

    # Duplicates: the same image bytes in two posts of the outbox, and the
    # same SHA-256 in two successful outbox rows of the history.
    seen = {}
    for post in os.listdir(outbox) if os.path.isdir(outbox) else []:
        d = os.path.join(outbox, post)
        for f in os.listdir(d):
            if f.endswith(".jpg"):
                with open(os.path.join(d, f), "rb") as fh:
                    h = hashlib.sha256(fh.read()).hexdigest()
                seen[h] = seen.get(h, 0) + 1
    posts = sum(seen.values())
    dup_outbox = sum(c - 1 for c in seen.values())
    hist = {}
    for (sha,) in history():
        hist[sha] = hist.get(sha, 0) + 1
    dup_history = sum(c - 1 for c in hist.values())
    return {
        "name": name, "wall": wall, "runs": len(rcs), "ok": rcs.count(0), "failures": failures, "posts": posts,
        "history_posts": sum(hist.values()), "pps": rcs.count(0) / wall,
        "alone": alone, "alone_rc": alone_rc,
        "idle": [{"p50": percentile(ld.lat, 50), "p99": percentile(ld.lat, 99)} for ld in idle],
        "dup_outbox": dup_outbox, "dup_history": dup_history,
        "replicas": [{"n": len(ld.lat), "rps": len(ld.lat) / wall, "p50": percentile(ld.lat, 50),
                      "p99": percentile(ld.lat, 99), "errors": ld.errors} for ld in loads],
    }


HISTORY_SQL = "SELECT sha256 FROM history WHERE platform = 'outbox' AND success = 1"


def setup_sqlite(work, stops):
    images = os.path.join(work, "images")
    os.makedirs(images)
    t0 = time.perf_counter()
    for name, data in numbered_jpegs(args.images):
        with open(os.path.join(images, name), "wb") as f:
            f.write(data)
    fill = time.perf_counter() - t0
    state = os.path.join(work, "state.db")

    def history():
        if not os.path.exists(state):
            return []
        with sqlite3.connect("file:%s?mode=ro" % state, uri=True) as db:
            return db.execute(HISTORY_SQL).fetchall()
    sections = {"Storage": {"backend": "local", "path": images}, "State": {"path": state}}
    return sections, {}, history, fill


def setup_pg(work, stops):
    pgdir = os.path.join(work, "pg")
    os.chmod(work, 0o711)   # as root, the server runs as postgres: it must reach pgdir
    subprocess.run([os.path.join(SOURCE, "tests", "pg", "pg-start"), pgdir], check=True,
                   stdout=subprocess.DEVNULL)
    stops.append(lambda: subprocess.run([os.path.join(SOURCE, "tests", "pg", "pg-stop"), pgdir]))
    with open(os.path.join(pgdir, "url")) as f:
        url = f.read().strip()
    with open(os.path.join(pgdir, "bindir")) as f:
        psql = os.path.join(f.read().strip(), "psql")
    test_s3.setup_modules()
    server = test_s3.S3rver()
    stops.insert(0, server.stop)
    front = S3Front(server.url, test_s3.ACCESS_KEY, test_s3.SECRET).start()
    stops.insert(0, front.stop)
    bucket = "bench-photos"
    server.make_bucket(bucket)
    t0 = time.perf_counter()
    todo = list(numbered_jpegs(args.images))
    local = threading.local()

    host, port = server.url.split("//")[1].split(":")

    def put(item):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        local.conn.request("PUT", "/%s/%s%s" % (bucket, test_s3.PREFIX, item[0]), body=item[1],
                           headers={"Content-Type": "application/octet-stream"})
        r = local.conn.getresponse()
        r.read()
        assert r.status == 200, (r.status, item[0])
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, todo))
    fill = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert len(server.keys(bucket, test_s3.PREFIX)) == args.images
    print("  (one listing of the %d keys straight from s3rver, idle: %.2f s)"
          % (args.images, time.perf_counter() - t0))

    def history():
        out = subprocess.run([psql, "-X", "-At", url, "-c", HISTORY_SQL], capture_output=True,
                             text=True, check=True).stdout
        return [(line,) for line in out.split()]
    sections = {"Storage": {"backend": "s3"},
                "S3": {"bucket": bucket, "prefix": test_s3.PREFIX, "endpoint_url": front.url,
                       "region": "us-east-1"},
                "HTTP": {"connect_timeout": "5", "timeout": "60"},
                "State": {"backend": "postgres", "url": url}}
    env = {"AWS_ACCESS_KEY_ID": test_s3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": test_s3.SECRET}
    return sections, env, history, fill


SETUPS = [("pg", "PostgreSQL state + S3 storage (s3rver behind the signing front)", setup_pg),
          ("sqlite", "SQLite state + local folder", setup_sqlite)]

results = {}
print("scale: %d images, %d workers x %d runs in sequence, %d serve replicas under load, "
      "%d CPUs" % (args.images, WORKERS, args.runs, REPLICAS, os.cpu_count()))
failed = False
for key, label, setup in SETUPS:
    if args.only and args.only != key:
        continue
    print("\n%s" % label)
    work = tempfile.mkdtemp(prefix="photopub-bench-scale-%s-" % key)
    stops = []
    try:
        try:
            sections, env, history, fill = setup(work, stops)
        except (OSError, subprocess.CalledProcessError, AssertionError) as e:
            print("  skipped, it could not be set up (scripts/deps test installs "
                  "PostgreSQL, node and npm): %s" % (label, str(e).strip()[-300:]))
            failed = True
            continue
        r = run_setup(label, work, sections, env, history)
    finally:
        for stop in stops:
            stop()
        shutil.rmtree(work, ignore_errors=True)
    results[key] = r
    print("  pool filled in %.1f s (%d images)" % (fill, args.images))
    print("  one run alone: %.2f s (exit %d)" % (r["alone"], r["alone_rc"]))
    for i, rep in enumerate(r["idle"]):
        print("  replica %d /api/images/random with no run going: p50 %.2f ms, p99 %.2f ms"
              % (i + 1, rep["p50"], rep["p99"]))
    print("  %d workers: %d runs (%d exit 0) in %.1f s -> %.2f posts/s (%d posts in the outbox in all)"
          % (WORKERS, r["runs"], r["ok"], r["wall"], r["pps"], r["posts"]))
    for f in sorted(set(r["failures"])):
        print("  failed run (%d of them): %s" % (r["failures"].count(f), f))
    print("  duplicate posts: %d by the outbox's image bytes, %d by the history's sha256 "
          "(%d history rows)   (must be 0)" % (r["dup_outbox"], r["dup_history"], r["history_posts"]))
    for i, rep in enumerate(r["replicas"]):
        print("  replica %d /api/images/random: %d answers (%.0f req/s), p50 %.2f ms, p99 %.2f ms, "
              "errors %d" % (i + 1, rep["n"], rep["rps"], rep["p50"], rep["p99"], rep["errors"]))
    print("RESULT scale_%s_posts_per_s %.2f" % (key, r["pps"]))
    print("RESULT scale_%s_duplicates %d" % (key, r["dup_outbox"] + r["dup_history"]))
    for i, rep in enumerate(r["replicas"]):
        print("RESULT scale_%s_replica%d_p50_ms %.2f" % (key, i + 1, rep["p50"]))
        print("RESULT scale_%s_replica%d_p99_ms %.2f" % (key, i + 1, rep["p99"]))
    if r["dup_outbox"] or r["dup_history"] or r["ok"] == 0:
        failed = True

if len(results) == 2:
    a, b = results["pg"], results["sqlite"]
    print("\nratios, PostgreSQL+S3 / SQLite+local:")
    print("  posts/s %.2f" % (a["pps"] / b["pps"]))
    for i in range(REPLICAS):
        ra, rb = a["replicas"][i], b["replicas"][i]
        print("  replica %d: p50 %.2f, p99 %.2f, req/s %.2f"
              % (i + 1, ra["p50"] / rb["p50"], ra["p99"] / rb["p99"], ra["rps"] / max(rb["rps"], 1e-9)))
    print("RESULT scale_posts_ratio %.2f" % (a["pps"] / b["pps"]))
sys.exit(1 if failed else 0)
