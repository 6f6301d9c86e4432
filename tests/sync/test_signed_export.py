#!/usr/bin/env python3
"""test_signed_export.py: records carried by hand: relais export-records signs the file with
the laptop key that relais sync registers with relais-hub, and relais-hub import stores only a
file signed by a registered key, within its credential's scopes; a forged, tampered, unsigned
or foreign file is refused whole, with its reason."""
import gzip
import json
import os
import re
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402
from testlib import MINISIGN, RELAIS  # noqa: E402


class Laptop:
    """A relais home with a learner and statements put in its outbox as the reader does."""

    def __init__(self, owner):
        self.home = testlib.temp_dir(owner, "relais-laptop-")
        self.env = testlib.laptop_env(self.home)
        self.run("profile", "add", "--name", "Ama", "--email", "ama@example.org")

    def run(self, *args, check=True):
        p = testlib.run(RELAIS, list(args), env=self.env)
        if check and p.returncode != 0:
            raise AssertionError("relais %s: %d %s" % (args, p.returncode, p.stderr))
        return p

    def record(self, *statements):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"), timeout=30)
        with db:
            for st in statements:
                db.execute("INSERT INTO outbox(id, profile_id, verb, object, statement, created) "
                           "VALUES (?, 1, 'completed', 'x', ?, '2026-11-29T10:00:00.000Z')",
                           (st["id"], json.dumps(st, separators=(",", ":"))))
        db.close()
        return [st["id"] for st in statements]


def completion(email="ama@example.org", name="Ama"):
    return hl.completion("mh", email, name=name)


class SignedExport(unittest.TestCase):
    def setUp(self):
        self.hub_db = hl.make_hub_db(self)
        self.key, self.secret = self.hub_db.credentials("Laptop of Ama")
        self.laptop = Laptop(self)
        self.path = os.path.join(self.laptop.home, "usb.json.gz")

    def sync(self, hub):
        return self.laptop.run("sync", "--hub", hub.url, "--key", self.key, "--secret",
                               self.secret)

    def import_(self, *extra):
        return self.hub_db.run("import", self.path, *extra, check=False)

    def refused(self, p, reason):
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertRegex(p.stderr, r"^relais-hub: ")
        self.assertIn(reason, p.stderr)
        self.assertEqual(self.hub_db.report_json()["completions-by-learner"], [],
                         "a refused file stored records")

    def test_the_first_sync_registers_the_key_that_signs_exports(self):
        ids = self.laptop.record(completion())
        p = self.laptop.run("export-records", self.path)
        self.assertIn("no hub has registered this laptop's key", p.stderr)
        self.assertIn("relais-hub credentials add-laptop-key", p.stderr)
        # the signature is minisign's, by the key relais laptop-key prints
        pub = os.path.join(self.laptop.home, "laptop.pub")
        with open(pub, "w") as f:
            f.write(self.laptop.run("laptop-key").stdout)
        v = testlib.run(MINISIGN, ["-V", "-p", pub, "-m", self.path])
        self.assertEqual(v.returncode, 0, v.stderr)
        with gzip.open(self.path) as f:
            doc = json.load(f)
        with open(pub) as f:
            key_id = f.readline().split()[-1]
        self.assertEqual((doc["format"], doc["version"], doc["laptop_key"]),
                         ("relais-records", 2, key_id))
        self.assertEqual([s["id"] for s in doc["statements"]], ids)
        # the hub has not seen the key yet
        self.refused(self.import_(), "does not know")
        # one sync (with nothing to send) registers it; the same file then imports
        db = sqlite3.connect(os.path.join(self.laptop.home, "relais.db"))
        with db:
            db.execute("UPDATE outbox SET sent = '2026-11-29T11:00:00.000Z'")
        db.close()
        hub = hl.start_hub(self, self.hub_db)
        self.assertEqual(self.sync(hub).returncode, 0)
        hub.stop()
        listed = self.hub_db.run("credentials", "list").stdout
        self.assertRegex(listed, r"laptop keys:\s+%s" % key_id)
        p = self.import_()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 statements stored", p.stdout)
        rows = self.hub_db.report_json()["completions-by-learner"]
        self.assertEqual([(r["email"], r["credential"]) for r in rows],
                         [("ama@example.org", "Laptop of Ama")])
        # a second sync does not register again, and the export no longer warns
        hub = hl.start_hub(self, self.hub_db)
        self.assertEqual(self.sync(hub).returncode, 0)
        p = self.laptop.run("export-records", self.path)
        self.assertEqual(p.stderr, "")

    def registered(self):
        """The laptop's key registered by hand, as for a laptop that never synced."""
        pub = os.path.join(self.laptop.home, "laptop.pub")
        with open(pub, "w") as f:
            f.write(self.laptop.run("laptop-key").stdout)
        p = self.hub_db.run("credentials", "add-laptop-key", self.key, pub)
        self.assertIn("registered to credential %s" % self.key, p.stdout)

    def test_a_forged_file_is_refused(self):
        self.registered()
        # hand-made, as main accepted it
        with gzip.open(self.path, "wb") as f:
            f.write(json.dumps({"format": "relais-records", "version": 1,
                                "statements": [completion("boss@example.org", "Boss")]})
                    .encode())
        self.refused(self.import_(), "unsigned")

    def test_a_tampered_file_is_refused(self):
        self.registered()
        self.laptop.record(completion())
        self.laptop.run("export-records", self.path)
        with gzip.open(self.path) as f:
            doc = json.load(f)
        doc["statements"].append(completion("boss@example.org", "Boss"))
        with gzip.open(self.path, "wb") as f:
            f.write(json.dumps(doc).encode())
        self.refused(self.import_(), "bad signature")

    def test_a_file_signed_by_an_unknown_key_is_refused(self):
        self.registered()
        other = self.hub_db.laptop_key(name="other")  # registered to another credential ...
        stranger = hl.LaptopKey(other.pub, other.sec, None)
        self.hub_db.run("credentials", "revoke", other.credential)
        hl.records_file(self.path, [completion()], stranger)
        self.refused(self.import_(), "revoked")
        # ... or to none
        os.remove(other.pub)
        testlib.run(MINISIGN, ["-G", "-W", "-f", "-p", other.pub, "-s", other.sec])
        hl.records_file(self.path, [completion()], hl.LaptopKey(other.pub, other.sec, None))
        self.refused(self.import_(), "does not know")

    def test_statements_beyond_the_credentials_scope_are_refused(self):
        # the key of a credential that may not write
        reader = self.hub_db.credentials("Reader", scope="read-mine")
        key = self.hub_db.laptop_key(reader[0], name="reader")
        hl.records_file(self.path, [completion()], key)
        self.refused(self.import_(), "may not store")
        # a file that claims another laptop's key
        mine = self.hub_db.laptop_key(self.key, name="mine")
        hl.records_file(self.path, [completion()], mine, laptop_key="0123456789ABCDEF")
        self.refused(self.import_(), "claims laptop key 0123456789ABCDEF")
        # voiding what another credential stored
        hub = hl.start_hub(self, self.hub_db)
        kofi = self.hub_db.credentials("Laptop of Kofi")
        theirs = hl.Client(hub, *kofi).store([completion("kofi@example.org", "Kofi")])[0]
        hub.stop()
        hl.records_file(self.path, [completion(), hl.voiding(theirs)], mine)
        p = self.import_()
        self.assertEqual(p.returncode, 1)
        self.assertIn("beyond the scopes of credential %s" % self.key, p.stderr)
        rows = self.hub_db.report_json()["completions-by-learner"]
        self.assertEqual([r["email"] for r in rows], ["kofi@example.org"])

    def test_signature_elsewhere(self):
        self.registered()
        self.laptop.record(completion())
        self.laptop.run("export-records", self.path)
        moved = self.path + ".sig"
        os.rename(self.path + ".minisig", moved)
        self.refused(self.import_(), "unsigned")
        p = self.import_("--signature", moved)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(re.search(r"1 statements stored", p.stdout), p.stdout)

    def test_each_laptop_keeps_a_key_of_its_own(self):
        other = Laptop(self)
        a = self.laptop.run("laptop-key").stdout
        self.assertRegex(a, r"^untrusted comment: minisign public key [0-9A-F]{16}\n\S+\n$")
        self.assertEqual(self.laptop.run("laptop-key").stdout, a, "the key is not kept")
        self.assertNotEqual(other.run("laptop-key").stdout, a)


if __name__ == "__main__":
    testlib.main()
