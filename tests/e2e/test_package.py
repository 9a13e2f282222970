#!/usr/bin/env python3
"""The Debian package scripts/package builds, unpacked with dpkg -x into a
temporary root: its Depends (computed by dpkg-shlibdeps) has libvips42 and
the other libraries photopub loads; it holds the binary and the libvips
module, man pages for every command, the units, the completion, the
logrotate snippet and the configuration; the installed binary runs the demo
pipeline with the installed example configuration (and with the units'
/etc/photopub/photopub.ini moved to a temporary folder); every man page
renders without a warning; the completion sources and completes; the units
are clean under `systemd-analyze verify`; logrotate accepts the snippet.

The package is built in $PHOTOPUB_PACKAGE_BUILD (the build tree's
package/ folder, so a second run only relinks), else in a temporary one."""

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import SOURCE, main

LIBS = ["libvips42", "libcurl4", "libmicrohttpd12", "libjansson4", "libsqlite3-0",
        "libinih1", "libssl3", "libglib2.0-0"]
UNITS = ["photopub-serve.service", "photopub-run.service", "photopub-run.timer"]


def run(argv, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pp-package-")
        build = os.environ.get("PHOTOPUB_PACKAGE_BUILD") or os.path.join(cls.tmp, "build")
        p = run([os.path.join(SOURCE, "scripts", "package"), build], timeout=1500)
        if p.returncode != 0:
            raise AssertionError("scripts/package failed:\n" + p.stdout + p.stderr[-4000:])
        cls.deb = p.stdout.strip().splitlines()[-1]
        if not (os.path.isabs(cls.deb) and cls.deb.endswith(".deb") and os.path.isfile(cls.deb)):
            raise AssertionError("scripts/package did not print the .deb: %r" % p.stdout)
        cls.root = os.path.join(cls.tmp, "root")
        p = run(["dpkg", "-x", cls.deb, cls.root])
        if p.returncode != 0:
            raise AssertionError("dpkg -x failed: " + p.stderr)
        cls.bin = os.path.join(cls.root, "usr", "bin", "photopub")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def scratch(self):
        d = tempfile.mkdtemp(prefix="ws-", dir=self.tmp)
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def env(self, home):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                "XDG_STATE_HOME": os.path.join(home, "state"),
                "XDG_CACHE_HOME": os.path.join(home, "cache"), "LC_ALL": "C.UTF-8"}

    def field(self, name):
        return run(["dpkg-deb", "-f", self.deb, name]).stdout.strip()

    def commands(self):
        out = run([self.bin, "--help"]).stdout.split("Commands:\n", 1)[1]
        return [m.group(1) for m in re.finditer(r"^  (\S+) ", out, re.M)]

    def test_depends(self):
        depends = [d.split()[0] for d in self.field("Depends").split(", ")]
        for lib in LIBS:
            self.assertIn(lib, depends)
        self.assertEqual(self.field("Package"), "photopub")
        for f in ("Maintainer", "Description", "Section", "Version"):
            self.assertTrue(self.field(f), f)

    def test_contents(self):
        for path in ["usr/bin/photopub", "usr/share/bash-completion/completions/photopub",
                     "etc/logrotate.d/photopub", "etc/photopub/photopub.ini",
                     "etc/photopub/photopub.env", "usr/share/doc/photopub/examples/photopub.ini",
                     "usr/share/man/man1/photopub.1.gz", "usr/share/man/man5/photopub.ini.5.gz"] + \
                    ["usr/lib/systemd/system/" + u for u in UNITS]:
            self.assertTrue(os.path.isfile(os.path.join(self.root, path)), path)
        modules = glob.glob(os.path.join(self.root, "usr/lib/*/photopub/libphotopub-image.so"))
        self.assertEqual(len(modules), 1, modules)
        # dpkg-shlibdeps saw libvips because the module is an ELF file of the package
        needed = run(["readelf", "-d", modules[0]]).stdout
        self.assertIn("libvips.so.42", needed)
        listing = run(["dpkg-deb", "-c", self.deb]).stdout
        self.assertRegex(listing, r"-rw------- root/root .* \./etc/photopub/photopub\.env\n")
        conffiles = run(["dpkg-deb", "-I", self.deb, "conffiles"]).stdout.split()
        self.assertEqual(sorted(conffiles), ["/etc/logrotate.d/photopub",
                                             "/etc/photopub/photopub.env",
                                             "/etc/photopub/photopub.ini"])

    def assertRuns(self, config, folder, posts, extra=()):
        home = self.scratch()
        p = run([self.bin, "run", "--config", config, "--log-format", "json"] + list(extra),
                env=self.env(home))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(l) for l in p.stderr.splitlines()]
        va = [l for l in lines if l["message"] == "vision_analysis"]
        self.assertEqual(len(va), 1)
        self.assertIs(va[0]["ok"], True, va)            # the installed module decoded it
        self.assertEqual(len(os.listdir(posts)), 1)
        archived = os.listdir(os.path.join(folder, "archive"))
        self.assertEqual(len([f for f in archived if f.endswith(".txt")]), 1, archived)
        self.assertEqual(len(archived), 2, archived)

    def test_demo_from_the_installed_example(self):
        ws = self.scratch()
        examples = os.path.join(self.root, "usr/share/doc/photopub/examples")
        shutil.copy(os.path.join(examples, "photopub.ini"), ws)
        shutil.copytree(os.path.join(SOURCE, "examples", "images"), os.path.join(ws, "images"))
        self.assertRuns(os.path.join(ws, "photopub.ini"), os.path.join(ws, "images"),
                        os.path.join(ws, "outbox"))
        self.assertTrue(os.path.isfile(os.path.join(ws, "state.db")))

    def test_the_units_configuration(self):
        """/etc/photopub/photopub.ini with /var/lib/photopub (the units'
        StateDirectory) moved to a scratch folder, and the empty secrets file."""
        ws = self.scratch()
        with open(os.path.join(self.root, "etc/photopub/photopub.ini")) as f:
            text = f.read()
        self.assertIn("/var/lib/photopub/images", text)
        config = os.path.join(ws, "photopub.ini")
        with open(config, "w") as f:
            f.write(text.replace("/var/lib/photopub", ws))
        shutil.copytree(os.path.join(SOURCE, "examples", "images"), os.path.join(ws, "images"))
        self.assertRuns(config, os.path.join(ws, "images"), os.path.join(ws, "outbox"),
                        ["--env", os.path.join(self.root, "etc/photopub/photopub.env")])

    def test_installed_module_is_loaded(self):
        """An installed binary loads the installed module: a broken one is
        what the error names; the binary copied alone uses its own copy."""
        other = os.path.join(self.scratch(), "root")
        shutil.copytree(self.root, other, symlinks=True)
        module = glob.glob(os.path.join(other, "usr/lib/*/photopub/libphotopub-image.so"))[0]
        with open(module, "w"):
            pass
        ws = self.scratch()
        shutil.copy(os.path.join(self.root, "usr/share/doc/photopub/examples/photopub.ini"), ws)
        shutil.copytree(os.path.join(SOURCE, "examples", "images"), os.path.join(ws, "images"))
        p = run([os.path.join(other, "usr/bin/photopub"), "run", "--config",
                 os.path.join(ws, "photopub.ini"), "--log-format", "json"], env=self.env(ws))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot load the installed module", p.stderr)
        self.assertIn(module, p.stderr)
        alone = os.path.join(self.scratch(), "photopub")
        shutil.copy2(self.bin, alone)
        p = run([alone, "run", "--config", os.path.join(ws, "photopub.ini"), "--log-format", "json"],
                env=self.env(ws))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_man_pages(self):
        man1 = os.path.join(self.root, "usr/share/man/man1")
        for c in self.commands() + ["check"]:
            self.assertTrue(os.path.isfile(os.path.join(man1, "photopub-%s.1.gz" % c)), c)
        pages = glob.glob(os.path.join(self.root, "usr/share/man/man*/*"))
        self.assertGreaterEqual(len(pages), len(self.commands()) + 2)
        for page in pages:
            p = run(["man", "--warnings", "-l", page],
                    env=dict(self.env(self.scratch()), MANWIDTH="80"))
            self.assertEqual(p.returncode, 0, page)
            self.assertEqual(p.stderr, "", page)
            text = re.sub(".\b", "", p.stdout)            # no overstrike (bold, underline)
            self.assertIn("NAME", text)
            name = os.path.basename(page)[:-len(".1.gz")]      # photopub-run, photopub.ini
            self.assertTrue(page.endswith(".gz"), page)
            self.assertIn(name + " - ", text)

    def test_completion(self):
        comp = os.path.join(self.root, "usr/share/bash-completion/completions/photopub")
        script = ('source "$1"; complete -p photopub; COMP_WORDS=(photopub ser); COMP_CWORD=1; '
                  '_photopub; echo "${COMPREPLY[*]}"')
        p = run(["bash", "--norc", "--noprofile", "-c", script, "bash", comp],
                env=self.env(self.scratch()))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(p.stdout.splitlines(), ["complete -F _photopub photopub", "serve"])

    def test_units_verify(self):
        """systemd-analyze verify --root on a copy of the unpacked root that
        also has the system's own units (the targets ours are ordered
        against) and mkdir; Documentation= is checked against the package's
        man pages.
        Clean means no line at all, not just exit 0."""
        root = os.path.join(self.scratch(), "root")
        shutil.copytree(self.root, root, symlinks=True)
        units = os.path.join(root, "usr/lib/systemd/system")
        for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
            if os.path.isdir(d):
                for f in os.listdir(d):
                    if not os.path.lexists(os.path.join(units, f)):
                        src = os.path.join(d, f)
                        if os.path.islink(src):
                            os.symlink(os.readlink(src), os.path.join(units, f))
                        elif os.path.isfile(src):
                            shutil.copy(src, units)
                        elif os.path.isdir(src):
                            shutil.copytree(src, os.path.join(units, f), symlinks=True)
        # and the one system command they run (ExecStartPre=mkdir)
        shutil.copy(os.path.realpath(shutil.which("mkdir")), os.path.join(root, "usr/bin/mkdir"))
        env = dict(self.env(self.scratch()), MANPATH=os.path.join(root, "usr/share/man") + ":")
        p = run(["systemd-analyze", "verify", "--root=" + root] + UNITS, env=env)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))
        # systemd's own rating of the hardening: exposure at most 2.0 of 10
        # (1.2 as shipped; an unhardened service is 9.6)
        p = run(["systemd-analyze", "security", "--offline=yes", "--threshold=20",
                 "--root=" + root] + UNITS[:2], env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # the check can fail: a unit that names a missing binary is reported
        os.unlink(os.path.join(root, "usr/bin/photopub"))
        p = run(["systemd-analyze", "verify", "--root=" + root, "photopub-run.service"], env=env)
        self.assertIn("/usr/bin/photopub", p.stderr)

    def test_units_are_hardened(self):
        for u in UNITS[:2]:
            with open(os.path.join(self.root, "usr/lib/systemd/system", u)) as f:
                text = f.read()
            for line in ("DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes",
                         "PrivateTmp=yes", "NoNewPrivileges=yes", "StateDirectory=photopub",
                         "LogsDirectory=photopub", "CapabilityBoundingSet=\n",
                         "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                         "LoadCredential=photopub.env:/etc/photopub/photopub.env",
                         "--env ${CREDENTIALS_DIRECTORY}/photopub.env",
                         "ExecStart=/usr/bin/photopub "):
                self.assertIn(line, text, u)
        with open(os.path.join(self.root, "usr/lib/systemd/system/photopub-run.timer")) as f:
            self.assertEqual(len(re.findall(r"^OnCalendar=", f.read(), re.M)), 1)

    def test_logrotate(self):
        if not shutil.which("logrotate"):
            self.fail("logrotate is not installed (scripts/deps test installs it)")
        state = os.path.join(self.scratch(), "state")
        p = run(["logrotate", "--debug", "--state", state,
                 os.path.join(self.root, "etc/logrotate.d/photopub")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("error", p.stdout + p.stderr)


if __name__ == "__main__":
    main()
