"""What the Python benchmarks share: reading a process's resident size, a
private state folder for the photopub processes they start, and a free
port of 127.0.0.1."""

import atexit
import os
import shutil
import socket
import tempfile


def private_state_home():
    """Points XDG_STATE_HOME (so photopub's default log file) of this process
    and those it starts at a temp folder removed at exit, and drops
    LOGS_DIRECTORY: a benchmark's runs never write into the real home."""
    os.environ.pop("LOGS_DIRECTORY", None)
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="pp-bench-state-")
    atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], True)


def rss_mb(pid):
    """VmRSS of process pid in MB (0.0 when /proc does not say)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port():
    """A port of 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p
