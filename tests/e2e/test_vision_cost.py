"""The vision request's size and detail and what the AI calls cost, against
the fake OpenAI server: the image fitted to [openAI] vision_max_px (1024 by
default), detail low by default; one second call at high detail when the
low-detail answer is unusable (not JSON, or no description or tags), none
when it is fine, never more than one; cost_usd, prompt_tokens,
completion_tokens and detail on the vision_analysis and caption_call lines,
from the price table, an [openAI] prices override, or null for an unknown
model; `photopub stats` tokens and cost per day and model."""

import json
import os
import subprocess
import sys

import harness
from harness import TestCase

sys.path.insert(0, os.path.join(harness.SOURCE, "tests", "fakes"))
import fake_openai  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402
from test_openai import jpeg_size  # noqa: E402

KEY = "sk-e2e-Cost7Xv3Lm9Pw2Rt5Yu8"
IMAGE = "bleached-wooden-deck.jpg"        # 1600 x 1200
PROMPT, COMPLETION = 1000, 200
# gpt-4o 2.50/10.00, gpt-4o-mini 0.15/0.60 USD per 1M tokens (src/ai/prices.c)
GPT4O_COST = (PROMPT * 2.50 + COMPLETION * 10.00) / 1e6
MINI_COST = (PROMPT * 0.15 + COMPLETION * 0.60) / 1e6


def image_part(body):
    (part,) = [p for m in body["messages"] if isinstance(m["content"], list)
               for p in m["content"] if p["type"] == "image_url"]
    return part["image_url"]


class VisionCostTest(TestCase):
    images = [IMAGE]

    def setUp(self):
        super().setUp()
        self.fake = FakeOpenAI(api_key=KEY).start()
        self.addCleanup(self.fake.stop)
        self.fake.prompt_tokens = PROMPT
        self.fake.completion_tokens = COMPLETION
        self.ws.set("AI", "provider", "openai")
        self.ws.set("openAI", "base_url", self.fake.base_url)
        self.ws.set("openAI", "vision_model", "gpt-4o")
        self.ws.set("openAI", "caption_model", "gpt-4o-mini")
        self.ws.set("Log", "level", "debug")
        self.ws.env["OPENAI_API_KEY"] = KEY

    def run_ok(self):
        res = self.ws.run()
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertNotIn(KEY, res.stdout + res.stderr)
        return res

    def sent_size(self, body):
        mime, jpeg = fake_openai.decode_data_url(image_part(body)["url"])
        self.assertEqual(mime, "image/jpeg")
        return jpeg_size(jpeg)

    def test_defaults_send_1024_px_at_low_detail_and_log_the_cost(self):
        res = self.run_ok()
        (vision,) = self.fake.vision_bodies()
        self.assertEqual(image_part(vision)["detail"], "low")
        self.assertEqual(self.sent_size(vision), (1024, 768))
        va = res.one("vision_analysis")
        self.assertEqual(va["detail"], "low")
        self.assertIs(va["fallback"], False)
        self.assertEqual(va["prompt_tokens"], PROMPT)
        self.assertEqual(va["completion_tokens"], COMPLETION)
        self.assertEqual(va["cost_usd"], GPT4O_COST)
        self.assertEqual(res.events("vision_fallback"), [])
        cc = res.one("caption_call")
        self.assertEqual(cc["model"], "gpt-4o-mini")
        self.assertEqual(cc["prompt_tokens"], PROMPT)
        self.assertEqual(cc["completion_tokens"], COMPLETION)
        self.assertEqual(cc["cost_usd"], MINI_COST)

    def test_max_px_and_detail_keys(self):
        self.ws.set("openAI", "vision_max_px", "512")
        self.ws.set("openAI", "vision_detail", "auto")
        res = self.run_ok()
        (vision,) = self.fake.vision_bodies()
        self.assertEqual(image_part(vision)["detail"], "auto")
        self.assertEqual(self.sent_size(vision), (512, 384))
        self.assertEqual(res.one("vision_analysis")["detail"], "auto")

    def test_out_of_range_max_px_is_refused(self):
        self.ws.set("openAI", "vision_max_px", "4000")
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("vision_max_px", res.stderr)
        self.assertEqual(self.fake.vision_bodies(), [])

    def test_garbage_at_low_detail_is_asked_again_at_high(self):
        self.fake.queue_reply(content="I am unable to describe this in JSON, sorry.")
        res = self.run_ok()
        first, second = self.fake.vision_bodies()
        self.assertEqual(image_part(first)["detail"], "low")
        self.assertEqual(image_part(second)["detail"], "high")
        self.assertEqual(image_part(first)["url"], image_part(second)["url"])
        fb = res.one("vision_fallback")
        self.assertEqual((fb["from_detail"], fb["detail"], fb["reason"]),
                         ("low", "high", "json_decode_error"))
        va = res.one("vision_analysis")
        self.assertEqual(va["detail"], "high")
        self.assertIs(va["fallback"], True)
        self.assertIsNone(va["error_type"])
        self.assertEqual(va["prompt_tokens"], 2 * PROMPT)      # both calls counted
        self.assertEqual(va["completion_tokens"], 2 * COMPLETION)
        self.assertEqual(va["cost_usd"], (2 * PROMPT * 2.50 + 2 * COMPLETION * 10.00) / 1e6)
        with open(os.path.join(self.ws.outbox, self.ws.posts()[0], "post.json")) as f:
            post = json.load(f)
        self.assertEqual(post["analysis"]["description"],
                         fake_openai.DEFAULT_ANALYSIS["description"])

    def test_missing_fields_are_unusable(self):
        self.fake.queue_json({"description": "", "mood": "calm", "tags": []})
        res = self.run_ok()
        self.assertEqual(len(self.fake.vision_bodies()), 2)
        self.assertEqual(res.one("vision_fallback")["reason"], "missing_fields")

    def test_never_more_than_one_extra_call(self):
        self.fake.queue_reply(content="not json")
        self.fake.queue_reply(content="still not json")
        res = self.run_ok()
        self.assertEqual([image_part(b)["detail"] for b in self.fake.vision_bodies()],
                         ["low", "high"])
        va = res.one("vision_analysis")
        self.assertEqual(va["error_type"], "json_decode_error")
        self.assertIs(va["fallback"], True)

    def test_a_failed_fallback_keeps_the_first_answer(self):
        self.fake.queue_reply(content="not json")
        self.fake.queue_status(400, message="Invalid image detail")
        res = self.run_ok()
        self.assertEqual(len(self.fake.vision_bodies()), 2)
        self.assertIn("Invalid image detail", res.one("vision_fallback_failed")["error"])
        va = res.one("vision_analysis")
        self.assertEqual((va["detail"], va["fallback"], va["error_type"]),
                         ("low", True, "json_decode_error"))
        self.assertEqual(va["prompt_tokens"], PROMPT)          # the failed call counted nothing

    def test_high_detail_has_no_fallback(self):
        self.ws.set("openAI", "vision_detail", "high")
        self.fake.queue_reply(content="not json")
        res = self.run_ok()
        self.assertEqual(len(self.fake.vision_bodies()), 1)
        self.assertEqual(res.events("vision_fallback"), [])
        self.assertEqual(res.one("vision_analysis")["error_type"], "json_decode_error")

    def test_unknown_model_costs_null(self):
        self.ws.set("openAI", "vision_model", "llava-13b")
        res = self.run_ok()
        va = res.one("vision_analysis")
        self.assertEqual(va["prompt_tokens"], PROMPT)
        self.assertIn("cost_usd", va)
        self.assertIsNone(va["cost_usd"])


    def test_an_override_prices_a_model(self):
        self.ws.set("openAI", "vision_model", "llava-13b")
        self.ws.set("openAI", "prices", "llava-13b=1/2; gpt-4o-mini=0/0")
        res = self.run_ok()
        self.assertEqual(res.one("vision_analysis")["cost_usd"], (PROMPT * 1 + COMPLETION * 2) / 1e6)
        self.assertEqual(res.one("caption_call")["cost_usd"], 0)

    def test_malformed_prices_are_refused(self):
        self.ws.set("openAI", "prices", "gpt-4o=cheap")
        res = self.ws.run()
        self.assertNotEqual(res.rc, 0)
        self.assertIn("gpt-4o=cheap", res.stderr)


def ai_line(day, hour, message, model, prompt, completion, cost):
    return json.dumps({"timestamp": "%sT%02d:00:00.000Z" % (day, hour), "level": "info",
                       "logger": "ai", "message": message, "correlation_id": "c-%d" % hour,
                       "model": model, "ok": True, "prompt_tokens": prompt,
                       "completion_tokens": completion, "cost_usd": cost})


def stats(*args):
    return subprocess.run([harness.BIN, "stats"] + list(args), capture_output=True, text=True,
                          timeout=120)


class StatsCostTest(TestCase):
    images = []

    def test_tokens_and_cost_per_day_and_model(self):
        log = os.path.join(self.ws.dir, "ai.log")
        with open(log, "w") as f:
            for ln in (ai_line("2026-11-30", 9, "vision_analysis", "gpt-4o", 1000, 200, 0.0045),
                       ai_line("2026-11-30", 10, "vision_analysis", "gpt-4o", 500, 100, 0.00225),
                       ai_line("2026-11-30", 10, "caption_call", "gpt-4o-mini", 300, 50, 7.5e-05),
                       ai_line("2026-12-01", 8, "vision_analysis", "llava-13b", 85, 40, None),
                       ai_line("2026-12-01", 9, "workflow_start", "gpt-4o", 7, 7, 1.0)):
                f.write(ln + "\n")
            f.write("not json\n")
        res = stats("--json", log)
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = json.loads(res.stdout)["ai_cost"]
        self.assertEqual([(r["day"], r["model"], r["calls"], r["prompt_tokens"],
                           r["completion_tokens"], r["unpriced_calls"]) for r in rows],
                         [("2026-11-30", "gpt-4o", 2, 1500, 300, 0),
                          ("2026-11-30", "gpt-4o-mini", 1, 300, 50, 0),
                          ("2026-12-01", "llava-13b", 1, 85, 40, 1)])
        self.assertAlmostEqual(rows[0]["cost_usd"], 0.00675, places=12)
        self.assertAlmostEqual(rows[1]["cost_usd"], 7.5e-05, places=12)
        self.assertEqual(rows[2]["cost_usd"], 0)

        res = stats(log)
        self.assertEqual(res.returncode, 0, res.stderr)
        table = res.stdout[res.stdout.index("ai cost"):]
        self.assertRegex(table, r"2026-11-30\s*gpt-4o\s+2\s+1500\s+300\s+0\.006750\s+0\n")
        self.assertRegex(table, r"2026-12-01\s*llava-13b\s+1\s+85\s+40\s+0\.000000\s+1\n")


if __name__ == "__main__":
    harness.main()
