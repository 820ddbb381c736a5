"""A real HTTP/1.1 file server on 127.0.0.1 for download tests and benchmarks, with fault injection.

It serves registered files (bytes in memory, or a file on disk sent with ``sendfile``) with ``Range`` /
``If-Range`` support, ``ETag`` and ``Last-Modified``, and can misbehave on chosen attempts of chosen paths: drop the
connection mid-body, answer 500 or 429 with ``Retry-After``, ignore ``Range``, change the file before answering, or
wait before answering. It counts what it did (requests, body bytes sent, concurrent requests) so tests assert on
what crossed the wire, not on time.

Usage::

    with FileServer() as server:
        url = server.add("/a.bin", b"data", faults={1: Fault(drop_after=2)})
        ...
        server.resource("/a.bin").bytes_sent
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_BASE_TIME = 1_700_000_000  # Last-Modified of version 1; each change adds a second


@dataclass(frozen=True)
class Fault:
    """How the server misbehaves on one attempt of one path."""

    status: int | None = None  # answer this status (with a short body) instead of the file
    retry_after: str | None = None  # Retry-After header sent with `status`
    drop_after: int | None = None  # send this many body bytes, then drop the connection
    ignore_range: bool = False  # answer 200 with the whole file even when a range was asked
    ignore_if_range: bool = False  # honour Range even when If-Range names an older version (a broken server)
    replace_with: bytes | None = None  # change the file (new ETag and Last-Modified) before answering
    latency: float = 0.0  # seconds to wait before answering
    stall_after: int | None = None  # send this many body bytes, wait for FileServer.release (10 s at most), then drop


@dataclass
class RequestRecord:
    """What one request asked for and what it got."""

    range: str | None
    if_range: str | None
    status: int
    body_bytes: int = 0
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Resource:
    """A served file and its counters."""

    data: bytes | None
    path: Path | None
    faults: dict[int, Fault]
    etag: bool = True
    last_modified: bool = True
    version: int = 1
    attempts: int = 0
    bytes_sent: int = 0
    requests: list[RequestRecord] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else os.path.getsize(self.path)  # type: ignore[arg-type]

    def etag_value(self) -> str:
        if self.data is not None:
            return f'"{self.version}-{hashlib.sha1(self.data).hexdigest()[:16]}"'
        return f'"{self.version}-{self.size}"'

    def last_modified_value(self) -> str:
        return email.utils.formatdate(_BASE_TIME + self.version, usegmt=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10  # an idle keep-alive connection ends by itself

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read the counters instead

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms per response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.owner.lock:
            self.server.owner.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.owner.lock:
            self.server.owner.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.in_flight += 1
            owner.max_concurrent = max(owner.max_concurrent, owner.in_flight)
            owner.total_requests += 1
        try:
            self._answer(head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with owner.lock:
                owner.in_flight -= 1

    def _answer(self, *, head: bool) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        fault = Fault()
        with owner.lock:
            redirect = owner.redirects.get(parts.path)
            owner.seen_headers.append(dict(self.headers.items()))
        if redirect is not None:
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with owner.lock:
            resource = owner.resources.get(parts.path)
            if resource is not None:
                resource.attempts += 1
                fault = resource.faults.get(resource.attempts, Fault())
                if fault.replace_with is not None:
                    resource.data, resource.path = fault.replace_with, None
                    resource.version += 1
        latency = owner.latency + fault.latency
        if latency:
            time.sleep(latency)
        if resource is None:
            self._send_status(404, None)
            return
        record = RequestRecord(
            self.headers.get("Range"), self.headers.get("If-Range"), 200, query=parts.query, headers=dict(self.headers)
        )
        resource.requests.append(record)
        if fault.status is not None:
            record.status = fault.status
            self._send_status(fault.status, fault.retry_after)
            return

        size = resource.size
        start, end = 0, size - 1
        status = 200
        range_header = record.range
        if (
            range_header
            and not fault.ignore_range
            and (fault.ignore_if_range or self._if_range_matches(resource, record.if_range))
        ):
            match = _RANGE.match(range_header.strip())
            if match and (match.group(1) or match.group(2)):
                first, last = match.groups()
                if first:
                    start, end = int(first), min(int(last), size - 1) if last else size - 1
                else:  # suffix range: the last N bytes
                    start, end = max(size - int(last), 0), size - 1
                if start >= size or start > end:
                    record.status = 416
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        record.status = status
        length = end - start + 1 if size else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if resource.etag:
            self.send_header("ETag", resource.etag_value())
        if resource.last_modified:
            self.send_header("Last-Modified", resource.last_modified_value())
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if head or not length:
            return
        limit = length if fault.drop_after is None else min(fault.drop_after, length)
        if fault.stall_after is not None:
            limit = min(fault.stall_after, length)
        sent = self._send_body(resource, start, limit)
        self.wfile.flush()
        record.body_bytes = sent
        with owner.lock:
            resource.bytes_sent += sent
        if fault.stall_after is not None:  # a client stuck mid-body (to be killed by the test), then a drop
            owner.release.wait(10)
        if sent < length:  # drop the connection mid-body
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _if_range_matches(resource: Resource, if_range: str | None) -> bool:
        if if_range is None:
            return True
        current = []
        if resource.etag:
            current.append(resource.etag_value())
        if resource.last_modified:
            current.append(resource.last_modified_value())
        return if_range in current

    def _send_body(self, resource: Resource, start: int, count: int) -> int:
        if resource.data is not None:
            view = memoryview(resource.data)[start : start + count]
            sent = 0
            while sent < count:
                step = min(256 * 1024, count - sent)
                self.wfile.write(view[sent : sent + step])
                sent += step
            return sent
        assert resource.path is not None
        with open(resource.path, "rb") as file:
            return self.connection.sendfile(file, start, count)

    def _send_status(self, status: int, retry_after: str | None) -> None:
        body = f"status {status}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FileServer


class FileServer:
    """A threaded HTTP file server on 127.0.0.1 (an OS-chosen port) with per-path fault injection.

    Args:
        latency: Seconds every request waits before it is answered (a slow remote store).
    """

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.resources: dict[str, Resource] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.seen_headers: list[dict[str, str]] = []  # the headers of every request, in order
        self.connections: set[socket.socket] = set()
        self.in_flight = 0
        self.max_concurrent = 0
        self.total_requests = 0
        self.release = threading.Event()  # ends the wait of Fault.stall_after
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(
        self,
        path: str,
        content: bytes | Path,
        *,
        faults: Mapping[int, Fault] | None = None,
        etag: bool = True,
        last_modified: bool = True,
    ) -> str:
        """Serve ``content`` at ``path``; ``faults`` maps attempt numbers (1-based) to misbehaviour. Returns the URL."""
        data, file = (content, None) if isinstance(content, bytes) else (None, Path(content))
        with self.lock:
            self.resources[path] = Resource(data, file, dict(faults or {}), etag=etag, last_modified=last_modified)
        return self.base_url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer requests for ``path`` with a redirect to ``location``. Returns the URL of ``path``."""
        with self.lock:
            self.redirects[path] = (status, location)
        return self.base_url + path

    def resource(self, path: str) -> Resource:
        """Return the served file at ``path`` with its counters."""
        return self.resources[path]

    def reset_counters(self) -> None:
        """Zero the request counters (not the files or their faults)."""
        with self.lock:
            self.max_concurrent = 0
            self.total_requests = 0
            for resource in self.resources.values():
                resource.bytes_sent = 0
                resource.requests.clear()

    def start(self) -> FileServer:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        with self.lock:
            connections = list(self.connections)
        for connection in connections:  # end idle keep-alive connections now rather than at their timeout
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(latency: float = 0.0) -> Iterator[FileServer]:
    """Run a :class:`FileServer` for the duration of a pytest fixture (``yield from serve()``)."""
    with FileServer(latency) as server:
        yield server
