#!/usr/bin/env python3
"""fakehub.py: a tiny xAPI statements endpoint on loopback for testing the sync client.

Implements only POST /xapi/statements, with the rules the real hub follows:
HTTP Basic credentials (401 otherwise), a gzip or plain JSON body holding one
statement or an array, the X-Experience-API-Version header, and the xAPI id
rules, batch by batch and all or nothing: a statement whose id is held with
the same JSON changes nothing, one held with different JSON refuses the whole
request with 409. Knobs for tests: ids to refuse with 400, a number of 500s to
answer first, a largest batch (413 beyond), a captive portal's answer to every
request, a reply trickled a few bytes a second. Every request is logged.

GET <base>/about answers as relais-hub's does (gzip accepted, a relais hub) unless told
otherwise: `about` (a dict, raw bytes, or None for 404), `base` (where the xAPI resources
are, "/xapi" by default: "/lrs/xapi" for an LRS under a path), `gzip_refusal` (what a
gzip body gets: None to take it, 400 as an LRS that reads it as bad JSON, 415).
"""
import base64
import copy
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeHub:
    def __init__(self, key="K", secret="S"):
        self.key, self.secret = key, secret
        self.lock = threading.Lock()
        self.statements = {}   # id -> canonical JSON text
        self.deliveries = []   # every id stored or re-acknowledged, in order
        self.requests = []     # (status, number of statements, body bytes, headers)
        self.bodies = []       # each request's JSON text, decompressed
        self.reject_ids = set()  # 400 for any request holding one of these
        self.fail_next = 0       # answer this many requests with 500 first
        self.max_batch = None    # 413 for more statements than this
        # (status, content type, body, extra headers): what a captive portal, a firewall or a
        # web server at the wrong address answers to every request, without the xAPI header.
        self.portal = None
        self.trickle = None      # bytes per second: the reply (padded to 4 KiB) comes that slowly
        self.base = "/xapi"
        self.about = copy.deepcopy(RELAIS_ABOUT)
        self.gzip_refusal = None
        self.abouts = []         # the path of every GET .../about, in order
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                hub.handle(self)

            def do_GET(self):
                if hub.answer_about(self):
                    return
                self.reply(405, {"error": "only POST here"})

            def reply(self, status, obj):
                body = json.dumps(obj).encode()
                if hub.trickle:
                    body = body.ljust(4096)  # JSON allows trailing white space
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Experience-API-Version", "1.0.3")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not hub.trickle:
                    self.wfile.write(body)
                    return
                step = max(1, hub.trickle // 5)
                try:
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        self.wfile.flush()
                        time.sleep(step / hub.trickle)
                except OSError:
                    pass  # the client gave up

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer_about(self, h):
        """Answers h when it asks an about resource (or the portal answers); else False."""
        if not h.path.endswith("/about"):
            return False
        with self.lock:
            self.abouts.append(h.path)
        if self.portal:
            self.portal_reply(h)
        else:
            # Never trickled; Learning Locker's about has no version header, so neither here.
            status, about = 200, self.about
            if h.path != self.base + "/about" or about is None:
                status, about = 404, {"error": "no such resource"}
            body = about if isinstance(about, bytes) else json.dumps(about).encode()
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        return True

    def portal_reply(self, h):
        status, ctype, page, extra = self.portal
        h.send_response(status)
        if ctype:
            h.send_header("Content-Type", ctype)
        for name, value in extra.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(page)))
        h.end_headers()
        h.wfile.write(page)

    def authorised(self, header):
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.key and password == self.secret

    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        headers = dict(h.headers.items())

        def answer(status, obj, count=0):
            with self.lock:
                self.requests.append((status, count, len(raw), headers))
            h.reply(status, obj)

        if self.portal:
            with self.lock:
                self.requests.append((self.portal[0], 0, len(raw), headers))
            return self.portal_reply(h)
        if h.path != self.base + "/statements":
            return answer(404, {"error": "no such resource"})
        if not self.authorised(h.headers.get("Authorization")):
            return answer(401, {"error": "unknown key or wrong secret"})
        if h.headers.get("X-Experience-API-Version") != "1.0.3":
            return answer(400, {"error": "X-Experience-API-Version 1.0.3 is required"})
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                fail = True
            else:
                fail = False
        if fail:
            return answer(500, {"error": "the hub is having a bad day"})
        if h.headers.get("Content-Encoding") == "gzip" and self.gzip_refusal == 415:
            return answer(415, {"error": "Content-Encoding gzip is not supported"})
        if h.headers.get("Content-Encoding") == "gzip" and self.gzip_refusal == 400:
            return answer(400, {"message": "Expected valid JSON in body"})
        try:
            if h.headers.get("Content-Encoding") == "gzip":
                raw_json = gzip.decompress(raw)
            else:
                raw_json = raw
            with self.lock:
                self.bodies.append(raw_json.decode("utf-8"))
            doc = json.loads(self.bodies[-1])
        except (OSError, ValueError, EOFError) as e:
            return answer(400, {"error": "the body is not JSON: %s" % e})
        batch = doc if isinstance(doc, list) else [doc]
        if self.max_batch is not None and len(batch) > self.max_batch:
            return answer(413, {"error": "at most %d statements" % self.max_batch}, len(batch))
        for i, st in enumerate(batch):
            if not isinstance(st, dict) or not isinstance(st.get("id"), str):
                return answer(400, {"error": "statements[%d]: no id" % i}, len(batch))
            if st["id"] in self.reject_ids:
                return answer(400, {"error": "statements[%d].verb: not an IRI\nsecond line"
                                    % i}, len(batch))
        with self.lock:
            for i, st in enumerate(batch):
                held = self.statements.get(st["id"])
                if held is not None and held != canonical(st):
                    status = 409
                    break
            else:
                status = 200
                for st in batch:
                    self.statements.setdefault(st["id"], canonical(st))
                    self.deliveries.append(st["id"])
        if status == 409:
            return answer(409, {"error": "statements[%d]: another statement has this id" % i},
                          len(batch))
        answer(200, [st["id"] for st in batch], len(batch))


RELAIS_ABOUT = {"version": ["1.0.3", "1.0.2", "1.0.1", "1.0.0"],
                "extensions": {"https://relais.invalid/xapi/extensions/accepts-gzip": True,
                               "https://relais.invalid/xapi/extensions/relais-hub": True}}


def canonical(statement):
    return json.dumps(statement, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    import sys
    import time
    with FakeHub(*sys.argv[1:3]) as hub:
        print(hub.url, flush=True)
        while True:
            time.sleep(3600)
