"""test_shared.py: what two `relais-hub serve` nodes on one database, a SQLite file and (when
PostgreSQL is installed) a PostgreSQL database: a coordinator signed in on one node is signed
in on the other, and a sign-out on either ends the session on both; the database keeps only a
hash of each session's token, and forgets a session once it has expired; a course published
into the files folder (--files) is served by both nodes; a PostgreSQL --db without --files is
refused in one line."""
import hashlib
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
from test_publish import keygen, pack, read, sha256  # noqa: E402

COORDINATOR = "coord@example.org"
COOKIE = "relais_hub_session"


def form(fields):
    return urllib.parse.urlencode(fields).encode()


class _TwoNodes:
    """The tests, on the database of the subclass (postgresql: False or True)."""

    postgresql = False

    def setUp(self):
        self.db = hl.HubDb(testlib.temp_dir(self, "relais-hub-nodes-"),
                           postgresql=self.postgresql)
        self.db.coordinator(COORDINATOR)

    def nodes(self):
        return hl.start_hub(self, self.db), hl.start_hub(self, self.db)

    def sign_in(self, hub):
        """A browser signed in on hub: its session cookie's value."""
        b = hl.Client(hub, version=None)
        r = b.request("POST", "/reports/login",
                      body=form({"email": COORDINATOR, "password": hl.PASSWORD}),
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual((r.status, r.header("Location")), (303, "/reports"), r)
        return b.cookies[COOKIE]

    def reports(self, hub, token):
        """GET /reports on hub with the session cookie token."""
        b = hl.Client(hub, version=None)
        b.cookies[COOKIE] = token
        return b.request("GET", "/reports")

    def sessions(self):
        return self.db.sql("SELECT token_hash, email FROM coordinator_session")

    def test_a_session_started_on_one_node_holds_on_the_other_until_signed_out(self):
        a, b = self.nodes()
        token = self.sign_in(a)
        for node in (a, b):
            r = self.reports(node, token)
            self.assertEqual(r.status, 200, r)
            self.assertIn(COORDINATOR.encode(), r.body)
        # The database keeps the token's hash, never the token: a copy of it signs no one in.
        rows = self.sessions()
        self.assertEqual(rows, [(hashlib.sha256(token.encode()).hexdigest(), COORDINATOR)])
        self.assertNotIn(token, repr(rows))
        wrong = self.reports(b, rows[0][0][:len(token)])
        self.assertEqual((wrong.status, wrong.header("Location")), (303, "/reports/login"))
        # Signed out on B: A refuses the cookie too.
        c = hl.Client(b, version=None)
        c.cookies[COOKIE] = token
        out = c.request("POST", "/reports/logout", body=b"",
                        content_type="application/x-www-form-urlencoded")
        self.assertEqual(out.status, 200, out)
        self.assertIn("Max-Age=0", out.header("Set-Cookie"))
        for node in (a, b):
            r = self.reports(node, token)
            self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"), r)
        self.assertEqual(self.sessions(), [])

    def test_a_node_whose_clock_is_behind_stores_after_what_came_before(self):
        """Nodes on machines whose clocks differ: a statement stored through the node whose
        clock is 30 s behind still comes after those stored before it, so a reader asking for
        what came since the last time stored it saw misses nothing."""
        behind = hl.clock_behind(30)
        if behind is None:
            self.skipTest("faketime is not installed (apt-get install faketime)")
        on_time = hl.start_hub(self, self.db)
        late = hl.start_hub(self, self.db, env=behind)
        laptop = self.db.credentials("laptop")
        read_key = self.db.credentials("reader", scope="read-all")
        reader = hl.Client(on_time, *read_key)
        # The late node's clock is behind (its Consistent-Through says so), or the test shows
        # nothing.
        now = [hl.parse_time(hl.Client(n, *read_key).get({"limit": 1}).header(
            "X-Experience-API-Consistent-Through")) for n in (on_time, late)]
        self.assertGreater(now[0] - now[1], 20, now)
        seen = None
        for n, node in enumerate((on_time, late, on_time, late)):
            sent = [hl.statement("learner%d" % n) for _ in range(3)]
            r = hl.Client(node, *laptop).post(sent)
            self.assertEqual(r.status, 200, r)
            params = {"since": seen} if seen else {}
            got, _ = reader.query_all(params)
            self.assertEqual(sorted(s["id"] for s in got), sorted(s["id"] for s in sent),
                             "POST %d, through the %s node, since %s" % (
                                 n + 1, "late" if n % 2 else "on-time", seen))
            seen = max(s["stored"] for s in got)

    def test_an_expired_session_is_refused_and_forgotten(self):
        a, b = self.nodes()
        token = self.sign_in(a)
        kept = self.sign_in(b)
        self.db.sql("UPDATE coordinator_session SET expires = 1 WHERE token_hash = ?",
                    (hashlib.sha256(token.encode()).hexdigest(),))
        r = self.reports(b, token)
        self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"), r)
        self.assertEqual([e for _, e in self.sessions()], [COORDINATOR])
        self.assertEqual(self.reports(a, kept).status, 200)

    def test_a_course_published_into_the_files_folder_is_served_by_both_nodes(self):
        keys = testlib.temp_dir(self, "relais-hub-nodes-keys-")
        pub, sec = keygen(keys, "ministry")
        bundle = pack(keys, "migration-health", sec, 1)
        data = read(bundle)
        self.db.run("keygen")
        self.db.run("publisher", "add", pub)
        # --files given on the command line (HubDb.run would give it through the environment).
        files = ["--files", self.db.files] if self.postgresql else []
        p = hl.run(["publish", bundle, "--db", self.db.db] + files)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read(os.path.join(self.db.files, "bundles",
                                           sha256(data) + ".relais")), data)
        key, secret = self.db.credentials()
        catalogues = []
        for node in self.nodes():
            c = hl.Client(node, key, secret, version=None)
            r = c.request("GET", "/relais/catalogue.json")
            self.assertEqual(r.status, 200, r)
            catalogues.append(r.body)
            got = c.request("GET", "/relais/bundles/%s.relais" % sha256(data))
            self.assertEqual((got.status, got.body), (200, data))
        self.assertEqual(catalogues[0], catalogues[1])
        self.assertEqual(json.loads(catalogues[0])["courses"][0]["sha256"], sha256(data))


class OnOneSqliteFile(_TwoNodes, unittest.TestCase):
    postgresql = False


@unittest.skipUnless(pgcluster.available(), "PostgreSQL is not installed")
class OnOnePostgresqlDatabase(_TwoNodes, unittest.TestCase):
    postgresql = True


class FilesFolder(unittest.TestCase):
    """A PostgreSQL hub has no file beside which to keep bundles: --files is asked for."""

    URL = "postgresql://relais@127.0.0.1:9/none"  # nothing listens: never reached

    def test_a_postgresql_db_without_files_is_a_usage_error(self):
        out = testlib.temp_dir(self, "relais-hub-export-")
        for args in (["serve"], ["publish", "course.relais"], ["publish", "--prune"],
                     ["export-catalogue", out], ["session", "list"], ["certificate", "list"]):
            with self.subTest(args=args):
                p = hl.run(args + ["--db", self.URL])
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertIn("a PostgreSQL --db needs --files DIR", p.stderr)
                self.assertNotIn(self.URL, p.stderr)
        # Given (or in $RELAIS_HUB_FILES), the command goes on to the database.
        for files, env in ((["--files", out], None), ([], {"RELAIS_HUB_FILES": out})):
            p = hl.run(["serve", "--db", self.URL] + files, env=env)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("PostgreSQL", p.stderr)
            self.assertNotIn("--files", p.stderr)

    def test_help_names_the_option(self):
        for command in ("serve", "publish", "export-catalogue", "session", "certificate"):
            with self.subTest(command=command):
                p = hl.run(["help", command])
                self.assertEqual(p.returncode, 0)
                self.assertIn("--files DIR", p.stdout)


if __name__ == "__main__":
    testlib.main()
