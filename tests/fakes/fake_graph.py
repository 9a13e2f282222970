"""A fake Instagram Graph API (content publishing) on 127.0.0.1:
  POST /{version}/{user_id}/media          image_url, caption, alt_text? -> {"id": container}
  GET  /{version}/{container}?fields=status_code -> {"status_code": …, "id": …}
  POST /{version}/{user_id}/media_publish  creation_id -> {"id": media}
  GET  /{version}/{media}?fields=permalink -> {"permalink": "https://www.instagram.com/p/…/", "id": …}
Like Meta's servers it fetches image_url itself and checks what Instagram
checks (a JPEG, width 320–1440, aspect ratio 4:5 … 1.91:1, at most 8 MB,
caption ≤ 2200 characters and ≤ 30 hashtags); errors have the Graph API's
shape {"error": {"message", "type", "code", "fbtrace_id"}}. The container's
status goes through the scripted sequence (default IN_PROGRESS, FINISHED)."""

import os
import re
import sys
import threading
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeHandler, FakeServer, Fault  # noqa: E402
from fake_telegram import jpeg_size  # noqa: E402

VERSION = "v21.0"


class GraphHandler(FakeHandler):
    def route(self, rec):
        fake = self.server
        token = None
        auth = rec.header("Authorization") or ""
        if auth.startswith("Bearer "):
            token = auth[7:]
        form = urllib.parse.parse_qs(rec.body.decode("utf-8")) if rec.body else {}
        token = token or (form.get("access_token") or rec.query.get("access_token") or [None])[0]
        if token != fake.token:
            return self.error(400, "Invalid OAuth access token - Cannot parse access token",
                              "OAuthException", 190)
        parts = rec.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != VERSION:
            return self.error(400, "Unknown path components", "OAuthException", 2500)
        if len(parts) == 3 and parts[1] == fake.user_id and parts[2] == "media" and rec.method == "POST":
            return self.create(form)
        if len(parts) == 3 and parts[1] == fake.user_id and parts[2] == "media_publish" and rec.method == "POST":
            return self.publish(form)
        if len(parts) == 2 and rec.method == "GET" and parts[1] in fake.containers:
            return self.status(parts[1], rec.query)
        if len(parts) == 2 and rec.method == "GET" and parts[1] in fake.media:
            return self.media_fields(parts[1], rec.query)
        return self.error(400, "Unsupported request", "GraphMethodException", 100)

    def error(self, status, message, etype="OAuthException", code=100):
        self.reply(status, {"error": {"message": message, "type": etype, "code": code,
                                      "fbtrace_id": "AbCdEfGh123"}})

    def create(self, form):
        fake = self.server
        url = (form.get("image_url") or [""])[0]
        caption = (form.get("caption") or [""])[0]
        alt_text = (form.get("alt_text") or [None])[0]  # None: not sent
        if len(caption) > 2200:
            return self.error(400, "The caption is too long", "OAuthException", 100)
        if len(re.findall(r"#\w+", caption)) > 30:
            return self.error(400, "The caption has more than 30 hashtags", "OAuthException", 100)
        try:
            data = urllib.request.urlopen(url, timeout=5).read()
        except Exception as e:  # the real API: "Media download has failed"
            return self.error(400, "Media download has failed.: %s" % e, "OAuthException", 9004)
        size = jpeg_size(data)
        if size is None:
            return self.error(400, "Only photo or video can be accepted as media type.",
                              "OAuthException", 9004)
        w, h = size
        ratio = w / h
        if not (320 <= w <= 1440) or not (0.8 - 1e-3 <= ratio <= 1.91 + 1e-3) or len(data) > 8 << 20:
            return self.error(400, "The aspect ratio is not supported.", "OAuthException", 36003)
        with fake.lock:
            fake.next_id += 1
            cid = "1789%011d" % fake.next_id
            fake.containers[cid] = {"image_url": url, "caption": caption, "alt_text": alt_text,
                                    "size": size,
                                    "bytes": len(data), "polls": 0,
                                    "statuses": list(fake.status_sequence)}
        self.reply(200, {"id": cid})

    def status(self, cid, query):
        fake = self.server
        with fake.lock:
            c = fake.containers[cid]
            c["polls"] += 1
            st = c["statuses"].pop(0) if len(c["statuses"]) > 1 else c["statuses"][0]
        self.reply(200, {"status_code": st, "id": cid})

    def publish(self, form):
        fake = self.server
        cid = (form.get("creation_id") or [""])[0]
        with fake.lock:
            c = fake.containers.get(cid)
            if c is None:
                return self.error(400, "Invalid parameter", "OAuthException", 100)
            if c["statuses"][0] != "FINISHED":
                return self.error(400, "Media ID is not available", "OAuthException", 9007)
            fake.next_id += 1
            mid = "1790%011d" % fake.next_id
            fake.published.append({"container": cid, "media_id": mid, **c})
            fake.media[mid] = {"id": mid, "permalink": "https://www.instagram.com/p/Fk%s/" % mid[-6:]}
        self.reply(200, {"id": mid})

    def media_fields(self, mid, query):
        # Like the Graph API: the fields asked for, and the id.
        fields = (query.get("fields") or ["id"])[0].split(",")
        md = self.server.media[mid]
        out = {"id": mid}
        for f in fields:
            if f not in md:
                return self.error(400, "Tried accessing nonexisting field (%s)" % f,
                                  "OAuthException", 100)
            out[f] = md[f]
        self.reply(200, out)


class FakeGraph(FakeServer):
    def __init__(self, token="IGQVJfakeGraphToken0123456789", user_id="17841400000000001"):
        super().__init__(GraphHandler)
        self.token = token
        self.user_id = user_id
        self.next_id = 0
        self.containers = {}
        self.published = []
        self.media = {}
        self.status_sequence = ["IN_PROGRESS", "FINISHED"]

    def graph_url(self):
        return "%s/%s" % (self.url, VERSION)

    def fail_path(self, suffix, status, message, code=100, times=1, delay=0.0):
        self.add_fault(Fault("/%s/%s" % (VERSION, suffix), status=status, delay=delay,
                             body={"error": {"message": message, "type": "OAuthException",
                                             "code": code, "fbtrace_id": "x"}}, times=times))


if __name__ == "__main__":
    f = FakeGraph().start()
    print(f.url, flush=True)
    threading.Event().wait()
