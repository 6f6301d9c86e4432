#!/usr/bin/env python3
"""test_rotation.py: publisher keys that change on relais-hub (docs/hub.md, "Publishing
courses"; docs/catalogue.md, "Key rotation" and "Revoked keys"): a rotation record lets the
new key update the old key's courses and rides in the signed catalogue, where minisign itself
verifies it; a forged or misplaced record is refused with nothing changed; a revoked key is
listed in the catalogue and may no longer publish, its courses staying listed."""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
from test_publish import keygen, pack, read, sha256  # noqa: E402

KEY_ID = re.compile(r"^[0-9A-F]{16}$")


def key_id(pub):
    """The key id of a minisign .pub file, as its untrusted comment names it."""
    return read(pub).decode().split("\n")[0].split()[-1]


def rotate(root, old_sec, new_pub, name):
    """A rotation record made by `relais key rotate`: (path, parsed record)."""
    out = os.path.join(root, name)
    p = testlib.run(testlib.RELAIS, ["key", "rotate", "--secret-key", old_sec,
                                     "--new-public-key", new_pub, "-o", out])
    if p.returncode != 0:
        raise AssertionError("relais key rotate: " + p.stderr)
    return out, json.loads(read(out))


class KeysThatChange(unittest.TestCase):
    """One hub per test; the keys, bundles and records made once for the class."""

    @classmethod
    def setUpClass(cls):
        k = cls.keys = testlib.temp_dir(cls, "relais-rotation-keys-")
        cls.old_pub, cls.old_sec = keygen(k, "ministry-2025")
        cls.new_pub, cls.new_sec = keygen(k, "ministry-2026")
        cls.stranger_pub, cls.stranger_sec = keygen(k, "stranger")
        cls.hub_key_pub, cls.hub_key_sec = keygen(k, "hub")
        cls.old_id, cls.new_id = key_id(cls.old_pub), key_id(cls.new_pub)
        cls.mh1 = pack(k, "migration-health", cls.old_sec, 1)
        cls.mh2_new = pack(k, "migration-health", cls.new_sec, 2, "mh2-new.relais")
        cls.mh3_old = pack(k, "migration-health", cls.old_sec, 3, "mh3-old.relais")
        cls.mh2_old = pack(k, "migration-health", cls.old_sec, 2, "mh2-old.relais")
        cls.record, cls.record_json = rotate(k, cls.old_sec, cls.new_pub, "old-to-new.json")
        cls.stranger_record, _ = rotate(k, cls.stranger_sec, cls.new_pub, "stranger.json")
        cls.to_hub_record, _ = rotate(k, cls.old_sec, cls.hub_key_pub, "to-hub.json")

    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.root = self.db.root
        self.db.run("keygen", "--secret-key", self.hub_key_sec)
        self.db.run("publisher", "add", self.old_pub, "--name", "Ministry")

    # --- helpers ---

    def catalogue(self):
        """The served catalogue, through export-catalogue: (dict, bytes, signature text)."""
        out = os.path.join(self.root, "peek-%d" % len(os.listdir(self.root)))
        self.db.run("export-catalogue", out)
        data = read(os.path.join(out, "catalogue.json"))
        return json.loads(data), data, read(os.path.join(out, "catalogue.json.minisig")).decode()

    def minisign_verifies(self, pub, data, sig):
        """minisign -V of data against sig with pub: (exit status, output)."""
        d = os.path.join(self.root, "check-%d" % len(os.listdir(self.root)))
        os.mkdir(d)
        with open(os.path.join(d, "m"), "wb") as f:
            f.write(data)
        with open(os.path.join(d, "m.minisig"), "w") as f:
            f.write(sig)
        p = subprocess.run([hl.MINISIGN, "-V", "-p", pub, "-m", os.path.join(d, "m")],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def refused(self, command, message):
        """relais-hub COMMAND exits 1 with one line matching message; nothing changes."""
        _, before, _ = self.catalogue()
        listed = self.db.run("publisher", "list").stdout
        p = self.db.run(*command, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, message)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.catalogue()[1], before)
        self.assertEqual(self.db.run("publisher", "list").stdout, listed)
        return p

    # --- rotation ---

    def test_rotation_lets_the_new_key_update_the_old_keys_course(self):
        self.db.run("publish", self.mh1)
        # Before the record, the new key cannot touch the course.
        self.refused(["publish", self.mh2_new], r"signed by key %s, which is not a publisher"
                     % self.new_id)
        serial = self.catalogue()[0]["serial"]
        p = self.db.run("publisher", "rotate", self.record)
        self.assertIn("%s succeeds %s" % (self.new_id, self.old_id), p.stdout)
        cat, data, sig = self.catalogue()
        self.assertGreater(cat["serial"], serial)
        # The new key is a publisher, named after the old one; both listed.
        self.assertEqual(cat["publishers"], sorted([{"key": self.old_id, "name": "Ministry"},
                                                    {"key": self.new_id, "name": "Ministry"}],
                                                   key=lambda x: x["key"]))
        self.assertEqual(cat["rotations"], [self.record_json])
        self.assertEqual(cat["revoked"], [])
        listed = self.db.run("publisher", "list").stdout
        self.assertRegex(listed, r"(?m)^%s  Ministry  \(0 courses listed" % self.new_id)
        self.assertRegex(listed, r"(?m)^%s -> %s  key rotation signed %s" % (
            self.old_id, self.new_id, re.escape(self.record_json["date"])))

        self.db.run("publish", self.mh2_new)
        cat, data, sig = self.catalogue()
        [c] = cat["courses"]
        self.assertEqual((c["id"], c["version"], c["publisher"], c["sha256"]),
                         ("migration-health", 2, self.new_id, sha256(read(self.mh2_new))))
        # The record rides on in every later catalogue, which the hub key still signs.
        self.assertEqual(cat["rotations"], [self.record_json])
        status, out = self.minisign_verifies(self.hub_key_pub, data, sig)
        self.assertEqual(status, 0, out)
        # The carried record verifies with minisign over the documented bytes, by the old key.
        r = cat["rotations"][0]
        self.assertEqual((r["format"], r["old"], r["new"]),
                         ("relais-key-rotation", self.old_id, self.new_id))
        self.assertEqual(r["public_key"], read(self.new_pub).decode().splitlines()[1])
        signed = ("relais-key-rotation\nold: %s\nnew: %s\ndate: %s\n" % (
            r["old"], r["public_key"], r["date"])).encode()
        status, out = self.minisign_verifies(self.old_pub, signed, r["signature"])
        self.assertEqual(status, 0, out)
        self.assertIn("relais-rotation %s %s" % (self.old_id, self.new_id), out)
        status, _ = self.minisign_verifies(self.new_pub, signed, r["signature"])
        self.assertNotEqual(status, 0)
        # The course now follows the new key: the retired one may not take it back.
        self.refused(["publish", self.mh3_old],
                     r"published under key %s, not %s, and no key rotation" % (
                         self.new_id, self.old_id))

    def test_rotate_takes_a_name_and_keeps_an_existing_publishers_name(self):
        self.db.run("publisher", "rotate", self.record, "--name", "Ministry (2026 key)")
        cat, _, _ = self.catalogue()
        self.assertIn({"key": self.new_id, "name": "Ministry (2026 key)"}, cat["publishers"])
        again = self.db.run("publisher", "rotate", self.record, check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already recorded", again.stderr)

    def test_forged_and_misplaced_records_are_refused(self):
        self.db.run("publish", self.mh1)
        with self.subTest("not a record"):
            self.refused(["publisher", "rotate", self.mh1],
                         r"migration-health-1\.relais: too large for a key rotation record")
            bad = os.path.join(self.root, "half-a-record.json")
            with open(bad, "wb") as f:
                f.write(read(self.record)[:200])
            self.refused(["publisher", "rotate", bad], r"half-a-record\.json: not JSON")
            bad = os.path.join(self.root, "not-a-record.json")
            with open(bad, "w") as f:
                json.dump({"format": "relais-catalogue"}, f)
            self.refused(["publisher", "rotate", bad], r"not-a-record\.json: not a key rotation")
        with self.subTest("missing file"):
            self.refused(["publisher", "rotate", os.path.join(self.root, "nowhere.json")],
                         r"nowhere\.json")
        with self.subTest("old key not a publisher"):
            self.refused(["publisher", "rotate", self.stranger_record],
                         r"stranger\.json: key %s, which the record retires, is not a "
                         r"publisher" % key_id(self.stranger_pub))
        with self.subTest("another key put in the record"):
            forged = dict(self.record_json)
            forged["public_key"] = read(self.stranger_pub).decode().splitlines()[1]
            forged["new"] = key_id(self.stranger_pub)
            path = os.path.join(self.root, "forged.json")
            with open(path, "w") as f:
                json.dump(forged, f)
            self.refused(["publisher", "rotate", path], r"forged\.json: .*signature")
        with self.subTest("a changed date"):
            forged = dict(self.record_json)
            forged["date"] = "2030-01-01T00:00:00.000Z"
            path = os.path.join(self.root, "redated.json")
            with open(path, "w") as f:
                json.dump(forged, f)
            self.refused(["publisher", "rotate", path], r"redated\.json: .*signature")
        with self.subTest("signed by another key"):
            forged = dict(self.record_json)
            forged["signature"] = json.loads(read(self.stranger_record))["signature"]
            path = os.path.join(self.root, "resigned.json")
            with open(path, "w") as f:
                json.dump(forged, f)
            self.refused(["publisher", "rotate", path], r"resigned\.json: ")
        with self.subTest("the new key is the hub's catalogue key"):
            self.refused(["publisher", "rotate", self.to_hub_record],
                         r"to-hub\.json: key %s is this hub's catalogue key"
                         % key_id(self.hub_key_pub))
        # None of them let the new key publish.
        self.refused(["publish", self.mh2_new], r"not a publisher of this hub")

    # --- revocation ---

    def test_revoked_key_is_listed_and_may_no_longer_publish(self):
        self.db.run("publish", self.mh1)
        cat0, _, _ = self.catalogue()
        before = time.time()
        p = self.db.run("publisher", "revoke", self.old_id, "--reason", "laptop stolen")
        self.assertIn("%s revoked" % self.old_id, p.stdout)
        self.assertIn("1 course it signed stays listed", p.stdout)
        cat, data, sig = self.catalogue()
        self.assertGreater(cat["serial"], cat0["serial"])
        [k] = cat["revoked"]
        self.assertEqual((k["key"], k["reason"]), (self.old_id, "laptop stolen"))
        when = time.mktime(time.strptime(k["date"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertLess(abs(when - before), 3600, k["date"])
        # No longer a publisher; what it published stays listed, for laptops to mark.
        self.assertEqual(cat["publishers"], [])
        self.assertEqual([(c["id"], c["publisher"]) for c in cat["courses"]],
                         [("migration-health", self.old_id)])
        self.assertEqual(self.minisign_verifies(self.hub_key_pub, data, sig)[0], 0)
        listed = self.db.run("publisher", "list").stdout
        self.assertRegex(listed, r"(?m)^%s  Ministry  REVOKED on \S+: laptop stolen  "
                         r"\(1 course still listed\)$" % self.old_id)
        self.assertNotRegex(listed, r"(?m)^%s  Ministry  \(" % self.old_id)

        self.refused(["publish", self.mh2_old],
                     r"mh2-old\.relais: signed by key %s, which this hub revoked on "
                     r"\d{4}-\d\d-\d\d \(laptop stolen\)" % self.old_id)
        self.refused(["publisher", "add", self.old_pub], r"key %s was revoked" % self.old_id)
        self.refused(["publisher", "revoke", self.old_id], r"already revoked")

    def test_a_revocation_that_cannot_be_read_is_not_taken_for_none(self):
        """When the revocations cannot be read, a revoked key's commands fail on the
        database's error, naming what could not be read: the key neither comes back as a
        publisher nor publishes."""
        self.db.run("publish", self.mh1)
        self.db.run("publisher", "revoke", self.old_id, "--reason", "laptop stolen")
        _, before, _ = self.catalogue()
        # The table's rows now fail to read: a view whose condition errs on each row.
        fails = ("1 / (length(key_id) - length(key_id))" if self.db.pg
                 else "abs(-9223372036854775807 - 1 + 0 * length(key_id))")
        with self.db.table_read_as("publisher_revoked", "SELECT * FROM publisher_revoked_kept "
                                   "WHERE %s = 1" % fails):
            for command in (["publisher", "add", self.old_pub], ["publish", self.mh2_old],
                            ["publisher", "revoke", self.old_id]):
                with self.subTest(command=command[:2]):
                    p = self.db.run(*command, check=False)
                    self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                    self.assertRegex(p.stderr, r"revoked keys: .*(integer overflow|division)")
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.catalogue()[1], before)
        self.assertRegex(self.db.run("publisher", "list").stdout,
                         r"(?m)^%s  Ministry  REVOKED on \S+: laptop stolen" % self.old_id)

    def test_revoke_refuses_what_it_cannot_know(self):
        self.refused(["publisher", "revoke", key_id(self.stranger_pub)],
                     r"key %s is not known to this hub" % key_id(self.stranger_pub))
        self.refused(["publisher", "revoke", "not-a-key"], r"not a key id")
        self.refused(["publisher", "revoke", self.old_id.lower()], r"not a key id")
        self.refused(["publisher", "revoke", self.old_id, "--reason", "two\nlines"],
                     r"one line")

    def test_a_revoked_key_breaks_the_rotation_chain(self):
        self.db.run("publish", self.mh1)
        self.db.run("publisher", "rotate", self.record)
        self.db.run("publisher", "revoke", self.old_id)
        cat, _, _ = self.catalogue()
        # The record stays carried: laptops decide with both in hand.
        self.assertEqual(cat["rotations"], [self.record_json])
        self.assertEqual([k["key"] for k in cat["revoked"]], [self.old_id])
        self.refused(["publish", self.mh2_new],
                     r"published under key %s, which this hub revoked on \d{4}-\d\d-\d\d: "
                     r"no other key may take it over" % self.old_id)
        # A record by a revoked key is not taken either.
        self.refused(["publisher", "rotate", self.record],
                     r"old-to-new\.json: key %s, which the record retires, was revoked"
                     % self.old_id)

    def test_a_revoked_successor_may_not_publish_or_come_back(self):
        self.db.run("publisher", "rotate", self.record)
        self.db.run("publisher", "revoke", self.new_id, "--reason", "made on a shared PC")
        self.refused(["publish", self.mh2_new], r"which this hub revoked on .*shared PC")
        self.refused(["publisher", "rotate", self.record],
                     r"old-to-new\.json: key %s was revoked" % self.new_id)


if __name__ == "__main__":
    testlib.main()
