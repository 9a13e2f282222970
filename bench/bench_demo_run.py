"""One whole `photopub run` on the embedded defaults (local folder, offline
analyzer, outbox, SQLite) over a 12-megapixel JPEG: wall time and peak RSS,
best and median of several runs. Needs the `vips` command (libvips-tools).
Usage: /usr/bin/python3 bench/bench_demo_run.py BUILD_DIR"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import private_state_home

private_state_home()

build = sys.argv[1] if len(sys.argv) > 1 else "build"
source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(build, "photopub")
RUNS = 7

work = tempfile.mkdtemp(prefix="photopub-bench-run-")
try:
    big = os.path.join(work, "large-12mp.jpg")
    subprocess.run([os.path.join(source, "examples", "make-large.sh"), big], check=True,
                   stdout=subprocess.DEVNULL)
    walls, rsses = [], []
    for i in range(RUNS):
        d = os.path.join(work, "run%d" % i)
        os.makedirs(os.path.join(d, "images"))
        shutil.copy(big, os.path.join(d, "images"))
        with open(os.path.join(d, "photopub.ini"), "w") as f:
            f.write("[Storage]\npath = images\n[Outbox]\nenabled = true\npath = outbox\n"
                    "[State]\npath = state.db\n")
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execv(binary, [binary, "run", "--config", os.path.join(d, "photopub.ini")])
        _, status, ru = os.wait4(pid, 0)
        walls.append((time.perf_counter() - t0) * 1000)
        rsses.append(ru.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            print("run %d failed" % i)
            sys.exit(1)
    size = os.path.getsize(big)
    print("photopub run on a 4000x3000 JPEG (%.1f MB), %d runs" % (size / 1e6, RUNS))
    print("  wall:     best %6.0f ms  median %6.0f ms  (goal < 300 ms)" % (min(walls), statistics.median(walls)))
    print("  peak RSS: best %6.1f MB  median %6.1f MB  (goal < 64 MB)" % (min(rsses), statistics.median(rsses)))
    print("RESULT demo_run_ms %.0f" % statistics.median(walls))
    print("RESULT demo_run_rss_mb %.1f" % statistics.median(rsses))
finally:
    shutil.rmtree(work, ignore_errors=True)
