#!/usr/bin/env python3
"""test_delta.py: relais delta and relais install --delta: a one-lesson correction reaches a
laptop as a few KB, rebuilds the publisher's bundle byte for byte, keeps the learners'
progress, and a delta for another base changes nothing."""
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from testlib import RELAIS, SOURCE_ROOT  # noqa: E402
COURSE = os.path.join(SOURCE_ROOT, "courses", "migration-health")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Deltas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="relais-cli-delta-")
        cls.cli(["keygen", "-p", "pub.key", "-s", "sec.key", "--no-password"])
        cls.cli(["keygen", "-p", "other.pub", "-s", "other.key", "--no-password"])
        # Versions 1, 2 (one lesson corrected) and 3 (another one corrected).
        src = os.path.join(cls.work, "src")
        shutil.copytree(COURSE, src)
        with open(os.path.join(src, "course.json"), encoding="utf-8") as f:
            course = json.load(f)
        lessons = [u["lesson"] for u in course["units"] if "lesson" in u]
        cls.first_unit = [u["id"] for u in course["units"] if "lesson" in u][0]
        for version in (1, 2, 3):
            course["version"] = version
            with open(os.path.join(src, "course.json"), "w", encoding="utf-8") as f:
                json.dump(course, f)
            if version > 1:
                with open(os.path.join(src, lessons[version - 1]), "a", encoding="utf-8") as f:
                    f.write("\nA correction made for version %d.\n" % version)
            cls.cli(["pack", src, "-s", "sec.key", "-o", "v%d.relais" % version])
            if version == 2:
                cls.cli(["pack", src, "-s", "other.key", "-o", "other-v2.relais"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def cli(cls, args, env=None, check=True):
        p = subprocess.run([RELAIS, *args], cwd=cls.work, capture_output=True, text=True,
                           timeout=120, env=env)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="home-", dir=self.work)
        self.env = dict(os.environ, RELAIS_HOME=self.home)

    def relais(self, *args):
        return self.cli(list(args), env=self.env, check=False)

    def path(self, name):
        return os.path.join(self.work, name)

    def refused(self, p, says):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertTrue(p.stderr.startswith("relais: "), p.stderr)
        self.assertIn(says, p.stderr)

    def library(self):
        return sorted(os.path.basename(p) for p in os.listdir(os.path.join(self.home, "library")))

    def test_delta_is_small_and_says_how_small(self):
        p = self.relais("delta", "v1.relais", "v2.relais", "-o", "d12.delta")
        self.assertEqual(p.returncode, 0, p.stderr)
        size = os.path.getsize(self.path("d12.delta"))
        full = os.path.getsize(self.path("v2.relais"))
        m = re.fullmatch(r"d12\.delta: (\d+) bytes, ([0-9.]+)% of v2\.relais\n", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        self.assertEqual(int(m.group(1)), size)
        self.assertAlmostEqual(float(m.group(2)), 100.0 * size / full, places=1)
        self.assertLess(size * 4, full)

    def test_install_delta_rebuilds_the_bundle_and_keeps_progress(self):
        self.assertEqual(self.relais("delta", "v1.relais", "v2.relais", "-o", "d.delta")
                         .returncode, 0)
        self.relais("trust", "add", "pub.key")
        self.assertEqual(self.relais("install", "v1.relais").returncode, 0)
        self.relais("profile", "add", "--name", "Ana Lima", "--email", "ana@example.org")
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        db.execute("INSERT INTO progress(profile_id, course_id, unit_id, viewed, updated) "
                   "VALUES (1, 'migration-health', ?, 1, 'now')", (self.first_unit,))
        db.commit()
        db.close()
        p = self.relais("install", "--delta", "d.delta")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "d.delta: upgraded migration-health from version 1 to 2\n")
        self.assertEqual(self.library(), ["migration-health-2.relais"])
        self.assertEqual(sha256(os.path.join(self.home, "library", "migration-health-2.relais")),
                         sha256(self.path("v2.relais")))
        report = json.loads(self.relais("progress", "--json").stdout)
        units = {u["id"]: u["state"] for u in report[0]["courses"][0]["units"]}
        self.assertEqual(units[self.first_unit], "done")
        # No rebuilt file is left in the home.
        self.assertEqual(glob.glob(self.home + "/*.relais*"), [])
        # Again: nothing to do.
        p = self.relais("install", "--delta", "d.delta")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("version 2 is already installed", p.stdout)

    def test_delta_for_another_base_changes_nothing(self):
        self.assertEqual(self.relais("delta", "v2.relais", "v3.relais", "-o", "d23.delta")
                         .returncode, 0)
        self.relais("trust", "add", "pub.key")
        self.relais("install", "v1.relais")
        self.refused(self.relais("install", "--delta", "d23.delta"), "delta is for another base")
        self.assertIn("migration-health  version 1 ", self.relais("list").stdout)
        self.assertEqual(self.library(), ["migration-health-1.relais"])
        self.assertEqual(glob.glob(self.home + "/*.relais*"), [])
        # The installed file itself replaced by other bytes: refused by its hash.
        self.assertEqual(self.relais("delta", "v1.relais", "v2.relais", "-o", "d12.delta")
                         .returncode, 0)
        lib = os.path.join(self.home, "library", "migration-health-1.relais")
        data = bytearray(open(lib, "rb").read())
        data[len(data) // 2] ^= 0x10
        open(lib, "wb").write(data)
        self.refused(self.relais("install", "--delta", "d12.delta"), "delta is for another base")
        self.assertIn("migration-health  version 1 ", self.relais("list").stdout)

    def test_refusals(self):
        self.relais("trust", "add", "pub.key")
        self.relais("delta", "v1.relais", "v2.relais", "-o", "d12.delta")
        # No course installed.
        self.refused(self.relais("install", "--delta", "d12.delta"),
                     "course migration-health is not installed")
        # Not a delta, missing file.
        self.relais("install", "v1.relais")
        self.refused(self.relais("install", "--delta", "v2.relais"), "not a relais delta")
        self.refused(self.relais("install", "--delta", "nothing.delta"), "nothing.delta")
        # A cut delta.
        data = open(self.path("d12.delta"), "rb").read()
        open(self.path("cut.delta"), "wb").write(data[:-5])
        self.refused(self.relais("install", "--delta", "cut.delta"), "cut.delta")
        self.assertIn("migration-health  version 1 ", self.relais("list").stdout)
        # Building: older, other key, other course, no -o.
        self.refused(self.relais("delta", "v2.relais", "v1.relais", "-o", "x.delta"),
                     "is not newer than")
        self.refused(self.relais("delta", "v1.relais", "other-v2.relais", "-o", "x.delta"),
                     "signed by key")
        self.assertFalse(os.path.exists(self.path("x.delta")))
        self.assertEqual(self.relais("delta", "v1.relais", "v2.relais").returncode, 2)
        self.assertEqual(self.relais("install", "--delta", "d12.delta", "v2.relais")
                         .returncode, 2)

    def test_help(self):
        p = self.relais("delta", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: relais delta OLD.relais NEW.relais -o FILE", p.stdout)
        self.assertIn("--delta FILE", self.relais("install", "--help").stdout)


if __name__ == "__main__":
    testlib.main()
