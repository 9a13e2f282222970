"""`photopub run` with the email publisher ([Content] fetlife = true) against a
real SMTP server (Debian's python3-aiosmtpd) on 127.0.0.1: STARTTLS, implicit
TLS and plain sessions with AUTH; the exact subjects, bodies and attachment
bytes for every caption_target and subject_mode; the confirmation mail and its
tags line; both mails over one connection; RFC 2047 subjects; captions that
try to add headers; attachment names; a refused confirmation (a warning, the
upload stands); a wrong password, an untrusted certificate, a server without
STARTTLS, a closed port and a silent server (the outbox still publishes). The
password never appears in any output."""

import email
import email.policy
import email.utils
import json
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

import harness
from harness import TestCase, Workspace

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SENDER = "photos@example.org"
RECIPIENT = "upload@fetlife.example"
PASSWORD = "Smtp-e2e-pw-7Qx2Lk9W"
WRONG_PASSWORD = "Wrong-pw-e2e-55"
JPEG = "espresso-on-wooden-table.jpg"
PNG = "astronaut-portrait-square.png"
CERT_DIR = None

logging.getLogger("mail.log").setLevel(logging.CRITICAL)
logging.getLogger("asyncio").setLevel(logging.CRITICAL)


def setUpModule():
    """One self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    global CERT_DIR
    CERT_DIR = tempfile.mkdtemp(prefix="pp-smtp-cert-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", os.path.join(CERT_DIR, "key.pem"),
                    "-out", os.path.join(CERT_DIR, "cert.pem")],
                   check=True, capture_output=True)


def tearDownModule():
    shutil.rmtree(CERT_DIR, ignore_errors=True)


def cert_file():
    return os.path.join(CERT_DIR, "cert.pem")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every message with its envelope, raw bytes, the
    TCP peer (one per connection) and whether the session was encrypted."""

    def __init__(self):
        self.messages = []
        self.auths = []
        self.reject_rcpt = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject_rcpt:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "raw": envelope.original_content,
            "peer": session.peer,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data,
        })
        return "250 2.0.0 Message accepted"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SENDER.encode()
              and auth_data.password == PASSWORD.encode())
        self.auths.append((mechanism, auth_data.login if isinstance(auth_data, LoginPassword)
                           else None, ok))
        return AuthResult(success=ok, handled=False, auth_data=SENDER if ok else None)


class SmtpServer(Controller):
    """A real SMTP server in a thread. mode: "starttls" (STARTTLS required
    before AUTH and MAIL), "tls" (implicit TLS), "none" (plain, AUTH allowed
    without TLS), "plain-only" (plain, no STARTTLS offered). Counts the TCP
    connections photopub opens."""

    def __init__(self, mode):
        self.recorder = Recorder()
        self.mode = mode
        self.connections = 0
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file(), os.path.join(CERT_DIR, "key.pem"))
        kw = dict(authenticator=self.recorder.authenticator, auth_required=True)
        if mode == "starttls":
            kw.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
        elif mode == "tls":
            # aiosmtpd counts only STARTTLS as TLS; this session is TLS from
            # its first byte
            kw.update(ssl_context=ctx, auth_require_tls=False)
        else:
            kw.update(auth_require_tls=False)
        super().__init__(self.recorder, hostname="127.0.0.1", port=free_port(),
                         server_hostname="smtp.test", **kw)

    def factory(self):
        self.connections += 1
        with warnings.catch_warnings():  # "AUTH without TLS": wanted in plain mode
            warnings.simplefilter("ignore")
            return super().factory()

    def _trigger_server(self):
        # Controller's own probe connection; a real TLS client for implicit TLS.
        with socket.create_connection(("127.0.0.1", self.port), 2.0) as s:
            if self.mode == "tls":
                c = ssl.create_default_context(cafile=cert_file())
                with c.wrap_socket(s, server_hostname="127.0.0.1") as t:
                    t.recv(1024)
            else:
                s.recv(1024)

    def start(self):
        super().start()
        self.connections = 0
        return self

    @property
    def messages(self):
        return self.recorder.messages


def email_caption(text):
    """REFERENCE "Caption formatting" for email, for the captions used here."""
    text = re.sub(r"(?<!\w)#\w+", "", text)
    for a, b in (("\u2014", " - "), ("\u2013", " - "), ("\u2212", " - "), ("\u2026", "..."),
                 ("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'"),
                 ("\u00a0", " "), ("\u200b", " ")):
        text = text.replace(a, b)
    return " ".join(text.split())


def tags_line(tags, count=5, nature="FetLife context"):
    out = []
    for t in tags:
        t = "".join(c if c.isalnum() else " " for c in t.lower().replace("#", ""))
        t = " ".join(t.split())
        if t and t not in out:
            out.append(t)
        if len(out) == count:
            break
    return "Image Tags (%s): %s" % (nature, ", ".join(out) if out else "(none)")


def text_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def configure(ws, srv, security=None, ca=True, port=None):
    ws.set("Content", "fetlife", "true")
    ws.set("Email", "sender", SENDER)
    ws.set("Email", "recipient", RECIPIENT)
    ws.set("Email", "smtp_server", "127.0.0.1")
    ws.set("Email", "smtp_port", str(port if port else srv.port))
    ws.set("Email", "security", security or srv.mode)
    if ca:
        ws.set("Email", "ca_file", cert_file())
    ws.set("HTTP", "connect_timeout", "3")
    ws.set("HTTP", "timeout", "8")
    ws.env["EMAIL_PASSWORD"] = PASSWORD
    return ws


class MailChecks:
    """Assertions shared by the test classes below."""

    def start_server(self, mode):
        srv = SmtpServer(mode).start()
        self.addCleanup(srv.stop)
        return srv

    def workspace(self, srv, image=JPEG, **kw):
        ws = Workspace([image])
        self.addCleanup(ws.cleanup)
        return configure(ws, srv, **kw)

    def run_pp(self, ws, *args):
        res = ws.run(*args)
        for secret in (PASSWORD, WRONG_PASSWORD):
            self.assertNotIn(secret, res.stdout)
            self.assertNotIn(secret, res.stderr)
        return res

    def post(self, ws):
        posts = ws.posts()
        self.assertEqual(len(posts), 1, posts)
        with open(os.path.join(ws.outbox, posts[0], "post.json")) as f:
            return json.load(f)

    def assertDelivered(self, res, ws, srv, image, subject, body, tags, tls, confirm=True):
        """Checks the run, the upload mail and the confirmation against the
        expected subject and body."""
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        mail = done["results"]["email"]
        self.assertTrue(mail["success"], mail)
        self.assertIsNone(mail["error"])
        self.assertTrue(done["results"]["outbox"]["success"])
        t = self.assertTiming(res, True, ran=["publish_email_ms", "publish_outbox_ms"])
        self.assertIsInstance(t["publish_email_ms"], int)
        pp = [l for l in res.events("publisher_publish") if l["platform"] == "email"]
        self.assertEqual(len(pp), 1)
        self.assertEqual(pp[0]["logger"], "publisher.email")
        self.assertIs(pp[0]["success"], True)
        self.assertEqual(pp[0]["post_id"], mail["post_id"])

        self.assertEqual(len(srv.messages), 2 if confirm else 1, srv.messages)
        up = srv.messages[0]
        self.assertEqual(up["mail_from"], SENDER)
        self.assertEqual(up["rcpt_tos"], [RECIPIENT])
        self.assertIs(up["tls"], tls)
        self.assertEqual(up["login"], SENDER)
        if os.environ.get("PP_SHOW_MAIL"):
            sys.stderr.write(up["raw"].decode("utf-8", "replace")[:3000] + "\n")
        msg = email.message_from_bytes(up["raw"], policy=email.policy.default)
        self.assertEqual(msg["Subject"], subject)
        self.assertEqual(msg["From"], SENDER)
        self.assertEqual(msg["To"], RECIPIENT)
        self.assertEqual(msg["MIME-Version"], "1.0")
        self.assertEqual(msg["Message-ID"], mail["post_id"])
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f-]{36}@example\.org>$")
        when = email.utils.parsedate_to_datetime(msg["Date"])
        self.assertLess(abs(time.time() - when.timestamp()), 300)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertEqual(text_of(msg), body)
        self.assertEqual(msg.get_body(preferencelist=("plain",)).get_content_charset(), "utf-8")
        atts = list(msg.iter_attachments())
        self.assertEqual(len(atts), 1)
        att = atts[0]
        self.assertEqual(att.get_filename(), image)
        self.assertEqual(att.get_content_type(),
                         "image/png" if image.endswith(".png") else "image/jpeg")
        self.assertEqual(att["Content-Transfer-Encoding"], "base64")
        with open(os.path.join(harness.EXAMPLES, image), "rb") as f:
            self.assertEqual(att.get_content(), f.read())
        # every header line within RFC 5322's hard limit, CRLF line ends
        head = up["raw"].split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"\n", head.replace(b"\r\n", b""))
        for line in head.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)

        if confirm:
            c = srv.messages[1]
            self.assertEqual(c["mail_from"], SENDER)
            self.assertEqual(c["rcpt_tos"], [SENDER])
            cm = email.message_from_bytes(c["raw"], policy=email.policy.default)
            self.assertEqual(cm["Subject"], "Posted: " + subject)
            self.assertEqual(cm["To"], SENDER)
            self.assertEqual(cm["In-Reply-To"], mail["post_id"])
            self.assertNotEqual(cm["Message-ID"], mail["post_id"])
            self.assertEqual(text_of(cm), body + "\n\n---\n" + tags)
            self.assertEqual(list(cm.iter_attachments()), [])
            # one SMTP session for both mails
            self.assertEqual(c["peer"], up["peer"])
        self.assertEqual(srv.connections, 1)
        self.assertTrue(srv.recorder.auths)
        self.assertTrue(all(ok for _, _, ok in srv.recorder.auths))
        return msg


class EmailTest(MailChecks, TestCase):
    images = [JPEG]

    # -- every caption_target and subject_mode ------------------------------

    def test_targets_and_modes_over_starttls(self):
        srv = self.start_server("starttls")
        prefixes = {"normal": "", "private": "Private: ", "avatar": "Avatar: "}
        n = 0
        for target in ("subject", "body", "both"):
            for mode in ("normal", "private", "avatar"):
                with self.subTest(target=target, mode=mode):
                    image = PNG if n % 3 == 1 else JPEG
                    n += 1
                    srv.messages.clear()
                    srv.recorder.auths.clear()
                    srv.connections = 0
                    ws = self.workspace(srv, image)
                    ws.set("Email", "caption_target", target)
                    ws.set("Email", "subject_mode", mode)
                    res = self.run_pp(ws, "--select", image)
                    self.assertEqual(res.rc, 0, res.stderr)
                    post = self.post(ws)
                    caption = email_caption(post["caption"])
                    self.assertTrue(caption)
                    subject = prefixes[mode] + (caption if target != "body" else "Photo upload")
                    self.assertDelivered(res, ws, srv, image, subject, caption,
                                         tags_line(post["analysis"]["tags"]), tls=True)
                    # the image was archived once, the outbox has one post
                    self.assertEqual(ws.archived(), sorted([image, os.path.splitext(image)[0] + ".txt"]))

    def test_implicit_tls(self):
        srv = self.start_server("tls")
        ws = self.workspace(srv)
        ws.set("Email", "confirmation_tags_count", "3")
        ws.set("Email", "confirmation_tags_nature", "scene keywords")
        res = self.run_pp(ws, "--select", JPEG)
        post = self.post(ws)
        caption = email_caption(post["caption"])
        self.assertDelivered(res, ws, srv, JPEG, caption, caption,
                             tags_line(post["analysis"]["tags"], 3, "scene keywords"), tls=True)

    def test_plain_session(self):
        srv = self.start_server("none")
        ws = self.workspace(srv, ca=False)
        ws.set("Email", "confirmation_to_sender", "false")
        res = self.run_pp(ws, "--select", JPEG)
        post = self.post(ws)
        caption = email_caption(post["caption"])
        self.assertDelivered(res, ws, srv, JPEG, caption, caption, None, tls=False,
                             confirm=False)

    def test_attachment_names(self):
        # a quote (escaped by libcurl) and a name beyond ASCII (RFC 2231)
        for name in ('espresso "noir".jpg', "caf\u00e9 cr\u00e8me.jpg"):
            with self.subTest(name=name):
                srv = self.start_server("starttls")
                ws = self.workspace(srv)
                os.rename(os.path.join(ws.images, JPEG), os.path.join(ws.images, name))
                ws.set("Email", "confirmation_to_sender", "false")
                res = self.run_pp(ws, "--select", name)
                self.assertEqual(res.rc, 0, res.stderr)
                self.assertEqual(len(srv.messages), 1)
                msg = email.message_from_bytes(srv.messages[0]["raw"], policy=email.policy.default)
                (att,) = msg.iter_attachments()
                self.assertEqual(att.get_filename(), name)
                self.assertEqual(att.get_content_type(), "image/jpeg")
                with open(os.path.join(harness.EXAMPLES, JPEG), "rb") as f:
                    self.assertEqual(att.get_content(), f.read())
                head = srv.messages[0]["raw"].split(b"\r\n\r\n", 1)[0]
                self.assertEqual(head, head.decode("ascii").encode())

    def test_alt_text_is_the_attachments_description(self):
        # the AI's (ASCII) alt text, and a given one beyond ASCII (RFC 2047)
        given = "Caf\u00e9 cr\u00e8me on a zinc bar, \u65e5\u672c \U0001f4f7 \"quoted\""
        for alt in (None, given):
            with self.subTest(alt=alt):
                srv = self.start_server("starttls")
                ws = self.workspace(srv)
                ws.set("Email", "confirmation_to_sender", "false")
                args = ["--select", JPEG]
                if alt:
                    path = os.path.join(ws.dir, "alt.txt")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(alt + "\n")
                    args += ["--alt-text-file", path]
                res = self.run_pp(ws, *args)
                self.assertEqual(res.rc, 0, res.stderr)
                want = alt or res.one("workflow_complete")["alt_text"]
                self.assertTrue(want)
                msg = email.message_from_bytes(srv.messages[0]["raw"], policy=email.policy.default)
                (att,) = msg.iter_attachments()
                self.assertEqual(att["Content-Description"], want)
                self.assertEqual(att.get_filename(), JPEG)
                raw = srv.messages[0]["raw"]
                self.assertEqual(raw, raw.decode("ascii").encode())  # encoded words, 7-bit
                if alt:
                    self.assertIn(b"Content-Description: =?UTF-8?B?", raw)

    def test_preview_sends_nothing(self):
        srv = self.start_server("starttls")
        ws = self.workspace(srv)
        ws.set("Email", "subject_mode", "private")
        ws.set("Email", "caption_target", "body")
        res = self.run_pp(ws, "--preview", "--select", JPEG)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIn("[email]\n", res.stdout)
        self.assertIn("  subject: Private: Photo upload\n", res.stdout)
        self.assertIn("  to:      " + RECIPIENT, res.stdout)
        self.assertIn("confirmation: to %s, subject: Posted: Private: Photo upload\n" % SENDER,
                      res.stdout)
        self.assertRegex(res.stdout, r"\n    Image Tags \(FetLife context\): [a-z0-9 ,]+\n")
        self.assertEqual(srv.messages, [])
        self.assertEqual(srv.connections, 0)
        self.assertEqual(ws.posts(), [])

    # -- failures ------------------------------------------------------------

    def assertEmailFailed(self, res, ws, *fragments):
        """The email platform failed with fragments in its error; the outbox
        still published and the image was archived once."""
        self.assertEqual(res.rc, 0, res.stderr)
        done = res.one("workflow_complete")
        mail = done["results"]["email"]
        self.assertIs(mail["success"], False)
        self.assertIsNone(mail["post_id"])
        for frag in fragments:
            self.assertIn(frag, mail["error"])
        self.assertTrue(done["results"]["outbox"]["success"])
        self.assertTrue(done["archived"])
        self.assertEqual(ws.archived(), sorted([JPEG, os.path.splitext(JPEG)[0] + ".txt"]))
        self.assertEqual(len(ws.posts()), 1)
        pp = [l for l in res.events("publisher_publish") if l["platform"] == "email"]
        self.assertEqual(len(pp), 1)
        self.assertEqual(pp[0]["level"], "error")
        self.assertIs(pp[0]["success"], False)
        t = self.assertTiming(res, True, ran=["publish_email_ms"])
        return mail["error"], t

    def test_failed_confirmation_is_a_warning(self):
        srv = self.start_server("starttls")
        srv.recorder.reject_rcpt.add(SENDER)
        ws = self.workspace(srv)
        res = self.run_pp(ws, "--select", JPEG)
        post = self.post(ws)
        caption = email_caption(post["caption"])
        self.assertDelivered(res, ws, srv, JPEG, caption, caption, None, tls=True, confirm=False)
        warn = res.one("email_confirmation_failed")
        self.assertEqual(warn["level"], "warning")
        self.assertEqual(warn["logger"], "publisher.email")
        self.assertEqual(warn["post_id"], res.one("workflow_complete")["results"]["email"]["post_id"])
        self.assertIn("confirmation mail", warn["error"])
        self.assertIn("refused", warn["error"])
        self.assertIn("550", warn["error"])

    def test_wrong_password(self):
        srv = self.start_server("starttls")
        ws = self.workspace(srv)
        ws.env["EMAIL_PASSWORD"] = WRONG_PASSWORD
        res = self.run_pp(ws, "--select", JPEG)
        err, _ = self.assertEmailFailed(res, ws, "authentication failed", "535")
        self.assertEqual(srv.messages, [])
        self.assertEqual([(login, ok) for _, login, ok in srv.recorder.auths],
                         [(SENDER.encode(), False)])

    def test_untrusted_certificate(self):
        srv = self.start_server("starttls")
        ws = self.workspace(srv, ca=False)
        res = self.run_pp(ws, "--select", JPEG)
        self.assertEmailFailed(res, ws, "certificate")
        self.assertEqual(srv.messages, [])
        self.assertEqual(srv.recorder.auths, [])

    def test_starttls_never_falls_back_to_plain(self):
        srv = self.start_server("none")  # offers no STARTTLS
        ws = self.workspace(srv, security="starttls")
        res = self.run_pp(ws, "--select", JPEG)
        self.assertEmailFailed(res, ws, "STARTTLS")
        self.assertEqual(srv.messages, [])
        self.assertEqual(srv.recorder.auths, [])  # the password was never sent

    def test_closed_port(self):
        srv = self.start_server("starttls")
        # Bound but never listening: connecting is refused, and no other
        # test running at the same time can take the port meanwhile.
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            ws = self.workspace(srv, port=closed.getsockname()[1])
            t0 = time.monotonic()
            res = self.run_pp(ws, "--select", JPEG)
        self.assertLess(time.monotonic() - t0, 60)
        err, t = self.assertEmailFailed(res, ws, "cannot connect")
        self.assertLess(t["publish_email_ms"], 3000 + 2000)

    def test_silent_server_times_out(self):
        srv = self.start_server("starttls")
        with socket.socket() as hole:  # accepts TCP (backlog) but never speaks
            hole.bind(("127.0.0.1", 0))
            hole.listen(8)
            ws = self.workspace(srv, port=hole.getsockname()[1])
            ws.set("HTTP", "timeout", "2")
            res = self.run_pp(ws, "--select", JPEG)
        err, t = self.assertEmailFailed(res, ws, "timed out")
        self.assertGreaterEqual(t["publish_email_ms"], 1900)
        self.assertLess(t["publish_email_ms"], 2000 + 3000)


FAKES = os.path.join(harness.SOURCE, "tests", "fakes")


@unittest.skipUnless(os.path.exists(os.path.join(FAKES, "fake_openai.py")), "no fake OpenAI")
class NonAsciiSubjectTest(MailChecks, TestCase):
    """A caption beyond ASCII (the offline analyzer writes ASCII only, so the
    fake OpenAI server writes it): RFC 2047 subjects that decode back."""
    images = [JPEG]

    def setUp(self):
        super().setUp()
        sys.path.insert(0, FAKES)
        from fake_openai import FakeOpenAI, DEFAULT_ANALYSIS
        self.tags = DEFAULT_ANALYSIS["tags"]
        self.fake = FakeOpenAI(api_key="sk-e2e-email-Zq7Xv3Lm9Pw2").start()
        self.addCleanup(self.fake.stop)
        self.srv = self.start_server("starttls")
        ws = self.ws
        ws.set("AI", "provider", "openai")
        ws.set("openAI", "base_url", self.fake.base_url)
        ws.env["OPENAI_API_KEY"] = "sk-e2e-email-Zq7Xv3Lm9Pw2"
        configure(ws, self.srv)

    def deliver(self, caption, mode="private"):
        self.fake.caption = caption
        self.ws.set("Email", "subject_mode", mode)
        res = self.run_pp(self.ws, "--select", JPEG)
        self.assertEqual(res.rc, 0, res.stderr)
        want = email_caption(caption)
        prefix = {"private": "Private: ", "avatar": "Avatar: ", "normal": ""}[mode]
        msg = self.assertDelivered(res, self.ws, self.srv, JPEG, prefix + want, want,
                                        tags_line(self.tags), tls=True)
        raw = self.srv.messages[0]["raw"]
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are 7-bit
        value = re.search(r"^Subject: (.*?)\r\n(?![ \t])", head + "\r\nX", re.S | re.M).group(1)
        words = re.split(r"\r\n[ \t]", value)
        first = True
        for w in words:
            self.assertRegex(w, r"^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$")
            self.assertLessEqual(len(w), 75)
            self.assertLessEqual(len(w) + (len("Subject: ") if first else 1), 76)
            first = False
        self.assertEqual(msg["Subject"], prefix + want)
        return words

    def test_encoded_subject(self):
        words = self.deliver("Caf\u00e9 cr\u00e8me \u2014 na\u00efve \u65e5\u672c "
                             "\u201cquoted\u201d\u2026 what do you see?")
        self.assertGreaterEqual(len(words), 2)

    def test_caption_cannot_add_headers(self):
        self.deliver("Look here\r\nBcc: evil@example.com\r\n\r\nand \u00e9t\u00e9\nX-Evil: 1",
                     mode="normal")
        up = self.srv.messages[0]
        self.assertEqual(up["rcpt_tos"], [RECIPIENT])
        msg = email.message_from_bytes(up["raw"], policy=email.policy.default)
        self.assertIsNone(msg["Bcc"])
        self.assertIsNone(msg["X-Evil"])
        self.assertEqual(msg["Subject"], "Look here Bcc: evil@example.com and \u00e9t\u00e9 X-Evil: 1")

    def test_long_encoded_subject(self):
        caption = ("\u00c9t\u00e9 \u00e0 la plage, \u65e5\u672c\u8a9e\u306e\u6587 "
                   "\U0001f4f7 " * 12).strip()[:230]
        words = self.deliver(caption, mode="avatar")
        self.assertGreaterEqual(len(words), 8)


if __name__ == "__main__":
    harness.main()
