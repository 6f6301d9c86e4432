#!/usr/bin/env python3
"""fakecat.py: a hub's course files on loopback for testing relais sync's courses down.

FakeCat is a FakeHub (records up, POST /xapi/statements) that also serves a
folder under /relais/ as docs/catalogue.md says: catalogue.json, its .minisig,
bundles/<sha256>.relais and deltas/<from>-<to>.delta, with the same Basic
credentials, a strong ETag (the body's SHA-256), If-None-Match (304), one
Range per request (206 with Content-Range, 416 past the end) and If-Range.
Misbehaviours on demand: cut a bundle's reply after N bytes (a number of
times, or always), send more bytes than the file holds, trickle bundle
bodies at a rate, ignore ranges. Every GET is logged with what it asked and
what it got, and the bytes of every exchange are counted.
"""
import hashlib
import os
import re
import socket
import threading
import time

from fakehub import FakeHub

NAME = re.compile(r"^/relais/(catalogue\.json|catalogue\.json\.minisig|certificates|"
                  r"bundles/[0-9a-f]{64}\.relais|deltas/[0-9a-f]{64}-[0-9a-f]{64}\.delta)$")


class Counter:
    """A file wrapper that counts the bytes written through it."""

    def __init__(self, f, owner):
        self.f, self.owner = f, owner

    def write(self, b):
        with self.owner.lock:
            self.owner.wire += len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)


class FakeCat(FakeHub):
    def __init__(self, root, key="K", secret="S"):
        super().__init__(key, secret)
        self.root = root
        self.gets = []        # {path, range, if_range, if_none_match, status, body}
        self.wire = 0         # bytes of requests and replies on /relais/, both ways
        self.cut_after = None  # a bundle or delta reply stops after this many body bytes ...
        self.cuts = None       # ... this many times (None: every time)
        self.extra = 0         # junk bytes sent after a bundle's or delta's bytes
        self.rate = None       # bundle and delta bodies at this many bytes a second
        self.ignore_range = False
        cat = self
        # A client that goes away mid-reply (the tests cut and kill) is no error here.
        self.server.handle_error = lambda request, address: None
        handler = self.server.RequestHandlerClass

        def do_get(h):
            if not cat.answer_about(h):
                cat.serve(h, body=True)

        def do_head(h):
            cat.serve(h, body=False)

        handler.do_GET = do_get
        handler.do_HEAD = do_head

    def serve(self, h, body):
        request_bytes = len(h.raw_requestline) + len(str(h.headers)) + 2
        out = h.wfile = Counter(h.wfile, self)  # headers and bodies both counted
        with self.lock:
            self.wire += request_bytes
        entry = {"path": h.path, "range": h.headers.get("Range"),
                 "if_range": h.headers.get("If-Range"),
                 "if_none_match": h.headers.get("If-None-Match"), "status": None, "body": 0}

        def head(status, length, extra=()):
            entry["status"] = status
            with self.lock:
                self.gets.append(entry)
            h.send_response(status)
            for name, value in extra:
                h.send_header(name, value)
            h.send_header("Content-Length", str(length))
            h.end_headers()

        def small(status, text):
            payload = text.encode()
            head(status, len(payload), [("Content-Type", "text/plain")])
            if body:
                out.write(payload)

        if not self.authorised(h.headers.get("Authorization")):
            return small(401, "unknown key or wrong secret")
        m = NAME.match(h.path)
        if not m:
            return small(404, "no such file")
        path = os.path.join(self.root, m.group(1))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return small(404, "no such file")
        etag = '"%s"' % hashlib.sha256(data).hexdigest()
        immutable = not m.group(1).startswith("catalogue")
        cache = ("public, max-age=31536000, immutable" if immutable else "public, no-cache")
        headers = [("ETag", etag), ("Cache-Control", cache)]
        if h.headers.get("If-None-Match") == etag:
            return head(304, 0, headers)
        start, status = 0, 200
        asked = h.headers.get("Range")
        if immutable and asked and not self.ignore_range:
            r = re.match(r"^bytes=(\d+)-$", asked)
            if_range = h.headers.get("If-Range")
            if r and (if_range is None or if_range == etag):
                start = int(r.group(1))
                if start >= len(data):
                    return head(416, 0, headers + [("Content-Range", "bytes */%d" % len(data))])
                status = 206
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1,
                                                                    len(data))))
        payload = data[start:]
        if immutable and self.extra:
            payload += b"\0" * self.extra
        head(status, len(payload), headers + [("Content-Type", "application/octet-stream")])
        if not body:
            return
        limit = len(payload)
        cut = False
        with self.lock:
            if immutable and self.cut_after is not None and (self.cuts is None or self.cuts > 0):
                limit = min(limit, self.cut_after)
                cut = True
                if self.cuts is not None:
                    self.cuts -= 1
        sent = 0
        step = 16384
        try:
            while sent < limit:
                chunk = payload[sent:min(limit, sent + step)]
                out.write(chunk)
                out.flush()
                sent += len(chunk)
                entry["body"] = sent
                if immutable and self.rate:
                    time.sleep(len(chunk) / self.rate)
        except OSError:
            pass  # the client went away
        if cut:
            h.close_connection = True
            try:
                out.flush()
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def write_tree(root):
    """Makes root/bundles and root/deltas."""
    for sub in ("bundles", "deltas"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)


if __name__ == "__main__":
    import sys
    with FakeCat(sys.argv[1]) as cat:
        print(cat.url, flush=True)
        threading.Event().wait()
