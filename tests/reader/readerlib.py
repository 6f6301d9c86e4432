"""readerlib.py: shared helpers for the reader's tests: a home with a course and a learner,
the reader started on 127.0.0.1, and a small cookie-keeping HTTP client."""
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import netlib  # noqa: E402
from netlib import Response, status_of  # noqa: E402,F401 (used by the tests)

SOURCE_ROOT = os.environ.get("RELAIS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
RELAIS = os.environ.get("RELAIS") or os.path.join(SOURCE_ROOT, "build", "cli", "relais")

COURSE_ID = "migration-health"
COURSE_DIR = os.path.join(SOURCE_ROOT, "courses", COURSE_ID)
QUIZ_PAGE = "/c/%s/quiz/evaluation.json" % COURSE_ID
QUIZ_ACTION = "/c/%s/quiz/evaluation" % COURSE_ID
SAVED = "Saved on this laptop."
LEARNER_NAME = "Test Learner"
LEARNER_EMAIL = "t@example.org"

_TOKEN = re.compile(r'<input type="hidden" name="token" value="([0-9a-f]+)">')


class Home:
    """A RELAIS_HOME with a trusted key, the English course and one learner."""

    def __init__(self, root):
        self.root = root
        self.path = os.path.join(root, "home")
        os.mkdir(self.path)
        self.env = dict(os.environ)
        self.env.pop("RELAIS_PASSWORD", None)
        self.env["RELAIS_HOME"] = self.path
        pub = os.path.join(root, "k.pub")
        key = os.path.join(root, "k.key")
        bundle = os.path.join(root, "mh.relais")
        self.run("keygen", "--public-key", pub, "--secret-key", key, "--no-password")
        self.run("pack", COURSE_DIR, "--secret-key", key, "-o", bundle)
        self.run("trust", "add", pub)
        self.run("install", bundle)
        self.run("profile", "add", "--name", LEARNER_NAME, "--email", LEARNER_EMAIL)

    @property
    def db(self):
        return os.path.join(self.path, "relais.db")

    def run(self, *args):
        """Runs relais on this home; a failure stops the test with relais's own message."""
        p = subprocess.run([RELAIS] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL, start_new_session=True)
        if p.returncode != 0:
            raise AssertionError("relais %s exited %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.strip()))
        return p.stdout


def make_home(testcase):
    """A fresh Home in a temporary directory removed when the test ends."""
    tmp = tempfile.TemporaryDirectory(prefix="relais-reader-")
    testcase.addCleanup(tmp.cleanup)
    return Home(tmp.name)


def make_class_home(cls):
    """A fresh Home shared by a TestCase class, removed when the class is done."""
    tmp = tempfile.TemporaryDirectory(prefix="relais-reader-")
    cls.addClassCleanup(tmp.cleanup)
    return Home(tmp.name)


class Reader:
    """`relais read --no-browser --port 0` on a home; always stopped by the caller."""

    def __init__(self, home, timeout=10.0):
        self.home = home
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([RELAIS, "read", "--no-browser", "--port", "0"],
                                     env=home.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     start_new_session=True)
        try:
            line = netlib.first_line(self.proc, "relais read", timeout, self.stderr_text)
            m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?k=([0-9a-f]{32})", line)
            if m is None:
                raise AssertionError("relais read printed %r, not its address" % line)
        except BaseException:
            self.kill()
            raise
        self.url = line
        self.port = int(m.group(1))
        self.secret = m.group(2)
        self.host = "127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def kill(self):
        """SIGKILL, as a power cut or the task manager would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def stop(self):
        """Ctrl-C; SIGKILL if the reader does not stop within 5 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close()

    def _close(self):
        if self.proc.stdout:
            self.proc.stdout.close()
        self.stderr.close()


class Client:
    """One browser tab: keeps the session cookie; a new connection per request."""

    def __init__(self, reader, timeout=10.0):
        self.port = reader.port
        self.host = reader.host
        self.reader = reader
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, cookie=True):
        h = {"Host": self.host}
        if cookie and self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.items():
                if v is not None:
                    conn.putheader(k, v)
            if body is not None and "Content-Length" not in h and \
                    h.get("Transfer-Encoding") != "chunked":
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.getheaders(), data)
        finally:
            conn.close()
        for v in resp.header_all("Set-Cookie"):
            name, _, rest = v.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0].strip()
        return resp

    def get(self, path, headers=None, cookie=True):
        return self.request("GET", path, headers=headers, cookie=cookie)

    def post(self, path, fields, headers=None, cookie=True):
        """A form POST, urlencoded as a browser sends it; fields is a list of pairs."""
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                            headers=h, cookie=cookie)

    def open_session(self):
        """Opens the printed address: 303 to / with the session cookie."""
        u = urllib.parse.urlsplit(self.reader.url)
        r = self.get("%s?%s" % (u.path, u.query), cookie=False)
        if r.status != 303 or "relais_session" not in self.cookies:
            raise AssertionError("opening the printed address gave %r" % r)
        return r

    def choose_learner(self, name=LEARNER_NAME):
        """Picks the learner called name on /who; returns the session's token."""
        r = self.get("/who")
        if r.status != 200:
            raise AssertionError("/who gave %r" % r)
        token = token_of(r.text)
        for m in re.finditer(r'name="profile" value="(\d+)"><button type="submit">([^<(]*)',
                             r.text):
            if html.unescape(m.group(2)).strip() == name:
                c = self.post("/who/choose", [("token", token), ("profile", m.group(1))])
                if c.status != 303:
                    raise AssertionError("choosing %s gave %r" % (name, c))
                return token
        raise AssertionError("no learner %r on /who" % name)

    def add_learner(self, name, email):
        """Adds a learner through /who/add (which also chooses it); returns the token."""
        r = self.get("/who")
        token = token_of(r.text)
        c = self.post("/who/add", [("token", token), ("name", name), ("email", email)])
        if c.status != 303:
            raise AssertionError("adding learner %s gave %r" % (email, c))
        return token


def token_of(page):
    """The CSRF token every form of the page carries."""
    m = _TOKEN.search(page)
    if m is None:
        raise AssertionError("no token in page: %r" % page[:300])
    return m.group(1)


def quiz_questions(page):
    """The quiz form's scored question ids and their input fields, in order:
    [(question id, [(field name, input type, [values])])]."""
    out = []
    for m in re.finditer(r'<fieldset class="relais-question ([^"]*)" id="relais-([^"]+)"(.*?)'
                         r'</fieldset>', page, re.S):
        if "relais-unscored" in m.group(1):
            continue
        inputs = {}
        order = []
        for i in re.finditer(r'<input([^>]*)>', m.group(3)):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', i.group(1)))
            name = attrs.get("name")
            if not name:
                continue
            if name not in inputs:
                inputs[name] = (attrs.get("type", "text"), [])
                order.append(name)
            if "value" in attrs:
                inputs[name][1].append(html.unescape(attrs["value"]))
        for s in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', m.group(3),
                             re.S):
            name = s.group(1)
            vals = [html.unescape(v) for v in re.findall(r'<option[^>]*value="([^"]*)"',
                                                         s.group(2)) if v]
            inputs[name] = ("select", vals)
            order.append(name)
        out.append((m.group(2), [(n, inputs[n][0], inputs[n][1]) for n in order]))
    return out


def random_answers(questions, rnd):
    """Form fields answering every question somehow (right or wrong)."""
    fields = []
    for _, inputs in questions:
        for name, kind, values in inputs:
            if kind in ("radio", "select") and values:
                fields.append((name, rnd.choice(values)))
            elif kind == "checkbox" and values:
                for v in values:
                    if rnd.random() < 0.5:
                        fields.append((name, v))
            else:
                fields.append((name, rnd.choice(["38", "14", "ICVP", "INN", "no idea", ""])))
    return fields


def raw_exchange(port, data, timeout=10.0):
    """Sends raw bytes on a new connection (from a second thread, so a server that answers
    early is heard) and returns what came back before the server closed the connection, a
    whole response arrived, or timeout passed (b"" if nothing)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send():
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may stop reading once it has answered

    sender = threading.Thread(target=send, daemon=True)
    got = b""
    try:
        sender.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            got += chunk
            if netlib.response_complete(got):
                break
    finally:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
        sender.join(timeout=timeout)
    return got
