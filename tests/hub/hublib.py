"""hublib.py: shared helpers for relais-hub's tests: a hub database in a temporary directory
(or, with RELAIS_HUB_DB=postgresql, a fresh database on a throw-away PostgreSQL cluster),
credentials and coordinators made with the real command, the hub served on a free loopback
port, an xAPI client (HTTP Basic, X-Experience-API-Version) and statement factories."""
import base64
import contextlib
import glob
import gzip
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import netlib  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
import testlib  # noqa: E402
from netlib import status_of  # noqa: E402,F401 (used by the tests)
from testlib import HUB, MINISIGN, raw_exchange  # noqa: E402,F401 (used by the tests)

XAPI_VERSION = "1.0.3"
VERB = "http://adlnet.gov/expapi/verbs/"
VOIDED = VERB + "voided"
COMPLETED = VERB + "completed"
RELAIS_ACTIVITIES = "https://relais.invalid/xapi/activities/"
ORGANISATION = "https://relais.invalid/xapi/extensions/organisation"
# The report views relais-hub report prints (the learner-* views need a learner: web only).
REPORTS = ["status-by-course", "status-by-organisation", "completions-by-course",
           "completions-by-organisation", "completions-by-day", "completions-over-time",
           "completions-by-learner",
           "learners", "quiz-questions", "quiz-results", "essays", "attendance"]
PASSWORD = "correct horse battery"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(s):
    return isinstance(s, str) and _UUID.fullmatch(s.lower()) is not None


def run(args, env=None, timeout=120, input=None):
    """relais-hub ARGS; returns the CompletedProcess (text)."""
    return testlib.run(HUB, args, env=testlib.hub_env(env), timeout=timeout, input=input)


# For tests that rewind a SQLite hub file to an older schema: PostgreSQL hubs start at the
# current one (store.c's pg_migrations), so there is no older file to rewind.
SQLITE_ONLY = unittest.skipIf(pgcluster.wanted(), "rewinds a SQLite hub file to an older schema")
# For tests of a SQLite hub file's own permissions (.ci/run expects this reason too).
SQLITE_FILE_ONLY = unittest.skipIf(pgcluster.wanted(), "makes a SQLite hub file read-only")
# For tests that stop the database under a running hub: only the PostgreSQL pass has one to
# stop (its own throw-away cluster); .ci/run expects this reason in the SQLite passes.
DATABASE_DOWN = unittest.skipUnless(pgcluster.wanted(), "stops the PostgreSQL cluster under a "
                                    "running hub (RELAIS_HUB_DB=postgresql only)")


class HubDb:
    """A directory with a hub database; credentials and coordinators added by the CLI."""

    def __init__(self, root, postgresql=None):
        self.root = root
        # RELAIS_HUB_DB=postgresql (or postgresql=True): a fresh database of this process's
        # throw-away cluster.
        self.pg = pgcluster.wanted() if postgresql is None else postgresql
        self.db = pgcluster.shared().new_database() if self.pg else os.path.join(root, "hub.db")
        # Published bundles and deltas: the default beside a SQLite file; on PostgreSQL a
        # folder given with --files ($RELAIS_HUB_FILES for the commands run here).
        self.files = os.path.join(root, "files") if self.pg else self.db + ".d"

    def files_arg(self):
        """What --files needs to be given (None: the default, beside the SQLite file)."""
        return self.files if self.pg else None

    def serve_args(self):
        """`serve` on this database: its arguments after the program."""
        return ["serve", "--db", self.db] + (["--files", self.files] if self.pg else [])

    def run(self, *args, env=None, check=True):
        if self.pg:
            env = dict(env or {}, RELAIS_HUB_FILES=self.files)
        p = run(list(args) + ["--db", self.db], env=env)
        if check and p.returncode != 0:
            raise AssertionError("relais-hub %s exited %d: %s" % (
                " ".join(args), p.returncode, p.stderr.strip()))
        return p

    def credentials(self, name="test laptop", scope=None):
        args = ["credentials", "add", "--name", name] + (["--scope", scope] if scope else [])
        out = self.run(*args).stdout
        key = re.search(r"^key:\s*([0-9a-f]+)$", out, re.M)
        secret = re.search(r"^secret:\s*([0-9a-f]+)$", out, re.M)
        if not key or not secret:
            raise AssertionError("credentials add printed %r" % out)
        return key.group(1), secret.group(1)

    def laptop_key(self, credential=None, name="laptop"):
        """A minisign key pair registered (credentials add-laptop-key) to credential, made
        when None: returns a LaptopKey."""
        if credential is None:
            credential = self.credentials("%s's credential" % name)[0]
        pub = os.path.join(self.root, name + ".pub")
        sec = os.path.join(self.root, name + ".key")
        subprocess.run([MINISIGN, "-G", "-W", "-f", "-p", pub, "-s", sec], check=True,
                       capture_output=True, timeout=60)
        self.run("credentials", "add-laptop-key", credential, pub)
        return LaptopKey(pub, sec, credential)

    def coordinator(self, email, password=PASSWORD):
        self.run("coordinator", "add", "--email", email,
                 env={"RELAIS_HUB_PASSWORD": password})

    def report_json(self):
        return json.loads(self.run("report", "--format", "json").stdout)

    def dump(self):
        """Everything the database holds, as bytes to search: the SQLite file and its WAL, or
        PostgreSQL's pg_dump of it."""
        if self.pg:
            return subprocess.run(["pg_dump", "--data-only", "-d", self.db], check=True,
                                  capture_output=True, timeout=120).stdout
        data = b""
        for path in glob.glob(self.db + "*"):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    data += f.read()
        return data

    @contextlib.contextmanager
    def table_read_as(self, table, select):
        """Within the block, reads of table give what select gives: table is renamed to
        table_kept (which select may read) and a view of select takes its name; both are put
        back after, whatever happens."""
        self.sql("ALTER TABLE %s RENAME TO %s_kept" % (table, table))
        try:
            self.sql("CREATE VIEW %s AS %s" % (table, select))
            yield
        finally:
            self.sql("DROP VIEW IF EXISTS %s" % table)
            self.sql("ALTER TABLE %s_kept RENAME TO %s" % (table, table))

    def sql(self, query, params=()):
        """The rows (tuples of text, or None for NULL) of query on the hub database, SQLite
        or PostgreSQL (through psql); ? marks params, which are quoted in, for tests only."""
        if not self.pg:
            con = sqlite3.connect(self.db, timeout=60)
            try:
                with con:
                    rows = con.execute(query, params).fetchall()
            finally:
                con.close()
            return [tuple(None if v is None else str(v) for v in r) for r in rows]
        parts = query.split("?")
        if len(parts) != len(params) + 1:
            raise ValueError("%d ? for %d parameters" % (len(parts) - 1, len(params)))
        text = parts[0]
        for value, rest in zip(params, parts[1:]):
            text += ("NULL" if value is None else
                     str(value) if isinstance(value, (int, float)) else
                     "'" + str(value).replace("'", "''") + "'") + rest
        # psql -A -t: a row a line, columns split by |, NULL as the marker given.
        out = pgcluster.shared().sql(self.db.rsplit("/", 1)[1], text, null="\x01")
        return [tuple(None if c == "\x01" else c for c in line.split("|"))
                for line in out.splitlines() if line]


class LaptopKey:
    """A laptop's signing key as the hub knows it: .pub and secret key files, its id and
    the credential it is registered to."""

    def __init__(self, pub, sec, credential):
        self.pub, self.sec, self.credential = pub, sec, credential
        with open(pub) as f:
            self.id = f.readline().split()[-1].upper().zfill(16)  # minisign drops leading 0s

    def sign(self, path):
        """Writes path.minisig as relais export-records does (minisign -S)."""
        subprocess.run([MINISIGN, "-S", "-s", self.sec, "-m", path], check=True,
                       capture_output=True, timeout=60)


def records_file(path, statements, key=None, fmt="relais-records", version=2, laptop_key=None):
    """A relais-records file (docs/sync.md, "Export") naming and signed by key (a LaptopKey),
    unsigned when key is None; laptop_key overrides the id the file claims."""
    doc = {"format": fmt, "version": version}
    if key is not None or laptop_key is not None:
        doc["laptop_key"] = laptop_key or key.id
    doc["statements"] = statements
    with gzip.open(path, "wb") as f:
        f.write(json.dumps(doc).encode())
    if key is not None:
        key.sign(path)


def sanitized(path):
    """Whether the program was built with AddressSanitizer (its allocator adds redzones and a
    quarantine of freed memory to every allocation, so resident memory means less)."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


# The budget: no request or import file raises the hub's memory by 64 MiB. Under
# AddressSanitizer (CI's second pass) the same inputs cost about half as much again in
# redzones and quarantine: the bound there is twice as wide, still far from the gigabytes
# these inputs cost before they were measured and refused.
MEMORY_BUDGET_KIB = 64 * 1024 * (2 if sanitized(HUB) else 1)


def _hwm_kib(pid):
    """The hub's resident high-water mark (KiB), or None before it runs (between fork and
    exec the numbers are this process's) and once it has exited. Read from /proc, not
    from wait4's ru_maxrss: that one also counts the memory of the process that forked it,
    before exec, so this test process's own size would hide the hub's."""
    try:
        if os.readlink("/proc/%d/exe" % pid) != os.path.realpath(HUB):
            return None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def import_peak(db, path, timeout=600):
    """relais-hub import PATH into db (a HubDb): its exit status, standard output, standard
    error and peak resident memory (KiB: its high-water mark as last seen, every 10 ms)."""
    env = testlib.hub_env()
    if sanitized(HUB):
        # AddressSanitizer keeps 256 MiB of freed memory from reuse (its quarantine, to
        # catch use after free): an import that frees each statement in turn would fill it.
        env["ASAN_OPTIONS"] = ":".join(o for o in [env.get("ASAN_OPTIONS"),
                                                   "quarantine_size_mb=8"] if o)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([HUB, "import", path, "--db", db.db], env=env,
                             stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak, deadline = 0, time.monotonic() + timeout
        while p.poll() is None:
            if time.monotonic() > deadline:
                p.kill()
                p.wait()
                raise AssertionError("relais-hub import %s: still running after %d s"
                                     % (path, timeout))
            peak = max(peak, _hwm_kib(p.pid) or 0)
            time.sleep(0.01)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode(), peak


# store.c's migration that brought the terms; tables of later ones are dropped by undo_terms.
TERMS_MIGRATION = 11
REPORTS_MIGRATION = 14
LATER_TABLES = ("course_session", "cohort_course", "cohort_member", "cohort", "learner_course",
                "organisation", "activity_learner", "activity_tally", "unscored_answer",
                "coordinator_session", "course_tally", "course_day_tally", "learner",
                "activity_day_tally", "activity_month_tally", "course_month_tally",
                "activity_day_total", "activity_month_total", "activity_day_country",
                "activity_month_country")


def undo_terms(path):
    """Takes the hub database at path back to before its terms (store.c, TERMS_MIGRATION): text
    in the indexes and the agent and activity tables, as hubs made it until then; the tables of
    later migrations go too, so that every migration from the terms on runs again."""
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    script = "".join("DROP TABLE IF EXISTS %s;" % t for t in LATER_TABLES)
    if version >= REPORTS_MIGRATION:  # its tables are made from the terms: undone first
        script += "ALTER TABLE coordinator DROP COLUMN organisation;"
    script += "DROP INDEX statement_actor; DROP INDEX statement_verb;" \
        "DROP INDEX statement_object; DROP INDEX statement_course;"
    for table, column in (("statement_agent", "agent"), ("statement_activity", "activity")):
        script += ("CREATE TABLE old_{t} ({c} TEXT NOT NULL, seq INTEGER NOT NULL,"
                   " PRIMARY KEY ({c}, seq)) WITHOUT ROWID;"
                   "INSERT INTO old_{t} SELECT term.text, x.seq FROM {t} x"
                   " JOIN term ON term.id = x.term;"
                   "DROP TABLE {t}; ALTER TABLE old_{t} RENAME TO {t};").format(t=table, c=column)
    for column in ("actor", "verb", "object", "course"):
        script += "ALTER TABLE statement DROP COLUMN %s_term;" % column
    script += ("DROP TABLE term; CREATE INDEX statement_actor ON statement(actor, seq);"
               "CREATE INDEX statement_verb ON statement(verb, seq);"
               "CREATE INDEX statement_object ON statement(object_id, seq);"
               "CREATE INDEX statement_course ON statement(course, verb);"
               # Back to before the terms: that migration and every later one run again.
               "PRAGMA user_version = %d;" % (TERMS_MIGRATION - 1))
    db.executescript(script)
    db.close()


def sign_in(hub, email, password=PASSWORD, timeout=30.0):
    """A browser signed in to the reports as coordinator email (its own session)."""
    b = Client(hub, version=None, timeout=timeout)
    form = urllib.parse.urlencode({"email": email, "password": password}).encode()
    r = b.request("POST", "/reports/login", body=form,
                  content_type="application/x-www-form-urlencoded")
    assert r.status == 303 and b.cookies.get("relais_hub_session"), r
    return b


def clock_behind(seconds):
    """Variables that run a program with its clock `seconds` behind the machine's (Debian's
    faketime: its library preloaded), as on a machine whose clock is not synchronised; None
    when faketime is not installed."""
    lib = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not lib:
        return None
    return {"LD_PRELOAD": lib[0], "FAKETIME": "-%ds" % seconds,
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # an AddressSanitizer build lets the library come first
            "ASAN_OPTIONS": ":".join(filter(None, (os.environ.get("ASAN_OPTIONS"),
                                                   "verify_asan_link_order=0")))}


def make_hub_db(owner):
    """A fresh HubDb removed when owner (a TestCase or a TestCase class) is done."""
    return HubDb(testlib.temp_dir(owner, "relais-hub-test-"))


def Hub(db, env=None):
    """`relais-hub serve` on a HubDb; stopped by the caller (stop() checks a clean exit)."""
    return testlib.Hub(db, env=env)


def start_hub(owner, db, env=None):
    """The hub served on db (env: variables over its environment), stopped (and checked)
    when owner is done."""
    hub = Hub(db, env=env)
    if isinstance(owner, type):
        owner.addClassCleanup(hub.stop)
    else:
        owner.addCleanup(hub.stop)
    return hub


SYNC_SUMMARY = re.compile(r"^sent (\d+), left (\d+), set aside (\d+), (\d+) bytes up$")


def sync_up(case, env, hub, key, secret):
    """`relais sync --hub` from the laptop of env to hub; checks it succeeded and returns its
    summary's counts: [sent, left, set aside]."""
    p = testlib.run(testlib.RELAIS, ["sync", "--hub", hub.url, "--key", key, "--secret", secret],
                    env=env)
    case.assertEqual(p.returncode, 0, p.stderr)
    m = SYNC_SUMMARY.match(p.stdout.strip())
    case.assertIsNotNone(m, p.stdout)
    return [int(x) for x in m.groups()[:3]]


class Response(netlib.Response):
    def json(self):
        return json.loads(self.body)

    def error(self):
        """The hub's {"error": "..."} message, or the body as text."""
        try:
            return json.loads(self.body)["error"]
        except (ValueError, KeyError, TypeError):
            return self.text


class Client:
    """An xAPI client: Basic credentials and the version header unless told otherwise;
    a new connection per request."""

    def __init__(self, hub, key=None, secret=None, version=XAPI_VERSION, timeout=30.0):
        self.hub = hub
        self.port = hub.port
        self.key, self.secret = key, secret
        self.version = version
        self.timeout = timeout
        self.cookies = {}

    def auth_header(self):
        if self.key is None:
            return None
        raw = ("%s:%s" % (self.key, self.secret)).encode()
        return "Basic " + base64.b64encode(raw).decode()

    def request(self, method, path, body=None, headers=None, auth=True, version=True,
                content_type="application/json"):
        h = {"Host": self.hub.host}
        if auth and self.key is not None:
            h["Authorization"] = self.auth_header()
        if version and self.version is not None:
            h["X-Experience-API-Version"] = self.version
        if body is not None:
            if not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode()
            if content_type is not None:
                h["Content-Type"] = content_type
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.items():
                if v is not None:
                    conn.putheader(k, v)
            if body is not None and "Content-Length" not in h:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        for v in resp.header_all("Set-Cookie"):
            name, _, rest = v.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp

    # --- the xAPI resources ---

    def post(self, statements, **kw):
        return self.request("POST", "/xapi/statements", body=statements, **kw)

    def put(self, statement_id, statement, **kw):
        path = "/xapi/statements"
        if statement_id is not None:
            path += "?" + urllib.parse.urlencode({"statementId": statement_id})
        return self.request("PUT", path, body=statement, **kw)

    def get(self, params=None, **kw):
        path = "/xapi/statements"
        if params:
            path += "?" + urllib.parse.urlencode(
                [(k, json.dumps(v) if isinstance(v, dict) else v) for k, v in params.items()])
        return self.request("GET", path, **kw)

    def about(self, **kw):
        return self.request("GET", "/xapi/about", **kw)

    def store(self, statements):
        """POSTs and requires 200; returns the ids."""
        r = self.post(statements)
        if r.status != 200:
            raise AssertionError("POST refused: %r" % r)
        return r.json()

    def statement(self, statement_id, voided=False):
        """The stored statement, or None for 404."""
        r = self.get({"voidedStatementId" if voided else "statementId": statement_id})
        if r.status == 404:
            return None
        if r.status != 200:
            raise AssertionError("GET %s: %r" % (statement_id, r))
        return r.json()

    def query_all(self, params, max_pages=1000):
        """Every statement of a query, following `more` to the end: (statements, pages)."""
        r = self.get(params)
        out, pages = [], 0
        while True:
            if r.status != 200:
                raise AssertionError("GET %r: %r" % (params, r))
            doc = r.json()
            out.extend(doc["statements"])
            pages += 1
            if not doc.get("more"):
                return out, pages
            if pages >= max_pages:
                raise AssertionError("more than %d pages" % max_pages)
            r = self.request("GET", doc["more"])

    def ids(self, params):
        return [s["id"] for s in self.query_all(params)[0]]


# --- statement factories ---

def agent(who="alice", name=None):
    a = {"objectType": "Agent", "mbox": "mailto:%s@example.org" % who}
    if name is not None:
        a["name"] = name
    return a


def verb(v="experienced"):
    return {"id": v if ":" in v else VERB + v, "display": {"en-US": v.rsplit("/", 1)[-1]}}


def activity(aid="https://example.org/activities/one", name=None):
    a = {"objectType": "Activity", "id": aid}
    if name is not None:
        a["definition"] = {"name": {"en": name},
                           "type": "http://adlnet.gov/expapi/activities/lesson"}
    return a


def statement(who="alice", v="experienced", obj=None, with_id=True, **extra):
    """A valid statement; extra members are added (or replace) at the top level."""
    st = {"actor": agent(who, name=who.capitalize()), "verb": verb(v),
          "object": obj if obj is not None else activity(name="Lesson one")}
    if with_id:
        st["id"] = str(uuid.uuid4())
    st["timestamp"] = "2026-11-29T10:00:00.000Z"
    st.update(extra)
    return st


def voiding(target_id, who="admin"):
    return {"id": str(uuid.uuid4()), "actor": agent(who), "verb": verb(VOIDED),
            "object": {"objectType": "StatementRef", "id": target_id}}


def completion(course, email, name=None, organisation=None, timestamp=None):
    """A course completion as relais makes it (docs/statements.md)."""
    st = {"id": str(uuid.uuid4()),
          "actor": {"objectType": "Agent", "name": name or email.split("@")[0],
                    "mbox": "mailto:" + email},
          "verb": verb("completed"),
          "object": {"objectType": "Activity", "id": RELAIS_ACTIVITIES + course,
                     "definition": {"name": {"en": course},
                                    "type": "http://adlnet.gov/expapi/activities/course"}},
          "result": {"completion": True},
          "context": {"platform": "relais", "language": "en"},
          "timestamp": timestamp or "2026-11-29T10:00:00.000Z"}
    if organisation is not None:
        st["context"]["extensions"] = {ORGANISATION: organisation}
    return st


def without_server_fields(st):
    """A stored statement without what the hub adds (stored, authority, version), to compare
    with what was sent."""
    return {k: v for k, v in st.items() if k not in ("stored", "authority", "version")}


def parse_time(s):
    """ISO 8601 with Z or an offset, to epoch seconds (float)."""
    from datetime import datetime
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
