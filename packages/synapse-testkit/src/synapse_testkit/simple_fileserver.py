"""A minimal HTTP file server on 127.0.0.1: bytes per path, request counts, per-path delays, 404 otherwise.

For tests that need a URL to fetch and nothing more (``FileField`` validation); downloads are tested against the
Range- and fault-capable [`FileServer`][synapse_testkit.fileserver.FileServer]. The ``file_server`` fixture of the
testkit's pytest plugin gives one per test.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SimpleFileServer:
    """A real HTTP file server on 127.0.0.1: bytes per path, request counts, per-path delays, 404 otherwise."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.delays: dict[str, float] = {}
        self.redirects: dict[str, str] = {}  # path -> Location of a 302
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
                if (location := server.redirects.get(path)) is not None:
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
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
