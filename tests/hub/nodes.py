"""nodes.py: several `relais-hub serve` nodes on one PostgreSQL database, behind Debian's nginx
as docs/hub.md ("Several nodes on PostgreSQL") deploys them: the nodes on fixed loopback ports,
each SIGKILLed and restarted on its port at will; nginx in front, with an upstream of the nodes
and a retry on the next one; the database's rows read with psql. Used by test_nodes.py."""
import collections
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "faults"))
sys.path.insert(0, HERE)
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
from pgcluster import free_port  # noqa: E402
from synclib import COURSES, LEARNERS, UNITS, KillableHub, Laptop  # noqa: E402
from synclib import without_server_fields  # noqa: E402

# How long the laptops sync under each fault (RELAIS_NODES_SECONDS, 20 s by default).
SECONDS = float(os.environ.get("RELAIS_NODES_SECONDS") or 20)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The test's nginx: docs/hub.md's configuration without TLS, on loopback ports. A request cut
# by a node's death, refused by a dead node or answered 502/503 goes to the next node, POSTs
# too (non_idempotent): the hub stores a statement id once, so a POST sent twice is harmless.
NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream relais_hub {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 8m;
        client_body_buffer_size 1m;
        location / {{
            proxy_pass http://relais_hub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 4;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_request_buffering on;
        }}
    }}
}}
"""


class Nodes:
    """count nodes of relais-hub serve on one new database of cluster (a pgcluster.Cluster),
    sharing one credential; each logs to work/node-N.log."""

    def __init__(self, work, cluster, count=2, ports=None):
        self.cluster = cluster
        self.name = cluster.new_database().rsplit("/", 1)[1]
        # As docs/hub.md writes it: the primary and the replica, the one taking writes kept.
        # Unless ports names them, the first is nowhere: libpq goes on to the cluster.
        ports = ports or [free_port(), cluster.port]
        self.db = "postgresql://%s@%s/%s?%s" % (
            pgcluster.USER, ",".join("127.0.0.1:%d" % p for p in ports), self.name,
            "target_session_attrs=read-write&connect_timeout=5")
        self.nodes = []
        for i in range(count):
            given = (self.nodes[0].key, self.nodes[0].secret) if self.nodes else None
            self.nodes.append(KillableHub(work, db=self.db, log="node-%d.log" % i,
                                          credentials=given))
        self.key, self.secret = self.nodes[0].key, self.nodes[0].secret
        self.ports = [free_port() for _ in self.nodes]
        for i in range(count):
            self.start(i)

    def start(self, i):
        """Starts node i on its port (again after a kill: its port may take a moment)."""
        for attempt in range(50):
            try:
                self.nodes[i].start(listen="127.0.0.1:%d" % self.ports[i])
                return
            except AssertionError:
                if attempt == 49:
                    raise AssertionError("node %d did not start again: %s" % (
                        i, self.nodes[i].log_tail()))
                time.sleep(0.1)

    def kill(self, i):
        self.nodes[i].kill()

    def close(self):
        """Stops every node; returns what went wrong (a died node, a sanitizer's report)."""
        problems = []
        for i, n in enumerate(self.nodes):
            if n.proc is not None and not n.alive():
                problems.append("node %d died by itself: %s" % (i, n.log_tail()))
            n.stop()
            report = n.sanitizer_report()
            if report:
                problems.append("node %d: %s" % (i, report))
            n.log.close()
        return problems

    def rows(self, sql):
        """sql's rows (tab-separated values per row) on the nodes' database."""
        return [line for line in self.cluster.sql(self.name, sql).splitlines() if line]

    def stored_ids(self):
        """Every statement id the database holds (a list: a doubled one would show twice)."""
        return self.rows("SELECT id FROM statement")


class Nginx:
    """Debian's nginx on a free loopback port in front of the given ports, in work/nginx."""

    def __init__(self, work, ports):
        if not os.path.exists(NGINX):
            raise AssertionError("nginx is missing: apt-get install nginx (deps.sh installs it)")
        self.dir = os.path.join(work, "nginx")
        os.makedirs(self.dir)
        self.port = free_port()
        user = ""
        if os.geteuid() == 0:
            # nginx's workers run as nobody: they write request bodies in its directory.
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            user = "user nobody nogroup;"
        servers = "\n".join("        server 127.0.0.1:%d max_fails=1 fail_timeout=1s;" % p
                            for p in ports)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, user=user, servers=servers,
                                      port=self.port))
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", self.conf, "-e",
                                      os.path.join(self.dir, "error.log")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise AssertionError("nginx did not start: %s %s" % (
                        self.proc.stderr.read().decode(errors="replace"), self.errors()))
                time.sleep(0.05)

    def errors(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def retried(self):
        """What nginx passed on to the next node: (requests cut by a node's death while it
        worked on them, connections a dead node refused)."""
        log = self.errors()
        cut = len(re.findall(r"(prematurely closed|reset by peer).*while reading response "
                             r"header from upstream", log))
        refused = len(re.findall(r"refused\).*while connecting to upstream", log))
        return cut, refused

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        self.proc.stderr.close()


class LaptopSyncs:
    """Laptops syncing through nginx, for a TestCase with self.work, self.rng (a
    random.Random) and self.nodes (a Nodes)."""

    def laptops(self, count):
        out = []
        for i in range(count):
            work = os.path.join(self.work, "laptop-%d" % i)
            os.makedirs(work)
            out.append(Laptop(work))
        return out

    def ingest(self, laptops, url, fault, seconds=SECONDS):
        """Each laptop records statements and syncs them through url (relais sync, retrying as
        it does) for seconds, while fault() runs in its own thread until told to stop (its
        argument, an Event); then a last sync each. Returns the number of syncs; every one of
        them must have succeeded."""
        stop, failures, syncs = threading.Event(), [], collections.Counter()
        rngs = [random.Random(self.rng.random()) for _ in laptops]

        def sync(i, laptop):
            p = laptop.cli(["sync", "--hub", url, "--key", self.nodes.key, "--secret",
                            self.nodes.secret, "--no-courses"], timeout=600)
            syncs[i] += 1
            if p.returncode != 0:
                failures.append("laptop %d: relais sync exited %d: %s %s" % (
                    i, p.returncode, p.stdout, p.stderr[-1500:]))

        def run(i, laptop):
            rng = rngs[i]
            while not stop.is_set():
                items = [(rng.choice(LEARNERS), rng.choice(["experienced", "answered",
                                                             "passed", "completed"]),
                          rng.choice(COURSES), rng.choice(UNITS))
                         for _ in range(rng.randint(50, 350))]
                laptop.record(items)
                sync(i, laptop)

        threads = [threading.Thread(target=run, args=(i, lp)) for i, lp in enumerate(laptops)]
        faulter = threading.Thread(target=fault, args=(stop,))
        faulter.start()
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join(900)
        faulter.join(120)
        for i, lp in enumerate(laptops):
            sync(i, lp)
        self.assertEqual(failures, [])
        return sum(syncs.values())

    def assert_union_held(self, laptops, extra=()):
        """Every laptop's outbox is empty and the hub holds exactly the union of what they
        recorded (and extra ids), each once, unchanged."""
        recorded = {}
        for i, lp in enumerate(laptops):
            self.assertEqual(lp.pending(), 0, "laptop %d's outbox is not empty" % i)
            states = lp.states()
            self.assertEqual(sorted(k for k, (_, aside) in states.items() if aside), [],
                             "laptop %d set statements aside" % i)
            recorded.update(lp.statements())
        stored = self.nodes.stored_ids()
        counts = collections.Counter(stored)
        self.assertEqual(sorted(k for k, n in counts.items() if n > 1), [], "stored twice")
        want = set(recorded) | set(extra)
        self.assertEqual(sorted(want - set(counts)), [], "acknowledged but lost")
        self.assertEqual(sorted(set(counts) - want), [], "stored but never recorded")
        self.assertEqual(len(stored), len(want))
        for st in self.nodes.nodes[0].all_statements():
            if st["id"] in recorded:
                self.assertEqual(without_server_fields(st), json.loads(recorded[st["id"]]),
                                 "statement %s changed on the way" % st["id"])
        return len(recorded)

    def post_batches(self, stop, batches):
        """Batches of 100 straight to the nodes (self.clients), in turn, until stop is set;
        appends (ids, status: None when the connection failed) to batches for each."""
        n = 0
        while not stop.is_set():
            body = [hl.statement("poster%d" % (k % 5)) for k in range(100)]
            try:
                status = self.clients[n % len(self.clients)].post(body).status
            except OSError:
                status = None
            batches.append(([s["id"] for s in body], status))
            n += 1
            if status != 200:
                stop.wait(0.1)  # PostgreSQL is down: no need to ask 100 times a second

    def assert_whole_or_nothing(self, batches):
        """Each of post_batches' batches is stored whole or not at all, whatever its answer,
        and whole when acknowledged (200); returns the ids of those stored."""
        stored = set(self.nodes.stored_ids())
        held, partial = [], []
        for ids, status in batches:
            n = sum(1 for i in ids if i in stored)
            if n not in (0, len(ids)) or (status == 200 and n != len(ids)):
                partial.append((status, n))
            if n:
                held.extend(ids)
        self.assertEqual(partial, [], "batches stored in part, or acknowledged and lost")
        return held

    def assert_reconnected(self):
        """The nodes were never restarted, and each stores a statement now: they reconnected
        to the database by themselves."""
        for n, client in zip(self.nodes.nodes, self.clients):
            self.assertEqual(n.starts, 1)
            self.assertEqual(client.post([hl.statement("after")]).status, 200)
