#!/usr/bin/env python3
"""test_nodes.py: two relais-hub serve nodes on one PostgreSQL database (a throw-away cluster,
pgcluster.py). The same batch sent to both at the same moment is stored once and acknowledged
by both; a conflicting statement is refused alike by both. Laptops (real relais sync, homes and
outboxes of their own) sync through Debian's nginx while the fault proxy in front of each node
SIGKILLs one every 2-3 s (as a request goes up to it, or as it starts answering a POST it has
stored), or while PostgreSQL restarts: every outbox ends empty and the hub holds exactly the
union of the laptops' statements, none twice; with PostgreSQL down a node answers 503 with
Retry-After, stores no batch in part, and reconnects by itself; a signed-in coordinator's pages,
downloads and forms answer 503 too, and the session works again once PostgreSQL is back.

Randomised; the seed is printed and RELAIS_TEST_SEED=N replays it; RELAIS_NODES_SECONDS sets
how long the laptops sync under each fault (20 by default)."""
import collections
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "faults"))
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402
from faultproxy import DOWN, UP, Fault, FaultProxy  # noqa: E402
from nodes import LaptopSyncs, Nginx, Nodes  # noqa: E402
from synclib import seed_from_env  # noqa: E402
from synclib import without_server_fields  # noqa: E402

LAPTOPS = 4

# When the fault proxy kills a node: as a request goes up to it (200 bytes of it passed: the
# node dies with part of a request), and as its answer to a POST starts (nothing of it passed:
# the node stored the batch and its acknowledgement is lost). Each a fault of the hook given.
KILL_MOMENTS = [("receiving a request", lambda hook: Fault.cut(200, UP, hook=hook), None),
                ("as it answered a POST", lambda hook: Fault.cut(0, DOWN, hook=hook), b"POST")]


def post_all(jobs):
    """Runs each (client, statements) POST from its own thread, released together; returns
    the responses in order (an exception where the connection failed)."""
    barrier = threading.Barrier(len(jobs))
    out = [None] * len(jobs)

    def one(i, client, body):
        barrier.wait()
        try:
            out[i] = client.post(body)
        except OSError as e:
            out[i] = e

    threads = [threading.Thread(target=one, args=(i, c, b)) for i, (c, b) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


@unittest.skipUnless(pgcluster.available(),
                     "PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                     "apt-get install postgresql")
class Nodes2(LaptopSyncs, unittest.TestCase):
    def setUp(self):
        self.seed = seed_from_env()
        print("\ntest_nodes: seed %d (RELAIS_TEST_SEED=%d replays it)" % (self.seed, self.seed),
              flush=True)
        self.rng = random.Random(self.seed)
        self.work = tempfile.mkdtemp(prefix="relais-nodes-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.cluster = pgcluster.shared()
        self.nodes = Nodes(self.work, self.cluster)
        self.addCleanup(self.close_nodes)
        self.clients = [hl.Client(n, self.nodes.key, self.nodes.secret)
                        for n in self.nodes.nodes]

    def close_nodes(self):
        if not self.cluster.running:
            self.cluster.start()
        self.assertEqual(self.nodes.close(), [])

    def assert_stored_once(self, ids, context):
        """The database and a GET through each node hold exactly ids, each once."""
        stored = collections.Counter(self.nodes.stored_ids())
        self.assertEqual(sorted(i for i, n in stored.items() if n > 1), [],
                         "%s: stored twice" % context)
        self.assertEqual(set(stored), set(ids), "%s: stored != sent" % context)
        for n, client in enumerate(self.clients):
            listed = collections.Counter(s["id"] for s in
                                         client.query_all({"limit": 500}, 100000)[0])
            self.assertEqual(sorted(i for i, c in listed.items() if c > 1), [],
                             "%s: node %d lists twice" % (context, n))
            self.assertEqual(set(listed), set(ids), "%s: node %d lists" % (context, n))

    # --- exactly once across nodes ---

    def test_same_batch_at_once_on_both_nodes_is_stored_once(self):
        """Rounds of one batch of 100 sent to both nodes at the same moment: the same
        statements, overlapping halves, or in another order; both answer 200 with the ids."""
        sent = set()
        rounds = 24
        for r in range(rounds):
            made = [hl.statement("learner%d" % (k % 7)) for k in range(150)]
            mode = r % 3
            if mode == 0:
                bodies = [made[:100], made[:100]]
            elif mode == 1:
                bodies = [made[:100], made[50:150]]
            else:
                bodies = [made[:100], list(reversed(made[:100]))]
            jobs = [(self.clients[0], bodies[0]), (self.clients[1], bodies[1])]
            if r % 2:
                jobs.reverse()
            for (client, body), resp in zip(jobs, post_all(jobs)):
                context = "round %d (mode %d), node at %d" % (r, mode, client.port)
                self.assertNotIsInstance(resp, Exception, context)
                self.assertEqual(resp.status, 200, "%s: %r" % (context, resp))
                self.assertEqual(resp.json(), [s["id"] for s in body], context)
                sent.update(s["id"] for s in body)
        self.assertEqual(len(sent), rounds // 3 * (100 + 150 + 100))
        self.assert_stored_once(sent, "after %d rounds" % rounds)
        print("test_nodes: %d rounds, %d statements sent to both nodes at once, %d stored"
              % (rounds, len(sent), len(self.nodes.stored_ids())), flush=True)

    def test_conflicting_statement_refused_alike_by_both_nodes(self):
        """A statement stored by one node, then another with its id sent to both at once:
        both refuse it with the same 409 and keep the first. Two different statements with
        one id sent at once, one to each node: one is stored, the other refused."""
        first = hl.statement("alice")
        self.assertEqual(self.clients[0].store([first]), [first["id"]])
        other = dict(first, verb=hl.verb("completed"))
        for body in ([other], [hl.statement("bob"), other, hl.statement("carol")]):
            got = post_all([(c, body) for c in self.clients])
            for r in got:
                self.assertNotIsInstance(r, Exception)
                self.assertEqual(r.status, 409, r)
            self.assertEqual(got[0].body, got[1].body)
            self.assertIn(first["id"], got[0].error())
        for client in self.clients:
            self.assertEqual(without_server_fields(client.statement(first["id"])), first)
        kept = {first["id"]}
        for r in range(12):
            a, b = hl.statement("dan"), None
            b = dict(a, verb=hl.verb("completed"))
            jobs = [(self.clients[0], [a]), (self.clients[1], [b])]
            got = post_all(jobs)
            statuses = sorted(x.status for x in got)
            self.assertEqual(statuses, [200, 409], "round %d: %r" % (r, got))
            winner = a if got[0].status == 200 else b
            for client in self.clients:
                self.assertEqual(without_server_fields(client.statement(a["id"])), winner)
            kept.add(a["id"])
        self.assert_stored_once(kept, "after the conflicts")

    # --- coordinators while PostgreSQL is down ---

    def test_coordinator_pages_while_postgresql_is_down(self):
        """A signed-in coordinator's pages, downloads and forms, the sign-in and the sign-out
        answer 503 with Retry-After in the page's language while PostgreSQL is down (not the
        sign-in page, as if signed out); nothing a form asked for is done; once it is back,
        the same session works on both nodes."""
        admin = "admin@example.org"
        env = {"RELAIS_HUB_PASSWORD": hl.PASSWORD}
        for email in (admin, "late@example.org"):
            p = hl.run(["coordinator", "add", "--email", email, "--db", self.nodes.db], env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
        b = hl.sign_in(self.nodes.nodes[0], admin)
        pages = ["/reports", "/reports/learners", "/reports/quizzes", "/reports/admin",
                 "/reports/cohorts", "/reports/status-by-course.csv", "/reports/learners.json"]
        for path in pages:
            self.assertEqual(b.request("GET", path).status, 200, path)
        form = "email=new%40example.org&password=correct+horse+battery&organisation="
        signin = "email=late%40example.org&password=correct+horse+battery"
        self.cluster.stop("fast")
        try:
            fr = {"Accept-Language": "fr"}
            for method, path, body, who in (
                    [("GET", p, None, b) for p in pages] +
                    [("POST", "/reports/admin/coordinator-add", form, b),
                     ("POST", "/reports/logout", "", b),
                     ("POST", "/reports/login", signin, hl.Client(self.nodes.nodes[1],
                                                                   version=None))]):
                r = who.request(method, path, body=body and body.encode(), headers=fr,
                                content_type="application/x-www-form-urlencoded")
                self.assertEqual((r.status, r.header("Retry-After")), (503, "5"),
                                 "%s %s: %r" % (method, path, r.body[:200]))
                self.assertIn("base de données", r.body.decode(), path)
        finally:
            self.cluster.start()
        # The same session, on either node: the sign-out asked meanwhile did not happen.
        for node in self.nodes.nodes:
            b.port = node.port
            for path in pages:
                self.assertEqual(b.request("GET", path).status, 200, path)
        self.assertEqual(self.nodes.rows("SELECT email FROM coordinator WHERE email LIKE "
                                         "'new@%'"), [], "a form done while refused")
        self.assertEqual(self.nodes.rows("SELECT count(*) FROM login_failure"), ["0"],
                         "a refused sign-in counted as a wrong password")

    # --- laptops through nginx, with faults ---

    def test_node_killed_every_few_seconds_loses_nothing(self):
        # Each node behind a fault proxy of its own, nginx in front of the proxies: the proxy
        # kills its node at the moment chosen, on nginx's pooled connections as on new ones.
        proxies = [FaultProxy(port) for port in self.nodes.ports]
        for proxy in proxies:
            self.addCleanup(proxy.close)
        nginx = Nginx(self.work, [proxy.port for proxy in proxies])
        self.addCleanup(nginx.close)
        laptops = self.laptops(LAPTOPS)
        kills = collections.Counter()

        def killer(stop):
            rng = random.Random(self.rng.random())
            k = 0
            while not stop.wait(rng.uniform(2, 3)):
                # Node 0 then node 1, each as a request goes up to it, then as it starts
                # answering a POST.
                i, (what, fault, method) = k % 2, KILL_MOMENTS[(k // 2) % 2]
                fired = proxies[i].arm(fault(lambda i=i: self.nodes.kill(i)), method)
                while not fired.wait(0.1) and not stop.is_set():
                    pass
                proxies[i].clear()
                if fired.wait(5):  # taken just before clear(): it goes off even so
                    kills[what] += 1
                    time.sleep(rng.uniform(0, 0.5))  # refused meanwhile: nginx tries the other
                    self.nodes.start(i)
                k += 1

        syncs = self.ingest(laptops, nginx.url, killer)
        self.assertIsNone(nginx.proc.poll(), "nginx died")
        held = self.assert_union_held(laptops)
        self.assertEqual(sum(n.kills for n in self.nodes.nodes), sum(kills.values()))
        for what, _, _ in KILL_MOMENTS:
            self.assertGreaterEqual(kills[what], 1, "no node killed %s" % what)
        # A node killed as it answered had stored the batch: nginx sent it to the other node,
        # which found it held (stored once, above).
        cut, refused = nginx.retried()
        self.assertGreaterEqual(cut, kills["as it answered a POST"])
        print("test_nodes: %d laptops, %d syncs, %d statements recorded and stored once; "
              "nodes killed by the fault proxy: %s; nginx sent %d requests on to the other "
              "node (cut by a kill, or reaching a node still down)"
              % (len(laptops), syncs, held, dict(kills), cut + refused), flush=True)

    def test_postgresql_restarted_during_ingest(self):
        nginx = Nginx(self.work, self.nodes.ports)
        self.addCleanup(nginx.close)
        laptops = self.laptops(2)
        refusals, batches, restarts = [], [], []
        direct = hl.Client(self.nodes.nodes[0], self.nodes.key, self.nodes.secret)

        def restarter(stop):
            rng = random.Random(self.rng.random())
            poster = threading.Thread(target=self.post_batches, args=(stop, batches))
            poster.start()
            while not stop.wait(rng.uniform(2, 4)):
                self.cluster.stop(rng.choice(["fast", "immediate"]))
                r = direct.post([hl.statement("probe")])
                refusals.append((r.status, r.header("Retry-After")))
                time.sleep(rng.uniform(0.5, 1.5))
                self.cluster.start()
                restarts.append(1)
            poster.join(120)

        syncs = self.ingest(laptops, nginx.url, restarter)
        self.assertIsNone(nginx.proc.poll(), "nginx died")
        self.assertGreaterEqual(len(restarts), 2)
        self.assertEqual(set(refusals), {(503, "5")})
        held = self.assert_whole_or_nothing(batches)
        self.assertIn(200, [s for _, s in batches])
        self.assertIn(503, [s for _, s in batches])
        recorded = self.assert_union_held(laptops, extra=held)
        self.assert_reconnected()
        print("test_nodes: PostgreSQL restarted %d times; %d syncs, %d statements recorded "
              "and stored once; %d batches posted straight to the nodes (%d refused with 503, "
              "none stored in part)" % (len(restarts), syncs, recorded, len(batches),
                                        sum(1 for _, s in batches if s == 503)), flush=True)


if __name__ == "__main__":
    testlib.main()
