"""Fake OpenAI chat-completions API for the tests: POST <prefix>/chat/completions
(any path ending in /chat/completions), Bearer key check, request recording, and
default answers (an analysis JSON for a request with an image part, a caption JSON
or plain caption text otherwise) that a test can replace with a queue of scripted
replies (content, finish_reason, status codes with OpenAI's error body, headers,
delays).

Standard library only; run under /usr/bin/python3.

    fake = FakeOpenAI(api_key="sk-test").start()
    base_url = fake.url + "/v1"
    fake.queue_reply(content="not json")
    fake.queue_status(429, headers={"Retry-After": "1"})
    ...
    fake.chat_requests()  # recorded POST .../chat/completions, oldest first
    fake.stop()
"""

import base64
import json
import threading
import time
import urllib.request

try:
    from fakelib import FakeHandler, FakeServer
except ImportError:  # imported as tests.fakes.fake_openai
    from .fakelib import FakeHandler, FakeServer


DEFAULT_ANALYSIS = {
    "description": "A weathered wooden deck bleached pale by sun and salt.",
    "mood": "calm",
    "tags": ["wooden_deck", "weathered_wood", "texture", "natural_light", "minimal",
             "outdoor", "pale_tones", "grain", "planks", "summer"],
    "nsfw": False,
    "safety_labels": [],
    "subject": "wooden deck planks",
    "style": "minimal documentary",
    "lighting": "soft daylight",
    "camera": "top-down, 35mm",
    "clothing_or_accessories": [],
    "aesthetic_terms": ["minimal", "textural"],
    "pose": "",
    "composition": "centered, parallel lines",
    "background": "planks",
    "color_palette": ["bleached white", "grey", "sand"],
}

DEFAULT_CAPTION = "Salt and sun, written into the grain."
DEFAULT_SD_CAPTION = "weathered bleached wooden deck, top-down view, soft daylight, fine grain texture"


class Reply:
    """One scripted answer. status 200 → a chat.completion with `content`
    (None means the default for that request) and `finish_reason`; another
    status → OpenAI's error body (or `body` when given). `raw` replaces the
    whole 200 body (bytes or a JSON-able object)."""

    def __init__(self, content=None, finish_reason="stop", status=200, headers=None,
                 delay=0.0, body=None, raw=None, model=None, usage=None, error_message=None,
                 error_type=None, error_code=None):
        self.content = content
        self.finish_reason = finish_reason
        self.status = status
        self.headers = headers or {}
        self.delay = delay
        self.body = body
        self.raw = raw
        self.model = model
        self.usage = usage
        self.error_message = error_message
        self.error_type = error_type
        self.error_code = error_code


def _error_body(status, message=None, etype=None, code=None):
    defaults = {
        400: ("Bad request", "invalid_request_error", None),
        401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
        404: ("The model does not exist", "invalid_request_error", "model_not_found"),
        429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
        500: ("The server had an error while processing your request.", "server_error", None),
        502: ("Bad gateway", "server_error", None),
        503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    }
    m, t, c = defaults.get(status, ("Error %d" % status, "server_error", None))
    return {"error": {"message": message or m, "type": etype or t, "param": None,
                      "code": code if code is not None else c}}


def is_vision_request(body):
    for msg in body.get("messages") or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    return True
    return False


def image_urls(body):
    """Every image_url.url of a request body, in order."""
    out = []
    for msg in body.get("messages") or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    iu = part.get("image_url") or {}
                    out.append(iu.get("url") if isinstance(iu, dict) else iu)
    return out


def prompt_text(body):
    """All text of a request's messages joined with newlines."""
    parts = []
    for msg in body.get("messages") or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text":
                    parts.append(part.get("text") or "")
    return "\n".join(parts)


def decode_data_url(url):
    """(mime, bytes) of a data:...;base64,... URL, or None."""
    if not url or not url.startswith("data:") or ";base64," not in url:
        return None
    head, b64 = url[5:].split(";base64,", 1)
    return head, base64.b64decode(b64)


class _OpenAIHandler(FakeHandler):
    def route(self, rec):
        srv = self.server
        if rec.method != "POST" or not rec.path.endswith("/chat/completions"):
            self.reply(404, _error_body(404, "Unknown request URL: %s %s" % (rec.method, rec.path),
                                        "invalid_request_error", "unknown_url"))
            return
        with srv.lock:
            srv.times.append(time.monotonic())
        auth = rec.header("Authorization") or ""
        if srv.api_key is not None and auth != "Bearer " + srv.api_key:
            self.reply(401, _error_body(401))
            return
        try:
            body = rec.json()
        except ValueError:
            self.reply(400, _error_body(400, "We could not parse the JSON body of your request."))
            return
        if not isinstance(body, dict) or not body.get("model") or not isinstance(body.get("messages"), list):
            self.reply(400, _error_body(400, "you must provide a model parameter"))
            return

        vision = is_vision_request(body)
        for url in image_urls(body):
            kind = "data" if (url or "").startswith("data:") else "link"
            entry = {"kind": kind, "url": url, "fetched": None}
            if kind == "link" and srv.fetch_links:
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        entry["fetched"] = r.read()
                except Exception as e:  # noqa: BLE001 - record and go on
                    entry["fetched"] = e
            with srv.lock:
                srv.images.append(entry)

        with srv.lock:
            scripted = srv.queue.pop(0) if srv.queue else None
        if scripted is None:
            scripted = Reply()
        if scripted.delay:
            time.sleep(scripted.delay)
        if scripted.status != 200:
            err = scripted.body if scripted.body is not None else _error_body(
                scripted.status, scripted.error_message, scripted.error_type, scripted.error_code)
            self.reply(scripted.status, err, scripted.headers)
            return
        if scripted.raw is not None:
            self.reply(200, scripted.raw, scripted.headers)
            return

        content = scripted.content
        if content is None:
            content = self._default_content(body, vision)
        model = scripted.model or body.get("model")
        usage = scripted.usage or {
            "prompt_tokens": srv.prompt_tokens,
            "completion_tokens": srv.completion_tokens,
            "total_tokens": srv.prompt_tokens + srv.completion_tokens,
        }
        with srv.lock:
            srv.counter += 1
            n = srv.counter
        self.reply(200, {
            "id": "chatcmpl-fake%06d" % n,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": scripted.finish_reason,
            }],
            "usage": usage,
            "system_fingerprint": "fp_fake",
        }, scripted.headers)

    def _default_content(self, body, vision):
        srv = self.server
        if vision:
            return json.dumps(srv.analysis)
        rf = body.get("response_format")
        if isinstance(rf, dict) and rf.get("type") == "json_object":
            return json.dumps({"caption": srv.caption, "sd_caption": srv.sd_caption})
        text = prompt_text(body).lower()
        if "stable diffusion" in text or "sd_caption" in text or "sd caption" in text:
            # a separate SD-caption call (sd_caption_single_call_enabled = false)
            return srv.sd_caption
        return srv.caption


class FakeOpenAI(FakeServer):
    def __init__(self, api_key="sk-test-fake-key-0123456789", fetch_links=False):
        super().__init__(_OpenAIHandler)
        self.api_key = api_key          # None accepts any Authorization
        self.fetch_links = fetch_links
        self.queue = []                 # scripted Reply objects, oldest first
        self.images = []                # {"kind": "data"|"link", "url", "fetched"}
        self.times = []                 # time.monotonic() of each chat request, in order
        self.counter = 0
        self.analysis = dict(DEFAULT_ANALYSIS)
        self.caption = DEFAULT_CAPTION
        self.sd_caption = DEFAULT_SD_CAPTION
        self.prompt_tokens = 1234
        self.completion_tokens = 56

    @property
    def base_url(self):
        return self.url + "/v1"

    # -- scripting ----------------------------------------------------------
    def queue_reply(self, content=None, finish_reason="stop", headers=None, delay=0.0, **kw):
        """Next request gets a 200 with this content (None = default content)."""
        with self.lock:
            self.queue.append(Reply(content=content, finish_reason=finish_reason,
                                    headers=headers, delay=delay, **kw))

    def queue_json(self, obj, **kw):
        """Next request gets a 200 whose content is json.dumps(obj)."""
        self.queue_reply(content=json.dumps(obj), **kw)

    def queue_status(self, status, headers=None, message=None, body=None, delay=0.0, times=1, **kw):
        """Next `times` requests get `status` with OpenAI's error body shape."""
        with self.lock:
            for _ in range(times):
                self.queue.append(Reply(status=status, headers=headers, error_message=message,
                                        body=body, delay=delay, **kw))

    def clear_queue(self):
        with self.lock:
            self.queue.clear()

    # -- inspection ---------------------------------------------------------
    def chat_requests(self):
        with self.lock:
            return [r for r in self.requests
                    if r.method == "POST" and r.path.endswith("/chat/completions")]

    def chat_bodies(self):
        out = []
        for r in self.chat_requests():
            try:
                out.append(r.json())
            except ValueError:
                out.append(None)
        return out

    def vision_bodies(self):
        return [b for b in self.chat_bodies() if b and is_vision_request(b)]

    def caption_bodies(self):
        return [b for b in self.chat_bodies() if b and not is_vision_request(b)]


def main():  # manual use: python3 fake_openai.py [key]
    import sys
    fake = FakeOpenAI(api_key=sys.argv[1] if len(sys.argv) > 1 else None).start()
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
