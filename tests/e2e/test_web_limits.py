"""`photopub serve` under abuse, end to end over raw sockets bound to
addresses of 127.0.0.0/8: the deadline for a request head and for a body
(whatever trickle of bytes a client sends), the limit of connections per
client, room made near the connection limit by closing the oldest
connections still waiting for a head, resizing a 15000 x 15000 PNG on the
image lane with its bounded queue and the cache of resized copies, and
/health from a fresh address answering within a second all along,
slowloris included.

Standard library only; run under /usr/bin/python3."""

import errno
import json
import os
import resource
import select
import socket
import statistics
import struct
import sys
import threading
import time
import unittest
import zlib

import harness
from harness import Workspace
from webharness import WebServer, wait_until

IMG = "tabby-cat-closeup.jpg"


def setUpModule():
    # A thousand client sockets and more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect_from(source, port, timeout=5):
    """A connection to the server from source (an address of 127.0.0.0/8)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def closed(s):
    """Whether the server has closed s (without blocking)."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(65536, socket.MSG_DONTWAIT) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except BlockingIOError:
        return False


def read_response(s):
    """Bytes of one response on s, read until the server closes it."""
    chunks = []
    while True:
        try:
            c = s.recv(65536)
        except ConnectionResetError:
            break
        if not c:
            break
        chunks.append(c)
    return b"".join(chunks)


def health(port, source, timeout=10):
    """GET /health from source on a new connection: (seconds, status line)."""
    t0 = time.monotonic()
    try:
        s = connect_from(source, port, timeout)
        with s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = read_response(s)
    except OSError as e:
        return time.monotonic() - t0, "error: %s" % e
    return time.monotonic() - t0, raw.split(b"\r\n", 1)[0].decode("latin-1")


def get(port, path, source="127.0.0.1", headers=(), timeout=120):
    """(status, {header lowercased: value}, body, seconds) of one GET."""
    t0 = time.monotonic()
    s = connect_from(source, port, timeout)
    with s:
        extra = b"".join(h.encode() + b"\r\n" for h in headers)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n" % (path.encode(), extra))
        raw = read_response(s)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body, time.monotonic() - t0


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def solid_png(path, width, height, rgb=(200, 120, 40), rows_per_block=500):
    """A PNG of one colour, made without holding its pixels: the deflate
    stream of rows_per_block rows ends with a full flush (the next block
    refers to nothing before it), so it is written once and repeated; the
    zlib checksum is taken over the rows as they go. 30000 x 30000 RGB is
    2.7 GB of pixels in 2.7 MB."""
    row = b"\0" + bytes(rgb) * width
    rows = row * rows_per_block
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(rows) + c.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(height, rows_per_block)
    adler = 1
    for _ in range(full):
        adler = zlib.adler32(rows, adler)
    tail = b""
    if rest:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        tail = c.compress(row * rest) + c.flush(zlib.Z_FULL_FLUSH)
        adler = zlib.adler32(row * rest, adler)
    idat = b"\x78\xda" + block * full + tail + b"\x03\x00" + struct.pack(">I", adler)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def jpeg_width(data):
    """The width in a JPEG's SOF marker, None when there is none."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return struct.unpack(">H", data[i + 7:i + 9])[0]
        i += 2 + length
    return None


def dropped_lines(srv):
    return [l for l in srv.lines() if l["message"] == "web_connections_dropped"]


def dropped_total(srv, reason):
    return sum(l[reason] for l in dropped_lines(srv))


class LimitsCase(unittest.TestCase):
    images = [IMG]

    def setUp(self):
        self.ws = Workspace(self.images)
        self.addCleanup(self.ws.cleanup)
        self.socks = []
        self.addCleanup(self.close_all)

    def close_all(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def serve(self, env=None, **kw):
        srv = WebServer(self.ws, env, **kw)
        self.addCleanup(srv.kill)
        self.addCleanup(lambda: srv.stopped is None and srv.proc is not None and srv.stop())
        return srv.start()

    def open(self, source, port):
        s = connect_from(source, port)
        self.socks.append(s)
        return s


# ---- deadlines ---------------------------------------------------------------

class DeadlineTest(LimitsCase):

    def watch(self, socks, seconds, trickle=()):
        """Seconds until the server closed each socket (None: still open),
        sending a header line on each of trickle every 0.3 s meanwhile."""
        t0 = time.monotonic()
        at = {s: None for s in socks}
        next_send = t0
        while time.monotonic() - t0 < seconds and any(v is None for v in at.values()):
            now = time.monotonic()
            if now >= next_send:
                for s in trickle:
                    if at[s] is None:
                        try:
                            s.send(b"X-Trickle: a\r\n")
                        except OSError:
                            pass
                next_send = now + 0.3
            for s, v in at.items():
                if v is None and closed(s):
                    at[s] = time.monotonic() - t0
            time.sleep(0.05)
        return [at[s] for s in socks]

    def test_head_deadline(self):
        self.ws.set("Web", "head_timeout", "2")
        srv = self.serve()
        silent = self.open("127.0.0.1", srv.port)
        trickle = self.open("127.0.0.1", srv.port)
        trickle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        # After a response, the next request's head has the same deadline.
        keep = self.open("127.0.0.1", srv.port)
        keep.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b'{"status":"ok"}' not in head:
            head += keep.recv(4096)
        # A head that arrives whole in time is answered.
        slow_ok = self.open("127.0.0.1", srv.port)
        slow_ok.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(1)
        slow_ok.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"200 OK", read_response(slow_ok))
        took = self.watch([silent, trickle, keep], 8, trickle=[trickle])
        for name, t in zip(("silent", "trickle", "keep-alive"), took):
            self.assertIsNotNone(t, "%s connection still open after 8 s" % name)
            self.assertLess(t, 4, (name, took))
        line = wait_until(lambda: dropped_total(srv, "head_deadline") >= 3, 5, "web_connections_dropped")
        self.assertTrue(line)
        d = dropped_lines(srv)[0]
        self.assertEqual(d["level"], "warning")
        for k in ("head_deadline", "body_deadline", "evicted", "refused", "open"):
            self.assertIsInstance(d[k], int, d)
        self.assertEqual(health(srv.port, "127.0.0.1")[1], "HTTP/1.1 200 OK")

    def test_body_deadline(self):
        self.ws.set("Web", "body_timeout", "2")
        srv = self.serve({"web_admin_pw": "pw-body-deadline"})
        slow = self.open("127.0.0.1", srv.port)
        slow.sendall(b"POST /api/admin/login HTTP/1.1\r\nHost: x\r\nX-Request-ID: slow-body\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"password\": \"")
        t0 = time.monotonic()
        gone = None
        while time.monotonic() - t0 < 8:
            try:
                slow.send(b"a")
            except OSError:
                pass
            if closed(slow):
                gone = time.monotonic() - t0
                break
            time.sleep(0.2)
        self.assertIsNotNone(gone, "a body trickled for 8 s was still being read")
        self.assertGreater(gone, 1.5)
        self.assertLess(gone, 4)
        wait_until(lambda: dropped_total(srv, "body_deadline") >= 1, 5, "web_connections_dropped")
        # The handler never ran: no login was tried.
        self.assertFalse([l for l in srv.lines() if l["message"].startswith("web_admin_login")])
        self.assertEqual(health(srv.port, "127.0.0.1")[1], "HTTP/1.1 200 OK")


# ---- connection limits -------------------------------------------------------------

class ConnectionLimitTest(LimitsCase):

    def test_per_client_limit(self):
        self.ws.set("Web", "trusted_proxies", "127.0.0.4")
        srv = self.serve()
        held = [self.open("127.0.0.2", srv.port) for _ in range(40)]
        time.sleep(0.5)
        shut = [s for s in held if closed(s)]
        self.assertEqual(len(shut), 40 - 32, "of 40 connections from one address, 32 stay open")
        # The newest were refused, the first 32 stay.
        self.assertFalse([s for s in held[:32] if s in shut])
        self.assertEqual(health(srv.port, "127.0.0.3")[1], "HTTP/1.1 200 OK")
        self.assertNotEqual(health(srv.port, "127.0.0.2")[1], "HTTP/1.1 200 OK")
        # A trusted proxy carries many clients: it is not limited so.
        proxy = [self.open("127.0.0.4", srv.port) for _ in range(40)]
        time.sleep(0.5)
        self.assertEqual([s for s in proxy if closed(s)], [])
        for s in held:
            s.close()
        wait_until(lambda: health(srv.port, "127.0.0.2")[1] == "HTTP/1.1 200 OK", 5, "a slot for 127.0.0.2")
        wait_until(lambda: dropped_total(srv, "refused") >= 8, 5, "web_connections_dropped")

    def test_oldest_incomplete_heads_make_room(self):
        srv = self.serve()
        start = [l for l in srv.lines() if l["message"] == "web_server_start"][0]
        limit = start["max_connections"]
        self.assertEqual(limit, 1000)
        # 31 addresses with 31 connections each that never send a head:
        # past 15/16 of the limit, each new connection closes the oldest.
        order = []
        for k in range(31):
            for a in range(2, 33):
                order.append(self.open("127.0.1.%d" % a, srv.port))
        time.sleep(1)
        gone = [i for i, s in enumerate(order) if closed(s)]
        self.assertGreater(len(gone), 0)
        self.assertLessEqual(len(order) - len(gone), limit - limit // 16 + 2)
        # The oldest went first (two threads accept, so the order the
        # server saw may differ from the order of connects by a few).
        self.assertLess(max(gone), len(gone) + 20, gone)
        self.assertFalse([s for s in order[-200:] if closed(s)])
        times = [health(srv.port, "127.0.2.%d" % i)[0] for i in range(1, 6)]
        self.assertLess(max(times), 1, times)
        wait_until(lambda: dropped_total(srv, "evicted") >= len(gone), 5, "web_connections_dropped")


# ---- the image lane -----------------------------------------------------------------

class ImageLaneTest(LimitsCase):
    BIG = "huge-15000.png"

    def test_big_decodes_run_off_the_daemon_threads(self):
        solid_png(os.path.join(self.ws.images, self.BIG), 15000, 15000)
        srv = self.serve()
        port = srv.port
        # Twelve distinct widths at once: two resize, eight wait their turn,
        # two are told to come back; /health answers within a second all along.
        widths = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768]
        results = {}

        def fetch(w):
            results[w] = get(port, "/api/images/%s/file?w=%d" % (self.BIG, w),
                             headers=["X-Request-ID: big-w%d" % w])
        threads = [threading.Thread(target=fetch, args=(w,)) for w in widths]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        latencies = []
        while any(t.is_alive() for t in threads) and time.monotonic() - t0 < 150:
            took, status = health(port, "127.0.0.9", timeout=5)
            self.assertEqual(status, "HTTP/1.1 200 OK")
            latencies.append(took)
            time.sleep(0.2)
        for t in threads:
            t.join(10)
        total = time.monotonic() - t0
        ok = sorted(w for w, r in results.items() if r[0] == 200)
        busy = sorted(w for w, r in results.items() if r[0] == 503)
        summary = {"requests": len(widths), "ok": len(ok), "busy": len(busy), "total_s": round(total, 1),
                   "slowest_ok_s": round(max(results[w][3] for w in ok), 1),
                   "fastest_ok_s": round(min(results[w][3] for w in ok), 1),
                   "health_probes": len(latencies), "health_median_ms": round(statistics.median(latencies) * 1000, 1),
                   "health_max_ms": round(max(latencies) * 1000, 1)}
        print("\nimage lane: %s" % json.dumps(summary), file=sys.stderr)
        self.assertEqual((len(ok), len(busy)), (10, 2), {w: r[0] for w, r in results.items()})
        self.assertLess(max(latencies), 1.0, summary)
        for w in busy:
            status, hdrs, body, took = results[w]
            self.assertTrue(hdrs.get("retry-after"), hdrs)
            self.assertLess(took, 1.0, "a refused resize is answered at once")
            self.assertEqual(json.loads(body)["detail"], "Server busy: too many images being resized")
        for w in ok:
            self.assertEqual(jpeg_width(results[w][2]), w)
        lines = {l["correlation_id"]: l for l in srv.lines() if l["message"] == "http_request"}
        self.assertEqual(sorted(l["cache"] for cid, l in lines.items() if cid.startswith("big-w") and l["status"] == 200),
                         ["miss"] * 10)

        # The same width again, and any width that rounds down to it, is a
        # copy from the cache: at once, with the same ETag. (Which two
        # widths were told to come back depends on arrival: w=64 is made
        # now when it was one of them.)
        first = results[64]
        if first[0] != 200:
            first = get(port, "/api/images/%s/file?w=64" % self.BIG, headers=["X-Request-ID: first-64"])
            self.assertEqual(first[0], 200)
        status, hdrs, body, took = get(port, "/api/images/%s/file?w=64" % self.BIG, headers=["X-Request-ID: again-64"])
        self.assertEqual(status, 200)
        self.assertEqual(body, first[2])
        self.assertEqual(hdrs["etag"], first[1]["etag"])
        for w in (65, 70, 73, 95):
            status, hdrs2, body2, took = get(port, "/api/images/%s/file?w=%d" % (self.BIG, w),
                                             headers=["X-Request-ID: again-%d" % w])
            self.assertEqual((status, body2, hdrs2["etag"]), (200, body, hdrs["etag"]), w)
            self.assertLess(took, 0.5, w)
        for cid in ("again-64", "again-65", "again-70", "again-73", "again-95"):
            line = srv.request_lines(cid)[-1]
            self.assertEqual(line["cache"], "hit", line)
        print("image lane: cache hits for w=64, 65, 70, 73, 95: %s ms" %
              [srv.request_lines(c)[-1]["duration_ms"] for c in ("again-64", "again-65", "again-70", "again-73", "again-95")],
              file=sys.stderr)
        # If-None-Match on a quantized width: 304 from the daemon thread.
        status, hdrs3, body3, took = get(port, "/api/images/%s/file?w=80" % self.BIG,
                                         headers=["If-None-Match: " + hdrs["etag"]])
        self.assertEqual((status, body3), (304, b""))
        # Only the image route caches.
        health_line = [l for l in srv.lines() if l["message"] == "http_request" and l["path"] == "/health"][0]
        self.assertNotIn("cache", health_line)

    def test_too_many_pixels_are_refused_before_decoding(self):
        # A header that claims 40000 x 40000 (1.6 gigapixels) is refused from
        # the header alone: no pixel is decoded.
        with open(os.path.join(self.ws.images, "claims-huge.png"), "wb") as f:
            c = zlib.compressobj()
            f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0))
                    + png_chunk(b"IDAT", c.compress(b"\0" * 120001) + c.flush()) + png_chunk(b"IEND", b""))
        srv = self.serve()
        status, hdrs, body, took = get(srv.port, "/api/images/claims-huge.png/file?w=256")
        self.assertEqual(status, 422, body)
        self.assertIn("pixels", json.loads(body)["detail"])
        self.assertLess(took, 2)
        # The original bytes are still served as they are.
        status, hdrs, body, took = get(srv.port, "/api/images/claims-huge.png/file")
        self.assertEqual(status, 200)


# ---- slowloris ---------------------------------------------------------------------

class SlowlorisTest(LimitsCase):

    def test_health_answers_under_slowloris(self):
        # 1,000 connections from 127.0.0.1 … 127.0.0.8, each sending a header
        # line every 2–3 s and opening again when closed; meanwhile GET
        # /health from 127.0.0.9 every 0.25 s must answer within 1 s.
        srv = self.serve()
        port = srv.port
        sources = ["127.0.0.%d" % i for i in range(1, 9)]
        n = 1000
        duration = 40
        conns = []       # [socket or None, source, next send time, reopen time]

        def opener(source):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((source, 0))
            s.setblocking(False)
            err = s.connect_ex(("127.0.0.1", port))
            if err not in (0, errno.EINPROGRESS):
                s.close()
                return None
            self.socks.append(s)
            return s

        t0 = time.monotonic()
        for i in range(n):
            src = sources[i % len(sources)]
            conns.append([opener(src), src, t0 + 0.5 + (i % 100) * 0.025, 0.0, False])
        latencies, failures, reopened = [], [], 0
        next_probe = t0
        while time.monotonic() - t0 < duration:
            now = time.monotonic()
            if now >= next_probe:
                took, status = health(port, "127.0.0.9", timeout=5)
                latencies.append(took)
                if status != "HTTP/1.1 200 OK":
                    failures.append(status)
                next_probe = time.monotonic() + 0.25
                continue
            for c in conns:
                s = c[0]
                if s is None:
                    if now >= c[3]:
                        c[0] = opener(c[1])
                        c[4] = False
                        c[2] = now + 0.5
                        reopened += 1
                    continue
                if now < c[2]:
                    continue
                try:
                    if not c[4]:
                        s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                        c[4] = True
                    else:
                        s.send(b"X-Slow-%d: a\r\n" % int(now))
                    gone = closed(s)
                except (BlockingIOError, InterruptedError):
                    gone = False
                except OSError:
                    gone = True
                if gone:
                    s.close()
                    self.socks.remove(s)
                    c[0] = None
                    c[3] = now + 1.0
                else:
                    c[2] = now + 2 + (hash((id(c), int(now))) % 1000) / 1000.0
            time.sleep(0.01)
        lat_ms = sorted(t * 1000 for t in latencies)
        summary = {"probes": len(lat_ms), "median_ms": round(statistics.median(lat_ms), 1),
                   "p95_ms": round(lat_ms[int(len(lat_ms) * 0.95) - 1], 1), "max_ms": round(lat_ms[-1], 1),
                   "reopened": reopened, "open_at_end": sum(1 for c in conns if c[0] is not None)}
        self.close_all()
        lines = srv.lines()
        summary["head_deadline"] = sum(l["head_deadline"] for l in lines if l["message"] == "web_connections_dropped")
        summary["refused"] = sum(l["refused"] for l in lines if l["message"] == "web_connections_dropped")
        print("\nslowloris: /health under %d slow connections from %d addresses: %s"
              % (n, len(sources), json.dumps(summary)), file=sys.stderr)
        self.assertEqual(failures, [])
        self.assertLess(max(latencies), 1.0, summary)
        self.assertGreater(summary["head_deadline"], 0, summary)


if __name__ == "__main__":
    harness.main()
