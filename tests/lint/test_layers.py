#!/usr/bin/env python3
"""Every #include of src/ runs down the layers of src/LAYERS; and the checker
reports an include that runs up, one that runs sideways and one into a
folder LAYERS does not name."""
import os
import subprocess
import sys
import unittest

SOURCE = os.environ.get("PHOTOPUB_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..")
CHECK = os.path.join(SOURCE, "scripts", "check-layers")
DATA = os.path.join(SOURCE, "tests", "data", "layers")


def check(src):
    p = subprocess.run([sys.executable, CHECK, src], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.splitlines()


class Layers(unittest.TestCase):
    def test_tree_runs_down(self):
        rc, lines = check(os.path.join(SOURCE, "src"))
        self.assertEqual(lines, [])
        self.assertEqual(rc, 0)

    def test_up_sideways_and_unknown_are_reported(self):
        rc, lines = check(os.path.join(DATA, "bad", "src"))
        self.assertEqual(rc, 1)
        self.assertEqual(sorted(lines), sorted([
            "core/a.c:1: includes web/w.h (sideways: web is not below core)",
            "util/u.c:1: includes core/a.h (up: core is not below util)",
            "web/w.c:2: includes core/a.h (sideways: core is not below web)",
            "web/w.c:3: includes gone/x.h, whose folder is not in LAYERS",
        ]))

    def test_own_folder_lower_layers_and_system_headers_pass(self):
        self.assertEqual(check(os.path.join(DATA, "ok", "src")), (0, []))


if __name__ == "__main__":
    unittest.main()
