"""faultproxy.py: a fault-injecting TCP proxy on loopback, between the sync client and the hub.

Each connection the proxy accepts gets one Fault, taken from a queue of planned faults, else
from a chooser function, else the default (pass through). A fault fires once `after` bytes
have gone one way ("up": client to hub, "down": hub to client) and then cuts the connection
(FIN both ways), resets it (RST: SO_LINGER 0), or stalls it for some seconds before going on
or cutting; a hook may run first (to SIGKILL the hub or the client at that exact point).
Fault.http500() answers the request itself without reaching the hub. A fault may also be armed
on the proxy as a whole (arm()): it goes off on the next segment to pass in its direction on
any live connection, keep-alive ones too (a reverse proxy's pooled connections to a hub node),
optionally only on a connection whose latest request is a given method: "kill the node the
moment it starts answering a POST".

The link itself may be throttled like a 64 kbit/s line with 300 ms latency each way (a
bandwidth shared by all connections, serialisation then latency, as netem does), and may drop
every live connection every few seconds. Standard library only; the event loop runs in a
daemon thread, so the proxy never outlives the test even if close() is not called.
"""
import asyncio
import re
import socket
import struct
import threading

UP, DOWN = "up", "down"


class Fault:
    """What happens to one connection. kind: "none", "cut", "reset", "stall", "http500"
    (answered by the proxy, the hub never sees the request), "reply500" (the request reaches
    the hub, whose reply is replaced by a 500: what a reverse proxy does when it gives up)."""

    def __init__(self, kind="none", after=0, direction=UP, seconds=0.0, then="continue",
                 hook=None):
        assert kind in ("none", "cut", "reset", "stall", "http500", "reply500"), kind
        assert direction in (UP, DOWN), direction
        assert then in ("continue", "cut", "reset"), then
        self.kind, self.after, self.direction = kind, int(after), direction
        self.seconds, self.then, self.hook = float(seconds), then, hook

    @classmethod
    def none(cls, hook=None, after=0, direction=UP):
        return cls("none", after=after, direction=direction, hook=hook)

    @classmethod
    def cut(cls, after, direction=UP, hook=None):
        return cls("cut", after=after, direction=direction, hook=hook)

    @classmethod
    def reset(cls, after, direction=UP, hook=None):
        return cls("reset", after=after, direction=direction, hook=hook)

    @classmethod
    def stall(cls, after, seconds, direction=UP, then="continue", hook=None):
        return cls("stall", after=after, direction=direction, seconds=seconds, then=then,
                   hook=hook)

    @classmethod
    def http500(cls):
        return cls("http500")

    @classmethod
    def reply500(cls, hook=None):
        return cls("reply500", after=0, direction=DOWN, hook=hook)

    def __repr__(self):
        if self.kind == "http500":
            return "http500"
        if self.kind == "none" and self.hook is None:
            return "none"
        s = "%s after %d bytes %s" % (self.kind, self.after, self.direction)
        if self.kind == "stall":
            s += " for %.2f s then %s" % (self.seconds, self.then)
        if self.hook is not None:
            s += " with hook %s" % getattr(self.hook, "__name__", "?")
        return s


class _Link:
    """One direction of a slow line: bytes leave one after another at `rate` bytes/s and
    arrive `latency` seconds later. rate None means unlimited."""

    def __init__(self):
        self.rate, self.latency, self.busy_until = None, 0.0, 0.0

    def deliver_at(self, n, now):
        if self.rate is None:
            return now + self.latency
        start = max(now, self.busy_until)
        self.busy_until = start + n / self.rate
        return self.busy_until + self.latency


_REQUEST = re.compile(rb"[A-Z]+ /")  # a request line's start (a new request starts a read)
SEGMENT = 1460  # how finely the throttle schedules bytes (one Ethernet MSS)
_EOF = object()
_BODY_500 = b'{"error":"the proxy says: internal server error"}'
_REPLY_500 = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(_BODY_500) + _BODY_500)


class _Connection:
    def __init__(self, proxy, index, fault, cw):
        self.proxy, self.index, self.fault = proxy, index, fault
        self.writers = {DOWN: cw}  # DOWN is written to the client, UP to the hub
        self.sent = {UP: 0, DOWN: 0}
        self.method = None  # of the latest request sent up (b"POST", ...)
        self.fired = False
        self.ended = None
        self.tasks = []

    def record(self):
        return {"index": self.index, "fault": repr(self.fault), "up": self.sent[UP],
                "down": self.sent[DOWN], "ended": self.ended or "open", "fired": self.fired}

    def kill(self, how):
        """Ends the connection both ways: "cut" (FIN after what was forwarded) or "reset"."""
        if self.ended is None:
            self.ended = how
        for w in self.writers.values():
            try:
                if how == "reset":
                    sock = w.get_extra_info("socket")
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                    w.transport.abort()
                else:
                    w.close()
            except (OSError, RuntimeError):
                pass
        for t in self.tasks:
            if t is not asyncio.current_task():
                t.cancel()


class FaultProxy:
    """Listens on 127.0.0.1 (a free port unless given) and forwards to target_port.

    with FaultProxy(hub_port) as p:  p.url, p.plan(Fault.cut(300)), p.set_target(new_port),
    p.throttle(8000, 0.3), p.drop_every(4.0), p.log, p.bytes[UP]."""

    def __init__(self, target_port, target_host="127.0.0.1", port=0, connect_timeout=5.0):
        self.target = (target_host, target_port)
        self.connect_timeout = connect_timeout
        self.default = Fault.none()
        self.chooser = None
        self.links = {UP: _Link(), DOWN: _Link()}
        self.bytes = {UP: 0, DOWN: 0}     # forwarded
        self.received = {UP: 0, DOWN: 0}  # read, forwarded or not
        self.dropped = 0  # connections ended by drop_every
        self.log = []  # one record per connection, as it ends
        self.fired = 0  # faults that went off (a planned cut beyond the last byte does not)
        self._planned = []
        self._armed = None  # (fault, method, threading.Event), from arm()
        self._live = set()
        self._count = 0
        self._drop_task = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(port,), daemon=True,
                                        name="faultproxy")
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError("fault proxy did not start: %r" % (self._error,))
        self.url = "http://127.0.0.1:%d" % self.port

    # --- control, from the test's thread ---

    def plan(self, *faults):
        """The next connections get these faults, in order."""
        with self._lock:
            self._planned.extend(faults)

    def arm(self, fault, method=None):
        """The next segment to pass in fault.direction on any connection (when method is given,
        bytes like b"POST", on one whose latest request is of that method) fires fault there,
        once: fault.after bytes of that segment are forwarded, then its hook runs, then its
        kind applies. Replaces a fault armed before that has not fired. Returns a
        threading.Event set once it has fired."""
        fired = threading.Event()
        with self._lock:
            self._armed = (fault, method, fired)
        return fired

    def clear(self):
        with self._lock:
            self._planned.clear()
            self._armed = None
        self.chooser = None
        self.default = Fault.none()

    def set_target(self, port, host="127.0.0.1"):
        self.target = (host, port)

    def throttle(self, rate_bytes_per_s, latency_s):
        """Every direction becomes a line of that bandwidth and one-way latency (None: off)."""
        def apply():
            for link in self.links.values():
                link.rate, link.latency = rate_bytes_per_s, latency_s
        self._call(apply)

    def drop_every(self, seconds, how="cut"):
        """Ends every live connection each `seconds` (None: stop dropping)."""
        def apply():
            if self._drop_task is not None:
                self._drop_task.cancel()
                self._drop_task = None
            if seconds:
                self._drop_task = self._loop.create_task(self._dropper(seconds, how))
        self._call(apply)

    def drop_all(self, how="cut"):
        self._call(lambda: [c.kill(how) for c in list(self._live)])

    @property
    def connections(self):
        return self._count

    def close(self):
        if self._loop.is_closed() or not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the event loop's side ---

    def _call(self, fn):
        done = threading.Event()
        box = []

        def run():
            try:
                box.append(fn())
            finally:
                done.set()
        self._loop.call_soon_threadsafe(run)
        done.wait(10)
        return box[0] if box else None

    def _run(self, port):
        self._error = None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main(port))
        except BaseException as e:  # noqa: B902 - reported to the starting thread
            self._error = e
            self._ready.set()
        finally:
            self._loop.close()

    async def _main(self, port):
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop_event.wait()
        server.close()
        for c in list(self._live):
            c.kill("cut")
        await asyncio.sleep(0)

    async def _dropper(self, seconds, how):
        while True:
            await asyncio.sleep(seconds)
            for c in list(self._live):
                if c.ended is None:
                    self.dropped += 1
                c.kill(how)

    def _fault_for(self, index):
        with self._lock:
            if self._planned:
                return self._planned.pop(0)
        if self.chooser is not None:
            return self.chooser(index)
        return self.default

    async def _accept(self, cr, cw):
        index = self._count
        self._count += 1
        fault = self._fault_for(index)
        conn = _Connection(self, index, fault, cw)
        self._live.add(conn)
        try:
            if fault.kind == "http500":
                await self._answer_500(conn, cr, cw)
                return
            try:
                hr, hw = await asyncio.wait_for(asyncio.open_connection(*self.target),
                                                self.connect_timeout)
            except (OSError, asyncio.TimeoutError):
                conn.ended = "hub unreachable"
                cw.close()
                return
            conn.writers[UP] = hw
            loop = asyncio.get_running_loop()
            for direction, src in ((UP, cr), (DOWN, hr)):
                q = asyncio.Queue(maxsize=64)
                conn.tasks.append(loop.create_task(self._read(conn, direction, src, q)))
                conn.tasks.append(loop.create_task(self._write(conn, direction, q)))
            await asyncio.gather(*conn.tasks, return_exceptions=True)
        finally:
            if conn.ended is None:
                conn.ended = "closed"
            for w in conn.writers.values():
                w.close()
            self._live.discard(conn)
            self.log.append(conn.record())

    async def _answer_500(self, conn, cr, cw):
        """Reads one request (headers and Content-Length body) and answers 500 itself."""
        try:
            head = await asyncio.wait_for(cr.readuntil(b"\r\n\r\n"), 30)
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await asyncio.wait_for(cr.readexactly(length), 30)
            cw.write(_REPLY_500)
            await cw.drain()
            conn.sent[DOWN] = len(_REPLY_500)
            conn.fired = True
            self.fired += 1
            conn.ended = "answered 500"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ValueError):
            conn.ended = "client went away"
        cw.close()

    async def _read(self, conn, direction, src, q):
        link = self.links[direction]
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    break
                self.received[direction] += len(data)
                for i in range(0, len(data), SEGMENT):
                    seg = data[i:i + SEGMENT]
                    await q.put((link.deliver_at(len(seg), loop.time()), seg))
        except OSError:
            pass
        # After what was read, the writer closes both sides (a cancelled reader puts nothing:
        # the connection is being killed anyway).
        await q.put((link.deliver_at(0, loop.time()), _EOF))

    async def _write(self, conn, direction, q):
        loop = asyncio.get_running_loop()
        dst = conn.writers[direction]
        f = conn.fault
        try:
            while True:
                at, seg = await q.get()
                if seg is _EOF:
                    # One side closed: finish, and close the other side too.
                    conn.kill("cut")
                    return
                wait = at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if direction == UP and _REQUEST.match(seg):
                    conn.method = seg.split(b" ", 1)[0]
                proxy_wide = self._take_armed(conn, direction)
                if proxy_wide is not None:
                    fault, fired = proxy_wide
                    try:
                        seg = await self._fire_at(conn, direction, dst, seg, fault.after, fault)
                    finally:
                        fired.set()
                    if seg is None:
                        return
                armed = not conn.fired and (f.kind != "none" or f.hook is not None)
                if armed and f.direction == direction and \
                        conn.sent[direction] + len(seg) >= f.after:
                    seg = await self._fire_at(conn, direction, dst, seg,
                                              f.after - conn.sent[direction], f)
                    if seg is None:
                        return
                await self._send(conn, direction, dst, seg)
        except (OSError, asyncio.CancelledError):
            pass

    def _take_armed(self, conn, direction):
        """The fault armed on the whole proxy, taken when it fires on this segment of conn."""
        with self._lock:
            if self._armed is None:
                return None
            fault, method, fired = self._armed
            if fault.direction != direction or (method is not None and conn.method != method):
                return None
            self._armed = None
        return fault, fired

    async def _fire_at(self, conn, direction, dst, seg, head, fault):
        """Forwards head bytes of segment seg of conn, then fires fault: returns the rest of seg
        to forward, or None when forwarding stops."""
        await self._send(conn, direction, dst, seg[:head])
        conn.fired = True
        self.fired += 1
        return seg[head:] if await self._fire(conn, fault) else None

    async def _send(self, conn, direction, dst, data):
        if data:
            dst.write(data)
            conn.sent[direction] += len(data)
            self.bytes[direction] += len(data)
            await dst.drain()

    async def _fire(self, conn, f):
        """Applies the fault; returns whether forwarding goes on."""
        if f.hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, f.hook)
        action = f.kind
        if action == "reply500":
            w = conn.writers[DOWN]
            w.write(_REPLY_500)
            conn.sent[DOWN] += len(_REPLY_500)
            await w.drain()
            action = "cut"
        if action == "stall":
            await asyncio.sleep(f.seconds)
            action = f.then
        if action in ("cut", "reset"):
            conn.kill(action)
            return False
        return True

