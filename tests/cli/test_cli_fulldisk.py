#!/usr/bin/env python3
"""test_cli_fulldisk.py: a full disk gets one clear line, exit 1, and nothing half-written.

Each test mounts a small tmpfs (root only); without the right to mount, the
tests are skipped, saying why."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, SOURCE_ROOT  # noqa: E402

COURSE = os.path.join(SOURCE_ROOT, "courses", "migration-health")


class FullDisk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="relais-fulldisk-")
        cls.cli(["keygen", "-p", "k.pub", "-s", "k.key", "--no-password"])
        cls.cli(["pack", COURSE, "-s", "k.key", "-o", "mh.relais"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def cli(cls, args, home=None, check=True):
        env = dict(os.environ)
        env.pop("RELAIS_HOME", None)
        if home:
            env["RELAIS_HOME"] = home
        p = subprocess.run([RELAIS] + args, cwd=cls.work, env=env, capture_output=True,
                           text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("%s: %s" % (args, p.stderr))
        return p

    def mount(self, size):
        """A tmpfs of `size` bytes, unmounted at the end of the test."""
        point = tempfile.mkdtemp(prefix="disk-", dir=self.work)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", point],
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + p.stderr.strip())
        self.addCleanup(subprocess.run, ["umount", point], capture_output=True)
        return point

    def one_line(self, p, words):
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        self.assertIn(words, lines[0])

    def test_pack_onto_a_full_disk_leaves_nothing(self):
        disk = self.mount(16 * 1024)  # the bundle is about 33 KB
        out = os.path.join(disk, "mh.relais")
        p = self.cli(["pack", COURSE, "-s", "k.key", "-o", out], check=False)
        self.one_line(p, "No space left on device")
        self.assertEqual(os.listdir(disk), [], "no bundle and no temporary file left")

    def test_install_onto_a_full_disk_changes_nothing(self):
        disk = self.mount(1024 * 1024)
        home = os.path.join(disk, "home")
        self.cli(["trust", "add", "k.pub"], home=home)
        # Fill the disk so that the database still has room but the bundle
        # (about 33 KB) does not, whatever size the schema has grown to.
        st = os.statvfs(disk)
        with open(os.path.join(disk, "filler"), "wb") as f:
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 16 * 1024))
        p = self.cli(["install", "mh.relais"], home=home, check=False)
        # Whichever write meets the full disk first (the database's log or
        # the bundle) names it, on one line.
        self.one_line(p, "disk is full" if "relais.db" in p.stderr else "No space left on device")
        self.assertEqual(os.listdir(os.path.join(home, "library")), [])
        os.unlink(os.path.join(disk, "filler"))  # the user frees some space
        self.assertIn("no courses installed", self.cli(["list"], home=home).stdout)

    def test_a_full_database_disk_is_named(self):
        disk = self.mount(16 * 1024)  # not even room for the database's log
        p = self.cli(["trust", "add", "k.pub"], home=os.path.join(disk, "home"), check=False)
        self.one_line(p, "the disk is full")


if __name__ == "__main__":
    testlib.main()
