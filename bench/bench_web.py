"""The web server under load: wrk against GET /health and GET
/api/images/random (local storage, 1,000 images, logging on to a file),
beside the bare libmicrohttpd hello-world of bench/bare_mhd.c in the same
run (the machine's ceiling), and /api/images/random with metrics on vs. a
server with [Web] metrics = false; requests per second, p50/p99 latency,
RSS idle, under load and after. Rounds are interleaved and medians taken,
so that a busy moment of the machine does not decide a ratio. Needs wrk (Debian package wrk).
Usage: /usr/bin/python3 bench/bench_web.py BUILD_DIR [SECONDS]"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import free_port, rss_mb, private_state_home

private_state_home()

build = sys.argv[1] if len(sys.argv) > 1 else "build"
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(build, "photopub")
bare = os.path.join(build, "bench", "bare_mhd")
THREADS, CONNS = 2, 64


def wait_port(port, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start on %d" % port)


def wrk(url, secs=seconds):
    out = subprocess.run(["wrk", "-t%d" % THREADS, "-c%d" % CONNS, "-d%ds" % secs, "--latency", url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def lat(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat(50), lat(99), int(errors.group(1)) if errors else 0


def start_photopub(work, name, extra=""):
    ini = os.path.join(work, name + ".ini")
    with open(ini, "w") as f:
        f.write("[Storage]\npath = images\n[State]\npath = state.db\n[Outbox]\nenabled = true\n" + extra)
    port = free_port()
    log = os.path.join(work, name + ".log")
    p = subprocess.Popen([binary, "serve", "--config", ini, "--port", str(port), "--log-file", log],
                         stderr=subprocess.DEVNULL)
    procs.append(p)
    wait_port(port)
    base = "http://127.0.0.1:%d" % port
    subprocess.run(["curl", "-s", "-o", "/dev/null", base + "/api/images/random"])  # warm the listing
    return p, base, log


def median(xs):
    return sorted(xs)[len(xs) // 2]


ROUNDS = 3
work = tempfile.mkdtemp(prefix="photopub-bench-web-")
procs = []
try:
    images = os.path.join(work, "images")
    os.makedirs(images)
    src = os.path.join(source, "examples", "images", "tabby-cat-closeup.jpg")
    data = open(src, "rb").read()
    for i in range(1000):
        with open(os.path.join(images, "img-%04d.jpg" % i), "wb") as f:
            f.write(data + i.to_bytes(4, "big"))   # distinct bytes, same picture

    p, base, log = start_photopub(work, "on")
    time.sleep(0.5)
    idle = rss_mb(p.pid)
    p_off, base_off, _ = start_photopub(work, "off", "[Web]\nmetrics = false\n")
    bport = free_port()
    b = subprocess.Popen([bare, str(bport)])
    procs.append(b)
    wait_port(bport)

    print("web server under wrk (-t%d -c%d, %d s each, %d rounds interleaved, medians), "
          "local storage of 1,000 images, logging on (to a file)" % (THREADS, CONNS, seconds, ROUNDS))
    results = {k: [] for k in ("bare", "health", "random", "random_off")}
    for r in range(ROUNDS):
        results["bare"].append(wrk("http://127.0.0.1:%d/health" % bport))
        results["health"].append(wrk(base + "/health"))
        results["random"].append(wrk(base + "/api/images/random"))
        results["random_off"].append(wrk(base_off + "/api/images/random"))
    med = {k: tuple(median([x[i] for x in v]) for i in range(4)) for k, v in results.items()}
    labels = {"bare": "bare libmicrohttpd /health", "health": "photopub /health",
              "random": "photopub /api/images/random", "random_off": "  same, [Web] metrics = false"}
    for k in ("bare", "health", "random", "random_off"):
        rps, p50, p99, errs = med[k]
        print("  %-32s %9.0f req/s   p50 %6.2f ms   p99 %6.2f ms   non-2xx %d" % (labels[k], rps, p50, p99, errs))
    ratios = [h[0] / b_[0] for h, b_ in zip(results["health"], results["bare"])]
    print("  /health vs bare, per round: %s -> median %.0f%%   (goal >= 70%%)"
          % (", ".join("%.0f%%" % (100 * x) for x in ratios), 100 * median(ratios)))
    mratio = [a[0] / o[0] for a, o in zip(results["random"], results["random_off"])]
    print("  /api/images/random with metrics / without, per round: %s -> median %.1f%%   (goal >= 95%%)"
          % (", ".join("%.0f%%" % (100 * x) for x in mratio), 100 * median(mratio)))
    print("  /api/images/random: %.0f req/s, p99 %.2f ms   (goals >= 20,000 req/s, p99 < 10 ms)"
          % (med["random"][0], med["random"][2]))

    # RSS over a longer run: flat or growing?
    samples = []
    runner = subprocess.Popen(["wrk", "-t%d" % THREADS, "-c%d" % CONNS, "-d%ds" % (seconds * 6),
                               base + "/api/images/random"], stdout=subprocess.DEVNULL)
    for _ in range(seconds * 6):
        time.sleep(1)
        samples.append(rss_mb(p.pid))
    runner.wait()
    after = rss_mb(p.pid)
    third = max(1, len(samples) // 3)
    print("  RSS: idle %.1f MB; under %d s of load %.1f MB (first third) -> %.1f MB (last third); "
          "after %.1f MB   (goal: idle < 16 MB, flat)" % (idle, seconds * 6, sum(samples[:third]) / third,
                                                          sum(samples[-third:]) / third, after))
    lines = sum(1 for _ in open(log))
    print("  log lines written by the measured server: %d" % lines)
    print("RESULT web_health_ratio %.2f" % median(ratios))
    print("RESULT web_metrics_ratio %.3f" % median(mratio))
    print("RESULT web_random_rps %.0f" % med["random"][0])
    print("RESULT web_random_p99_ms %.2f" % med["random"][2])
    print("RESULT web_idle_rss_mb %.1f" % idle)
finally:
    for p in procs:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
    shutil.rmtree(work, ignore_errors=True)
