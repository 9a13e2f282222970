"""Common ground of the fake services the tests start on 127.0.0.1: a
threaded HTTP server on a free port that records every request it receives
(method, path, query, headers, body) and answers through the subclass's
handler, with scripted faults a test can queue (status codes with headers
and bodies, delays, hung connections).

Standard library only; run under /usr/bin/python3."""

import http.server
import json
import socketserver
import threading
import time
import urllib.parse


class Recorded:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class Fault:
    """A scripted answer that replaces the normal one for a matching request.
    status None with hang=True never answers (until the server stops)."""

    def __init__(self, path, status=None, body=b"", headers=None, delay=0.0, hang=False, times=1):
        self.path = path
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {}
        self.delay = delay
        self.hang = hang
        self.times = times


class FakeServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler_cls):
        super().__init__(("127.0.0.1", 0), handler_cls)
        self.requests = []
        self.faults = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def add_fault(self, fault):
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, path):
        with self.lock:
            for f in self.faults:
                if f.path == path or (f.path.endswith("*") and path.startswith(f.path[:-1])):
                    f.times -= 1
                    if f.times <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def seen(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]


class FakeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY a
    # kept-alive client waits for its delayed ACK (~40 ms) on every reply.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def _handle(self):
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rec = Recorded(self.command, parsed.path, urllib.parse.parse_qs(parsed.query),
                       dict(self.headers.items()), body)
        with self.server.lock:
            self.server.requests.append(rec)
        fault = self.server.take_fault(parsed.path)
        if fault:
            if fault.hang:
                self.server.stopping.wait(600)
                return
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                self.reply(fault.status, fault.body, fault.headers)
                return
        self.route(rec)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def reply(self, status, body=b"", headers=None, content_type="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        hdrs = {"Content-Type": content_type}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self, rec):  # overridden
        self.reply(404, {"error": "not found"})
