#!/usr/bin/env python3
"""test_failover.py: the database side of docs/hub.md's deployment ("Several nodes on
PostgreSQL"), done as written there on throw-away clusters (pgcluster.py).

- A primary with a synchronous streaming replica made by pg_basebackup -R: laptops (real relais
  sync) and a poster of batches send through Debian's nginx and two nodes whose URL names both
  databases; the primary is stopped at once (its machine lost) and the replica promoted, as
  "Failover" says. The nodes find the new primary by themselves, every laptop's outbox ends
  empty, and the promoted replica holds every statement the nodes acknowledged, none twice.
- Read replicas for reports (serve --reports-db): the report pages and files read the replica
  (its replay paused, a new learner is in the xAPI answers, not yet in the reports), answer 503
  while it is down as statements are still stored, and come back by themselves.
- Backups: a logical dump restored into a new database with pg_restore, and a base backup with
  the WAL archive restored into a new cluster: a node on each serves exactly the statements
  stored before the backup (the dump) or before the last archived WAL segment (the base
  backup), with the same reports, under the same credential, and stores more.

Randomised; the seed is printed and RELAIS_TEST_SEED=N replays it; RELAIS_NODES_SECONDS sets
how long the laptops sync (20 by default)."""
import json
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "faults"))
import hublib as hl  # noqa: E402
import pgcluster  # noqa: E402
import testlib  # noqa: E402
from nodes import LaptopSyncs, Nginx, Nodes  # noqa: E402
from synclib import KillableHub, seed_from_env  # noqa: E402

REPLICA = "hub_replica"  # the replica's application_name, as docs/hub.md names it


def wait_for(what, check, seconds=60):
    """Polls check() until it returns something true; returns it."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("waited %d s for %s" % (seconds, what))
        time.sleep(0.1)


def set_system(cluster, setting, value):
    """ALTER SYSTEM (what docs/hub.md puts in conf.d/relais.conf), then a reload."""
    cluster.sql("postgres", "ALTER SYSTEM SET %s = '%s'" % (setting, value))
    cluster.sql("postgres", "SELECT pg_reload_conf()")


@unittest.skipUnless(pgcluster.available(),
                     "PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                     "apt-get install postgresql")
class Failover(LaptopSyncs, unittest.TestCase):
    def setUp(self):
        self.seed = seed_from_env()
        print("\ntest_failover: seed %d (RELAIS_TEST_SEED=%d replays it)" % (
            self.seed, self.seed), flush=True)
        self.rng = random.Random(self.seed)
        self.work = tempfile.mkdtemp(prefix="relais-failover-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.primary = pgcluster.Cluster()
        self.addCleanup(self.primary.destroy)

    def test_primary_lost_replica_promoted_nothing_acknowledged_lost(self):
        # "PostgreSQL: the primary": commits wait for the replica; "the replica": a copy
        # taken with pg_basebackup -R, which streams and is synchronous.
        set_system(self.primary, "synchronous_standby_names", REPLICA)
        replica = pgcluster.Cluster.standby_of(self.primary, REPLICA)
        self.addCleanup(replica.destroy)
        wait_for("the replica to stream, synchronous", lambda: self.primary.sql(
            "postgres", "SELECT application_name, state, sync_state FROM pg_stat_replication"
            ).strip() == "%s|streaming|sync" % REPLICA)

        self.nodes = Nodes(self.work, self.primary, ports=[self.primary.port, replica.port])
        self.addCleanup(lambda: self.assertEqual(self.nodes.close(), []))
        self.clients = [hl.Client(n, self.nodes.key, self.nodes.secret)
                        for n in self.nodes.nodes]
        nginx = Nginx(self.work, self.nodes.ports)
        self.addCleanup(nginx.close)
        laptops = self.laptops(3)
        batches, refusals, moments = [], [], {}

        def failover(stop):
            rng = random.Random(self.rng.random())
            poster = threading.Thread(target=self.post_batches, args=(stop, batches))
            poster.start()
            if not stop.wait(rng.uniform(3, 5)):
                # The replica falls behind first (its WAL receiver held for a second, as on a
                # slow link): a synchronous primary acknowledges nothing meanwhile; an
                # asynchronous one would, and lose it with its machine.
                receiver = int(replica.sql("postgres", "SELECT pid FROM pg_stat_wal_receiver"))
                os.kill(receiver, signal.SIGSTOP)
                time.sleep(1)
                before = len(batches)
                # "Failover": 1. the old primary stopped for good (here at once, as a machine
                # lost); 2. the replica promoted; 3. it waits for no replica now.
                self.primary.stop("immediate")
                os.kill(receiver, signal.SIGCONT)
                moments["lost"] = time.monotonic()
                r = self.clients[0].post([hl.statement("probe")])
                refusals.append((r.status, r.header("Retry-After")))
                time.sleep(rng.uniform(0.5, 1.5))
                replica.promote()
                set_system(replica, "synchronous_standby_names", "")
                moments["promoted"] = time.monotonic()
                self.nodes.cluster = replica
                moments["acknowledged before"] = sum(
                    1 for _, status in batches[:before] if status == 200)
            poster.join(120)

        syncs = self.ingest(laptops, nginx.url, failover)
        self.assertIn("promoted", moments, "the ingest ended before the failover")
        self.assertIsNone(nginx.proc.poll(), "nginx died")
        # With no database taking writes, a node says so and when to come back.
        self.assertEqual(refusals, [(503, "5")])
        # Every batch a node acknowledged, before the loss or after the promotion, is on the
        # promoted replica, whole; every laptop's too; none twice.
        held = self.assert_whole_or_nothing(batches)
        self.assertGreater(moments["acknowledged before"], 0)
        self.assertGreater(sum(1 for _, s in batches[-5:] if s == 200), 0,
                           "no batch stored after the promotion")
        recorded = self.assert_union_held(laptops, extra=held)
        self.assert_reconnected()  # their URL found the new primary
        print("test_failover: primary lost, replica promoted %.1f s later; %d syncs, %d "
              "statements recorded, %d batches posted to the nodes (%d acknowledged before "
              "the loss), all on the promoted replica once"
              % (moments["promoted"] - moments["lost"], syncs, recorded, len(batches),
                 moments["acknowledged before"]), flush=True)

    def test_reports_read_from_the_replica(self):
        """serve --reports-db: the report pages and files read the replica, the rest the
        primary; the replica's replay paused, a new learner is in the xAPI answers and not yet
        in the reports; the replica down, the reports answer 503 and the statements are still
        stored; back, the reports work again by themselves."""
        replica = pgcluster.Cluster.standby_of(self.primary, REPLICA)
        self.addCleanup(replica.destroy)
        name = self.primary.new_database().rsplit("/", 1)[1]
        first = KillableHub(self.work, db=self.primary.url(name), log="first.log")
        p = hl.run(["coordinator", "add", "--email", "admin@example.org", "--db", first.db],
                   env={"RELAIS_HUB_PASSWORD": hl.PASSWORD})
        self.assertEqual(p.returncode, 0, p.stderr)
        hub = KillableHub(self.work, db=first.db, log="hub.log",
                          credentials=(first.key, first.secret),
                          serve_args=["--reports-db", replica.url(name)])
        hub.start()
        self.addCleanup(hub.close)
        client = hl.Client(hub, hub.key, hub.secret)
        browser = hl.sign_in(hub, "admin@example.org")

        def learners():
            r = browser.request("GET", "/reports/learners.csv")
            self.assertEqual(r.status, 200, r.body[:200])
            return r.body.decode()

        def caught_up():
            want = self.primary.sql("postgres", "SELECT pg_current_wal_lsn()").strip()
            return replica.sql("postgres", "SELECT pg_last_wal_replay_lsn() >= '%s'" % want
                               ).strip() == "t"

        self.assertEqual(client.post([hl.completion("course-1", "ana@example.org")]).status,
                         200)
        wait_for("the replica to replay", caught_up)
        self.assertIn("ana@example.org", learners())

        replica.sql("postgres", "SELECT pg_wal_replay_pause()")
        late = hl.completion("course-1", "ben@example.org")
        self.assertEqual(client.post([late]).status, 200)
        self.assertEqual(hl.without_server_fields(client.statement(late["id"])), late)
        time.sleep(0.5)
        self.assertNotIn("ben@example.org", learners(), "the reports read the primary")
        replica.sql("postgres", "SELECT pg_wal_replay_resume()")
        wait_for("the reports to show the replayed learner",
                 lambda: "ben@example.org" in learners())

        replica.stop("immediate")
        for path in ("/reports", "/reports/learners", "/reports/learners.csv"):
            r = browser.request("GET", path)
            self.assertEqual((r.status, r.header("Retry-After")), (503, "5"),
                             "%s: %r" % (path, r.body[-3000:]))
        self.assertEqual(client.post([hl.statement("carol")]).status, 200)
        self.assertEqual(browser.request("GET", "/reports/admin").status, 200)
        replica.start()
        wait_for("the reports to come back", lambda: browser.request(
            "GET", "/reports").status == 200)
        self.assertIn("ben@example.org", learners())

        # Not a replica of --db: an empty database, refused at start with what is wrong.
        empty = self.primary.new_database()
        p = hl.run(["serve", "--db", first.db, "--files", os.path.join(self.work, "files"),
                    "--listen", "127.0.0.1:0", "--reports-db", empty], timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--reports-db holds a hub database of version 0", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_backups_restore_what_was_acknowledged(self):
        # "Backups": the WAL archive (archive_mode needs a restart).
        archive = os.path.join(self.primary.root, "wal")
        self.primary._run(["mkdir", "-m", "700", archive])
        set_system(self.primary, "archive_mode", "on")
        set_system(self.primary, "archive_command",
                   "test ! -f %s/%%f && cp %%p %s/%%f" % (archive, archive))
        self.primary.stop()
        self.primary.start()
        name = self.primary.new_database().rsplit("/", 1)[1]
        hub = KillableHub(self.work, db=self.primary.url(name), log="hub.log")
        hub.start()
        self.addCleanup(hub.close)
        client = hl.Client(hub, hub.key, hub.secret)

        def send(n):
            """n statements from a few learners, completions among them."""
            body = [hl.completion("course-%d" % (k % 3), "learner%d@example.org" % (k % 7))
                    if k % 4 == 0 else hl.statement("learner%d" % (k % 7)) for k in range(n)]
            self.assertEqual(client.post(body).status, 200)
            return [s["id"] for s in body]

        dumped = send(300)
        reports_dumped = reports(hub.db)
        self.assertGreater(len(reports_dumped["status-by-course"].splitlines()), 1)
        dump = os.path.join(self.work, "hub.dump")
        subprocess.run([pgcluster.program("pg_dump"), "--format=custom", "--file=" + dump,
                        self.primary.url(name)], check=True, timeout=120)
        based = dumped + send(200)
        base = os.path.join(self.primary.root, "base")
        self.primary._run([pgcluster.program("pg_basebackup"), "-d", "host=127.0.0.1 port=%d "
                           "user=%s" % (self.primary.port, pgcluster.USER), "-D", base,
                           "-F", "tar", "-z", "-X", "stream", "-c", "fast"])
        archived = based + send(200)
        reports_archived = reports(hub.db)
        segment = self.primary.sql("postgres", "SELECT pg_walfile_name(pg_switch_wal())").strip()
        wait_for("WAL segment %s to be archived" % segment,
                 lambda: os.path.exists(os.path.join(archive, segment)))
        lost = send(100)  # after the last archived segment: the restore cannot have them

        def serves(url, ids, expected, context):
            """A node on url, with the first node's credential: it lists exactly ids, gives
            reports, and stores one more statement."""
            node = KillableHub(self.work, db=url, log="restored.log",
                               credentials=(hub.key, hub.secret))
            node.start()
            try:
                c = hl.Client(node, hub.key, hub.secret)
                listed = [s["id"] for s in c.query_all({"limit": 500}, 1000)[0]]
                self.assertEqual(len(listed), len(set(listed)), context)
                self.assertEqual(set(listed), set(ids), context)
                self.assertEqual(reports(url), expected, context)
                more = hl.statement("after")
                self.assertEqual(c.store([more]), [more["id"]], context)
                self.assertEqual(c.ids({"agent": json.dumps(more["actor"])}), [more["id"]],
                                 context)
            finally:
                node.close()

        # The daily dump, restored into a new database as "Backups" restores it.
        self.primary.sql("postgres", "CREATE DATABASE restored ENCODING UTF8 "
                         "TEMPLATE template0")
        subprocess.run([pgcluster.program("pg_restore"), "--single-transaction",
                        "--exit-on-error", "--dbname=" + self.primary.url("restored"), dump],
                       check=True, timeout=120)
        serves(self.primary.url("restored"), dumped, reports_dumped, "the dump restored")

        # The weekly base backup and the archive, restored into a new cluster: PostgreSQL
        # replays the archive to its end, then opens.
        def restore(cluster):
            cluster._run(["mkdir", "-m", "700", cluster.data])
            cluster._run(["tar", "-xzf", os.path.join(base, "base.tar.gz"), "-C", cluster.data])
            cluster._run(["tar", "-xzf", os.path.join(base, "pg_wal.tar.gz"), "-C",
                          os.path.join(cluster.data, "pg_wal")])
            cluster._run(["sh", "-c", "echo \"restore_command = 'cp %s/%%f %%p'\" >> %s && "
                          "touch %s" % (archive, os.path.join(cluster.data, "postgresql.conf"),
                                        os.path.join(cluster.data, "recovery.signal"))])

        self.primary.stop("immediate")  # its machine lost: the restored copy takes over
        restored = pgcluster.Cluster.made_by(restore)
        self.addCleanup(restored.destroy)
        wait_for("the archive's replay to end", lambda: restored.sql(
            "postgres", "SELECT NOT pg_is_in_recovery()").strip() == "t")
        held = [line for line in restored.sql(name, "SELECT id FROM statement").splitlines()
                if line]
        self.assertEqual(sorted(set(held) - set(archived)), [],
                         "sent after the last archived segment, yet restored")
        serves(restored.url(name), archived, reports_archived, "the base backup restored")
        print("test_failover: a dump of %d statements and a base backup with the archive of "
              "%d restored; the %d sent after the last archived segment were not"
              % (len(dumped), len(archived), len(lost)), flush=True)


def reports(db):
    """Three report tables of the hub on db (relais-hub report), as CSV."""
    out = {}
    for table in ("status-by-course", "learners", "completions-by-course"):
        p = hl.run(["report", "--format", "csv", "--table", table, "--db", db])
        if p.returncode != 0:
            raise AssertionError("relais-hub report: %s" % p.stderr)
        out[table] = p.stdout
    return out


if __name__ == "__main__":
    testlib.main()
