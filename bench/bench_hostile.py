"""Peak resident size and wall time of `photopub run --select NAME` on each
image of the hostile corpus (tests/e2e/hostile.py: decompression bombs,
progressive and 16-bit images, CMYK, alpha, huge EXIF, files that lie),
publishing to the outbox and to a fake Telegram on 127.0.0.1 (which takes a
JPEG copy at most 1280 px wide: the resize path). Build with -DCMAKE_BUILD_TYPE=Release; the figure to hold is a peak
under 256 MB for every image. Usage:
  /usr/bin/python3 bench/bench_hostile.py BUILD_DIR"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import private_state_home

private_state_home()

source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(source, "tests", "fakes"))
from fake_telegram import FakeTelegram  # noqa: E402

LIMIT_MB = 256


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.join(build, "photopub")
    work = tempfile.mkdtemp(prefix="pp-bench-hostile-")
    tg = FakeTelegram().start()
    try:
        corpus = os.path.join(work, "corpus")
        # Made in another process: a child's peak resident size starts from
        # its parent's at fork, and Pillow's 12000x12000 images are large.
        expect = json.loads(subprocess.run(
            [sys.executable, "-c", "import hostile, json, sys; "
             "print(json.dumps(hostile.make(sys.argv[1])))", corpus],
            cwd=os.path.join(source, "tests", "e2e"), check=True, capture_output=True,
            text=True).stdout)
        print("%-22s %-10s %6s %8s %9s  %s" % ("image", "expected", "exit", "wall s", "peak MB",
                                                "outcome"))
        worst = 0.0
        for name in sorted(expect):
            folder = os.path.join(work, "run-" + name)
            images = os.path.join(folder, "images")
            os.makedirs(images)
            shutil.copy(os.path.join(corpus, name), images)
            cfg = os.path.join(folder, "photopub.ini")
            with open(cfg, "w") as f:
                f.write("[Storage]\nbackend = local\npath = images\n[AI]\nprovider = local\n"
                        "[Outbox]\nenabled = true\npath = outbox\n[State]\npath = state.db\n"
                        "[Content]\ntelegram = true\n[Telegram]\napi_url = %s\n" % tg.url)
            env = dict(os.environ, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_CHANNEL_ID=tg.chat_id)
            t0 = time.perf_counter()
            p = subprocess.Popen([binary, "run", "--config", cfg, "--select", name], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            err = p.stderr.read()
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            peak = usage.ru_maxrss / 1024
            worst = max(worst, peak)
            lines = [json.loads(l) for l in err.decode().splitlines()]
            quarantined = any(l["message"] == "image_quarantined" for l in lines)
            outcome = "quarantined" if quarantined else (
                "posted" if os.path.isdir(os.path.join(folder, "outbox")) else "failed")
            print("%-22s %-10s %6d %8.2f %9.1f  %s" % (name, expect[name],
                                                       os.waitstatus_to_exitcode(status), wall,
                                                       peak, outcome))
        print("worst peak: %.1f MB (limit %d MB)" % (worst, LIMIT_MB))
    finally:
        tg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
