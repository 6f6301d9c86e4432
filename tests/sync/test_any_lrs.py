#!/usr/bin/env python3
"""test_any_lrs.py: relais sync against real LRSs (docs/sync.md, "Finding the LRS"): relais-hub
given its xAPI address instead of its root, and an independent LRS, Learning Locker's xAPI
statements service (npm, pinned in tests/lrs, installed by deps.sh) with its in-memory store,
which takes no gzip bodies: every statement arrives once, none is set aside."""
import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "reader"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hub"))
import hublib as hl  # noqa: E402
import readerlib as rl  # noqa: E402
import testlib  # noqa: E402

LRS_DIR = os.path.join(testlib.SOURCE_ROOT, "tests", "lrs")
LL_MAIN = os.path.join(LRS_DIR, "node_modules", "@learninglocker", "xapi-statements", "dist",
                       "index.js")


def record(db_path, n):
    """n statements in the outbox as the reader writes them; {id: text}."""
    made = {}
    db = sqlite3.connect(db_path, timeout=30)
    with db:
        for i in range(n):
            sid = str(uuid.uuid4())
            st = {"id": sid,
                  "actor": {"objectType": "Agent", "name": rl.LEARNER_NAME,
                            "mbox": "mailto:" + rl.LEARNER_EMAIL},
                  "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced",
                           "display": {"en-US": "experienced"}},
                  "object": {"objectType": "Activity",
                             "id": "https://relais.invalid/xapi/activities/%s/u%d"
                             % (rl.COURSE_ID, i)},
                  "timestamp": "2026-11-29T10:00:%02d.000Z" % (i % 60)}
            text = json.dumps(st, separators=(",", ":"))
            db.execute("INSERT INTO outbox(id, profile_id, verb, object, statement, created) "
                       "VALUES (?, 1, 'experienced', ?, ?, '2026-11-29T10:00:00.000Z')",
                       (sid, "Unit %d" % i, text))
            made[sid] = text
    db.close()
    return made


def setting(db_path, key):
    db = sqlite3.connect(db_path, timeout=30)
    try:
        row = db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def outbox(db_path):
    """(sent, set aside, pending) counts."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return db.execute("SELECT count(sent), count(set_aside), "
                          "sum(sent IS NULL AND set_aside IS NULL) FROM outbox").fetchone()
    finally:
        db.close()


class AnyLrs(unittest.TestCase):
    def sync(self, laptop, url, key, secret, *extra):
        return testlib.run(testlib.RELAIS, ["sync", "--hub", url, "--key", key, "--secret",
                                            secret] + list(extra), env=laptop.env)

    def test_relais_hub_given_its_xapi_address(self):
        laptop = rl.make_laptop_home(self)
        made = record(laptop.db, 12)
        hub_db = hl.make_hub_db(self)
        key, secret = hub_db.credentials()
        hub = hl.start_hub(self, hub_db)
        root = hub.url.rstrip("/")
        p = self.sync(laptop, root + "/xapi/", key, secret, "--batch", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0].rsplit(",", 1)[0],
                         "sent 12, left 0, set aside 0")
        self.assertNotIn("not offered", p.stdout)
        got, _ = hl.Client(hub, key, secret).query_all({"limit": 100})
        self.assertEqual(sorted(s["id"] for s in got), sorted(made))
        self.assertEqual(setting(laptop.db, "sync.lrs"),
                         "%s/xapi %s/xapi relais-hub gzip" % (root, root))
        # The laptop key went to the hub's root, not under /xapi.
        self.assertEqual(setting(laptop.db, "sync.laptop_key_registered"),
                         "%s/xapi %s" % (root, key))

    @unittest.skipUnless(os.path.exists(LL_MAIN),
                         "Learning Locker's xapi-statements is not installed: ./deps.sh "
                         "installs it under tests/lrs (npm ci)")
    def test_learning_locker(self):
        port = free_port()
        store = testlib.temp_dir(self, "relais-ll-")
        env = dict(os.environ, EXPRESS_PORT=str(port), AUTH_REPO="test", EVENTS_REPO="test",
                   MODELS_REPO="memory", STORAGE_REPO="local", FS_LOCAL_STORAGE_DIR=store,
                   EXPRESS_MORGAN_DIRECTORY=os.path.join(store, "logs"),
                   WINSTON_CONSOLE_LEVEL="error")
        log = open(os.path.join(store, "ll.log"), "wb")
        self.addCleanup(log.close)
        lrs = subprocess.Popen(["node", LL_MAIN], env=env, stdout=log, stderr=log,
                               cwd=store)
        self.addCleanup(stop, lrs)
        base = "http://127.0.0.1:%d/xAPI" % port
        wait_for(base + "/about", lrs)

        laptop = rl.make_laptop_home(self)
        made = record(laptop.db, 25)
        p = self.sync(laptop, base, "laptop", "secret", "--batch", "10")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(),
                         [p.stdout.splitlines()[0],
                          "courses: not offered there (an xAPI LRS, not a relais hub)"])
        self.assertTrue(p.stdout.startswith("sent 25, left 0, set aside 0, "), p.stdout)
        self.assertEqual(outbox(laptop.db), (25, 0, 0))
        self.assertEqual(setting(laptop.db, "sync.lrs"), "%s %s lrs plain" % (base, base))
        # Later runs post straight away; each statement is held once, as sent.
        more = record(laptop.db, 5)
        p = self.sync(laptop, base, "laptop", "secret")
        self.assertEqual(p.returncode, 0, p.stderr)
        made.update(more)
        held = ll_statements(base)
        self.assertEqual(sorted(s["id"] for s in held), sorted(made))
        for st in held:
            sent = json.loads(made[st["id"]])
            self.assertEqual((st["verb"]["id"], st["object"]["id"]),
                             (sent["verb"]["id"], sent["object"]["id"]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the LRS exited with status %d" % proc.returncode)
        try:
            req = urllib.request.Request(url, headers={"X-Experience-API-Version": "1.0.3"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the LRS did not answer at %s" % url)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def ll_statements(base):
    out, url = [], base + "/statements?limit=100"
    auth = "Basic " + base64.b64encode(b"laptop:secret").decode()
    while url:
        req = urllib.request.Request(url, headers={"X-Experience-API-Version": "1.0.3",
                                                   "Authorization": auth})
        with urllib.request.urlopen(req, timeout=10) as r:
            doc = json.loads(r.read())
        out += doc["statements"]
        more = doc.get("more")
        url = base.rsplit("/xAPI", 1)[0] + more if more else None
    return out


if __name__ == "__main__":
    testlib.main()
