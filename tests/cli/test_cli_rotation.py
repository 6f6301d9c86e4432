#!/usr/bin/env python3
"""test_cli_rotation.py: a bundle carrying the key rotation record that endorses its signing
key (relais pack --rotation, docs/bundle-format.md): a laptop trusting the old key installs it
and says so, `relais trust list` shows the rotation, and a forged or unrelated record is
refused with one line and nothing changed."""
import json
import os
import shutil
import sqlite3
import sys
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from clilib import RELAIS  # noqa: E402


def key_id(pub):
    with open(pub) as f:
        return f.read().split("\n")[0].split()[-1]


class BundleRotation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = testlib.temp_dir(cls, "relais-cli-rotation-")
        for name in ("old", "new", "stranger"):
            cls.relais(["keygen", "-p", name + ".pub", "-s", name + ".key", "-W"], None)
        cls.old_id, cls.new_id = key_id(cls.path("old.pub")), key_id(cls.path("new.pub"))
        cls.relais(["key", "rotate", "--secret-key", "old.key", "--new-public-key", "new.pub",
                    "-o", "old-to-new.json"], None)
        cls.relais(["key", "rotate", "--secret-key", "stranger.key", "--new-public-key",
                    "new.pub", "-o", "stranger-to-new.json"], None)
        # A record that says it is the old key's, signed by the stranger.
        with open(cls.path("stranger-to-new.json")) as f:
            forged = json.load(f)
        forged["old"] = cls.old_id
        with open(cls.path("forged.json"), "w") as f:
            json.dump(forged, f, separators=(",", ":"))
        cls.src = cls.path("src")
        shutil.copytree(testlib.course_dir("migration-health"), cls.src)
        cls.v1 = cls.pack(1, "old.key")
        cls.v2 = cls.pack(2, "new.key", "--rotation", "old-to-new.json")
        cls.v2_bare = cls.pack(2, "new.key", name="bare")
        cls.v2_forged = cls.pack(2, "new.key", "--rotation", "forged.json", name="forged")
        cls.v2_stranger = cls.pack(2, "new.key", "--rotation", "stranger-to-new.json",
                                   name="stranger")

    @classmethod
    def path(cls, *parts):
        return os.path.join(cls.work, *parts)

    @classmethod
    def relais(cls, args, home, check=True):
        p = testlib.run(RELAIS, args, env=testlib.laptop_env(home), cwd=cls.work, timeout=180)
        if check:
            testlib.checked(p, "relais " + " ".join(args[:2]))
        return p

    @classmethod
    def pack(cls, version, key, *extra, name=""):
        with open(os.path.join(cls.src, "course.json")) as f:
            meta = json.load(f)
        meta["version"] = version
        with open(os.path.join(cls.src, "course.json"), "w") as f:
            json.dump(meta, f, ensure_ascii=False)
        out = cls.path("mh-%d%s.relais" % (version, name))
        cls.relais(["pack", cls.src, "-s", key, "-o", out] + list(extra), None)
        return out

    def setUp(self):
        self.home = testlib.temp_dir(self, "home-")
        self.relais(["trust", "add", "old.pub", "--name", "Ministry"], self.home)
        self.relais(["install", self.v1], self.home)

    def state(self):
        """What a refusal must leave as it was: the trust list and the installed versions."""
        return (self.relais(["trust", "list"], self.home).stdout,
                self.relais(["list"], self.home).stdout)

    def refused(self, bundle, message):
        before = self.state()
        p = self.relais(["install", bundle], self.home, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertRegex(p.stderr, message)
        self.assertEqual(self.state(), before)

    def test_the_record_rides_in_the_signed_manifest(self):
        with zipfile.ZipFile(self.v2) as z:
            manifest = json.loads(z.read("manifest.json"))
        with open(self.path("old-to-new.json")) as f:
            self.assertEqual(manifest["rotations"], [json.load(f)])
        # Bundles packed without the option keep their bytes: no member at all.
        with zipfile.ZipFile(self.v2_bare) as z:
            self.assertNotIn("rotations", json.loads(z.read("manifest.json")))

    def test_pack_refuses_a_record_for_another_key(self):
        p = self.relais(["pack", self.src, "-s", "stranger.key", "-o", "x.relais", "--rotation",
                         "old-to-new.json"], None, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^relais: old-to-new.json: the rotation record endorses "
                         r"key %s, not the signing key [0-9A-F]{16}\n$" % self.new_id)
        self.assertFalse(os.path.exists(self.path("x.relais")))

    def test_a_bundle_carrying_its_rotation_installs_and_is_recorded(self):
        # Without the record, the new key is a stranger to this laptop.
        self.refused(self.v2_bare, r"signed by key %s, which is not trusted" % self.new_id)
        p = self.relais(["install", self.v2], self.home)
        self.assertIn("upgraded migration-health from version 1 to 2", p.stdout)
        self.assertIn("publisher key %s rotated to %s" % (self.old_id, self.new_id), p.stderr)
        listed = self.relais(["trust", "list"], self.home).stdout
        self.assertRegex(listed, r"(?m)^%s  publisher  Ministry  \(added " % self.new_id)
        self.assertRegex(listed, r"(?m)^%s rotated to %s on \d{4}-\d\d-\d\d$" % (
            self.old_id, self.new_id))
        # The same version again: nothing to do, and the record is not taken twice.
        p = self.relais(["install", self.v2_bare], self.home)
        self.assertNotIn("rotated", p.stderr)
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        self.assertEqual(db.execute("SELECT old, new, source FROM key_rotation").fetchall(),
                         [(self.old_id, self.new_id, "bundle")])
        db.close()

    def test_a_forged_record_is_refused_and_nothing_changes(self):
        self.refused(self.v2_forged, r"^relais: .*mh-2forged.relais: key rotation")

    def test_a_record_from_an_untrusted_key_is_refused(self):
        self.refused(self.v2_stranger, r"signed by key %s, which is not trusted, and no key "
                     r"rotation record leads to it from a trusted key" % self.new_id)


if __name__ == "__main__":
    testlib.main()
