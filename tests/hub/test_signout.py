#!/usr/bin/env python3
"""test_signout.py: a database that hangs stalls only the requests that need it (docs/hub.md,
"`relais-hub serve` options"): while coordinators sign out and PostgreSQL is frozen (SIGSTOP),
or a SQLite hub file is locked by another process's write, GET /xapi/about and the sign-in page
still answer within 2 seconds; once the database is back, the sign-outs end their sessions and
clear their cookies, and the hub stores statements and signs coordinators in as before."""
import contextlib
import os
import signal
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402

EMAIL = "coord@example.org"
SIGN_OUTS = 3  # more than the hub's two network threads: each would hold one
QUICK = 2.0  # seconds a request that needs no database may take while the database hangs


def sign_in(hub):
    """A browser signed in as EMAIL (its own session)."""
    return hl.sign_in(hub, EMAIL, timeout=120)


def postgres_processes(cluster):
    """The pids of the cluster's postmaster and of its children (from /proc)."""
    with open(os.path.join(cluster.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    pids = [postmaster]
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
            pids.append(int(name))
    return pids


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class SignOutWhileTheDatabaseHangs(unittest.TestCase):
    def check(self, db, hang):
        """Signs coordinators in on db's hub, signs them out while hang() (a context manager)
        holds the database, and checks what a user of the node sees meanwhile and after."""
        key, secret = db.credentials()
        db.coordinator(EMAIL)
        hub = hl.start_hub(self, db)
        laptop = hl.Client(hub, key, secret)
        browsers = [sign_in(hub) for _ in range(SIGN_OUTS)]
        for b in browsers:
            self.assertEqual(b.request("GET", "/reports").status, 200)
        cookies = [b.cookies["relais_hub_session"] for b in browsers]
        answers = [None] * SIGN_OUTS
        threads = []

        def sign_out(i):
            try:
                answers[i] = browsers[i].request("POST", "/reports/logout", body=b"",
                                                 content_type=None)
            except Exception as e:  # noqa: BLE001 (reported by the main thread)
                answers[i] = e

        with hang():
            for i in range(SIGN_OUTS):
                t = threading.Thread(target=sign_out, args=(i,), daemon=True)
                t.start()
                threads.append(t)
                time.sleep(0.3)  # each reaches the hub (and the database) before the next
            quick = hl.Client(hub, version=None, timeout=QUICK)
            for path in ["/xapi/about", "/reports/login", "/reports/style.css"]:
                with self.subTest(path=path):
                    start = time.monotonic()
                    try:
                        r = quick.request("GET", path)
                    except OSError as e:
                        self.fail("GET %s got no answer within %.0f s while the database "
                                  "hung: %s" % (path, QUICK, e))
                    self.assertEqual(r.status, 200, r)
                    self.assertLess(time.monotonic() - start, QUICK)
            self.assertTrue(all(a is None for a in answers),
                            "a sign-out answered while the database hung: %r" % answers)
        for t in threads:
            t.join(timeout=90)
        for i, a in enumerate(answers):
            with self.subTest(sign_out=i):
                self.assertFalse(isinstance(a, Exception) or a is None, a)
                self.assertEqual(a.status, 200, a)
                self.assertIn(b'name="password"', a.body)
                cleared = a.header("Set-Cookie") or ""
                self.assertTrue(cleared.startswith("relais_hub_session=;"), cleared)
                self.assertIn("Max-Age=0", cleared)
                self.assertEqual(browsers[i].cookies["relais_hub_session"], "")
                # the session is over on the hub too, not only in this browser
                old = hl.Client(hub, version=None)
                old.cookies["relais_hub_session"] = cookies[i]
                r = old.request("GET", "/reports")
                self.assertEqual((r.status, r.header("Location")), (303, "/reports/login"))
        # the node still works: a laptop's statement is stored, a coordinator signs in
        ids = laptop.store([hl.completion("c1", "alice@example.org")])
        self.assertEqual(len(ids), 1)
        self.assertEqual(sign_in(hub).request("GET", "/reports").status, 200)

    @unittest.skipUnless(pgcluster.available(), "PostgreSQL's server programs are not installed")
    def test_postgresql_frozen(self):
        db = hl.HubDb(testlib.temp_dir(self, "relais-hub-test-"), postgresql=True)
        cluster = pgcluster.shared()
        frozen = []

        @contextlib.contextmanager
        def freeze():
            # SIGCONT whatever happens: the cluster is shared with the rest of this process.
            self.addCleanup(lambda: signal_all(frozen + postgres_processes(cluster),
                                               signal.SIGCONT))
            pids = postgres_processes(cluster)
            frozen.extend(pids)
            signal_all(pids[:1], signal.SIGSTOP)  # the postmaster first: it forks no more
            pids = postgres_processes(cluster)
            frozen.extend(pids)
            signal_all(pids, signal.SIGSTOP)
            try:
                yield
            finally:
                signal_all(frozen + postgres_processes(cluster), signal.SIGCONT)

        self.check(db, freeze)

    def test_sqlite_locked(self):
        db = hl.HubDb(testlib.temp_dir(self, "relais-hub-test-"), postgresql=False)

        @contextlib.contextmanager
        def lock():
            # Another program's long write: the hub waits for it (up to a minute).
            other = sqlite3.connect(db.db, timeout=0, isolation_level=None)
            self.addCleanup(other.close)
            other.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                other.execute("ROLLBACK")

        self.check(db, lock)


if __name__ == "__main__":
    testlib.main()
