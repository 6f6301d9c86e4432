"""The hub under load and abuse (issue 9, items 4, 5, 6, 10, 14): held connections, bodies
sent without credentials, small inputs that would cost much memory, repeated wrong sign-ins,
and the session cookie behind an HTTPS proxy. Nothing here is timed tightly: bench/hub-abuse
measures the latencies."""
import base64
import concurrent.futures
import gzip
import json
import os
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402

COORDINATOR = "coord@example.org"


MEMORY_BUDGET_KIB = hl.MEMORY_BUDGET_KIB


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def hold(count, port, first=2):
    """count connections that send half a request and then nothing, spread over loopback
    addresses 127.0.0.FIRST and up (ten from each), as many machines would."""
    held = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % (first + i // 10), 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /xapi/statements HTTP/1.1\r\nHost: x\r\n")
        held.append(s)
    return held


def form(email, password):
    return urllib.parse.urlencode({"email": email, "password": password}).encode()


class Load(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = hl.make_hub_db(cls)
        cls.key, cls.secret = cls.db.credentials()
        cls.hub = hl.start_hub(cls, cls.db)

    def client(self, timeout=60):
        return hl.Client(self.hub, self.key, self.secret, timeout=timeout)

    def test_held_connections_do_not_lock_laptops_out(self):
        held = hold(300, self.hub.port)
        try:
            time.sleep(0.5)
            sts = [hl.statement("held%d" % i) for i in range(100)]
            r = self.client().post(sts)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json(), [st["id"] for st in sts])
        finally:
            for s in held:
                s.close()

    def test_no_body_is_read_without_credentials(self):
        # Headers announcing 8 MiB and no body: the refusal comes without waiting for it.
        wrong = base64.b64encode(b"nobody:wrong").decode()
        for auth in ["", "Authorization: Basic %s\r\n" % wrong]:
            with self.subTest(auth=auth[:30]):
                head = ("POST /xapi/statements HTTP/1.1\r\nHost: %s\r\n%s"
                        "X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\n\r\n" % (self.hub.host, auth, 8 * 1024 * 1024))
                got = hl.raw_exchange(self.hub.port, head.encode(), timeout=10)
                self.assertEqual(hl.status_of(got), 401, got[:300])
                self.assertIn(b"bad credentials", got)

    def test_sign_in_forms_are_small(self):
        b = hl.Client(self.hub, version=None)
        r = b.request("POST", "/reports/login", body=form(COORDINATOR, "x" * 64 * 1024),
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 413, r)

    def test_small_inputs_cost_little_memory(self):
        pid = self.hub.proc.pid
        c = self.client()
        c.post(hl.statement("warm"))
        before = rss_kib(pid)
        big = hl.statement("big")
        big["result"] = {"response": "x" * (15 * 1024 * 1024)}
        bomb = gzip.compress(json.dumps(big).encode(), 9)
        self.assertLess(len(bomb), 64 * 1024)
        cases = [
            ("a 15 MiB statement in a small gzip body", bomb, "gzip"),
            ("millions of tiny values", b"[" + b"1," * (4 * 1024 * 1024 - 2) + b"1]", None),
            ("a batch of empty objects", gzip.compress(b"[" + b"{}," * 3000000 + b"{}]", 9),
             "gzip"),
        ]
        for what, body, encoding in cases:
            with self.subTest(what):
                headers = {"Content-Encoding": encoding} if encoding else {}
                r = c.request("POST", "/xapi/statements", body=body, headers=headers)
                self.assertEqual(r.status, 413, r)
                grown = rss_kib(pid) - before
                self.assertLess(grown, MEMORY_BUDGET_KIB,
                                "%s: the hub grew by %d KiB" % (what, grown))
        self.assertEqual(c.ids({"agent": hl.agent("big")}), [])

    def test_the_hub_answers_while_sign_ins_are_guessed(self):
        # Wrong sign-ins take an Argon2id hash each; statements go on meanwhile.
        b = hl.Client(self.hub, version=None, timeout=120)

        def guess(i):
            return b.request("POST", "/reports/login",
                             body=form("guess%d@example.org" % i, "wrong password %d" % i),
                             content_type="application/x-www-form-urlencoded").status
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            guesses = [pool.submit(guess, i) for i in range(10)]
            r = self.client().post([hl.statement("during%d" % i) for i in range(100)])
            self.assertEqual(r.status, 200, r)
            self.assertTrue(all(g.result() in (401, 429) for g in guesses))


class Import(unittest.TestCase):
    def import_rss(self, db, path):
        """relais-hub import PATH: its exit status, standard error and peak memory (KiB)."""
        status, _, err, peak = hl.import_peak(db, path)
        return status, err, peak

    def test_a_small_file_that_inflates_costs_little_memory(self):
        db = hl.make_hub_db(self)
        # Signed by a registered laptop key, so that the file reaches the inflating.
        key = db.laptop_key()
        small = os.path.join(db.root, "small.gz")
        hl.records_file(small, [hl.statement("one")], key)
        status, err, idle = self.import_rss(db, small)
        self.assertEqual(status, 0, err)
        hostile = os.path.join(db.root, "hostile.gz")
        with gzip.open(hostile, "wb", 9) as f:
            f.write(b'{"format":"relais-records","version":2,"laptop_key":"%s","statements":['
                    % key.id.encode())
            f.write(b"{}," * 20000000)
            f.write(b"{}]}")
        key.sign(hostile)
        self.assertLess(os.path.getsize(hostile), 256 * 1024)
        status, err, peak = self.import_rss(db, hostile)
        self.assertEqual(status, 1, err)
        self.assertTrue(err.startswith("relais-hub: "), err)
        self.assertLess(peak - idle, MEMORY_BUDGET_KIB, "import grew by %d KiB" % (peak - idle))


class Lockout(unittest.TestCase):
    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.db.coordinator(COORDINATOR)

    def sign_in(self, hub, email, password, headers=None):
        b = hl.Client(hub, version=None, timeout=60)
        return b.request("POST", "/reports/login", body=form(email, password),
                         content_type="application/x-www-form-urlencoded", headers=headers)

    def test_an_account_is_locked_after_repeated_failures(self):
        hub = hl.start_hub(self, self.db)
        for i in range(6):
            self.assertEqual(self.sign_in(hub, COORDINATOR, "wrong %d" % i).status, 401)
        r = self.sign_in(hub, COORDINATOR, hl.PASSWORD)
        self.assertEqual(r.status, 429, r)
        self.assertIsNone(r.header("Set-Cookie"))
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        # the lock is kept in the database: a restarted hub still holds it
        hub.stop()
        hub = hl.start_hub(self, self.db)
        self.assertEqual(self.sign_in(hub, COORDINATOR, hl.PASSWORD).status, 429)

    def test_an_address_is_locked_after_repeated_failures(self):
        hub = hl.start_hub(self, self.db)
        for i in range(6):
            self.assertEqual(self.sign_in(hub, "other%d@example.org" % i, "wrong").status, 401)
        self.assertEqual(self.sign_in(hub, COORDINATOR, hl.PASSWORD).status, 429)

    def test_a_right_password_before_the_limit_signs_in(self):
        hub = hl.start_hub(self, self.db)
        for i in range(4):
            self.assertEqual(self.sign_in(hub, COORDINATOR, "wrong %d" % i).status, 401)
        self.assertEqual(self.sign_in(hub, COORDINATOR, hl.PASSWORD).status, 303)


class Cookie(unittest.TestCase):
    def setUp(self):
        self.db = hl.make_hub_db(self)
        self.db.coordinator(COORDINATOR)

    def serve(self, *extra):
        hub = testlib.Server([hl.HUB, *self.db.serve_args(), "--listen", "127.0.0.1:0"]
                             + list(extra), env=testlib.hub_env())
        self.addCleanup(hub.stop)
        return hub

    def sign_in(self, hub, headers=None):
        b = hl.Client(hub, version=None)
        r = b.request("POST", "/reports/login", body=form(COORDINATOR, hl.PASSWORD),
                      content_type="application/x-www-form-urlencoded", headers=headers)
        return b, r

    def test_over_https_through_the_trusted_proxy_the_cookie_is_secure(self):
        hub = self.serve("--trusted-proxy", "127.0.0.1")
        https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        b, r = self.sign_in(hub, https)
        self.assertEqual(r.status, 303, r)
        cookie = r.header("Set-Cookie")
        self.assertTrue(cookie.startswith("__Host-relais_hub_session="), cookie)
        self.assertIn("; Secure", cookie)
        self.assertIn("Path=/;", cookie)
        self.assertEqual(b.request("GET", "/reports", headers=https).status, 200)
        # the form's origin is the https one, exactly
        r = b.request("POST", "/reports/logout", body=b"", headers=dict(
            https, Origin="http://%s" % hub.host),
            content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 403, r)

    def test_forwarded_headers_from_anyone_else_are_ignored(self):
        hub = self.serve()
        _, r = self.sign_in(hub, {"X-Forwarded-Proto": "https"})
        self.assertEqual(r.status, 303, r)
        cookie = r.header("Set-Cookie")
        self.assertTrue(cookie.startswith("relais_hub_session="), cookie)
        self.assertNotIn("Secure", cookie)

    def test_sign_out_expires_the_cookie(self):
        hub = self.serve()
        b, r = self.sign_in(hub)
        self.assertEqual(r.status, 303, r)
        r = b.request("POST", "/reports/logout", body=b"",
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 200, r)
        cookie = r.header("Set-Cookie") or ""
        self.assertTrue(cookie.startswith("relais_hub_session=;"), cookie)
        self.assertIn("Max-Age=0", cookie)

    def test_the_origin_must_match_exactly(self):
        hub = self.serve()
        for origin in ["https://%s" % hub.host, "http://evil.example.%s" % hub.host,
                       "http://%s.evil.example" % hub.host]:
            with self.subTest(origin=origin):
                _, r = self.sign_in(hub, {"Origin": origin})
                self.assertEqual(r.status, 403, r)
        _, r = self.sign_in(hub, {"Origin": "http://%s" % hub.host})
        self.assertEqual(r.status, 303, r)


if __name__ == "__main__":
    testlib.main()
