"""Helpers of the web end-to-end tests: `photopub serve` on a free port
(--port 0 --port-file) over a harness.Workspace, requests through curl
(--path-as-is, so raw paths reach the server unnormalised) or a raw socket,
the server's log lines (stderr and --log-file), and parsers for the
Server-Timing header and the Prometheus text format.

Standard library only; run under /usr/bin/python3."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness
from harness import parse_log

CURL = shutil.which("curl") or "/usr/bin/curl"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers        # [(name, value)] in the order received
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %r %r>" % (self.status, self.headers, self.body[:300])


def parse_head(text):
    """(status, headers) of the last response head in text (a curl -D file:
    a 100 Continue head may come first)."""
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.startswith("HTTP/")]
    if not blocks:
        return 0, []
    lines = blocks[-1].splitlines()
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return status, headers


def curl(url, method=None, headers=(), data=None, chunked=False, args=(), timeout=30):
    """One request with curl; Response(status 0 when curl got no answer).
    data: bytes sent as the body (Content-Length, or chunked)."""
    tmp = tempfile.mkdtemp(prefix="pp-curl-")
    try:
        head_f = os.path.join(tmp, "head")
        body_f = os.path.join(tmp, "body")
        argv = [CURL, "-sS", "--path-as-is", "--max-time", str(timeout), "-D", head_f,
                "-o", body_f, "-H", "Expect:"]
        if method:
            argv += ["-X", method]
        for h in headers:
            argv += ["-H", h]
        if data is not None:
            data_f = os.path.join(tmp, "data")
            with open(data_f, "wb") as f:
                f.write(data)
            argv += ["--data-binary", "@" + data_f]
            if not any(h.lower().startswith("content-type:") for h in headers):
                argv += ["-H", "Content-Type: application/json"]
            if chunked:
                argv += ["-H", "Transfer-Encoding: chunked"]
        argv += list(args) + [url]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout + 10)
        head, body = "", b""
        if os.path.exists(head_f):
            with open(head_f, "rb") as f:
                head = f.read().decode("latin-1")
        if os.path.exists(body_f):
            with open(body_f, "rb") as f:
                body = f.read()
        status, hdrs = parse_head(head)
        r = Response(status, hdrs, body)
        r.curl_rc = proc.returncode
        r.curl_err = proc.stderr.decode("utf-8", "replace")
        return r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def raw_request(port, data, timeout=10):
    """Sends data as is on a new connection and reads until the server closes
    it (send Connection: close). Response, or None when nothing came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except (ConnectionResetError, socket.timeout):
            pass
    raw = b"".join(chunks)
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    status, headers = parse_head(head.decode("latin-1") + "\r\n\r\n")
    return Response(status, headers, body)


def parse_server_timing(value):
    """{name: dur} of a Server-Timing header, parsed per W3C: comma-separated
    metrics, each a token name and `;param=value` parameters (dur a number,
    desc a token or quoted string). Raises AssertionError on anything else."""
    token = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
    metric_re = re.compile(r"^(%s)((?:\s*;\s*%s\s*=\s*(?:%s|\"(?:[^\"\\]|\\.)*\"))*)$" % (token, token, token))
    param_re = re.compile(r";\s*(%s)\s*=\s*(%s|\"(?:[^\"\\]|\\.)*\")" % (token, token))
    out = {}
    for part in value.split(","):
        part = part.strip()
        m = metric_re.match(part)
        if not m:
            raise AssertionError("Server-Timing metric does not parse: %r in %r" % (part, value))
        params = dict(param_re.findall(m.group(2)))
        if "dur" not in params:
            raise AssertionError("Server-Timing metric without dur: %r" % part)
        dur = float(params["dur"])
        if dur < 0:
            raise AssertionError("negative dur: %r" % part)
        if m.group(1) in out:
            raise AssertionError("Server-Timing metric twice: %r" % value)
        out[m.group(1)] = dur
    return out


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_SAMPLE = re.compile(r"^(%s)(?:\{((?:%s=\"(?:[^\"\\\n]|\\[\\\"n])*\",?)*)\})? (\S+)(?: (-?\d+))?$" % (_NAME, _LABEL))
_LABEL_PAIR = re.compile(r"(%s)=\"((?:[^\"\\\n]|\\[\\\"n])*)\"" % _LABEL)
_FLOAT = re.compile(r"^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?Inf|NaN)$")


def parse_prometheus(text):
    """Strict reader of the Prometheus text exposition format (0.0.4):
    returns {(name, frozenset(labels.items())): value} and the TYPE of each
    family. Raises AssertionError on malformed lines, a sample without a
    preceding TYPE for its family, duplicate series, or a histogram whose
    buckets are not cumulative or whose +Inf bucket differs from _count."""
    if not text.endswith("\n"):
        raise AssertionError("exposition does not end with a newline")
    samples, types, helps = {}, {}, {}
    for i, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.match("^%s$" % _NAME, parts[2]):
                    raise AssertionError("line %d: bad metric name %r" % (i, line))
                if parts[1] == "TYPE":
                    if parts[2] in types:
                        raise AssertionError("line %d: TYPE twice for %s" % (i, parts[2]))
                    if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        raise AssertionError("line %d: bad TYPE %r" % (i, line))
                    types[parts[2]] = parts[3]
                else:
                    if parts[2] in helps:
                        raise AssertionError("line %d: HELP twice for %s" % (i, parts[2]))
                    helps[parts[2]] = parts[3] if len(parts) == 4 else ""
            continue
        if not line:
            raise AssertionError("line %d: empty line" % i)
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError("line %d does not parse: %r" % (i, line))
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if not _FLOAT.match(value):
            raise AssertionError("line %d: bad value %r" % (i, value))
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) in ("histogram", "summary"):
                family = name[:-len(suffix)]
        if family not in types:
            raise AssertionError("line %d: sample of %s before its TYPE" % (i, name))
        pairs = _LABEL_PAIR.findall(labels)
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise AssertionError("line %d: a label twice: %r" % (i, line))
        key = (name, frozenset(pairs))
        if key in samples:
            raise AssertionError("line %d: duplicate series %r" % (i, line))
        samples[key] = float(value)
    # Histograms: cumulative buckets ending in +Inf == _count.
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                d = dict(labels)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((float(le), v))
        for labels, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise AssertionError("%s%s: buckets not cumulative" % (fam, dict(labels)))
            if buckets[-1][0] != float("inf"):
                raise AssertionError("%s%s: no +Inf bucket" % (fam, dict(labels)))
            if samples.get((fam + "_count", labels)) != counts[-1]:
                raise AssertionError("%s%s: +Inf bucket != _count" % (fam, dict(labels)))
            if (fam + "_sum", labels) not in samples:
                raise AssertionError("%s%s: no _sum" % (fam, dict(labels)))
    return samples, types


def metric(samples, name, **labels):
    """The value of one series, 0 when absent."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def wait_until(pred, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class WebServer:
    """`photopub serve` on a workspace: stderr and --log-file kept in the
    workspace, started on a free port, stopped with SIGTERM."""

    def __init__(self, ws, env=None, args=(), host="127.0.0.1", log_file=True):
        self.ws = ws
        self.proc = None
        self.port = None
        self.port_file = os.path.join(ws.dir, "port")
        self.stderr_path = os.path.join(ws.dir, "serve.stderr")
        self.log_path = os.path.join(ws.dir, "serve.log") if log_file else None
        self.extra_env = dict(env or {})
        self.args = list(args)
        self.host = host
        self.stopped = None      # the stderr lines once stopped

    def environ(self):
        e = self.ws.environ()
        e.update(self.ws.env)
        e.update(self.extra_env)
        return e

    def argv(self):
        a = [harness.BIN, "serve", "--config", self.ws.config, "--port", "0",
             "--port-file", self.port_file]
        if self.host is not None:
            a += ["--host", self.host]
        if self.log_path:
            a += ["--log-file", self.log_path]
        return a + self.args

    def launch(self):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.stderr_f = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.argv(), env=self.environ(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr_f)

    def start(self, timeout=60):
        """Starts the server and waits for its port file."""
        self.launch()
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    return self
            rc = self.proc.poll()
            if rc is not None:
                self.stderr_f.close()
                raise AssertionError("photopub serve exited with %d:\n%s" % (rc, self.stderr()))
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("photopub serve wrote no port file:\n" + self.stderr())
            time.sleep(0.01)

    def run_to_exit(self, timeout=60):
        """For a server that must refuse to start: (exit code, log lines)."""
        self.launch()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("photopub serve kept running:\n" + self.stderr())
        self.stderr_f.close()
        return rc, parse_log(self.stderr())

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, path, **kw):
        return curl(self.url + path, **kw)

    def admin_headers(self, token, password):
        """Logs in as admin (the bearer token and the admin password); the
        headers that authenticate the next requests as the admin."""
        auth = "Authorization: Bearer " + token
        r = self.request("/api/admin/login", method="POST", headers=[auth],
                         data=json.dumps({"password": password}).encode())
        if r.status != 200:
            raise AssertionError("admin login failed: %r" % r)
        return [auth, "Cookie: " + r.header("Set-Cookie").split(";")[0]]

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape")

    def all_output(self):
        """stderr and the log file, as text."""
        text = self.stderr()
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                text += f.read().decode("utf-8", "surrogateescape")
        return text

    def lines(self, source="stderr"):
        """The complete log lines written so far (stderr or the log file)."""
        path = self.stderr_path if source == "stderr" else self.log_path
        if not os.path.exists(path):
            return []
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
        return parse_log(text[:text.rfind("\n") + 1])

    def by_cid(self, cid, source="stderr"):
        return [l for l in self.lines(source) if l.get("correlation_id") == cid]

    def request_lines(self, cid, source="stderr", timeout=15):
        """The lines of the request with this correlation id, once its
        http_request line (the last line of every request) is written."""
        def done():
            ls = self.by_cid(cid, source)
            return ls if any(l["message"] == "http_request" for l in ls) else None
        return wait_until(done, timeout, "the http_request line of " + cid)

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def stop(self, timeout=60):
        """SIGTERM (unless it has exited already); the process must exit 0
        with every stderr and log-file line JSON. Returns the stderr lines."""
        if self.proc is None:
            return []
        if self.stopped is not None:
            return self.stopped
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.stopped = []
            raise AssertionError("photopub serve did not stop on SIGTERM:\n" + self.stderr()[-3000:])
        self.stderr_f.close()
        text = self.stderr()
        self.stopped = []
        if rc != 0:
            raise AssertionError("photopub serve exited with %d:\n%s" % (rc, text[-5000:]))
        self.stopped = parse_log(text)
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                parse_log(f.read().decode("utf-8", "surrogateescape"))
        return self.stopped

    def kill(self):
        """Cleanup of last resort (after a failed test)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc and not self.stderr_f.closed:
            self.stderr_f.close()

