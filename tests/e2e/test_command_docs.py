#!/usr/bin/env python3
"""Every command of photopub's table (what `photopub --help` lists) has a
man page (man/photopub-COMMAND.1.scd, named in photopub.1) and a bash
completion entry, and every option its `COMMAND --help` prints is in both:
adding a command or an option without them fails here. Then the completion
itself, sourced in bash with COMP_WORDS / COMP_CWORD set: commands, each
command's options, files after --config / --env / --log-file, the values of
--log-format, the actions of queue."""

import os
import re
import subprocess
import tempfile
import unittest

from harness import BIN, SOURCE, main

COMPLETION = os.path.join(SOURCE, "dist", "bash-completion", "photopub")
MAN = os.path.join(SOURCE, "man")
OPTION = re.compile(r"(?<![\w$-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])")


def helptext(*args):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def commands():
    out = helptext("--help").split("Commands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+) ", out, re.M)]


def options(command):
    """The options of the usage lines and of the lines that define one (not
    those the prose names, as queue's `run --preview`)."""
    found = set()
    for line in helptext(command, "--help").splitlines():
        if line.lstrip().startswith(("usage:", "photopub ", "[", "(", "-")):
            found.update(OPTION.findall(line))
    return sorted(found)


class Bash:
    """Calls the completion function in a bash that sourced the file."""

    def __init__(self, tmp):
        self.tmp = tmp

    def complete(self, *words, cwd=None):
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
                  'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _photopub; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION,
                            "photopub"] + list(words),
                           capture_output=True, text=True, timeout=30, cwd=cwd or self.tmp,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp})
        if p.returncode != 0 or p.stderr:
            raise AssertionError("completion of %r: rc %d\n%s" % (words, p.returncode, p.stderr))
        return [l for l in p.stdout.splitlines() if l]


class CommandDocsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pp-compl-")
        cls.bash = Bash(cls.tmp)
        cls.commands = commands()

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_commands_are_found(self):
        # the parsing above works: the table's first rows are there
        for c in ("run", "serve", "stats", "queue"):
            self.assertIn(c, self.commands)
        self.assertIn("--select", options("run"))
        self.assertIn("-o", options("report"))

    def test_every_command_has_a_man_page(self):
        with open(os.path.join(MAN, "photopub.1.scd")) as f:
            overview = f.read()
        for c in self.commands:
            page = os.path.join(MAN, "photopub-%s.1.scd" % c)
            self.assertTrue(os.path.isfile(page), "no man page for %s: %s" % (c, page))
            self.assertIn("*%s*" % c, overview, "photopub.1 does not list %s" % c)
            self.assertIn("*photopub-%s*(1)" % c, overview)

    def test_every_option_is_in_the_man_page(self):
        for c in self.commands:
            with open(os.path.join(MAN, "photopub-%s.1.scd" % c)) as f:
                page = f.read()
            for o in options(c) + ["--log-format"]:
                self.assertIn("*%s*" % o, page, "photopub-%s(1) does not document %s" % (c, o))

    def test_every_command_completes(self):
        got = self.bash.complete("")
        for c in self.commands:
            self.assertIn(c, got)
        self.assertEqual(self.bash.complete("se"), ["serve"])

    def test_every_option_completes(self):
        for c in self.commands:
            got = self.bash.complete(c, "-")
            for o in options(c) + ["--log-format", "--help"]:
                self.assertIn(o, got, "photopub %s - does not offer %s" % (c, o))
            # and nothing another command has that this one does not
            for o in got:
                self.assertIn(o, options(c) + ["--log-format", "--help"], "%s offers %s" % (c, o))

    def test_prefix_of_an_option(self):
        self.assertEqual(self.bash.complete("run", "--dry"), ["--dry-publish"])
        self.assertEqual(self.bash.complete("report", "--o"), ["--output"])

    def test_files_after_file_options(self):
        os.makedirs(os.path.join(self.tmp, "conf"), exist_ok=True)
        for name in ("photopub.ini", "photos.env", "conf/other.ini"):
            with open(os.path.join(self.tmp, name), "w"):
                pass
        self.assertEqual(self.bash.complete("run", "--config", "photopub."), ["photopub.ini"])
        self.assertEqual(self.bash.complete("serve", "--env", "photos"), ["photos.env"])
        self.assertEqual(self.bash.complete("run", "--log-file", "conf/"), ["conf/other.ini"])
        self.assertEqual(self.bash.complete("--config", "photo"), ["photopub.ini", "photos.env"])

    def test_log_format_values(self):
        self.assertEqual(self.bash.complete("run", "--log-format", ""), ["auto", "json", "text"])
        self.assertEqual(self.bash.complete("--log-format", "j"), ["json"])
        # the option and its value before the command do not hide the command
        self.assertIn("--select", self.bash.complete("--log-format", "json", "run", "--sel"))

    def test_upstream_form_is_run(self):
        self.assertEqual(self.bash.complete("--config", "x.ini", "--dry"), ["--dry-publish"])

    def test_queue_actions(self):
        self.assertEqual(self.bash.complete("queue", ""), ["pin", "skip", "hold", "release"])
        self.assertEqual(self.bash.complete("queue", "h"), ["hold"])

    def test_no_value_for_value_options(self):
        self.assertEqual(self.bash.complete("serve", "--port", ""), [])


if __name__ == "__main__":
    main()
