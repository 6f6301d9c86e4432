"""test_sql.py: the hub's database layer (sync/hub/sql.c) on SQLite and on PostgreSQL, through
tests/sql_probe: the same rows back from both, a unique key's refusal named as such, and a
PostgreSQL that stops: a clear error, nothing of an open transaction kept, and the connection
made again by itself once the server is back."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402

PROBE = os.environ.get("RELAIS_SQL_PROBE", "")

SCRIPT = [
    "exec CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "score DOUBLE PRECISION, data BYTEA)",
    "query INSERT INTO t(id, name, score, data) VALUES (?1, ?2, ?3, ?4)|i:1|ana|0.75|x:00ff10",
    "query INSERT INTO t(id, name, score, data) VALUES (?, ?, ?, ?)|i:2|bruno|n:|n:",
    "query INSERT INTO t(id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING|i:3|ana",
    "query SELECT id AS id, name AS name, score AS score, data AS data FROM t "
    "WHERE id >= ?1 ORDER BY id|i:1",
    "query SELECT count(*) AS n, sum(id) AS total FROM t",
    "query SELECT group_concat(name, ',') AS names FROM (SELECT name FROM t ORDER BY id) AS o",
    "query SELECT min(?1, 3) AS low, max(?1, 3) AS high|i:7",
    "query SELECT json_extract(?1, '$.result.response') AS essay|"
    "{\"result\": {\"response\": \"d\u00e9j\u00e0 vu\"}}",
    "query UPDATE t SET score = ?1 WHERE id <= 2|0.5",
    "begin",
    "query INSERT INTO t(id, name) VALUES (?1, ?2)|i:9|taken back",
    "rollback",
    "query SELECT count(*) AS n FROM t",
]


class Probe:
    def __init__(self, where):
        self.p = subprocess.Popen([PROBE, where], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.opened = self._answer()

    def _answer(self):
        lines = []
        while True:
            line = self.p.stdout.readline()
            if line in ("", ".\n"):
                return lines
            lines.append(line.rstrip("\n"))

    def send(self, command):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return self._answer()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)
        self.p.stdout.close()


@unittest.skipUnless(PROBE, "RELAIS_SQL_PROBE (tests/sql_probe) not set")
class SqlLayer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="relais-sql-")
        cls.cluster = pgcluster.shared() if pgcluster.available() else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_script(self, where):
        probe = Probe(where)
        self.addCleanup(probe.close)
        self.assertEqual(probe.opened, ["open"])
        return [probe.send(c) for c in SCRIPT], probe

    def test_sqlite_answers(self):
        out, _ = self.run_script(os.path.join(self.tmp.name, "a.db"))
        self.assertEqual(out[4], [
            "id=int:1\tname=text:ana\tscore=real:0.75\tdata=blob:00ff10",
            "id=int:2\tname=text:bruno\tscore=null\tdata=null"])
        self.assertEqual(out[3], ["changes 0"])  # the conflict did nothing
        self.assertEqual(out[6], ["names=text:ana,bruno"])
        self.assertEqual(out[7], ["low=int:3\thigh=int:7"])
        self.assertEqual(out[8], ["essay=text:d\u00e9j\u00e0 vu"])
        self.assertEqual(out[9], ["changes 2"])
        self.assertEqual(out[-1], ["n=int:2"])

    @unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
    def test_postgresql_same_rows_as_sqlite(self):
        lite, _ = self.run_script(os.path.join(self.tmp.name, "b.db"))
        pg, _ = self.run_script(self.cluster.new_database())
        self.assertEqual(pg, lite)

    def statement_kept(self, where):
        """A statement prepared once answers again after the layer has prepared a hundred
        others (on PostgreSQL its table of prepared statements grows under it)."""
        probe = Probe(where)
        self.addCleanup(probe.close)
        first = probe.send("query SELECT ?1 AS v|kept")
        self.assertEqual(probe.send("others 100"), ["ok"])
        self.assertEqual(probe.send("again"), first)
        self.assertEqual(first, ["v=text:kept"])

    def test_statement_kept_sqlite(self):
        self.statement_kept(os.path.join(self.tmp.name, "d.db"))

    @unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
    def test_statement_kept_postgresql(self):
        self.statement_kept(self.cluster.new_database())

    def unique_violation(self, where):
        probe = Probe(where)
        self.addCleanup(probe.close)
        probe.send("exec CREATE TABLE u (name TEXT PRIMARY KEY)")
        self.assertEqual(probe.send("query INSERT INTO u VALUES (?1)|x"), ["changes 1"])
        got = probe.send("query INSERT INTO u VALUES (?1)|x")
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0].startswith("error constraint violated: "), got)
        self.assertIn("u", got[0][len("error constraint violated: "):])
        return got[0]

    def test_unique_violation_sqlite(self):
        self.assertIn("UNIQUE constraint failed: u.name",
                      self.unique_violation(os.path.join(self.tmp.name, "c.db")))

    @unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
    def test_unique_violation_postgresql(self):
        self.assertIn("duplicate key value violates unique constraint",
                      self.unique_violation(self.cluster.new_database()))

    def test_unreachable_postgresql(self):
        probe = subprocess.run([PROBE, "postgresql://nobody@127.0.0.1:1/none"],
                               capture_output=True, text=True, input="", timeout=30)
        self.assertEqual(probe.returncode, 1)
        self.assertTrue(probe.stdout.startswith("error database busy or unreachable: "),
                        probe.stdout)

    @unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
    def test_postgresql_restart(self):
        probe = Probe(self.cluster.new_database())
        self.addCleanup(probe.close)
        probe.send("exec CREATE TABLE r (n BIGINT PRIMARY KEY)")
        self.assertEqual(probe.send("query INSERT INTO r VALUES (?1)|i:1"), ["changes 1"])
        self.assertEqual(probe.send("begin"), ["ok"])
        self.assertEqual(probe.send("query INSERT INTO r VALUES (?1)|i:2"), ["changes 1"])
        self.cluster.stop()
        try:
            got = probe.send("query INSERT INTO r VALUES (?1)|i:3")
            self.assertEqual(len(got), 1)
            self.assertTrue(got[0].startswith("error database busy or unreachable: "), got)
            got = probe.send("query SELECT count(*) AS n FROM r")
            self.assertTrue(got[0].startswith("error database busy or unreachable: "), got)
        finally:
            self.cluster.start()
        # The transaction was lost with the connection: refused until taken back.
        got = probe.send("query SELECT count(*) AS n FROM r")
        self.assertIn("lost inside a transaction", got[0])
        self.assertEqual(probe.send("rollback"), ["ok"])
        self.assertEqual(probe.send("query SELECT count(*) AS n FROM r"), ["n=int:1"])


@unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
class HubOnPostgresql(unittest.TestCase):
    """relais-hub serve --db postgresql://...: statements in and out, the parts not there yet
    named, and 503 with Retry-After while PostgreSQL is down."""

    def setUp(self):
        self.cluster = pgcluster.shared()
        self.db = hublib.HubDb(testlib.temp_dir(self, "relais-hub-pg-"), postgresql=True)
        self.key, self.secret = self.db.credentials()
        self.hub = hublib.start_hub(self, self.db)
        self.client = hublib.Client(self.hub, self.key, self.secret)

    def test_statements_round_trip_and_the_reports(self):
        st = hublib.statement("alice")
        r = self.client.post([st])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [st["id"]])
        self.assertEqual(self.client.post([st]).status, 200)  # the same again: no effect
        got = self.client.statement(st["id"])
        self.assertEqual(hublib.without_server_fields(got), hublib.without_server_fields(st))
        self.assertEqual(self.db.run("credentials", "list").stdout.count("test laptop"), 1)
        self.assertIn("serving a PostgreSQL database", self.hub.stderr_text())
        self.assertNotIn("not yet available", self.hub.stderr_text())
        self.assertNotIn("postgresql://", self.hub.stderr_text())
        p = self.db.run("report", "--table", "status-by-course", "--format", "json")
        self.assertEqual(json.loads(p.stdout), [])  # reports work: alice did nothing in a course

    def test_database_down_answers_503_then_recovers(self):
        first = hublib.statement("bob")
        self.assertEqual(self.client.post([first]).status, 200)
        self.cluster.stop()
        try:
            st = hublib.statement("carol")
            r = self.client.post([st])
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.header("Retry-After"), "5")
            self.assertIn("error", r.json())
        finally:
            self.cluster.start()
        r = self.client.post([st])  # the laptop sends again: stored once, by a new connection
        self.assertEqual(r.status, 200, r)
        ids = self.client.ids({})
        self.assertEqual(sorted(ids), sorted([first["id"], st["id"]]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
