"""photopub on the S3 storage backend ([Storage] backend = s3), end to end
against a real S3 server: s3rver from the npm registry (tests/s3, installed
with `npm ci` from its lock file into a cache folder beside the binary),
behind tests/fakes/s3_front.py, which checks every request's AWS Signature
V4 (s3rver checks none) and can answer 503 SlowDown on demand. Covered
here for S3 (the shared e2e suites run on the local folder; test_dropbox.py
covers Dropbox): a run posted end to end (listed, downloaded, sidecar
object written, archived by CopyObject + DeleteObject), a listing of 1100
keys over two pages, SlowDown then success, a missing object, a wrong
secret, presigned URLs (accepted, tampered, expired), curation keep /
remove / delete, dedup of one image under two names without a second
download, the queue and the journal."""

import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import harness
from harness import TestCase, EXAMPLES

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
from fake_openai import FakeOpenAI  # noqa: E402
from s3_front import S3Front  # noqa: E402

S3_DIR = os.path.join(harness.SOURCE, "tests", "s3")
CACHE = os.path.join(os.path.dirname(os.path.abspath(harness.BIN)), "npm", "s3")
ACCESS_KEY = "AKIAE2ETESTKEY000001"
SECRET = "e2e/S3secret+Kq7vX9wZ3mN5bR8tY2uP4"
PREFIX = "incoming/"
IMG = "rocket-on-pad-at-dusk.jpg"
IMG2 = "tabby-cat-closeup.jpg"
IMG3 = "espresso-on-wooden-table.jpg"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sample(name):
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        return f.read()


def stem(name):
    return os.path.splitext(name)[0]


def setup_modules():
    """Installs s3rver into the cache folder from tests/s3's lock file when
    it is missing or the lock changed, one install at a time."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise AssertionError("node and npm are not installed (scripts/deps test installs them)")
    with open(os.path.join(S3_DIR, "package-lock.json"), "rb") as f:
        lock_hash = hashlib.sha256(f.read()).hexdigest()
    os.makedirs(CACHE, exist_ok=True)
    marker = os.path.join(CACHE, "installed-" + lock_hash[:16])
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(marker):
            return
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(S3_DIR, name), CACHE)
        env = dict(os.environ, npm_config_cache=os.path.join(CACHE, ".npm"))
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=CACHE, capture_output=True, text=True, timeout=900, env=env)
        if proc.returncode != 0:
            raise AssertionError("npm ci of tests/s3 failed:\n" + (proc.stderr + proc.stdout).strip()[-2000:])
        open(marker, "w").close()


class S3rver:
    """`node tests/s3/s3rver.js DIR` on 127.0.0.1, and an unsigned client to
    it (s3rver takes any request) for putting and reading objects."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pp-s3rver-")
        env = dict(os.environ, NODE_PATH=os.path.join(CACHE, "node_modules"), TMPDIR=self.dir,
                   HOME=self.dir)
        self.log = open(os.path.join(self.dir, "s3rver.log"), "w+")
        self.proc = subprocess.Popen(["node", "--openssl-legacy-provider",
                                      os.path.join(S3_DIR, "s3rver.js"), os.path.join(self.dir, "data")],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("S3_URL "):
            self.stop()
            self.log.seek(0)
            raise AssertionError("s3rver did not start:\n" + self.log.read()[-3000:])
        self.url = line.split()[1]
        u = urllib.parse.urlsplit(self.url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def stop(self):
        harness.terminate(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                return r.status, r.read(), dict(r.getheaders())
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt:
                    raise

    def make_bucket(self, bucket):
        st, body, _ = self.request("PUT", "/" + bucket)
        assert st == 200, (st, body)

    def put(self, bucket, key, data):
        st, body, _ = self.request("PUT", "/%s/%s" % (bucket, urllib.parse.quote(key)), body=data,
                                   headers={"Content-Type": "application/octet-stream"})
        assert st == 200, (st, body)

    def get(self, bucket, key):
        st, body, _ = self.request("GET", "/%s/%s" % (bucket, urllib.parse.quote(key)))
        return body if st == 200 else None

    def keys(self, bucket, prefix=""):
        """Every key under prefix, all pages."""
        out, token = [], None
        while True:
            q = {"list-type": "2", "prefix": prefix}
            if token:
                q["continuation-token"] = token
            st, body, _ = self.request("GET", "/%s?%s" % (bucket, urllib.parse.urlencode(q)))
            assert st == 200, (st, body)
            root = ET.fromstring(body)
            ns = {"s": root.tag[1:root.tag.index("}")]} if root.tag.startswith("{") else None
            def find(e, tag):
                return e.findall("s:" + tag, ns) if ns else e.findall(tag)
            out += [c.find("s:Key", ns).text if ns else c.find("Key").text for c in find(root, "Contents")]
            trunc = find(root, "IsTruncated")
            if not trunc or trunc[0].text != "true":
                return sorted(out)
            token = find(root, "NextContinuationToken")[0].text


class S3Case(TestCase):
    images = []          # nothing in a local folder: the images live in the bucket
    counter = 0

    @classmethod
    def setUpClass(cls):
        setup_modules()
        cls.server = S3rver()
        cls.front = S3Front(cls.server.url, ACCESS_KEY, SECRET).start()

    @classmethod
    def tearDownClass(cls):
        cls.front.stop()
        cls.server.stop()

    def setUp(self):
        super().setUp()
        S3Case.counter += 1
        self.bucket = "photos-%d-%d" % (os.getpid(), S3Case.counter)
        self.server.make_bucket(self.bucket)
        with self.front.lock:
            self.front.requests.clear()
            self.front.faults.clear()
            self.front.clock_offset = 0
        s = self.ws.sections
        s["Storage"] = {"backend": "s3"}
        s["S3"] = {"bucket": self.bucket, "prefix": PREFIX, "endpoint_url": self.front.url,
                   "region": "us-east-1"}
        s["HTTP"] = {"connect_timeout": "5", "timeout": "30"}
        self.ws.write_config()
        self.ws.env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET})

    def put(self, names):
        """Puts sample images under the prefix; names maps key name -> sample (or a list)."""
        if isinstance(names, list):
            names = {n: n for n in names}
        for name, src in names.items():
            self.server.put(self.bucket, PREFIX + name, sample(src) if isinstance(src, str) else src)

    def keys(self, prefix=PREFIX):
        return [k[len(PREFIX):] for k in self.server.keys(self.bucket, prefix)]

    def run_pp(self, *args, **kw):
        res = self.ws.run(*args, **kw)
        for text in (res.stdout, res.stderr):
            self.assertNotIn(SECRET, text)
            self.assertNotIn(urllib.parse.quote(SECRET, safe=""), text)
        return res

    def signed(self):
        """Every request the front saw; all must have passed its checks."""
        reqs = list(self.front.requests)
        bad = [(r.method, r.path, getattr(r, "denied", None)) for r in reqs if not r.verified]
        self.assertEqual(bad, [])
        return reqs

    def ops(self, reqs):
        """The S3 operation of each request, by method, query and headers."""
        out = []
        for r in reqs:
            if r.method == "GET" and "list-type" in r.query:
                out.append("ListObjectsV2")
            elif r.method == "PUT" and r.header("x-amz-copy-source"):
                out.append("CopyObject")
            else:
                out.append({"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject",
                            "DELETE": "DeleteObject"}[r.method])
        return out

    # -- posting -----------------------------------------------------------------

    def test_run_posts_from_the_bucket_and_archives_by_copy(self):
        self.put([IMG])
        self.server.put(self.bucket, PREFIX + "notes.pdf", b"%PDF")
        self.server.put(self.bucket, PREFIX + "old/" + IMG2, sample(IMG2))
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTiming(res, True, ran=["dropbox_list_images_ms", "sidecar_write_ms", "archive_ms"])
        self.assertOneCorrelation(res)
        posts = self.ws.posts()
        self.assertEqual(len(posts), 1)
        with open(os.path.join(self.ws.outbox, posts[0], IMG), "rb") as f:
            self.assertEqual(f.read(), sample(IMG))
        # archived: image and its sidecar under <prefix>archive/, nothing left
        self.assertEqual(self.keys(), ["archive/" + IMG, "archive/" + stem(IMG) + ".txt",
                                       "notes.pdf", "old/" + IMG2])
        sidecar = self.server.get(self.bucket, PREFIX + "archive/" + stem(IMG) + ".txt").decode()
        self.assertIn("#test", sidecar)
        arch = res.one("storage_archive")
        self.assertEqual((arch["backend"], arch["image"], arch["archived_as"], arch["sidecar"]),
                         ("s3", IMG, IMG, True))
        reqs = self.signed()
        ops = self.ops(reqs)
        self.assertEqual(ops[0], "ListObjectsV2")
        self.assertIn("GetObject", ops)
        # the sidecar: one PUT of text beside the image, its body hashed
        puts = [r for r, o in zip(reqs, ops) if o == "PutObject"]
        self.assertEqual([r.path for r in puts], ["/%s/%s%s.txt" % (self.bucket, PREFIX, stem(IMG))])
        self.assertEqual(puts[0].header("x-amz-content-sha256"), hashlib.sha256(puts[0].body).hexdigest())
        self.assertTrue(puts[0].header("Content-Type").startswith("text/plain"))
        # the archive: CopyObject (x-amz-copy-source encoded) then DeleteObject, for both
        copies = [r for r, o in zip(reqs, ops) if o == "CopyObject"]
        self.assertEqual([r.header("x-amz-copy-source") for r in copies],
                         ["/%s/%s%s" % (self.bucket, PREFIX, IMG),
                          "/%s/%s%s.txt" % (self.bucket, PREFIX, stem(IMG))])
        deletes = [r.path for r, o in zip(reqs, ops) if o == "DeleteObject"]
        self.assertEqual(deletes, ["/%s/%s%s" % (self.bucket, PREFIX, IMG),
                                   "/%s/%s%s.txt" % (self.bucket, PREFIX, stem(IMG))])
        # the listing: sorted, encoded query; the prefix and delimiter asked for
        lst = reqs[0]
        self.assertEqual(lst.raw_query, "delimiter=%2F&encoding-type=url&list-type=2&prefix=incoming%2F")
        # every request signed in its header, with the body's hash
        for r in reqs:
            self.assertTrue(r.header("Authorization").startswith("AWS4-HMAC-SHA256 Credential=%s/" % ACCESS_KEY))
            self.assertIn("x-amz-content-sha256", r.header("Authorization"))

    def test_names_with_spaces_and_unicode(self):
        name = "caf\u00e9 & tea + more.jpg"
        self.put({name: IMG})
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("storage_archive")["archived_as"], name, res.stderr)
        self.assertEqual(self.keys(), ["archive/" + name, "archive/" + stem(name) + ".txt"])
        self.signed()

    def test_listing_of_1100_keys_over_pages(self):
        data = sample(IMG)
        for i in range(1100):
            self.server.put(self.bucket, "%simg-%04d.jpg" % (PREFIX, i), data)
        self.ws.set("Log", "level", "debug")
        res = self.run_pp(timeout=300)
        self.assertEqual(res.rc, 0, res.stderr)
        lst = [l for l in res.events("storage_list") if l.get("backend") == "s3"]
        self.assertEqual(len(lst), 1, res.stderr[-2000:])
        self.assertEqual((lst[0]["images"], lst[0]["pages"]), (1100, 2))
        reqs = [r for r in self.signed() if "list-type" in r.query]
        self.assertEqual(len(reqs), 2)
        self.assertNotIn("continuation-token", reqs[0].query)
        token = reqs[1].query["continuation-token"][0]
        self.assertTrue(token)
        # sent sorted and encoded: the token first
        self.assertTrue(reqs[1].raw_query.startswith("continuation-token=%s&delimiter=%%2F&encoding-type=url&" %
                                                     urllib.parse.quote(token, safe="-_.~")))

    def test_slow_down_then_success(self):
        self.put([IMG])
        self.front.slow_down("/%s" % self.bucket, times=2)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        retries = res.events("http_retry")
        self.assertEqual([r["status"] for r in retries], [503, 503])
        self.assertEqual(len(self.ws.posts()), 1)

    def test_slow_down_without_end_fails_transient(self):
        self.put([IMG])
        self.front.slow_down("/%s" % self.bucket, times=50)
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False)
        self.assertIn("SlowDown", t["error"])
        self.assertIn("after 4 attempts", t["error"])
        self.assertEqual(self.ws.posts(), [])

    def test_missing_object(self):
        self.put([IMG])
        # listed, then gone before the download: S3's own 404 NoSuchKey
        from fakelib import Fault
        from s3_front import error_xml
        self.front.add_fault(Fault("/%s/%s%s" % (self.bucket, PREFIX, IMG), status=404,
                                   body=error_xml("NoSuchKey", "The specified key does not exist.")))
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False)
        self.assertIn("no such image: s3://%s/%s%s" % (self.bucket, PREFIX, IMG), t["error"])
        self.assertIn("NoSuchKey", t["error"])
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.keys(), [IMG])

    def test_wrong_secret_is_refused_clearly(self):
        self.put([IMG])
        self.ws.env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-0000"
        res = self.ws.run()
        for text in (res.stdout, res.stderr):
            self.assertNotIn("not-the-secret-0000", text)
        self.assertEqual(res.rc, 2, res.stderr)
        t = self.assertTiming(res, False)
        self.assertIn("SignatureDoesNotMatch", t["error"])
        self.assertIn('bucket "%s"' % self.bucket, t["error"])
        self.assertIn(self.front.url, t["error"])
        self.assertEqual([r.denied for r in self.front.denied()], ["SignatureDoesNotMatch"])
        self.assertEqual(self.keys(), [IMG])
        # a web server with that secret is not ready, and says why without it
        from webharness import WebServer, curl
        srv = WebServer(self.ws)
        self.addCleanup(srv.kill)
        srv.start()
        r = curl(srv.url + "/health/ready")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["state"], "ok")
        self.assertIn("SignatureDoesNotMatch", r.json()["storage"])
        self.assertNotIn(b"not-the-secret-0000", r.body)
        self.assertEqual(curl(srv.url + "/health/live").status, 200)
        srv.stop()
        # an unknown key id
        self.ws.env.update({"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN", "AWS_SECRET_ACCESS_KEY": SECRET})
        res = self.run_pp()
        self.assertEqual(res.rc, 2, res.stderr)
        self.assertIn("InvalidAccessKeyId", self.assertTiming(res, False)["error"])

    def test_clock_skew_is_named(self):
        self.put([IMG])
        self.front.clock_offset = 3600
        res = self.run_pp()
        self.assertEqual(res.rc, 2, res.stderr)
        err = self.assertTiming(res, False)["error"]
        self.assertIn("RequestTimeTooSkewed", err)
        self.assertIn("clock", err)
        self.assertEqual(self.keys(), [IMG])

    def test_archive_failure_still_records_the_post(self):
        """Posted but the CopyObject keeps failing: the journal records the
        post, so the next run does not send the image again."""
        self.put([IMG])
        self.front.slow_down("/%s/%sarchive/" % (self.bucket, PREFIX), times=100, status=500)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn("HTTP 500 after 4 attempts", res.one("archive_error")["error"])
        self.assertEqual(len(self.ws.posts()), 1)
        self.assertEqual(self.keys(), [IMG, stem(IMG) + ".txt"])
        with self.front.lock:
            self.front.faults.clear()
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        self.assertIn("No new images", self.assertTiming(res, False)["error"])
        self.assertEqual(len(self.ws.posts()), 1)

    def test_missing_keys_and_bad_settings_are_config_errors(self):
        del self.ws.env["AWS_SECRET_ACCESS_KEY"]
        res = self.run_pp()
        self.assertEqual(res.rc, 2)
        self.assertIn("AWS_SECRET_ACCESS_KEY", res.stderr)
        self.ws.env["AWS_SECRET_ACCESS_KEY"] = SECRET
        self.ws.set("S3", "bucket", "Bad_Bucket")
        res = self.run_pp()
        self.assertEqual(res.rc, 2)
        self.assertIn("[S3] bucket", res.stderr)
        self.ws.set("S3", "bucket", self.bucket)
        self.ws.set("S3", "prefix", "../up/")
        res = self.run_pp()
        self.assertEqual(res.rc, 2)
        self.assertIn("[S3] prefix", res.stderr)
        self.assertEqual(self.front.requests, [])

    def test_r2_environment_names(self):
        """Upstream's R2_* values: bucket, endpoint, region and keys."""
        self.put([IMG])
        s = self.ws.sections
        s["S3"] = {"prefix": PREFIX}
        self.ws.write_config()
        self.ws.env = {"R2_ACCESS_KEY_ID": ACCESS_KEY, "R2_SECRET_ACCESS_KEY": SECRET,
                       "R2_ENDPOINT_URL": self.front.url, "R2_BUCKET_NAME": self.bucket,
                       "R2_REGION": "us-east-1"}
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.ws.posts()), 1)
        self.signed()

    # -- presigned URLs ------------------------------------------------------------

    def test_presigned_url_for_the_ai(self):
        self.put([IMG])
        ai = FakeOpenAI(api_key="sk-e2e-s3-0000000000", fetch_links=True).start()
        self.addCleanup(ai.stop)
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", ai.base_url)
        self.ws.env["OPENAI_API_KEY"] = "sk-e2e-s3-0000000000"
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual([i["kind"] for i in ai.images], ["link"])
        url = ai.images[0]["url"]
        self.assertEqual(ai.images[0]["fetched"], sample(IMG))   # the front accepted it
        u = urllib.parse.urlsplit(url)
        self.assertEqual("%s://%s" % (u.scheme, u.netloc), self.front.url)
        self.assertEqual(u.path, "/%s/%s%s" % (self.bucket, PREFIX, IMG))
        q = urllib.parse.parse_qs(u.query)
        self.assertEqual(q["X-Amz-SignedHeaders"], ["host"])
        self.assertEqual(q["X-Amz-Expires"], ["3600"])
        self.assertNotIn(SECRET, url)
        presigned = [r for r in self.front.verified() if "X-Amz-Signature" in r.query]
        self.assertEqual(len(presigned), 1)
        # the object is archived now: put it back and check what the front says
        self.put([IMG])

        def fetch(link):
            try:
                with NO_PROXY.open(link, timeout=10) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        self.assertEqual(fetch(url), (200, sample(IMG)))
        tampered = [url.replace(IMG, IMG2),
                    url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"),
                    re.sub(r"X-Amz-Signature=([0-9a-f])",
                           lambda m: "X-Amz-Signature=" + ("1" if m.group(1) == "0" else "0"), url),
                    url.split("&X-Amz-Signature=")[0] + "&X-Amz-Signature=" + "0" * 64]
        for link in tampered:
            self.assertNotEqual(link, url)
            status, body = fetch(link)
            self.assertEqual(status, 403, link)
            self.assertIn(b"<Code>", body)
        # expired: the front's clock two hours on
        self.front.clock_offset = 7200
        status, body = fetch(url)
        self.assertEqual(status, 403)
        self.assertIn(b"expired", body)
        # a presigned URL is a credential for an hour: no log line holds one
        self.assertNotIn("X-Amz-Signature", res.stderr)

    def test_instagram_fetches_a_presigned_staged_copy(self):
        from fake_graph import FakeGraph
        wide = "bleached-wooden-deck.jpg"
        self.put([wide])
        graph = FakeGraph().start()
        self.addCleanup(graph.stop)
        self.ws.set("Content", "instagram", "true")
        self.ws.sections["Instagram"] = {"user_id": graph.user_id, "graph_url": graph.graph_url(),
                                         "poll_interval": "1", "poll_timeout": "10"}
        self.ws.write_config()
        self.ws.env["INSTAGRAM_ACCESS_TOKEN"] = graph.token
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(graph.published), 1)
        pub = graph.published[0]
        self.assertEqual(pub["size"], (1080, 810))
        u = urllib.parse.urlsplit(pub["image_url"])
        self.assertEqual(u.path, "/%s/%s.photopub-staging/%s" % (self.bucket, PREFIX, wide))
        self.assertIn("X-Amz-Signature", u.query)
        fetched = [r for r in self.signed() if "X-Amz-Signature" in r.query]
        self.assertEqual([r.path for r in fetched], [u.path])
        staged = res.one("storage_staged")
        self.assertEqual(staged["backend"], "s3")
        # the staged copy is gone; the image archived
        self.assertEqual(self.keys(), ["archive/" + wide, "archive/" + stem(wide) + ".txt"])
        self.assertEqual(self.server.keys(self.bucket, PREFIX + ".photopub-staging/"), [])

    def test_web_gives_presigned_links_and_thumbnails(self):
        from webharness import WebServer, curl
        self.put([IMG, IMG2])
        srv = WebServer(self.ws)
        self.addCleanup(srv.kill)
        srv.start()
        # ready: one ListObjectsV2 of one key answered
        r = curl(srv.url + "/health/ready")
        self.assertEqual((r.status, r.json()), (200, {"ready": True, "state": "ok", "storage": "ok"}))
        r = curl(srv.url + "/api/images/random")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertIn(body["filename"], (IMG, IMG2))
        u = urllib.parse.urlsplit(body["temp_url"])
        self.assertEqual(u.path, "/%s/%s%s" % (self.bucket, PREFIX, urllib.parse.quote(body["filename"])))
        with NO_PROXY.open(body["temp_url"], timeout=10) as f:
            self.assertEqual(f.read(), sample(body["filename"]))
        # no thumbnails from S3: the web makes one from a download
        r = curl(srv.url + "/api/images/%s/thumbnail?size=w256h256" % urllib.parse.quote(IMG))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "image/jpeg")
        self.assertEqual(r.body[:3], b"\xff\xd8\xff")
        self.signed()
        self.assertNotIn(SECRET, srv.all_output())

    # -- curation --------------------------------------------------------------------

    def test_curation_keep_remove_delete(self):
        self.put([IMG, IMG2, IMG3])
        self.server.put(self.bucket, PREFIX + stem(IMG) + ".txt", b"a sidecar\n")
        res = self.run_pp(IMG, command="keep")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.stdout, "keep %s: moved to keep/%s with its sidecar\n" % (IMG, IMG))
        self.assertEqual(self.server.get(self.bucket, PREFIX + "keep/" + stem(IMG) + ".txt"),
                         b"a sidecar\n")
        # a taken name in the folder: renamed
        self.put([IMG])
        res = self.run_pp(IMG, command="keep")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMG) + " (1).jpg")
        # a sidecar alone in the folder takes its name too
        self.server.put(self.bucket, PREFIX + "remove/" + stem(IMG2) + ".txt", b"left alone\n")
        res = self.run_pp(IMG2, command="remove")
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("storage_move")["moved_as"], stem(IMG2) + " (1).jpg")
        self.assertEqual(self.server.get(self.bucket, PREFIX + "remove/" + stem(IMG2) + ".txt"),
                         b"left alone\n")
        res = self.run_pp(IMG3, command="delete", env={"FEATURE_DELETE": "true"})
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("storage_delete")["sidecar"], False)
        self.assertEqual(self.keys(), sorted(["keep/" + IMG, "keep/" + stem(IMG) + " (1).jpg",
                                              "keep/" + stem(IMG) + ".txt",
                                              "remove/" + stem(IMG2) + " (1).jpg",
                                              "remove/" + stem(IMG2) + ".txt"]))
        # missing and hostile names
        res = self.run_pp(IMG3, command="delete", env={"FEATURE_DELETE": "true"})
        self.assertEqual(res.rc, 1)
        self.assertEqual(res.one("curate_error")["kind"], "not_found")
        for bad in ("../" + IMG, "keep/" + IMG, "a\x01.jpg"):
            res = self.run_pp(bad, command="remove")
            self.assertNotEqual(res.rc, 0)
        self.assertEqual(self.keys(), sorted(["keep/" + IMG, "keep/" + stem(IMG) + " (1).jpg",
                                              "keep/" + stem(IMG) + ".txt",
                                              "remove/" + stem(IMG2) + " (1).jpg",
                                              "remove/" + stem(IMG2) + ".txt"]))
        self.signed()

    # -- dedup, queue, journal ------------------------------------------------------

    def test_same_image_under_two_names_is_posted_once(self):
        self.put({IMG: IMG, "copy of rocket.jpg": IMG})
        self.ws.set("Content", "archive", "false")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.ws.posts()), 1)
        with self.front.lock:
            self.front.requests.clear()
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        self.assertIn("No new images", self.assertTiming(res, False)["error"])
        self.assertEqual(len(self.ws.posts()), 1)
        # known by its ETag: no image downloaded again
        self.assertNotIn("GetObject", [o for o, r in zip(self.ops(self.signed()), self.front.requests)
                                       if not r.path.endswith(".txt")])
        db = sqlite3.connect(self.ws.state)
        rows = db.execute("SELECT key FROM hash_cache").fetchall()
        db.close()
        self.assertTrue(any(r[0].startswith("s3-etag:") for r in rows), rows)

    def test_undecodable_image_is_quarantined_under_the_prefix(self):
        self.put({"aaa-notes.jpg": b"these are notes, not a JPEG\n", IMG: IMG})
        self.ws.set("Content", "order", "name")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        q = res.one("image_quarantined")
        self.assertEqual((q["image"], q["moved_to"]), ("aaa-notes.jpg", "quarantine/aaa-notes.jpg"))
        self.assertEqual(res.one("image_selected")["image"], IMG)
        self.assertEqual(self.keys(), ["archive/" + IMG, "archive/" + stem(IMG) + ".txt",
                                       "quarantine/aaa-notes.jpg"])

    def forget_state(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.ws.state + suffix):
                os.unlink(self.ws.state + suffix)

    def test_an_etag_that_is_no_md5_of_the_bytes_is_no_content_hash(self):
        """A multipart upload's ETag ("…-2") and one that is not the MD5 of
        the bytes (server-side encryption) never stand for the content: the
        image is downloaded again to be known. (s3rver gives every object
        its MD5 as ETag, so the front rewrites the download's.)"""
        self.put([IMG])
        path = "/%s/%s%s" % (self.bucket, PREFIX, IMG)
        self.ws.set("Content", "archive", "false")
        for etag in ('"0123456789abcdef0123456789abcdef-2"', '"0123456789abcdef0123456789abcdef"'):
            self.front.etags[path] = etag
            self.addCleanup(self.front.etags.clear)
            self.forget_state()
            res = self.run_pp()
            self.assertEqual(res.rc, 0, res.stderr)
            db = sqlite3.connect(self.ws.state)
            rows = db.execute("SELECT key FROM hash_cache").fetchall()
            db.close()
            self.assertEqual(rows, [], etag)
            with self.front.lock:
                self.front.requests.clear()
            res = self.run_pp()
            self.assertEqual(res.rc, 1, res.stderr)
            self.assertIn("No new images", self.assertTiming(res, False)["error"])
            self.assertIn("GetObject", self.ops(self.signed()))
        # the true MD5: known from the cache, nothing downloaded
        self.front.etags.clear()
        self.forget_state()
        self.assertEqual(self.run_pp().rc, 0)
        with self.front.lock:
            self.front.requests.clear()
        res = self.run_pp()
        self.assertEqual(res.rc, 1, res.stderr)
        self.assertNotIn("GetObject", self.ops(self.signed()))

    def test_queue_and_journal(self):
        self.put([IMG, IMG2])
        res = self.run_pp("pin", IMG2, command="queue")
        self.assertEqual(res.rc, 0, res.stderr)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("image_selected")["image"], IMG2)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.one("image_selected")["image"], IMG)
        self.assertEqual(len(self.ws.posts()), 2)
        hist = json.loads(self.run_pp("--json", command="history").stdout)
        self.assertEqual(sorted(r["image"] for r in hist if r["platform"] == "outbox"), [IMG, IMG2])
        self.assertEqual(self.keys(), sorted(["archive/" + IMG, "archive/" + IMG2,
                                              "archive/" + stem(IMG) + ".txt",
                                              "archive/" + stem(IMG2) + ".txt"]))


if __name__ == "__main__":
    harness.main()
