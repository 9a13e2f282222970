"""Two `photopub serve` replicas over one PostgreSQL (the server
tests/pg/pg-start started; each test its own schema) and one image folder:
an admin session of one is one of the other, a logout on one is refused
on the other at once, failed logins on both add up to one lockout, the
queue is the same on both and a change of it shows on both; /health/live
and /health/ready (503 naming the state when its server is gone, the
storage when the folder is gone, 200 again once they are back)."""

import json
import os
import socket
import subprocess
import sys
import threading
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import Workspace  # noqa: E402
from test_concurrent import pg_url, schema_url  # noqa: E402
from webharness import WebServer  # noqa: E402

ADMIN_PW = "admin-pw-replicas-7c1e"
SECRET = "e2e-replicas-session-secret-90d2"
MAX_FAILURES = 5  # per client and minute (src/web/auth.c)


class Proxy:
    """A TCP relay on a free port to the PostgreSQL server: stopping it
    leaves nobody listening there (and cuts what it relayed); starting it
    again listens on the same port."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = None
        self.socks = []
        self.lock = threading.Lock()

    def start(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port or 0))
        ls.listen(16)
        self.port = ls.getsockname()[1]
        self.listener = ls
        threading.Thread(target=self.accept, args=(ls,), daemon=True).start()

    def accept(self, ls):
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept, stops listening
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class ReplicasTest(unittest.TestCase):
    def setUp(self):
        self.url = schema_url(pg_url(), "e2e_%s" % uuid.uuid4().hex[:12])
        self.ws = Workspace()
        self.addCleanup(self.ws.cleanup)
        self.ws.set("Content", "order", "name")

    def workspace(self, state_url):
        """A workspace of its own (config, port file, logs) on the shared
        image folder and the state at state_url."""
        ws = Workspace(images=[])
        self.addCleanup(ws.cleanup)
        ws.sections = json.loads(json.dumps(self.ws.sections))
        ws.sections["State"] = {"backend": "postgres", "url": state_url}
        ws.write_config()
        return ws

    def replica(self, state_url=None, secret=SECRET):
        env = {"web_admin_pw": ADMIN_PW}
        if secret:
            env["WEB_SESSION_SECRET"] = secret
        srv = WebServer(self.workspace(state_url or self.url), env)
        self.addCleanup(srv.kill)
        return srv.start()

    def login(self, srv, password=ADMIN_PW):
        return srv.request("/api/admin/login", method="POST",
                           data=json.dumps({"password": password}).encode())

    def is_admin(self, srv, cookie):
        r = srv.request("/api/admin/status", headers=[cookie])
        self.assertEqual(r.status, 200, r)
        return r.json()["admin"]

    def test_sessions_and_logins_are_shared(self):
        a, b = self.replica(), self.replica()
        r = self.login(a)
        self.assertEqual(r.status, 200, r)
        cookie = "Cookie: " + r.header("Set-Cookie").split(";")[0]
        self.assertIs(self.is_admin(a, cookie), True)
        self.assertIs(self.is_admin(b, cookie), True)   # issued by a, accepted by b
        r = a.request("/api/admin/logout", method="POST", headers=[cookie])
        self.assertEqual(r.status, 200, r)
        self.assertIs(self.is_admin(b, cookie), False)  # refused on b at once
        self.assertIs(self.is_admin(a, cookie), False)
        # The state keeps a digest of the session, never the cookie.
        self.assertNotIn(cookie.split("=", 1)[1].encode(), self.dump())

        # Failures on a and on b add up: the limit of one client is reached.
        for i in range(MAX_FAILURES):
            r = self.login(a if i % 2 else b, "wrong-%d" % i)
            self.assertEqual(r.status, 401, r)
        for srv in (a, b):
            r = self.login(srv)
            self.assertEqual(r.status, 429, r)
            self.assertTrue(1 <= int(r.header("Retry-After")) <= 60, r)
        for srv in (a, b):
            lines = srv.stop()
            self.assertNotIn(ADMIN_PW, srv.all_output())
            self.assertNotIn("web_auth_state_error", [l["message"] for l in lines])

    def dump(self):
        d = os.environ["PHOTOPUB_TEST_PG_DIR"]
        with open(os.path.join(d, "bindir")) as f:
            psql = os.path.join(f.read().strip(), "psql")
        out = subprocess.run([psql, "-X", "-q", "-A", self.url, "-c",
                              "SELECT session FROM admin_revoked"],
                             check=True, capture_output=True)
        self.assertIn(b"(1 row)", out.stdout)
        return out.stdout

    def test_without_a_shared_secret_sessions_do_not_cross(self):
        # Each replica's own key file: the warning says so, and b refuses a's cookie.
        a, b = self.replica(secret=None), self.replica(secret=None)
        r = self.login(a)
        cookie = "Cookie: " + r.header("Set-Cookie").split(";")[0]
        self.assertIs(self.is_admin(a, cookie), True)
        self.assertIs(self.is_admin(b, cookie), False)
        for srv in (a, b):
            warned = [l for l in srv.stop() if l["message"] == "web_session_secret_missing"]
            self.assertEqual(len(warned), 1, srv.stderr()[-2000:])
        # photopub check says it too.
        res = self.workspace(self.url).run(command="check", check_json=False,
                                           env={"web_admin_pw": ADMIN_PW})
        self.assertIn("WEB_SESSION_SECRET", res.stdout + res.stderr)

    def test_queue_agrees_and_changes_show_on_both(self):
        a, b = self.replica(), self.replica()
        qa, qb = a.request("/api/queue").json(), b.request("/api/queue").json()
        self.assertEqual(qa, qb)
        self.assertGreaterEqual(qa["count"], 2)
        head = qa["items"][0]["filename"]
        self.assertEqual(a.request("/api/images/random").json()["filename"], head)
        self.assertEqual(b.request("/api/images/random").json()["filename"], head)
        last = qa["items"][-1]["filename"]
        res = self.workspace(self.url).run("pin", last, command="queue", check_json=False)
        self.assertEqual(res.rc, 0, res.stderr)
        qa, qb = a.request("/api/queue").json(), b.request("/api/queue").json()
        self.assertEqual(qa, qb)
        self.assertEqual(qa["items"][0]["filename"], last)
        for srv in (a, b):
            srv.stop()

    def test_health_live_and_ready(self):
        pg = pg_url()
        host_port = pg.split("@", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        proxy = Proxy(host, int(port))
        proxy.start()
        self.addCleanup(proxy.stop)
        via = self.url.replace("@" + host_port + "/", "@127.0.0.1:%d/" % proxy.port)
        self.assertNotEqual(via, self.url)
        srv = self.replica(state_url=via)
        r = self.login(srv)
        self.assertEqual(r.status, 200, r)
        cookie = "Cookie: " + r.header("Set-Cookie").split(";")[0]
        password = pg.split("//", 1)[1].split("@", 1)[0].partition(":")[2]

        def health(path, status):
            r = srv.request(path)
            self.assertEqual(r.status, status, r)
            if password:
                self.assertNotIn(password.encode(), r.body)
            return r.json()

        self.assertEqual(health("/health/live", 200), {"live": True})
        self.assertEqual(health("/health/ready", 200),
                         {"ready": True, "state": "ok", "storage": "ok"})
        self.assertEqual(health("/health", 200), {"status": "ok"})

        # The state's server gone: nobody listens on the port of its URL.
        proxy.stop()
        body = health("/health/ready", 503)
        self.assertIs(body["ready"], False)
        self.assertEqual(body["storage"], "ok")
        self.assertIn("cannot run a trivial query in the state database", body["state"])
        self.assertEqual(health("/health/live", 200), {"live": True})
        # Meanwhile nothing the state decides is guessed: no login, no session.
        r = self.login(srv)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIs(self.is_admin(srv, cookie), False)
        proxy.start()
        self.assertIs(self.is_admin(srv, cookie), True)
        self.assertEqual(health("/health/ready", 200)["state"], "ok")

        # The image folder gone.
        moved = self.ws.images + ".away"
        os.rename(self.ws.images, moved)
        body = health("/health/ready", 503)
        self.assertEqual(body["state"], "ok")
        self.assertIn("image folder", body["storage"])
        self.assertEqual(health("/health/live", 200), {"live": True})
        os.rename(moved, self.ws.images)
        self.assertEqual(health("/health/ready", 200)["storage"], "ok")

        lines = srv.stop()
        not_ready = [l for l in lines if l["message"] == "web_not_ready"]
        self.assertEqual(len(not_ready), 2, not_ready)
        self.assertTrue([l for l in lines if l["message"] == "web_auth_state_error"])
        if password:
            self.assertNotIn(password, srv.all_output())


if __name__ == "__main__":
    unittest.main()
