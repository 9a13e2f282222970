"""Start-up of the photopub binary: wall time and peak RSS of
`photopub --help` and `photopub --version`, beside /bin/true and a bare
Python interpreter start for scale. Usage:
  /usr/bin/python3 bench/bench_startup.py BUILD_DIR"""

import os
import sys
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
binary = os.path.join(build, "photopub")
N = 300


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


rows = [("/bin/true", ["/bin/true"]),
        ("photopub --help", [binary, "--help"]),
        ("photopub --version", [binary, "--version"]),
        ("python3 -c pass", ["/usr/bin/python3", "-c", "pass"])]
results = {}
print("start-up, mean of %d runs (fork + exec + exit)" % N)
for label, argv in rows:
    ms, rss = measure(argv)
    results[label] = ms
    print("  %-22s %7.2f ms  peak RSS %5.1f MB" % (label, ms, rss))
print("  photopub --help / /bin/true: %.1fx   (goal < 5 ms, < 8 MB)" %
      (results["photopub --help"] / results["/bin/true"]))
print("RESULT startup_help_ms %.2f" % results["photopub --help"])
