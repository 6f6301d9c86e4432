#!/usr/bin/env python3
"""test_client.py: relais sync and relais export-records against a fake xAPI hub on loopback:
each statement arrives once, is marked sent only when acknowledged, and nothing is lost."""
import collections
import gzip
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from fakehub import FakeHub  # noqa: E402

from testlib import RELAIS  # noqa: E402

COURSE = testlib.course_dir("migration-health")
VERBS = ("experienced", "answered", "passed", "completed")


def statement(n):
    """A statement as docs/statements.md describes it, as compact text (how the outbox keeps it)."""
    verb = VERBS[n % len(VERBS)]
    st = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Aïcha Diallo",
                  "mbox": "mailto:aicha@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/" + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity",
                   "id": "https://relais.invalid/xapi/activities/migration-health/u%d" % n,
                   "definition": {"name": {"en": "Unit %d" % n},
                                  "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "context": {"platform": "relais", "language": "en",
                    "contextActivities": {"parent": [{
                        "objectType": "Activity",
                        "id": "https://relais.invalid/xapi/activities/migration-health"}]}},
        "timestamp": "2026-11-29T10:%02d:%02d.000Z" % (n // 60 % 60, n % 60),
    }
    return st["id"], verb, json.dumps(st, ensure_ascii=False, separators=(",", ":"))


class SyncClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="relais-sync-client-")
        cls.template = os.path.join(cls.work, "template")
        cls.cli(["keygen", "-p", "pub.key", "-s", "sec.key", "--no-password"], None, check=True)
        cls.cli(["pack", COURSE, "-s", "sec.key", "-o", "course.relais"], None, check=True)
        for args in (["trust", "add", "pub.key"], ["install", "course.relais"],
                     ["profile", "add", "--name", "Aïcha Diallo", "--email",
                      "aicha@example.org", "--org", "MAE"]):
            cls.cli(args, cls.template, check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def cli(cls, args, home, check=False, timeout=120):
        env = dict(os.environ)
        env.pop("RELAIS_HOME", None)
        if home:
            env["RELAIS_HOME"] = home
        p = subprocess.run([RELAIS] + args, cwd=cls.work, env=env, capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("%s: %d %s" % (args, p.returncode, p.stderr))
        return p

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="home-", dir=self.work)
        shutil.rmtree(self.home)
        shutil.copytree(self.template, self.home)
        self.hub = FakeHub("key-1", "secret-1").__enter__()
        self.addCleanup(self.hub.__exit__)

    def relais(self, *args, timeout=120):
        return self.cli(list(args), self.home, timeout=timeout)

    def sync(self, *extra, creds=True, timeout=120):
        args = ["sync"]
        if creds:
            args += ["--hub", self.hub.url, "--key", "key-1", "--secret", "secret-1"]
        return self.relais(*(args + list(extra)), timeout=timeout)

    def db(self):
        db = sqlite3.connect(os.path.join(self.home, "relais.db"), timeout=30)
        self.addCleanup(db.close)
        return db

    def record(self, n):
        """Puts n new statements in the outbox as the reader does; returns {id: text}."""
        made = {}
        db = self.db()
        base = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        with db:
            for i in range(n):
                sid, verb, text = statement(base + i)
                db.execute("INSERT INTO outbox(id, profile_id, verb, object, statement, created) "
                           "VALUES (?, 1, ?, ?, ?, '2026-11-29T10:00:00.000Z')",
                           (sid, verb, "Unit %d" % (base + i), text))
                made[sid] = text
        return made

    def states(self):
        """{id: (sent, set_aside)} for every statement of the outbox."""
        return {r[0]: (r[1], r[2]) for r in
                self.db().execute("SELECT id, sent, set_aside FROM outbox")}

    def summary(self, p):
        lines = p.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        return lines[0]

    def one_line_error(self, p, words):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("relais: "), lines[0])
        self.assertIn(words, lines[0])

    def assert_delivered_once(self, made):
        counts = collections.Counter(self.hub.deliveries)
        for sid in made:
            self.assertEqual(counts[sid], 1, sid)
            self.assertEqual(self.hub.statements[sid],
                             json.dumps(json.loads(made[sid]), sort_keys=True,
                                        separators=(",", ":")))

    def posts(self):
        return [r for r in self.hub.requests]

    # The tests.

    def test_each_statement_arrives_once_and_is_marked_sent(self):
        made = self.record(250)
        p = self.sync("--batch", "100")
        self.assertEqual(p.returncode, 0, p.stderr)
        line = self.summary(p)
        self.assertRegex(line, r"^sent 250, left 0, set aside 0, \d+ bytes up$")
        self.assert_delivered_once(made)
        self.assertEqual(len(self.hub.statements), 250)
        self.assertTrue(all(sent and not aside for sent, aside in self.states().values()))
        # Three gzip-compressed requests with the xAPI headers.
        self.assertEqual([(r[0], r[1]) for r in self.posts()], [(200, 100), (200, 100), (200, 50)])
        for _, _, size, headers in self.posts():
            self.assertEqual(headers.get("Content-Encoding"), "gzip")
            self.assertEqual(headers.get("Content-Type"), "application/json")
            self.assertEqual(headers.get("X-Experience-API-Version"), "1.0.3")
        # Compression pays: well under a fifth of the JSON text crossed the wire.
        raw = sum(len(t.encode()) for t in made.values())
        up = int(line.split(", ")[3].split()[0])
        self.assertLess(sum(r[2] for r in self.posts()), raw / 5)
        self.assertGreater(up, sum(r[2] for r in self.posts()))  # bodies plus headers
        self.assertLess(up, raw / 4)
        # Nothing left: a second sync sends nothing at all.
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.summary(p), "sent 0, left 0, set aside 0, 0 bytes up")
        self.assertEqual(len(self.posts()), 3)
        settings = dict(self.db().execute("SELECT key, value FROM setting"))
        self.assertIn("sync.last_success", settings)
        self.assertIn("sync.last_attempt", settings)

    def test_statements_go_as_stored_byte_for_byte(self):
        made = self.record(5)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.hub.bodies, ["[" + ",".join(made.values()) + "]"])

    def test_credentials_are_remembered(self):
        self.record(3)
        self.assertEqual(self.sync().returncode, 0)
        made = self.record(4)
        p = self.sync(creds=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.summary(p).split(", ")[:3], ["sent 4", "left 0", "set aside 0"])
        self.assert_delivered_once(made)

    def test_no_hub_given_or_remembered(self):
        self.record(2)
        p = self.sync(creds=False)
        self.one_line_error(p, "no hub: give --hub URL --key KEY --secret SECRET once")
        self.assertEqual(self.summary(p), "sent 0, left 2, set aside 0, 0 bytes up")

    def test_wrong_secret_stops_at_once_and_marks_nothing(self):
        self.record(30)
        p = self.relais("sync", "--hub", self.hub.url, "--key", "key-1", "--secret", "wrong")
        self.one_line_error(p, "the hub refused the credentials")
        self.assertRegex(self.summary(p), r"^sent 0, left 30, set aside 0, \d+ bytes up$")
        self.assertEqual(len(self.posts()), 1)  # no retries
        self.assertEqual(self.hub.statements, {})
        self.assertTrue(all(s == (None, None) for s in self.states().values()))
        # The refused secret is not remembered over a good one.
        self.record(1)
        self.assertEqual(self.sync().returncode, 0)
        self.record(1)
        p = self.relais("sync", "--secret", "wrong")
        self.one_line_error(p, "the hub refused the credentials")
        p = self.sync(creds=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.hub.statements), 32)

    def test_an_invalid_statement_is_set_aside_and_the_rest_delivered(self):
        made = self.record(40)
        bad = list(made)[17]
        self.hub.reject_ids = {bad}
        p = self.sync()
        # Not a silent success: exit 1, and the way to put it back is named.
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 39, left 0, set aside 1, \d+ bytes up$")
        self.assertIn("relais: 1 statement was set aside: relais outbox "
                      "shows why, relais outbox retry puts it back", p.stderr.splitlines())
        del made[bad]
        self.assert_delivered_once(made)
        self.assertNotIn(bad, self.hub.statements)
        states = self.states()
        self.assertIsNotNone(states[bad][1])
        self.assertIsNone(states[bad][0])
        reason = self.db().execute("SELECT refusal FROM outbox WHERE id = ?", (bad,)).fetchone()[0]
        self.assertIn("not an IRI", reason)
        self.assertNotIn("\n", reason)
        # Found by halving: far fewer requests than statements.
        self.assertLessEqual(len(self.posts()), 2 * 6 + 1)
        # Set aside until put back: the next sync does not send it again ...
        self.hub.reject_ids = set()
        p = self.sync()
        self.assertEqual(self.summary(p), "sent 0, left 0, set aside 0, 0 bytes up")
        self.assertEqual(p.returncode, 0, p.stderr)
        # ... relais outbox retry does, and it is delivered.
        self.assertEqual(self.relais("outbox", "retry", bad).returncode, 0)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 1, left 0, set aside 0, \d+ bytes up$")
        self.assertIn(bad, self.hub.statements)

    def test_server_errors_are_retried_then_delivered(self):
        made = self.record(10)
        self.hub.fail_next = 3
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 10, left 0, set aside 0, \d+ bytes up$")
        self.assertEqual([r[0] for r in self.posts()], [500, 500, 500, 200])
        self.assert_delivered_once(made)

    def test_a_hub_that_keeps_failing_leaves_everything_pending(self):
        self.record(10)
        self.hub.fail_next = 100
        p = self.sync("--attempts", "2")
        self.one_line_error(p, "gave up after 2 tries")
        self.assertRegex(self.summary(p), r"^sent 0, left 10, set aside 0, \d+ bytes up$")
        self.assertTrue(all(s == (None, None) for s in self.states().values()))

    def test_an_unreachable_hub_leaves_everything_pending(self):
        self.record(10)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        p = self.relais("sync", "--hub", "http://127.0.0.1:%d" % port, "--key", "k",
                        "--secret", "s", "--attempts", "2")
        self.one_line_error(p, "cannot reach the hub")
        self.assertEqual(self.summary(p), "sent 0, left 10, set aside 0, 0 bytes up")
        self.assertTrue(all(s == (None, None) for s in self.states().values()))
        settings = dict(self.db().execute("SELECT key, value FROM setting"))
        self.assertNotIn("sync.last_success", settings)
        self.assertIn("sync.last_attempt", settings)

    PAGE = b"<html><body>Log in to use this hotspot</body></html>"

    def test_a_captive_portal_is_not_taken_for_the_hub(self):
        """Whatever a portal, a firewall or a web server at the wrong address answers, nothing
        is marked sent or set aside, and the run stops at its first reply with exit 1."""
        # A laptop that found the hub before (sync.lrs remembered): the portal meets the POST.
        self.record(1)
        self.assertEqual(self.sync().returncode, 0)
        made = self.record(10)
        xapi = {"X-Experience-API-Version": "1.0.3"}
        cases = [
            (200, "text/html", self.PAGE, {}, "200 with text/html"),
            (400, "text/html; charset=utf-8", self.PAGE, {}, "400 with text/html"),
            (409, "text/html", self.PAGE, {}, "409 with text/html"),
            (413, "text/html", self.PAGE, {}, "413 with text/html"),
            (400, None, b"Bad Request", {}, "400 with no content type"),
            # JSON from something that is not an xAPI server; a page with the header.
            (400, "application/json", b'{"error":"blocked"}', {}, "400 with application/json"),
            (200, "application/json", json.dumps(list(made)).encode(), {},
             "200 with application/json"),
            (400, "text/html", self.PAGE, xapi, "400 with text/html"),
            (200, "text/html", self.PAGE, xapi, "200 with text/html"),
        ]
        for status, ctype, page, extra, words in cases:
            with self.subTest(status=status, ctype=ctype, extra=extra):
                before = len(self.posts())
                self.hub.portal = (status, ctype, page, extra)
                p = self.sync()
                self.one_line_error(p, "the hub's address answered %s: not an xAPI reply (a "
                                    "captive portal or a wrong address?)" % words)
                self.assertRegex(self.summary(p), r"^sent 0, left 10, set aside 0, \d+ bytes up$")
                self.assertEqual(len(self.posts()), before + 1)  # no halving, no retry
                states = self.states()
                self.assertTrue(all(states[sid] == (None, None) for sid in made))
        # Once through the portal, everything goes.
        self.hub.portal = None
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 10, left 0, set aside 0, \d+ bytes up$")
        self.assert_delivered_once(made)

    def test_a_redirect_to_a_login_page_is_not_followed(self):
        self.record(4)
        self.hub.portal = (302, "text/html", self.PAGE,
                           {"Location": "http://login.portal.example/?from=hub"})
        p = self.sync()
        self.one_line_error(p, "the hub's address answered 302 with text/html, a redirect to "
                            "http://login.portal.example/?from=hub: not an xAPI reply")
        # A laptop that never reached the hub meets the portal when it asks about: no POST.
        self.assertEqual(len(self.posts()), 0)
        self.assertEqual(self.hub.abouts, ["/about", "/xapi/about"])
        self.assertTrue(all(s == (None, None) for s in self.states().values()))

    def test_an_acknowledgement_must_match_the_batch(self):
        """An xAPI-looking 200 whose ids are not exactly those of the batch marks nothing."""
        made = self.record(3)
        ids = list(made)
        for reply in (ids[:2], ids + [str(uuid.uuid4())], [], {"ids": ids}):
            with self.subTest(reply=reply):
                self.hub.portal = (200, "application/json", json.dumps(reply).encode(),
                                   {"X-Experience-API-Version": "1.0.3"})
                p = self.sync()
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("relais: ", p.stderr)
                self.assertTrue(all(s == (None, None) for s in self.states().values()))

    def test_a_hub_that_trickles_its_reply_meets_a_deadline(self):
        """20 bytes a second passes the low-speed limit (16 B/s over 60 s), but not the
        request's deadline: 30 s plus its bytes at 1000 B/s."""
        self.record(3)
        self.hub.trickle = 20  # a 4 KiB reply: 200 s
        start = time.monotonic()
        p = self.sync("--attempts", "1", timeout=100)
        took = time.monotonic() - start
        self.one_line_error(p, "gave up after 1 try: the hub at %s did not answer within "
                            % self.hub.url)
        self.assertRegex(p.stderr, r"within 3[01] s \(a request of 3 statements, \d+ bytes\)")
        self.assertLess(took, 45)
        self.assertRegex(self.summary(p), r"^sent 0, left 3, set aside 0, \d+ bytes up$")
        self.assertTrue(all(s == (None, None) for s in self.states().values()))

    def test_plain_http_warns_unless_the_host_is_loopback(self):
        """The host is parsed: a name that merely starts like a loopback one gets the warning."""
        self.record(1)
        warning = "is plain http: the key and secret cross the network readable"
        port = self.hub.port
        for url, warned in (("http://127.0.0.1:%d" % port, False),
                            ("http://localhost:%d" % port, False),
                            ("http://LocalHost:%d/" % port, False),
                            ("http://127.5.6.7:1", False),
                            ("http://[::1]:1", False),
                            ("http://localhost.example.invalid:1", True),
                            ("http://127.0.0.1.example.invalid:1", True),
                            ("http://localhost@hub.example.invalid:1", True),
                            ("http://[::2]:1", True),
                            ("https://hub.example.invalid:1", False)):
            with self.subTest(url=url):
                p = self.relais("sync", "--hub", url, "--key", "key-1", "--secret", "secret-1",
                                "--attempts", "1", timeout=60)
                self.assertEqual(warning in p.stderr, warned, p.stderr)
                if warned:
                    self.assertIn("relais: %s %s" % (url.rstrip("/"), warning),
                                  p.stderr.splitlines())
        p = self.relais("sync", "--hub", "http://exa mple", "--key", "k", "--secret", "s")
        self.one_line_error(p, "the hub address")

    def test_a_wrong_address_stops_the_run(self):
        self.record(3)
        p = self.relais("sync", "--hub", self.hub.url + "/wrong/", "--key", "key-1",
                        "--secret", "secret-1")
        self.one_line_error(p, "%s/wrong is not an LRS's xAPI address: neither %s/wrong/about "
                            "(404) nor %s/wrong/xapi/about (404) describes an xAPI 1.0 LRS"
                            % ((self.hub.url,) * 3))
        self.assertEqual(len(self.posts()), 0)
        self.assertTrue(all(s == (None, None) for s in self.states().values()))

    def test_a_batch_resent_after_a_lost_reply_counts_once(self):
        made = self.record(20)
        # The hub stored the first ten, but its reply never reached the laptop.
        for sid in list(made)[:10]:
            self.hub.statements[sid] = json.dumps(json.loads(made[sid]), sort_keys=True,
                                                  separators=(",", ":"))
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 20, left 0, set aside 0, \d+ bytes up$")
        self.assertEqual(len(self.hub.statements), 20)
        self.assertEqual([r[0] for r in self.posts()], [200])

    def test_a_different_statement_under_the_same_id_is_set_aside(self):
        made = self.record(12)
        clash = list(made)[5]
        self.hub.statements[clash] = '{"something":"else"}'
        p = self.sync()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 11, left 0, set aside 1, \d+ bytes up$")
        self.assertEqual(self.hub.statements[clash], '{"something":"else"}')
        self.assertIsNotNone(self.states()[clash][1])

    def test_a_batch_too_large_is_halved(self):
        made = self.record(100)
        self.hub.max_batch = 30
        p = self.sync("--batch", "100")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(self.summary(p), r"^sent 100, left 0, set aside 0, \d+ bytes up$")
        self.assert_delivered_once(made)
        # 100 and 50 refused; from then on 25 at a time.
        self.assertEqual([(r[0], r[1]) for r in self.posts()],
                         [(413, 100), (413, 50)] + [(200, 25)] * 4)

    def test_export_records_writes_every_pending_statement(self):
        made = self.record(8)
        out = os.path.join(self.home, "records.json.gz")
        p = self.relais("export-records", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "8 statements written to %s" % out)
        with gzip.open(out, "rb") as f:
            text = f.read().decode("utf-8")
        doc = json.loads(text)
        self.assertEqual(doc["format"], "relais-records")
        self.assertEqual(doc["version"], 2)
        self.assertRegex(doc["laptop_key"], r"^[0-9A-F]{16}$")
        self.assertTrue(os.path.exists(out + ".minisig"))
        self.assertEqual([s["id"] for s in doc["statements"]], list(made))
        self.assertIn(",".join(made.values()), text)  # as stored, not re-serialised
        # They stay pending; once sent they are no longer exported.
        self.assertTrue(all(s == (None, None) for s in self.states().values()))
        self.assertEqual(self.sync().returncode, 0)
        p = self.relais("export-records", out)
        self.assertEqual(p.stdout.strip(), "0 statements written to %s" % out)
        with gzip.open(out, "rb") as f:
            self.assertEqual(json.load(f)["statements"], [])
        self.assertEqual([n for n in os.listdir(self.home) if ".tmp" in n], [])

    def test_export_to_an_unwritable_place_fails_cleanly(self):
        self.record(2)
        p = self.relais("export-records", os.path.join(self.home, "no", "such", "dir", "f.gz"))
        self.one_line_error(p, "f.gz")

    def watch(self):
        """`relais sync --watch` with its stdout piped; stopped (SIGKILL) at the latest when
        the test ends."""
        env = dict(os.environ, RELAIS_HOME=self.home)
        proc = subprocess.Popen([RELAIS, "sync", "--watch", "--hub", self.hub.url, "--key",
                                 "key-1", "--secret", "secret-1"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        return proc

    def stop_watch(self, proc, sig, pending):
        """Stops the watch with sig; returns (exit status, the lines it printed after pending,
        stderr)."""
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, (bytes(pending) + out).decode().splitlines(), err.decode()

    def test_watch_sends_what_is_recorded_later(self):
        made = self.record(5)
        proc = self.watch()
        pending = bytearray()
        # The first run: its line says the five went out.
        line = testlib.read_line(proc, "relais sync --watch", 60, pending=pending)
        self.assertEqual(line.split(", ")[:3], ["sent 5", "left 0", "set aside 0"])
        self.assert_delivered_once(made)
        # Recorded once the watch is idle: sent at the next look at the outbox (every 30 s).
        later = self.record(3)
        line = testlib.read_line(proc, "relais sync --watch", 90, pending=pending)
        self.assertEqual(line.split(", ")[:3], ["sent 3", "left 0", "set aside 0"])
        made.update(later)
        self.assert_delivered_once(made)
        self.assertIsNone(proc.poll())
        # SIGTERM: the closing line adds up the whole watch, and nothing is left.
        code, lines, err = self.stop_watch(proc, signal.SIGTERM, pending)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^sent 8, left 0, set aside 0, [1-9]\d* bytes up$")
        self.assertTrue(all(s[0] for s in self.states().values()))

    def test_watch_stopped_with_ctrl_c_prints_its_line(self):
        proc = self.watch()
        time.sleep(1)  # nothing to send: the watch waits for the next look at the outbox
        self.assertIsNone(proc.poll())
        code, lines, err = self.stop_watch(proc, signal.SIGINT, b"")
        self.assertEqual((code, lines), (0, ["sent 0, left 0, set aside 0, 0 bytes up"]), err)

    # relais sync against LRSs other than relais-hub (docs/sync.md, "Finding the LRS"): told
    # apart by their about resource, gzip only where about offers it, and a refusal of the
    # request's form (gzip, 415) never sets a statement aside.

    PLAIN_ABOUT = {"version": ["1.0.3"]}

    def setting(self, key):
        row = self.db().execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def test_an_lrs_without_gzip_gets_plain_json_and_is_remembered(self):
        self.hub.about = self.PLAIN_ABOUT
        self.hub.gzip_refusal = 400  # as Learning Locker: gzip bytes are "not valid JSON"
        made = self.record(5)
        p = self.sync("--batch", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.splitlines()[0], r"^sent 5, left 0, set aside 0, \d+ bytes up$")
        self.assertIn("courses: not offered there (an xAPI LRS, not a relais hub)", p.stdout)
        self.assert_delivered_once(made)
        self.assertTrue(all("Content-Encoding" not in r[3] for r in self.posts()))
        self.assertEqual(self.hub.abouts, ["/about", "/xapi/about"])
        self.assertEqual(self.setting("sync.lrs"),
                         "%s %s/xapi lrs plain" % (self.hub.url, self.hub.url))
        # The next run does not ask again.
        more = self.record(3)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_delivered_once(more)
        self.assertEqual(len(self.hub.abouts), 2)

    def test_a_relais_hub_gets_gzip(self):
        made = self.record(3)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_delivered_once(made)
        self.assertEqual([r[3].get("Content-Encoding") for r in self.posts()], ["gzip"])
        self.assertNotIn("courses: not offered", p.stdout)

    def test_a_refused_gzip_sets_nothing_aside(self):
        """An LRS that says it takes gzip, then answers 415: the same batch again, plain."""
        self.hub.gzip_refusal = 415
        made = self.record(4)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.splitlines()[0], r"^sent 4, left 0, set aside 0, \d+ bytes up$")
        self.assert_delivered_once(made)
        self.assertEqual([r[0] for r in self.posts()], [415, 200])
        self.assertTrue(self.setting("sync.lrs").endswith(" relais-hub plain"))

    def test_a_remembered_lrs_that_changed_is_asked_again(self):
        """The address now leads to an LRS without gzip, answering 400 to gzip bodies: about is
        asked again before anything is set aside."""
        self.record(1)
        self.assertEqual(self.sync().returncode, 0)
        self.hub.about = self.PLAIN_ABOUT
        self.hub.gzip_refusal = 400
        made = self.record(6)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.splitlines()[0], r"^sent 6, left 0, set aside 0, \d+ bytes up$")
        self.assert_delivered_once(made)
        self.assertEqual(len(self.hub.abouts), 4)
        # A statement the LRS really refuses is still set aside, after one about.
        bad = self.record(2)
        self.hub.reject_ids = {list(bad)[0]}
        p = self.sync()
        self.assertRegex(p.stdout.splitlines()[0], r"^sent 1, left 0, set aside 1, \d+ bytes up$")
        self.assertEqual(len(self.hub.abouts), 6)

    def test_an_lrs_under_a_path(self):
        """An LRS whose xAPI base is /lrs/xapi, given as that base or as /lrs."""
        self.hub.base = "/lrs/xapi"
        self.hub.about = self.PLAIN_ABOUT
        self.hub.gzip_refusal = 400
        for given in ("/lrs/xapi/", "/lrs"):
            with self.subTest(given=given):
                made = self.record(2)
                p = self.relais("sync", "--hub", self.hub.url + given, "--key", "key-1",
                                "--secret", "secret-1")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assert_delivered_once(made)
                self.assertTrue(self.setting("sync.lrs").endswith(
                    " %s/lrs/xapi lrs plain" % self.hub.url))

    def test_no_about_or_a_garbled_one_sends_nothing(self):
        made = self.record(3)
        cases = [
            (None, "is not an LRS's xAPI address: neither %s/about (404) nor %s/xapi/about "
             "(404) describes an xAPI 1.0 LRS" % (self.hub.url, self.hub.url)),
            (b"{not json", "the hub's address answered 200 with application/json: not an "
             "xAPI reply"),
            ({"version": "1.0.3"}, "answered 200 with application/json: not an xAPI reply"),
            ({"version": ["2.0.0"]}, "the LRS at %s/xapi/about speaks no xAPI 1.0 version: "
             "relais sends 1.0.3" % self.hub.url),
        ]
        for about, words in cases:
            with self.subTest(about=about):
                self.hub.about = about
                p = self.sync()
                self.one_line_error(p, words)
                self.assertRegex(p.stdout.splitlines()[0], r"^sent 0, left 3, set aside 0, \d+ bytes up$")
                self.assertEqual(self.posts(), [])
                self.assertIsNone(self.setting("sync.lrs"))
        self.hub.about = self.PLAIN_ABOUT
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_delivered_once(made)


if __name__ == "__main__":
    testlib.main()
