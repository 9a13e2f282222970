"""A fake Bluesky PDS on 127.0.0.1 for what the real one (tests/pds) cannot
be made to do on demand: a 429 with its ratelimit-* headers, an access
token that has expired, and 5xx answers. It speaks the XRPC calls the
publisher makes, with the real reply shapes:
  POST /xrpc/com.atproto.server.createSession   {identifier, password}
       -> {did, handle, accessJwt, refreshJwt, active}
  POST /xrpc/com.atproto.server.refreshSession  Bearer refreshJwt -> the same
  POST /xrpc/com.atproto.repo.uploadBlob        Bearer accessJwt, image bytes
       -> {blob: {$type: blob, ref: {$link}, mimeType, size}}
  POST /xrpc/com.atproto.repo.createRecord      Bearer accessJwt, {repo, collection, record}
       -> {uri, cid}
  errors: {"error": "ExpiredToken" | "InvalidToken" | "AuthenticationRequired" |
           "RateLimitExceeded" | "InternalServerError", "message": "…"}
Every request is recorded (fake.seen()); fake.records holds the posts."""

import hashlib
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeHandler, FakeServer, Fault  # noqa: E402

DID = "did:plc:fakefakefakefakefakefake"
XRPC = "/xrpc/"


def err(name, message):
    return {"error": name, "message": message}


class BlueskyHandler(FakeHandler):
    def route(self, rec):
        fake = self.server
        if not rec.path.startswith(XRPC):
            return self.reply(404, err("NotFound", "not found"))
        nsid = rec.path[len(XRPC):]
        auth = rec.header("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        if nsid == "com.atproto.server.createSession":
            body = rec.json()
            if body.get("identifier") != fake.handle or body.get("password") != fake.password:
                return self.reply(401, err("AuthenticationRequired", "Invalid identifier or password"))
            return self.reply(200, fake.new_session())
        if nsid == "com.atproto.server.refreshSession":
            with fake.lock:
                ok = token is not None and token == fake.refresh
            if not ok:
                return self.reply(400, err("ExpiredToken", "Token has been revoked"))
            return self.reply(200, fake.new_session())
        with fake.lock:
            if token is None:
                return self.reply(401, err("AuthenticationRequired", "Authentication Required"))
            if token in fake.expired or token != fake.access:
                return self.reply(400, err("ExpiredToken", "Token has expired"))
        if nsid == "com.atproto.repo.uploadBlob":
            data = rec.body
            link = "bafkrei" + hashlib.sha256(data).hexdigest()[:52]
            with fake.lock:
                fake.blobs[link] = data
            return self.reply(200, {"blob": {"$type": "blob", "ref": {"$link": link},
                                             "mimeType": rec.header("Content-Type"),
                                             "size": len(data)}})
        if nsid == "com.atproto.repo.createRecord":
            body = rec.json()
            rkey = "3l" + secrets.token_hex(6)
            with fake.lock:
                fake.records.append(body)
            return self.reply(200, {"uri": "at://%s/%s/%s" % (DID, body["collection"], rkey),
                                    "cid": "bafyrei" + secrets.token_hex(20)})
        return self.reply(501, err("MethodNotImplemented", "Method Not Implemented"))


class FakeBluesky(FakeServer):
    def __init__(self, handle="photopub.test", password="abcd-efgh-ijkl-mnop"):
        super().__init__(BlueskyHandler)
        self.handle = handle
        self.password = password
        self.access = None
        self.refresh = None
        self.expired = set()
        self.blobs = {}
        self.records = []
        self.sessions = 0

    def new_session(self):
        with self.lock:
            self.sessions += 1
            self.access = "eyJhY2Nlc3Mi.%s.%d" % (secrets.token_hex(16), self.sessions)
            self.refresh = "eyJyZWZyZXNoIi.%s.%d" % (secrets.token_hex(16), self.sessions)
            return {"did": DID, "handle": self.handle, "accessJwt": self.access,
                    "refreshJwt": self.refresh, "active": True}

    def expire_access(self):
        """The current access token is now expired (refresh still works)."""
        with self.lock:
            self.expired.add(self.access)

    def revoke_refresh(self):
        with self.lock:
            self.refresh = None

    def rate_limit(self, nsid, reset_in, times=1):
        """The next `times` calls of nsid get a 429 whose reset is reset_in
        seconds from now."""
        reset = int(time.time()) + reset_in
        self.add_fault(Fault(XRPC + nsid, status=429, times=times,
                             body=err("RateLimitExceeded", "Rate Limit Exceeded"),
                             headers={"ratelimit-limit": "30", "ratelimit-remaining": "0",
                                      "ratelimit-reset": str(reset),
                                      "ratelimit-policy": "30;w=300"}))
        return reset

    def fail(self, nsid, status=502, times=1):
        self.add_fault(Fault(XRPC + nsid, status=status, times=times,
                             body=err("InternalServerError", "Internal Server Error")))

    def calls(self, nsid):
        return self.seen(XRPC + nsid)
