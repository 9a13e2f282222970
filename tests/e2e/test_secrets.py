"""No secret reaches any output: every secret kind is put in the environment
and the configuration, errors that would carry them are triggered, and every
byte photopub writes to stdout, stderr and its log file is searched."""

import os
import harness
from harness import TestCase, SAMPLES

SECRETS = {
    "OPENAI_API_KEY": "sk-proj-Zq8mX2vL9pR4tY7wK1nB3cD5fG6hJ0aS",
    "TELEGRAM_BOT_TOKEN": "987654321:AAGz1Xy2Wv3Ut4Sr5Qp6On7Ml8Kj9Ih0Gf",
    "DROPBOX_APP_SECRET": "dbxappsecret4711zz",
    "DROPBOX_REFRESH_TOKEN": "refreshTOKENabc123def456ghi789",
    "EMAIL_PASSWORD": "correct horse battery staple",
    "INSTAGRAM_ACCESS_TOKEN": "IGQVJgraphTokenXYZ0123456789",
    "WEB_AUTH_TOKEN": "webtoken-0f9e8d7c6b5a",
    "WEB_AUTH_PASS": "basic-pass-8812",
    "web_admin_pw": "admin-pw-5521",
    "WEB_SESSION_SECRET": "session-secret-77aa",
}
# Secrets by shape, not configured anywhere: the patterns must catch them.
SHAPES = ["sk-unconfiguredKey0123456789", "123456789:AAunconfiguredTelegramToken012345",
          "sl.unconfiguredDropboxToken0123"]


class SecretsTest(TestCase):

    def assertClean(self, *texts):
        for text in texts:
            for name, value in SECRETS.items():
                self.assertNotIn(value, text, name)
            for value in SHAPES:
                self.assertNotIn(value, text)

    def test_no_secret_in_any_output(self):
        self.ws.env.update(SECRETS)
        self.ws.set("AI", "provider", "local")
        log = os.path.join(self.ws.dir, "photopub.log")
        outputs = []
        # A successful run, a preview, and failures whose messages carry the values.
        res = self.ws.run("--log-file", log)
        self.assertEqual(res.rc, 0, res.stderr)
        outputs += [res.stdout, res.stderr]
        res = self.ws.run("--preview")
        outputs += [res.stdout, res.stderr]
        for value in list(SECRETS.values()) + SHAPES:
            res = self.ws.run("--select", "x %s.jpg" % value, "--log-file", log)
            self.assertEqual(res.rc, 1)
            self.assertIn("[REDACTED]", res.one("workflow_timing")["error"])
            outputs += [res.stdout, res.stderr]
        # A configuration error that quotes a value.
        self.ws.set("Dropbox", "api_url", "ftp://user:%s@host" % SECRETS["WEB_AUTH_PASS"])
        res = self.ws.run("--log-file", log)
        self.assertEqual(res.rc, 2)
        outputs += [res.stdout, res.stderr]
        self.ws.set("Dropbox", "api_url", "https://api.dropboxapi.com")
        self.ws.set("Content", "archive", SECRETS["DROPBOX_APP_SECRET"])
        res = self.ws.run("--log-file", log)
        self.assertEqual(res.rc, 2)
        outputs += [res.stdout, res.stderr]
        with open(log, errors="replace") as f:
            outputs.append(f.read())
        self.assertTrue(any("[REDACTED]" in o for o in outputs))
        self.assertClean(*outputs)
        # Nor in anything written to the outbox or the sidecars.
        for root, _, files in os.walk(self.ws.dir):
            for f in files:
                if f.endswith((".json", ".txt")):
                    with open(os.path.join(root, f), errors="replace") as fh:
                        self.assertClean(fh.read())


if __name__ == "__main__":
    harness.main()
