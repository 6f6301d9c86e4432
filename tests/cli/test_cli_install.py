#!/usr/bin/env python3
"""test_cli_install.py: installs that race, die half-way, or come from another publisher."""
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS, make_course  # noqa: E402


class Installs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.d = d
        for name in ("ministry", "rival"):
            cls.run_ok("keygen", "-p", "%s/%s.pub" % (d, name), "-s", "%s/%s.key" % (d, name),
                       "--no-password")
        src = os.path.join(d, "course")
        make_course(src)
        meta_path = os.path.join(src, "course.json")
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)

        def write_meta():
            with open(meta_path, "w", encoding="utf-8") as f:
                json.dump(meta, f)
        # Large enough that copying it takes a moment: installs overlap.
        with open(os.path.join(src, "media", "handout.txt"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))
        for version in (2, 3):
            meta["version"] = version
            write_meta()
            cls.run_ok("pack", src, "-s", d + "/ministry.key", "-o", "%s/v%d.relais" % (d, version))
        meta["version"] = 4
        meta["title"] = "A small course, rewritten by someone else"
        write_meta()
        cls.run_ok("pack", src, "-s", d + "/rival.key", "-o", d + "/rival-v4.relais")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def run_ok(cls, *args, env=None):
        p = subprocess.run([RELAIS, *args], capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, (args, p.stderr)
        return p

    def setUp(self):
        self.home = tempfile.mkdtemp(dir=self.d)
        self.env = dict(os.environ, RELAIS_HOME=self.home)
        self.relais("trust", "add", self.d + "/ministry.pub", "--name", "Ministry of Health")
        self.relais("trust", "add", self.d + "/rival.pub", "--name", "Rival academy")

    def relais(self, *args):
        return subprocess.run([RELAIS, *args], capture_output=True, text=True, timeout=120,
                              env=self.env)

    def library(self):
        return sorted(os.path.basename(p) for p in glob.glob(self.home + "/library/*"))

    def test_another_publisher_cannot_take_over_a_course(self):
        self.assertEqual(self.relais("install", self.d + "/v2.relais").returncode, 0)
        p = self.relais("install", self.d + "/rival-v4.relais")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn("course mini-course belongs to Ministry of Health (key ", p.stderr)
        self.assertIn("this bundle is signed by Rival academy (key ", p.stderr)
        self.assertEqual(self.library(), ["mini-course-2.relais"])
        self.assertIn("A small course", self.relais("list").stdout)
        self.assertNotIn("rewritten", self.relais("list").stdout)
        # The binding outlives the publisher's trust: still refused, still named.
        ministry_id = [l.split()[0] for l in self.relais("trust", "list").stdout.splitlines()
                       if "Ministry" in l][0]
        self.assertEqual(self.relais("trust", "remove", ministry_id).returncode, 0)
        p = self.relais("install", self.d + "/rival-v4.relais")
        self.assertEqual(p.returncode, 1)
        self.assertIn("belongs to a publisher no longer trusted", p.stderr)
        # Removing the course (and with it its progress) frees the id.
        self.assertEqual(self.relais("remove", "mini-course").returncode, 0)
        p = self.relais("install", self.d + "/rival-v4.relais")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.library(), ["mini-course-4.relais"])

    def test_two_installs_at_once_leave_the_higher_version_and_one_file(self):
        for _ in range(6):
            shutil.rmtree(self.home + "/library")
            os.remove(self.home + "/relais.db")
            for f in glob.glob(self.home + "/relais.db-*"):
                os.remove(f)
            self.relais("trust", "add", self.d + "/ministry.pub", "--name", "Ministry of Health")
            new = subprocess.Popen([RELAIS, "install", self.d + "/v3.relais"], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            old = subprocess.Popen([RELAIS, "install", self.d + "/v2.relais"], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, new_err = new.communicate(timeout=120)
            _, old_err = old.communicate(timeout=120)
            self.assertEqual(new.returncode, 0, new_err)
            # v2 either lost the race (refused as a rollback) or came first and was upgraded.
            self.assertIn(old.returncode, (0, 1), old_err)
            if old.returncode == 1:
                self.assertIn("refusing a rollback", old_err)
            self.assertEqual(self.library(), ["mini-course-3.relais"])
            self.assertIn("mini-course  version 3 ", self.relais("list").stdout)

    def test_what_a_killed_install_left_is_removed_by_the_next(self):
        self.assertEqual(self.relais("install", self.d + "/v2.relais").returncode, 0)
        lib = self.home + "/library/"
        # What kill -9 during the copy leaves: a temporary file nobody holds, from a while ago.
        long_ago = time.time() - 3600
        with open(lib + "mini-course-3.relais.tmpAbC123", "wb") as f:
            f.write(b"PK\3\4 half a bundle")
        os.utime(lib + "mini-course-3.relais.tmpAbC123", (long_ago, long_ago))
        # An install still writing holds a lock on its file: left alone, however old.
        busy = open(lib + "other-1.relais.tmpXyZ789", "wb")
        fcntl.flock(busy, fcntl.LOCK_EX)
        os.utime(lib + "other-1.relais.tmpXyZ789", (long_ago, long_ago))
        # One just made, not locked yet by its writer: left alone too.
        with open(lib + "third-1.relais.tmpQrS456", "wb") as f:
            f.write(b"PK")
        try:
            p = self.relais("install", self.d + "/v3.relais")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.library(), ["mini-course-3.relais", "other-1.relais.tmpXyZ789",
                                              "third-1.relais.tmpQrS456"])
        finally:
            busy.close()
        os.remove(lib + "third-1.relais.tmpQrS456")
        self.assertEqual(self.relais("remove", "mini-course").returncode, 0)
        self.assertEqual(self.relais("install", self.d + "/v2.relais").returncode, 0)
        self.assertEqual(self.library(), ["mini-course-2.relais"])


if __name__ == "__main__":
    testlib.main()
