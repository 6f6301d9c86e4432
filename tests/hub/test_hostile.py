#!/usr/bin/env python3
"""test_hostile.py: what a broken laptop, a stranger or a spreadsheet trap might send the hub
is refused or stored harmlessly, the hub keeps serving, and the reports stay behind a login
and count each completion once."""
import concurrent.futures
import csv
import gzip
import io
import json
import os
import random
import select
import socket
import sys
import time
import unittest
import urllib.parse
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
import netlib  # noqa: E402

MB = 1024 * 1024
SQL = "'); DROP TABLE statement;--"


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("hostile")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)
        cls.canary = cls.c.store(hl.statement("canary"))[0]

    def count(self):
        return len(self.c.ids({"limit": "0"}))

    def assert_serving(self, after):
        """The hub is up, answers a normal POST and still holds what it held."""
        if not self.hub.alive():
            self.fail("the hub exited after %s: %s" % (after, self.hub.stderr_text()[-2000:]))
        st = hl.statement("normal")
        try:
            r = self.c.post(st)
        except OSError as e:
            self.fail("no answer to a normal POST after %s: %s" % (after, e))
        self.assertEqual(r.status, 200, "normal POST after %s: %r" % (after, r))
        self.assertEqual(self.c.statement(st["id"])["id"], st["id"])
        self.assertEqual(self.c.statement(self.canary)["id"], self.canary, after)

    def raw(self, head, body=b"", chunks=None):
        head = head.rstrip("\r\n")
        h = ("%s\r\nHost: %s\r\nAuthorization: %s\r\nX-Experience-API-Version: 1.0.3\r\n"
             % (head, self.hub.host, self.c.auth_header())).encode()
        return hl.raw_exchange(self.hub.port, h + body, chunks=chunks, timeout=60)

    # --- bodies that are not statements ------------------------------------------------

    def test_malformed_json(self):
        before = self.count()
        for body in [b"", b"{", b"[", b"}", b"nul", b"{\"actor\":", b"[{}", b"{'id': 1}",
                     b"\x00\x01\x02", b"\xff\xfe{\"a\":1}", b"{\"actor\":\"\xc3\x28\"}",
                     b"[" * 100000, b"{\"a\":" * 50000, b"[1,]", b"{\"a\":1,}"]:
            with self.subTest(body=body[:20]):
                r = self.c.post(body)
                self.assertEqual(r.status, 400, r)
                self.assert_serving("a body of %r" % body[:20])
        self.assertEqual(self.count(), before + 15, "only the normal POSTs were kept")

    def test_wrong_types(self):
        base = hl.statement()
        for member, value in [("actor", []), ("actor", 5), ("verb", "completed"),
                              ("verb", {"id": ["x"]}), ("object", 3.5), ("object", None),
                              ("result", "passed"), ("result", {"score": "high"}),
                              ("context", []), ("timestamp", True), ("id", None),
                              ("id", {"a": 1}), ("attachments", {}), ("actor", {"mbox": 7})]:
            with self.subTest(member=member, value=value):
                st = dict(base, **{member: value})
                r = self.c.post(st)
                self.assertEqual(r.status, 400, r)
                self.assertIn(member, r.error())
        self.assertIsNone(self.c.statement(base["id"]))
        self.assert_serving("wrong types")

    def test_missing_version_header_stores_nothing(self):
        st = hl.statement()
        for method in ("POST", "PUT"):
            path = "/xapi/statements" + ("?statementId=" + st["id"] if method == "PUT" else "")
            r = self.c.request(method, path, body=st, version=False)
            self.assertEqual(r.status, 400, r)
        self.assertIsNone(self.c.statement(st["id"]))
        self.assert_serving("no version header")

    # --- too much ----------------------------------------------------------------------

    def test_oversized_body_with_content_length(self):
        st = hl.statement(result={"response": "x" * (9 * MB)})
        body = json.dumps(st).encode()
        got = self.raw("POST /xapi/statements HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n" % len(body), b"\r\n" + body)
        self.assertEqual(hl.status_of(got), 413, got[:300])
        self.assertIsNone(self.c.statement(st["id"]))
        # a claimed length alone is enough to refuse
        got = self.raw("POST /xapi/statements HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: 99999999999\r\n", b"\r\n{}")
        self.assertEqual(hl.status_of(got), 413, got[:300])
        self.assert_serving("an oversized body")

    def test_oversized_body_without_content_length(self):
        st = hl.statement(result={"response": "y" * (9 * MB)})
        body = json.dumps(st).encode()
        chunks = []
        for i in range(0, len(body), 256 * 1024):
            part = body[i:i + 256 * 1024]
            chunks.append(b"%x\r\n%s\r\n" % (len(part), part))
        chunks.append(b"0\r\n\r\n")
        got = self.raw("POST /xapi/statements HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n", b"\r\n", chunks=chunks)
        self.assertEqual(hl.status_of(got), 413, got[:300])
        self.assertIsNone(self.c.statement(st["id"]))
        self.assert_serving("an oversized chunked body")

    def test_a_small_chunked_body_is_accepted(self):
        st = hl.statement()
        body = json.dumps(st).encode()
        got = self.raw("POST /xapi/statements HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n", b"\r\n",
                       chunks=[b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)])
        self.assertEqual(hl.status_of(got), 200, got[:300])
        self.assertEqual(self.c.statement(st["id"])["id"], st["id"])

    def test_too_many_statements_in_a_batch(self):
        sts = [hl.statement("many%d" % i) for i in range(1001)]
        r = self.c.post(sts)
        self.assertEqual(r.status, 413, r)
        self.assertIsNone(self.c.statement(sts[0]["id"]))
        self.assertEqual(self.c.post(sts[:1000]).status, 200)
        self.assert_serving("1001 statements")

    def test_gzip_bomb(self):
        zeros = zlib.compressobj(9, zlib.DEFLATED, 31)
        bomb = b"".join(zeros.compress(b"\0" * MB) for _ in range(100)) + zeros.flush()
        self.assertLess(len(bomb), 1 * MB)
        r = self.c.post(bomb, headers={"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 413, r)
        # a bomb that inflates to a valid-looking JSON prefix followed by spaces
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        bomb = z.compress(b"[" + json.dumps(hl.statement()).encode()) + b"".join(
            z.compress(b" " * MB) for _ in range(40)) + z.compress(b"]") + z.flush()
        r = self.c.post(bomb, headers={"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 413, r)
        self.assert_serving("a gzip bomb")

    def test_bodies_that_say_gzip_but_are_not(self):
        st = hl.statement()
        good = gzip.compress(json.dumps(st).encode())
        for what, body in [("plain JSON", json.dumps(st).encode()),
                           ("truncated", good[:len(good) // 2]),
                           ("damaged", good[:12] + bytes(b ^ 0x5a for b in good[12:])),
                           ("empty", b""), ("zlib not gzip", zlib.compress(b"{}"))]:
            with self.subTest(what):
                r = self.c.post(body, headers={"Content-Encoding": "gzip"})
                self.assertEqual(r.status, 400, r)
        self.assertIsNone(self.c.statement(st["id"]))
        r = self.c.post(json.dumps(st).encode(), headers={"Content-Encoding": "br"})
        self.assertEqual(r.status, 415, r)
        # and a real gzip body is stored
        r = self.c.post(good, headers={"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.c.statement(st["id"])["id"], st["id"])
        self.assert_serving("bodies that say gzip")

    def test_long_and_many_query_parameters(self):
        r = self.c.get({"verb": "https://example.org/" + "v" * 5000})
        self.assertEqual(r.status, 400, r)
        r = self.c.request("GET", "/xapi/statements?" + "&".join(
            "limit=%d" % i for i in range(100)))
        self.assertEqual(r.status, 400, r)
        self.assert_serving("long queries")

    # --- strangers -------------------------------------------------------------------

    def test_bad_or_missing_credentials(self):
        st = hl.statement()
        other_key, other_secret = self.home.credentials("other")
        cases = [
            ("none", None),
            ("wrong secret", "Basic " + _b64("%s:%s" % (self.key, "0" * 64))),
            ("secret of another key", "Basic " + _b64("%s:%s" % (self.key, other_secret))),
            ("unknown key", "Basic " + _b64("%s:%s" % ("f" * 32, self.secret))),
            ("key alone", "Basic " + _b64(self.key)),
            ("empty", "Basic "),
            ("not base64", "Basic !!!***"),
            ("bearer", "Bearer " + self.secret),
            ("SQL as key", "Basic " + _b64("' OR '1'='1:' OR '1'='1")),
            ("huge secret", "Basic " + _b64("%s:%s" % (self.key, "a" * 6000))),
        ]
        for what, header in cases:
            with self.subTest(what):
                for method, path, body in [("POST", "/xapi/statements", st),
                                           ("GET", "/xapi/statements", None),
                                           ("PUT", "/xapi/statements?statementId=" + st["id"],
                                            st)]:
                    r = self.c.request(method, path, body=body, auth=False,
                                       headers={"Authorization": header})
                    self.assertEqual(r.status, 401, "%s %s: %r" % (what, method, r))
                    self.assertIn("Basic", r.header("WWW-Authenticate") or "", r.headers)
                    self.assertNotIn(b"canary", r.body)
        self.assertIsNone(self.c.statement(st["id"]), "a stranger's statement was stored")
        ok = hl.Client(self.hub, other_key, other_secret)
        self.assertEqual(ok.get({"limit": "1"}).status, 200)
        self.assert_serving("bad credentials")

    # --- strings that look like SQL ----------------------------------------------------

    def test_sql_looking_strings_are_stored_verbatim(self):
        act = "https://example.org/a');DROP/**/TABLE/**/statement;--?q=' OR 1=1"
        act = act.replace(" ", "%20")
        st = hl.statement(
            actor={"objectType": "Agent", "name": SQL,
                   "account": {"homePage": "https://example.org", "name": SQL}},
            verb={"id": "https://example.org/verbs/x'%3B--", "display": {"en": SQL}},
            obj={"objectType": "Activity", "id": act,
                 "definition": {"name": {"en": SQL}, "description": {"en-US": '"; --'},
                                "extensions": {"https://example.org/ext/'--": SQL}}},
            result={"response": SQL, "extensions": {"https://example.org/r": {SQL: [SQL]}}},
            context={"platform": SQL, "extensions": {
                hl.ORGANISATION: SQL, "https://example.org/x%27": "\\x00 %s" % SQL}})
        sent = json.loads(json.dumps(st))
        self.c.store(st)
        got = self.c.statement(st["id"])
        self.assertEqual(hl.without_server_fields(got), sent)
        # and found again by the same strings
        self.assertEqual(self.c.ids({"activity": act}), [st["id"]])
        self.assertEqual(self.c.ids({"agent": st["actor"]}), [st["id"]])
        self.assertEqual(self.c.ids({"verb": st["verb"]["id"]}), [st["id"]])
        self.assertEqual(self.c.ids({"activity": act.replace("'", "''")}), [])
        self.assertEqual(self.c.ids({"agent": {"account": {"homePage": "https://example.org",
                                                           "name": "' OR '1'='1"}}}), [])
        self.assert_serving("SQL-looking strings")

    def test_nul_in_a_string_is_kept_or_refused(self):
        st = hl.statement(result={"response": "a\u0000b"})
        r = self.c.post(st)
        if r.status == 200:
            self.assertEqual(self.c.statement(st["id"])["result"]["response"], "a\u0000b")
        else:
            self.assertEqual(r.status, 400, r)
            self.assertIsNone(self.c.statement(st["id"]))

    # --- many at once --------------------------------------------------------------------

    def test_200_parallel_requests(self):
        sts = [hl.statement("par%d" % i) for i in range(100)]
        self.c.store([hl.statement("before%d" % i) for i in range(5)])

        def one(i):
            c = hl.Client(self.hub, self.key, self.secret, timeout=120)
            if i % 2 == 0:
                return c.post(sts[i // 2])
            return c.get({"limit": "5"})
        with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(one, range(200)))
        bad = [r for r in results if r.status != 200]
        self.assertEqual(bad, [], "%d of 200 parallel requests failed" % len(bad))
        for i, r in enumerate(results):
            if i % 2 == 0:
                self.assertEqual(r.json(), [sts[i // 2]["id"]])
            else:
                self.assertEqual(len(r.json()["statements"]), 5)
        stored = set(self.c.ids({"limit": "0", "verb": hl.VERB + "experienced"}))
        missing = [st["id"] for st in sts if st["id"] not in stored]
        self.assertEqual(missing, [], "acknowledged statements are missing")
        self.assert_serving("200 parallel requests")

    def test_same_statement_from_many_clients_at_once(self):
        st = hl.statement("race")

        def one(_):
            return hl.Client(self.hub, self.key, self.secret, timeout=120).post(st)
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(one, range(50)))
        self.assertEqual([r.status for r in results], [200] * 50)
        self.assertEqual(self.c.ids({"agent": hl.agent("race")}), [st["id"]])

    def test_half_requests_and_silence(self):
        for data in [b"POST /xapi/statements HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
                     b"GET /xapi/statements HTTP/1.1\r\n", b"\r\n\r\n", b"GARBAGE\r\n\r\n",
                     b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n"]:
            with self.subTest(data=data[:30]):
                hl.raw_exchange(self.hub.port, data, timeout=1)
                self.assert_serving("a half request")


class DeadlineHub(testlib.Server):
    """`relais-hub serve` with extra options."""

    what = "relais-hub serve"

    def __init__(self, db, *options):
        super().__init__([testlib.HUB, *db.serve_args(), "--listen", "127.0.0.1:0"]
                         + list(options), env=testlib.hub_env())


def closed_by_peer(s):
    """Whether the hub ended the connection s (reading only; s is non-blocking): raises if it
    answered instead."""
    try:
        data = s.recv(4096)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    if data:
        raise AssertionError("the hub answered a request still coming in: %r" % data[:100])
    return True


class Deadlines(unittest.TestCase):
    """Clients that send their headers or bodies a few bytes at a time (slowloris) are cut
    at their deadline, however they space their bytes, and the hub goes on serving."""

    HEADER_S, BODY_S, RATE = 2, 2, 1000
    SLACK_S = 40  # closures are counted up to deadline + this; the idle timeout is 30 s

    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.home.credentials("deadlines")
        # 300 slow connections from one address fill its slots (--max-per-address 300).
        cls.hub = DeadlineHub(cls.home, "--header-timeout", str(cls.HEADER_S),
                              "--body-timeout", str(cls.BODY_S),
                              "--body-min-rate", str(cls.RATE), "--max-per-address", "300")
        cls.addClassCleanup(cls.hub.stop)
        cls.c = hl.Client(cls.hub, cls.key, cls.secret)

    def drip(self, socks, piece, limit_s):
        """Sends piece(i) on each open socket every 0.2 s (so the 30 s idle timeout never
        comes) until the hub has closed them all or limit_s passed; returns how many it
        closed."""
        open_ = dict(enumerate(socks))
        end = time.monotonic() + limit_s
        k = 0
        while open_ and time.monotonic() < end:
            readable, _, _ = select.select(list(open_.values()), [], [], 0.2)
            for s in readable:
                if closed_by_peer(s):
                    open_ = {i: o for i, o in open_.items() if o is not s}
            for i, s in list(open_.items()):
                try:
                    s.send(piece(k))
                except (BrokenPipeError, ConnectionResetError):
                    del open_[i]
                except BlockingIOError:
                    pass
            k += 1
        return len(socks) - len(open_)

    def test_300_slowloris_are_cut_and_a_laptop_posts_meanwhile(self):
        socks = []
        try:
            for _ in range(300):
                s = socket.socket()
                s.bind(("127.0.0.2", 0))
                s.connect(("127.0.0.1", self.hub.port))
                s.setblocking(False)
                s.send(b"POST /xapi/statements HTTP/1.1\r\nHost: hub\r\n")
                socks.append(s)
            st = hl.statement("laptop")
            self.assertEqual(self.c.post(st).status, 200, "a laptop's POST among 300 slowloris")
            closed = self.drip(socks, lambda k: b"X-Slow-%d: 1\r\n" % k,
                               self.HEADER_S + self.SLACK_S)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(closed, 300, "slow connections closed by the hub within %d s"
                         % (self.HEADER_S + self.SLACK_S))
        self.assertEqual(self.c.statement(st["id"])["id"], st["id"])
        # Their address's slots are free again: a request from it is answered.
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(30)
        try:
            s.connect(("127.0.0.1", self.hub.port))
            s.sendall(b"GET /xapi/about HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
            got = b""
            while not netlib.response_complete(got):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        finally:
            s.close()
        self.assertEqual(netlib.status_of(got), 200, got[:200])

    def test_trickled_bodies_are_cut(self):
        body = json.dumps([hl.statement("trickle") for _ in range(10)]).encode()
        head = ("POST /xapi/statements HTTP/1.1\r\nHost: hub\r\nAuthorization: %s\r\n"
                "X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n"
                % self.c.auth_header())
        for framing, piece in [
                ("Content-Length: %d\r\n\r\n" % len(body),
                 lambda k: body[k:k + 1]),
                ("Transfer-Encoding: chunked\r\n\r\n",
                 lambda k: b"1\r\n" + body[k:k + 1] + b"\r\n")]:
            with self.subTest(framing=framing.split(":")[0]):
                s = socket.create_connection(("127.0.0.1", self.hub.port))
                try:
                    s.sendall((head + framing).encode())
                    s.setblocking(False)
                    # Due within 2 s + its length / 1000 s; 5 bytes a second would need minutes.
                    closed = self.drip([s], piece,
                                       self.BODY_S + len(body) // self.RATE + self.SLACK_S)
                finally:
                    s.close()
                self.assertEqual(closed, 1, "a trickled body was cut")
        self.assertEqual(self.c.get({"agent": hl.agent("trickle")}).json()["statements"], [])
        st = hl.statement("brisk")
        self.assertEqual(self.c.post(st).status, 200, "a body sent at once is served")


def _b64(s):
    import base64
    return base64.b64encode(s.encode()).decode()


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = hl.make_hub_db(cls)
        key, secret = cls.home.credentials()
        cls.home.coordinator("coord@example.org")
        cls.hub = hl.start_hub(cls, cls.home)
        cls.c = hl.Client(cls.hub, key, secret)

    def browser(self):
        return hl.Client(self.hub, version=None)

    def login(self, email="coord@example.org", password=hl.PASSWORD):
        b = self.browser()
        form = urllib.parse.urlencode({"email": email, "password": password}).encode()
        r = b.request("POST", "/reports/login", body=form,
                      content_type="application/x-www-form-urlencoded")
        return b, r

    def test_dashboard_needs_a_login(self):
        b = self.browser()
        for path in ["/reports", "/reports/", "/reports/completions-by-course.csv",
                     "/reports/quiz-results.json", "/reports/nothing"]:
            with self.subTest(path=path):
                r = b.request("GET", path)
                self.assertEqual(r.status, 303, r)
                self.assertEqual(r.header("Location"), "/reports/login")
                self.assertNotIn(b"completions", r.body)
        r = b.request("GET", "/reports/login")
        self.assertEqual(r.status, 200)
        self.assertIn(b'name="password"', r.body)
        b.cookies["relais_hub_session"] = "0" * 32
        self.assertEqual(b.request("GET", "/reports").status, 303)

    def test_pages_come_with_their_stylesheet(self):
        # The pages and the stylesheet are files built into relais-hub: a page
        # that names the stylesheet must get one, served without a login.
        b = self.browser()
        page = b.request("GET", "/reports/login")
        self.assertEqual(page.status, 200, page)
        self.assertTrue(page.header("Content-Type").startswith("text/html"))
        self.assertIn(b"<title>relais hub: reports</title>", page.body)
        self.assertIn(b'<form method="post" action="/reports/login">', page.body)
        self.assertIn(b'href="/reports/style.css"', page.body)
        self.assertNotIn(b"{{", page.body)
        self.assertNotIn(b"Wrong email or password", page.body)
        css = b.request("GET", "/reports/style.css")
        self.assertEqual(css.status, 200, css)
        self.assertTrue(css.header("Content-Type").startswith("text/css"))
        self.assertIn(b"border-collapse", css.body)
        b, r = self.login()
        page = b.request("GET", "/reports")
        self.assertIn(b'href="/reports/style.css"', page.body)
        self.assertIn(b"Signed in as coord@example.org.", page.body)
        self.assertNotIn(b"{{", page.body)

    def test_wrong_password_gets_no_cookie(self):
        for email, password in [("coord@example.org", "wrong password!"),
                                ("coord@example.org", ""),
                                ("coord@example.org", hl.PASSWORD + " "),
                                ("nobody@example.org", hl.PASSWORD),
                                ("' OR 1=1 --", hl.PASSWORD)]:
            with self.subTest(email=email, password=password):
                b, r = self.login(email, password)
                self.assertEqual(r.status, 401, r)
                self.assertEqual(r.header_all("Set-Cookie"), [])
                self.assertIn(b"Wrong email or password", r.body)
                self.assertEqual(b.request("GET", "/reports").status, 303)

    def test_right_password_opens_the_tables(self):
        b, r = self.login("Coord@Example.org")
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("Location"), "/reports")
        cookie = r.header("Set-Cookie")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        page = b.request("GET", "/reports")
        self.assertEqual(page.status, 200, page)
        body = b"".join(b.request("GET", p).body for p in ("/reports", "/reports/quizzes",
                                                           "/reports/learners"))
        for name in hl.REPORTS:
            if name != "completions-over-time":  # its files are linked under the chart
                self.assertIn(('<h2 id="%s">' % name).encode(), body)
            self.assertIn(('href="/reports/%s.csv"' % name).encode(), body)
            r = b.request("GET", "/reports/%s.csv" % name)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.header("Content-Type").startswith("text/csv"))
            r = b.request("GET", "/reports/%s.json" % name)
            self.assertIsInstance(r.json(), list)
        # another site's form is refused even with the right password
        form = urllib.parse.urlencode({"email": "coord@example.org",
                                       "password": hl.PASSWORD}).encode()
        r = self.browser().request("POST", "/reports/login", body=form,
                                   content_type="application/x-www-form-urlencoded",
                                   headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.header_all("Set-Cookie"), [])
        # signing out ends the session
        self.assertEqual(b.request("POST", "/reports/logout", body=b"",
                                   content_type=None).status, 200)
        self.assertEqual(b.request("GET", "/reports").status, 303)

    def test_csv_cells_cannot_become_formulas(self):
        traps = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                 "\tTAB", "=cmd|' /C calc'!A0"]
        for i, trap in enumerate(traps):
            self.c.store(hl.completion("trap-course", "trap%d@example.org" % i, name=trap,
                                       organisation=trap))
        b, r = self.login()
        self.assertEqual(r.status, 303)
        for table, column in [("completions-by-learner", "learner"),
                              ("completions-by-learner", "organisation"),
                              ("completions-by-organisation", "organisation")]:
            with self.subTest(table=table, column=column):
                r = b.request("GET", "/reports/%s.csv" % table)
                rows = list(csv.DictReader(io.StringIO(r.text)))
                cells = sorted(row[column] for row in rows if row["course"] == "trap-course")
                self.assertEqual(cells, sorted("'" + t for t in traps))
                for row in rows:
                    for cell in row.values():
                        self.assertNotIn(cell[:1], ("=", "+", "-", "@", "\t"), row)
        # the command's CSV is the same
        out = self.home.run("report", "--format", "csv", "--table",
                            "completions-by-learner").stdout
        for row in csv.DictReader(io.StringIO(out)):
            for cell in row.values():
                self.assertNotIn(cell[:1], ("=", "+", "-", "@", "\t"), row)
        # the JSON keeps the names as they are
        by_learner = json.loads(b.request("GET", "/reports/completions-by-learner.json").body)
        self.assertEqual(sorted(r["learner"] for r in by_learner
                                if r["course"] == "trap-course"), sorted(traps))

    def test_html_table_escapes_names(self):
        self.c.store(hl.completion("xss-course", "xss@example.org",
                                   name="<script>alert(1)</script>"))
        b, _ = self.login()
        page = b.request("GET", "/reports/learners")
        self.assertNotIn(b"<script>alert(1)</script>", page.body)
        self.assertIn(b"&lt;script&gt;alert(1)&lt;/script&gt;", page.body)

    def test_a_completion_counts_once_in_any_order(self):
        course = "once-" + uuid.uuid4().hex[:8]
        times = ["2026-11-2%dT10:00:00.000Z" % d for d in (5, 3, 9, 4, 6)]
        sts = [hl.completion(course, "ama@example.org", "Ama", "MAE", t) for t in times]
        random.Random(7).shuffle(sts)
        for i, st in enumerate(sts):
            if i % 2:
                self.c.store(st)
            else:
                self.c.store([st])
        # another learner, once; and a third whose only completion is voided
        self.c.store(hl.completion(course, "kofi@example.org", "Kofi", "MAE"))
        gone = self.c.store(hl.completion(course, "yaw@example.org", "Yaw", "MAE"))[0]
        self.c.store(hl.voiding(gone))
        # and the first learner's completions sent again, as a retry would
        self.c.store(sts)
        report = self.home.report_json()
        by_course = [r for r in report["completions-by-course"] if r["course"] == course]
        self.assertEqual(len(by_course), 1, report["completions-by-course"])
        self.assertEqual(by_course[0]["completions"], 2)
        learners = [r for r in report["completions-by-learner"] if r["course"] == course]
        self.assertEqual(sorted(r["email"] for r in learners),
                         ["ama@example.org", "kofi@example.org"])
        ama = [r for r in learners if r["email"] == "ama@example.org"][0]
        self.assertEqual(ama["completed"], min(times))
        by_org = [r for r in report["completions-by-organisation"] if r["course"] == course]
        self.assertEqual(by_org, [{"organisation": "MAE", "course": course, "completions": 2}])
        over_time = [r for r in report["completions-over-time"] if r["course"] == course]
        self.assertEqual(sum(r["completions"] for r in over_time), 2)


if __name__ == "__main__":
    testlib.main()
