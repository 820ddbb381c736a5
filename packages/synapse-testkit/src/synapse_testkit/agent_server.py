"""A real HTTP server on 127.0.0.1 speaking the Synapse agent protocol, forwarding Ray calls to a real Ray head.

It checks the agent's auth headers (401 without them), serves DRF-style pages, streams job logs over a chunked HTTP
response and over WebSocket (the websockets library's server, sharing the HTTP port: the first bytes of each
connection decide who handles it), keeps plugin releases and containers in memory, and can drop the next log
stream mid-way once (fault injection) so tests see a real broken connection.

It talks to Ray with the standard library only, so the client under test never tests itself.
"""

from __future__ import annotations

import json
import shlex
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as ws_serve

MAX_STREAM_SECONDS = 120.0  # every forwarding loop ends by itself
TERMINAL = {"STOPPED", "SUCCEEDED", "FAILED"}


class RayError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


class RayForwarder:
    """Calls to the Ray dashboard with urllib."""

    def __init__(self, ray_url: str) -> None:
        self.ray_url = ray_url.rstrip("/")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.ray_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise RayError(exc.code, exc.read().decode("utf-8", "replace")) from None
        return json.loads(raw) if raw else None

    def state(self, resource: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        query = [("limit", "1000"), ("detail", "true")]
        for key, value in (filters or {}).items():
            query += [("filter_keys", key), ("filter_predicates", "="), ("filter_values", value)]
        payload = self.call("GET", f"/api/v0/{resource}?{urllib.parse.urlencode(query)}")
        return list(payload["data"]["result"]["result"])

    def ws_url(self, job_id: str) -> str:
        return "ws" + self.ray_url[len("http") :] + f"/api/jobs/{urllib.parse.quote(job_id, safe='')}/logs/tail"


class AgentServer:
    """The agent-protocol server; use as a context manager or call start()/stop().

    Args:
        ray_url: The real Ray dashboard to forward to.
        agent_token: The token expected in ``Authorization`` (and ``Agent-Token: Token ...`` on streams).
        user_token: When set, ``SYNAPSE-User: Token <user_token>`` is required too.
        tenant: When set, ``SYNAPSE-Tenant: Token <tenant>`` is required too.
    """

    def __init__(
        self, ray_url: str, agent_token: str, user_token: str | None = None, tenant: str | None = None
    ) -> None:
        self.ray = RayForwarder(ray_url)
        self.agent_token = agent_token
        self.user_token = user_token
        self.tenant = tenant
        self.lock = threading.Lock()
        self.stream_connections = 0
        self.drops_done = 0
        self._drop_after_chars: int | None = None
        self.plugin_releases: dict[str, dict[str, Any]] = {}
        self.containers: dict[int, dict[str, Any]] = {}
        self._next_container = 1
        self._http: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- fault injection ---------------------------------------------------------------------------------------------

    def drop_next_stream(self, after_chars: int) -> None:
        """The next log stream (HTTP or WS) is cut abruptly after forwarding this many characters of new data."""
        with self.lock:
            self._drop_after_chars = after_chars

    def _take_drop(self) -> int | None:
        """Count a new stream connection and return the armed drop point (it stays armed until it fires)."""
        with self.lock:
            self.stream_connections += 1
            return self._drop_after_chars

    def _fired(self) -> None:
        with self.lock:
            self._drop_after_chars = None
            self.drops_done += 1

    # -- auth ----------------------------------------------------------------------------------------------------

    def authorized(self, headers: Any, *, stream: bool = False) -> bool:
        if headers.get("Authorization") != self.agent_token:
            return False
        if self.user_token and headers.get("SYNAPSE-User") != f"Token {self.user_token}":
            return False
        if self.tenant and headers.get("SYNAPSE-Tenant") != f"Token {self.tenant}":
            return False
        return not (stream and headers.get("Agent-Token") != f"Token {self.agent_token}")

    # -- lifecycle -------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}/"

    def start(self) -> AgentServer:
        self._ws_listener = socket.create_server(("127.0.0.1", 0))  # never connected to: connections come from HTTP
        self._ws = ws_serve(
            self._ws_handler, sock=self._ws_listener, compression=None, process_request=self._ws_process_request
        )
        server = self

        class Http(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                if _is_websocket_upgrade(request):
                    server._ws.handler(request, client_address)
                else:
                    super().finish_request(request, client_address)

        self._http = Http(("127.0.0.1", 0), _make_handler(self))
        for target in (self._http.serve_forever, self._ws.serve_forever):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._ws.shutdown()
            for thread in self._threads:
                thread.join(timeout=10)
            self._http = None

    def __enter__(self) -> AgentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- WebSocket log endpoint ------------------------------------------------------------------------------------

    def _ws_process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if not self.authorized(request.headers, stream=True):
            return connection.respond(401, "authentication required\n")
        job_id = _job_id_from_log_path(request.path, "ws")
        if job_id is None:
            return connection.respond(404, "not found\n")
        try:
            self.ray.call("GET", f"/api/jobs/{urllib.parse.quote(job_id, safe='')}")
        except RayError as exc:
            return connection.respond(exc.status, exc.body)
        return None

    def _ws_handler(self, connection: ServerConnection) -> None:
        job_id = _job_id_from_log_path(connection.request.path if connection.request else "", "ws")
        assert job_id is not None
        drop = self._take_drop()
        sent = 0
        deadline = time.monotonic() + MAX_STREAM_SECONDS
        with ws_connect(self.ray.ws_url(job_id), compression=None, max_size=None) as upstream:
            while time.monotonic() < deadline:
                try:
                    frame = upstream.recv(timeout=1.0)
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    break
                text = frame if isinstance(frame, str) else frame.decode()
                if drop is not None and sent + len(text) > drop:
                    connection.send(text[: drop - sent])
                    self._fired()
                    connection.socket.shutdown(socket.SHUT_RDWR)  # abrupt: no close frame
                    return
                try:
                    connection.send(text)
                except ConnectionClosed:
                    return
                sent += len(text)

    # -- HTTP chunked log stream -----------------------------------------------------------------------------------

    def stream_logs(self, handler: BaseHTTPRequestHandler, job_id: str) -> None:
        drop = self._take_drop()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        deadline = time.monotonic() + MAX_STREAM_SECONDS
        with ws_connect(self.ray.ws_url(job_id), compression=None, max_size=None) as upstream:
            while time.monotonic() < deadline:
                try:
                    frame = upstream.recv(timeout=1.0)
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    break
                text = frame if isinstance(frame, str) else frame.decode()
                if drop is not None and sent + len(text) > drop:
                    _write_chunk(handler, text[: drop - sent].encode())
                    self._fired()
                    handler.close_connection = True
                    handler.connection.shutdown(socket.SHUT_RDWR)  # no terminating chunk: a broken stream
                    return
                try:
                    _write_chunk(handler, text.encode())
                except OSError:
                    return
                sent += len(text)
        handler.wfile.write(b"0\r\n\r\n")


def _write_chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    if data:
        handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        handler.wfile.flush()


def _is_websocket_upgrade(sock: socket.socket) -> bool:
    """Peek (without consuming) at the request head to see whether it asks for a WebSocket upgrade."""
    sock.settimeout(10)
    head = b""
    for _ in range(100):
        head = sock.recv(65536, socket.MSG_PEEK)
        if not head or b"\r\n\r\n" in head:
            break
        time.sleep(0.01)
    return b"upgrade: websocket" in head.lower()


def _job_id_from_log_path(path: str, kind: str) -> str | None:
    parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(path).path.strip("/").split("/")]
    if len(parts) == 5 and parts[:2] == ["ray", "jobs"] and parts[3:] == ["logs", kind]:
        return parts[2]
    return None


def _page(handler: BaseHTTPRequestHandler, server: AgentServer, items: list[Any], query: dict[str, list[str]]) -> Any:
    page_size = max(1, int(query.get("page_size", ["100"])[0]))
    page = max(1, int(query.get("page", ["1"])[0]))
    # Any other query parameter is an equality filter on the records (as the agent's DRF filters do).
    filters = {key: values[0] for key, values in query.items() if key not in ("page", "page_size")}
    items = [item for item in items if all(str(item.get(key)) == value for key, value in filters.items())]
    start = (page - 1) * page_size
    path = urllib.parse.urlsplit(handler.path).path

    def link(number: int) -> str:
        query = urllib.parse.urlencode({**filters, "page": number, "page_size": page_size})
        return f"{server.url.rstrip('/')}{path}?{query}"

    return {
        "count": len(items),
        "next": link(page + 1) if start + page_size < len(items) else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": items[start : start + page_size],
    }


def _make_handler(server: AgentServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send_json(self, status: int, payload: Any) -> None:
            body = b"" if status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else {}

        def _dispatch(self, method: str) -> None:
            body = self._body() if method in {"POST", "PUT", "PATCH"} else None
            split = urllib.parse.urlsplit(self.path)
            parts = [urllib.parse.unquote(p) for p in split.path.strip("/").split("/") if p]
            query = urllib.parse.parse_qs(split.query)
            stream = _job_id_from_log_path(split.path, "stream")
            if not server.authorized(self.headers, stream=stream is not None):
                self._send_json(401, {"detail": "Authentication credentials were not provided."})
                return
            try:
                if stream is not None and method == "GET":
                    server.ray.call("GET", f"/api/jobs/{urllib.parse.quote(stream, safe='')}")  # 404 if unknown
                    server.stream_logs(self, stream)
                    return
                status, payload = route(server, self, method, parts, query, body)
            except RayError as exc:
                status, payload = exc.status, {"detail": exc.body}
            self._send_json(status, payload)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

    return Handler


def route(
    server: AgentServer,
    handler: BaseHTTPRequestHandler,
    method: str,
    parts: list[str],
    query: dict[str, list[str]],
    body: Any,
) -> tuple[int, Any]:
    ray = server.ray
    quoted = [urllib.parse.quote(p, safe="") for p in parts]
    match (method, parts):
        case ("GET", ["health"]):
            return 200, {"status": "ok", "ray_version": ray.call("GET", "/api/version")["ray_version"]}
        case ("GET", ["metrics", panel]):
            nodes = ray.state("nodes")
            if panel == "cpu":
                return 200, {"panel": "cpu", "total": sum(n["resources_total"].get("CPU", 0) for n in nodes)}
            return 404, {"detail": f"unknown panel {panel}"}
        case ("GET", ["jobs"]):
            return 200, _page(handler, server, ray.call("GET", "/api/jobs/"), query)
        case ("GET", ["jobs", _]):
            return 200, ray.call("GET", f"/api/jobs/{quoted[1]}")
        case ("GET", ["jobs", _, "logs"]):
            return 200, ray.call("GET", f"/api/jobs/{quoted[1]}/logs")
        case ("POST", ["jobs", _, "stop"]):
            job = ray.call("GET", f"/api/jobs/{quoted[1]}")
            if job["status"] in TERMINAL:
                return 400, {"detail": f"job is already {job['status']}"}
            return 200, {"job_id": parts[1], **ray.call("POST", f"/api/jobs/{quoted[1]}/stop")}
        case ("GET", [("nodes" | "tasks") as kind]):
            return 200, _page(handler, server, ray.state(kind), query)
        case ("GET", [("nodes" | "tasks") as kind, item]):
            found = ray.state(kind, {f"{kind[:-1]}_id": item})
            return (200, found[0]) if found else (404, {"detail": f"{kind[:-1]} {item} not found"})
        case ("GET", ["serve_applications"]):
            apps = ray.call("GET", "/api/serve/applications/").get("applications") or {}
            return 200, _page(handler, server, [{"name": k, **v} for k, v in apps.items()], query)
        case ("GET" | "DELETE", ["serve_applications", name]):
            apps = ray.call("GET", "/api/serve/applications/").get("applications") or {}
            if name not in apps:
                return 404, {"detail": f"application {name} not found"}
            return 501, {"detail": "not supported by the test agent"}
        case ("POST", ["plugin_releases"]):
            code = f"{body.get('plugin')}@{body.get('version')}"
            release = {"id": len(server.plugin_releases) + 1, "code": code, **body}
            server.plugin_releases[code] = release
            return 201, release
        case ("POST", ["plugin_releases", "run_debug"]):
            return 200, {"job_id": _run_action(ray, "debug", body)}
        case ("POST", ["plugin_releases", code, "run"]):
            if code not in server.plugin_releases:
                return 404, {"detail": f"release {code} not found"}
            return 200, {"job_id": _run_action(ray, code, body)}
        case ("GET", ["containers"]):
            return 200, _page(handler, server, list(server.containers.values()), query)
        case ("POST", ["containers"]):
            with server.lock:
                pk = server._next_container
                server._next_container += 1
            server.containers[pk] = {"id": pk, "status": "running", **body}
            return 201, server.containers[pk]
        case ("GET" | "DELETE", ["containers", pk]):
            key = int(pk) if pk.isdigit() else -1
            if key not in server.containers:
                return 404, {"detail": f"container {pk} not found"}
            if method == "DELETE":
                del server.containers[key]
                return 204, None
            return 200, server.containers[key]
    return 404, {"detail": "not found"}


def _run_action(ray: RayForwarder, code: str, body: dict[str, Any]) -> str:
    """Run a plugin action as a real Ray job that prints its request (parameters passed as data, not shell)."""
    payload = json.dumps({"release": code, "action": body.get("action"), "params": body.get("params", {})})
    argv = [sys.executable, "-c", "import sys; print(sys.argv[1], flush=True)", payload]
    result = ray.call("POST", "/api/jobs/", {"entrypoint": shlex.join(argv)})
    return str(result["submission_id"])
