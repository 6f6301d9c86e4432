#!/usr/bin/env python3
"""test_downloads.py: the reports' CSV and JSON files stream (docs/hub.md, "Reports"): the
headers and first rows come before the client has read the rest, chunked; a client that reads
nothing holds neither the one reports thread nor the database (other reports answer, statements
are stored, SQLite checkpoints its WAL); the bytes are those of `relais-hub report`."""
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402

LEARNERS = 3000
NAME = "N" * 300  # about 1 MB of learners.csv, far more than the stalled client's buffer


def completion(i):
    return hl.completion("c%d" % (i % 3), "learner%05d@example.org" % i,
                         name="%s %05d" % (NAME, i), organisation="MAE",
                         timestamp="2026-01-%02dT10:00:00.000Z" % (1 + i % 28))


def dechunk(data):
    """A chunked body decoded; AssertionError when it has no final chunk."""
    out, at = b"", 0
    while True:
        line_end = data.find(b"\r\n", at)
        assert line_end >= 0, "incomplete transfer"
        size = int(data[at:line_end].split(b";")[0], 16)
        at = line_end + 2
        if size == 0:
            assert data[at:at + 2] == b"\r\n", "no end after the final chunk"
            return out
        assert at + size + 2 <= len(data), "incomplete transfer"
        out += data[at:at + size]
        at += size + 2


class Stalled:
    """A GET on a raw socket whose receive buffer is tiny: it reads only when told."""

    def __init__(self, hub, cookies, path):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(60)
        self.sock.connect(("127.0.0.1", hub.port))
        cookie = "; ".join("%s=%s" % kv for kv in cookies.items())
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n"
                           % (path, hub.host, cookie)).encode())
        self.data = b""

    def read_until(self, want):
        while want not in self.data:
            got = self.sock.recv(65536)
            if not got:
                break
            self.data += got
        return want in self.data

    def read_to_end(self):
        while not self.data.endswith(b"\r\n0\r\n\r\n"):
            got = self.sock.recv(65536)
            if not got:
                break
            self.data += got
        self.sock.close()
        head, _, body = self.data.partition(b"\r\n\r\n")
        return head.decode("latin-1"), body


class Downloads(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.db = hl.make_hub_db(cls)
        cls.db.coordinator("admin@example.org")
        cls.hub = hl.start_hub(cls, cls.db)
        cls.laptop = hl.Client(cls.hub, *cls.db.credentials("laptop", "write,read-all"))
        for start in range(0, LEARNERS, 500):
            r = cls.laptop.post([completion(i) for i in range(start, start + 500)])
            assert r.status == 200, r
        cls.admin = hl.sign_in(cls.hub, "admin@example.org")

    def cli(self, table, fmt):
        """`relais-hub report` (the whole file made in memory, as downloads were): bytes."""
        return subprocess.run([hl.HUB, "report", "--table", table, "--format", fmt,
                               "--db", self.db.db], env=testlib.hub_env(), check=True,
                              capture_output=True, timeout=120).stdout

    def test_a_stalled_download_streams_and_holds_nothing(self):
        before = self.cli("learners", "csv")
        self.assertGreater(len(before), 900000)
        slow = Stalled(self.hub, self.admin.cookies, "/reports/learners.csv")
        # The headers and the first rows, while the client has read almost nothing.
        self.assertTrue(slow.read_until(b"\r\n\r\n"), slow.data[:300])
        self.assertTrue(slow.read_until(b'"learner","email"'), slow.data[:600])
        head = slow.data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        self.assertIn("transfer-encoding: chunked", head)
        self.assertNotIn("content-length", head)
        self.assertIn("x-content-type-options: nosniff", head)
        self.assertIn('content-disposition: attachment; filename="learners.csv"', head)
        # It reads nothing more: the one reports thread answers others, statements go in.
        r = self.admin.request("GET", "/reports/status-by-course.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual({row["course"] for row in r.json()}, {"c0", "c1", "c2"})
        late = hl.completion("c9", "late-%s@example.org" % uuid.uuid4().hex[:8])
        self.assertEqual(self.laptop.post([late]).status, 200)
        if not self.db.pg:
            # No reader left in the WAL: a checkpoint copies it all and empties it.
            con = sqlite3.connect(self.db.db, timeout=10)
            try:
                busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                con.close()
            self.assertEqual(busy, 0)
        # Then it reads on: the file as it was when asked, whole, byte for byte.
        head, body = slow.read_to_end()
        self.assertEqual(dechunk(body), before)

    def test_json_download_is_the_same_array(self):
        want = self.cli("completions-by-learner", "json")
        r = self.admin.request("GET", "/reports/completions-by-learner.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.body + b"\n", want)
        rows = json.loads(r.body)
        self.assertGreaterEqual(len(rows), LEARNERS)
        self.assertEqual(rows[0]["email"], "learner00000@example.org")

    def test_an_empty_report_is_a_whole_file(self):
        r = self.admin.request("GET", "/reports/essays.json")
        self.assertEqual((r.status, r.body), (200, b"[]"))
        r = self.admin.request("GET", "/reports/essays.csv")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.split(b"\r\n")[1:], [b""])

    @unittest.skipUnless(pgcluster.wanted(), "a SQLite hub writes its database file itself: a "
                         "limit on the size of the files it writes would stop that too")
    def test_a_failure_midway_cuts_the_transfer(self):
        # The hub may write files of at most 200 kB: its spool fails a fifth of the way
        # through learners.csv, after the 200 went out.
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200000, hard))  # inherited by the hub
        try:
            hub = hl.start_hub(self, self.db)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        b = hl.sign_in(hub, "admin@example.org")
        got = Stalled(hub, b.cookies, "/reports/learners.csv")
        head, body = got.read_to_end()
        self.assertIn("Transfer-Encoding: chunked", head)
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        self.assertGreater(len(body), 100000)
        with self.assertRaisesRegex(AssertionError, "incomplete transfer|no end"):
            dechunk(body)
        # One line says so; the hub goes on answering.
        self.assertEqual(b.request("GET", "/reports/status-by-course.csv").status, 200)
        self.assertEqual(hub.stderr_text().count("learners.csv cut short"), 1, hub.stderr_text())


if __name__ == "__main__":
    testlib.main()
