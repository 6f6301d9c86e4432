#!/usr/bin/env python3
"""test_faults.py: relais sync to a real relais-hub through a link that cuts, stalls, resets and
answers 500, with the hub and the client SIGKILLed mid-batch: in the end the hub holds every
statement the laptop recorded exactly once, byte-for-byte the same, and counts each learner's
completion once.

Randomised; the seed is printed, and RELAIS_TEST_SEED=N replays a run (RELAIS_FAULT_ROUNDS
sets the number of rounds, 200 by default)."""
import base64
import collections
import datetime
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import netlib  # noqa: E402
from faultproxy import DOWN, UP, Fault, FaultProxy  # noqa: E402

SOURCE_ROOT = os.environ.get("RELAIS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
RELAIS = os.environ.get("RELAIS") or os.path.join(SOURCE_ROOT, "build", "cli", "relais")
HUB = os.environ.get("RELAIS_HUB") or os.path.join(SOURCE_ROOT, "build", "cli",
                                                   "relais-hub")
COURSE = os.path.join(SOURCE_ROOT, "courses", "migration-health")

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


class Hub:
    """relais-hub on a database of its own: credentials made once, served on a free loopback
    port, SIGKILLed and restarted on the same database at will."""

    def __init__(self, work):
        self.db = os.path.join(work, "hub.db")
        self.log = open(os.path.join(work, "hub.log"), "ab")
        out = self.run("credentials", "add", "--name", "fault test laptops").stdout
        self.key = re.search(r"^key:\s*(\S+)$", out, re.M).group(1)
        self.secret = re.search(r"^secret:\s*(\S+)$", out, re.M).group(1)
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
                                                     listen],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log, start_new_session=True)
        try:
            line = netlib.first_line(self.proc, "relais-hub serve", 15,
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

    def log_tail(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-3000:]

    def close(self):
        self.stop()
        self.log.close()

    def ids_in_db(self):
        """Every statement id the hub's database holds, read directly (as a list)."""
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


class Faults(unittest.TestCase, Delivery):
    def setUp(self):
        self.seed = seed_from_env()
        self.rounds = int(os.environ.get("RELAIS_FAULT_ROUNDS") or 200)
        print("\ntest_faults: seed %d (RELAIS_TEST_SEED=%d replays it), %d rounds" %
              (self.seed, self.seed, self.rounds), flush=True)
        self.rng = random.Random(self.seed)
        self.work = tempfile.mkdtemp(prefix="relais-faults-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.laptop = Laptop(self.work)
        self.hub = Hub(self.work)
        self.hub.start()
        self.addCleanup(self.hub.close)
        self.proxy = FaultProxy(self.hub.port)
        self.addCleanup(self.proxy.close)
        self.client = None
        self.restarting = threading.Lock()  # held while the hub is killed and restarted
        self.completions = collections.defaultdict(list)  # (email, course) -> timestamps
        self.touched = collections.defaultdict(set)       # course -> emails with any statement

    # --- what each round does ---

    def new_statements(self, again=False):
        """Some lessons, answers and quizzes; now and then a completion, sometimes again for
        a learner who already completed the course (a new id each time; `again`: surely)."""
        items = []
        if again:
            items.append((LEARNERS[0], "completed", COURSES[0], None))
        for _ in range(self.rng.randint(0, 30)):
            learner = self.rng.choice(LEARNERS)
            course = self.rng.choice(COURSES)
            verb = self.rng.choice(["experienced", "experienced", "answered", "passed",
                                    "failed"])
            items.append((learner, verb, course, self.rng.choice(UNITS)))
        if self.rng.random() < 0.2:
            learner = self.rng.choice(LEARNERS[:3])  # the fourth never completes anything
            course = self.rng.choice(COURSES)
            items.insert(self.rng.randint(0, len(items)), (learner, "completed", course, None))
        first = self.laptop.counter
        ids = self.laptop.record(items)
        for k, (learner, verb, course, unit) in enumerate(items):
            self.touched[course].add(learner[1])
            if verb == "completed":
                self.completions[(learner[1], course)].append(timestamp(first + k))
        return ids

    def lose_acknowledgements(self):
        """A few statements already sent become pending again."""
        with self.laptop.db() as db:
            sent = [r[0] for r in db.execute("SELECT id FROM outbox WHERE sent IS NOT NULL")]
        ids = self.rng.sample(sent, min(len(sent), self.rng.randint(1, 12)))
        self.laptop.mark_pending(ids)
        return len(ids)

    def kill_hub(self, down_for):
        def kill_hub():
            with self.restarting:
                self.hub.kill()
                if down_for:
                    time.sleep(down_for)
                self.hub.start()
                self.proxy.set_target(self.hub.port)
        return kill_hub

    def kill_client(self):
        if self.client is not None and self.client.poll() is None:
            self.client.kill()

    def pick_fault(self, batch):
        """(name, faults planned for the run's connections)."""
        r = self.rng
        kind = r.choices(["none", "cut", "stall", "500", "reset", "kill hub", "kill client"],
                         [12, 20, 10, 14, 16, 14, 14])[0]
        direction = r.choice([UP, UP, DOWN])
        # Anywhere in the run's bytes, as far as they can be foreseen: about 400 bytes of
        # headers a request and a fifth of the JSON up; 250 bytes and 39 an id down.
        with self.laptop.db() as db:
            n, size = db.execute("SELECT count(*), coalesce(sum(length(statement)), 0) FROM "
                                 "outbox WHERE sent IS NULL AND set_aside IS NULL").fetchone()
        requests = -(-n // batch)
        after = r.randint(0, 400 * requests + size // 5) if direction == UP else \
            r.randint(0, 250 * requests + 39 * n)
        if kind == "none":
            return kind, []
        if kind == "cut":
            f = [Fault.cut(after, direction)]
        elif kind == "stall":
            f = [Fault.stall(after, r.uniform(0.1, 1.2), direction,
                             then=r.choice(["continue", "continue", "cut", "reset"]))]
        elif kind == "500":
            # From the proxy, or in place of the hub's reply once the hub has stored the batch.
            f = [r.choice([Fault.http500(), Fault.reply500()]) for _ in range(r.randint(1, 3))]
        elif kind == "reset":
            f = [Fault.reset(after, direction)]
        elif kind == "kill hub":
            # Mid-upload, or once the hub has committed and before its reply gets through.
            if r.random() < 0.5:
                direction, after = DOWN, 0
            down_for = r.choice([0, 0, r.uniform(0.1, 1.5)])
            f = [Fault.cut(after, direction, hook=self.kill_hub(down_for))]
        else:
            if r.random() < 0.5:
                direction, after = DOWN, 0
            f = [Fault.cut(after, direction, hook=self.kill_client)]
        # Now and then the reconnection fails too.
        if kind != "kill client" and r.random() < 0.25:
            f.append(r.choice([Fault.http500(), Fault.reset(r.randint(0, 3000)),
                               Fault.cut(r.randint(0, 3000))]))
        return kind, f

    def sync(self, url, extra=(), timeout=120):
        args = [RELAIS, "sync", "--hub", url, "--key", self.hub.key, "--secret",
                self.hub.secret] + list(extra)
        self.client = subprocess.Popen(args, env=self.laptop.env(), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True,
                                       stdin=subprocess.DEVNULL)
        try:
            out, err = self.client.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.client.kill()
            out, err = self.client.communicate()
            raise AssertionError("relais sync hung for %d s: %s" % (timeout, err))
        return subprocess.CompletedProcess(args, self.client.returncode, out, err)

    def check_round(self, context):
        """What must hold after any run: marked sent means the hub holds it; the hub holds
        nothing the laptop did not record; nothing is set aside; the hub is up."""
        # The client may give up while the hub is down on purpose: wait for its restart.
        self.assertTrue(self.restarting.acquire(timeout=60), context)
        self.restarting.release()
        if not self.hub.alive():
            self.fail("%s: the hub died by itself: %s" % (context, self.hub.log_tail()))
        states = self.laptop.states()
        held = self.hub.ids_in_db()
        self.assertEqual(len(held), len(set(held)), "%s: stored twice" % context)
        held = set(held)
        lost = sorted(i for i, (sent, _) in states.items() if sent and i not in held)
        self.assertEqual(lost, [], "%s: marked sent but not on the hub (lost)" % context)
        self.assertEqual(sorted(held - set(states)), [], "%s: unknown statements" % context)
        self.assertEqual(sorted(i for i, (_, a) in states.items() if a), [],
                         "%s: set aside" % context)

    # --- the test ---

    def test_nothing_lost_nothing_counted_twice(self):
        started = time.monotonic()
        tally = collections.Counter()
        outcomes = collections.Counter()
        for n in range(self.rounds):
            self.new_statements(again=n in (0, self.rounds // 2))
            relost = self.lose_acknowledgements() if self.rng.random() < 0.2 else 0
            batch = self.rng.choice(["5", "20", "50", "100"])
            kind, faults = self.pick_fault(int(batch))
            attempts = self.rng.choice(["2", "3"])
            context = "seed %d round %d (%s: %s, --batch %s, --attempts %s, %d re-marked)" % (
                self.seed, n, kind, faults, batch, attempts, relost)
            fired = self.proxy.fired
            self.proxy.clear()
            self.proxy.plan(*faults)
            pending = self.laptop.pending()
            p = self.sync(self.proxy.url, ["--batch", batch, "--attempts", attempts])
            tally[kind + (" (fired)" if self.proxy.fired > fired else "")] += 1
            if p.returncode == -signal.SIGKILL:
                outcomes["client killed"] += 1
                self.check_round(context + " after the kill")
                # Run again over a healthy link: a client killed at any moment loses nothing.
                self.proxy.clear()
                p = self.sync(self.proxy.url, ["--batch", batch])
                context += ", then rerun"
                pending = None
            else:
                self.assertIn(p.returncode, (0, 1), "%s: %s" % (context, p.stderr))
            sent, left, aside, up = parse_summary(self, p, context)
            self.assertEqual(aside, 0, "%s: %s" % (context, p.stderr))
            self.assertEqual(left, self.laptop.pending(), context)
            self.assertEqual(p.returncode, 0 if left == 0 else 1, "%s: %s" % (context, p.stderr))
            if pending is not None:
                self.assertEqual(sent, pending - left, context)
            if kind == "none" or pending is None:
                # A healthy link delivers everything in one run.
                self.assertEqual((p.returncode, left), (0, 0), "%s: %s" % (context, p.stderr))
            outcomes["ended with nothing left" if left == 0 else "ended with some left"] += 1
            self.check_round(context)
        # The last word: a clean sync over a healthy link.
        self.proxy.clear()
        p = self.sync(self.proxy.url)
        self.assertEqual(p.returncode, 0, "seed %d, final sync: %s" % (self.seed, p.stderr))
        self.assertEqual(parse_summary(self, p, "final sync")[1:3], [0, 0])
        context = "seed %d, after %d rounds" % (self.seed, self.rounds)
        self.assert_hub_holds_exactly(self.hub, self.laptop, context)
        self.assert_completions_counted_once(context)
        self.assertEqual(self.hub.stop(), 0, "%s: the hub did not stop cleanly on Ctrl-C: %s" %
                         (context, self.hub.log_tail()))
        elapsed = time.monotonic() - started
        print("test_faults: %d rounds in %.1f s, %d statements, %d connections through the "
              "proxy, hub killed %d times" % (self.rounds, elapsed, self.laptop.counter,
                                              self.proxy.connections, self.hub.kills))
        print("  faults: %s" % ", ".join("%s %d" % kv for kv in sorted(tally.items())))
        print("  runs: %s" % ", ".join("%s %d" % kv for kv in sorted(outcomes.items())))

    def assert_completions_counted_once(self, context):
        self.assertGreater(sum(len(v) > 1 for v in self.completions.values()), 0,
                           "%s: no learner completed a course twice; the check is empty" %
                           context)
        report = self.hub.report()
        by_course = {r["course"]: r for r in report["completions-by-course"]}
        for course in COURSES:
            done = {e for (e, c) in self.completions if c == course}
            if not done:
                self.assertNotIn(course, by_course, context)
                continue
            self.assertEqual(by_course[course]["completions"], len(done),
                             "%s: completions of %s" % (context, course))
            self.assertEqual(by_course[course]["learners"], len(self.touched[course]),
                             "%s: learners of %s" % (context, course))
        rows = sorted((r["email"], r["course"], r["completed"])
                      for r in report["completions-by-learner"])
        want = sorted((e, c, min(ts)) for (e, c), ts in self.completions.items())
        self.assertEqual(rows, want, "%s: completions by learner" % context)
        orgs = {e: o for _, e, o in LEARNERS}
        by_org = collections.Counter((orgs[e], c) for (e, c) in self.completions)
        self.assertEqual({(r["organisation"], r["course"]): r["completions"]
                          for r in report["completions-by-organisation"]}, dict(by_org),
                         "%s: completions by organisation" % context)


if __name__ == "__main__":
    unittest.main(verbosity=2)
