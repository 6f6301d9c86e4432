#!/usr/bin/env python3
"""test_copy.py: relais-hub copy (docs/hub.md, "Moving a hub from SQLite to PostgreSQL"): a SQLite
hub filled through the real paths (statements with attachments, a voided one, odd texts and
numbers, a document, a credential, coordinators, an organisation, a published course, a cohort
with an assignment, a live session) copied into a throw-away PostgreSQL database; served from
there, it answers as before: the same statements and paging, the same attachment and document
bytes, the same reports and catalogue, the coordinator signs in, the credential still stores,
new statements come after the old ones; every table of both schemas holds the same rows. A target
that holds a hub, a source that is not one and a bundle that fails its hash are refused in one
line, leaving the target and its files folder as they were."""
import json
import os
import re
import shutil
import sqlite3
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
from test_attachments import attachment, multipart, parse_multipart  # noqa: E402
from test_publish import keygen, pack, read, sha256  # noqa: E402
from test_reports import answer, login, st  # noqa: E402

COURSE = "migration-health"
STATE = "/xapi/activities/state"
DOC = {"activityId": "https://example.org/activities/one",
       "agent": json.dumps({"mbox": "mailto:awa@example.org"}), "stateId": "bookmark"}
DOC_BYTES = bytes(range(256)) + "é\t\n\\".encode()
ODD = "tab\there, new\nline, back\\slash, é 日本 \u0001 end"


def copy(src, url, files, *extra):
    return hl.run(["copy", "--from", src, "--db", url, "--files", files] + list(extra))


def tables_and_rows(db):
    """{table: rows} of every table of a HubDb, SQLite or PostgreSQL (hub_schema aside)."""
    if db.pg:
        names = [r[0] for r in db.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'hub_schema'")]
    else:
        names = [r[0] for r in db.sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {n: int(db.sql('SELECT count(*) FROM "%s"' % n)[0][0]) for n in names}


@unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
class Copy(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.root = testlib.temp_dir(cls, "relais-hub-copy-")
        cls.src = hl.HubDb(testlib.temp_dir(cls, "relais-hub-copy-src-"), postgresql=False)
        src = cls.src
        src.coordinator("admin@example.org")
        src.run("coordinator", "add", "ana@example.org", "--org", "MAE",
                env={"RELAIS_HUB_PASSWORD": hl.PASSWORD})
        src.run("organisation", "set", "MAE", "--country", "SN")
        cls.key, cls.secret = src.credentials("laptop", "write,read-all,void-all")
        # A published course, a cohort it is assigned to, a live session of it.
        pub, sec = keygen(cls.root, "ministry")
        cls.bundle = read(pack(cls.root, COURSE, sec, 1))
        src.run("keygen")
        src.run("publisher", "add", pub)
        bundle = os.path.join(cls.root, "course.relais")
        with open(bundle, "wb") as f:
            f.write(cls.bundle)
        src.run("publish", bundle)
        src.run("cohort", "add", "Dakar", "--org", "MAE")
        src.run("cohort", "members", "Dakar", "--add", "awa@example.org")
        src.run("cohort", "assign", "Dakar", COURSE, "--due", "2026-12-31")
        src.run("session", "add", COURSE, "s1", "--title", "Séance 1", "--start",
                "2026-12-10T09:00", "--end", "2026-12-10T11:00", "--timezone", "Africa/Dakar",
                "--place", "Salle\t2")
        hub = hl.Hub(src)
        try:
            laptop = hl.Client(hub, cls.key, cls.secret)
            voided = st("dan@example.org", "completed", "c1", "MAE", "2026-01-20")
            odd = hl.statement("eve", result={"score": {"scaled": 0.30000000000000004},
                                              "extensions": {"https://x.org/big":
                                                             9007199254740993}},
                               context={"extensions": {"https://x.org/odd": ODD}})
            statements = [
                st("awa@example.org", "experienced", "c1/lesson", "MAE", "2026-01-05"),
                answer("awa@example.org", "q1", False, "MAE", "2026-01-06"),
                answer("awa@example.org", "q1", True, "MAE", "2026-01-07"),
                st("awa@example.org", "passed", "c1/quiz", "MAE", "2026-01-07",
                   {"success": True, "score": {"scaled": 0.1}}),
                st("awa@example.org", "completed", "c1", "MAE", "2026-01-10"),
                st("bob@example.org", "experienced", "c1/lesson", "MAE", "2026-01-08"),
                voided, odd,
            ]
            cls.ok(laptop.post(statements))
            cls.ok(laptop.post([hl.voiding(voided["id"])]))
            cls.data = b"\x00\xff attachment \r\n\\ bytes " + "é".encode()
            cls.with_data = hl.statement("fay")
            cls.with_data["attachments"] = [attachment(cls.data)]
            cls.ok(laptop.request("POST", "/xapi/statements",
                                  body=multipart(cls.with_data, [cls.data]),
                                  content_type="multipart/mixed; boundary="
                                               "relais-test-boundary"))
            r = laptop.request("PUT", STATE + "?" + urllib.parse.urlencode(DOC), body=DOC_BYTES,
                               content_type="application/octet-stream")
            assert r.status == 204, r
            login(hub, "admin@example.org")  # a sign-in session
            cls.before = cls.observe(hub)
        finally:
            hub.stop()
        cls.src_rows = tables_and_rows(src)
        # The target: an empty database of the throw-away cluster.
        cls.dst = hl.HubDb(testlib.temp_dir(cls, "relais-hub-copy-dst-"), postgresql=True)
        cls.copied = copy(src.db, cls.dst.db, cls.dst.files)

    @staticmethod
    def ok(r):
        assert r.status == 200, r

    @classmethod
    def observe(cls, hub):
        """What clients see: every page of GET /statements (3 a page) with its `more`, the
        attachment's bytes, the document, the catalogue and its bundle."""
        c = hl.Client(hub, cls.key, cls.secret)
        pages, r = [], c.get({"limit": 3})
        while True:
            assert r.status == 200, r
            pages.append(r.body)
            more = r.json().get("more")
            if not more:
                break
            r = c.request("GET", more)
        r = c.get({"statementId": cls.with_data["id"], "attachments": "true"})
        assert r.status == 200, r
        parts = [data for _, data in parse_multipart(r.header("Content-Type"), r.body)]
        doc = c.request("GET", STATE + "?" + urllib.parse.urlencode(DOC))
        cat = hl.Client(hub, cls.key, cls.secret, version=None)
        catalogue = cat.request("GET", "/relais/catalogue.json")
        got = cat.request("GET", "/relais/bundles/%s.relais" % sha256(cls.bundle))
        return {"pages": pages, "parts": parts, "document": (doc.status, doc.body),
                "catalogue": (catalogue.status, catalogue.body), "bundle": (got.status, got.body)}

    def reports(self, db):
        # JSON, whose numbers compare as values: PostgreSQL's round() writes an average of
        # 0.1 as 0.100 in CSV (report.c, whatever the copy), SQLite's as 0.1.
        return {name: json.loads(db.run("report", "--table", name, "--format", "json").stdout)
                for name in hl.REPORTS if name != "attendance"}

    def test_the_copy_succeeds_and_says_what_it_copied(self):
        p = self.copied
        self.assertEqual(p.returncode, 0, p.stderr)
        total = sum(self.src_rows.values())
        self.assertRegex(p.stdout, r"^%s: %d tables, %d rows and 1 published files copied in "
                         r"[0-9.]+ s \([0-9]+ rows/s\)\n$"
                         % (re.escape(self.src.db), len(self.src_rows), total))
        self.assertIn("copy: statement: %d rows (" % self.src_rows["statement"], p.stderr)

    def test_every_table_holds_the_same_rows(self):
        self.assertEqual(self.copied.returncode, 0, self.copied.stderr)
        # The same tables on both sides: a table added to one schema only fails here.
        self.assertEqual(tables_and_rows(self.dst), self.src_rows)
        scaled = "SELECT seq, scaled FROM statement WHERE scaled IS NOT NULL ORDER BY seq"
        self.assertEqual([(q, float(v)) for q, v in self.dst.sql(scaled)],
                         [(q, float(v)) for q, v in self.src.sql(scaled)])
        self.assertIn(0.30000000000000004, [float(v) for _, v in self.dst.sql(scaled)])
        for table, cols in (("statement", "seq, id, body, voided, credential"),
                            ("attachment", "sha2, length, content_type"),
                            ("course_session", "id, title, place")):
            order = cols.split(",")[0]
            self.assertEqual(self.dst.sql("SELECT %s FROM %s ORDER BY %s" % (cols, table, order)),
                             self.src.sql("SELECT %s FROM %s ORDER BY %s" % (cols, table, order)),
                             table)

    def test_the_postgresql_hub_answers_as_the_sqlite_one_did(self):
        self.assertEqual(self.copied.returncode, 0, self.copied.stderr)
        self.assertEqual(self.reports(self.dst), self.reports(self.src))
        hub = hl.start_hub(self, self.dst)
        after = self.observe(hub)
        self.assertEqual(after["pages"], self.before["pages"])
        self.assertEqual(after["parts"][1:], [self.data])
        self.assertEqual(after["parts"], self.before["parts"])
        self.assertEqual(after["document"], (200, DOC_BYTES))
        self.assertEqual(after["catalogue"], self.before["catalogue"])
        self.assertEqual(after["bundle"], (200, self.bundle))
        self.assertIn(json.dumps(ODD, ensure_ascii=False).encode(), b"".join(after["pages"]))
        # The coordinator signs in; the credential still stores, after the old statements.
        login(hub, "admin@example.org")
        old = int(self.dst.sql("SELECT max(seq) FROM statement")[0][0])
        new = hl.statement("gil")
        self.ok(hl.Client(hub, self.key, self.secret).post([new]))
        [(seq,)] = self.dst.sql("SELECT seq FROM statement WHERE id = ?", (new["id"],))
        self.assertEqual(int(seq), old + 1)
        # A new term, certificate id and catalogue serial too: no identity reused.
        self.dst.run("cohort", "add", "Thiès", "--org", "MAE")

    def test_a_target_holding_a_hub_is_refused(self):
        self.assertEqual(self.copied.returncode, 0, self.copied.stderr)
        before = tables_and_rows(self.dst)
        p = copy(self.src.db, self.dst.db, self.dst.files)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("already holds a hub", p.stderr)
        self.assertEqual(tables_and_rows(self.dst), before)

    def test_a_source_that_is_not_a_hub_is_refused_and_left_alone(self):
        other = os.path.join(testlib.temp_dir(self, "relais-hub-copy-other-"), "home.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE profile (id INTEGER PRIMARY KEY, name TEXT)")
        con.commit()
        con.close()
        with open(other, "rb") as f:
            kept = f.read()
        target = hl.HubDb(testlib.temp_dir(self, "relais-hub-copy-t-"), postgresql=True)
        for path, words in ((other, "not a relais hub database"),
                            (other + ".missing", "no such file")):
            p = copy(path, target.db, target.files)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stderr.strip().splitlines(), ["relais-hub: %s: %s" % (
                path, p.stderr.split(": ", 2)[2].strip())], p.stderr)
            self.assertIn(words, p.stderr)
        with open(other, "rb") as f:
            self.assertEqual(f.read(), kept)
        self.assertFalse(os.path.exists(other + ".missing"))
        p = hl.run(["copy", "--from", self.src.db, "--db", other])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("PostgreSQL", p.stderr)

    def test_a_failure_leaves_nothing_written(self):
        # A source whose bundle no longer matches its hash: refused before anything commits.
        root = testlib.temp_dir(self, "relais-hub-copy-bad-")
        bad = os.path.join(root, "hub.db")
        shutil.copy(self.src.db, bad)
        shutil.copytree(self.src.db + ".d", bad + ".d")
        path = os.path.join(bad + ".d", "bundles", sha256(self.bundle) + ".relais")
        with open(path, "r+b") as f:
            f.seek(100)
            f.write(b"\x00corrupt")
        target = hl.HubDb(testlib.temp_dir(self, "relais-hub-copy-t-"), postgresql=True)
        p = copy(bad, target.db, target.files)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("does not hash to", p.stderr)
        self.assertEqual(sum(tables_and_rows(target).values()), 1)  # opening: identity_rule
        self.assertEqual(target.sql("SELECT key FROM hub_setting"), [("identity_rule",)])
        left = [os.path.join(d, f) for d, _, fs in os.walk(target.files) for f in fs]
        self.assertEqual(left, [])
        # Fixed, the same target takes the copy.
        shutil.copy(os.path.join(self.src.db + ".d", "bundles", sha256(self.bundle) + ".relais"),
                    path)
        p = copy(bad, target.db, target.files)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(tables_and_rows(target), self.src_rows)


if __name__ == "__main__":
    testlib.main()
