#!/usr/bin/env python3
"""test_courses_hub.py: courses down from a real relais-hub, end to end: a trainer's bundles
published on the hub reach a laptop with `relais sync`, an edited lesson arrives as a delta
of a few kilobytes that rebuilds the publisher's bundle byte for byte, a sync with nothing new
costs a few hundred bytes, and a USB stick written by export-catalogue does the same."""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from hublib import HubDb  # noqa: E402
from testlib import RELAIS  # noqa: E402

SUMMARY = re.compile(r"courses: installed (\d+), updated (\d+), failed (\d+), (\d+) bytes down")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class CoursesFromHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = testlib.temp_dir(cls, "relais-courses-hub-")
        cls.relais(["keygen", "-p", "ministry.pub", "-s", "ministry.key", "-W"], None)
        cls.src = os.path.join(cls.work, "src")
        shutil.copytree(testlib.course_dir("migration-health"), cls.src)

    @classmethod
    def relais(cls, args, home, check=True):
        p = testlib.run(RELAIS, args, env=testlib.laptop_env(home), cwd=cls.work, timeout=180)
        if check:
            testlib.checked(p, "relais " + " ".join(args[:2]))
        return p

    def pack(self, version, edit_lessons=0):
        """The course at version, with its first edit_lessons lessons edited."""
        with open(os.path.join(self.src, "course.json")) as f:
            meta = json.load(f)
        meta["version"] = version
        with open(os.path.join(self.src, "course.json"), "w") as f:
            json.dump(meta, f, ensure_ascii=False)
        lessons = [u["lesson"] for u in meta["units"] if "lesson" in u]
        for path in lessons[:edit_lessons]:
            with open(os.path.join(self.src, path), "a") as f:
                f.write("\n\nCorrection published in version %d.\n" % version)
        out = os.path.join(self.work, "mh-%d.relais" % version)
        self.relais(["pack", self.src, "-s", "ministry.key", "-o", out], None)
        return out

    def setUp(self):
        self.root = testlib.temp_dir(self, "hub-")
        self.db = HubDb(self.root)
        self.hub_pub = os.path.join(self.root, "hub.pub")
        with open(self.hub_pub, "w") as f:
            f.write(self.db.run("keygen").stdout)
        self.db.run("publisher", "add", os.path.join(self.work, "ministry.pub"), "--name",
                    "Ministry")
        self.key, self.secret = self.db.credentials("laptop")
        self.home = testlib.temp_dir(self, "home-")
        self.relais(["trust", "add", "ministry.pub"], self.home)
        self.relais(["profile", "add", "--name", "Aïcha Diallo", "--email", "aicha@example.org",
                     "--org", "MAE"], self.home)

    def sync(self, hub, *extra, home=None, check=True):
        args = ["sync", "--hub", hub.url.rstrip("/"), "--key", self.key, "--secret",
                self.secret, "--hub-key", self.hub_pub] + list(extra)
        p = self.relais(args, home or self.home, check=check)
        m = SUMMARY.search(p.stdout)
        self.assertIsNotNone(m, "no summary line in %r" % p.stdout)
        return p, [int(g) for g in m.groups()]

    def installed(self, home=None):
        db = sqlite3.connect(os.path.join(home or self.home, "relais.db"))
        try:
            return dict(db.execute("SELECT id, version FROM course").fetchall())
        finally:
            db.close()

    def library_file(self, home=None):
        out = self.relais(["list"], home or self.home).stdout
        self.assertIn("migration-health", out)
        lib = os.path.join(home or self.home, "library")
        files = [f for f in os.listdir(lib) if f.endswith(".relais")]
        self.assertEqual(len(files), 1, files)
        return os.path.join(lib, files[0])

    def test_publish_sync_update_by_delta_then_nothing_new(self):
        v1 = self.pack(1)
        self.db.run("publish", v1)
        with _hub(self.db) as hub:
            p, (installed, updated, failed, down) = self.sync(hub)
            self.assertEqual((installed, updated, failed), (1, 0, 0), p.stdout + p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 1})
            self.assertGreaterEqual(down, os.path.getsize(v1))

            # One lesson edited: the hub builds a delta, the laptop takes it.
            v2 = self.pack(2, edit_lessons=1)
            self.db.run("publish", v2)
            cat = json.loads(hub_get(hub, "/relais/catalogue.json", self.key, self.secret))
            course = cat["courses"][0]
            self.assertEqual(course["version"], 2)
            self.assertEqual([d["from_version"] for d in course["deltas"]], [1])
            p, (installed, updated, failed, down) = self.sync(hub)
            self.assertEqual((installed, updated, failed), (0, 1, 0), p.stdout + p.stderr)
            self.assertEqual(self.installed(), {"migration-health": 2})
            # The rebuilt bundle is the publisher's, byte for byte.
            self.assertEqual(sha256(self.library_file()), sha256(v2))
            # A delta, not the bundle: the catalogue, its signature and the delta.
            self.assertLess(down, course["deltas"][0]["size"] + 8000, p.stdout)
            self.assertLess(down, os.path.getsize(v2) / 3, p.stdout)

            # Nothing new: a conditional request, a few hundred bytes.
            p, (installed, updated, failed, down) = self.sync(hub, "--no-records")
            self.assertEqual((installed, updated, failed), (0, 0, 0), p.stdout)
            self.assertLess(down, 2048, p.stdout)

    def test_a_usb_stick_from_export_catalogue_follows_the_same_rules(self):
        v1 = self.pack(1)
        self.db.run("publish", v1)
        stick = os.path.join(self.root, "stick")
        self.db.run("export-catalogue", stick)
        self.relais(["trust", "add-hub", self.hub_pub], self.home)
        p = self.relais(["sync", "--from", stick], self.home)
        self.assertRegex(p.stdout, SUMMARY)
        self.assertEqual(self.installed(), {"migration-health": 1})

        v2 = self.pack(2, edit_lessons=2)
        self.db.run("publish", v2)
        self.db.run("export-catalogue", stick)
        p = self.relais(["sync", "--from", stick], self.home)
        self.assertEqual(self.installed(), {"migration-health": 2}, p.stdout + p.stderr)
        self.assertEqual(sha256(self.library_file()), sha256(v2))

        # A stick whose bundle was swapped for another file: refused, nothing changes.
        v3 = self.pack(3, edit_lessons=1)
        self.db.run("publish", v3)
        self.db.run("export-catalogue", stick)
        bundle = os.path.join(stick, "bundles", sha256(v3) + ".relais")
        shutil.copy(v1, bundle)
        for d in os.listdir(os.path.join(stick, "deltas")):
            os.remove(os.path.join(stick, "deltas", d))
        p = self.relais(["sync", "--from", stick], self.home, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(self.installed(), {"migration-health": 2})

    def test_a_laptop_without_the_hub_key_takes_nothing(self):
        v1 = self.pack(1)
        self.db.run("publish", v1)
        other = os.path.join(self.root, "other")
        os.mkdir(other)
        self.relais(["keygen", "-p", os.path.join(other, "o.pub"), "-s",
                     os.path.join(other, "o.key"), "-W"], None)
        with _hub(self.db) as hub:
            args = ["sync", "--hub", hub.url.rstrip("/"), "--key", self.key, "--secret",
                    self.secret, "--hub-key", os.path.join(other, "o.pub")]
            p = self.relais(args, self.home, check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("another key", p.stderr)
            self.assertEqual(self.installed(), {})


class _hub:
    """relais-hub serve on the database, stopped (and checked) at the end of the block."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.server = testlib.Hub(self.db)
        return self.server

    def __exit__(self, *exc):
        self.server.stop()


def hub_get(hub, path, key, secret):
    import base64
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    auth = base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()
    conn.request("GET", path, headers={"Authorization": "Basic " + auth})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status != 200:
        raise AssertionError("GET %s: %d" % (path, r.status))
    return body


if __name__ == "__main__":
    testlib.main()
