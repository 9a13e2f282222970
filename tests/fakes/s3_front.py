"""A verifying front for s3rver (which checks no signature at all): every
request must carry a valid AWS Signature V4, in its Authorization header
(x-amz-date within 15 minutes, x-amz-content-sha256 signed and equal to the
body's SHA-256 unless UNSIGNED-PAYLOAD) or in its query (a presigned URL:
not expired, host signed, UNSIGNED-PAYLOAD). The canonical request is
rebuilt here from what arrived, independently of photopub's code. A request
that passes goes on to s3rver without its signature; one that does not gets
S3's own 403 answer (SignatureDoesNotMatch, InvalidAccessKeyId,
AccessDenied, RequestTimeTooSkewed). Faults can be queued (503 SlowDown,
500) and every request is recorded, with whether it passed.

Standard library only; run under /usr/bin/python3."""

import datetime
import hashlib
import hmac
import http.client
import urllib.parse

from fakelib import FakeHandler, FakeServer, Recorded

SKEW = datetime.timedelta(minutes=15)
UNSIGNED = "UNSIGNED-PAYLOAD"
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>front</RequestId></Error>' % (code, message)).encode()


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_query(raw, drop=()):
    """AWS's canonical query of a raw query string: each name and value
    decoded, re-encoded (RFC 3986), sorted."""
    pairs = []
    for part in raw.split("&") if raw else []:
        k, _, v = part.partition("=")
        k, v = urllib.parse.unquote(k), urllib.parse.unquote(v)
        if k not in drop:
            pairs.append((enc(k), enc(v)))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def signing_key(secret, date, region, service):
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def signature(secret, amz_date, scope, canonical):
    date, region, service, _ = scope.split("/")
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(signing_key(secret, date, region, service), sts.encode(),
                    hashlib.sha256).hexdigest()


class Denied(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class S3FrontHandler(FakeHandler):
    def _handle(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rec = Recorded(self.command, path, urllib.parse.parse_qs(query, keep_blank_values=True),
                       dict(self.headers.items()), body)
        rec.raw_query = query
        rec.verified = None
        with self.server.lock:
            self.server.requests.append(rec)
        try:
            self.verify(path, query, body)
            rec.verified = True
        except Denied as d:
            rec.verified = False
            rec.denied = d.code
            self.reply(403, error_xml(d.code, d.message), content_type="application/xml")
            return
        fault = self.server.take_fault(path)
        if fault and fault.status is not None:
            self.reply(fault.status, fault.body, fault.headers, content_type="application/xml")
            return
        self.forward(path, query, body)

    do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _handle

    def send_response(self, code, message=None):
        super().send_response(code, message)

    def reply(self, status, body=b"", headers=None, content_type="application/json"):
        if self.command == "HEAD":
            body = b""
        super().reply(status, body, headers, content_type)

    # ---- signatures ----

    def header(self, name):
        v = self.headers.get_all(name)
        return ",".join(" ".join(x.split()) for x in v) if v else None

    def canonical_headers(self, signed):
        out = []
        for name in signed:
            v = self.header(name)
            if v is None:
                raise Denied("SignatureDoesNotMatch", "signed header %s is missing" % name)
            out.append("%s:%s\n" % (name, v))
        return "".join(out)

    def check_scope(self, credential):
        parts = credential.split("/")
        if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
            raise Denied("AuthorizationHeaderMalformed", "bad credential scope %s" % credential)
        if parts[0] != self.server.access_key:
            raise Denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist")
        if parts[2] != self.server.region:
            raise Denied("AuthorizationHeaderMalformed", "the region %s is wrong" % parts[2])
        return "/".join(parts[1:])

    def check_time(self, amz_date):
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            raise Denied("AccessDenied", "bad X-Amz-Date")
        return t

    def verify(self, path, query, body):
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        now = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=self.server.clock_offset)
        if "X-Amz-Signature" in q:
            self.verify_presigned(path, query, q, now)
            return
        auth = self.headers.get("Authorization")
        if not auth or not auth.startswith("AWS4-HMAC-SHA256 "):
            raise Denied("AccessDenied", "Access Denied")
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        scope = self.check_scope(fields.get("Credential", ""))
        signed = fields.get("SignedHeaders", "").split(";")
        amz_date = self.headers.get("x-amz-date")
        t = self.check_time(amz_date)
        if abs(now - t) > SKEW:
            raise Denied("RequestTimeTooSkewed", "The difference between the request time and "
                         "the current time is too large.")
        if scope.split("/")[0] != amz_date[:8]:
            raise Denied("SignatureDoesNotMatch", "scope date differs from x-amz-date")
        for need in ("host", "x-amz-date", "x-amz-content-sha256"):
            if need not in signed:
                raise Denied("AccessDenied", "%s is not signed" % need)
        payload = self.headers.get("x-amz-content-sha256")
        if payload != UNSIGNED and payload != hashlib.sha256(body).hexdigest():
            raise Denied("XAmzContentSHA256Mismatch",
                         "The provided 'x-amz-content-sha256' header does not match what was computed.")
        canonical = "\n".join([self.command, path, canonical_query(query),
                               self.canonical_headers(signed), ";".join(signed), payload])
        want = signature(self.server.secret_key, amz_date, scope, canonical)
        if not hmac.compare_digest(want, fields.get("Signature", "")):
            raise Denied("SignatureDoesNotMatch", "The request signature we calculated does not "
                         "match the signature you provided.")

    def verify_presigned(self, path, query, q, now):
        one = {k: v[0] for k, v in q.items()}
        if one.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise Denied("AuthorizationQueryParametersError", "bad X-Amz-Algorithm")
        scope = self.check_scope(one.get("X-Amz-Credential", ""))
        t = self.check_time(one.get("X-Amz-Date"))
        try:
            expires = int(one.get("X-Amz-Expires", ""))
        except ValueError:
            raise Denied("AuthorizationQueryParametersError", "bad X-Amz-Expires")
        if expires < 1 or expires > 604800:
            raise Denied("AuthorizationQueryParametersError", "X-Amz-Expires out of range")
        if now > t + datetime.timedelta(seconds=expires) or t - now > SKEW:
            raise Denied("AccessDenied", "Request has expired")
        signed = one.get("X-Amz-SignedHeaders", "").split(";")
        if "host" not in signed:
            raise Denied("AccessDenied", "host is not signed")
        canonical = "\n".join([self.command, path, canonical_query(query, drop=("X-Amz-Signature",)),
                               self.canonical_headers(signed), ";".join(signed), UNSIGNED])
        want = signature(self.server.secret_key, one["X-Amz-Date"], scope, canonical)
        if not hmac.compare_digest(want, one["X-Amz-Signature"]):
            raise Denied("SignatureDoesNotMatch", "The request signature we calculated does not "
                         "match the signature you provided.")

    # ---- to s3rver ----

    def forward(self, path, query, body):
        q = [p for p in query.split("&") if p and not p.startswith("X-Amz-")] if query else []
        target = path + ("?" + "&".join(q) if q else "")
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP and k.lower() not in ("authorization", "host")}
        for k, v in list(headers.items()):
            if k.lower() == "x-amz-copy-source":
                # s3rver reads the copy source with decodeURI, which leaves
                # the reserved characters encoded ("%26" stays): hand it
                # those raw, as decodeURI would give them back.
                headers[k] = urllib.parse.quote(urllib.parse.unquote(v), safe="/;?:@&=+$,#")
        conn = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port,
                                          timeout=60)
        try:
            conn.request(self.command, target, body=body if body or self.command in ("PUT", "POST")
                         else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            etag = self.server.etags.get(path)
            for k, v in resp.getheaders():
                if k.lower() == "etag" and etag:
                    v = etag
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()


class S3Front(FakeServer):
    """The front on a free port of 127.0.0.1, for s3rver at upstream
    ("http://127.0.0.1:PORT"), accepting access_key / secret_key in region."""

    def __init__(self, upstream, access_key, secret_key, region="us-east-1"):
        super().__init__(S3FrontHandler)
        u = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = u.hostname, u.port
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.clock_offset = 0   # seconds the front's clock is ahead of the machine's
        self.etags = {}         # path -> the ETag header its answers carry instead

    def slow_down(self, path, times=1, status=503):
        """The next `times` requests whose path starts with path get 503
        SlowDown (or 500 InternalError)."""
        from fakelib import Fault
        code = "SlowDown" if status == 503 else "InternalError"
        self.add_fault(Fault(path + "*", status=status, times=times,
                             body=error_xml(code, "Please reduce your request rate.")))

    def verified(self):
        with self.lock:
            return [r for r in self.requests if r.verified]

    def denied(self):
        with self.lock:
            return [r for r in self.requests if r.verified is False]
