#!/usr/bin/env python3
"""test_keys_hub.py: keys that change, from a real relais-hub to a laptop (docs/catalogue.md,
"Key rotation", "Revoked keys", "What a laptop does"): after `relais-hub publisher rotate`, a
course's next version signed by the new key installs with one sync; after `publisher revoke`,
the revoked key's course stays installed, readable and marked (the reader's library page,
`relais list`) and its newer versions are refused; a
catalogue carrying a forged rotation record changes nothing on the laptop."""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "reader"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import readerlib  # noqa: E402
import testlib  # noqa: E402
from hublib import HubDb  # noqa: E402
from testlib import RELAIS  # noqa: E402

SUMMARY = re.compile(r"courses: installed (\d+), updated (\d+), failed (\d+), (\d+) bytes down")
CRAFT = os.environ.get("CRAFT_CATALOGUE") or os.path.join(
    testlib.SOURCE_ROOT, "build", "tests", "craft-catalogue")


def key_id(pub):
    with open(pub) as f:
        return f.read().split("\n")[0].split()[-1]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class _hub:
    """relais-hub serve on the database, stopped at the end of the block."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.server = testlib.Hub(self.db)
        return self.server

    def __exit__(self, *exc):
        self.server.stop()


class KeysFromHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = testlib.temp_dir(cls, "relais-keys-hub-")
        for name in ("old", "new", "stranger", "hub"):
            cls.relais(["keygen", "-p", name + ".pub", "-s", name + ".key", "-W"], None)
        cls.old_id, cls.new_id = key_id(cls.path("old.pub")), key_id(cls.path("new.pub"))
        cls.relais(["key", "rotate", "--secret-key", "old.key", "--new-public-key", "new.pub",
                    "-o", "old-to-new.json"], None)
        cls.relais(["key", "rotate", "--secret-key", "stranger.key", "--new-public-key",
                    "new.pub", "-o", "stranger-to-new.json"], None)
        cls.src = cls.path("src")
        shutil.copytree(testlib.course_dir("migration-health"), cls.src)
        cls.mh1 = cls.pack(1, "old.key")
        cls.mh2_new = cls.pack(2, "new.key")
        cls.mh2_old = cls.pack(2, "old.key")

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
    def pack(cls, version, key):
        with open(os.path.join(cls.src, "course.json")) as f:
            meta = json.load(f)
        meta["version"] = version
        with open(os.path.join(cls.src, "course.json"), "w") as f:
            json.dump(meta, f, ensure_ascii=False)
        out = cls.path("mh-%d-%s.relais" % (version, key.split(".")[0]))
        cls.relais(["pack", cls.src, "-s", key, "-o", out], None)
        return out

    def setUp(self):
        self.root = testlib.temp_dir(self, "hub-")
        self.db = HubDb(self.root)
        self.db.run("keygen", "--secret-key", self.path("hub.key"))
        self.db.run("publisher", "add", self.path("old.pub"), "--name", "Ministry")
        self.key, self.secret = self.db.credentials("laptop")
        self.home = testlib.temp_dir(self, "home-")
        self.relais(["trust", "add", "old.pub", "--name", "Ministry"], self.home)
        self.relais(["trust", "add-hub", "hub.pub"], self.home)
        self.relais(["profile", "add", "--name", readerlib.LEARNER_NAME, "--email",
                     readerlib.LEARNER_EMAIL], self.home)

    def sync(self, hub, check=True):
        p = self.relais(["sync", "--hub", hub.url.rstrip("/"), "--key", self.key, "--secret",
                         self.secret, "--no-records"], self.home, check=check)
        m = SUMMARY.search(p.stdout)
        self.assertIsNotNone(m, "no summary line in %r" % (p.stdout + p.stderr))
        return p, [int(g) for g in m.groups()[:3]]

    def installed(self):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"))
        try:
            return dict(db.execute("SELECT id, version FROM course").fetchall())
        finally:
            db.close()

    def trust_list(self):
        return self.relais(["trust", "list"], self.home).stdout

    def publisher_keys(self):
        """relais trust list without the hub keys' lines (whose serial moves on)."""
        return [line for line in self.trust_list().splitlines() if "  hub  " not in line]

    def library_page(self):
        """The reader's library page for the learner, as its browser gets it."""
        reader = testlib.Reader(testlib.laptop_env(self.home))
        try:
            tab = readerlib.Client(reader)
            tab.open_session()
            tab.choose_learner()
            r = tab.get("/")
            self.assertEqual(r.status, 200)
            return r.text
        finally:
            reader.stop()

    def test_after_a_rotation_the_new_keys_version_installs_with_one_sync(self):
        self.db.run("publish", self.mh1)
        with _hub(self.db) as hub:
            _, counts = self.sync(hub)
            self.assertEqual(counts, [1, 0, 0])
            self.assertNotIn("Publisher key revoked", self.library_page())
            self.db.run("publisher", "rotate", self.path("old-to-new.json"))
            self.db.run("publish", self.mh2_new)
            p, counts = self.sync(hub)
            self.assertEqual(counts, [0, 1, 0], p.stdout + p.stderr)
            self.assertIn("publisher key %s rotated to %s on " % (self.old_id, self.new_id),
                          p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 2})
            listed = self.trust_list()
            self.assertRegex(listed, r"(?m)^%s rotated to %s on \d{4}-\d\d-\d\d$" % (
                self.old_id, self.new_id))
            self.assertRegex(listed, r"(?m)^%s  publisher  Ministry  " % self.new_id)
            # The next sync has nothing new to say about keys.
            p, counts = self.sync(hub)
            self.assertEqual(counts, [0, 0, 0])
            self.assertNotIn("rotated", p.stderr)

    def test_a_revoked_keys_course_is_kept_marked_and_not_updated(self):
        self.db.run("publish", self.mh1)
        with _hub(self.db) as hub:
            self.assertEqual(self.sync(hub)[1], [1, 0, 0])
            self.db.run("publisher", "revoke", self.old_id, "--reason", "laptop stolen")
            p, counts = self.sync(hub)
            self.assertEqual(counts, [0, 0, 0], p.stdout + p.stderr)
            self.assertRegex(p.stderr, r"(?m)^relais: publisher key %s \(Ministry\) was revoked "
                             r"on \d{4}-\d\d-\d\d \(laptop stolen\): 1 installed course kept "
                             r"and marked; nothing new signed by it is installed$" % self.old_id)
            # Said once: the next sync is quiet about it.
            p, _ = self.sync(hub)
            self.assertNotIn("revoked", p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 1})
        # The learner still opens it, and the library says why it gets no updates.
        page = self.library_page()
        self.assertIn('href="/c/migration-health/"', page)
        self.assertIn("Publisher key revoked: this course is kept as it is and gets no "
                      "updates", page)
        self.assertIn("key %s, revoked: no updates]" % self.old_id,
                      self.relais(["list"], self.home).stdout)
        self.assertRegex(self.trust_list(), r"(?m)^%s revoked on \d{4}-\d\d-\d\d: laptop stolen: "
                         r"installed courses kept, nothing new installed$" % self.old_id)
        # A newer version signed by the revoked key, brought by hand: refused, one line.
        p = self.relais(["install", self.mh2_old], self.home, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^relais: .*mh-2-old.relais: signed by key %s, which was "
                         r"revoked on \d{4}-\d\d-\d\d \(laptop stolen\): nothing new signed by "
                         r"it is installed\n$" % self.old_id)
        self.assertEqual(self.installed(), {"migration-health": 1})

    def test_a_forged_rotation_in_a_signed_catalogue_changes_nothing(self):
        self.db.run("publish", self.mh1)
        stick = os.path.join(self.root, "stick")
        self.db.run("export-catalogue", stick)
        self.assertRegex(self.relais(["sync", "--from", stick], self.home).stdout, SUMMARY)
        self.assertEqual(self.installed(), {"migration-health": 1})
        before = self.publisher_keys()
        # The hub key signs a catalogue naming the new key's version 2 and a record that
        # claims to be the old key's but was made by the stranger (a hub gone bad).
        with open(os.path.join(stick, "catalogue.json")) as f:
            cat = json.load(f)
        with open(self.path("stranger-to-new.json")) as f:
            forged = json.load(f)
        forged["old"] = self.old_id
        cat["serial"] += 1
        cat["rotations"] = [forged]
        course = cat["courses"][0]
        course.update(version=2, size=os.path.getsize(self.mh2_new),
                      sha256=sha256(self.mh2_new), publisher=self.new_id, deltas=[])
        shutil.copy(self.mh2_new, os.path.join(stick, "bundles", course["sha256"] + ".relais"))
        p = subprocess.run([CRAFT, self.path("hub.key"), stick], input=json.dumps(cat),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.relais(["sync", "--from", stick], self.home)
        self.assertRegex(p.stderr, r"relais: a key rotation record was refused, nothing taken "
                         r"from it: key rotation: ")
        self.assertIn("skipped: its publisher's key %s is not trusted" % self.new_id, p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 1})
        self.assertEqual(self.publisher_keys(), before)
        self.assertNotIn("rotated", before)


if __name__ == "__main__":
    testlib.main()
