#!/usr/bin/env python3
"""test_slow_link.py: 1000 statements to a real relais-hub over a 64 kbit/s line with 300 ms
of latency each way that drops every few seconds: `relais sync`, run again while anything is
left (at most 5 minutes), delivers every statement exactly once. Prints the bytes on the wire
per statement and the time it took.

The line is `tc netem` on a veth pair into a network namespace of our own when this machine
allows it (root, sch_netem); otherwise the fault proxy's throttle. It says which. The drops
are the fault proxy's in both cases (it cuts every live connection every DROP_EVERY s)."""
import os
import random
import subprocess
import sys
import shutil
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from faultproxy import DOWN, UP, FaultProxy  # noqa: E402
from synclib import (COURSES, LEARNERS, UNITS, Delivery, KillableHub, Laptop,  # noqa: E402
                     parse_summary, seed_from_env)

STATEMENTS = 1000
RATE = 8000        # bytes per second: 64 kbit/s
LATENCY = 0.3      # seconds, each way
DROP_EVERY = 4.0   # seconds
DEADLINE = 300.0   # seconds for all of it


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


class Netem:
    """A namespace joined to this one by a veth pair, netem on both ends: 10.213.x.1 here,
    10.213.x.2 there. setup() returns None when it works, else why not (all undone)."""

    def __init__(self):
        n = os.getpid() % 250
        self.ns = "relais-slow-%d" % os.getpid()
        self.here, self.there = "rsl%da" % os.getpid(), "rsl%db" % os.getpid()
        self.ip_here, self.ip_there = "10.213.%d.1" % n, "10.213.%d.2" % n
        self.made = False

    def setup(self):
        if os.geteuid() != 0:
            return "not root"
        steps = [
            ["ip", "netns", "add", self.ns],
            ["ip", "link", "add", self.here, "type", "veth", "peer", "name", self.there],
            ["ip", "link", "set", self.there, "netns", self.ns],
            ["ip", "addr", "add", self.ip_here + "/30", "dev", self.here],
            ["ip", "link", "set", self.here, "up"],
            ["ip", "netns", "exec", self.ns, "ip", "addr", "add", self.ip_there + "/30", "dev",
             self.there],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", self.there, "up"],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"],
            ["tc", "qdisc", "add", "dev", self.here, "root", "netem", "delay", "300ms", "rate",
             "64kbit"],
            ["ip", "netns", "exec", self.ns, "tc", "qdisc", "add", "dev", self.there, "root",
             "netem", "delay", "300ms", "rate", "64kbit"],
        ]
        for i, step in enumerate(steps):
            try:
                p = sh(*step)
            except (OSError, subprocess.SubprocessError) as e:
                p = subprocess.CompletedProcess(step, 1, "", str(e))
            if i == 0 and p.returncode == 0:
                self.made = True
            if p.returncode != 0:
                self.teardown()
                return "%s: %s" % (" ".join(step), p.stderr.strip())
        return None

    def teardown(self):
        if self.made:
            sh("ip", "link", "del", self.here)
            sh("ip", "netns", "del", self.ns)
            self.made = False


class SlowLink(unittest.TestCase, Delivery):
    def test_a_thousand_statements_over_a_slow_dropping_line(self):
        seed = seed_from_env()
        rng = random.Random(seed)
        work = tempfile.mkdtemp(prefix="relais-slow-link-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        laptop = Laptop(work)
        items = [(rng.choice(LEARNERS), rng.choice(["experienced", "answered", "passed"]),
                  rng.choice(COURSES), rng.choice(UNITS)) for _ in range(STATEMENTS - 3)]
        items += [(learner, "completed", COURSES[0], None) for learner in LEARNERS[:3]]
        laptop.record(items)
        self.assertEqual(laptop.pending(), STATEMENTS)
        hub = KillableHub(work)
        self.addCleanup(hub.close)

        netem = Netem()
        why_not = netem.setup()
        if why_not is None:
            self.addCleanup(netem.teardown)
            hub.start(listen=netem.ip_there + ":0", prefix=["ip", "netns", "exec", netem.ns])
            proxy = FaultProxy(hub.port, target_host=hub.host)
            line = "tc netem in network namespace %s (delay 300ms rate 64kbit each way)" % \
                netem.ns
        else:
            hub.start()
            proxy = FaultProxy(hub.port)
            proxy.throttle(RATE, LATENCY)
            line = "the fault proxy's throttle, %d bytes/s and %d ms each way (no netem: %s)" % (
                RATE, LATENCY * 1000, why_not)
        self.addCleanup(proxy.close)
        proxy.drop_every(DROP_EVERY)
        print("\ntest_slow_link: seed %d; the line: %s; a drop every %.0f s" % (
            seed, line, DROP_EVERY), flush=True)

        started = time.monotonic()
        runs, up, sent = 0, 0, 0
        while True:
            left_time = DEADLINE - (time.monotonic() - started)
            self.assertGreater(left_time, 0, "not all delivered in %.0f s: %d left after %d "
                               "runs" % (DEADLINE, laptop.pending(), runs))
            try:
                p = laptop.cli(["sync", "--hub", proxy.url, "--key", hub.key, "--secret",
                                hub.secret], timeout=left_time)
            except subprocess.TimeoutExpired:
                self.fail("relais sync still running after %.0f s (%d runs before)" % (
                    DEADLINE, runs))
            runs += 1
            s, left, aside, b = parse_summary(self, p, "run %d" % runs)
            self.assertEqual(aside, 0, p.stderr)
            up += b
            sent += s
            self.assertEqual(p.returncode, 0 if left == 0 else 1, p.stderr)
            if left == 0:
                break
            print("  run %d: sent %d, left %d: %s" % (runs, s, left,
                                                      p.stderr.strip().splitlines()[-1]))
        elapsed = time.monotonic() - started
        proxy.drop_every(None)

        # Checked over loopback: reading 1000 statements back at 64 kbit/s would take minutes.
        if why_not is None:
            hub.stop()
            hub.start()
        self.assertEqual(sent, STATEMENTS)
        self.assert_hub_holds_exactly(hub, laptop, "seed %d, slow link" % seed)
        # The line was what it claims: slow, and it did drop connections mid-transfer.
        self.assertGreater(proxy.dropped, 0, "no drop hit a transfer: the test proved nothing")
        self.assertGreaterEqual(elapsed, proxy.bytes[UP] / RATE)
        print("test_slow_link: %d statements in %.1f s, %d runs, %d connections, %d dropped" % (
            STATEMENTS, elapsed, runs, proxy.connections, proxy.dropped))
        print("  bytes up counted by relais sync: %d in all, %.1f per statement (failed tries "
              "included)" % (up, up / STATEMENTS))
        print("  bytes the proxy took from the client: %d up (%.1f per statement), %d down "
              "(%.1f per statement)" % (proxy.received[UP], proxy.received[UP] / STATEMENTS,
                                        proxy.received[DOWN], proxy.received[DOWN] / STATEMENTS))


if __name__ == "__main__":
    testlib.main()
