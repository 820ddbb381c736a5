r"""A real HTTP/1.1 server on 127.0.0.1 for client tests, with a route table, fault injection and a request log.

Public and stable: plugin authors use it (and [`BackendServer`][synapse_client.testing.backend_server.BackendServer],
built on it) in their own tests. It uses the standard library only.

Nothing here is mocked: the server is ``http.server.ThreadingHTTPServer`` on an OS-chosen loopback port, speaking
HTTP/1.1 with keep-alive, so clients exercise their real connection pool, timeouts and error paths.

API
---
``ProtocolServer()``
    Start with ``with ProtocolServer() as server:`` (or ``start()`` / ``stop()``). ``server.url`` is
    ``"http://127.0.0.1:<port>"``; ``server.url_for("/x")`` joins a path.

Routes: ``server.route(method, path_regex, handler=None, *, json=..., status=200, headers=None)``
    ``path_regex`` is matched with ``re.fullmatch`` against the path without the query string; named groups land in
    ``request.params``. ``method`` may be ``"*"``. Later routes win over earlier ones, so a test can override a
    default. With ``handler=None`` it works as a decorator. A handler takes a ``RecordedRequest`` and returns:

    - ``Reply(status, body, headers)`` (``body`` bytes or str), or ``json_reply(obj, status=200, headers=None)``;
    - ``Stream(chunks, delay=0.0, content_type=...)``: a chunked (``Transfer-Encoding: chunked``) streaming body,
      each chunk flushed as it comes, ``delay`` seconds between chunks;
    - anything else JSON-serialisable: sent as ``200`` JSON.

    Without a handler, ``json=`` (and ``status=``) give a fixed JSON answer. Unknown paths answer 404
    ``{"detail": "Not found."}``; a handler that raises answers 500 with the exception text.

Faults: ``server.inject(method, path_regex, *faults)``
    Queues faults for requests matching ``method`` and ``path_regex``; each request consumes the first pending fault
    that matches (in the order injected) and the rest wait for later requests. A fault with ``times=None`` never runs
    out. Build faults with:

    - ``Fault.status(code, body=None, headers=None)``: answer ``code`` (JSON ``body`` or ``{"detail": ...}``)
      instead of calling the handler, e.g. ``Fault.status(503)`` twice then the real answer;
    - ``Fault.rate_limit(retry_after="1")``: 429 with a ``Retry-After`` header (seconds or HTTP date);
    - ``Fault.delay(seconds)``: wait, then answer normally (a slow server; read timeouts);
    - ``Fault.reset()``: close the connection with a TCP RST without answering;
    - ``Fault.close_mid_body(after=10)``: send the headers (full ``Content-Length``, or chunked) and only ``after``
      bytes of the body, then close;
    - ``Fault.truncated_json(keep=0.5)``: a complete 200 response whose JSON body is cut to ``keep`` of its length
      (``Content-Length`` matches what is sent, so only the JSON is broken).

    Every factory takes ``times=1`` (how many requests the fault applies to; None for all).

Recording: ``server.requests``
    Every request, in arrival order, as ``RecordedRequest(method, path, query, headers, body, params, client_port)``,
    with ``.header(name)`` (case-insensitive), ``.json()`` and ``.target`` (path with query). ``client_port`` tells
    connections apart (keep-alive reuse). ``server.requests_for(method, path_regex)`` filters them;
    ``server.clear()`` forgets them (faults and routes stay).

Latency: ``ProtocolServer(latency=0.05)`` (or ``server.latency = ...``) waits that many seconds before every answer,
like a server across a network.

Example:
    >>> import json, urllib.request
    >>> with ProtocolServer() as server:
    ...     _ = server.route("GET", r"/api/jobs/(?P<job_id>\w+)/", lambda req: {"id": req.params["job_id"]})
    ...     server.inject("GET", r"/api/jobs/.*", Fault.status(503))
    ...     try:
    ...         urllib.request.urlopen(server.url_for("api/jobs/7/"))
    ...     except urllib.error.HTTPError as exc:
    ...         print(exc.code)
    ...     print(json.load(urllib.request.urlopen(server.url_for("api/jobs/7/"))))
    ...     print(len(server.requests_for("GET", r"/api/jobs/.*")))
    503
    {'id': '7'}
    2

Loops are bounded: delays and streams end when the server stops, idle keep-alive connections time out after
``idle_timeout`` seconds, and ``stop()`` closes every open connection.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Fault",
    "ProtocolServer",
    "RecordedRequest",
    "Reply",
    "Stream",
    "json_reply",
]

MAX_BODY = 64 * 1024 * 1024  # largest request body the server reads


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    target: str = ""
    received_at: float = 0.0  # time.monotonic(); for ordering, never for assertions on duration
    client_port: int = 0  # the client's TCP port: one value per connection (keep-alive reuse is visible)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return a request header, matching its name case-insensitively (``default`` when absent)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self) -> Any:
        """Return the body parsed as JSON (``None`` for an empty body)."""
        return jsonlib.loads(self.body) if self.body else None


@dataclass
class Reply:
    """A complete response."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    """A chunked streaming response: each chunk is sent and flushed, ``delay`` seconds apart."""

    chunks: Iterable[bytes | str]
    delay: float = 0.0
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON response."""
    return Reply(status, jsonlib.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})


@dataclass
class Fault:
    """Something that goes wrong for the next matching request(s); build with the class methods."""

    kind: str
    times: int | None = 1
    status_code: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    after: int = 0
    keep: float = 0.5

    @classmethod
    def status(
        cls, code: int, body: Any = None, headers: dict[str, str] | None = None, *, times: int | None = 1
    ) -> Fault:
        """Answer ``code`` with a JSON ``body`` (default ``{"detail": "Injected <code>"}``) instead of the handler."""
        return cls("status", times, status_code=code, body=body, headers=dict(headers or {}))

    @classmethod
    def rate_limit(cls, retry_after: str | None = "1", *, body: Any = None, times: int | None = 1) -> Fault:
        """Answer 429 with a ``Retry-After`` header (seconds or an HTTP date; ``None`` for no header)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls("status", times, status_code=429, body=body, headers=headers)

    @classmethod
    def delay(cls, seconds: float, *, times: int | None = 1) -> Fault:
        """Wait ``seconds``, then answer normally (a slow server)."""
        return cls("delay", times, seconds=seconds)

    @classmethod
    def reset(cls, *, times: int | None = 1) -> Fault:
        """Close the connection with a TCP RST, without answering."""
        return cls("reset", times)

    @classmethod
    def close_mid_body(cls, after: int = 10, *, times: int | None = 1) -> Fault:
        """Send the headers and only ``after`` bytes of the body, then close."""
        return cls("close_mid_body", times, after=after)

    @classmethod
    def truncated_json(cls, keep: float = 0.5, *, times: int | None = 1) -> Fault:
        """Answer 200 with the JSON body cut to ``keep`` of its length (a consistent ``Content-Length``)."""
        return cls("truncated_json", times, keep=keep)


Handler = Callable[[RecordedRequest], Any]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


@dataclass
class _PendingFault:
    method: str
    pattern: re.Pattern[str]
    fault: Fault
    remaining: int | None


class ProtocolServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with routes, fault injection and a request log (see the module doc).

    Args:
        idle_timeout: Seconds an idle keep-alive connection stays open.
        latency: Seconds to wait before every answer (0 for none); settable later as ``server.latency``.

    Example:
        >>> with ProtocolServer(latency=0.01) as server:
        ...     server.url.startswith("http://127.0.0.1:")
        True
    """

    def __init__(self, *, idle_timeout: float = 10.0, latency: float = 0.0) -> None:
        self.latency = latency
        self._routes: list[_Route] = []
        self._faults: list[_PendingFault] = []
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._idle_timeout = idle_timeout
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> ProtocolServer:
        """Start serving on a free loopback port, in a daemon thread; return the server."""
        server = self

        class _Handler(_RequestHandler):
            owner = server
            timeout = self._idle_timeout

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (pending delays and streams end)."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake handler threads blocked on idle keep-alive sockets
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ProtocolServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str) -> str:
        """Return the absolute URL of ``path``."""
        return f"{self.url}/{path.lstrip('/')}"

    # -- configuration -------------------------------------------------------------------------------------------

    def route(
        self,
        method: str,
        path_regex: str,
        handler: Handler | None = None,
        *,
        json: Any = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Add a route (later routes win); without ``handler`` or ``json`` it works as a decorator.

        Args:
            method: The HTTP method, or ``"*"``.
            path_regex: Matched with ``re.fullmatch`` against the path; named groups land in ``request.params``.
            handler: Called with the [`RecordedRequest`][synapse_client.testing.protocol_server.RecordedRequest];
                returns a ``Reply``, a ``Stream`` or a JSON-serialisable value.
            json: A fixed JSON answer instead of a handler.
            status: The status of the fixed answer.
            headers: Headers of the fixed answer.

        Returns:
            The handler (or, as a decorator, the function that registers one).
        """

        def register(func: Handler) -> Handler:
            with self._lock:
                self._routes.append(_Route(method.upper(), re.compile(path_regex), func))
            return func

        if handler is not None:
            return register(handler)
        if json is not None or status != 200:
            fixed = json_reply(json, status, headers)
            return register(lambda _request: fixed)
        return register

    def inject(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Queue ``faults`` for requests matching ``method`` (or ``"*"``) and ``path_regex``, consumed in order."""
        with self._lock:
            for fault in faults:
                self._faults.append(_PendingFault(method.upper(), re.compile(path_regex), fault, fault.times))

    # -- recording -----------------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """The requests whose method (``"*"`` for any) and path (``re.fullmatch``) match."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if (method == "*" or r.method == method.upper()) and pattern.fullmatch(r.path)]

    def clear(self) -> None:
        """Forget the recorded requests (routes and pending faults stay)."""
        with self._lock:
            self._requests.clear()

    # -- used by the handler -------------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for pending in self._faults:
                if pending.method not in ("*", method) or not pending.pattern.fullmatch(path):
                    continue
                if pending.remaining is not None:
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                return pending.fault
        return None

    def _find_route(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        with self._lock:
            routes = list(reversed(self._routes))
        for route in routes:
            if route.method not in ("*", method):
                continue
            match = route.pattern.fullmatch(path)
            if match:
                return route, {k: v for k, v in match.groupdict().items() if v is not None}
        return None

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    owner: ProtocolServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner._connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket may already be closed by a reset fault
            super().finish()
        with self.owner._lock:
            self.owner._connections.discard(self.connection)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    # -- request -------------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        body = self._read_body()
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
            target=self.path,
            received_at=time.monotonic(),
            client_port=int(self.client_address[1]),
        )
        found = owner._find_route(self.command, parts.path)
        if found is not None:
            request.params = found[1]
        owner._record(request)
        if owner.latency > 0:
            owner._sleep(owner.latency)

        fault = owner._take_fault(self.command, parts.path)
        if fault is not None:
            if fault.kind == "delay":
                owner._sleep(fault.seconds)
            elif fault.kind == "reset":
                self._reset()
                return
            elif fault.kind == "status":
                payload = fault.body if fault.body is not None else {"detail": f"Injected {fault.status_code}"}
                self._send_reply(json_reply(payload, fault.status_code, fault.headers))
                return

        if found is None:
            result: Any = json_reply({"detail": "Not found."}, 404)
        else:
            try:
                result = found[0].handler(request)
            except Exception as exc:  # a broken handler is a 500, as on a real server
                result = json_reply({"detail": f"{type(exc).__name__}: {exc}"}, 500)

        if isinstance(result, Stream):
            self._send_stream(result, fault)
            return
        reply = result if isinstance(result, Reply) else json_reply(result)
        if fault is not None and fault.kind == "truncated_json":
            raw = reply.body.encode() if isinstance(reply.body, str) else reply.body
            reply = Reply(reply.status, raw[: max(1, int(len(raw) * fault.keep))], reply.headers)
        self._send_reply(reply, cut_after=fault.after if fault is not None and fault.kind == "close_mid_body" else None)

    # -- response ------------------------------------------------------------------------------------------------

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN: a real "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send_reply(self, reply: Reply, cut_after: int | None = None) -> None:
        raw = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        headers = {"Content-Type": "text/plain; charset=utf-8", **reply.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if cut_after is not None:
            self.wfile.write(raw[:cut_after])
            self.wfile.flush()
            self._reset()
            return
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _send_stream(self, stream: Stream, fault: Fault | None) -> None:
        cut_after = fault.after if fault is not None and fault.kind == "close_mid_body" else None
        self.send_response(stream.status)
        self.send_header("Content-Type", stream.content_type)
        for key, value in stream.headers.items():
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            for index, chunk in enumerate(stream.chunks):
                if self.owner._stopping.is_set():
                    break
                if index and stream.delay:
                    self.owner._sleep(stream.delay)
                data = chunk.encode() if isinstance(chunk, str) else chunk
                if not data:
                    continue
                if cut_after is not None and sent + len(data) > cut_after:
                    data = data[: cut_after - sent]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if data else b"")
                    self.wfile.flush()
                    self._reset()
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                sent += len(data)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
