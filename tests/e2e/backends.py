"""The storage and state backends of the end-to-end tests, behind one small
interface each, so that one suite runs over every pair (test_matrix.py).

A storage backend sets a harness.Workspace up to read its images from
there, puts images, lists the folder or a folder inside it (archive/,
keep/, remove/) and reads a file there (a sidecar). Its server (s3rver
behind the signing front, the Dropbox fake) starts once, on first use, and
stops at stop_all(); each workspace gets a bucket or folder of its own.

A state backend sets up [State] (a SQLite file, or a schema of its own on
the PostgreSQL server of the ctest fixture pg.start) and reads what the
tests check through photopub itself (`history --json`, `queue --json`),
never through a database client, so one assertion holds on both."""

import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import harness  # noqa: E402
from fake_dropbox import FakeDropbox  # noqa: E402
from s3_front import S3Front  # noqa: E402
import test_s3  # noqa: E402  (s3rver, its install and its credentials)
import test_concurrent  # noqa: E402  (the fixture's server, a schema of one's own)


def sample(name):
    with open(os.path.join(harness.EXAMPLES, name), "rb") as f:
        return f.read()


# -- storage ----------------------------------------------------------------------

class LocalStorage:
    """The folder [Storage] path of the workspace (harness's default)."""
    name = "local"

    def setup(self, ws):
        self.ws = ws
        ws.sections["Storage"] = {"backend": "local", "path": ws.images}
        ws.write_config()

    def put(self, name, data, modified=None):
        path = os.path.join(self.ws.images, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if modified is not None:
            os.utime(path, (modified, modified))

    def files(self, sub=""):
        d = os.path.join(self.ws.images, sub)
        return sorted(f for f in os.listdir(d) if os.path.isfile(os.path.join(d, f))) \
            if os.path.isdir(d) else []

    def read(self, name):
        path = os.path.join(self.ws.images, name)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def teardown(self):
        pass

    @classmethod
    def stop_all(cls):
        pass


class DropboxStorage:
    """A folder of its own on the Dropbox fake, which starts once."""
    name = "dropbox"
    APP_KEY = "matrix-app-key-5120"
    APP_SECRET = "matrix-dbx-secret-3e8d1b"
    REFRESH = "matrix-dbx-refresh-9a7c6f"
    fake = None
    counter = 0

    @classmethod
    def server(cls):
        if cls.fake is None:
            cls.fake = FakeDropbox(app_key=cls.APP_KEY, app_secret=cls.APP_SECRET,
                                   refresh_token=cls.REFRESH).start()
        return cls.fake

    def setup(self, ws):
        DropboxStorage.counter += 1
        self.folder = "/Photos-%d" % DropboxStorage.counter
        fake = self.server()
        ws.sections["Storage"] = {"backend": "dropbox"}
        ws.sections["Dropbox"] = {"image_folder": self.folder, "api_url": fake.url,
                                  "content_url": fake.url, "oauth_url": fake.url}
        ws.sections["HTTP"] = {"connect_timeout": "5", "timeout": "20"}
        ws.write_config()
        ws.env.update({"DROPBOX_APP_KEY": self.APP_KEY, "DROPBOX_APP_SECRET": self.APP_SECRET,
                       "DROPBOX_REFRESH_TOKEN": self.REFRESH})

    def put(self, name, data, modified=None):
        self.fake.put("%s/%s" % (self.folder, name), data, modified)

    def files(self, sub=""):
        return self.fake.names(self.folder + ("/" + sub if sub else ""))

    def read(self, name):
        return self.fake.get("%s/%s" % (self.folder, name))

    def teardown(self):
        pass

    @classmethod
    def stop_all(cls):
        if cls.fake is not None:
            cls.fake.stop()
            cls.fake = None


class S3Storage:
    """A bucket of its own on s3rver behind the signing front (test_s3.py),
    which start once; the images under a prefix."""
    name = "s3"
    PREFIX = "incoming/"
    s3rver = None
    front = None
    counter = 0

    @classmethod
    def servers(cls):
        if cls.s3rver is None:
            test_s3.setup_modules()
            cls.s3rver = test_s3.S3rver()
            cls.front = S3Front(cls.s3rver.url, test_s3.ACCESS_KEY, test_s3.SECRET).start()
        return cls.s3rver, cls.front

    def setup(self, ws):
        S3Storage.counter += 1
        self.last_put = None
        self.bucket = "matrix-%d-%d" % (os.getpid(), S3Storage.counter)
        server, front = self.servers()
        server.make_bucket(self.bucket)
        ws.sections["Storage"] = {"backend": "s3"}
        ws.sections["S3"] = {"bucket": self.bucket, "prefix": self.PREFIX,
                             "endpoint_url": front.url, "region": "us-east-1"}
        ws.sections["HTTP"] = {"connect_timeout": "5", "timeout": "30"}
        ws.write_config()
        ws.env.update({"AWS_ACCESS_KEY_ID": test_s3.ACCESS_KEY,
                       "AWS_SECRET_ACCESS_KEY": test_s3.SECRET})

    def put(self, name, data, modified=None):
        """modified: s3rver's LastModified is the time of the PUT, to the
        second, so puts given times come a second after the one before."""
        if modified is not None:
            if self.last_put:
                time.sleep(max(0.0, self.last_put + 1.05 - time.time()))
            self.last_put = time.time()
        self.s3rver.put(self.bucket, self.PREFIX + name, data)

    def files(self, sub=""):
        prefix = self.PREFIX + (sub.rstrip("/") + "/" if sub else "")
        return sorted(k[len(prefix):] for k in self.s3rver.keys(self.bucket, prefix)
                      if "/" not in k[len(prefix):])

    def read(self, name):
        return self.s3rver.get(self.bucket, self.PREFIX + name)

    def teardown(self):
        pass

    @classmethod
    def stop_all(cls):
        if cls.front is not None:
            cls.front.stop()
            cls.s3rver.conn.close()
            cls.s3rver.stop()
            cls.s3rver.proc.stdout.close()
            cls.front = cls.s3rver = None


STORAGES = [LocalStorage, DropboxStorage, S3Storage]


# -- state ------------------------------------------------------------------------

class State:
    """What every state backend reads through photopub."""

    def setup(self, ws):
        self.ws = ws

    def history(self):
        """`photopub history --json`: every row, oldest first as it prints them."""
        res = self.ws.run("--json", command="history")
        if res.rc != 0:
            raise AssertionError("history --json failed:\n" + res.stderr[-2000:])
        return json.loads(res.stdout)

    def posted(self, platform="outbox"):
        """The images the history says were posted on platform, sorted."""
        return sorted(r["image"] for r in self.history()
                      if r["platform"] == platform and r["action"] is None and r["success"])

    def queue(self):
        """`photopub queue --json`: the items, in the order runs post them."""
        res = self.ws.run("--json", "--limit", "10000", command="queue")
        if res.rc != 0:
            raise AssertionError("queue --json failed:\n" + res.stderr[-2000:])
        return json.loads(res.stdout)["items"]


class SqliteState(State):
    """The file [State] path in the workspace (harness's default)."""
    name = "sqlite"

    def setup(self, ws):
        super().setup(ws)
        ws.sections["State"] = {"path": ws.state}
        ws.write_config()


class PostgresState(State):
    """A fresh schema on the fixture's PostgreSQL server."""
    name = "postgres"

    def setup(self, ws):
        super().setup(ws)
        url = test_concurrent.schema_url(test_concurrent.pg_url(),
                                         "matrix_%s" % uuid.uuid4().hex[:12])
        ws.sections["State"] = {"backend": "postgres", "url": url}
        ws.write_config()


STATES = [SqliteState, PostgresState]


def stop_all():
    for s in STORAGES:
        s.stop_all()
