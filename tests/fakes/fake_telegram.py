"""A fake Telegram Bot API on 127.0.0.1: POST /bot<TOKEN>/sendPhoto with
multipart/form-data (chat_id, photo, caption), checked the way the real API
checks them, answering with the real reply shapes:
  {"ok": true, "result": {"message_id": N, …}}
  {"ok": false, "error_code": 400, "description": "Bad Request: …"}
  {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
   "parameters": {"retry_after": N}}
Every call is recorded with its parsed form fields (fake.photos)."""

import email.parser
import email.policy
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeHandler, FakeServer, Fault  # noqa: E402


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h = int.from_bytes(data[i + 5:i + 7], "big")
            w = int.from_bytes(data[i + 7:i + 9], "big")
            return w, h
        i += 2 + length
    return None


def parse_multipart(content_type, body):
    """{name: (filename or None, content type, bytes)}"""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        return None
    fields = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_content_type(),
                        part.get_payload(decode=True))
    return fields


class TelegramHandler(FakeHandler):
    def route(self, rec):
        fake = self.server
        parts = rec.path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = parts[1][3:], parts[2]
        if token != fake.token:
            return self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if method != "sendPhoto":
            return self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
        ctype = rec.header("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            return self.bad("Bad Request: there is no photo in the request")
        fields = parse_multipart(ctype, rec.body) or {}
        chat = fields.get("chat_id")
        photo = fields.get("photo")
        caption = fields.get("caption")
        if not chat or not chat[2]:
            return self.bad("Bad Request: chat_id is empty")
        if chat[2].decode() != fake.chat_id:
            return self.bad("Bad Request: chat not found")
        if not photo or not photo[2]:
            return self.bad("Bad Request: there is no photo in the request")
        size = jpeg_size(photo[2])
        if size is None:
            return self.bad("Bad Request: IMAGE_PROCESS_FAILED")
        text = caption[2].decode("utf-8") if caption else ""
        if len(text) > 1024:
            return self.bad("Bad Request: message caption is too long")
        with fake.lock:
            fake.next_id += 1
            mid = fake.next_id
            fake.photos.append({"chat_id": chat[2].decode(), "caption": text, "photo": photo[2],
                                "filename": photo[0], "content_type": photo[1], "size": size,
                                "message_id": mid})
        self.reply(200, {"ok": True, "result": {
            "message_id": mid, "date": 1764400000,
            "chat": {"id": -1001234567890, "title": "Channel", "type": "channel"},
            "photo": [{"file_id": "AgAC%d" % mid, "width": size[0], "height": size[1]}],
            "caption": text}})

    def bad(self, description):
        self.reply(400, {"ok": False, "error_code": 400, "description": description})


class FakeTelegram(FakeServer):
    def __init__(self, token="123456789:AAFakeTokenForTestsOnly0123456789abc", chat_id="@photopub_test"):
        super().__init__(TelegramHandler)
        self.token = token
        self.chat_id = chat_id
        self.next_id = 100
        self.photos = []

    def api_url(self):
        return self.url

    def configure(self, ws):
        """Turns Telegram on in ws (a harness.Workspace), pointed at this fake."""
        ws.set("Content", "telegram", "true")
        ws.set("Telegram", "api_url", self.url)
        ws.env.update({"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_CHANNEL_ID": self.chat_id})

    def photo_requests(self):
        """How many sendPhoto requests arrived."""
        return len(self.seen("/bot%s/sendPhoto" % self.token))

    def fail_next(self, status, description, retry_after=None, times=1, headers=None):
        body = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.add_fault(Fault("/bot%s/sendPhoto" % self.token, status=status, body=body,
                             headers=headers, times=times))

    def delay_next(self, seconds, times=1):
        self.add_fault(Fault("/bot%s/sendPhoto" % self.token, delay=seconds, times=times))

    def hang_next(self, times=1):
        self.add_fault(Fault("/bot%s/sendPhoto" % self.token, hang=True, times=times))


if __name__ == "__main__":
    f = FakeTelegram().start()
    print(f.url, flush=True)
    threading.Event().wait()
