"""testlib.py: what every program test shares: where the programs and sources are, running
relais and relais-hub, temporary directories, the reader and the hub started and stopped (a
clean stop checked), one raw exchange, and the case counts summary.py adds up."""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlib  # noqa: E402

SOURCE_ROOT = os.environ.get("RELAIS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), ".."))
RELAIS = os.environ.get("RELAIS") or os.path.join(SOURCE_ROOT, "build", "cli", "relais")
HUB = os.environ.get("RELAIS_HUB") or os.path.join(SOURCE_ROOT, "build", "cli", "relais-hub")
COURSES = os.path.join(SOURCE_ROOT, "courses")
MINISIGN = shutil.which("minisign") or "/usr/bin/minisign"

# What a sanitizer prints when it finds something (ASan, LSan, UBSan).
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:")


def course_dir(name="migration-health"):
    return os.path.join(COURSES, name)


def run(program, args, env=None, cwd=None, timeout=120, input=None):
    """program ARGS with env (default: this environment); the CompletedProcess (text)."""
    return subprocess.run([program] + list(args), env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          start_new_session=True)


def laptop_env(home):
    """This environment with RELAIS_HOME=home (without it when home is None), no password."""
    env = dict(os.environ)
    env.pop("RELAIS_PASSWORD", None)
    env.pop("RELAIS_HOME", None)
    if home is not None:
        env["RELAIS_HOME"] = home
    return env


def hub_env(extra=None):
    env = dict(os.environ)
    env.pop("RELAIS_HUB_PASSWORD", None)
    env.pop("RELAIS_HUB_DB", None)
    env.pop("RELAIS_HUB_FILES", None)
    env.update(extra or {})
    return env


def checked(p, what):
    """p, or AssertionError with the command's own message when it failed."""
    if p.returncode != 0:
        raise AssertionError("%s %s exited %d: %s" % (what, " ".join(p.args[1:]), p.returncode,
                                                       p.stderr.strip()))
    return p


def temp_dir(owner, prefix="relais-test-"):
    """A temporary directory removed when owner (a TestCase, or a TestCase class) is done."""
    path = tempfile.mkdtemp(prefix=prefix)
    if isinstance(owner, type):
        owner.addClassCleanup(shutil.rmtree, path, ignore_errors=True)
    else:
        owner.addCleanup(shutil.rmtree, path, ignore_errors=True)
    return path


def read_line(proc, what, timeout, stderr_text=lambda: "", pending=None):
    """The next line proc prints on its stdout pipe within timeout seconds, without its
    newline; what names the command in the error. pending (a bytearray) keeps what was read
    past that line for the next call."""
    fd = proc.stdout.fileno()
    data = pending if pending is not None else bytearray()
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%s printed no line within %.0f s" % (what, timeout))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("%s exited before printing a line: %s" %
                                     (what, stderr_text()))
            data += chunk
    line, _, rest = bytes(data).partition(b"\n")
    data[:] = rest
    return line.decode()


class Server:
    """A server program on a free loopback port: its first line is its address. stop() is
    Ctrl-C or SIGTERM and checks the program ended cleanly: exit status 0 and no sanitizer
    report on its standard error; kill() is SIGKILL, checked by nobody."""

    what = "server"
    address = re.compile(r"http://127\.0\.0\.1:(\d+)/")

    def __init__(self, args, env=None, stderr=None, timeout=15.0):
        self.stderr = stderr if stderr is not None else tempfile.TemporaryFile()
        self.killed = False
        self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     start_new_session=True)
        try:
            line = read_line(self.proc, self.what, timeout, self.stderr_text)
            self.match = self.address.fullmatch(line)
            if self.match is None:
                raise AssertionError("%s printed %r, not its address" % (self.what, line))
        except BaseException:
            self.kill()
            raise
        self.url = line
        self.port = int(self.match.group(1))
        self.host = "127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def kill(self):
        """SIGKILL, as a power cut or the task manager would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.killed = True
        self.proc.wait(timeout=30)
        self._close()

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Stops the server with sig and asserts it ended cleanly (unless killed before)."""
        if self.proc.stdout is None or self.proc.stdout.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                err = self.stderr_text()
                self._close()
                raise AssertionError("%s did not stop within %d s of %s: %s" % (
                    self.what, timeout, signal.Signals(sig).name, err[-2000:]))
        code, err = self.proc.returncode, self.stderr_text()
        self._close()
        if self.killed:
            return
        if code != 0 or SANITIZER_REPORT.search(err):
            raise AssertionError("%s did not end cleanly (exit %d): %s" % (self.what, code,
                                                                           err[-3000:]))

    def _close(self):
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self.stderr.closed:
            self.stderr.close()


class Reader(Server):
    """`relais read --no-browser --port 0` on a laptop home (a RELAIS_HOME)."""

    what = "relais read"
    address = re.compile(r"http://127\.0\.0\.1:(\d+)/\?k=([0-9a-f]{32})")

    def __init__(self, env, timeout=10.0):
        super().__init__([RELAIS, "read", "--no-browser", "--port", "0"], env=env,
                         timeout=timeout)
        self.secret = self.match.group(2)


class Hub(Server):
    """`relais-hub serve --listen 127.0.0.1:0` on a hub database."""

    what = "relais-hub serve"

    def __init__(self, db, stderr=None, timeout=15.0, files=None, env=None):
        """files: --files DIR (needed on PostgreSQL); a HubDb (tests/hub/hublib.py) as db
        brings its own. env: variables over the hub's environment."""
        if files is None and hasattr(db, "files_arg"):
            files = db.files_arg()
        db = getattr(db, "db", db)
        super().__init__([HUB, "serve", "--db", db, "--listen", "127.0.0.1:0"]
                         + (["--files", files] if files else []),
                         env=hub_env(env), stderr=stderr, timeout=timeout)


def raw_exchange(port, data, timeout=10.0, chunks=()):
    """Sends raw bytes (then each of chunks) on a new connection, from a second thread so a
    server that answers early is heard, and returns what came back before the server closed
    the connection, a whole response arrived, or timeout passed (b"" if nothing)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send():
        try:
            s.sendall(data)
            for c in chunks:
                s.sendall(c)
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


class _CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    """unittest.main, then one line on standard output for summary.py (after the skips):
    `# relais-cases: N passed, N failed, N skipped`, each skip as `# relais-skip: ID: why`."""
    prog = unittest.main(verbosity=2, exit=False,
                         testRunner=unittest.TextTestRunner(resultclass=_CountingResult,
                                                            verbosity=2))
    r = prog.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    for test, why in r.skipped:
        print("# relais-skip: %s: %s" % (test.id(), " ".join(why.split())))
    print("# relais-cases: %d passed, %d failed, %d skipped" % (
        r.passed + len(r.expectedFailures), failed, len(r.skipped)), flush=True)
    sys.exit(0 if r.wasSuccessful() else 1)
