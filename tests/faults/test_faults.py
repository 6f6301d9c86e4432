#!/usr/bin/env python3
"""test_faults.py: relais sync to a real relais-hub through a link that cuts, stalls, resets and
answers 500, with the hub and the client SIGKILLed mid-batch: in the end the hub holds every
statement the laptop recorded exactly once, byte-for-byte the same, and counts each learner's
completion once.

Randomised; the seed is printed, and RELAIS_TEST_SEED=N replays a run (RELAIS_FAULT_ROUNDS
sets the number of rounds, 200 by default)."""
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from faultproxy import DOWN, UP, Fault, FaultProxy  # noqa: E402
from synclib import (COURSES, LEARNERS, RELAIS, UNITS, Delivery, KillableHub,  # noqa: E402
                     Laptop, parse_summary, seed_from_env, timestamp)


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
        self.hub = KillableHub(self.work)
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
        planned, fired_kinds = collections.Counter(), collections.Counter()
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
            planned[kind] += 1
            fired_kinds[kind] += self.proxy.fired > fired
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
        self.assertIsNone(self.hub.sanitizer_report(), context)
        # The faults did happen: each kind planned often enough fired at least once, and the
        # hub was really killed; otherwise the test proved nothing about them.
        for kind, n in planned.items():
            if kind != "none" and n >= 5:
                self.assertGreater(fired_kinds[kind], 0, "%s: %d %r faults planned, none "
                                   "fired" % (context, n, kind))
        if fired_kinds["kill hub"]:
            self.assertGreater(self.hub.kills, 0, context)
        self.assertGreater(sum(fired_kinds.values()), (self.rounds - planned["none"]) // 2,
                           "%s: most faults never fired: %s" % (context, dict(fired_kinds)))
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
    testlib.main()
