#!/usr/bin/env python3
"""test_hostile.py: requests another site, another account or a broken client might send are
refused, record nothing, leak nothing, and leave the reader serving the learner."""
import os
import re
import sqlite3
import sys
import time
import signal
import socket
import unittest
import json
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import readerlib as rl  # noqa: E402

LIBRARY_TITLE = "Your courses"
LESSON = "/c/%s/lessons/01-ihr-framework.html" % rl.COURSE_ID
FORM = "application/x-www-form-urlencoded"
MB = 1024 * 1024

# Bytes that must never come out of the reader: files outside the course, the database.
OUTSIDE_SECRETS = [b"root:x:0:0", b"root:", b"SQLite format 3"]


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        with zipfile.ZipFile(os.path.join(cls.home.root, "mh.relais")) as z:
            cls.manifest = z.read("manifest.json")
            cls.signature = z.read("manifest.json.minisig")

    def setUp(self):
        self.reader = rl.Reader(self.home)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.learner = rl.Client(self.reader)
        self.opened = self.learner.open_session()
        self.token = self.learner.choose_learner()
        self.outbox_before = self.outbox_count()

    # --- helpers -------------------------------------------------------------------------

    def outbox_count(self):
        db = sqlite3.connect(self.home.db, timeout=10)
        try:
            return db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        finally:
            db.close()

    def assert_serving(self, after):
        """The reader is up and the learner's library still opens."""
        if not self.reader.alive():
            self.fail("the reader exited (status %s) after %s: %s" % (
                self.reader.proc.returncode, after, self.reader.stderr_text()[-2000:]))
        try:
            r = self.learner.get("/")
        except OSError as e:
            self.fail("the library did not open after %s: %s" % (after, e))
        self.assertEqual(r.status, 200, "library after %s: %r" % (after, r))
        self.assertIn(LIBRARY_TITLE, r.text, after)

    def assert_nothing_recorded(self, after):
        self.assertEqual(self.outbox_count(), self.outbox_before,
                         "a refused request was recorded: %s" % after)

    def assert_no_leak(self, r, what):
        for secret in OUTSIDE_SECRETS + [self.manifest[:60], self.signature[:40]]:
            self.assertNotIn(secret, r.body, "%s leaked %r" % (what, secret))

    def quiz_fields(self, token=None):
        page = self.learner.get(rl.QUIZ_PAGE)
        self.assertEqual(page.status, 200, page)
        fields = [("token", self.token if token is None else token)]
        for _, inputs in rl.quiz_questions(page.text):
            name, kind, values = inputs[0]
            fields.append((name, values[0] if values else "38"))
        return fields

    def raw(self, data, timeout=10.0):
        return rl.raw_exchange(self.reader.port, data, timeout=timeout)

    def head(self, method, path, extra=b"", cookie=True):
        h = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), path.encode(),
                                                 self.reader.host.encode())
        if cookie:
            h += b"Cookie: relais_session=%s\r\n" % self.learner.cookies["relais_session"].encode()
        return h + extra

    # --- who may ask ---------------------------------------------------------------------

    def test_wrong_host_is_refused(self):
        port = self.reader.port
        for host in ["evil.example:%d" % port, "127.0.0.1:1", "127.0.0.1", "localhost",
                     "127.0.0.1:%d.evil.example" % port, "evil.example", "[::1]:%d" % port,
                     "127.0.0.2:%d" % port, "127.0.0.1:%d " % port + "x"]:
            with self.subTest(host=host):
                r = self.learner.get("/", headers={"Host": host})
                self.assertIn(r.status, (421, 403), r)
                self.assertNotIn(rl.LEARNER_NAME.encode(), r.body)
                self.assert_serving("Host: %s" % host)
        # A request without any Host header is not the reader's own page either.
        got = self.raw(b"GET / HTTP/1.1\r\nCookie: relais_session=%s\r\n\r\n" %
                       self.learner.cookies["relais_session"].encode())
        self.assertIn(rl.status_of(got), (400, 403, 421), got[:200])
        self.assert_serving("no Host header")
        # The other name of the same address is the reader.
        r = self.learner.get("/", headers={"Host": "localhost:%d" % port})
        self.assertEqual(r.status, 200, r)

    def test_no_session_is_refused(self):
        stranger = rl.Client(self.reader)
        wrong = "0" * 32 if self.reader.secret != "0" * 32 else "1" * 32
        for path in ["/", "/who", "/outbox", LESSON, rl.QUIZ_PAGE, "/?k=", "/?k=" + wrong,
                     "/?k=" + self.reader.secret[:-1], "/?k=" + self.reader.secret + "0",
                     "/?k=" + self.reader.secret.upper(), "/static/style.css"]:
            with self.subTest(path=path):
                r = stranger.get(path)
                self.assertEqual(r.status, 403, r)
                self.assertIsNone(r.header("Set-Cookie"), "a session was handed out")
                self.assert_serving("GET %s without a session" % path)
        for cookie in ["relais_session=" + "0" * 32, "relais_session=",
                       "relais_session=" + self.learner.cookies["relais_session"][:-1],
                       "other=" + self.learner.cookies["relais_session"]]:
            with self.subTest(cookie=cookie):
                r = stranger.get("/", headers={"Cookie": cookie})
                self.assertEqual(r.status, 403, r)
                self.assert_serving("a forged cookie")
        # The launch secret opens a session by GET only, never by a form.
        r = stranger.post("/?k=" + self.reader.secret, [("token", self.token)])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(stranger.cookies, {})
        r = stranger.post(rl.QUIZ_ACTION + "?k=" + self.reader.secret,
                          self.quiz_fields())
        self.assertEqual(r.status, 403, r)
        self.assert_nothing_recorded("a quiz POST without a session")
        self.assert_serving("POST with the launch secret")

    def test_post_without_the_sessions_token_is_refused(self):
        # The launch address opens one session: another session's token comes from
        # another run of the reader on the same home.
        earlier = rl.Reader(self.home)
        try:
            other = rl.Client(earlier)
            other.open_session()
            other_token = other.choose_learner()
        finally:
            earlier.stop(signal.SIGTERM)
        self.assertNotEqual(other_token, self.token)
        cases = {
            "no token": [f for f in self.quiz_fields() if f[0] != "token"],
            "empty token": self.quiz_fields(""),
            "wrong token": self.quiz_fields("f" * 32),
            "short token": self.quiz_fields(self.token[:-1]),
            "long token": self.quiz_fields(self.token + "0"),
            "another session's token": self.quiz_fields(other_token),
            "token twice, first wrong": [("token", "f" * 32)] + self.quiz_fields(),
        }
        for name, fields in cases.items():
            with self.subTest(case=name):
                r = self.learner.post(rl.QUIZ_ACTION, fields)
                self.assertEqual(r.status, 403, r)
                self.assertNotIn(rl.SAVED, r.text)
                self.assert_nothing_recorded(name)
                self.assert_serving("quiz POST with %s" % name)
        for path in ["/who/choose", "/who/add", "/c/%s/read/screening" % rl.COURSE_ID]:
            with self.subTest(path=path):
                r = self.learner.post(path, [("profile", "1"), ("name", "Mallory"),
                                             ("email", "m@example.org")])
                self.assertEqual(r.status, 403, r)
                self.assert_serving("POST %s without token" % path)
        self.assert_nothing_recorded("forms without token")
        # The same form with the session's own token is saved: the refusals above were
        # about the token, nothing else.
        r = self.learner.post(rl.QUIZ_ACTION, self.quiz_fields())
        self.assertEqual(r.status, 200, r)
        self.assertIn(rl.SAVED, r.text)
        self.assertGreater(self.outbox_count(), self.outbox_before)

    def test_post_from_another_origin_is_refused(self):
        port = self.reader.port
        for origin in ["http://evil.example", "null", "http://127.0.0.1:1",
                       "https://127.0.0.1:%d" % port, "http://127.0.0.1:%d.evil.example" % port,
                       "http://evil.example:%d" % port, ""]:
            with self.subTest(origin=origin):
                r = self.learner.post(rl.QUIZ_ACTION, self.quiz_fields(),
                                      headers={"Origin": origin})
                self.assertEqual(r.status, 403, r)
                self.assert_nothing_recorded("Origin: %s" % origin)
                self.assert_serving("POST with Origin: %s" % origin)
        for origin in ["http://127.0.0.1:%d" % port, "http://localhost:%d" % port]:
            with self.subTest(origin=origin):
                r = self.learner.post(rl.QUIZ_ACTION, self.quiz_fields(),
                                      headers={"Origin": origin})
                self.assertEqual(r.status, 200, r)
                self.assertIn(rl.SAVED, r.text)

    # --- what may be read ----------------------------------------------------------------

    def test_traversal_is_not_found(self):
        paths = [
            "/c/%s/../../etc/passwd" % rl.COURSE_ID,
            "/c/%s/%%2e%%2e/%%2e%%2e/etc/passwd" % rl.COURSE_ID,
            "/c/%s/lessons/..%%2f..%%2fmanifest.json" % rl.COURSE_ID,
            "/c/%s/lessons/../manifest.json" % rl.COURSE_ID,
            "/c/%s/lessons/%%2e%%2e/%%2e%%2e/%%2e%%2e/%%2e%%2e/etc/passwd" % rl.COURSE_ID,
            "/c/%s/..%%5c..%%5cetc%%5cpasswd" % rl.COURSE_ID,
            "/c/%s//etc/passwd" % rl.COURSE_ID,
            "/c/%s/%%2fetc%%2fpasswd" % rl.COURSE_ID,
            "/c/%s/./lessons/01-ihr-framework.html" % rl.COURSE_ID,
            "/c/..%2f/",
            "/c/../relais.db",
            "/c/%2e%2e/relais.db",
            "/c/%2e%2e%2f%2e%2e%2fetc%2fpasswd/x",
            "/static/../relais.db",
            "/static/..%2frelais.db",
            "/static/%2e%2e/%2e%2e/etc/passwd",
            "/static//etc/passwd",
            "/../../../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
        ]
        for path in paths:
            with self.subTest(path=path):
                r = self.learner.get(path)
                self.assertIn(r.status, (400, 404), r)
                self.assert_no_leak(r, path)
                self.assert_serving("GET %s" % path)
        # The absolute form of a request line is no way around it either.
        got = self.raw(self.head("GET", "http://%s/c/%s/../../etc/passwd" % (
            self.reader.host, rl.COURSE_ID)) + b"\r\n")
        self.assertIn(rl.status_of(got), (400, 404), got[:300])
        self.assertNotIn(b"root:", got)
        self.assert_serving("absolute-form traversal")
        # The lesson itself is there: the refusals above are about the paths.
        r = self.learner.get(LESSON)
        self.assertEqual(r.status, 200, r)

    def test_nul_in_path_is_not_found(self):
        # A path the learner's browser never asks for: the reader must not answer it with
        # the entry the path would be if cut at the NUL.
        for path in [LESSON + "%00.png", LESSON + "%00/../../manifest.json",
                     "/c/%s/%%00" % rl.COURSE_ID, "/%00"]:
            with self.subTest(path=path):
                r = self.learner.get(path)
                self.assertIn(r.status, (400, 404), r)
                self.assert_serving("GET %s" % path)

    def test_entries_outside_the_manifest_are_not_served(self):
        for entry in ["manifest.json", "manifest.json.minisig", "MANIFEST.JSON",
                      "lessons/01-ihr-framework.md", "quiz/evaluation.gift", "course.json",
                      "lessons/", "media/"]:
            with self.subTest(entry=entry):
                r = self.learner.get("/c/%s/%s" % (rl.COURSE_ID, entry))
                self.assertEqual(r.status, 404, r)
                self.assert_no_leak(r, entry)
                self.assert_serving("GET %s" % entry)
        # The quiz is a form, not its answer key.
        r = self.learner.get(rl.QUIZ_PAGE)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/html"), r.headers)
        self.assertNotIn("proportionality principle", r.text)

    # --- what a request may weigh --------------------------------------------------------

    def test_oversized_form_is_refused(self):
        body = ("token=%s&" % self.token).encode() + b"q-fever-threshold=" + b"3" * MB
        cases = {
            "Content-Length": self.head("POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\n"
                                        b"Content-Length: %d\r\n\r\n" % (FORM.encode(),
                                                                         len(body))) + body,
            "chunked": self.head("POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n" % FORM.encode()) +
            b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                     for i in range(0, len(body), 8192)) + b"0\r\n\r\n",
            "just over 64 KiB": self.head("POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\n"
                                          b"Content-Length: %d\r\n\r\n" % (
                                              FORM.encode(), 64 * 1024 + 1)) +
            body[:64 * 1024 + 1],
            "one long value": self.head("POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\n"
                                        b"Content-Length: %d\r\n\r\n" % (FORM.encode(),
                                                                         len(body[:9000]))) +
            body[:9000],
            "Content-Length of 10^23": self.head(
                "POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\nContent-Length: "
                b"99999999999999999999999\r\n\r\n" % FORM.encode()) + body[:1000],
        }
        for name, data in cases.items():
            with self.subTest(case=name):
                got = self.raw(data)
                self.assertEqual(rl.status_of(got), 413, got[:300])
                self.assert_nothing_recorded(name)
                self.assert_serving("a 1 MB form (%s)" % name)
        # Neither length nor chunks: the body is no form, and whatever follows is refused.
        got = self.raw(self.head("POST", rl.QUIZ_ACTION, b"Content-Type: %s\r\n\r\n" %
                                 FORM.encode()) + body)
        self.assertIn(rl.status_of(got), (400, 403, 411, 413), got[:300])
        self.assert_nothing_recorded("a form without length")
        self.assert_serving("a 1 MB form without length")

    def test_many_fields_are_refused(self):
        for n in [5000, 20000]:
            with self.subTest(fields=n):
                fields = self.quiz_fields() + [("q-x%d" % i, "1") for i in range(n)]
                r = self.learner.post(rl.QUIZ_ACTION, fields)
                self.assertEqual(r.status, 413, r)
                self.assert_nothing_recorded("%d fields" % n)
                self.assert_serving("a form with %d fields" % n)
        # The same field 5000 times.
        fields = self.quiz_fields() + [("q-fever-threshold", "38")] * 5000
        r = self.learner.post(rl.QUIZ_ACTION, fields)
        self.assertEqual(r.status, 413, r)
        self.assert_nothing_recorded("one field repeated")
        self.assert_serving("one field repeated 5000 times")

    def test_non_form_post_is_refused(self):
        token = self.token.encode()
        cases = [
            ("application/json", b'{"token": "%s", "q-fever-threshold": "38"}' % token),
            ("text/plain", b"token=%s&q-fever-threshold=38" % token),
            (None, b"token=%s&q-fever-threshold=38" % token),
            ("multipart/form-data; boundary=XX",
             b"--XX\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n%s\r\n"
             b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
             b"Content-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n" % token),
        ]
        for ctype, body in cases:
            with self.subTest(content_type=ctype):
                r = self.learner.request("POST", rl.QUIZ_ACTION, body=body,
                                         headers={"Content-Type": ctype})
                self.assertEqual(r.status, 400, r)
                self.assert_nothing_recorded("POST as %s" % ctype)
                self.assert_serving("POST as %s" % ctype)

    def test_unknown_methods_are_refused(self):
        for method in ["PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "PROPFIND", "get",
                       "FOO"]:
            with self.subTest(method=method):
                r = self.learner.request(method, "/")
                self.assertEqual(r.status, 405, r)
                self.assertNotIn(rl.LEARNER_NAME.encode(), r.body)
                self.assert_serving(method)
        for method, path in [("PUT", LESSON), ("DELETE", rl.QUIZ_ACTION),
                             ("TRACE", "/outbox")]:
            with self.subTest(method=method, path=path):
                r = self.learner.request(method, path, body=b"token=" + self.token.encode(),
                                         headers={"Content-Type": FORM})
                self.assertEqual(r.status, 405, r)
                self.assert_nothing_recorded("%s %s" % (method, path))
                self.assert_serving("%s %s" % (method, path))

    def test_huge_url_and_headers_are_refused(self):
        big = 100 * 1024
        cases = {
            "URL": self.head("GET", "/" + "a" * big) + b"\r\n",
            "query": self.head("GET", "/search?q=" + "a" * big) + b"\r\n",
            "header": self.head("GET", "/", b"X-Big: " + b"a" * big + b"\r\n") + b"\r\n",
            "cookie": self.head("GET", "/", b"Cookie: " + b"a=b; " * (big // 5) + b"\r\n",
                                cookie=False) + b"\r\n",
            "10000 headers": self.head("GET", "/", b"".join(b"X-%d: y\r\n" % i
                                                            for i in range(10000))) + b"\r\n",
            "Host": b"GET / HTTP/1.1\r\nHost: " + b"a" * big + b"\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(case=name):
                got = self.raw(data)
                status = rl.status_of(got)
                self.assertIsNotNone(status, "no answer to a 100 KB %s: %r" % (name, got))
                self.assertTrue(400 <= status < 500, got[:300])
                self.assert_serving("a 100 KB %s" % name)

    def test_partial_requests_do_not_block_others(self):
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        partials = [self.head("GET", "/")[:-10],                      # headers cut short
                    b"G",                                             # one byte
                    self.head("POST", rl.QUIZ_ACTION,
                              b"Content-Type: %s\r\nContent-Length: 5000\r\n\r\n" %
                              FORM.encode()) + b"token=",             # body cut short
                    self.head("POST", rl.QUIZ_ACTION,
                              b"Content-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"100\r\nabc" % FORM.encode())]         # a chunk cut short
        for i in range(24):
            s = socket.create_connection(("127.0.0.1", self.reader.port), timeout=5)
            s.sendall(partials[i % len(partials)])
            held.append(s)
        time.sleep(0.2)
        start = time.monotonic()
        fresh = rl.Client(self.reader, timeout=5.0)
        fresh.cookies = dict(self.learner.cookies)
        r = fresh.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertLess(time.monotonic() - start, 3.0, "a normal request waited behind them")
        r = fresh.post(rl.QUIZ_ACTION, self.quiz_fields())
        self.assertIn(rl.SAVED, r.text)
        self.assertLess(time.monotonic() - start, 3.0)
        for s in held:
            s.close()
        held.clear()
        self.assert_serving("24 partial requests")

    def test_launch_address_opens_one_session(self):
        # 40 strangers with the printed address neither get a session nor push the
        # learner's out; the learner's cookie goes on working.
        for i in range(40):
            stranger = rl.Client(self.reader)
            r = stranger.get("/?k=" + self.reader.secret, cookie=False)
            self.assertEqual(r.status, 403, r)
            self.assertIsNone(r.header("Set-Cookie"), "a session was handed out")
            self.assertIn("restart relais read", r.text)
        r = self.learner.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertIn(LIBRARY_TITLE, r.text)
        r = self.learner.post(rl.QUIZ_ACTION, self.quiz_fields())
        self.assertIn(rl.SAVED, r.text)

    def test_held_connections_do_not_lock_the_learner_out(self):
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        for i in range(120):
            s = socket.create_connection(("127.0.0.1", self.reader.port), timeout=5)
            if i % 2:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
            held.append(s)
        time.sleep(0.3)
        for i in range(3):
            start = time.monotonic()
            fresh = rl.Client(self.reader, timeout=5.0)
            fresh.cookies = dict(self.learner.cookies)
            try:
                r = fresh.get("/")
            except OSError as e:
                self.fail("the learner was locked out by 120 held connections: %s" % e)
            self.assertEqual(r.status, 200, r)
            self.assertLess(time.monotonic() - start, 3.0, "the learner waited behind them")
        self.assert_serving("120 held connections")

    def test_idle_connections_are_closed(self):
        s = socket.create_connection(("127.0.0.1", self.reader.port), timeout=25)
        self.addCleanup(s.close)
        start = time.monotonic()
        try:
            got = s.recv(1)
        except (socket.timeout, ConnectionResetError):
            got = None
        self.assertEqual(got, b"", "a silent connection was still open after %.0f s" %
                         (time.monotonic() - start))
        self.assertLess(time.monotonic() - start, 20)

    # --- what every answer says about itself ---------------------------------------------

    def test_security_headers(self):
        opened = self.opened
        cookie = opened.header("Set-Cookie")
        self.assertRegex(cookie, r"^relais_session=[0-9a-f]{32};")
        attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=strict", attrs)
        self.assertIn("path=/", attrs)
        self.assertEqual(opened.header("Location"), "/")
        self.assertEqual(opened.header("X-Content-Type-Options"), "nosniff")
        answers = {
            "library": self.learner.get("/"),
            "lesson": self.learner.get(LESSON),
            "quiz": self.learner.get(rl.QUIZ_PAGE),
            "outbox": self.learner.get("/outbox"),
            "who": self.learner.get("/who"),
            "media": self.learner.get("/c/%s/media/ihr-actors.svg" % rl.COURSE_ID),
            "static": self.learner.get("/static/style.css"),
            "not found": self.learner.get("/c/%s/nothing.html" % rl.COURSE_ID),
            "no session": rl.Client(self.reader).get("/"),
            "wrong host": self.learner.get("/", headers={"Host": "evil.example"}),
            "bad method": self.learner.request("PUT", "/"),
            "bad token": self.learner.post(rl.QUIZ_ACTION, [("token", "0" * 32)]),
        }
        for name, r in answers.items():
            with self.subTest(answer=name):
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r.headers)
                csp = r.header("Content-Security-Policy")
                self.assertIsNotNone(csp, "%s: %r" % (name, r.headers))
                self.assertRegex(csp, r"default-src '(none|self)'")
                self.assertNotIn("unsafe-eval", csp)
                self.assertIsNone(r.header("Set-Cookie"), name)
        for name in ["library", "lesson", "quiz", "outbox", "who"]:
            with self.subTest(page=name):
                r = answers[name]
                self.assertEqual(r.status, 200, r)
                csp = r.header("Content-Security-Policy")
                self.assertIn("script-src 'self'", csp)
                self.assertIn("frame-ancestors 'none'", csp)
                self.assertNotIn("unsafe-inline", csp.split("script-src", 1)[1].split(";")[0])
        media = answers["media"]
        self.assertEqual(media.status, 200, media)
        self.assertIn("sandbox", media.header("Content-Security-Policy"))


class HostileLesson(unittest.TestCase):
    """A bundle signed by a trusted key but not made by relais pack: its lesson carries an
    unclosed form, a meta refresh, a base, javascript: and data: links, style and on*."""

    HOSTILE = (b'<meta http-equiv="refresh" content="0;url=https://evil.example/phish">'
               b'<base href="https://evil.example/">'
               b'<h1>Hostile</h1><p>Kept words.</p><p><a href="javascript:alert(1)">js</a> '
               b'<a href=" data:text/html,x">data</a> <a href="02-screening.html">next</a></p>'
               b'<style>button{display:none}</style><p onclick="x()">para</p>'
               b'<form action="/who/choose" method="post">'
               b'<input type="hidden" name="profile" value="99"><p>Read on')

    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        bundle = os.path.join(cls.home.root, "hostile.relais")
        rl.resign_bundle(os.path.join(cls.home.root, "mh.relais"), bundle,
                         os.path.join(cls.home.root, "k.key"),
                         {"lessons/01-ihr-framework.html": cls.HOSTILE}, version=2)
        cls.home.run("install", bundle)

    def setUp(self):
        self.reader = rl.Reader(self.home)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.learner = rl.Client(self.reader)
        self.learner.open_session()
        self.token = self.learner.choose_learner()

    def test_lesson_keeps_text_and_loses_hostile_markup(self):
        r = self.learner.get(LESSON)
        self.assertEqual(r.status, 200, r)
        for kept in ["<h1>Hostile</h1>", "Kept words.", "Read on", "para",
                     '<a href="02-screening.html">next</a>']:
            self.assertIn(kept, r.text)
        for gone in ["http-equiv", "evil.example", "javascript:", "data:text", "<style",
                     "onclick", 'value="99"', 'action="/who/choose"']:
            self.assertNotIn(gone, r.text, "the lesson page still holds %r" % gone)

    def test_the_readers_own_button_stays_the_readers(self):
        r = self.learner.get(LESSON)
        owners = rl.FormOwners(r.text).buttons
        mine = [b for b in owners if b[1].startswith("I have read this lesson")]
        self.assertEqual(len(mine), 1, owners)
        action = mine[0][0]
        self.assertIsNotNone(action)
        self.assertTrue(action.startswith("/c/%s/read/" % rl.COURSE_ID), owners)
        done = self.learner.post(action, [("token", self.token)])
        self.assertEqual(done.status, 303, done)
        self.assertEqual(self.learner.get("/").status, 200)


class HostileQuiz(unittest.TestCase):
    """A bundle signed by a trusted key but not made by relais pack: its quiz's question
    text closes the reader's form and opens its own, unclosed, with a meta refresh; an
    answer and the feedback carry more of the same."""

    QUIZ = "quiz/evaluation.json"
    # Closes the reader's <form> and <fieldset>, then opens a form of its own that would
    # take the reader's submit button (and send it to /who/choose), left unclosed.
    HOSTILE_TEXT = ('What is the purpose?</div></fieldset></form>'
                    '<meta http-equiv="refresh" content="0;url=https://evil.example/phish">'
                    '<form action="/who/choose" method="post">'
                    '<input type="hidden" name="profile" value="99"><p>Read on')
    HOSTILE_ANSWER = ('To protect</label></div><base href="https://evil.example/">'
                      '<button formaction="/who/add">Steal</button>')
    HOSTILE_FEEDBACK = ('Well done</div></section><form action="/who/add" method="post">'
                        '<meta http-equiv="refresh" content="0;url=https://evil.example/">')

    @classmethod
    def setUpClass(cls):
        cls.home = rl.make_laptop_home(cls)
        src = os.path.join(cls.home.root, "mh.relais")
        with zipfile.ZipFile(src) as z:
            quiz = json.loads(z.read(cls.QUIZ))
        first = quiz["questions"][0]
        first["text_html"] = cls.HOSTILE_TEXT
        first["answers"][0]["text_html"] = cls.HOSTILE_ANSWER
        first["answers"][0]["feedback_html"] = cls.HOSTILE_FEEDBACK
        first["general_feedback_html"] = cls.HOSTILE_FEEDBACK
        cls.bundle = os.path.join(cls.home.root, "hostile.relais")
        rl.resign_bundle(src, cls.bundle, os.path.join(cls.home.root, "k.key"),
                         {cls.QUIZ: json.dumps(quiz).encode()}, version=2)
        cls.home.run("install", cls.bundle)

    def setUp(self):
        self.reader = rl.Reader(self.home)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.learner = rl.Client(self.reader)
        self.learner.open_session()
        self.token = self.learner.choose_learner()

    def assert_clean(self, page, what):
        for gone in ["http-equiv", "evil.example", "/who/choose", "/who/add", 'value="99"',
                     "<base", "Steal"]:
            self.assertFalse(gone in page, "the %s still holds %r" % (what, gone))
        # The reader's own form is the only one.
        self.assertLessEqual(page.count("<form"), 1, what)

    def test_quiz_page_keeps_text_and_loses_hostile_markup(self):
        r = self.learner.get(rl.QUIZ_PAGE)
        self.assertEqual(r.status, 200, r)
        self.assert_clean(r.text, "quiz page")
        for kept in ["What is the purpose?", "Read on", "To protect"]:
            self.assertIn(kept, r.text)

    def test_the_readers_own_submit_button_stays_the_readers(self):
        r = self.learner.get(rl.QUIZ_PAGE)
        owners = rl.FormOwners(r.text).buttons
        mine = [b for b in owners if b[1] == "Submit my answers"]
        self.assertEqual(len(mine), 1, owners)
        self.assertEqual(mine[0][0], rl.QUIZ_ACTION, owners)
        # Every question is still there to answer, and full marks are still full marks.
        self.assertEqual(len(rl.quiz_questions(r.text)), 14)
        done = self.learner.post(mine[0][0], [("token", rl.token_of(r.text))] +
                                 rl.RIGHT_ANSWERS)
        self.assertEqual(done.status, 200, done)
        self.assertIn(rl.SAVED, done.text)
        self.assertIn("100", done.text)
        # The result page shows the answer's and the general feedback, cleaned.
        self.assertIn("Well done", done.text)
        self.assert_clean(done.text, "result page")

    def test_verify_names_the_question(self):
        p = testlib.run(rl.RELAIS, ["verify", self.bundle, "--public-key",
                                    os.path.join(self.home.root, "k.pub")], env=self.home.env)
        self.assertEqual(p.returncode, 1, p)
        self.assertEqual(p.stderr,
                         "relais: %s: quiz %s question 1 holds <meta> and more, which the "
                         "reader removes\n" % (self.bundle, self.QUIZ))


class SharedLaptop(unittest.TestCase):
    """Two learners on one laptop: a PIN guards a name, each sees only their own records,
    and "Send again" puts back only one's own set-aside records."""

    def setUp(self):
        self.home = rl.make_laptop_home(self)
        self.reader = rl.Reader(self.home)
        self.addCleanup(self.reader.stop, signal.SIGTERM)
        self.c = rl.Client(self.reader)
        self.c.open_session()
        self.token = self.c.choose_learner()

    def db(self):
        db = sqlite3.connect(self.home.db, timeout=10)
        self.addCleanup(db.close)
        return db

    def studying(self):
        r = self.c.get("/")
        self.assertEqual(r.status, 200, r)
        return re.search(r"Studying: ([^<·]*)", r.text).group(1).strip()

    def profile_id(self, email):
        return str(self.db().execute("SELECT id FROM profile WHERE email = ?",
                                     (email,)).fetchone()[0])

    def choose(self, email, pin=None):
        fields = [("token", self.token), ("profile", self.profile_id(email))]
        if pin is not None:
            fields.append(("pin", pin))
        return self.c.post("/who/choose", fields)

    def test_a_pin_guards_a_name(self):
        r = self.c.post("/who/pin", [("token", self.token), ("pin", "12"), ("action", "set")])
        self.assertEqual(r.status, 400, r)
        self.assertIn("4 to 64 characters", r.text)
        r = self.c.post("/who/pin", [("token", self.token), ("pin", "2468"), ("action", "set")])
        self.assertEqual(r.status, 200, r)
        self.assertIn("Your PIN is saved", r.text)
        self.c.add_learner("Colleague", "colleague@example.org")
        self.assertEqual(self.studying(), "Colleague")
        # Choosing the learner with a PIN asks for it and changes nothing yet.
        r = self.choose(rl.LEARNER_EMAIL)
        self.assertEqual(r.status, 200, r)
        self.assertIn('name="pin"', r.text)
        self.assertIn("Test Learner protects their name with a PIN", r.text)
        self.assertEqual(self.studying(), "Colleague")
        for i in range(3):
            r = self.choose(rl.LEARNER_EMAIL, "0000")
            self.assertEqual(r.status, 403, r)
            self.assertIn("Wrong PIN.", r.text)
            self.assertEqual(self.studying(), "Colleague")
        # Three wrong PINs: even the right one waits.
        r = self.choose(rl.LEARNER_EMAIL, "2468")
        self.assertEqual(r.status, 429, r)
        wait = int(re.search(r"wait (\d+) seconds?", r.text).group(1))
        self.assertGreaterEqual(wait, 1)
        self.assertEqual(self.studying(), "Colleague")
        time.sleep(wait + 0.5)
        r = self.choose(rl.LEARNER_EMAIL, "2468")
        self.assertEqual(r.status, 303, r)
        self.assertEqual(self.studying(), rl.LEARNER_NAME)
        # Removing it takes the current PIN; then the name is free again.
        r = self.c.post("/who/pin", [("token", self.token), ("current", "1111"),
                                     ("action", "remove")])
        self.assertEqual(r.status, 403, r)
        r = self.c.post("/who/pin", [("token", self.token), ("current", "2468"),
                                     ("action", "remove")])
        self.assertEqual(r.status, 200, r)
        self.assertIn("Your PIN is removed.", r.text)
        self.c.choose_learner("Colleague")
        self.assertEqual(self.choose(rl.LEARNER_EMAIL).status, 303)

    def test_each_learner_sees_only_their_own_records(self):
        read = "/c/%s/read/ihr-framework" % rl.COURSE_ID
        self.assertEqual(self.c.post(read, [("token", self.token)]).status, 303)
        self.c.add_learner("Colleague", "colleague@example.org")
        self.assertEqual(self.c.post("/c/%s/read/screening" % rl.COURSE_ID,
                                     [("token", self.token)]).status, 303)
        mine = self.c.get("/outbox")
        self.assertEqual(mine.status, 200, mine)
        self.assertIn("Colleague", mine.text)
        self.assertNotIn(rl.LEARNER_NAME, mine.text)
        self.assertIn("1 records waiting.", mine.text)
        # Test Learner's record set aside by a hub: only Test Learner may send it again.
        db = self.db()
        pid = self.profile_id(rl.LEARNER_EMAIL)
        sid = db.execute("SELECT id FROM outbox WHERE profile_id = ?", (pid,)).fetchone()[0]
        db.execute("UPDATE outbox SET set_aside = '2026-01-01T00:00:00Z', refusal = 'bad' "
                   "WHERE id = ?", (sid,))
        db.commit()
        self.assertNotIn(sid, self.c.get("/outbox").text)
        r = self.c.post("/outbox/retry", [("token", self.token), ("id", sid)])
        self.assertEqual(r.status, 400, r)
        self.assertIsNotNone(db.execute("SELECT set_aside FROM outbox WHERE id = ?",
                                        (sid,)).fetchone()[0])
        self.c.choose_learner(rl.LEARNER_NAME)
        page = self.c.get("/outbox")
        self.assertIn("Refused by the hub", page.text)
        self.assertIn('name="id" value="%s"' % sid, page.text)
        self.assertIn("Send again", page.text)
        self.assertNotIn("Colleague", page.text)
        r = self.c.post("/outbox/retry", [("token", self.token), ("id", sid)])
        self.assertEqual(r.status, 303, r)
        self.assertIsNone(db.execute("SELECT set_aside FROM outbox WHERE id = ?",
                                     (sid,)).fetchone()[0])
        self.assertIn("1 records waiting.", self.c.get("/outbox").text)


if __name__ == "__main__":
    testlib.main()
