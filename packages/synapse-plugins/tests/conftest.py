"""Fixtures for synapse-plugins tests."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, settings

from synapse_client.ray.local import LocalRayHead

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


class FileServer:
    """A real HTTP file server on 127.0.0.1: bytes per path, request counts, per-path delays, 404 otherwise."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.delays: dict[str, float] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                if delay := server.delays.get(path):
                    time.sleep(delay)
                body = server.files.get(path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", f'"{hash(body) & 0xFFFFFFFF:x}"')
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A running ``FileServer``, stopped after the test."""
    server = FileServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def ray_head() -> Iterator[LocalRayHead]:
    """A real Ray head on 127.0.0.1 for the whole session (started on first use, ~5 s), stopped at the end."""
    with LocalRayHead(num_cpus=2) as head:
        yield head
