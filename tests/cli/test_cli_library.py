#!/usr/bin/env python3
"""test_cli_library.py: the learner's laptop from the command line: trust, install, list,
remove, profiles, progress and relais read."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from testlib import RELAIS, SOURCE_ROOT  # noqa: E402
COURSE = os.path.join(SOURCE_ROOT, "courses", "migration-health")


class Laptop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="relais-cli-library-")
        cls.run_ok(["keygen", "-p", "pub.key", "-s", "sec.key", "--no-password"], home=None)
        cls.run_ok(["keygen", "-p", "other.pub", "-s", "other.key", "--no-password"], home=None)
        cls.run_ok(["pack", COURSE, "-s", "sec.key", "-o", "v1.relais"], home=None)
        cls.run_ok(["pack", COURSE, "-s", "other.key", "-o", "foreign.relais"], home=None)
        # Version 2 of the same course, without its last lesson.
        src = os.path.join(cls.work, "v2src")
        shutil.copytree(COURSE, src)
        with open(os.path.join(src, "course.json"), encoding="utf-8") as f:
            course = json.load(f)
        course["version"] = 2
        cls.dropped = [u["id"] for u in course["units"] if "lesson" in u][-1]
        course["units"] = [u for u in course["units"] if u["id"] != cls.dropped]
        with open(os.path.join(src, "course.json"), "w", encoding="utf-8") as f:
            json.dump(course, f)
        cls.run_ok(["pack", src, "-s", "sec.key", "-o", "v2.relais"], home=None)
        # One bit flipped in the middle of the first lesson's compressed bytes.
        data = bytearray(open(os.path.join(cls.work, "v1.relais"), "rb").read())
        with zipfile.ZipFile(os.path.join(cls.work, "v1.relais")) as z:
            entry = [i for i in z.infolist() if i.filename.startswith("lessons/")][0]
        name_len, extra_len = struct.unpack("<HH", data[entry.header_offset + 26:
                                                        entry.header_offset + 30])
        start = entry.header_offset + 30 + name_len + extra_len
        data[start + entry.compress_size // 2] ^= 0x04
        cls.tampered_entry = entry.filename
        open(os.path.join(cls.work, "tampered.relais"), "wb").write(data)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="home-", dir=self.work)

    @classmethod
    def cli(cls, args, home="", **kw):
        env = dict(os.environ)
        env.pop("RELAIS_HOME", None)
        if home:
            env["RELAIS_HOME"] = home
        return subprocess.run([RELAIS] + args, cwd=cls.work, env=env, capture_output=True,
                              text=True, timeout=120, **kw)

    @classmethod
    def run_ok(cls, args, home=""):
        p = cls.cli(args, home=home)
        if p.returncode != 0:
            raise AssertionError("%s: %d %s" % (args, p.returncode, p.stderr))
        return p

    def relais(self, *args):
        return self.cli(list(args), home=self.home)

    def refused(self, p, words):
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        self.assertIn(words, lines[0])

    def installed(self):
        return self.relais("list").stdout

    def test_install_needs_a_trusted_publisher(self):
        self.refused(self.relais("install", "v1.relais"), "not trusted")
        self.assertIn("no courses installed", self.installed())
        p = self.relais("trust", "add", "pub.key", "--name", "Health academy")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Health academy", self.relais("trust", "list").stdout)
        p = self.relais("install", "v1.relais")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("installed migration-health version 1", p.stdout)
        self.assertIn("migration-health  version 1", self.installed())

    def test_versions_only_go_up(self):
        self.relais("trust", "add", "pub.key")
        self.assertEqual(self.relais("install", "v1.relais").returncode, 0)
        p = self.relais("install", "v1.relais")
        self.assertEqual(p.returncode, 0)
        self.assertIn("already installed", p.stdout)
        p = self.relais("install", "v2.relais")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("upgraded migration-health from version 1 to 2", p.stdout)
        self.refused(self.relais("install", "v1.relais"), "refusing a rollback")
        self.assertIn("migration-health  version 2", self.installed())

    def test_bad_bundles_change_nothing(self):
        self.relais("trust", "add", "pub.key")
        # Exit status 1 (not a crash) and the message names the damaged entry.
        self.refused(self.relais("install", "tampered.relais"),
                     "tampered.relais: entry %s " % self.tampered_entry)
        self.refused(self.relais("install", "foreign.relais"), "not trusted")
        self.assertIn("no courses installed", self.installed())
        self.assertEqual(os.listdir(os.path.join(self.home, "library")), [])

    def test_upgrade_keeps_progress_on_remaining_units(self):
        self.relais("trust", "add", "pub.key")
        self.relais("install", "v1.relais")
        self.relais("profile", "add", "--name", "Ana Lima", "--email", "ana@example.org")
        # Record progress as the reader does, through the library API's database.
        import sqlite3
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        first = db.execute("SELECT id FROM unit WHERE kind = 'lesson' ORDER BY position "
                           "LIMIT 1").fetchone()[0]
        for unit in (first, self.dropped):
            db.execute("INSERT INTO progress(profile_id, course_id, unit_id, viewed, updated) "
                       "VALUES (1, 'migration-health', ?, 1, 'now')", (unit,))
        db.commit()
        db.close()
        self.assertEqual(self.relais("install", "v2.relais").returncode, 0)
        report = json.loads(self.relais("progress", "--json").stdout)
        units = {u["id"]: u["state"] for u in report[0]["courses"][0]["units"]}
        self.assertEqual(units[first], "done")
        self.assertNotIn(self.dropped, units)
        self.assertEqual(report[0]["courses"][0]["done"], 1)

    def test_remove(self):
        self.relais("trust", "add", "pub.key")
        self.relais("install", "v1.relais")
        p = self.relais("remove", "migration-health")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no courses installed", self.installed())
        self.refused(self.relais("remove", "migration-health"), "no course migration-health")

    def test_trust_remove(self):
        out = self.relais("trust", "add", "other.pub").stdout
        key_id = out.split()[2]
        self.assertEqual(self.relais("trust", "remove", key_id).returncode, 0)
        self.refused(self.relais("trust", "remove", key_id), "is not trusted")
        self.refused(self.relais("trust", "add", "v1.relais"), "not a minisign public key")

    def test_profiles(self):
        p = self.relais("profile", "add", "--name", "Kofi Mensah", "--email", "Kofi@Example.org",
                        "--org", "Ministry of Health")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("kofi@example.org", self.relais("profile", "list").stdout)
        self.refused(self.relais("profile", "add", "--name", "K", "--email", "kofi@example.org"),
                     "already exists")
        self.refused(self.relais("profile", "add", "--name", "K", "--email", "not-an-email"),
                     "not an email address")
        self.assertEqual(self.relais("profile", "add", "--name", "K").returncode, 2)

    def test_progress_json(self):
        self.relais("trust", "add", "pub.key")
        self.relais("install", "v1.relais")
        self.relais("profile", "add", "--name", "Ana", "--email", "ana@example.org")
        report = json.loads(self.relais("progress", "--json").stdout)
        self.assertEqual(report[0]["email"], "ana@example.org")
        course = report[0]["courses"][0]
        self.assertEqual((course["id"], course["done"], course["completed"]),
                         ("migration-health", 0, False))
        self.assertEqual(course["total"], len(course["units"]))

    def test_read_prints_its_address_first_and_serves_only_with_it(self):
        self.relais("trust", "add", "pub.key")
        self.relais("install", "v1.relais")
        env = dict(os.environ, RELAIS_HOME=self.home)
        proc = subprocess.Popen([RELAIS, "read", "--no-browser"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=self.work)
        try:
            url = proc.stdout.readline().strip()
            self.assertRegex(url, r"^http://127\.0\.0\.1:\d+/\?k=[0-9a-f]{32}$")
            base = url.split("/?")[0]
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(base + "/", timeout=10)
            self.assertEqual(cm.exception.code, 403)
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            page = opener.open(url, timeout=10).read().decode()
            self.assertIn("Who is studying?", page)
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)

    def test_read_usage(self):
        self.assertEqual(self.relais("read", "--port", "70000").returncode, 2)
        self.assertEqual(self.relais("read", "extra").returncode, 2)


if __name__ == "__main__":
    testlib.main()
