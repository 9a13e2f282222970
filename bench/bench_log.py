"""The same workflow_timing line as bench_log.c, the way the Python original
writes it (json.dumps of a dict, one write per line), for the ratio.
Usage: /usr/bin/python3 bench/bench_log.py"""

import datetime
import json
import os
import tempfile
import time

N = 50000


def line(i):
    return {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "level": "info", "logger": "workflow", "message": "workflow_timing",
        "correlation_id": "5f0c6a1e-9b1d-4c53-8f3e-2f6c1d7e9a10",
        "image": "photographer-with-tripod-monochrome.jpg", "dropbox_list_images_ms": 12,
        "image_selection_ms": 48, "vision_analysis_ms": 1830 + (i & 7),
        "caption_generation_ms": 912, "sidecar_write_ms": 140, "publish_parallel_ms": 2210,
        "archive_ms": 95, "total_ms": 5301, "publish_telegram_ms": 1480, "publish_email_ms": 2204,
        "preview_mode": False, "dry_publish": False, "success": True, "error": None,
    }


fd, path = tempfile.mkstemp()
t0 = time.perf_counter()
for i in range(N):
    os.write(fd, (json.dumps(line(i)) + "\n").encode())
ns = (time.perf_counter() - t0) / N * 1e9
os.close(fd)
os.unlink(path)
print("python json.dumps + write of the same line: %8.0f ns/line" % ns)
print("RESULT python_log_ns %.0f" % ns)
