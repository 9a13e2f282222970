"""logrotate against the running server: while 8 client threads send
requests, the log file is renamed and the server gets SIGHUP, several times.
Every request's http_request line must be in exactly one of the files, each
line a valid JSON object; nothing is lost, nothing doubled."""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
import harness
from harness import TestCase

THREADS = 8
PER_THREAD = 150


class LogrotateTest(TestCase):

    def test_sighup_during_a_request_storm(self):
        log = os.path.join(self.ws.dir, "photopub.log")
        port_file = os.path.join(self.ws.dir, "port")
        env = dict(os.environ, HOME=self.ws.home)
        # stderr to a file: a pipe nobody reads would fill and stall the server.
        errf = open(os.path.join(self.ws.dir, "stderr.log"), "wb")
        self.addCleanup(errf.close)
        proc = subprocess.Popen([harness.BIN, "serve", "--config", self.ws.config, "--port", "0",
                                 "--port-file", port_file, "--log-file", log],
                                stdout=subprocess.DEVNULL, stderr=errf, env=env)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        def read_port():
            try:
                with open(port_file) as f:
                    return int(f.read().strip() or 0)
            except (OSError, ValueError):
                return 0
        for _ in range(600):
            if read_port():
                break
            time.sleep(0.05)
        port = read_port()
        sent = []
        lock = threading.Lock()

        def client(n):
            for i in range(PER_THREAD):
                rid = "storm-%d-%d" % (n, i)
                req = urllib.request.Request("http://127.0.0.1:%d/health" % port,
                                             headers={"X-Request-ID": rid})
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.assertEqual(r.status, 200)
                with lock:
                    sent.append(rid)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        rotated = []
        for k in range(4):
            time.sleep(0.15)
            dest = "%s.%d" % (log, k + 1)
            os.rename(log, dest)
            rotated.append(dest)
            proc.send_signal(signal.SIGHUP)
            for _ in range(1000):           # the server opens a new file by the name
                if os.path.exists(log):
                    break
                time.sleep(0.01)
            self.assertTrue(os.path.exists(log), "no new log file after SIGHUP")
        for t in threads:
            t.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        self.assertEqual(proc.returncode, 0)
        with open(os.path.join(self.ws.dir, "stderr.log"), "rb") as f:
            harness.parse_log(f.read().decode("utf-8", "surrogateescape"))  # JSON lines only

        seen = {}
        reopened = 0
        for path in rotated + [log]:
            with open(path, "rb") as f:
                for raw in f.read().splitlines():
                    obj = json.loads(raw)                            # every line valid JSON
                    if obj.get("message") == "log_reopened":
                        reopened += 1
                    if obj.get("message") == "http_request":
                        cid = obj["correlation_id"]
                        self.assertNotIn(cid, seen, "line written twice")
                        seen[cid] = path
        self.assertEqual(sorted(seen), sorted(sent))                 # none lost
        self.assertEqual(reopened, 4)
        # The storm really crossed the rotations: lines in more than two files.
        self.assertGreater(len(set(seen.values())), 2)


if __name__ == "__main__":
    harness.main()
