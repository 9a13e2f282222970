"""A fake Mastodon API server on 127.0.0.1 (docs.joinmastodon.org/methods),
also standing in for Pixelfed (pixelfed=True) over the subset they share.
Every call needs `Authorization: Bearer <token>`; a wrong one gets
401 {"error": "The access token is invalid"}.

  GET  /api/v2/instance   configuration.statuses.max_characters and
                          configuration.media_attachments.{image_size_limit,
                          image_matrix_limit, description_limit,
                          supported_mime_types} (fake.limits); 404 when
                          fake.v2_instance is False (older servers)
  GET  /api/v1/instance   the same configuration, without description_limit
  POST /api/v2/media      multipart `file` (+ `description`): 200 with a url
                          (ready), or 202 with url null while fake.processing
                          polls remain (Pixelfed: always 202); 422
                          {"error": "Validation failed: …"} for a file over the
                          size or pixel limit, a type not supported, or a
                          description over description_limit
  POST /api/v1/media      the same, always 200 (synchronous)
  GET  /api/v1/media/:id  206 (no body) while processing, then 200 with a url;
                          404 {"error": "Record not found"}
  POST /api/v1/statuses   form or JSON: status, media_ids[], sensitive,
                          spoiler_text, visibility, language; 422 when the text
                          (with the content warning, on Mastodon) passes
                          max_characters, a media id is unknown or still
                          processing, or the visibility is not taken. With an
                          Idempotency-Key seen before: Mastodon returns the
                          status it posted then (no second post); Pixelfed
                          answers 400 {"message": "Duplicate idempotency key."}

Scripted answers: fake.rate_limit(path, reset_in) answers 429 {"error":
"Too many requests"} with X-RateLimit-Reset set to now + reset_in seconds
(ISO 8601, as Mastodon sends it) at the time of the request; fake.add_fault
(fakelib) for 5xx, hangs and the rest; fake.late_replies = N posts the next N
statuses but answers each fake.late_delay seconds later (a reply lost to the
client's timeout). fake.statuses holds every status
posted (its fields, headers and the attached media), fake.uploads every
media upload (fields, bytes, JPEG size).

Standard library only; run under /usr/bin/python3."""

import datetime
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeHandler, FakeServer  # noqa: E402
from fake_telegram import jpeg_size, parse_multipart  # noqa: E402


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class MastodonHandler(FakeHandler):
    def route(self, rec):
        fake = self.server
        if rec.header("Authorization") != "Bearer " + fake.token:
            return self.reply(401, {"error": "The access token is invalid"})
        limited = fake.take_rate_limit(rec.path)
        if limited is not None:
            return self.reply(429, {"error": "Too many requests"}, headers={
                "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": limited})
        if rec.method == "GET" and rec.path == "/api/v2/instance":
            if not fake.v2_instance:
                return self.reply(404, {"error": "Not found"})
            return self.reply(200, fake.instance(2))
        if rec.method == "GET" and rec.path == "/api/v1/instance":
            return self.reply(200, fake.instance(1))
        if rec.method == "POST" and rec.path in ("/api/v2/media", "/api/v1/media"):
            return self.upload(rec, rec.path == "/api/v2/media")
        if rec.method == "GET" and rec.path.startswith("/api/v1/media/"):
            return self.media_get(rec.path[len("/api/v1/media/"):])
        if rec.method == "POST" and rec.path == "/api/v1/statuses":
            return self.status(rec)
        self.reply(404, {"error": "Record not found"})

    def upload(self, rec, v2):
        fake = self.server
        ctype = rec.header("Content-Type") or ""
        fields = parse_multipart(ctype, rec.body) if ctype.startswith("multipart/form-data") else None
        if not fields or "file" not in fields or not fields["file"][2]:
            return self.reply(422, {"error": "Validation failed: File can't be blank"})
        filename, mime, data = fields["file"]
        desc = fields["description"][2].decode("utf-8") if "description" in fields else None
        lim = fake.limits
        if mime not in lim["supported_mime_types"]:
            return self.reply(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        if len(data) > lim["image_size_limit"]:
            return self.reply(422, {"error": "Validation failed: File file size must be less than %d bytes"
                                    % lim["image_size_limit"]})
        size = jpeg_size(data) if mime == "image/jpeg" else png_size(data)
        if size is None:
            return self.reply(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        if size[0] * size[1] > lim["image_matrix_limit"]:
            return self.reply(422, {"error": "Validation failed: File dimensions are too large"})
        if desc is not None and len(desc) > lim["description_limit"]:
            return self.reply(422, {"error": "Validation failed: Description is too long (maximum is %d characters)"
                                    % lim["description_limit"]})
        with fake.lock:
            fake.next_media += 1
            mid = str(fake.next_media)
            polls = (max(fake.processing, 1) if fake.pixelfed else fake.processing) if v2 else 0
            m = {"id": mid, "filename": filename, "content_type": mime, "bytes": data, "size": size,
                 "description": desc, "pending": polls, "v2": v2}
            fake.media[mid] = m
            fake.uploads.append(m)
        if polls:
            return self.reply(202, fake.attachment(m, ready=False))
        self.reply(200, fake.attachment(m, ready=True))

    def media_get(self, mid):
        fake = self.server
        with fake.lock:
            m = fake.media.get(mid)
            if m is None:
                return self.reply(404, {"error": "Record not found"})
            fake.polls += 1
            if m["pending"] > 0:
                m["pending"] -= 1
            # Pixelfed answers 200 as soon as it is asked; Mastodon 206 while processing
            still = m["pending"] > 0 and not fake.pixelfed
        if still:
            return self.reply(206, b"")
        self.reply(200, fake.attachment(m, ready=True))

    def status(self, rec):
        fake = self.server
        ctype = rec.header("Content-Type") or ""
        if ctype.startswith("application/json"):
            body = rec.json()
            form = {k: v if isinstance(v, list) else [v] for k, v in body.items()}
            if "media_ids" in form:
                form["media_ids[]"] = form.pop("media_ids")
        else:
            form = urllib.parse.parse_qs(rec.body.decode("utf-8"), keep_blank_values=True)

        def one(k, default=None):
            return form[k][0] if k in form else default
        key = rec.header("Idempotency-Key")
        with fake.lock:
            if key and key in fake.keys:
                if fake.pixelfed:
                    return self.reply(400, {"message": "Duplicate idempotency key."})
                return self.reply(200, fake.keys[key])
        text = one("status", "")
        spoiler = one("spoiler_text", "")
        ids = form.get("media_ids[]", [])
        lim = fake.limits
        count = len(text) + (0 if fake.pixelfed else len(spoiler))
        if count > lim["max_characters"]:
            return self.reply(422, {"error": "Validation failed: Text character limit of %d exceeded"
                                    % lim["max_characters"]})
        if fake.pixelfed and len(spoiler) > 140:
            return self.reply(422, {"message": "The spoiler text may not be greater than 140 characters."})
        if not ids and not text:
            return self.reply(422, {"error": "Validation failed: Text can't be blank"})
        visibility = one("visibility", "public")
        allowed = ("public", "unlisted", "private") + (() if fake.pixelfed else ("direct",))
        if visibility not in allowed:
            return self.reply(422, {"error": "Validation failed: Visibility is not included in the list"})
        with fake.lock:
            media = []
            for i in ids:
                m = fake.media.get(i)
                if m is None:
                    return self.reply(422, {"error": "Validation failed: Media ids are invalid"})
                if m["pending"] > 0:
                    return self.reply(422, {"error": "Cannot attach files that have not finished "
                                            "processing. Try again in a moment!"})
                media.append(m)
            fake.next_status += 1
            sid = str(103254962155278888 + fake.next_status)
            st = {"id": sid, "created_at": "2026-12-03T10:00:00.000Z",
                  "url": "%s/@photopub/%s" % (fake.public_url, sid),
                  "uri": "%s/users/photopub/statuses/%s" % (fake.public_url, sid),
                  "content": "<p>%s</p>" % text,
                  "sensitive": one("sensitive", "false") in ("true", "1", True),
                  "spoiler_text": spoiler, "visibility": visibility, "language": one("language"),
                  "media_attachments": [fake.attachment(m, ready=True) for m in media]}
            fake.statuses.append({"fields": {k: v for k, v in form.items()}, "status": text,
                                  "spoiler_text": spoiler, "sensitive": one("sensitive"),
                                  "visibility": visibility, "language": one("language"),
                                  "media_ids": ids, "media": media, "key": key,
                                  "headers": rec.headers, "reply": st})
            if key:
                fake.keys[key] = st
            late = fake.late_replies > 0
            if late:
                fake.late_replies -= 1
        if late:   # posted, but the answer comes after the client gave up
            time.sleep(fake.late_delay)
            try:
                self.reply(200, st)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        self.reply(200, st)


class FakeMastodon(FakeServer):
    def __init__(self, token="mastodon-e2e-Kq8Zr2Vx5Tn9Lw3Pa7", pixelfed=False):
        super().__init__(MastodonHandler)
        self.token = token
        self.pixelfed = pixelfed
        self.public_url = "https://pixelfed.example" if pixelfed else "https://mastodon.example"
        self.v2_instance = True
        self.processing = 0       # polls a v2 upload stays processing (202, then 206s)
        self.limits = {
            "max_characters": 500,
            "image_size_limit": 16777216,
            "image_matrix_limit": 33177600,
            "description_limit": 1500,
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
        }
        self.media = {}
        self.uploads = []
        self.statuses = []
        self.keys = {}
        self.polls = 0
        self.next_media = 22348640
        self.next_status = 0
        self.rate_limits = []     # [path, times, reset_in]
        self.late_replies = 0     # statuses posted whose reply waits late_delay s
        self.late_delay = 3.0

    def instance(self, version):
        media = {k: self.limits[k] for k in ("image_size_limit", "image_matrix_limit",
                                            "supported_mime_types")}
        media.update({"video_size_limit": 103809024, "video_frame_rate_limit": 120,
                      "video_matrix_limit": 8294400})
        if version == 2 and not self.pixelfed:
            media["description_limit"] = self.limits["description_limit"]
        conf = {"statuses": {"max_characters": self.limits["max_characters"],
                             "max_media_attachments": 4, "characters_reserved_per_url": 23},
                "media_attachments": media}
        if version == 2:
            return {"domain": "mastodon.example", "title": "Fake", "version": "4.4.0",
                    "configuration": conf}
        return {"uri": "mastodon.example", "title": "Fake", "version": "4.4.0",
                "configuration": conf}

    def attachment(self, m, ready):
        url = "%s/media/%s/original.jpg" % (self.public_url, m["id"])
        return {"id": m["id"], "type": "image", "url": url if ready else None,
                "preview_url": "%s/media/%s/small.jpg" % (self.public_url, m["id"]),
                "remote_url": None, "description": m["description"],
                "meta": {"original": {"width": m["size"][0], "height": m["size"][1]}}}

    def rate_limit(self, path, reset_in, times=1):
        with self.lock:
            self.rate_limits.append([path, times, reset_in])

    def take_rate_limit(self, path):
        with self.lock:
            for r in self.rate_limits:
                if r[0] == path:
                    r[1] -= 1
                    if r[1] <= 0:
                        self.rate_limits.remove(r)
                    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=r[2])
                    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        return None


if __name__ == "__main__":
    f = FakeMastodon(pixelfed="--pixelfed" in sys.argv).start()
    print(f.url, flush=True)
    threading.Event().wait()
