#!/usr/bin/env python3
"""test_import.py: relais-hub import of records files of any size (issue 9, item 6): a real
`relais export-records` of 30,000 statements imports whole within the memory budget; a file
changed after signing, a truncated one, a malformed one or one with an invalid statement is
refused whole, naming the statement, with nothing stored."""
import gzip
import json
import os
import pty
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
import hublib as hl  # noqa: E402
from testlib import RELAIS  # noqa: E402

BIG = 30000  # three times the old cap of 10,000 statements a file


# A learner's written answer: 30,000 statements make 60 MB of JSON, so a hub that held the
# file's text (let alone its parsed tree) would be caught by the memory budget.
ANSWER = ("The consular officer checks the applicant's documents against the register, "
          "records the outcome and informs the applicant in writing. ") * 12


def statement_text(i):
    """Statement i of a laptop, as relais stores it (compact JSON), 50 learners."""
    st = hl.completion("course-%d" % (i % 7), "learner%d@example.org" % (i % 50),
                       name="Learner %d" % (i % 50), organisation="MAE")
    st["id"] = str(uuid.UUID(int=i + 1, version=4))
    st["result"]["response"] = "%d. %s" % (i, ANSWER)
    return st["id"], json.dumps(st, separators=(",", ":"))


def export(owner, n):
    """A laptop whose outbox holds n statements, exported by the real relais export-records:
    (path of the file, the laptop's public key file, the exported ids)."""
    home = testlib.temp_dir(owner, "relais-laptop-")
    env = testlib.laptop_env(home)

    def run(*args):
        p = testlib.run(RELAIS, list(args), env=env, timeout=600)
        if p.returncode != 0:
            raise AssertionError("relais %s: %s" % (args, p.stderr))
        return p
    run("profile", "add", "--name", "Ama", "--email", "ama@example.org")
    rows = [statement_text(i) for i in range(n)]
    db = sqlite3.connect(os.path.join(home, "relais.db"), timeout=30)
    with db:
        db.executemany("INSERT INTO outbox(id, profile_id, verb, object, statement, created) "
                       "VALUES (?, 1, 'completed', 'x', ?, '2026-11-29T10:00:00.000Z')", rows)
    db.close()
    path = os.path.join(home, "usb.relais-records.gz")
    p = run("export-records", path)
    if "%d statements written" % n not in p.stdout:
        raise AssertionError("export-records printed %r" % p.stdout)
    pub = os.path.join(home, "laptop.pub")
    with open(pub, "w") as f:
        f.write(run("laptop-key").stdout)
    return path, pub, [r[0] for r in rows]


def hub_knowing(owner, pub):
    """A fresh hub database with the laptop key pub registered to a new credential."""
    db = hl.make_hub_db(owner)
    key = db.credentials("Laptop of Ama")[0]
    db.run("credentials", "add-laptop-key", key, pub)
    return db


def stored_ids(db):
    """Every statement id the hub returns over GET, with a read-all credential."""
    key, secret = db.credentials("reports", scope="read-all")
    hub = hl.Hub(db)
    try:
        sts, _ = hl.Client(hub, key, secret, timeout=120).query_all({"limit": "0"})
    finally:
        hub.stop()
    return [s["id"] for s in sts]


def crafted(path, key, statements, head=None, tail=b"]}", between=b","):
    """A records file written as a stream (statements: an iterable of JSON texts), signed by
    key (a hl.LaptopKey)."""
    if head is None:
        head = (b'{"format":"relais-records","version":2,"laptop_key":"%s","statements":['
                % key.id.encode())
    with gzip.open(path, "wb", 1) as f:
        f.write(head)
        for i, text in enumerate(statements):
            f.write((between if i else b"") + text)
        f.write(tail)
    key.sign(path)


def texts(n, bad=None):
    """n statement texts; bad maps an index to the text put there instead."""
    for i in range(n):
        yield (bad or {}).get(i) or statement_text(i)[1].encode()


class BigExport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path, cls.pub, cls.ids = export(cls, BIG)

    def refused(self, db, path, reason):
        status, out, err, _ = hl.import_peak(db, path)
        self.assertEqual(status, 1, (out, err))
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertTrue(err.startswith("relais-hub: %s: " % path), err)
        self.assertIn(reason, err)
        self.assertEqual(db.report_json()["completions-by-learner"], [],
                         "a refused file stored records")
        return err

    def test_the_whole_export_imports_within_the_memory_budget(self):
        # What any import costs: a file of one statement, into another hub.
        small_db = hl.make_hub_db(self)
        small = os.path.join(small_db.root, "small.gz")
        hl.records_file(small, [hl.statement()], small_db.laptop_key())
        status, _, err, idle = hl.import_peak(small_db, small)
        self.assertEqual(status, 0, err)

        db = hub_knowing(self, self.pub)
        status, out, err, peak = hl.import_peak(db, self.path)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, "%s: %d statements stored, 0 already held\n" % (self.path, BIG))
        self.assertLess(peak - idle, hl.MEMORY_BUDGET_KIB,
                        "importing %d statements grew by %d KiB (%d KiB for one)"
                        % (BIG, peak - idle, idle))
        self.assertEqual(sorted(stored_ids(db)), sorted(self.ids))
        # the same file again changes nothing
        status, out, err, _ = hl.import_peak(db, self.path)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, "%s: 0 statements stored, %d already held\n" % (self.path, BIG))

    def test_a_byte_changed_in_the_middle_is_refused(self):
        db = hub_knowing(self, self.pub)
        path = os.path.join(db.root, "changed.gz")
        shutil.copy(self.path, path)
        shutil.copy(self.path + ".minisig", path + ".minisig")
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0x01]))
        self.refused(db, path, "bad signature")

    def test_bytes_after_the_gzip_data_are_refused(self):
        db = hub_knowing(self, self.pub)
        path = os.path.join(db.root, "longer.gz")
        shutil.copy(self.path, path)
        shutil.copy(self.path + ".minisig", path + ".minisig")
        with open(path, "ab") as f:
            f.write(b"\0")
        self.refused(db, path, "bad signature")


class Refusals(unittest.TestCase):
    """Files signed by a registered key whose content is wrong: each is refused whole, late
    in the file, after many statements went into the transaction."""

    @classmethod
    def setUpClass(cls):
        cls.db = hl.make_hub_db(cls)
        cls.key = cls.db.laptop_key()

    def refused(self, path, reason):
        status, out, err, _ = hl.import_peak(self.db, path)
        self.assertEqual(status, 1, (out, err))
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertTrue(err.startswith("relais-hub: %s: " % path), err)
        self.assertIn(reason, err)
        self.assertEqual(self.db.report_json()["completions-by-learner"], [],
                         "a refused file stored records")

    def path(self, name):
        return os.path.join(self.db.root, name)

    def test_statement_n_invalid_is_named(self):
        bad = statement_text(23456)[1].replace('"verb":{"id":"%s' % hl.COMPLETED,
                                               '"verb":{"id":"nope')
        self.assertIn('"nope"', bad)
        path = self.path("invalid.gz")
        crafted(path, self.key, texts(25000, {23456: bad.encode()}))
        self.refused(path, "statements[23456].verb.id")

    def test_statement_n_not_json_is_named(self):
        path = self.path("notjson.gz")
        crafted(path, self.key, texts(15000, {14000: b'{"id":tru}'}))
        self.refused(path, "statements[14000] is not JSON")

    def test_a_statement_over_1_mib_is_named(self):
        big = json.dumps(hl.statement(result={"response": "x" * (1024 * 1024)})).encode()
        path = self.path("large.gz")
        crafted(path, self.key, texts(12000, {11000: big}))
        self.refused(path, "statements[11000] is larger than 1 MiB")

    def test_a_truncated_gzip_is_refused(self):
        whole = self.path("whole.gz")
        crafted(whole, self.key, texts(20000))
        path = self.path("truncated.gz")
        with open(whole, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:len(data) * 3 // 4])
        self.key.sign(path)
        self.refused(path, "truncated")

    def test_bytes_after_the_gzip_data_are_refused(self):
        path = self.path("after.gz")
        crafted(path, self.key, texts(100))
        with open(path, "ab") as f:
            f.write(gzip.compress(b" "))
        self.key.sign(path)
        self.refused(path, "bytes follow the gzip data")

    def test_malformed_structure_is_refused(self):
        head = (b'{"format":"relais-records","version":2,"laptop_key":"%s","statements":['
                % self.key.id.encode())
        cases = [
            ("a missing comma", dict(bad={12000: statement_text(12000)[1].encode() + b" "
                                          + statement_text(12001)[1].encode()}),
             "malformed at statements[12000]: expected ',' or ']' after a statement"),
            ("a comma too many", dict(tail=b",]}"), "statements[12500]: expected a statement"),
            ("the array not closed", dict(tail=b"}"), "malformed at statements[12499]"),
            ("the document not closed", dict(tail=b"]"), "truncated"),
            ("bytes after the document", dict(tail=b"]}{}"), "bytes follow the end"),
            ("the header after the statements",
             dict(head=b'{"statements":['), "not a relais-records file"),
            ("the header twice", dict(head=head[:-15] + b',"version":2,"statements":['),
             "\"version\" appears twice"),
        ]
        for what, kw, reason in cases:
            with self.subTest(what):
                kw = dict(kw)
                bad = kw.pop("bad", None)
                path = self.path("malformed.gz")
                crafted(path, self.key, texts(12500, bad), **kw)
                self.refused(path, reason)

    def test_another_key_claimed_is_refused(self):
        path = self.path("claims.gz")
        head = b'{"format":"relais-records","version":2,"laptop_key":"0000000000000000",' \
               b'"statements":['
        crafted(path, self.key, texts(10), head=head)
        self.refused(path, "claims laptop key 0000000000000000")


class Progress(unittest.TestCase):
    def test_a_terminal_sees_progress_then_the_final_line(self):
        db = hl.make_hub_db(self)
        key = db.laptop_key()
        path = os.path.join(db.root, "progress.gz")
        crafted(path, key, texts(2500))
        master, slave = pty.openpty()
        p = subprocess.Popen([hl.HUB, "import", path, "--db", db.db], env=testlib.hub_env(),
                             stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        shown = b""
        while True:
            r, _, _ = select.select([master], [], [], 120)
            if not r:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the program closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        out = p.stdout.read().decode()
        self.assertEqual(p.wait(timeout=120), 0, shown)
        os.close(master)
        self.assertEqual(re.findall(rb"importing: (\d+) statements", shown), [b"1000", b"2000"])
        self.assertTrue(shown.endswith(b"\r\x1b[K"), shown)  # the line is cleared
        self.assertEqual(out, "%s: 2500 statements stored, 0 already held\n" % path)


if __name__ == "__main__":
    testlib.main()
