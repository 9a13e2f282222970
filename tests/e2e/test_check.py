"""photopub check, and every configuration error at once: one run reports
all that is missing (Telegram and FetLife together), typos get a "did you
mean", --config / --env naming a folder, a missing or an unreadable file get
their own message, platform readiness, the JSON report, exit codes, and no
secret value in any output."""

import json
import os
import re
import shutil
import stat

from harness import TestCase, main


def line_of(path, text):
    """The 1-based line of path that is text."""
    with open(path) as f:
        for i, l in enumerate(f, 1):
            if l.strip() == text:
                return i
    raise AssertionError("%r not in %s" % (text, path))


class CheckTest(TestCase):
    def check(self, *args, env=None):
        return self.ws.run(*args, command="check", env=env)

    def telegram_and_fetlife(self):
        self.ws.set("Content", "telegram", "true")
        self.ws.set("Content", "fetlife", "true")

    def test_every_missing_setting_in_one_run(self):
        self.telegram_and_fetlife()
        res = self.check()
        self.assertEqual(res.rc, 2, res.stdout)
        for what in ("environment: TELEGRAM_BOT_TOKEN: required",
                     "environment: TELEGRAM_CHANNEL_ID: required",
                     "%s: [Email] sender: required" % self.ws.config,
                     "%s: [Email] recipient: required" % self.ws.config,
                     "environment: EMAIL_PASSWORD: required"):
            self.assertIn("error: " + what, res.stdout)
        self.assertRegex(res.stdout, r"(?m)^  telegram +enabled +missing TELEGRAM_BOT_TOKEN, "
                                     r"TELEGRAM_CHANNEL_ID$")
        self.assertRegex(res.stdout, r"(?m)^  email +enabled +missing \[Email\] sender, "
                                     r"\[Email\] recipient, EMAIL_PASSWORD$")
        self.assertRegex(res.stdout, r"(?m)^  outbox +enabled +ready$")
        self.assertRegex(res.stdout, r"(?m)^  instagram +disabled$")
        self.assertRegex(res.stdout, r"(?m)^storage: +local \(%s\) ready$" % re.escape(self.ws.images))
        self.assertRegex(res.stdout, r"(?m)^ai: +local ready$")
        self.assertRegex(res.stdout, r"(?m)^not valid: 5 errors, 0 warnings$")
        self.assertEqual(res.lines, [])  # the report is on stdout, not in log lines

    def test_run_and_serve_report_every_error_then_exit_2(self):
        self.telegram_and_fetlife()
        for command, extra in (("run", ()), ("serve", ("--port", "0"))):
            res = self.ws.run(*extra, command=command, timeout=60)
            self.assertEqual(res.rc, 2, res.stderr)
            errs = res.events("config_error")
            self.assertEqual([(e["section"], e["key"]) for e in errs],
                             [(None, "TELEGRAM_BOT_TOKEN"), (None, "TELEGRAM_CHANNEL_ID"),
                              ("Email", "sender"), ("Email", "recipient"),
                              (None, "EMAIL_PASSWORD")], command)
            self.assertEqual([e["index"] for e in errs], [1, 2, 3, 4, 5])
            self.assertTrue(all(e["count"] == 5 for e in errs))
            self.assertEqual(errs[2]["error"],
                             "%s: [Email] sender: required with [Content] fetlife = true"
                             % self.ws.config)
            self.assertIn("--env FILE", errs[0]["hint"])
            self.assertEqual(res.events("workflow_timing"), [])

    def test_every_s3_problem_in_one_run(self):
        self.ws.set("Storage", "backend", "s3")
        self.ws.set("S3", "prefix", "a/../b")
        env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "R2_ACCESS_KEY_ID",
                               "R2_SECRET_ACCESS_KEY", "R2_BUCKET_NAME")}
        res = self.check(env=env)
        self.assertEqual(res.rc, 2, res.stdout)
        for what in ("[S3] bucket: required", "[S3] prefix: must be empty or folder names",
                     "environment: R2_ACCESS_KEY_ID: required with the s3 backend",
                     "environment: R2_SECRET_ACCESS_KEY: required with the s3 backend"):
            self.assertIn(what, res.stdout)

    def test_enable_typo_suggests_enabled(self):
        self.ws.set("Mastodon", "enable", "true")
        res = self.check()
        self.assertEqual(res.rc, 0, res.stdout)  # a warning, not an error
        line = line_of(self.ws.config, "enable = true")
        self.assertIn("warning: %s:%d: [Mastodon] enable: unknown key (ignored)\n"
                      "    hint: did you mean [Mastodon] enabled?\n" % (self.ws.config, line),
                      res.stdout)
        self.assertRegex(res.stdout, r"(?m)^  mastodon +disabled$")
        self.assertRegex(res.stdout, r"(?m)^valid: 0 errors, 1 warning$")
        # The commands that load the configuration log the suggestion.
        res = self.ws.run(command="history")
        self.assertEqual(res.rc, 0, res.stderr)
        w = res.one("config_unknown_key")
        self.assertEqual((w["section"], w["key"], w["line"], w["suggestion"]),
                         ("Mastodon", "enable", line, "[Mastodon] enabled"))

    def test_misspelt_section_suggests_the_right_one(self):
        self.ws.set("Mastadon", "enabled", "true")
        self.ws.set("outbx", "path", "x")
        self.ws.set("Zebra", "stripes", "12")
        res = self.check("--json")
        self.assertEqual(res.rc, 0, res.stdout)
        report = json.loads(res.stdout)
        hints = {w["section"]: w["hint"] for w in report["warnings"]}
        self.assertEqual(hints, {"Mastadon": "did you mean [Mastodon]?",
                                 "outbx": "did you mean [Outbox]?", "Zebra": None})
        for w in report["warnings"]:
            self.assertEqual(w["line"], line_of(self.ws.config, "[%s]" % w["section"]))
        res = self.ws.run(command="history")
        sug = {w["section"]: w["suggestion"] for w in res.events("config_unknown_section")}
        self.assertEqual(sug, {"Mastadon": "[Mastodon]", "outbx": "[Outbox]", "Zebra": None})

    def test_bad_value_gets_its_line_and_a_hint(self):
        self.ws.set("Content", "order", "oldst")
        self.ws.set("Content", "archive", "perhaps")
        res = self.check()
        self.assertEqual(res.rc, 2)
        self.assertIn('error: %s:%d: [Content] order: expected one of random, oldest, newest, '
                      'name, got "oldst"\n    hint: did you mean oldest?\n'
                      % (self.ws.config, line_of(self.ws.config, "order = oldst")), res.stdout)
        self.assertIn("error: %s:%d: [Content] archive: expected a boolean"
                      % (self.ws.config, line_of(self.ws.config, "archive = perhaps")), res.stdout)

    def test_config_folder_missing_and_unreadable(self):
        cases = [(self.ws.images, "is a folder, not a configuration file"),
                 (os.path.join(self.ws.dir, "nope.ini"), "the configuration file does not exist")]
        for path, problem in cases:
            self.ws.config = path
            for command in ("check", "run", "serve"):
                res = self.ws.run(command=command, timeout=60)
                self.assertEqual(res.rc, 2, (command, res.stdout, res.stderr))
                if command == "check":
                    self.assertIn("error: %s: %s\n" % (path, problem), res.stdout)
                else:
                    self.assertEqual(res.one("config_error")["error"], "%s: %s" % (path, problem))

    def test_unreadable_config(self):
        path = os.path.join(self.ws.dir, "secret.ini")
        shutil.copy(os.path.join(self.ws.dir, "photopub.ini"), path)
        os.chmod(path, 0)
        self.ws.config = path
        binary = None
        if os.geteuid() == 0:
            # Root reads any file: run without the capabilities that allow it.
            setpriv = shutil.which("setpriv")
            if not setpriv:
                self.skipTest("running as root without setpriv: no file is unreadable")
            wrapper = os.path.join(self.ws.dir, "no-dac")
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\nexec %s --bounding-set -dac_override,-dac_read_search %s \"$@\"\n"
                        % (setpriv, os.path.abspath(os.environ.get("PHOTOPUB_BIN", "build-test/photopub"))))
            os.chmod(wrapper, stat.S_IRWXU)
            binary = wrapper
        res = self.ws.run(command="check", binary=binary)
        self.assertEqual(res.rc, 2, res.stdout + res.stderr)
        self.assertIn("error: %s: cannot read the configuration file: Permission denied\n" % path,
                      res.stdout)
        res = self.ws.run(command="run", binary=binary)
        self.assertEqual(res.rc, 2)
        self.assertEqual(res.one("config_error")["error"],
                         "%s: cannot read the configuration file: Permission denied" % path)

    def test_env_folder_and_missing(self):
        for path, problem in ((self.ws.images, "is a folder, not a .env file"),
                              (os.path.join(self.ws.dir, "none.env"), "the .env file does not exist")):
            res = self.check("--env", path)
            self.assertEqual(res.rc, 2)
            self.assertIn("error: %s: %s\n" % (path, problem), res.stdout)
            res = self.ws.run("--env", path, command="run")
            self.assertEqual(res.rc, 2)
            self.assertEqual(res.one("config_error")["error"], "%s: %s" % (path, problem))

    def test_env_file_lines_are_warnings_of_the_report(self):
        env = os.path.join(self.ws.dir, "secrets.env")
        with open(env, "w") as f:
            f.write("TELEGRAM_BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ\n"
                    "this line has no equals sign\n")
        res = self.check("--env", env)
        self.assertEqual(res.rc, 0, res.stdout)
        self.assertIn("warning: %s:2: expected KEY=VALUE (line ignored)\n" % env, res.stdout)
        self.assertNotIn("no equals", res.stdout)

    def test_run_errors_read_as_sentences_in_text_form(self):
        self.telegram_and_fetlife()
        res = self.ws.run("--log-format", "text", check_json=False)
        self.assertEqual(res.rc, 2)
        lines = [l for l in res.stderr.splitlines() if l.startswith("error: ")]
        self.assertEqual(lines[0], "error: TELEGRAM_BOT_TOKEN: required with [Content] telegram = "
                                   "true; set TELEGRAM_BOT_TOKEN in the environment or in the "
                                   ".env file (--env FILE) (environment)")
        self.assertEqual(lines[2], "error: [Email] sender: required with [Content] fetlife = true "
                                   "(%s)" % self.ws.config)
        self.assertEqual(len(lines), 5)

    def test_json_shape(self):
        self.telegram_and_fetlife()
        self.ws.set("Mastodon", "enable", "true")
        res = self.check("--json")
        self.assertEqual(res.rc, 2)
        r = json.loads(res.stdout)
        self.assertEqual(list(r)[:1], ["valid"])
        self.assertIs(r["valid"], False)
        for k in ("errors", "warnings", "platforms", "storage", "ai"):
            self.assertIn(k, r)
        for p in r["errors"] + r["warnings"]:
            self.assertEqual(sorted(p), ["file", "hint", "key", "line", "problem", "section"])
        self.assertEqual(len(r["errors"]), 5)
        self.assertEqual(r["errors"][0], {
            "file": "environment", "line": None, "section": None, "key": "TELEGRAM_BOT_TOKEN",
            "problem": "required with [Content] telegram = true",
            "hint": "set TELEGRAM_BOT_TOKEN in the environment or in the .env file (--env FILE)"})
        self.assertEqual(r["warnings"][0]["hint"], "did you mean [Mastodon] enabled?")
        names = [p["name"] for p in r["platforms"]]
        for n in ("telegram", "email", "instagram", "outbox", "mastodon", "pixelfed", "bluesky"):
            self.assertIn(n, names)
        by = {p["name"]: p for p in r["platforms"]}
        self.assertEqual(by["telegram"]["missing"], ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHANNEL_ID"])
        self.assertEqual((by["telegram"]["enabled"], by["telegram"]["ready"]), (True, False))
        self.assertEqual(by["email"]["missing"], ["[Email] sender", "[Email] recipient", "EMAIL_PASSWORD"])
        self.assertEqual((by["outbox"]["enabled"], by["outbox"]["ready"], by["outbox"]["missing"]),
                         (True, True, []))
        self.assertEqual((by["instagram"]["enabled"], by["instagram"]["ready"]), (False, False))
        self.assertEqual(r["storage"]["backend"], "local")
        self.assertIs(r["storage"]["ready"], True)
        self.assertEqual(r["ai"]["provider"], "local")

    def test_valid_config_exits_0(self):
        res = self.check()
        self.assertEqual(res.rc, 0, res.stdout)
        self.assertRegex(res.stdout, r"(?m)^  outbox +enabled +ready$")
        self.assertRegex(res.stdout, r"(?m)^valid: 0 errors, 0 warnings$")
        r = json.loads(self.check("--json").stdout)
        self.assertEqual((r["valid"], r["errors"], r["warnings"]), (True, [], []))

    def test_usage_errors_exit_2(self):
        res = self.ws.run("extra", command="check")
        self.assertEqual(res.rc, 2)
        self.assertEqual(res.one("usage_error")["command"], "check")
        res = self.ws.run("--bogus", command="check")
        self.assertEqual(res.rc, 2)

    def test_no_secret_value_in_any_output(self):
        token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
        password = "Wq8-never-print-me-3x"
        key = "sk-proj-neverprintmeeitherKEY0123456789"
        self.ws.env.update({"TELEGRAM_BOT_TOKEN": token, "EMAIL_PASSWORD": password,
                            "OPENAI_API_KEY": key})
        self.telegram_and_fetlife()
        self.ws.set("AI", "provider", "openai")
        # A secret quoted back in an error message is redacted too.
        self.ws.set("Content", "order", password)
        outputs = []
        for args, command in (((), "check"), (("--json",), "check"), ((), "run"), ((), "serve")):
            res = self.ws.run(*args, command=command, timeout=60)
            self.assertEqual(res.rc, 2, res.stderr)
            outputs.append(res.stdout + res.stderr)
        text = "\n".join(outputs)
        for secret in (token, password, key, "AAHdqTcv", "neverprintme"):
            self.assertNotIn(secret, text)
        self.assertIn("[REDACTED]", outputs[0])
        self.assertRegex(outputs[0], r"(?m)^  telegram +enabled +missing TELEGRAM_CHANNEL_ID$")
        self.assertRegex(outputs[0], r"(?m)^ai: +openai \(https://api.openai.com/v1, gpt-4o, "
                                     r"gpt-4o-mini\) ready$")


if __name__ == "__main__":
    main()
