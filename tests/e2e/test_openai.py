"""`photopub run` with [AI] provider = openai against the fake OpenAI server:
the exact requests (model, temperature, token limit, JSON mode, image as a
downscaled JPEG data: URL, Bearer key), the vision_analysis line, the sidecar,
forgiving mapping of the model's JSON, the invalid-JSON and caption fallbacks,
truncated replies, caption length, retries, and a wrong key. The key must
never appear in any output."""

import json
import os
import struct
import sys

import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
import fake_openai  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

KEY = "sk-e2e-Zq7Xv3Lm9Pw2Rt5Yu8Nb4"
IMAGE = "bleached-wooden-deck.jpg"        # 1600 x 1200
STEM = "bleached-wooden-deck"
VISION_MODEL = "gpt-4o"
CAPTION_MODEL = "gpt-4o-mini"


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker."""
    if data[:2] != b"\xff\xd8":
        raise AssertionError("not a JPEG: %r" % data[:4])
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise AssertionError("bad JPEG marker at %d" % i)
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise AssertionError("no SOF marker")


def user_text(body):
    return fake_openai.prompt_text({"messages": [m for m in body["messages"] if m["role"] == "user"]})


class OpenAITest(TestCase):
    images = [IMAGE]

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(KEY)
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", self.fake.base_url)
        self.ws.set("openAI", "vision_model", VISION_MODEL)
        self.ws.set("openAI", "caption_model", CAPTION_MODEL)
        # high detail: no second call at high detail after an unusable reply
        # (test_vision_cost covers the default, low, and its fallback)
        self.ws.set("openAI", "vision_detail", "high")
        self.ws.env["OPENAI_API_KEY"] = KEY

    def start_fake(self, key):
        fake = FakeOpenAI(api_key=key).start()
        self.addCleanup(fake.stop)
        return fake

    def run_pp(self, *args, key=KEY):
        res = self.ws.run(*args)
        # The key never reaches any output, whatever happened.
        self.assertNotIn(key, res.stdout)
        self.assertNotIn(key, res.stderr)
        return res

    def post(self):
        posts = self.ws.posts()
        self.assertEqual(len(posts), 1, posts)
        with open(os.path.join(self.ws.outbox, posts[0], "post.json")) as f:
            return json.load(f)

    def sidecar(self):
        path = os.path.join(self.ws.images, "archive", STEM + ".txt")
        with open(path) as f:
            return f.read().split("\n")

    def assertFailed(self, res, *fragments):
        self.assertEqual(res.rc, 1, res.stderr)
        t = self.assertTiming(res, False)
        for frag in fragments:
            self.assertIn(frag, t["error"])
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.image_names(), [IMAGE])
        return t

    # -- the success path ------------------------------------------------------

    def test_requests_log_and_sidecar(self):
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertTiming(res, True, ran=["vision_analysis_ms", "caption_generation_ms",
                                          "sidecar_write_ms"])
        reqs = self.fake.chat_requests()
        self.assertEqual(len(reqs), 2)
        for r in reqs:
            self.assertEqual(r.path, "/v1/chat/completions")
            self.assertEqual(r.method, "POST")
            self.assertEqual(r.header("Authorization"), "Bearer " + KEY)
            self.assertTrue(r.header("Content-Type").startswith("application/json"))

        # Vision: one call, JSON mode, the image as a data: URL.
        vision = reqs[0].json()
        self.assertEqual(vision["model"], VISION_MODEL)
        self.assertEqual(vision["temperature"], 0.4)
        self.assertEqual(vision["max_tokens"], 512)
        self.assertNotIn("max_completion_tokens", vision)
        self.assertEqual(vision["response_format"], {"type": "json_object"})
        msgs = vision["messages"]
        self.assertEqual([m["role"] for m in msgs], ["system", "user"])
        self.assertIsInstance(msgs[0]["content"], str)
        parts = msgs[1]["content"]
        self.assertEqual([p["type"] for p in parts], ["text", "image_url"])
        prompt = parts[0]["text"]
        self.assertIn("JSON", prompt)
        for key in ("description", "mood", "tags", "nsfw", "safety_labels", "subject", "style",
                    "lighting", "camera", "clothing_or_accessories", "aesthetic_terms", "pose",
                    "composition", "background", "color_palette"):
            self.assertIn('"%s"' % key, prompt)
        self.assertIn("lowercase_snake_case", prompt)
        url = parts[1]["image_url"]["url"]
        self.assertTrue(url.startswith("data:image/jpeg;base64,"), url[:40])
        self.assertEqual(parts[1]["image_url"]["detail"], "high")
        self.assertEqual([i["kind"] for i in self.fake.images], ["data"])
        mime, jpeg = fake_openai.decode_data_url(url)
        self.assertEqual(mime, "image/jpeg")
        w, h = jpeg_size(jpeg)
        self.assertEqual(max(w, h), 1024)                       # 1600 x 1200 downscaled
        self.assertEqual((w, h), (1024, round(1200 * 1024 / 1600)))

        # Caption: caption and sd_caption in one JSON call.
        cap = reqs[1].json()
        self.assertEqual(cap["model"], CAPTION_MODEL)
        self.assertEqual(cap["temperature"], 0.6)
        self.assertEqual(cap["response_format"], {"type": "json_object"})
        self.assertIn("JSON", user_text(cap))
        self.assertIn("sd_caption", user_text(cap))
        self.assertNotIn("image_url", json.dumps(cap))
        # The analysis reached the caption prompt.
        self.assertIn(fake_openai.DEFAULT_ANALYSIS["description"], user_text(cap))

        va = res.one("vision_analysis")
        self.assertEqual(va["logger"], "ai")
        self.assertEqual(va["model"], VISION_MODEL)
        self.assertIs(va["ok"], True)
        self.assertIsNone(va["error_type"])
        self.assertEqual(va["prompt_tokens"], self.fake.prompt_tokens)
        self.assertEqual(va["completion_tokens"], self.fake.completion_tokens)
        self.assertIsInstance(va["vision_analysis_ms"], int)
        self.assertIs(res.one("caption_generated")["has_sd"], True)

        post = self.post()
        self.assertEqual(post["caption"], self.fake.caption + " #test")
        self.assertEqual(post["sd_caption"], self.fake.sd_caption)
        an = post["analysis"]
        exp = fake_openai.DEFAULT_ANALYSIS
        self.assertEqual(an["description"], exp["description"])
        self.assertEqual(an["mood"], exp["mood"])
        self.assertEqual(an["tags"], exp["tags"])
        self.assertIs(an["nsfw"], False)
        self.assertEqual(an["color_palette"], ", ".join(exp["color_palette"]))
        self.assertEqual(an["aesthetic_terms"], exp["aesthetic_terms"])

        side = self.sidecar()
        self.assertEqual(side[0], self.fake.sd_caption)
        self.assertIn("# model_version: " + CAPTION_MODEL, side)
        self.assertIn("# image_file: " + IMAGE, side)

    def test_custom_prompts_and_reasoning_model(self):
        self.ws.set("openAI", "vision_model", "o4-mini")
        self.ws.set("openAI", "system_prompt", "You are the house art critic.")
        self.ws.set("openAI", "role_prompt", "Look closely at this picture.")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        vision = self.fake.vision_bodies()[0]
        self.assertEqual(vision["model"], "o4-mini")
        # reasoning models: max_completion_tokens, their own temperature
        self.assertNotIn("temperature", vision)
        self.assertNotIn("max_tokens", vision)
        self.assertGreaterEqual(vision["max_completion_tokens"], 512)
        self.assertEqual(vision["messages"][0]["content"], "You are the house art critic.")
        text = vision["messages"][1]["content"][0]["text"]
        self.assertTrue(text.startswith("Look closely at this picture."), text[:80])
        self.assertIn("JSON", text)  # JSON mode needs the word; the key list was added
        self.assertEqual(res.one("vision_analysis")["model"], "o4-mini")
        cap = self.fake.caption_bodies()[0]
        self.assertEqual(cap["temperature"], 0.6)
        self.assertEqual(cap["messages"][0]["content"], "You are the house art critic.")

    def test_separate_sd_caption_call(self):
        self.ws.set("openAI", "sd_caption_single_call_enabled", "false")
        self.ws.set("openAI", "sd_caption_model", "gpt-4o-sd")
        self.ws.set("openAI", "sd_caption_system_prompt", "SD captioner.")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        bodies = self.fake.chat_bodies()
        self.assertEqual(len(bodies), 3)
        cap, sd = bodies[1], bodies[2]
        self.assertEqual(cap["model"], CAPTION_MODEL)
        self.assertEqual(cap["temperature"], 0.7)
        self.assertNotIn("response_format", cap)
        self.assertEqual(sd["model"], "gpt-4o-sd")
        self.assertEqual(sd["messages"][0]["content"], "SD captioner.")
        self.assertNotIn("response_format", sd)
        post = self.post()
        self.assertEqual(post["caption"], self.fake.caption + " #test")
        self.assertEqual(post["sd_caption"], self.fake.sd_caption)
        self.assertEqual(self.sidecar()[0], self.fake.sd_caption)

    def test_sd_caption_disabled_makes_caption_only_call(self):
        self.ws.set("openAI", "sd_caption_enabled", "false")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        bodies = self.fake.chat_bodies()
        self.assertEqual(len(bodies), 2)
        self.assertEqual(bodies[1]["temperature"], 0.7)
        self.assertNotIn("response_format", bodies[1])
        self.assertNotIn("sd_caption", user_text(bodies[1]))
        self.assertIs(res.one("caption_generated")["has_sd"], False)
        self.assertIsNone(self.post()["sd_caption"])

    # -- the model's JSON --------------------------------------------------------

    def test_invalid_json_falls_back_and_publishes(self):
        reply = ("Je ne peux pas répondre en JSON — voici plutôt une description: "
                 "un ponton de bois blanchi par le soleil, des planches grises, "
                 "une lumière douce de fin d'après-midi.")
        self.fake.queue_reply(content=reply)
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        va = res.one("vision_analysis")
        self.assertIs(va["ok"], True)
        self.assertEqual(va["error_type"], "json_decode_error")
        an = self.post()["analysis"]
        self.assertEqual(an["description"], reply[:100])     # code points, not bytes
        self.assertEqual(an["mood"], "unknown")
        for key in ("tags", "safety_labels", "clothing_or_accessories", "aesthetic_terms"):
            self.assertEqual(an[key], [], key)
        self.assertIs(an["nsfw"], False)
        self.assertEqual(len(self.ws.archived()), 2)

    def test_wrong_field_types_are_mapped(self):
        self.fake.queue_json({
            "description": ["A bleached deck", "under a pale sky"],
            "mood": 7,
            "tags": "Wooden Deck, Sun-Bleached,  texture ,#Planks, wooden deck,,",
            "nsfw": "yes",
            "safety_labels": None,
            "subject": {"main": "deck"},
            "style": ["minimal", "documentary"],
            "lighting": True,
            "camera": 35.5,
            "clothing_or_accessories": [["rope"], 3, None, ""],
            "aesthetic_terms": "minimal",
            "pose": None,
            "composition": "",
            "color_palette": "grey; sand",
            "unexpected": "ignored",
        })
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIsNone(res.one("vision_analysis")["error_type"])
        an = self.post()["analysis"]
        self.assertEqual(an["description"], "A bleached deck, under a pale sky")
        self.assertEqual(an["mood"], "7")
        self.assertEqual(an["tags"], ["wooden_deck", "sun_bleached", "texture", "planks"])
        self.assertIs(an["nsfw"], True)
        self.assertEqual(an["safety_labels"], [])
        self.assertEqual(json.loads(an["subject"]), {"main": "deck"})
        self.assertEqual(an["style"], "minimal, documentary")
        self.assertEqual(an["lighting"], "true")
        self.assertEqual(an["camera"], "35.5")
        self.assertEqual(an["clothing_or_accessories"], ["rope", "3"])
        self.assertEqual(an["aesthetic_terms"], ["minimal"])
        self.assertEqual(an["pose"], "")
        self.assertEqual(an["composition"], "")
        self.assertEqual(an["background"], "")
        self.assertEqual(an["color_palette"], "grey, sand")

    def test_tags_normalised_and_limited(self):
        tags = ["Tag %d" % i for i in range(40)]
        tags[1] = "tag_0"            # a duplicate after normalising
        words = " ".join("w%d" % i for i in range(45))
        self.fake.queue_json({"description": words, "mood": "calm", "tags": tags,
                              "nsfw": 0, "safety_labels": ["Partial Nudity"]})
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        an = self.post()["analysis"]
        expected = ["tag_0"] + ["tag_%d" % i for i in range(2, 26)]
        self.assertEqual(an["tags"], expected)
        self.assertEqual(len(an["tags"]), 25)
        self.assertIs(an["nsfw"], False)
        self.assertEqual(an["safety_labels"], ["partial_nudity"])
        self.assertEqual(an["description"].split(), words.split()[:29] + ["w29\u2026"])

    def test_json_in_code_fence_and_content_parts(self):
        # compatible servers without JSON mode wrap the object in prose or fences
        self.fake.queue_reply(content="Here it is:\n```json\n%s\n```"
                              % json.dumps({"description": "Fenced deck.", "mood": "still",
                                            "tags": ["deck"]}))
        # and some return the content as a list of text parts
        self.fake.queue_reply(raw={
            "model": CAPTION_MODEL + "-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant",
                "content": [{"type": "text", "text": '{"caption": "Parts, '},
                            {"type": "text", "text": 'joined.", "sd_caption": "deck"}'}]}}],
        })
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertIsNone(res.one("vision_analysis")["error_type"])
        post = self.post()
        self.assertEqual(post["analysis"]["description"], "Fenced deck.")
        self.assertEqual(post["analysis"]["tags"], ["deck"])
        self.assertEqual(post["caption"], "Parts, joined. #test")
        # no usage in that reply: the model of the reply names the sidecar's model_version
        self.assertIn("# model_version: " + CAPTION_MODEL + "-2024-07-18", self.sidecar())

    def test_refusal_and_content_filter_fail_clearly(self):
        self.fake.queue_reply(raw={
            "model": VISION_MODEL,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": None,
                "refusal": "I'm sorry, I can't help with that."}}],
        })
        res = self.run_pp()
        self.assertFailed(res, "image analysis failed", "refused",
                          "I'm sorry, I can't help with that.")
        self.assertEqual(res.one("vision_analysis")["error_type"], "refusal")

        self.fake.queue_reply(content="", finish_reason="content_filter")
        res = self.run_pp()
        self.assertFailed(res, "image analysis failed", "content filter")

    def test_error_body_of_another_server(self):
        self.fake.queue_status(404, body={"detail": "model 'gpt-4o' not found, try pulling it"})
        res = self.run_pp()
        self.assertFailed(res, "HTTP 404", "model 'gpt-4o' not found, try pulling it")
        self.assertEqual(len(self.fake.chat_requests()), 1)

    def test_vision_reply_cut_off_fails_the_run(self):
        self.fake.queue_reply(content='{"description": "A deck', finish_reason="length")
        res = self.run_pp()
        t = self.assertFailed(res, "image analysis failed", "cut off")
        self.assertIn("finish_reason length", t["error"])
        va = res.one("vision_analysis")
        self.assertIs(va["ok"], False)
        self.assertEqual(va["error_type"], "truncated")
        self.assertEqual(len(self.fake.chat_requests()), 1)     # no caption call

    # -- captions ---------------------------------------------------------------

    def test_single_call_invalid_json_falls_back_to_caption_only(self):
        self.fake.queue_reply()                       # vision: default analysis
        self.fake.queue_reply(content="caption: nice deck")   # not JSON
        self.fake.queue_reply(content="\u201cSalt in the grain, light on the boards.\u201d")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        bodies = self.fake.chat_bodies()
        self.assertEqual(len(bodies), 3)
        self.assertEqual(bodies[1]["response_format"], {"type": "json_object"})
        self.assertEqual(bodies[2]["model"], CAPTION_MODEL)
        self.assertEqual(bodies[2]["temperature"], 0.7)
        self.assertNotIn("response_format", bodies[2])
        warn = res.one("caption_single_call_failed")
        self.assertEqual(warn["error_type"], "json_decode_error")
        post = self.post()
        self.assertEqual(post["caption"], "Salt in the grain, light on the boards. #test")
        self.assertIsNone(post["sd_caption"])
        self.assertIs(res.one("caption_generated")["has_sd"], False)
        self.assertEqual(self.ws.archived(), [IMAGE])            # no sidecar without sd

    def test_single_call_http_error_falls_back(self):
        self.fake.queue_reply()
        self.fake.queue_status(400, message="Invalid value for response_format")
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.chat_requests()), 3)
        self.assertIn("Invalid value for response_format",
                      res.one("caption_single_call_failed")["error"])
        self.assertEqual(self.post()["caption"], self.fake.caption + " #test")

    def test_empty_caption_from_both_calls_fails(self):
        self.fake.queue_reply()
        self.fake.queue_json({"caption": "", "sd_caption": "a deck"})
        self.fake.queue_reply(content="  \"\"  ")
        res = self.run_pp()
        self.assertFailed(res, "caption generation failed", "empty caption")
        self.assertEqual(len(self.fake.chat_requests()), 3)

    def test_long_caption_is_cut_to_the_limit(self):
        text = " ".join(["drift"] * 500)            # 2999 characters
        self.fake.queue_reply()
        self.fake.queue_json({"caption": text, "sd_caption": "a deck"})
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        caption = self.post()["caption"]
        self.assertEqual(len(caption), 2200)
        # the hashtags we append survive the cut
        self.assertEqual(caption, text[:2200 - len(" #test") - 1] + "\u2026 #test")
        self.assertEqual(res.one("caption_generated")["caption_length"], 2200)

    # -- HTTP failures -------------------------------------------------------------

    def test_429_with_retry_after_is_retried(self):
        self.fake.queue_status(429, headers={"Retry-After": "1"})
        res = self.run_pp()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.fake.chat_requests()), 3)
        self.assertGreaterEqual(self.fake.times[1] - self.fake.times[0], 0.9)
        self.assertTrue(res.one("vision_analysis")["ok"])

    def test_server_errors_exhaust_retries(self):
        self.fake.queue_status(500, times=3)
        res = self.run_pp()
        t = self.assertFailed(res, "image analysis failed", "500",
                              "The server had an error while processing your request.")
        self.assertEqual(len(self.fake.chat_requests()), 3)
        va = res.one("vision_analysis")
        self.assertIs(va["ok"], False)
        self.assertEqual(va["error_type"], "server_error")
        self.assertNotIn("Traceback", t["error"])

    def test_wrong_key_is_reported_without_the_key(self):
        wrong = "wrong-key-Hn4Jk8Lp2Qs6Vd9"   # not sk-…: only registration can hide it
        self.ws.env["OPENAI_API_KEY"] = wrong
        res = self.run_pp(key=wrong)
        t = self.assertFailed(res, "image analysis failed", "401", "Incorrect API key provided")
        self.assertEqual(len(self.fake.chat_requests()), 1)     # never retried
        self.assertEqual(self.fake.chat_requests()[0].header("Authorization"), "Bearer " + wrong)
        self.assertNotIn(KEY, res.stderr)
        self.assertEqual(res.one("vision_analysis")["error_type"], "auth")
        self.assertIn("401", t["error"])


if __name__ == "__main__":
    harness.main()
