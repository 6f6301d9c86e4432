"""pgcluster.py: a throw-away PostgreSQL cluster for the hub's tests: initdb as an unprivileged
user (nobody when run as root) in a temporary directory, pg_ctl start on a free 127.0.0.1 port,
one fresh database per hub (postgresql:// URL), stopped and deleted at exit.

Used by hublib when RELAIS_HUB_DB=postgresql; shared() is the process's one cluster."""
import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid

USER = "relais"  # the cluster's superuser (trust authentication, loopback only)


def program(name):
    """The path of PostgreSQL's program name (the newest installed version's)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        raise RuntimeError("PostgreSQL's %s is missing: apt-get install postgresql" % name)
    return found[-1]


def available():
    """Whether the PostgreSQL server programs are installed."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_user():
    """The command prefix that runs PostgreSQL's programs as nobody when we are root (it
    refuses to run as root); empty otherwise."""
    if os.geteuid() != 0:
        return []
    nobody = pwd.getpwnam("nobody")
    return ["setpriv", "--reuid", str(nobody.pw_uid), "--regid", str(nobody.pw_gid),
            "--clear-groups", "--"]


class Cluster:
    """A cluster of its own; start() makes it, stop() and start() again keep its data."""

    def __init__(self):
        self._new_root()
        self._run([program("initdb"), "-D", self.data, "-U", USER, "--auth=trust", "--no-sync",
                   "-E", "UTF8", "--locale=C"])
        self.start()
        atexit.register(self.destroy)

    def _new_root(self):
        """A temporary directory of the cluster's own, its data to be made in data/."""
        self.root = tempfile.mkdtemp(prefix="relais-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "log")
        self.port = free_port()
        self.running = False
        self.kept_root = False
        # PostgreSQL refuses to run as root: run it as nobody, owning its directory.
        self.as_user = _as_user()
        if self.as_user:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            os.chmod(self.root, 0o700)

    @classmethod
    def kept(cls, root):
        """The cluster an earlier run made in root and left stopped, started again on a
        free port; destroy() then stops it and leaves its data."""
        self = cls.__new__(cls)
        self.root = root
        self.data = os.path.join(root, "data")
        self.log = os.path.join(root, "log")
        if not os.path.isfile(os.path.join(self.data, "PG_VERSION")):
            raise RuntimeError("%s holds no PostgreSQL cluster (no data/PG_VERSION)" % root)
        self.port = free_port()
        self.running = False
        self.kept_root = True
        self.as_user = _as_user()
        self.start()
        atexit.register(self.destroy)
        return self

    @classmethod
    def made_by(cls, make):
        """A cluster whose data directory make(cluster) fills (a copy of another, a backup
        restored), run with cluster._run as the cluster's user; then started on a port of its
        own. Removed at exit like any other."""
        self = cls.__new__(cls)
        self._new_root()
        make(self)
        self.start()
        atexit.register(self.destroy)
        return self

    @classmethod
    def standby_of(cls, primary, name):
        """A streaming replica of primary (a running Cluster), as docs/hub.md makes one:
        pg_basebackup -X stream -C -S name -R, so that primary keeps a replication slot called
        name and the replica connects back as application_name name."""
        return cls.made_by(lambda self: self._run([
            program("pg_basebackup"), "-d", "host=127.0.0.1 port=%d user=%s application_name=%s"
            % (primary.port, USER, name), "-D", self.data, "-X", "stream", "-C", "-S", name,
            "-R", "--no-sync"]))

    def promote(self):
        """pg_ctl promote: a replica takes writes from now on."""
        self._run([program("pg_ctl"), "-D", self.data, "-w", "-t", "60", "promote"])

    def _run(self, args):
        p = subprocess.run(self.as_user + args, capture_output=True, text=True,
                           cwd=self.root, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("%s exited %d: %s%s" % (os.path.basename(args[0]), p.returncode,
                                                       p.stdout, p.stderr))
        return p

    def start(self):
        self._run([program("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200" % (self.port, self.root), "start"])
        self.running = True

    def stop(self, mode="fast"):
        self._run([program("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])
        self.running = False

    def destroy(self):
        if self.running:
            try:
                self.stop("fast" if self.kept_root else "immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        if not self.kept_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database="postgres"):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, database)

    def sql(self, database, command, null=""):
        """Runs command with psql on database; returns its output (unaligned, tuples only,
        NULL written as null)."""
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-P", "null=" + null, "-d", self.url(database), "-c", command],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql: %s" % p.stderr.strip())
        return p.stdout

    def new_database(self):
        """The URL of a new, empty database."""
        name = "hub_" + uuid.uuid4().hex[:16]
        self.sql("postgres", "CREATE DATABASE %s" % name)
        return self.url(name)


_shared = None


def shared():
    """This process's cluster, made at the first call."""
    global _shared
    if _shared is None:
        _shared = Cluster()
    return _shared


def wanted():
    """Whether the tests should run their hubs on PostgreSQL (RELAIS_HUB_DB=postgresql)."""
    return os.environ.get("RELAIS_HUB_DB") == "postgresql"
