"""`photopub stats`, budgets, `trace` and `report` end to end.

stats reads a generated log of known distributions mixed with garbage,
truncated, foreign and blank lines (plain, gzip and standard input): every
percentile it prints matches the nearest-rank value computed here, within
the stated relative error (1/512; exact below 512 ms), and the skipped lines
are counted exactly. trace and report run on the logs of real `photopub run`
invocations; the report is opened in headless chromium when it is installed
(screenshot kept in BUILD/tests/artifacts/report.png)."""

import gzip
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import harness
from harness import BIN, Workspace, parse_log

REL_ERROR = 1 / 512
EXACT_BELOW = 512
PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}
STAGES = ["dropbox_list_images_ms", "image_selection_ms", "vision_analysis_ms",
          "caption_generation_ms", "sidecar_write_ms", "publish_parallel_ms", "archive_ms",
          "total_ms", "publish_telegram_ms", "publish_outbox_ms"]
# The rows of the terminal tables: a stage's label (types/stage.c); the
# generated logs have no images_listed line, so no backend is named.
STAGE_LABELS = {"dropbox_list_images_ms": "list images", "image_selection_ms": "select image",
                "vision_analysis_ms": "vision analysis", "caption_generation_ms": "generate caption",
                "sidecar_write_ms": "write sidecar", "publish_parallel_ms": "publish (parallel)",
                "archive_ms": "archive", "total_ms": "total",
                "publish_telegram_ms": "publish telegram", "publish_outbox_ms": "publish outbox"}
T0 = (int(time.time()) - 10 * 86400) * 1000  # the generated logs start ten days ago


def nearest_rank(values, q):
    s = sorted(values)
    return s[max(1, math.ceil(q * len(s))) - 1]


def ts(ms):
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms


def line(t, level, logger, message, cid, **fields):
    obj = {"timestamp": ts(t), "level": level, "logger": logger, "message": message}
    if cid is not None:
        obj["correlation_id"] = cid
    obj.update(fields)
    return json.dumps(obj, separators=(",", ":"))


def photopub(*args, stdin=None, input_bytes=None, timeout=120):
    env = dict(os.environ)
    proc = subprocess.run([BIN] + list(args), input=input_bytes, stdin=stdin,
                          capture_output=True, timeout=timeout)
    stderr = proc.stderr.decode("utf-8", "replace")
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), parse_log(stderr), stderr


class GeneratedLog:
    """Thousands of lines of known content, and what stats must say about them."""

    def __init__(self, path, seed=11):
        rng = random.Random(seed)
        self.expect = {"stages": {}, "web": {}, "http": {}, "publishers": {}}
        self.skipped = {"not_json": 0, "truncated": 0, "foreign": 0}
        self.lines = 0
        self.totals_by_time = []  # (t, total_ms, failed)
        out = []

        def series(group, name):
            return self.expect[group].setdefault(name, {"values": [], "errors": 0,
                                                        "success": 0, "failure": 0})

        t = T0
        for i in range(3000):
            t += rng.randint(1000, 60000)
            cid = "run-%05d" % i
            failed = rng.random() < 0.07
            stages = {
                "dropbox_list_images_ms": rng.randint(0, 40),
                "image_selection_ms": int(rng.lognormvariate(4, 0.7)),
                "vision_analysis_ms": int(rng.lognormvariate(7.5, 0.4)),   # ~1800 ms
                "caption_generation_ms": rng.choice([0, 0, 1, int(rng.uniform(300, 1500))]),
                "sidecar_write_ms": None if rng.random() < 0.2 else rng.randint(0, 5),
                "publish_parallel_ms": None, "archive_ms": None,
            }
            tg = int(rng.paretovariate(1.5) * 600)       # heavy tail
            ob = rng.randint(0, 3)
            stages["publish_parallel_ms"] = max(tg, ob) + rng.randint(0, 2)
            stages["archive_ms"] = None if failed else rng.randint(0, 30)
            total = sum(v for v in stages.values() if v is not None) + rng.randint(0, 20)
            stages["total_ms"] = total
            stages["publish_telegram_ms"] = tg
            stages["publish_outbox_ms"] = ob
            for k, v in stages.items():
                s = series("stages", k)
                if v is not None:
                    s["values"].append(v)
                    if failed:
                        s["errors"] += 1
            self.totals_by_time.append((t, total, failed))
            for name, ms, ok in (("telegram", tg, not failed), ("outbox", ob, True)):
                p = series("publishers", name)
                p["values"].append(ms)
                p["success" if ok else "failure"] += 1
                if not ok:
                    p["errors"] += 1
                out.append(line(t, "info" if ok else "error", "publisher." + name,
                                "publisher_publish", cid, platform=name, duration_ms=ms,
                                success=ok, post_id=None, error=None if ok else "HTTP 502"))
            out.append(line(t, "error" if failed else "info", "workflow", "workflow_timing", cid,
                            image="img-%d.jpg" % i, **stages, preview_mode=False,
                            dry_publish=False, success=not failed,
                            error="every platform failed" if failed else None))
            out.append(line(t, "info", "workflow", "workflow_complete", cid, success=not failed))

        for i in range(4000):
            t = T0 + rng.randint(0, 3000 * 30000)
            cid = "req-%05d" % i
            kind = rng.random()
            if kind < 0.6:
                route, upath, method, ev, field = ("/api/images/random", "/api/images/random",
                                                   "GET", "web_random_image", "web_random_image_ms")
                ms = int(rng.expovariate(1 / 12))
            elif kind < 0.85:
                route, upath, method, ev, field = ("/api/images/{filename}/analyze",
                                                   "/api/images/a%d.jpg/analyze" % i, "POST",
                                                   "web_analyze_complete", "web_analyze_ms")
                ms = int(rng.gauss(2500, 400))
            else:
                route, upath, method, ev, field = ("/api/images/{filename}/publish",
                                                   "/api/images/a%d.jpg/publish" % i, "POST",
                                                   "web_publish_complete", "web_publish_ms")
                ms = int(rng.uniform(50, 9000))
            ms = max(ms, 0)
            error = rng.random() < 0.05
            if error:
                ev = ev.replace("_complete", "") + "_error" if "_complete" in ev else ev + "_error"
            w = series("web", field)
            w["values"].append(ms)
            if error:
                w["errors"] += 1
            out.append(line(t, "error" if error else "info", "web", ev, cid,
                            filename="a.jpg", **{field: ms}, error="boom" if error else None))
            status = 500 if error else rng.choice([200, 200, 200, 404])
            key = "%s %s %dxx" % (method, route, status // 100)
            h = series("http", key)
            h["values"].append(ms + 1)
            if status >= 500:
                h["errors"] += 1
            out.append(line(t, "info", "web", "http_request", cid, method=method, path=upath,
                            route=route, status=status, duration_ms=ms + 1, bytes=123))
        # A request logged without a route: grouped by its path.
        out.append(line(T0, "info", "web", "http_request", "req-noroute", method="GET",
                        path="/healthz", status=200, duration_ms=3, bytes=2))
        series("http", "GET /healthz 2xx")["values"].append(3)

        rng.shuffle(out)
        valid = list(out)
        # The noise: garbage, truncated (a valid line cut in half), foreign, blank.
        for i in range(97):
            out.insert(rng.randrange(len(out)), "Segmentation fault %d" % i)
            self.skipped["not_json"] += 1
        for i in range(53):
            v = rng.choice(valid)
            out.insert(rng.randrange(len(out)), v[:len(v) // 2])
            self.skipped["truncated"] += 1
        for i in range(41):
            out.insert(rng.randrange(len(out)),
                       json.dumps({"time": "x", "msg": "nginx", "status": 200, "n": i}))
            self.skipped["foreign"] += 1
        out.insert(5, "[1, 2, 3]")
        self.skipped["foreign"] += 1
        out.insert(9, "{" + "\"k\":\"" + "x" * (1 << 20) + "\"}")  # over the line limit
        self.skipped["truncated"] += 1
        for i in range(20):
            out.insert(rng.randrange(len(out)), "" if i % 2 else "   ")
        self.lines = sum(1 for l in out if l.strip())
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")


class Tags(HTMLParser):
    """Every tag and attribute of a document."""

    def __init__(self):
        super().__init__()
        self.found, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.found.add(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]


class StatsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pp-stats-")
        cls.log = os.path.join(cls.dir, "photopub.log")
        cls.gen = GeneratedLog(cls.log)
        cls.gz = cls.log + ".1.gz"
        with open(cls.log, "rb") as f, gzip.open(cls.gz, "wb") as g:
            g.write(f.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def stats_json(self, *args, **kw):
        rc, out, lines, err = photopub("stats", "--json", *args, **kw)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def assertPercentiles(self, got, values, what):
        self.assertEqual(got["count"], len(values), what)
        if not values:
            return
        for name, q in PERCENTILES.items():
            exact = nearest_rank(values, q)
            if exact < EXACT_BELOW:
                self.assertEqual(got[name], exact, "%s %s" % (what, name))
            else:
                self.assertLessEqual(abs(got[name] - exact), exact * REL_ERROR,
                                     "%s %s: %s vs exact %s" % (what, name, got[name], exact))
        self.assertEqual(got["max"], max(values), what)

    def test_every_percentile_and_count(self):
        res = self.stats_json(self.log)
        self.assertEqual(list(res.keys()), ["lines", "skipped", "stages", "web", "http",
                                            "publishers", "ai_cost"])
        self.assertEqual(res["lines"], self.gen.lines)
        self.assertEqual(res["skipped"], self.gen.skipped)
        for group in ("stages", "web", "http", "publishers"):
            want = self.gen.expect[group]
            self.assertEqual(sorted(res[group]), sorted(want), group)
            for name, exp in want.items():
                got = res[group][name]
                self.assertPercentiles(got, exp["values"], "%s %s" % (group, name))
                self.assertEqual(got["errors"], exp["errors"], "%s %s errors" % (group, name))
                if group == "publishers":
                    self.assertEqual(got["success"], exp["success"], name)
                    self.assertEqual(got["failure"], exp["failure"], name)
        # Stages come in pipeline order, total last.
        self.assertEqual(list(res["stages"])[:2], ["dropbox_list_images_ms", "image_selection_ms"])
        self.assertEqual(list(res["stages"])[-1], "total_ms")

    def test_gzip_and_stdin_read_the_same(self):
        plain = self.stats_json(self.log)
        self.assertEqual(self.stats_json(self.gz), plain)
        with open(self.log, "rb") as f:
            self.assertEqual(self.stats_json(stdin=f), plain)
        # gzip on standard input too, recognised by its magic bytes.
        with open(self.gz, "rb") as f:
            self.assertEqual(self.stats_json("-", stdin=f), plain)
        # Two files add up.
        both = self.stats_json(self.log, self.gz)
        self.assertEqual(both["lines"], 2 * plain["lines"])
        self.assertEqual(both["stages"]["total_ms"]["count"], 2 * plain["stages"]["total_ms"]["count"])

    def test_large_file_read_in_parts_gives_the_same(self):
        # Over 32 MiB a plain file is read by several threads: same result.
        big = os.path.join(self.dir, "big.log")
        with open(self.log, "rb") as f:
            data = f.read()
        copies = (33 << 20) // len(data) + 1
        with open(big, "wb") as f:
            for _ in range(copies):
                f.write(data)
        res = self.stats_json(big)
        one = self.stats_json(self.log)
        self.assertEqual(res["lines"], copies * one["lines"])
        self.assertEqual(res["skipped"], {k: copies * v for k, v in one["skipped"].items()})
        for name, s in one["stages"].items():
            self.assertEqual(res["stages"][name]["count"], copies * s["count"])
            for p in ("p50", "p90", "p95", "p99", "max"):
                self.assertEqual(res["stages"][name][p], s[p], name + " " + p)
        os.unlink(big)

    def test_terminal_table(self):
        rc, out, lines, err = photopub("stats", self.log)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines, [])
        self.assertIn("%d lines" % self.gen.lines, out)
        self.assertIn("skipped: %d not JSON, %d truncated, %d foreign" % (
            self.gen.skipped["not_json"], self.gen.skipped["truncated"],
            self.gen.skipped["foreign"]), out)
        labels = [STAGE_LABELS[s] for s in STAGES]
        for name in labels + ["web_analyze_ms", "GET /api/images/random 2xx", "telegram"]:
            self.assertRegex(out, r"\n  %s +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +\d+\n" % re.escape(name))
        self.assertNotIn("dropbox_list_images_ms", out)
        # Columns line up: every row of the stage table has the same width.
        stage_rows = out.split("\nweb event")[0]
        rows = [l for l in stage_rows.splitlines()
                if l.startswith("  ") and re.sub(r" +[-\d].*", "", l.strip()) in labels]
        self.assertEqual(len(rows), len(labels), rows)
        self.assertEqual(len({len(r) for r in rows}), 1, rows)
        total = self.gen.expect["stages"]["total_ms"]["values"]
        row = next(r for r in rows if r.split()[0] == "total").split()
        self.assertEqual(int(row[1]), len(total))
        self.assertEqual(int(row[-1]), max(total))

    def test_since_until(self):
        times = sorted(x[0] for x in self.gen.totals_by_time)
        lo, hi = times[len(times) // 4], times[3 * len(times) // 4]
        res = self.stats_json("--since", ts(lo), "--until", ts(hi), self.log)
        inside = [tot for t, tot, _ in self.gen.totals_by_time if lo <= t < hi]
        failed = sum(1 for t, _, f in self.gen.totals_by_time if lo <= t < hi and f)
        self.assertPercentiles(res["stages"]["total_ms"], inside, "total_ms in window")
        self.assertEqual(res["stages"]["total_ms"]["errors"], failed)
        # Lines outside still count as read.
        self.assertEqual(res["lines"], self.gen.lines)
        # A date, and a duration back from now (the log is in the past: nothing).
        day = ts(lo)[:10]
        res = self.stats_json("--since", day, self.log)
        self.assertGreater(res["stages"]["total_ms"]["count"], 0)
        res = self.stats_json("--since", "24h", self.log)
        self.assertEqual(res["stages"], {})
        res = self.stats_json("--since", "30d", "--until", "1s", self.log)
        self.assertEqual(res["stages"]["total_ms"]["count"], len(self.gen.totals_by_time))
        rc, out, lines, err = photopub("stats", "--since", "last tuesday", self.log)
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "usage_error")
        self.assertIn("--since", lines[-1]["error"])

    def test_bad_input(self):
        rc, out, lines, err = photopub("stats", os.path.join(self.dir, "missing.log"))
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "input_error")
        self.assertIn("missing.log", lines[-1]["error"])
        rc, out, lines, err = photopub("stats", "--frobnicate")
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "usage_error")
        # A corrupt gzip file.
        bad = os.path.join(self.dir, "bad.gz")
        with open(self.gz, "rb") as f:
            data = bytearray(f.read())
        data[40:60] = b"\0" * 20
        with open(bad, "wb") as f:
            f.write(data)
        rc, out, lines, err = photopub("stats", bad)
        self.assertEqual(rc, 2, err)
        self.assertIn("gzip", lines[-1]["error"])
        # Empty input: zero lines, exit 0.
        res = self.stats_json(input_bytes=b"")
        self.assertEqual(res["lines"], 0)
        self.assertEqual(res["stages"], {})

    def test_series_limit(self):
        # Raw paths without a route: past 1000 distinct series the rest go to "(other)".
        text = "\n".join(line(T0 + i, "info", "web", "http_request", "r%d" % i, method="GET",
                                path="/p/%d" % i, status=200, duration_ms=i % 700, bytes=1)
                           for i in range(1200)) + "\n"
        rc, out, lines, err = photopub("stats", "--json", input_bytes=text.encode())
        self.assertEqual(rc, 0, err)
        http = json.loads(out)["http"]
        self.assertEqual(len(http), 1001)
        self.assertEqual(list(http)[-1], "(other)")
        self.assertEqual(http["(other)"]["count"], 200)
        self.assertEqual(http["(other)"]["max"], max(i % 700 for i in range(1000, 1200)))
        warn = [l for l in lines if l["message"] == "stats_series_overflow"]
        self.assertEqual([(w["group"], w["limit"], w["samples"]) for w in warn], [("http", 1000, 200)])

    # ---- budgets ----------------------------------------------------------------

    def budget(self, text):
        path = os.path.join(self.dir, "budget.ini")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_budgets_hold(self):
        e = self.gen.expect
        p95 = nearest_rank(e["stages"]["total_ms"]["values"], 0.95)
        p99 = nearest_rank(e["http"]["GET /api/images/random 2xx"]["values"], 0.99)
        tg = e["publishers"]["telegram"]
        path = self.budget(
            "# budgets of the nightly gate\n[budget]\n"
            "workflow.total_ms.p95 = %d\n" % (p95 * 1.01 + 1) +
            "web.web_analyze_ms.p99 = 60000\n"
            "http.GET /api/images/random 2xx.p99 = %d\n" % (p99 + 1) +
            "publisher.telegram.max = 10000000\n"
            "error_rate.telegram = %.4f\n" % (tg["failure"] / (tg["success"] + tg["failure"]) + 0.01) +
            "error_rate.workflow = 0.5\n"
            "error_rate.http = 0.5\n"
            "error_rate.web.web_analyze_ms = 0.5\n"
            "workflow.publish_email_ms.p99 = 1\n")  # no email in this log: no data
        rc, out, lines, err = photopub("stats", "--budget", path, self.log)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"workflow\.total_ms\.p95 +\d+ ms +\d+ ms  OK")
        self.assertRegex(out, r"workflow\.publish_email_ms\.p99 +1 ms +-  no data")
        self.assertNotIn("VIOLATED", out)
        res = self.stats_json("--budget", path, self.log)
        self.assertEqual({b["status"] for b in res["budgets"]}, {"ok", "no_data"})
        b = next(b for b in res["budgets"] if b["key"] == "workflow.total_ms.p95")
        self.assertEqual(b["measured"], res["stages"]["total_ms"]["p95"])

    def test_budget_violated(self):
        path = self.budget("[budget]\nworkflow.total_ms.p95 = 10\nerror_rate.workflow = 0.5\n"
                           "error_rate.telegram = 0.01\n")
        rc, out, lines, err = photopub("stats", "--budget", path, self.log)
        self.assertEqual(rc, 1, err)
        self.assertRegex(out, r"workflow\.total_ms\.p95 +10 ms +\d+ ms  VIOLATED")
        self.assertRegex(out, r"error_rate\.workflow +50\.00 % +\d+\.\d\d %  OK")
        self.assertRegex(out, r"error_rate\.telegram +1\.00 % +\d+\.\d\d %  VIOLATED")
        violated = [l["budget"] for l in lines if l["message"] == "budget_violated"]
        self.assertEqual(violated, ["workflow.total_ms.p95", "error_rate.telegram"])
        rc, out, lines, err = photopub("stats", "--json", "--budget", path, self.log)
        self.assertEqual(rc, 1)
        self.assertEqual([b["status"] for b in json.loads(out)["budgets"]],
                         ["violated", "ok", "violated"])

    def test_budget_file_errors(self):
        cases = [
            ("[budget]\nworkflow.total_ms.p97x = 5\n", "workflow.total_ms.p97x"),
            ("[budget]\nlatency.total_ms.p95 = 5\n", "latency.total_ms.p95"),
            ("[budget]\nworkflow.total.p95 = 5\n", "workflow.total.p95"),
            ("[budget]\nworkflow.total_ms.p95 = fast\n", "workflow.total_ms.p95"),
            ("[budget]\nerror_rate.telegram = 5\n", "error_rate.telegram"),
            ("[budget]\nhttp.GET /x.p99 = 5\n", "http.get /x.p99"),
            ("[budget]\nworkflow.total_ms.p95 = 1\nworkflow.total_ms.p95 = 2\n",
             "workflow.total_ms.p95"),
            ("[budgets]\nworkflow.total_ms.p95 = 5\n", None),
            ("[budget]\n", None),
            ("this is not an ini file\n", None),
        ]
        for text, key in cases:
            rc, out, lines, err = photopub("stats", "--budget", self.budget(text), self.log)
            self.assertEqual(rc, 2, text)
            self.assertEqual(out, "", text)
            self.assertEqual(lines[-1]["message"], "budget_error", text)
            if key:
                self.assertEqual(lines[-1]["key"], key, text)
        rc, out, lines, err = photopub("stats", "--budget", os.path.join(self.dir, "nope.ini"),
                                       self.log)
        self.assertEqual(rc, 2)
        self.assertIn("nope.ini", lines[-1]["error"])


class TraceReportTest(unittest.TestCase):
    """On the logs of real runs."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        cls.log = os.path.join(cls.ws.dir, "photopub.log")
        cls.results = []
        for i in range(3):
            cls.results.append(cls.ws.run("--log-file", cls.log))
        cls.results.append(cls.ws.run("--select", "missing.jpg", "--log-file", cls.log))
        cls.results.append(cls.ws.run("--dry-publish", "--log-file", cls.log))
        with open(cls.log) as f:
            cls.lines = [json.loads(l) for l in f]

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()

    def run_ids(self):
        return [l["correlation_id"] for l in self.lines if l["message"] == "workflow_timing"]

    def test_trace_of_a_real_run(self):
        self.assertEqual([r.rc for r in self.results], [0, 0, 0, 1, 0])
        cid = self.run_ids()[1]
        want = [l for l in self.lines if l.get("correlation_id") == cid]
        self.assertGreater(len(want), 8)
        rc, out, lines, err = photopub("trace", cid, "--json", self.log)
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertEqual(res["correlation_id"], cid)
        self.assertEqual(res["lines"], want)  # exactly that id's lines, in time order
        stamps = [l["timestamp"] for l in res["lines"]]
        self.assertEqual(stamps, sorted(stamps))
        # The waterfall: total, then the stages that ran in pipeline order, each
        # starting where the previous ended; the platform under publish_parallel.
        timing = next(l for l in want if l["message"] == "workflow_timing")
        wf = {b["name"]: b for b in res["waterfall"]}
        self.assertEqual(res["waterfall"][0]["name"], "total")
        self.assertEqual(wf["total"]["duration_ms"], timing["total_ms"])
        cursor = wf["total"]["start_ms"]
        order = [b["name"] for b in res["waterfall"] if b["depth"] == 1]
        expect = [s[:-3] for s in harness.TIMING_STAGES[:-1] if timing[s] is not None]
        self.assertEqual(order, expect)
        for s in harness.TIMING_STAGES[:-1]:
            if timing[s] is None:
                continue
            self.assertEqual(wf[s[:-3]]["start_ms"], cursor, s)
            self.assertEqual(wf[s[:-3]]["duration_ms"], timing[s], s)
            cursor += timing[s]
        self.assertEqual(wf["publish_outbox"]["start_ms"], wf["publish_parallel"]["start_ms"])
        self.assertEqual(wf["publish_outbox"]["depth"], 2)
        self.assertEqual(wf["publish_outbox"]["duration_ms"], timing["publish_outbox_ms"])

        # The terminal form: one row per line, in order, then the bars.
        rc, out, lines, err = photopub("trace", cid, self.log)
        self.assertEqual(rc, 0, err)
        rows = [r for r in out.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d\d\d ", r)]
        self.assertEqual([r.split()[5] for r in rows], [l["message"] for l in want])
        self.assertIn("waterfall", out)
        # Stages by their labels; the listing names the backend.
        self.assertRegex(out, r"\n  list images \(local\) +\d+ +\d+  \|")
        bar = re.search(r"\n  vision analysis +\d+ +(\d+)  \|([ █▏]{50})\|\n", out)
        self.assertIsNotNone(bar, out)
        self.assertEqual(int(bar.group(1)), timing["vision_analysis_ms"])
        total_bar = re.search(r"\ntotal +0 +\d+  \|(█{50})\|\n", out)
        self.assertIsNotNone(total_bar, out)

    def test_trace_of_a_failed_run_and_from_stdin(self):
        cid = self.run_ids()[3]  # --select missing.jpg
        with open(self.log, "rb") as f:
            rc, out, lines, err = photopub("trace", "--json", cid, stdin=f)
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        names = [b["name"] for b in res["waterfall"]]
        # Stages that did not run (null) have no bar.
        self.assertNotIn("vision_analysis", names)
        self.assertIn("image_selection", names)

    def test_trace_of_a_web_request(self):
        # A web request as the server logs it: the access line last, the
        # endpoint event before it, the AI's line nested inside.
        path = os.path.join(self.ws.dir, "web.log")
        rid = "web-req.1:abc"
        t = T0 + 5000
        with open(path, "w") as f:
            f.write(line(t - 10, "info", "web", "web_vision_analysis_start", rid, image="a.jpg") + "\n")
            f.write(line(t + 1800, "info", "ai", "vision_analysis", rid, model="m",
                         vision_analysis_ms=1790, ok=True) + "\n")
            f.write(line(t, "info", "web", "http_request", "other", method="GET", path="/",
                         status=200, duration_ms=1, bytes=1) + "\n")
            f.write(line(t + 2400, "info", "workflow", "caption_generated", rid,
                         caption_length=40, has_sd=True, caption_generation_ms=590) + "\n")
            f.write(line(t + 2401, "info", "web", "web_analyze_complete", rid, filename="a.jpg",
                         web_analyze_ms=2410, cache_hit=False, error=None) + "\n")
            f.write(line(t + 2402, "info", "web", "http_request", rid, method="POST",
                         path="/api/images/a.jpg/analyze",
                         route="/api/images/{filename}/analyze", status=200, duration_ms=2413,
                         bytes=900) + "\n")
        rc, out, lines, err = photopub("trace", rid, "--json", path)
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertEqual(len(res["lines"]), 5)
        wf = res["waterfall"]
        self.assertEqual([(b["name"], b["depth"]) for b in wf],
                         [("POST /api/images/a.jpg/analyze 200", 0), ("web_analyze", 1),
                          ("vision_analysis", 2), ("caption_generated", 2)])
        req = wf[0]
        self.assertEqual(req["start_ms"], 0)
        self.assertEqual(req["duration_ms"], 2413)
        # Each bar ends at its line's time: request end = t + 2402.
        ends = {b["name"]: b["start_ms"] + b["duration_ms"] for b in wf}
        self.assertEqual(ends["web_analyze"] - ends["POST /api/images/a.jpg/analyze 200"], -1)
        self.assertEqual(ends["vision_analysis"] - ends["POST /api/images/a.jpg/analyze 200"], -602)

    def test_trace_of_real_web_requests(self):
        """`photopub serve`, a random image, an analysis and a publish, each with
        its X-Request-ID; then trace and stats on the server's log file."""
        ws = Workspace()
        self.addCleanup(ws.cleanup)
        port_file = os.path.join(ws.dir, "port")
        log = os.path.join(ws.dir, "serve.log")
        env = ws.environ()
        proc = subprocess.Popen([BIN, "serve", "--config", ws.config, "--host", "127.0.0.1",
                                 "--port", "0", "--port-file", port_file, "--log-file", log],
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        def port():
            try:
                with open(port_file) as f:
                    return f.read().strip()
            except FileNotFoundError:
                return ""

        deadline = time.monotonic() + 60
        while not port():
            self.assertIsNone(proc.poll(), "photopub serve exited")
            self.assertLess(time.monotonic(), deadline, "photopub serve wrote no port file")
            time.sleep(0.05)
        base = "http://127.0.0.1:%d" % int(port())

        def call(method, path, rid):
            req = urllib.request.Request(base + path, method=method,
                                         data=b"{}" if method == "POST" else None,
                                         headers={"X-Request-ID": rid,
                                                  "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                self.assertEqual(r.headers["X-Correlation-ID"], rid)
                return json.loads(r.read())

        name = call("GET", "/api/images/random", "rq-random-1")["filename"]
        call("POST", "/api/images/%s/analyze" % urllib.parse.quote(name), "rq-analyze-1")
        call("POST", "/api/images/%s/publish" % urllib.parse.quote(name), "rq-publish-1")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        with open(log) as f:
            logged = [json.loads(l) for l in f]

        for rid in ("rq-random-1", "rq-analyze-1", "rq-publish-1"):
            rc, out, lines, err = photopub("trace", rid, "--json", log)
            self.assertEqual(rc, 0, err)
            res = json.loads(out)
            want = [l for l in logged if l.get("correlation_id") == rid]
            self.assertEqual(res["lines"], want, rid)
            access = next(l for l in want if l["message"] == "http_request")
            wf = res["waterfall"]
            self.assertEqual(wf[0]["name"], "%s %s %d" % (access["method"], access["path"],
                                                          access["status"]))
            self.assertEqual((wf[0]["start_ms"], wf[0]["duration_ms"], wf[0]["depth"]),
                             (0, access["duration_ms"], 0))
            event = next(l for l in want if l["logger"] == "web" and l["message"].startswith("web_")
                         and any(k.startswith("web_") and k.endswith("_ms") for k in l))
            field = next(k for k in event if k.startswith("web_") and k.endswith("_ms"))
            self.assertEqual((wf[1]["name"], wf[1]["duration_ms"], wf[1]["depth"]),
                             (field[:-3], event[field], 1))
            for b in wf:
                self.assertGreaterEqual(b["start_ms"], 0)
            if rid == "rq-analyze-1":
                va = next(l for l in want if l["message"] == "vision_analysis")
                bar = next(b for b in wf if b["name"] == "vision_analysis")
                self.assertEqual((bar["duration_ms"], bar["depth"]), (va["vision_analysis_ms"], 2))
            if rid == "rq-publish-1":
                # The publish runs the pipeline: its stages nest under the request.
                timing = next(l for l in want if l["message"] == "workflow_timing")
                total = next(b for b in wf if b["name"] == "total")
                self.assertEqual((total["duration_ms"], total["depth"]), (timing["total_ms"], 2))
                outbox = next(b for b in wf if b["name"] == "publish_outbox")
                self.assertEqual(outbox["depth"], 4)
        # The terminal form of one.
        rc, out, lines, err = photopub("trace", "rq-analyze-1", log)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"\nPOST /api/images/[^\n]+? +0 +\d+  \|█{50}\|\n")

        # stats groups the requests by route template.
        rc, out, lines, err = photopub("stats", "--json", log)
        res = json.loads(out)
        for key in ("GET /api/images/random 2xx", "POST /api/images/{filename}/analyze 2xx",
                    "POST /api/images/{filename}/publish 2xx"):
            self.assertEqual(res["http"][key]["count"], 1, key)
        for key in ("web_random_image_ms", "web_analyze_ms", "web_publish_ms"):
            self.assertEqual(res["web"][key]["count"], 1, key)
        self.assertEqual(res["stages"]["total_ms"]["count"], 1)

    def test_trace_by_prefix(self):
        # The 8 characters an outbox folder name shows are enough.
        cid = self.run_ids()[1]
        rc, full, lines, err = photopub("trace", cid, "--json", self.log)
        self.assertEqual(rc, 0, err)
        rc, out, lines, err = photopub("trace", cid[:8], "--json", self.log)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), json.loads(full))
        rc, out, lines, err = photopub("trace", cid[:8], self.log)
        self.assertEqual(rc, 0, err)
        self.assertIn("correlation_id %s:" % cid, out)
        # Fewer than 8 characters: a usage error.
        rc, out, lines, err = photopub("trace", cid[:7], self.log)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(lines[-1]["message"], "usage_error")

    def test_trace_ambiguous_prefix(self):
        path = os.path.join(self.ws.dir, "ambiguous.log")
        ids = ["abcdef12-%04d" % i for i in range(7)]
        with open(path, "w") as f:
            for i, cid in enumerate(ids):
                f.write(line(T0 + i, "info", "workflow", "workflow_start", cid) + "\n")
            f.write(line(T0 + 9, "info", "workflow", "workflow_start", "abcdef99-0000") + "\n")
        rc, out, lines, err = photopub("trace", "abcdef12", path)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(lines[-1]["message"], "trace_ambiguous")
        self.assertEqual(lines[-1]["matches"], 7)
        self.assertEqual(lines[-1]["candidates"], ids[:5])
        self.assertIn("7 correlation ids", lines[-1]["error"])
        # A longer prefix, or the whole id, settles it.
        rc, out, lines, err = photopub("trace", "abcdef12-0003", "--json", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual([l["correlation_id"] for l in json.loads(out)["lines"]], [ids[3]])
        rc, out, lines, err = photopub("trace", "abcdef99", "--json", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["correlation_id"], "abcdef99-0000")

    def test_trace_not_found(self):
        rc, out, lines, err = photopub("trace", "no-such-id", self.log)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertEqual(lines[-1]["message"], "trace_not_found")
        self.assertEqual(lines[-1]["id"], "no-such-id")
        rc, out, lines, err = photopub("trace")
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "usage_error")

    def test_report(self):
        hostile_log = os.path.join(self.ws.dir, "hostile.log")
        with open(self.log) as f:
            real = f.read()
        evil_cid = "<b>cid</b>\"'&"
        evil = line(T0, "error", "workflow", "workflow_timing", evil_cid,
                    image="<script>alert(1)</script>.jpg", dropbox_list_images_ms=1,
                    image_selection_ms=1, vision_analysis_ms=None, caption_generation_ms=None,
                    sidecar_write_ms=None, publish_parallel_ms=None, archive_ms=None,
                    total_ms=999999, preview_mode=False, dry_publish=False, success=False,
                    error="<img src=http://evil.example/x.png onerror=alert(2)>")
        req = line(T0 + 1, "info", "web", "http_request", "r1", method="GET",
                   path="/<script>x</script>", status=502, duration_ms=7, bytes=0)
        with open(hostile_log, "w") as f:
            f.write(real + evil + "\n" + req + "\nnot json at all\n")
        out_html = os.path.join(self.ws.dir, "report.html")
        rc, out, lines, err = photopub("report", self.log, hostile_log, "-o", out_html)
        self.assertEqual(rc, 0, err)
        with open(out_html, encoding="utf-8") as f:
            html = f.read()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        # Self-contained: no script, no element or attribute that loads anything.
        tags = Tags()
        tags.feed(html)
        self.assertEqual(tags.found & {"script", "img", "link", "iframe", "object", "embed",
                                       "image", "use", "audio", "video"}, set())
        for tag, name, value in tags.attrs:
            self.assertNotRegex(value or "", r"(?i)^\s*(https?:|//|javascript:|data:)",
                                "%s %s=%r" % (tag, name, value))
            self.assertFalse(name.startswith("on"), "%s %s" % (tag, name))
        self.assertNotRegex(html, r"@import|url\(")
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;.jpg", html)
        self.assertIn("&lt;b&gt;cid&lt;/b&gt;&quot;&#39;&amp;", html)
        self.assertIn("&lt;img src=http://evil.example/x.png onerror=alert(2)&gt;", html)
        # One chart per stage at least (a time chart and a histogram each).
        stages = {k for l in self.lines if l["message"] == "workflow_timing"
                  for k, v in l.items() if k.endswith("_ms") and v is not None}
        for s in stages:
            # Charts are named by the stage's label; the listing by its backend.
            label = STAGE_LABELS[s] + (" (local)" if s == "dropbox_list_images_ms" else "")
            self.assertIn('aria-label="%s: p50, p95 and p99 over time"' % label, html)
            self.assertIn('aria-label="%s: latency histogram"' % label, html)
        # The failed run once, however often its lines are read.
        failed = [l["correlation_id"] for l in self.lines
                  if l["message"] == "workflow_timing" and not l["success"]]
        self.assertEqual(len(failed), 1)
        self.assertEqual(html.count('id="run-%s"' % failed[0]), 1)
        self.assertGreaterEqual(html.count("<svg"), 2 * len(stages))
        # The slowest runs with their correlation ids.
        runs = sorted((l["total_ms"], l["correlation_id"]) for l in self.lines
                      if l["message"] == "workflow_timing")
        for _, cid in runs:
            self.assertIn(cid, html)
        self.assertIn("photopub latency report", html)
        self.assertEqual(self.results[0].rc, 0)

        # Errors: no -o, unreadable input, unwritable output.
        rc, out, lines, err = photopub("report", self.log)
        self.assertEqual(rc, 2)
        rc, out, lines, err = photopub("report", "/nonexistent.log", "-o", out_html)
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "input_error")
        rc, out, lines, err = photopub("report", self.log, "-o", "/nonexistent/dir/r.html")
        self.assertEqual(rc, 2)
        self.assertEqual(lines[-1]["message"], "output_error")

        self.screenshot(out_html)

    def screenshot(self, html_path):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            print("chromium not installed: no screenshot of the report (scripts/deps test installs it)")
            return
        artifacts = os.path.join(os.path.dirname(os.path.abspath(BIN)), "tests", "artifacts")
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "report.png")
        if os.path.exists(png):
            os.unlink(png)
        profile = tempfile.mkdtemp(prefix="pp-chromium-")
        try:
            proc = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--user-data-dir=" + profile, "--screenshot=" + png,
                 "--window-size=1280,2000", "file://" + os.path.abspath(html_path)],
                capture_output=True, timeout=120, env=dict(os.environ, HOME=profile))
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertTrue(os.path.exists(png), proc.stderr.decode(errors="replace")[-2000:])
        with open(png, "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        self.assertEqual((width, height), (1280, 2000))
        self.assertGreater(os.path.getsize(png), 50000)  # a page with charts, not a blank one


if __name__ == "__main__":
    harness.main()
