"""What the Python benchmarks share: reading a process's resident size."""


def rss_mb(pid):
    """VmRSS of process pid in MB (0.0 when /proc does not say)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
