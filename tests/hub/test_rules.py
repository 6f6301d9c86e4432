#!/usr/bin/env python3
"""test_rules.py: the hub compares statements as xAPI does, refuses duplicate members and
impossible times, and will not start on a database it cannot write (issue 9, items 12, 13, 18)."""
import copy
import json
import os
import shutil
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import testlib  # noqa: E402


class Rules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("rules")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def test_duplicate_member_names_are_refused(self):
        st = hl.statement()
        body = json.dumps(st)
        # A second actor, as a hand-made body can carry: readers disagree on which counts.
        forged = body[:-1] + ', "actor": ' + json.dumps(hl.agent("mallory")) + "}"
        for send in (lambda: self.c.post(forged.encode()),
                     lambda: self.c.put(st["id"], forged.encode())):
            r = send()
            self.assertEqual(r.status, 400, r)
            self.assertIn('two members are named "actor"', r.error())
        nested = body.replace('"verb": {', '"verb": {"id": "https://example.org/v", ', 1)
        self.assertEqual(self.c.post(nested.encode()).status, 400)
        self.assertIsNone(self.c.statement(st["id"]))

    def test_what_xapi_ignores_is_not_a_conflict(self):
        st = hl.statement(obj={"id": "https://example.org/activities/rules",
                               "definition": {"name": {"en": "Rules"}}},
                          timestamp="2026-11-29T10:00:00Z")
        self.c.store(st)
        first = self.c.statement(st["id"])
        same = copy.deepcopy(st)
        same["id"] = st["id"].upper()
        same["timestamp"] = "2026-11-29T11:00:00.000+01:00"
        same["verb"]["display"] = {"fr-FR": "a vécu"}
        same["object"]["definition"] = {"name": {"en": "Rules, renamed"}}
        same["actor"]["mbox"] = same["actor"]["mbox"].split("@")[0] + "@" + \
            same["actor"]["mbox"].split("@")[1].upper()
        r = self.c.post(same)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.c.put(st["id"], same).status, 204)
        self.assertEqual(self.c.statement(st["id"]), first)
        # What does count still conflicts: another time, another result.
        for member, value in (("timestamp", "2026-11-29T10:00:00.001Z"),
                              ("result", {"completion": True})):
            other = dict(st, **{member: value})
            self.assertEqual(self.c.post(other).status, 409, member)

    def test_impossible_times_are_refused(self):
        for when in ("2026-02-31T00:00:00Z", "2026-04-31", "2026-11-29T24:00:00Z",
                     "2025-02-29T10:00:00Z"):
            with self.subTest(when=when):
                r = self.c.get({"since": when})
                self.assertEqual(r.status, 400, r)
                self.assertIn("since", r.error())
                self.assertEqual(self.c.get({"until": when}).status, 400)
                self.assertEqual(self.c.post(hl.statement(timestamp=when)).status, 400)
        self.assertEqual(self.c.get({"since": "2024-02-29T10:00:00Z"}).status, 200)


class Identities(unittest.TestCase):
    def test_statements_stored_under_the_old_rule_are_recognised(self):
        home = hl.make_hub_db(self)
        key, secret = home.credentials("old")
        hub = hl.Hub(home)
        c = hl.Client(hub, key, secret)
        st = hl.statement()
        c.store(st)
        hub.stop()
        # What a hub before the rule change left: a hash by its rule, and no rule recorded.
        home.sql("UPDATE statement SET identity_hash = ? WHERE id = ?", ("0" * 64, st["id"]))
        home.sql("DELETE FROM hub_setting WHERE key = 'identity_rule'")
        hub = hl.start_hub(self, home)
        c = hl.Client(hub, key, secret)
        r = c.post(st)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [st["id"]])


class ReadOnly(unittest.TestCase):
    @hl.SQLITE_FILE_ONLY
    def test_a_hub_that_cannot_write_does_not_start(self):
        home = hl.make_hub_db(self)
        home.credentials("any")
        folder = os.path.dirname(home.db)
        for f in os.listdir(folder):
            if f.startswith("hub.db-"):
                os.remove(os.path.join(folder, f))
        os.chmod(home.db, 0o444)
        os.chmod(folder, 0o777)
        cmd = [hl.HUB, "serve", "--db", home.db, "--listen", "127.0.0.1:0"]
        if os.geteuid() == 0:  # root writes anything: run it as an account that may not
            cmd = ["runuser", "-u", "nobody", "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           env=testlib.hub_env(None), stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("the hub cannot write to its database", p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)


if __name__ == "__main__":
    testlib.main()
