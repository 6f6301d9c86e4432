"""netlib.py: what the network tests share: the address line a server prints first,
HTTP responses as received, and reading raw exchanges."""
import os
import re
import select
import time


def first_line(proc, what, timeout, stderr_text=lambda: ""):
    """The first line proc prints on its stdout pipe (a server's address), within timeout
    seconds; what names the command in the error when it prints none."""
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%s printed no address within %.0f s" % (what, timeout))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("%s exited before printing its address: %s" %
                                     (what, stderr_text()))
            data += chunk
    return data.split(b"\n", 1)[0].decode()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value), as received
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def response_complete(data):
    """Whether data holds a whole response head and its Content-Length body."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


def status_of(raw):
    """The status code of a raw HTTP response, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None
