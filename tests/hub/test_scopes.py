#!/usr/bin/env python3
"""test_scopes.py: what each hub credential may do: a laptop's writes, reads and voids only its
own records; a reporting tool reads all and writes nothing; void-all voids anyone's; a revoked
credential is refused; credentials list shows it all and the reports name who wrote what."""
import csv
import io
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402


class Scopes(unittest.TestCase):
    """Two laptops, a reporting tool and an administrator's tool on one hub."""

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.ama = cls.home.credentials("Laptop of Ama")
        cls.kofi = cls.home.credentials("Laptop of Kofi")
        cls.tool = cls.home.credentials("Reporting tool", scope="read-all")
        cls.admin = cls.home.credentials("Administrator", scope="read-all,write,void-all")
        cls.hub = hl.start_hub(cls, cls.home)

    def client(self, cred):
        return hl.Client(self.hub, *cred)

    def test_a_laptop_reads_only_its_own_records(self):
        a, k = self.client(self.ama), self.client(self.kofi)
        mine = a.store([hl.statement("ama"), hl.statement("esi")])
        theirs = k.store([hl.statement("kofi")])
        seen = a.ids({"limit": "0"})
        self.assertTrue(set(mine) <= set(seen))
        self.assertEqual(set(seen) & set(theirs), set(), "a laptop read another's records")
        self.assertEqual(a.ids({"agent": hl.agent("kofi")}), [])
        self.assertIsNone(a.statement(theirs[0]), "a laptop read another's record by id")
        self.assertIsNotNone(k.statement(theirs[0]))
        every = set(self.client(self.tool).ids({"limit": "0"}))
        self.assertTrue(set(mine + theirs) <= every, "read-all does not see everything")

    def test_voiding_another_laptops_record_is_forbidden(self):
        a, k = self.client(self.ama), self.client(self.kofi)
        target = a.store([hl.completion("mh", "ama@example.org")])[0]
        r = k.post(hl.voiding(target))
        self.assertEqual(r.status, 403, r)
        self.assertIn("void-all", r.error())
        self.assertIsNotNone(a.statement(target), "the refused voiding voided the record")
        v = hl.voiding(target)
        self.assertEqual(k.put(v["id"], v).status, 403)
        # its own record a laptop may void; an administrator's tool any
        own = a.store([hl.statement("ama")])[0]
        self.assertEqual(a.post(hl.voiding(own)).status, 200)
        self.assertIsNone(a.statement(own))
        self.assertEqual(self.client(self.admin).post(hl.voiding(target)).status, 200)
        self.assertIsNone(a.statement(target))

    def test_a_reporting_tool_cannot_write(self):
        t = self.client(self.tool)
        st = hl.statement("forged")
        r = t.post(st)
        self.assertEqual(r.status, 403, r)
        self.assertIn("may not store", r.error())
        self.assertEqual(t.put(st["id"], st).status, 403)
        self.assertIsNone(t.statement(st["id"]))

    def test_laptop_key_registration(self):
        pub_path = os.path.join(self.home.root, "reg.pub")
        sec_path = os.path.join(self.home.root, "reg.key")
        testlib.run(hl.MINISIGN, ["-G", "-W", "-f", "-p", pub_path, "-s", sec_path])
        with open(pub_path, "rb") as f:
            pub = f.read()
        key_id = hl.LaptopKey(pub_path, sec_path, None).id

        def register(cred, body):
            return self.client(cred).request("PUT", "/relais/laptop-key", body=body,
                                             content_type="text/plain")
        self.assertEqual(register(self.ama, pub).status, 204)
        self.assertEqual(register(self.ama, pub).status, 204, "registering again is refused")
        r = register(self.kofi, pub)
        self.assertEqual(r.status, 409, "a key moved to another credential")
        self.assertEqual(register(self.ama, b"not a key").status, 400)
        self.assertEqual(register(("nobody", "nothing"), pub).status, 401)
        listed = self.home.run("credentials", "list").stdout
        ama_block = [b for b in listed.split("\n\n") if self.ama[0] in b][0]
        self.assertIn(key_id, ama_block)

    def test_the_authority_names_the_credential(self):
        a = self.client(self.ama)
        sid = a.store([hl.statement("ama")])[0]
        auth = a.statement(sid)["authority"]
        self.assertEqual(auth["name"], "Laptop of Ama")
        self.assertEqual(auth["account"]["name"], self.ama[0])


class Commands(unittest.TestCase):
    def test_list_shows_scopes_revocation_and_laptop_keys(self):
        home = hl.make_hub_db(self)
        lap = home.credentials("Laptop of Ama")
        tool = home.credentials("Tool", scope="read-all,void-all")
        laptop = home.laptop_key(lap[0])
        out = home.run("credentials", "list").stdout
        blocks = [b for b in out.split("\n\n") if b.strip()]
        self.assertEqual(len(blocks), 2, out)
        fields = [dict(line.split(":", 1) for line in b.splitlines()) for b in blocks]
        fields = [{k.strip(): v.strip() for k, v in f.items()} for f in fields]
        byname = {f["name"]: f for f in fields}
        self.assertEqual(byname["Laptop of Ama"]["key"], lap[0])
        self.assertEqual(byname["Laptop of Ama"]["scopes"], "write,read-mine,void-mine")
        self.assertEqual(byname["Laptop of Ama"]["laptop keys"], laptop.id)
        self.assertEqual(byname["Laptop of Ama"]["revoked"], "-")
        self.assertRegex(byname["Laptop of Ama"]["created"], r"^\d{4}-\d\d-\d\dT")
        self.assertEqual(byname["Tool"]["scopes"], "read-all,void-all")
        self.assertEqual(byname["Tool"]["laptop keys"], "-")
        self.assertEqual(home.run("credentials", "secret", check=False).returncode, 2)
        hub = hl.start_hub(self, home)
        c = hl.Client(hub, *lap)
        self.assertEqual(c.get().status, 200)
        p = home.run("credentials", "revoke", lap[0])
        self.assertIn("revoked", p.stdout)
        self.assertEqual(c.get().status, 401, "a revoked credential still reads")
        self.assertEqual(c.post(hl.statement()).status, 401, "a revoked credential still writes")
        out = home.run("credentials", "list").stdout
        self.assertRegex(out, r"name:\s+Laptop of Ama\nscopes:.*\ncreated:.*\nrevoked:\s+\d{4}-")
        p = home.run("credentials", "revoke", lap[0], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("revoked", p.stderr)

    @hl.SQLITE_ONLY
    def test_a_database_from_before_scopes(self):
        home = hl.make_hub_db(self)
        lap = home.credentials("Old laptop")
        hub = hl.start_hub(self, home)
        sid = hl.Client(hub, *lap).store([hl.completion("mh", "ama@example.org")])[0]
        hub.stop()
        # back to migration 2, as an earlier relais-hub left it (what came after undone)
        hl.undo_terms(home.db)
        db = sqlite3.connect(home.db)
        db.executescript("DROP TABLE IF EXISTS document; DROP TABLE login_failure;"
                         "DROP INDEX statement_credential; DROP TABLE laptop_key;"
                         "ALTER TABLE statement DROP COLUMN credential;"
                         "ALTER TABLE credential DROP COLUMN scopes;"
                         "ALTER TABLE credential DROP COLUMN revoked; PRAGMA user_version = 2;")
        db.close()
        tool = home.credentials("Tool", scope="read-all")
        self.assertRegex(home.run("credentials", "list").stdout,
                         r"name:\s+Old laptop\nscopes:\s+write,read-mine,void-mine\n")
        hub = hl.start_hub(self, home)
        self.assertEqual(hl.Client(hub, *lap).ids({}), [], "a laptop reads records of no one")
        self.assertEqual(hl.Client(hub, *lap).post(hl.voiding(sid)).status, 403)
        self.assertEqual(hl.Client(hub, *tool).ids({}), [sid])
        rows = home.report_json()["completions-by-learner"]
        self.assertEqual([(r["email"], r["credential"]) for r in rows],
                         [("ama@example.org", "")])

    def test_unknown_scope_is_a_usage_error(self):
        home = hl.make_hub_db(self)
        p = home.run("credentials", "add", "--name", "x", "--scope", "write,admin", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown scope "admin"', p.stderr)
        self.assertEqual(p.stdout, "")

    def test_reports_name_the_credential_of_each_completion(self):
        home = hl.make_hub_db(self)
        ama, kofi = home.credentials("Laptop of Ama"), home.credentials("Laptop of Kofi")
        hub = hl.start_hub(self, home)
        hl.Client(hub, *ama).store([hl.completion("mh", "ama@example.org", name="Ama")])
        hl.Client(hub, *kofi).store([hl.completion("mh", "kofi@example.org", name="Kofi")])
        rows = home.report_json()["completions-by-learner"]
        self.assertEqual([(r["learner"], r["credential"]) for r in rows],
                         [("Ama", "Laptop of Ama"), ("Kofi", "Laptop of Kofi")])
        text = home.run("report", "--table", "completions-by-learner").stdout
        got = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual([(r["learner"], r["credential"]) for r in got],
                         [("Ama", "Laptop of Ama"), ("Kofi", "Laptop of Kofi")])


if __name__ == "__main__":
    testlib.main()
