"""A sweep of hostile requests against `photopub serve`, unauthenticated
and with every secret configured: malformed request lines, paths that try
to leave the image folder or break the log (backslashes, control bytes,
invalid UTF-8, `scheme://user:secret@` prefixes holding the secrets),
smuggling framings, hostile cookies, headers and bodies. Every answer is a
4xx (or a 2xx/3xx of a route that exists), never a 5xx or a crash; no file
outside the folder is served; no secret reaches a log line; and every line
of stderr and of --log-file is one JSON object."""

import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import webharness  # noqa: E402

TOKEN = "tok-Hostile-0123456789abcdef"
PASS = "pass-Hostile-9876"
ADMIN = "admin-Hostile-pw-42"
SECRET = "s" * 48
SECRETS = [TOKEN, PASS, ADMIN, SECRET]
OUTSIDE = "outside-the-folder.txt"

PATHS = [
    b"/", b"/health", b"/metrics", b"/api/images/random", b"/api/admin/status",
    b"/api/images/../../" + OUTSIDE.encode() + b"/file",
    b"/api/images/%2e%2e%2f%2e%2e%2f" + OUTSIDE.encode() + b"/file",
    b"/api/images/..%2f..%2fetc%2fpasswd/file", b"/api/images/%2Fetc%2Fpasswd/file",
    b"/api/images/a%00.jpg/file", b"/api/images/\x00/file", b"/api/images/%ff%fe.jpg/file",
    b"/api/images/\xff\xfe.jpg/file", b"/api/images/a\\..\\b.jpg/file",
    b"/x://u\\:p@h", b"/x://u\x01\x7f:p@h", b"/x://u\xff\xfe:p@h",
    b"/x://" + TOKEN.encode() + b":p@h", b"/x://" + PASS.encode() + b"@h",
    b"/x://u:" + ADMIN.encode() + b"@h", b"/api/images/x://" + TOKEN.encode() + b":q@h/file",
    b"/" + b"a" * 8000, b"/?" + b"w=" * 3000, b"/api/images/a.jpg/file?w=-1",
    b"/api/images/a.jpg/file?w=99999999999999999999", b"/api/images/a.jpg/file?w=0x10",
    b"/%", b"/%%", b"/%zz", b"//", b"/./././", b"*", b"http://evil.example/health",
    b"/api/images/random?" + b"&" * 2000, b"/\r\n", b"/\t",
]
METHODS = [b"GET", b"POST", b"DELETE", b"PUT", b"OPTIONS", b"TRACE", b"CONNECT", b"G\x00T",
           b"get", b"GET GET"]
HEADER_SETS = [
    [],
    [b"Cookie: pv2_admin=9999999999999999999." + b"a" * 64],
    [b"Cookie: pv2_admin=" + b"1" * 4000],
    [b"Cookie: pv2_admin=-1.abc; pv2_admin=2.def"],
    [b"Cookie: \xff\xfe=\x01\x02"],
    [b"Authorization: Bearer " + TOKEN.encode()[:-1] + b"X"],
    [b"Authorization: Basic " + b"=" * 500],
    [b"Authorization: " + SECRET.encode()],
    [b"X-Request-ID: " + b"\x01\xff" * 40],
    [b"X-Request-ID: " + TOKEN.encode()],
    [b"X-Forwarded-For: 10.0.0.1, " + TOKEN.encode()],
    [b"Content-Length: 5", b"Content-Length: 6"],
    [b"Content-Length: 4", b"Transfer-Encoding: chunked"],
    [b"Transfer-Encoding: chunked, identity"],
    [b"Content-Length: -1"], [b"Content-Length: 99999999999999999999"],
    [b"Host: \x00"], [b"X-Long: " + b"v" * 20000],
    [b"X-%d: v" % i for i in range(300)],
]
BODIES = [b"", b"{\"caption\": \"" + b"\xff" * 100 + b"\"}", b"\x00" * 64, b"0\r\n\r\n"]


def requests():
    """(label, raw bytes) of every hostile request of the sweep."""
    out = []
    for method, path in itertools.product(METHODS[:4], PATHS):
        out.append((b"%s %s" % (method, path),
                    method + b" " + path + b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
    for method in METHODS[4:]:
        out.append((method, method + b" / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
    for headers, body, path in itertools.product(HEADER_SETS, BODIES,
                                                 [b"/api/admin/status", b"/api/images/x.jpg/analyze"]):
        head = b"POST " + path + b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n" + \
            b"".join(h + b"\r\n" for h in headers)
        if not any(h.lower().startswith((b"content-length", b"transfer-encoding")) for h in headers):
            head += b"Content-Length: %d\r\n" % len(body)
        out.append((b"headers " + b"|".join(headers)[:60], head + b"\r\n" + body))
    for raw in (b"GET /\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\r\n\r\n\r\n", b"\x16\x03\x01\x02\x00",
                b"GET / HTTP/1.1\r\nHost: h\r\n folded: value\r\nConnection: close\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost h\r\nConnection: close\r\n\r\n",
                b"GET / HTTP/1.1\nHost: h\nConnection: close\n\n",
                b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"):
        out.append((raw[:30], raw))
    return out


class HostileRequestsTest(harness.TestCase):
    images = [harness.SAMPLES[0]]

    def test_sweep(self):
        with open(os.path.join(self.ws.dir, OUTSIDE), "w") as f:
            f.write("must never be served\n")
        env = {"WEB_AUTH_TOKEN": TOKEN, "WEB_AUTH_USER": "u", "WEB_AUTH_PASS": PASS,
               "web_admin_pw": ADMIN, "WEB_SESSION_SECRET": SECRET}
        srv = webharness.WebServer(self.ws, env).start()
        self.addCleanup(srv.kill)
        sweep = requests()
        answered = 0
        slow = []
        for label, raw in sweep:
            t0 = time.monotonic()
            r = webharness.raw_request(srv.port, raw, timeout=3)
            if time.monotonic() - t0 > 1:
                slow.append(label[:40])
            if r is None:
                continue  # closed without an answer: allowed for garbage
            answered += 1
            # 505: libmicrohttpd's own answer to an HTTP version it does not speak
            # 501: a transfer coding other than chunked
            self.assertTrue(100 <= r.status < 500 or r.status in (501, 505), "%r -> %r" % (label, r))
            if b"Transfer-Encoding: chunked, identity" in raw:
                self.assertEqual(r.status, 501, r)
            self.assertNotIn(b"must never be served", r.body, label)
        self.assertEqual(srv.request("/health").status, 200, "the server survived")
        lines = srv.stop()  # exit 0, every stderr and log-file line JSON
        text = srv.all_output()
        for s in SECRETS:
            self.assertNotIn(s, text, "a secret reached the log")
        self.assertNotIn("/smuggled", text)
        self.assertGreater(len(lines), answered // 2)
        print("hostile requests: %d sent, %d answered, %d log lines, all JSON; slower than 1 s: %r"
              % (len(sweep), answered, len(lines), slow), file=sys.stderr)


if __name__ == "__main__":
    harness.main()
