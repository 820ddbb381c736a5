"""Real servers on 127.0.0.1 for the storage tests: an HTTP file server, moto's S3 server, a GCS emulator and an
asyncssh SFTP server, plus a source that fails midway.

Each server is a context manager that binds port 0, runs in a daemon thread and stops on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Credentials of the local test servers (fake by design; tests check they never show up in messages).
S3_ACCESS_KEY = "AKIASTORAGETESTKEY01"
S3_SECRET_KEY = "s3-secret/Zx81kPq0-never-shown"
S3_BUCKET = "synapse-tests"
GCS_BUCKET = "synapse-gcs-tests"


# -- HTTP file server --------------------------------------------------------------------------------------------


@dataclass
class HTTPFaults:
    """Faults the HTTP file server injects, consumed one per request."""

    statuses: list[int] = field(default_factory=list)  # answer the next requests with these statuses
    truncate_next: int = 0  # cut the next N GET bodies in half (Content-Length stays the full size)
    required_header: tuple[str, str] | None = None  # answer 401 unless this header is sent
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) seen, for assertions
    headers: list[dict[str, str]] = field(default_factory=list)  # the headers of each request, in order
    gzip: bool = False  # send GET bodies gzip-encoded (Content-Length is the encoded size)
    redirects: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> (status, Location)


class _FileHandler(http.server.BaseHTTPRequestHandler):
    server: _FileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _local(self) -> Path | None:
        relative = self.path.split("?", 1)[0].lstrip("/")
        from urllib.parse import unquote

        target = (self.server.root / unquote(relative)).resolve()
        return target if self.server.root in target.parents else None

    def _fault(self) -> bool:
        faults = self.server.faults
        faults.requests.append((self.command, self.path))
        faults.headers.append(dict(self.headers.items()))
        redirect = faults.redirects.get(self.path.split("?", 1)[0])
        if redirect is not None:
            self._drain()
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        status = None
        if faults.required_header is not None:
            name, value = faults.required_header
            if self.headers.get(name) != value:
                status = 401
        if status is None and faults.statuses:
            status = faults.statuses.pop(0)
        if status is None:
            return False
        self._drain()
        self._reply(status, retry_after="0")  # clients may retry at once: tests never wait on the clock
        return True

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        elif self.headers.get("Transfer-Encoding") == "chunked":
            self._read_chunked()

    def _read_chunked(self) -> bytes:
        body = bytearray()
        for _ in range(1_000_000):  # bounded: a chunk per iteration
            line = self.rfile.readline()
            if not line:
                raise ValueError("connection closed inside a chunked body")
            size = int(line.strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                break
            body += self.rfile.read(size)
            self.rfile.readline()
        return bytes(body)

    def _reply(self, status: int, length: int = 0, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()

    def do_PUT(self) -> None:
        if self._fault():
            return
        target = self._local()
        if target is None:
            self._drain()
            self._reply(403)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Like a careful server: the body goes to a temp file and replaces the target only when it arrived whole.
        partial = target.with_name(f".{target.name}.upload")
        complete = True
        with open(partial, "wb") as out:
            if self.headers.get("Transfer-Encoding") == "chunked":
                try:
                    out.write(self._read_chunked())
                except ValueError:
                    complete = False
            else:
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        complete = False
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
        if not complete:
            partial.unlink()
            self.close_connection = True
            return
        partial.replace(target)
        self._reply(201)

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def do_DELETE(self) -> None:
        if self._fault():
            return
        target = self._local()
        if target is None or not target.is_file():
            self._reply(404)
            return
        target.unlink()
        self._reply(204)

    def _send(self, *, body: bool) -> None:
        if self._fault():
            return
        target = self._local()
        if target is None or not target.is_file():
            self._reply(404)
            return
        data = target.read_bytes()
        self.send_response(200)
        if self.server.faults.gzip:
            import gzip

            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not body:
            return
        if self.server.faults.truncate_next > 0:
            self.server.faults.truncate_next -= 1
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.wfile.write(data)


class _FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that drop the connection are part of the fault tests, not a server failure worth a traceback.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, root: Path, faults: HTTPFaults) -> None:
        super().__init__(("127.0.0.1", 0), _FileHandler)
        self.root = root.resolve()
        self.faults = faults


@contextlib.contextmanager
def http_file_server(root: Path) -> Iterator[tuple[str, HTTPFaults]]:
    """Serve ``root`` with PUT/GET/HEAD/DELETE on 127.0.0.1; yield ``(base_url, faults)``."""
    faults = HTTPFaults()
    server = _FileServer(root, faults)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", faults
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- S3 (moto server mode) ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run moto's S3-compatible server on 127.0.0.1; yield its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


# -- SFTP (asyncssh) ---------------------------------------------------------------------------------------------


@dataclass
class SFTPServerInfo:
    port: int
    username: str
    password: str
    known_hosts: Path


@contextlib.contextmanager
def sftp_server(
    workdir: Path, *, username: str = "tester", password: str = "pw-Zq8rT2-throwaway"
) -> Iterator[SFTPServerInfo]:
    """Run an asyncssh SFTP server on 127.0.0.1 with a throwaway host key and one password login.

    The server serves this machine's file system as the current user (like OpenSSH without a chroot), so a
    storage's ``root_path`` and symbolic links behave as on a real server.
    """
    import asyncssh

    host_key = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = workdir / "known_hosts"
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    connections: list[Any] = []

    class _Server(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            connections.append(conn)

        def begin_auth(self, user: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, user: str, given: str) -> bool:
            return user == username and given == password

    async def start() -> None:
        acceptor = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=_Server,
            sftp_factory=asyncssh.SFTPServer,
            allow_scp=False,
        )
        holder["acceptor"] = acceptor
        holder["port"] = acceptor.sockets[0].getsockname()[1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(timeout=30):
        raise RuntimeError("SFTP test server did not start")
    port = holder["port"]
    public = host_key.export_public_key("openssh").decode().strip()
    known_hosts.write_text(f"[127.0.0.1]:{port} {public}\n")
    try:
        yield SFTPServerInfo(port=port, username=username, password=password, known_hosts=known_hosts)
    finally:

        async def stop() -> None:
            holder["acceptor"].close()
            await holder["acceptor"].wait_closed()
            for conn in connections:
                conn.close()
            await asyncio.gather(*(conn.wait_closed() for conn in connections), return_exceptions=True)
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


# -- GCS (gcp-storage-emulator, JSON API) ------------------------------------------------------------------------


@contextlib.contextmanager
def gcs_emulator(bucket: str) -> Iterator[str]:
    """Run gcp-storage-emulator in memory on 127.0.0.1 with ``bucket`` created; yield its endpoint URL."""
    import logging

    from gcp_storage_emulator.server import create_server

    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    server = create_server("127.0.0.1", 0, in_memory=True, default_bucket=bucket)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._api._httpd.server_address[1]}"
    finally:
        server.stop()


# -- sources -------------------------------------------------------------------------------------------------------


class FailingSource(io.RawIOBase):
    """A source that yields ``good`` bytes, then fails as a dropped network share or full disk would."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise OSError("source went away")
        n = self._left if size < 0 else min(size, self._left)
        self._left -= n
        return b"z" * n
