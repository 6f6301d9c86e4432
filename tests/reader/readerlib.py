"""readerlib.py: shared helpers for the reader's tests: a home with a course and a learner,
the reader started on 127.0.0.1, and a small cookie-keeping HTTP client."""
import hashlib
import html
import html.parser
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import urllib.parse
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402
from netlib import Response, status_of  # noqa: E402,F401 (used by the tests)
from testlib import RELAIS, raw_exchange  # noqa: E402,F401 (used by the tests)

COURSE_ID = "migration-health"
COURSE_DIR = testlib.course_dir(COURSE_ID)
QUIZ_PAGE = "/c/%s/quiz/evaluation.json" % COURSE_ID
QUIZ_ACTION = "/c/%s/quiz/evaluation" % COURSE_ID
SAVED = "Saved on this laptop."
LEARNER_NAME = "Test Learner"
LEARNER_EMAIL = "t@example.org"

_TOKEN = re.compile(r'<input type="hidden" name="token" value="([0-9a-f]+)">')


class LaptopHome:
    """A RELAIS_HOME with a trusted key, the English course and one learner."""

    def __init__(self, root):
        self.root = root
        self.path = os.path.join(root, "home")
        os.mkdir(self.path)
        self.env = testlib.laptop_env(self.path)
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
        return testlib.checked(testlib.run(RELAIS, args, env=self.env), "relais").stdout


def make_laptop_home(owner):
    """A fresh LaptopHome removed when owner (a TestCase or a TestCase class) is done."""
    return LaptopHome(testlib.temp_dir(owner, "relais-reader-"))


def Reader(home, timeout=10.0):
    """`relais read` on a LaptopHome; stopped by the caller (stop() checks a clean exit)."""
    return testlib.Reader(home.env, timeout=timeout)


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


# Full marks on the English course's quiz, as form fields, written from
# courses/migration-health/quiz/evaluation.gift (choices by their position in the source).
RIGHT_ANSWERS = [
    ("q-purpose-of-the-ihr", "0"),
    ("q-limits-of-temperature-screening", "0"), ("q-limits-of-temperature-screening", "1"),
    ("q-dignity-in-practice", "0"), ("q-dignity-in-practice", "1"),
    ("q-dignity-in-practice", "2"), ("q-dignity-in-practice", "3"),
    ("q-yellow-fever-certificate-validity", "true"),
    ("q-medicines-found-at-the-border", "false"),
    ("q-model-certificate", "ICVP"),
    ("q-generic-medicine-names", "INN"),
    ("q-fever-threshold", "38"),
    ("q-contact-tracing-on-a-long-flight", "14"),
    ("q-yellow-fever-certificate-start", "10"),
] + [("q-key-ihr-articles.%d" % i, str(i)) for i in range(4)] + [
    ("q-referral-pathways.%d" % i, str(i)) for i in range(4)] + [
    ("q-annex-2-rule", "0"),
    ("q-national-ihr-focal-point", "0"),
]


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


def _zip_entry_headers(name, data, offset):
    """A stored entry in the canonical form of docs/bundle-format.md: its local header and
    its central directory record."""
    crc = zlib.crc32(data)
    fixed = struct.pack("<HHHHHIIIHH", 20, 0x0800, 0, 0, 0x0021, crc, len(data), len(data),
                        len(name), 0)
    local = b"PK\x03\x04" + fixed + name
    central = (b"PK\x01\x02" + struct.pack("<H", 0x031E) + fixed +
               struct.pack("<HHHII", 0, 0, 0, 0x81A40000, offset) + name)
    return local, central


def resign_bundle(src, dst, key, replace, version=None):
    """Copies the bundle src to dst with some entries' bytes replaced (replace: path -> bytes),
    their sizes and SHA-256 updated in manifest.json, and the manifest signed again with
    key (a minisign secret key without password), as someone holding a trusted key but
    not using relais pack could; version, when given, replaces the manifest's. Every entry
    is stored."""
    with zipfile.ZipFile(src) as z:
        entries = [(n, z.read(n)) for n in z.namelist()]
    manifest = json.loads(entries[0][1])
    if version is not None:
        manifest["version"] = version
    for e in manifest["entries"]:
        if e["path"] in replace:
            e["size"] = len(replace[e["path"]])
            e["sha256"] = hashlib.sha256(replace[e["path"]]).hexdigest()
    mtext = json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode()
    with tempfile.TemporaryDirectory() as tmp:
        mpath = os.path.join(tmp, "manifest.json")
        with open(mpath, "wb") as f:
            f.write(mtext)
        p = subprocess.run([testlib.MINISIGN, "-S", "-s", key, "-m", mpath, "-x",
                            mpath + ".minisig", "-c", "relais bundle signature", "-t",
                            "relais %s %d" % (manifest["id"], manifest["version"])],
                           input=b"", capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("minisign: %s" % p.stderr.decode(errors="replace"))
        with open(mpath + ".minisig", "rb") as f:
            sig = f.read()
    out = [("manifest.json", mtext), ("manifest.json.minisig", sig)]
    out += [(n, replace.get(n, d)) for n, d in entries[2:]]
    body, central = b"", b""
    for name, data in out:
        local, cent = _zip_entry_headers(name.encode(), data, len(body))
        body += local + data
        central += cent
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(out), len(out), len(central),
                      len(body), 0)
    with open(dst, "wb") as f:
        f.write(body + central + end)


class FormOwners(html.parser.HTMLParser):
    """Which form each submit button belongs to, as a browser decides: a <form> inside an
    open form is ignored, so an unclosed form in a lesson captures the reader's own button.
    buttons: (form action or None, button text) in page order."""

    def __init__(self, page):
        super().__init__()
        self.open = None
        self.buttons = []
        self._in_button = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "form" and self.open is None:
            self.open = dict(attrs).get("action", "")
        elif tag == "button":
            self._in_button = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None
        elif tag == "button" and self._in_button is not None:
            self.buttons.append((self.open, self._in_button.strip()))
            self._in_button = None

    def handle_data(self, data):
        if self._in_button is not None:
            self._in_button += data
