"""`photopub stats` against jq on the same log: 1,000,000 realistic lines (a
mix of CLI runs and web requests, about 250 bytes each), throughput in MB/s
and peak RSS of `photopub stats --json FILE`, side by side with the jq
pipeline of docs/telemetry.md that computes the p95 of total_ms; prints both
and the ratio, and checks that the two p95 agree.

Usage: /usr/bin/python3 bench/bench_stats.py BUILD_DIR [LINES]
(build with -DCMAKE_BUILD_TYPE=Release for the figures). Goals: >= 20x jq,
>= 300 MB/s, peak RSS < 32 MB."""

import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

JQ_P95 = ('[inputs | select(.message == "workflow_timing" and .total_ms != null) | .total_ms]'
          ' | sort | .[(length * 0.95 | floor)]')


def ts(ms):
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms


def lognormal(rng, median, sigma):
    return int(median * math.exp(rng.gauss(0, sigma)))


def generate(path, nlines, seed=7, start_ms=1795000000000, gap_ms=(200, 4000)):
    """Writes about nlines lines (events gap_ms apart, from start_ms);
    returns (lines, total_ms values)."""
    rng = random.Random(seed)
    t = start_ms
    totals = []
    n = 0
    images = ["photographer-with-tripod-monochrome.jpg", "harbour-at-dawn.jpg",
              "mountain-lake-long-exposure.png", "street-portrait-03.jpg"]
    with open(path, "w") as f:
        w = f.write
        while n < nlines:
            t += rng.randint(*gap_ms)
            cid = "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                  rng.getrandbits(12), rng.getrandbits(12),
                                                  rng.getrandbits(48))
            head = '{"timestamp":"%s","level":"%s","logger":"%s","message":"%s","correlation_id":"' + cid + '"'
            if rng.random() < 0.3:
                # A CLI run: 12 lines.
                img = rng.choice(images)
                ok = rng.random() > 0.05
                ls, sel = lognormal(rng, 15, 0.5), lognormal(rng, 60, 0.6)
                va, cap = lognormal(rng, 1800, 0.4), lognormal(rng, 900, 0.3)
                side = rng.randint(0, 3)
                tg, em, ob = lognormal(rng, 1400, 0.5), lognormal(rng, 2100, 0.4), rng.randint(0, 4)
                par = max(tg, em, ob) + rng.randint(0, 3)
                arc = rng.randint(0, 20)
                total = ls + sel + va + cap + side + par + arc + rng.randint(1, 30)
                totals.append(total)
                d = ts(t)
                w(head % (d, "info", "workflow", "workflow_start") +
                  ',"storage":"local","ai":"openai","preview_mode":false,"dry_publish":false,"debug":false,"select":null}\n')
                w(head % (d, "info", "workflow", "images_listed") +
                  ',"storage":"local","count":%d,"dropbox_list_images_ms":%d}\n' % (rng.randint(5, 400), ls))
                w(head % (d, "info", "workflow", "image_selected") +
                  ',"image":"%s","sha256":"%064x","bytes":%d,"width":1024,"height":768,"downloads":1,"image_selection_ms":%d}\n'
                  % (img, rng.getrandbits(256), rng.randint(10000, 9000000), sel))
                w(head % (d, "info", "ai", "vision_analysis") +
                  ',"model":"gpt-4o-mini","vision_analysis_ms":%d,"ok":true,"error_type":null,"prompt_tokens":%d,"completion_tokens":%d}\n'
                  % (va, rng.randint(800, 1200), rng.randint(100, 300)))
                w(head % (d, "info", "workflow", "caption_generated") +
                  ',"caption_length":%d,"has_sd":true,"caption_generation_ms":%d}\n' % (rng.randint(40, 300), cap))
                w(head % (d, "info", "workflow", "sidecar_upload_complete") +
                  ',"image":"%s","sidecar_write_ms":%d,"error":null}\n' % (img, side))
                for name, ms in (("telegram", tg), ("email", em), ("outbox", ob)):
                    good = ok or name == "outbox"
                    w(head % (d, "info" if good else "error", "publisher." + name, "publisher_publish") +
                      ',"platform":"%s","duration_ms":%d,"success":%s,"post_id":%s,"error":%s}\n'
                      % (name, ms, "true" if good else "false", '"p%d"' % n if good else "null",
                         "null" if good else '"HTTP 502 from api"'))
                w(head % (d, "info", "workflow", "image_archived") +
                  ',"image":"%s","archived_as":"%s","archive_ms":%d}\n' % (img, img, arc))
                w(head % (d, "info" if ok else "error", "workflow", "workflow_timing") +
                  ',"image":"%s","dropbox_list_images_ms":%d,"image_selection_ms":%d,"vision_analysis_ms":%d,'
                  '"caption_generation_ms":%d,"sidecar_write_ms":%d,"publish_parallel_ms":%d,"archive_ms":%d,'
                  '"total_ms":%d,"publish_telegram_ms":%d,"publish_email_ms":%d,"publish_outbox_ms":%d,'
                  '"preview_mode":false,"dry_publish":false,"success":%s,"error":%s}\n'
                  % (img, ls, sel, va, cap, side, par, arc, total, tg, em, ob,
                     "true" if ok else "false", "null" if ok else '"every platform failed"'))
                w(head % (d, "info", "workflow", "workflow_complete") +
                  ',"success":%s,"image":"%s","archived":true,"archived_as":"%s","results":{"outbox":{"success":true,"post_id":"x","error":null}},"error":null}\n'
                  % ("true" if ok else "false", img, img))
                n += 12
            else:
                # A web request: the access line and its event.
                d = ts(t)
                kind = rng.random()
                img = rng.choice(images)
                if kind < 0.7:
                    ms = lognormal(rng, 8, 0.5)
                    w(head % (d, "info", "web", "web_random_image") +
                      ',"filename":"%s","web_random_image_ms":%d,"error":null}\n' % (img, ms))
                    route, path, method = "/api/images/random", "/api/images/random", "GET"
                elif kind < 0.9:
                    ms = lognormal(rng, 2500, 0.4)
                    w(head % (d, "info", "web", "web_analyze_complete") +
                      ',"filename":"%s","web_analyze_ms":%d,"cache_hit":false,"error":null}\n' % (img, ms))
                    route, path, method = "/api/images/{filename}/analyze", "/api/images/%s/analyze" % img, "POST"
                else:
                    ms = lognormal(rng, 3000, 0.5)
                    w(head % (d, "info", "web", "web_publish_complete") +
                      ',"filename":"%s","any_success":true,"archived":true,"web_publish_ms":%d,"error":null}\n' % (img, ms))
                    route, path, method = "/api/images/{filename}/publish", "/api/images/%s/publish" % img, "POST"
                status = 200 if rng.random() > 0.01 else 502
                w(head % (d, "info", "web", "http_request") +
                  ',"method":"%s","path":"%s","route":"%s","status":%d,"duration_ms":%d,"bytes":%d}\n'
                  % (method, path, route, status, ms + 1, rng.randint(100, 90000)))
                n += 2
    return n, totals


def timed(argv, stdout=subprocess.PIPE):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    out = p.stdout.read() if stdout == subprocess.PIPE else b""
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], p.returncode, err.decode()[:2000]))
    return dt, ru.ru_maxrss / 1024.0, out


def generate_child(path, nlines):
    """Writes the log in a child process and returns (lines, runs, exact p95):
    this process stays small, so that the peak RSS the kernel reports for the
    programs it starts (which counts the parent's pages at spawn) is theirs."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--generate", path,
                          str(nlines)], check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    return d["lines"], d["runs"], d["p95"]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        lines, totals = generate(sys.argv[2], int(sys.argv[3]))
        s = sorted(totals)
        print(json.dumps({"lines": lines, "runs": len(totals),
                          "p95": s[max(1, math.ceil(0.95 * len(s))) - 1]}))
        return
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    nlines = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    binary = os.path.join(build, "photopub")
    jq = shutil.which("jq")
    tmp = tempfile.mkdtemp(prefix="pp-bench-stats-")
    try:
        path = os.path.join(tmp, "photopub.log")
        lines, runs, exact_nearest_rank = generate_child(path, nlines)
        size = os.path.getsize(path)
        print("log: %d lines, %.1f MB (%.0f bytes per line), %d runs"
              % (lines, size / 1e6, size / lines, runs))

        best = None
        for _ in range(3):
            dt, rss, out = timed([binary, "stats", "--json", path])
            if best is None or dt < best[0]:
                best = (dt, rss, out)
        dt, rss, out = best
        result = json.loads(out)
        p95 = result["stages"]["total_ms"]["p95"]
        print("photopub stats --json: %7.3f s  %7.0f MB/s  peak RSS %5.1f MB  p95(total_ms) = %d"
              % (dt, size / 1e6 / dt, rss, p95))
        if abs(p95 - exact_nearest_rank) > exact_nearest_rank / 512 + 0.5:
            sys.exit("p95 %d differs from the exact nearest-rank value %d" % (p95, exact_nearest_rank))

        if not jq:
            print("jq not installed: no ratio (scripts/deps test installs it)")
            return
        jbest = None
        for _ in range(2):
            jdt, jrss, jout = timed([jq, "-n", JQ_P95, path])
            if jbest is None or jdt < jbest[0]:
                jbest = (jdt, jrss, jout)
        jdt, jrss, jout = jbest
        jp95 = json.loads(jout)
        print("jq p95 pipeline:       %7.3f s  %7.0f MB/s  peak RSS %5.1f MB  p95(total_ms) = %s"
              % (jdt, size / 1e6 / jdt, jrss, jp95))
        print("exact nearest-rank p95 = %d (jq's index floor(0.95 n) is one rank higher when "
              "0.95 n is whole)" % exact_nearest_rank)
        print("(peak RSS floor: this script's own %.1f MB, which the kernel counts for each child)"
              % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
        ratio = jdt / dt
        print("ratio: photopub stats is %.1fx faster than jq" % ratio)
        goals = [("speed vs jq >= 20x", ratio >= 20), ("throughput >= 300 MB/s", size / 1e6 / dt >= 300),
                 ("peak RSS < 32 MB", rss < 32)]
        for name, ok in goals:
            print("  %-24s %s" % (name, "met" if ok else "NOT MET"))
        print("RESULT stats_mb_s %.0f" % (size / 1e6 / dt))
        print("RESULT stats_rss_mb %.1f" % rss)
        print("RESULT stats_vs_jq %.1f" % ratio)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
