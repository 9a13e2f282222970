#!/usr/bin/env python3
"""`cmake --install` into a temporary prefix gives bin/photopub beside the
libvips module it loads (lib/photopub/libphotopub-image.so), the man pages,
units, completion, logrotate snippet and configuration; the binary runs the
demo pipeline (local folder, offline analyzer, outbox, SQLite) from there
with the installed module, and so do a copy of it alone in another folder
(with the copy of the module inside it) and a symbolic link to it; libvips
is not among the libraries it links, and a module that cannot be loaded is
reported with what was tried and the loader's reason. The Debian package is
tests/e2e/test_package.py."""

import os
import shutil
import subprocess
import tempfile

from harness import BIN, TestCase, main

CMAKE = shutil.which("cmake")
MODULE = os.path.join("lib", "photopub", "libphotopub-image.so")   # libdir of prefix /usr/local


class InstallTest(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="pp-install-")
        cls.prefix = os.path.join(cls.root, "prefix with space")
        build = os.path.dirname(os.path.abspath(BIN))
        p = subprocess.run([CMAKE, "--install", build, "--prefix", cls.prefix],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + p.stdout + p.stderr)
        cls.installed = os.path.join(cls.prefix, "bin", "photopub")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def archived_images(self):
        return [f for f in self.ws.archived() if not f.endswith(".txt")]

    def assertPosts(self, binary):
        before = len(self.ws.posts())
        res = self.ws.run(binary=binary)
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(len(self.ws.posts()), before + 1)
        va = res.one("vision_analysis")
        self.assertIs(va["ok"], True, va)          # the libvips module decoded the image
        self.assertTiming(res, True, ran=["vision_analysis_ms", "archive_ms"])
        return res

    def test_installed_files(self):
        files = {os.path.relpath(os.path.join(d, f), self.prefix)
                 for d, _, fs in os.walk(self.prefix) for f in fs}
        for f in ["bin/photopub", MODULE, "share/man/man1/photopub.1.gz",
                  "share/man/man1/photopub-run.1.gz", "share/man/man5/photopub.ini.5.gz",
                  "lib/systemd/system/photopub-serve.service",
                  "lib/systemd/system/photopub-run.service",
                  "lib/systemd/system/photopub-run.timer",
                  "share/bash-completion/completions/photopub",
                  "etc/logrotate.d/photopub", "etc/photopub/photopub.ini",
                  "etc/photopub/photopub.env", "share/doc/photopub/examples/photopub.ini"]:
            self.assertIn(f, files)
        self.assertTrue(os.access(self.installed, os.X_OK))
        self.assertEqual(os.stat(os.path.join(self.prefix, "etc/photopub/photopub.env")).st_mode & 0o777,
                         0o600)
        # nothing is installed outside the prefix: every path is relative to it
        with open(os.path.join(os.path.dirname(os.path.abspath(BIN)), "install_manifest.txt")) as f:
            for line in f.read().splitlines():
                self.assertTrue(line.startswith(self.prefix + "/"), line)

    def test_installed_module_is_loaded(self):
        """The binary loads the module installed beside it: a broken one
        there is what the error names (and no fallback hides it)."""
        other = os.path.join(self.root, "broken prefix")
        shutil.copytree(self.prefix, other, symlinks=True)
        self.addCleanup(shutil.rmtree, other, True)
        with open(os.path.join(other, MODULE), "w"):   # truncated: not an ELF file
            pass
        res = self.ws.run(binary=os.path.join(other, "bin", "photopub"))
        self.assertEqual(res.rc, 1)
        err = res.one("image_probe_error")["error"]
        self.assertIn("cannot load the installed module", err)
        self.assertIn(os.path.join("lib", "photopub", "libphotopub-image.so"), err)
        self.assertEqual(self.ws.posts(), [])

    def test_installed_binary_runs_the_demo(self):
        self.assertPosts(self.installed)
        self.assertEqual(len(self.archived_images()), 1)

    def test_copy_and_symlink(self):
        elsewhere = os.path.join(self.root, "elsewhere")
        os.makedirs(elsewhere, exist_ok=True)
        copy = os.path.join(elsewhere, "photopub")
        shutil.copy2(self.installed, copy)
        link = os.path.join(self.root, "pp-link")
        if not os.path.islink(link):
            os.symlink(self.installed, link)
        self.assertPosts(copy)
        self.assertPosts(link)
        self.assertEqual(len(self.archived_images()), 2)

    def test_libvips_is_not_linked(self):
        readelf = shutil.which("readelf")
        if not readelf:
            self.skipTest("no readelf")
        out = subprocess.run([readelf, "-d", self.installed], capture_output=True, text=True).stdout
        needed = [l for l in out.splitlines() if "(NEEDED)" in l]
        self.assertTrue(any("libcurl" in l for l in needed), needed)
        self.assertFalse(any("libvips" in l for l in needed), needed)

    def test_unloadable_module_is_explained(self):
        missing = os.path.join(self.root, "no-such-module.so")
        res = self.ws.run(binary=self.installed, env={"PHOTOPUB_IMAGE_MODULE": missing})
        self.assertEqual(res.rc, 1)
        probe = res.one("image_probe_error")
        self.assertIn("cannot load", probe["error"])
        self.assertIn(missing, probe["error"])
        self.assertIn("No such file or directory", probe["error"])   # dlerror's reason
        self.assertEqual(self.ws.posts(), [])
        self.assertEqual(self.ws.archived(), [])


if __name__ == "__main__":
    main()
