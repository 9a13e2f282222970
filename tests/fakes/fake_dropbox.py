"""Fake Dropbox API v2 for the tests: an in-memory Dropbox on 127.0.0.1 that
answers the calls photopub makes, with the real shapes of replies and errors.

  POST /oauth2/token                      refresh-token grant, client credentials
                                          (HTTP Basic or client_id/client_secret)
  POST /2/files/list_folder[/continue]    pages of page_size entries, cursors
  POST /2/files/get_temporary_link        link to GET /tmp-link/<token> (served here)
  POST /2/files/get_metadata, create_folder_v2, move_v2, delete_v2
  POST /2/files/download, /2/files/upload arguments in Dropbox-API-Arg (must be
                                          ASCII JSON), result in Dropbox-API-Result
  POST /2/files/get_thumbnail_v2          ThumbnailV2Arg (resource, format, size,
                                          mode) in Dropbox-API-Arg; the body is a
                                          small JPEG naming the file and size
                                          (thumbnail_bytes), the result a
                                          PreviewResult; ThumbnailV2Error 409s

Paths are case-insensitive and keep their display case, as on Dropbox. Every
call needs `Authorization: Bearer <token>` with a token /oauth2/token issued
("sl.fake-<n>"); a token can be expired on demand (the next call gets 401
expired_access_token). 409 errors carry the real `.tag` trees and an
error_summary ending in a varying number of dots. content_hash is Dropbox's
algorithm. Everything received is recorded (fakelib.FakeServer) and downloads
are counted per path.

Standard library only; run under /usr/bin/python3.

    fake = FakeDropbox(app_key="k", app_secret="s", refresh_token="r").start()
    fake.put("/Photos/a.jpg", data)
    ... photopub with api_url = content_url = oauth_url = fake.url ...
    fake.downloads["/photos/a.jpg"], fake.calls("list_folder/continue"), fake.stop()
"""

import base64
import collections
import hashlib
import itertools
import json
import posixpath
import threading
import time
import urllib.parse

try:
    from fakelib import FakeHandler, FakeServer
except ImportError:  # imported as tests.fakes.fake_dropbox
    from .fakelib import FakeHandler, FakeServer

BLOCK = 4 * 1024 * 1024
# An 8x6 JPEG: what every fake thumbnail is made of (the standard library
# cannot resize; tests compare the bytes photopub serves with these).
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4"
    "UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAGAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRol"
    "JicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ip"
    "qrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA"
    "AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLR"
    "ChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaX"
    "mJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEA"
    "PwCjRRRXnn0R/9k=")
THUMB_SIZES = ("w32h32", "w64h64", "w128h128", "w256h256", "w480h320", "w640h480", "w960h640",
               "w1024h768", "w2048h1536", "w3200h2400")
THUMB_FORMATS = ("jpeg", "png", "webp")
THUMB_MODES = ("strict", "bestfit", "fitone_bestfit", "original")
THUMB_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tiff", ".tif", ".gif", ".webp", ".ppm", ".bmp")
THUMB_MAX_BYTES = 20 * 1024 * 1024   # "Photos larger than 20MB won't be converted"


def thumbnail_bytes(path_lower, size):
    """The fake's thumbnail of a file: TINY_JPEG with a JPEG comment segment
    (FF FE) right after SOI naming the file and the size."""
    note = ("thumbnail %s %s" % (path_lower, size)).encode("utf-8")
    return TINY_JPEG[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + TINY_JPEG[2:]
RPC_TYPES = ("application/json", "application/json; charset=utf-8",
             "text/plain; charset=dropbox-cors-hack")
CONTENT_TYPES = ("application/octet-stream", "application/octet-stream; charset=utf-8",
                 "text/plain", "text/plain; charset=utf-8", "text/plain; charset=dropbox-cors-hack")


def content_hash(data):
    """Dropbox's content hash: SHA-256 of the concatenated SHA-256 digests of
    every 4 MiB block."""
    outer = hashlib.sha256()
    for i in range(0, len(data), BLOCK):
        outer.update(hashlib.sha256(data[i:i + BLOCK]).digest())
    return outer.hexdigest()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def union(*tags, extra=None):
    """{".tag": a, a: {".tag": b, …}} for tags (a, b, …)."""
    inner = {".tag": tags[-1]}
    if extra:
        inner.update(extra)
    for t in reversed(tags[:-1]):
        inner = {".tag": t, t: inner}
    return inner


class ApiError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeDropbox:
    def __init__(self, app_key="fake-app-key", app_secret="fake-app-secret",
                 refresh_token="fake-refresh-token", page_size=500, token_lifetime=14400):
        self.app_key = app_key
        self.app_secret = app_secret
        self.refresh_token = refresh_token
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.lock = threading.RLock()
        self.files = {}       # path_lower -> {"display", "data", "id", "rev", "modified", "hash"}
        self.folders = {}     # path_lower -> {"display", "id"} (explicit folders)
        self.valid_tokens = set()
        self.expired_tokens = set()
        self.tokens_issued = 0
        self.expire_after_calls = None
        self.api_calls = 0
        self.cursors = {}
        self.links = {}       # token -> path_lower
        self.downloads = collections.Counter()      # path_lower -> /2/files/download count
        self.link_fetches = collections.Counter()   # path_lower -> GET /tmp-link count
        self.thumbnails = collections.Counter()     # path_lower -> get_thumbnail_v2 count
        self.busy = collections.Counter()  # endpoint -> seconds spent building its answers
        self.latency = 0.0        # seconds added to every /2/ call
        self._ids = itertools.count(1)
        self._revs = itertools.count(0x15f0000001)
        self._dots = itertools.cycle([1, 2, 3])
        self.server = FakeServer(DropboxHandler)
        self.server.dbx = self

    # ---- life cycle and inspection -------------------------------------------

    @property
    def url(self):
        return self.server.url

    def start(self):
        self.server.start()
        return self

    def stop(self):
        self.server.stop()

    def put(self, path, data, modified=None):
        with self.lock:
            self._write(path, data, modified)

    def get(self, path):
        with self.lock:
            f = self.files.get(path.lower())
            return None if f is None else f["data"]

    def exists(self, path):
        with self.lock:
            return path.lower() in self.files or self._is_folder(path.lower())

    def names(self, folder):
        """Display names of the files directly inside folder, sorted."""
        with self.lock:
            lower = folder.lower().rstrip("/")
            return sorted(posixpath.basename(f["display"]) for k, f in self.files.items()
                          if posixpath.dirname(k) == lower)

    def metadata(self, path):
        with self.lock:
            return self._file_md(path.lower())

    def expire_token(self):
        """Every token issued so far answers 401 expired_access_token from now on."""
        with self.lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens.clear()

    def expire_after(self, calls):
        """Expires the tokens after `calls` more authorized /2/ calls."""
        with self.lock:
            self.expire_after_calls = self.api_calls + calls

    @property
    def list_seconds(self):
        """Time the fake spent answering list_folder and list_folder/continue."""
        with self.lock:
            return self.busy["list_folder"] + self.busy["list_folder/continue"]

    def calls(self, endpoint):
        """Recorded requests of /2/files/<endpoint>, oldest first."""
        return self.server.seen("/2/files/" + endpoint)

    def token_requests(self):
        return self.server.seen("/oauth2/token")

    def api_arg(self, rec):
        return rec.header("Dropbox-API-Arg")

    def add_fault(self, fault):
        self.server.add_fault(fault)

    def state(self):
        """What a test in another process can check: the files (by display
        path), counters of downloads and of calls per endpoint, tokens issued."""
        with self.lock:
            calls = collections.Counter(r.path for r in self.server.seen())
            return {
                "files": {f["display"]: {"size": len(f["data"]), "content_hash": f["hash"],
                                         "id": f["id"], "rev": f["rev"]}
                          for f in self.files.values()},
                "downloads": {self.files[k]["display"] if k in self.files else k: n
                              for k, n in self.downloads.items()},
                "calls": dict(calls),
                "tokens_issued": self.tokens_issued,
            }

    # ---- the store -------------------------------------------------------------

    def _next_id(self):
        return "id:fAkE%012d" % next(self._ids)

    def _next_rev(self):
        return "%x" % next(self._revs)

    def _is_folder(self, lower):
        if lower == "":
            return True
        if lower in self.folders:
            return True
        prefix = lower + "/"
        return any(k.startswith(prefix) for k in self.files)

    def _folder_display(self, lower):
        if lower in self.folders:
            return self.folders[lower]["display"]
        prefix = lower + "/"
        for k, f in self.files.items():
            if k.startswith(prefix):
                return f["display"][:len(lower)]
        return lower

    def _write(self, path, data, modified=None):
        lower = path.lower()
        old = self.files.get(lower)
        self.files[lower] = {
            "display": old["display"] if old else path,
            "data": data,
            "id": old["id"] if old else self._next_id(),
            "rev": self._next_rev(),
            "modified": modified if modified is not None else time.time(),
            "hash": content_hash(data),
        }
        return self.files[lower]

    def _file_md(self, lower):
        f = self.files.get(lower)
        if f is None:
            return None
        return {
            ".tag": "file",
            "name": posixpath.basename(f["display"]),
            "path_lower": lower,
            "path_display": f["display"],
            "id": f["id"],
            "client_modified": rfc3339(f["modified"]),
            "server_modified": rfc3339(f["modified"]),
            "rev": f["rev"],
            "size": len(f["data"]),
            "is_downloadable": True,
            "content_hash": f["hash"],
        }

    def _folder_md(self, lower):
        display = self._folder_display(lower)
        fid = self.folders[lower]["id"] if lower in self.folders else \
            "id:fOlD%s" % hashlib.sha1(lower.encode()).hexdigest()[:12]
        return {".tag": "folder", "name": posixpath.basename(display), "path_lower": lower,
                "path_display": display, "id": fid}

    def _md(self, lower):
        if lower in self.files:
            return self._file_md(lower)
        if self._is_folder(lower):
            return self._folder_md(lower)
        return None

    def _children(self, lower):
        seen_folders = set()
        entries = []
        prefix = lower + "/"
        for k in sorted(self.files):
            if not k.startswith(prefix):
                continue
            rest = k[len(prefix):]
            if "/" in rest:
                sub = prefix + rest.split("/", 1)[0]
                if sub not in seen_folders:
                    seen_folders.add(sub)
                    entries.append(self._folder_md(sub))
            else:
                entries.append(self._file_md(k))
        for k in sorted(self.folders):
            if posixpath.dirname(k) == lower and k not in seen_folders and k != lower:
                seen_folders.add(k)
                entries.append(self._folder_md(k))
        return entries

    # ---- errors --------------------------------------------------------------

    def err409(self, error, summary_tags):
        summary = "/".join(summary_tags) + "/" + "." * next(self._dots)
        return ApiError(409, {"error_summary": summary, "error": error})

    def lookup_error(self, top, what):
        return self.err409(union(top, what), [top, what])

    # ---- endpoints -------------------------------------------------------------

    def check_path(self, fn, path, allow_root=False):
        if not isinstance(path, str):
            raise ApiError(400, 'Error in call to API function "files/%s": request body: '
                                'path: expected string' % fn)
        if path == "/" or (path and not path.startswith("/") and not path.startswith("id:")):
            raise ApiError(400, 'Error in call to API function "files/%s": request body: '
                                'path: \'%s\' did not match pattern' % (fn, path))
        if path == "" and not allow_root:
            raise ApiError(400, 'Error in call to API function "files/%s": request body: '
                                'path: the root folder is unsupported' % fn)
        if path.startswith("id:"):
            for k, f in self.files.items():
                if f["id"] == path:
                    return k
            return "\0missing"
        return path.lower().rstrip("/")

    def ep_list_folder(self, args):
        lower = self.check_path("list_folder", args.get("path"), allow_root=True)
        if lower in self.files:
            raise self.lookup_error("path", "not_folder")
        if not self._is_folder(lower):
            raise self.lookup_error("path", "not_found")
        entries = self._children(lower)
        if args.get("recursive"):
            raise ApiError(400, "recursive listings are not supported by this fake")
        limit = args.get("limit") or self.page_size
        return self._page(entries, min(limit, self.page_size))

    def _page(self, entries, size):
        page, rest = entries[:size], entries[size:]
        cursor = base64.urlsafe_b64encode(hashlib.sha256(
            ("%d-%f" % (len(self.cursors), time.time())).encode()).digest()).decode().rstrip("=")
        self.cursors[cursor] = (rest, size)
        return {"entries": page, "cursor": cursor, "has_more": bool(rest)}

    def ep_list_folder_continue(self, args):
        cursor = args.get("cursor")
        if cursor not in self.cursors:
            raise self.err409({".tag": "reset"}, ["reset"])
        rest, size = self.cursors.pop(cursor)
        return self._page(rest, size)

    def ep_get_metadata(self, args):
        lower = self.check_path("get_metadata", args.get("path"))
        md = self._md(lower)
        if md is None:
            raise self.lookup_error("path", "not_found")
        return md

    def ep_get_temporary_link(self, args):
        lower = self.check_path("get_temporary_link", args.get("path"))
        if lower not in self.files:
            raise self.lookup_error("path", "not_file" if self._is_folder(lower) else "not_found")
        token = hashlib.sha256(("%s-%d" % (lower, len(self.links))).encode()).hexdigest()[:24]
        self.links[token] = lower
        return {"metadata": self._file_md(lower), "link": "%s/tmp-link/%s" % (self.url, token)}

    def ep_create_folder_v2(self, args):
        lower = self.check_path("create_folder_v2", args.get("path"))
        if lower in self.files:
            raise self.err409(union("path", "conflict", "file"), ["path", "conflict", "file"])
        if self._is_folder(lower):
            raise self.err409(union("path", "conflict", "folder"), ["path", "conflict", "folder"])
        # Like Dropbox, the missing parents are created too.
        parent, display = posixpath.dirname(lower), posixpath.dirname(args["path"])
        while parent not in ("", "/") and not self._is_folder(parent):
            self.folders[parent] = {"display": display, "id": self._next_id()}
            parent, display = posixpath.dirname(parent), posixpath.dirname(display)
        self.folders[lower] = {"display": args["path"], "id": self._next_id()}
        md = self._folder_md(lower)
        md.pop(".tag")
        return {"metadata": md}

    def _free_name(self, lower_dir, display_dir, name):
        stem, ext = posixpath.splitext(name)
        for k in itertools.count(1):
            cand = "%s (%d)%s" % (stem, k, ext)
            lower = (lower_dir + "/" + cand).lower()
            if lower not in self.files and not self._is_folder(lower):
                return display_dir + "/" + cand

    def ep_move_v2(self, args):
        src = self.check_path("move_v2", args.get("from_path"))
        dst_display = args.get("to_path")
        dst = self.check_path("move_v2", dst_display)
        if src not in self.files and not self._is_folder(src):
            raise self.lookup_error("from_lookup", "not_found")
        if src == dst:
            raise self.err409(union("to", "conflict", "file"), ["to", "conflict", "file"])
        if dst in self.files or self._is_folder(dst):
            if not args.get("autorename"):
                kind = "file" if dst in self.files else "folder"
                raise self.err409(union("to", "conflict", kind), ["to", "conflict", kind])
            parent = posixpath.dirname(dst_display)
            dst_display = self._free_name(parent.lower(), parent, posixpath.basename(dst_display))
            dst = dst_display.lower()
        if src in self.files:
            f = self.files.pop(src)
            f["display"] = dst_display
            f["rev"] = self._next_rev()
            self.files[dst] = f
            md = self._file_md(dst)
        else:
            prefix = src + "/"
            for k in [k for k in self.files if k.startswith(prefix)]:
                f = self.files.pop(k)
                f["display"] = dst_display + f["display"][len(src):]
                self.files[dst + k[len(src):]] = f
            for k in [k for k in self.folders if k == src or k.startswith(prefix)]:
                d = self.folders.pop(k)
                d["display"] = dst_display + d["display"][len(src):]
                self.folders[dst + k[len(src):]] = d
            md = self._folder_md(dst)
        return {"metadata": md}

    def ep_delete_v2(self, args):
        lower = self.check_path("delete_v2", args.get("path"))
        md = self._md(lower)
        if md is None:
            raise self.lookup_error("path_lookup", "not_found")
        prefix = lower + "/"
        for k in [k for k in self.files if k == lower or k.startswith(prefix)]:
            del self.files[k]
        for k in [k for k in self.folders if k == lower or k.startswith(prefix)]:
            del self.folders[k]
        return {"metadata": md}

    def ep_download(self, args, body):
        lower = self.check_path("download", args.get("path"))
        if lower not in self.files:
            raise self.lookup_error("path", "not_file" if self._is_folder(lower) else "not_found")
        self.downloads[lower] += 1
        return self._file_md(lower), self.files[lower]["data"]

    def ep_get_thumbnail_v2(self, args, body):
        fn = "files/get_thumbnail_v2"
        bad = 'Error in call to API function "%s": HTTP header "Dropbox-API-Arg": ' % fn
        res = args.get("resource")
        if not isinstance(res, dict) or res.get(".tag") not in ("path", "link"):
            raise ApiError(400, bad + "resource: missing or unknown tag")
        if res[".tag"] == "link":
            raise self.err409({".tag": "not_found"}, ["not_found"])
        for key, allowed, default in (("format", THUMB_FORMATS, "jpeg"),
                                      ("size", THUMB_SIZES, "w64h64"),
                                      ("mode", THUMB_MODES, "strict")):
            v = args.get(key, default)
            tag = v.get(".tag") if isinstance(v, dict) else v
            if tag not in allowed:
                raise ApiError(400, bad + "%s: unknown tag '%s'" % (key, tag))
            args[key] = tag
        lower = self.check_path("get_thumbnail_v2", res.get("path"))
        if lower not in self.files:
            raise self.err409(union("path", "not_file" if self._is_folder(lower) else "not_found"),
                              ["path", "not_found"])
        data = self.files[lower]["data"]
        if posixpath.splitext(lower)[1] not in THUMB_EXTENSIONS:
            raise self.err409({".tag": "unsupported_extension"}, ["unsupported_extension"])
        if len(data) > THUMB_MAX_BYTES or not (data[:3] == b"\xff\xd8\xff" or
                                                data[:8] == b"\x89PNG\r\n\x1a\n" or
                                                (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or
                                                data[:4] in (b"II*\x00", b"MM\x00*")):
            raise self.err409({".tag": "unsupported_image"}, ["unsupported_image"])
        self.thumbnails[lower] += 1
        return {"file_metadata": self._file_md(lower)}, thumbnail_bytes(lower, args["size"])

    def ep_upload(self, args, body):
        path = args.get("path")
        lower = self.check_path("upload", path)
        mode = args.get("mode", "add")
        if isinstance(mode, dict):
            tag = mode.get(".tag")
        else:
            tag = mode
        if tag not in ("add", "overwrite", "update"):
            raise ApiError(400, 'Error in call to API function "files/upload": HTTP header '
                                '"Dropbox-API-Arg": mode: unknown tag \'%s\'' % tag)
        if self._is_folder(lower) and lower not in self.files:
            raise self.err409({".tag": "path", "reason": union("conflict", "folder"),
                               "upload_session_id": "fake"}, ["path", "conflict", "folder"])
        if lower in self.files and tag != "overwrite":
            if tag == "update" and mode.get("update") == self.files[lower]["rev"]:
                pass
            elif args.get("autorename"):
                parent = posixpath.dirname(path)
                path = self._free_name(parent.lower(), parent, posixpath.basename(path))
                lower = path.lower()
            else:
                raise self.err409({".tag": "path", "reason": union("conflict", "file"),
                                   "upload_session_id": "fake"}, ["path", "conflict", "file"])
        self._write(path, body)
        return self._file_md(lower)

    def oauth_token(self, rec):
        form = urllib.parse.parse_qs(rec.body.decode("utf-8", "replace"))
        one = lambda k: (form.get(k) or [None])[0]
        client_id, client_secret = one("client_id"), one("client_secret")
        auth = rec.header("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                user, pw = None, None
            client_id, client_secret = user, pw
        if one("grant_type") != "refresh_token":
            raise ApiError(400, {"error": "unsupported_grant_type",
                                 "error_description": "grant_type must be refresh_token here"})
        if client_id != self.app_key or (self.app_secret and client_secret != self.app_secret):
            raise ApiError(400, {"error": "invalid_client",
                                 "error_description": "Invalid client_id or client_secret"})
        if one("refresh_token") != self.refresh_token:
            raise ApiError(400, {"error": "invalid_grant",
                                 "error_description": "refresh token is invalid or revoked"})
        with self.lock:
            self.tokens_issued += 1
            token = "sl.fake-%d" % self.tokens_issued
            self.valid_tokens.add(token)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}

    def check_bearer(self, rec):
        auth = rec.header("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        with self.lock:
            if token in self.valid_tokens:
                self.api_calls += 1
                if self.expire_after_calls is not None and self.api_calls >= self.expire_after_calls:
                    self.expire_after_calls = None
                    self.expired_tokens |= self.valid_tokens
                    self.valid_tokens.clear()
                return
            tag = "expired_access_token" if token in self.expired_tokens else "invalid_access_token"
        raise ApiError(401, {"error_summary": tag + "/" + "." * next(self._dots),
                             "error": {".tag": tag}})


RPC = {
    "list_folder": FakeDropbox.ep_list_folder,
    "list_folder/continue": FakeDropbox.ep_list_folder_continue,
    "get_metadata": FakeDropbox.ep_get_metadata,
    "get_temporary_link": FakeDropbox.ep_get_temporary_link,
    "create_folder_v2": FakeDropbox.ep_create_folder_v2,
    "move_v2": FakeDropbox.ep_move_v2,
    "delete_v2": FakeDropbox.ep_delete_v2,
}
CONTENT = {
    "download": FakeDropbox.ep_download,
    "upload": FakeDropbox.ep_upload,
    "get_thumbnail_v2": FakeDropbox.ep_get_thumbnail_v2,
}


class DropboxHandler(FakeHandler):
    # A reply is written as headers, then body: without TCP_NODELAY the body
    # waits for the client's delayed ACK (~40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def send_error_reply(self, e):
        if isinstance(e.body, (dict, list)):
            self.reply(e.status, e.body, e.headers)
        else:
            self.reply(e.status, e.body.encode(), e.headers, content_type="text/plain; charset=utf-8")

    def route(self, rec):
        dbx = self.server.dbx
        try:
            if rec.path == "/oauth2/token" and rec.method == "POST":
                self.reply(200, dbx.oauth_token(rec))
            elif rec.path.startswith("/tmp-link/") and rec.method == "GET":
                self.tmp_link(rec)
            elif rec.path == "/_fake/state" and rec.method == "GET":
                self.reply(200, dbx.state())
            elif rec.path == "/_fake/expire" and rec.method == "POST":
                dbx.expire_token()
                self.reply(200, {})
            elif rec.path.startswith("/2/files/") and rec.method == "POST":
                self.api(rec)
            else:
                self.reply(404, b"Unknown API function", content_type="text/plain")
        except ApiError as e:
            self.send_error_reply(e)

    def tmp_link(self, rec):
        dbx = self.server.dbx
        with dbx.lock:
            lower = dbx.links.get(rec.path[len("/tmp-link/"):])
            data = dbx.files[lower]["data"] if lower in dbx.files else None
            if data is not None:
                dbx.link_fetches[lower] += 1
        if data is None:
            self.reply(410 if lower else 404, b"Gone", content_type="text/plain")
            return
        ext = posixpath.splitext(lower)[1]
        ctype = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}.get(
            ext, "application/octet-stream")
        self.reply(200, data, content_type=ctype)

    def api(self, rec):
        dbx = self.server.dbx
        endpoint = rec.path[len("/2/files/"):]
        fn = "files/" + endpoint
        if endpoint not in RPC and endpoint not in CONTENT:
            raise ApiError(404, "Unknown API function: \"%s\"" % fn)
        dbx.check_bearer(rec)
        if dbx.latency:
            time.sleep(dbx.latency)
        ctype = (rec.header("Content-Type") or "").strip()
        if endpoint in RPC:
            if ctype.lower() not in RPC_TYPES:
                raise ApiError(400, 'Error in call to API function "%s": Bad HTTP "Content-Type" '
                                    'header: "%s".  Expecting one of "application/json", '
                                    '"application/json; charset=utf-8", '
                                    '"text/plain; charset=dropbox-cors-hack".' % (fn, ctype))
            try:
                args = json.loads(rec.body.decode("utf-8")) if rec.body else None
            except ValueError:
                args = None
            if not isinstance(args, dict):
                raise ApiError(400, 'Error in call to API function "%s": request body: could not '
                                    'decode input as JSON' % fn)
            t0 = time.perf_counter()
            with dbx.lock:
                result = RPC[endpoint](dbx, args)
            body = json.dumps(result).encode()
            with dbx.lock:
                dbx.busy[endpoint] += time.perf_counter() - t0 + dbx.latency
            self.reply(200, body)
            return
        # Content endpoints: arguments in the header, which must be ASCII JSON.
        if ctype and ctype.lower() not in CONTENT_TYPES:
            raise ApiError(400, 'Error in call to API function "%s": Bad HTTP "Content-Type" '
                                'header: "%s".  Expecting one of "application/octet-stream", '
                                '"text/plain; charset=dropbox-cors-hack".' % (fn, ctype))
        raw = rec.header("Dropbox-API-Arg")
        if raw is None:
            raise ApiError(400, 'Error in call to API function "%s": Must provide HTTP header '
                                '"Dropbox-API-Arg" or URL parameter "arg".' % fn)
        # http.server decodes header bytes as ISO-8859-1: anything above 0x7E
        # here was a raw non-ASCII byte (or DEL) on the wire.
        try:
            if any(ord(ch) > 0x7e or (ord(ch) < 0x20 and ch != "\t") for ch in raw):
                raise ValueError("not ASCII")
            args = json.loads(raw)
        except ValueError:
            args = None
        if not isinstance(args, dict):
            raise ApiError(400, 'Error in call to API function "%s": HTTP header '
                                '"Dropbox-API-Arg": could not decode input as JSON' % fn)
        t0 = time.perf_counter()
        with dbx.lock:
            result = CONTENT[endpoint](dbx, args, rec.body)
            dbx.busy[endpoint] += time.perf_counter() - t0 + dbx.latency
        if endpoint in ("download", "get_thumbnail_v2"):
            md, data = result
            self.reply(200, data, {"Dropbox-API-Result": json.dumps(md, ensure_ascii=True)},
                       content_type="application/octet-stream")
        else:
            self.reply(200, result)


def main(argv):
    """Standalone: serves until stdin closes, after printing its URL on stdout.
    --put DROPBOX_PATH=LOCAL_FILE and --text DROPBOX_PATH=TEXT seed files;
    GET /_fake/state and POST /_fake/expire are there for a test in another
    process (the C unit tests)."""
    import argparse
    import sys
    ap = argparse.ArgumentParser()
    ap.add_argument("--app-key", default="fake-app-key")
    ap.add_argument("--app-secret", default="fake-app-secret")
    ap.add_argument("--refresh-token", default="fake-refresh-token")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--put", action="append", default=[])
    ap.add_argument("--text", action="append", default=[])
    a = ap.parse_args(argv)
    fake = FakeDropbox(app_key=a.app_key, app_secret=a.app_secret or None,
                       refresh_token=a.refresh_token, page_size=a.page_size)
    for spec in a.put:
        path, _, local = spec.partition("=")
        with open(local, "rb") as f:
            fake.put(path, f.read())
    for spec in a.text:
        path, _, text = spec.partition("=")
        fake.put(path, text.encode())
    fake.start()
    print(fake.url, flush=True)
    try:
        sys.stdin.buffer.read()
    except KeyboardInterrupt:
        pass
    fake.stop()


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
