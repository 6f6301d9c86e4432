"""synclib.py: what the fault tests share: a laptop whose outbox is filled as the reader fills
it, a relais-hub killed and restarted at will on its database, the checks of what arrived, and
the summary line of relais sync."""
import base64
import collections
import datetime
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from testlib import HUB, RELAIS  # noqa: E402

COURSE = testlib.course_dir("migration-health")


VERB = "http://adlnet.gov/expapi/verbs/"
ACTIVITIES = "https://relais.invalid/xapi/activities/"
ORGANISATION = "https://relais.invalid/xapi/extensions/organisation"
LEARNERS = [("Aïcha Diallo", "aicha@example.org", "MAE"),
            ("Jean-Baptiste Okafor", "jb@example.org", "MAE"),
            ("Nguyễn Thị Lan", "lan@example.org", "Santé"),
            ("Ole Hansen", "ole@example.org", "")]
COURSES = ["migration-health", "first-aid"]
UNITS = ["welcome", "hygiene", "water", "evaluation"]
SUMMARY = re.compile(r"^sent (\d+), left (\d+), set aside (\d+), (\d+) bytes up$")
START = datetime.datetime(2026, 11, 29, 8, 0, 0, tzinfo=datetime.timezone.utc)


def seed_from_env():
    s = os.environ.get("RELAIS_TEST_SEED")
    return int(s) if s else random.SystemRandom().randrange(1 << 32)


def timestamp(n):
    t = START + datetime.timedelta(seconds=n)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_statement(n, learner, verb, course, unit=None, rng=None):
    """Statement number n (its timestamp is n seconds after START) as docs/statements.md says
    relais makes it; returns (id, text) with the text compact, as the outbox keeps it."""
    name, email, org = learner
    context = {"platform": "relais", "language": "en"}
    if org:
        context["extensions"] = {ORGANISATION: org}
    if unit is None:
        obj = {"objectType": "Activity", "id": ACTIVITIES + course,
               "definition": {"name": {"en": course},
                              "type": "http://adlnet.gov/expapi/activities/course"}}
    else:
        obj = {"objectType": "Activity", "id": ACTIVITIES + course + "/" + unit,
               "definition": {"name": {"en": unit.capitalize()},
                              "type": "http://adlnet.gov/expapi/activities/" +
                              ("assessment" if verb in ("passed", "failed") else "lesson")}}
        context["contextActivities"] = {"parent": [{"objectType": "Activity",
                                                    "id": ACTIVITIES + course}]}
    st = {"id": str(uuid.uuid4()),
          "actor": {"objectType": "Agent", "name": name, "mbox": "mailto:" + email},
          "verb": {"id": VERB + verb, "display": {"en-US": verb}},
          "object": obj}
    if verb == "completed":
        st["result"] = {"completion": True}
    elif verb in ("passed", "failed"):
        raw = (rng or random).randint(0, 14)
        st["result"] = {"score": {"scaled": round(raw / 14, 4), "raw": raw, "min": 0, "max": 14},
                        "success": verb == "passed", "completion": True,
                        "duration": "PT%dM%02d.40S" % (n % 50, n % 60)}
    st["context"] = context
    st["timestamp"] = timestamp(n)
    return st["id"], json.dumps(st, ensure_ascii=False, separators=(",", ":"))


class Laptop:
    """A relais home with the course installed, the LEARNERS' profiles, and an outbox filled
    directly (as the reader fills it: one row per statement, its text as made)."""

    def __init__(self, work):
        self.work = work
        self.home = os.path.join(work, "laptop")
        self.counter = 0
        for args in (["keygen", "-p", "pub.key", "-s", "sec.key", "--no-password"],
                     ["pack", COURSE, "-s", "sec.key", "-o", "course.relais"]):
            self.cli(args, home=False, check=True)
        for args in (["trust", "add", "pub.key"], ["install", "course.relais"]):
            self.cli(args, check=True)
        for name, email, org in LEARNERS:
            args = ["profile", "add", "--name", name, "--email", email]
            self.cli(args + (["--org", org] if org else []), check=True)
        with self.db() as db:
            self.profile = {email: pid for pid, email in
                            db.execute("SELECT id, email FROM profile")}
        assert len(self.profile) == len(LEARNERS), self.profile

    def env(self):
        return dict(os.environ, RELAIS_HOME=self.home)

    def cli(self, args, home=True, check=False, timeout=120):
        env = self.env()
        if not home:
            env.pop("RELAIS_HOME")
        p = subprocess.run([RELAIS] + args, cwd=self.work, env=env, capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("relais %s: %d %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def db(self):
        return _Db(os.path.join(self.home, "relais.db"))

    def record(self, items):
        """items: (learner, verb, course, unit) tuples; returns the new ids."""
        ids = []
        with self.db() as db:
            with db:
                for learner, verb, course, unit in items:
                    sid, text = make_statement(self.counter, learner, verb, course, unit)
                    db.execute("INSERT INTO outbox(id, profile_id, verb, object, statement, "
                               "created) VALUES (?, ?, ?, ?, ?, ?)",
                               (sid, self.profile[learner[1]], verb, unit or course, text,
                                timestamp(self.counter)))
                    self.counter += 1
                    ids.append(sid)
        return ids

    def statements(self):
        with self.db() as db:
            return dict(db.execute("SELECT id, statement FROM outbox"))

    def states(self):
        """{id: (sent, set_aside)}."""
        with self.db() as db:
            return {r[0]: (r[1], r[2]) for r in
                    db.execute("SELECT id, sent, set_aside FROM outbox")}

    def pending(self):
        with self.db() as db:
            return db.execute("SELECT count(*) FROM outbox WHERE sent IS NULL AND "
                              "set_aside IS NULL").fetchone()[0]

    def mark_pending(self, ids):
        """What a crash between the hub's commit and the laptop's mark leaves behind."""
        with self.db() as db:
            with db:
                db.executemany("UPDATE outbox SET sent = NULL WHERE id = ?",
                               [(i,) for i in ids])


class _Db:
    def __init__(self, path, readonly=False):
        if readonly:
            self.conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
        else:
            self.conn = sqlite3.connect(path, timeout=30)

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


class KillableHub:
    """relais-hub on a database of its own (work/hub.db, or db: a postgresql:// URL that other
    nodes may share): credentials made once (or given: (key, secret) another node made), served
    on a loopback port, SIGKILLed and restarted on the same database at will."""

    def __init__(self, work, db=None, log="hub.log", credentials=None, serve_args=()):
        self.db = db or os.path.join(work, "hub.db")
        self.serve_args = list(serve_args)  # more options for serve
        # Published bundles: beside a SQLite file by default; the nodes of one PostgreSQL
        # database share a folder (--files).
        self.files = [] if db is None else ["--files", os.path.join(work, "files")]
        self.log = open(os.path.join(work, log), "ab")
        if credentials is None:
            out = self.run("credentials", "add", "--name", "fault test laptops").stdout
            credentials = (re.search(r"^key:\s*(\S+)$", out, re.M).group(1),
                           re.search(r"^secret:\s*(\S+)$", out, re.M).group(1))
        self.key, self.secret = credentials
        self.proc = None
        self.starts = 0
        self.kills = 0

    def run(self, *args):
        p = subprocess.run([HUB] + list(args) + ["--db", self.db], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise AssertionError("relais-hub %s: %d %s" % (" ".join(args), p.returncode,
                                                           p.stderr))
        return p

    def start(self, listen="127.0.0.1:0", prefix=()):
        self.proc = subprocess.Popen(list(prefix) + [HUB, "serve", "--db", self.db, "--listen",
                                                     listen] + self.files + self.serve_args,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log, start_new_session=True)
        try:
            line = testlib.read_line(self.proc, "relais-hub serve", 15,
                                     lambda: "exit %r" % self.proc.poll())
        except AssertionError:
            self.proc.kill()
            raise
        m = re.fullmatch(r"http://([0-9.]+):(\d+)/?", line)
        if m is None:
            raise AssertionError("relais-hub serve printed %r" % line)
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = "http://%s:%d" % (self.host, self.port)
        self.starts += 1

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: no chance to finish anything."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.kills += 1
        if self.proc is not None:
            self.proc.wait(30)
            self.proc.stdout.close()

    def stop(self):
        """Ctrl-C; returns the exit status (None if it had to be killed after 10 s)."""
        if self.proc is None:
            return None
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                return None
        self.proc.stdout.close()
        return self.proc.returncode

    def sanitizer_report(self):
        """What a sanitizer printed in the hub's log, or None."""
        m = testlib.SANITIZER_REPORT.search(self.log_tail(1 << 30))
        return m and self.log_tail()

    def log_tail(self, n=3000):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-n:]

    def close(self):
        self.stop()
        self.log.close()

    def ids_in_db(self):
        """Every statement id the hub's database holds, read directly (as a list)."""
        if self.db.startswith("postgresql://"):
            p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                                self.db, "-c", "SELECT id FROM statement"], capture_output=True,
                               text=True, timeout=120)
            if p.returncode != 0:
                raise AssertionError("psql: %s" % p.stderr.strip())
            return p.stdout.split()
        with _Db(self.db, readonly=True) as db:
            return [r[0] for r in db.execute("SELECT id FROM statement")]

    def get(self, path):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            auth = base64.b64encode(("%s:%s" % (self.key, self.secret)).encode()).decode()
            conn.request("GET", path, headers={"Authorization": "Basic " + auth,
                                               "X-Experience-API-Version": "1.0.3"})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise AssertionError("GET %s: %d %r" % (path, r.status, body[:300]))
            return json.loads(body)
        finally:
            conn.close()

    def all_statements(self):
        """Every statement, as xAPI GET /xapi/statements gives them, following `more`."""
        out = []
        doc = self.get("/xapi/statements?" + urllib.parse.urlencode({"limit": 500}))
        for _ in range(10000):
            out.extend(doc["statements"])
            if not doc.get("more"):
                return out
            doc = self.get(doc["more"])
        raise AssertionError("GET /xapi/statements never ends")

    def report(self):
        return json.loads(self.run("report", "--format", "json").stdout)


def without_server_fields(st):
    return {k: v for k, v in st.items() if k not in ("stored", "authority", "version")}


class Delivery:
    """Checks shared by the fault tests: what the hub and the laptop hold at the end."""

    def assert_hub_holds_exactly(self, hub, laptop, context):
        recorded = laptop.statements()
        got = hub.all_statements()
        counts = collections.Counter(s["id"] for s in got)
        twice = sorted(i for i, c in counts.items() if c > 1)
        self.assertEqual(twice, [], "%s: listed more than once by the hub" % context)
        in_db = collections.Counter(hub.ids_in_db())
        self.assertEqual(sorted(i for i, c in in_db.items() if c > 1), [],
                         "%s: stored more than once" % context)
        lost = sorted(set(recorded) - set(counts))
        self.assertEqual(lost, [], "%s: %d recorded statements never reached the hub" %
                         (context, len(lost)))
        extra = sorted(set(counts) - set(recorded))
        self.assertEqual(extra, [], "%s: the hub holds statements nobody recorded" % context)
        self.assertEqual(len(in_db), len(recorded), context)
        for st in got:
            self.assertEqual(without_server_fields(st), json.loads(recorded[st["id"]]),
                             "%s: statement %s changed on the way" % (context, st["id"]))
        states = laptop.states()
        self.assertEqual(sorted(i for i, (sent, _) in states.items() if not sent), [],
                         "%s: delivered but not marked sent" % context)
        self.assertEqual(sorted(i for i, (_, aside) in states.items() if aside), [],
                         "%s: set aside" % context)


def parse_summary(test, p, context):
    lines = p.stdout.strip().splitlines()
    test.assertEqual(len(lines), 1, "%s: stdout %r stderr %r" % (context, p.stdout, p.stderr))
    m = SUMMARY.match(lines[0])
    test.assertIsNotNone(m, "%s: summary %r" % (context, lines[0]))
    return [int(x) for x in m.groups()]
