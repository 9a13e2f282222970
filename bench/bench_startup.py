"""Start-up of the photopub binary: wall time and peak RSS of
`photopub --help` and `photopub --version`, beside /bin/true and a bare
Python interpreter start for scale, and the resident size of an idle
`photopub serve` on the demo configuration (examples/). With several build
folders, each is measured in turn in the same run, so two builds can be
compared on one machine at one moment. Usage:
  /usr/bin/python3 bench/bench_startup.py BUILD_DIR [OTHER_BUILD_DIR ...]"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import rss_mb, private_state_home

private_state_home()

builds = sys.argv[1:] or ["build"]
source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 300
SERVE_ROUNDS = 3


def measure(argv):
    best_rss = 0
    t0 = time.perf_counter()
    for _ in range(N):
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        best_rss = max(best_rss, ru.ru_maxrss)
    return (time.perf_counter() - t0) / N * 1000, best_rss / 1024


def demo_folder():
    """A copy of the demo: examples/photopub.ini and its images."""
    work = tempfile.mkdtemp(prefix="photopub-bench-startup-")
    shutil.copytree(os.path.join(source, "examples", "images"), os.path.join(work, "images"))
    shutil.copy(os.path.join(source, "examples", "photopub.ini"), work)
    return work


def idle_serve_rss(binary, work):
    """VmRSS of `serve` about a second after it listens on a free loopback port."""
    port_file = os.path.join(work, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([binary, "serve", "--config", os.path.join(work, "photopub.ini"),
                          "--host", "127.0.0.1", "--port", "0", "--port-file", port_file],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while not (os.path.exists(port_file) and os.path.getsize(port_file)):
            if p.poll() is not None or time.time() - t0 > 30:
                raise RuntimeError("%s serve did not start" % binary)
            time.sleep(0.02)
        time.sleep(1.0)
        return rss_mb(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


work = demo_folder()
try:
    print("start-up, mean of %d runs (fork + exec + exit); idle serve: VmRSS 1 s after "
          "listening, median of %d starts, demo configuration" % (N, SERVE_ROUNDS))
    ms, rss = measure(["/bin/true"])
    print("  %-34s %7.2f ms  peak RSS %5.1f MB" % ("/bin/true", ms, rss))
    ms, rss = measure(["/usr/bin/python3", "-c", "pass"])
    print("  %-34s %7.2f ms  peak RSS %5.1f MB" % ("python3 -c pass", ms, rss))
    for build in builds:
        binary = os.path.join(build, "photopub")
        print("%s:" % binary)
        help_ms, help_rss = measure([binary, "--help"])
        print("  %-34s %7.2f ms  peak RSS %5.1f MB" % ("photopub --help", help_ms, help_rss))
        ms, rss = measure([binary, "--version"])
        print("  %-34s %7.2f ms  peak RSS %5.1f MB" % ("photopub --version", ms, rss))
        idle = statistics.median(idle_serve_rss(binary, work) for _ in range(SERVE_ROUNDS))
        print("  %-34s %7.1f MB" % ("photopub serve, idle VmRSS", idle))
        print("  (guides: --help < 25 ms, idle serve < 24 MB)")
        tag = "" if len(builds) == 1 else "_" + os.path.basename(os.path.normpath(build))
        print("RESULT startup_help_ms%s %.2f" % (tag, help_ms))
        print("RESULT serve_idle_rss_mb%s %.1f" % (tag, idle))
finally:
    shutil.rmtree(work, ignore_errors=True)
