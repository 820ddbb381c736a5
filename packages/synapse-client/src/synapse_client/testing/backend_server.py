"""A stateful server on 127.0.0.1 speaking the Synapse backend protocol, for the SDK's tests and plugin authors' own.

Built on [`ProtocolServer`][synapse_client.testing.protocol_server.ProtocolServer]; public and stable.

Everything is real HTTP: DRF pages with absolute ``next`` links, multipart bodies parsed by hand, the
django-chunked-upload protocol (``Content-Range`` offsets, ``"Offsets do not match"`` answers carrying the server's
offset, the MD5 check on completion, chunks appended to a file on disk), auth headers checked on every request (401
without the access token, 403 with a wrong tenant or on a forbidden project), and files served at ``/files/<name>``
for the clients' URL conversion.

Faults are configurable: ``BackendServer(latency=0.05)`` delays every answer, ``server.inject(method, path_regex,
*faults)`` queues [`Fault`][synapse_client.testing.protocol_server.Fault]s (5xx, 429 with ``Retry-After``, delays,
connection resets, bodies cut short; ``times=None`` for every request), and ``server.requests`` /
``server.requests_for(method, path_regex)`` record every request. The state is plain data to seed and inspect:
``server.add("jobs", {...})``, ``server.table("jobs")``, ``server.logs`` (what ``POST logs/`` received).

Run it alone: ``python -m synapse_client.testing.backend_server <storage_dir>`` prints its URL on stdout and serves
until stdin closes.

Example:
    >>> import tempfile
    >>> from synapse_client.backend import BackendClient
    >>> with BackendServer(tempfile.mkdtemp()) as server:
    ...     server.inject("GET", r"/jobs/1/", Fault.status(503))  # one 503, then the real answer
    ...     client = BackendClient(server.url, access_token=ACCESS_TOKEN, tenant=TENANT, backoff=0.01)
    ...     print(client.get_job(1).status, len(server.requests_for("GET", r"/jobs/1/")))
    RUNNING 2
"""

from __future__ import annotations

import hashlib
import itertools
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .protocol_server import Fault, ProtocolServer, RecordedRequest, Reply, Stream, json_reply

__all__ = ["ACCESS_TOKEN", "AGENT_TOKEN", "STORAGE_SECRET", "TENANT", "BackendServer", "HttpError", "parse_multipart"]

#: The access token the server accepts by default (``Authorization: Token <it>``).
ACCESS_TOKEN = "access-t0ken-42"  # noqa: S105 - a test server's well-known token
#: The tenant the server accepts by default (``SYNAPSE-Tenant: Token <it>``).
TENANT = "tenant-t0ken-7"
#: The agent token the server accepts.
AGENT_TOKEN = "agent-t0ken-99"  # noqa: S105 - a test server's well-known token
#: The secret stored in the seeded storage's configuration (tests check it never leaks).
STORAGE_SECRET = "storage-secret-key-123"  # noqa: S105 - a test server's well-known secret


class HttpError(Exception):
    """Raised by handlers: becomes a JSON error response."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes | memoryview]]:
    """Split a ``multipart/form-data`` body into ``{name: (filename, content)}``; contents are views, not copies."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if match is None:
        raise HttpError(400, {"detail": "Multipart form parse error - no boundary"})
    delimiter = b"--" + match.group(1).encode()
    view = memoryview(body)
    fields: dict[str, tuple[str | None, bytes | memoryview]] = {}
    position = body.find(delimiter)
    while position >= 0:
        start = position + len(delimiter)
        if body.startswith(b"--", start):
            break
        head_end = body.find(b"\r\n\r\n", start)
        following = body.find(b"\r\n" + delimiter, head_end) if head_end >= 0 else -1
        if head_end < 0 or following < 0:
            raise HttpError(400, {"detail": "Multipart form parse error - truncated part"})
        head = body[start:head_end].decode("latin-1")
        disposition = next((line for line in head.split("\r\n") if line.lower().startswith("content-disposition")), "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if name:
            fields[name.group(1)] = (filename.group(1) if filename else None, view[head_end + 4 : following])
        position = following + 2
    return fields


class BackendServer:
    """The backend protocol, in memory (uploads on disk under ``storage_dir``), on a free loopback port.

    Args:
        storage_dir: Where uploads and served files are kept (created if missing).
        access_token: The access token to accept.
        tenant: The tenant to accept (``None`` accepts requests without one).
        latency: Seconds to wait before every answer, like a server across a network.

    Example:
        >>> import tempfile
        >>> with BackendServer(tempfile.mkdtemp(), latency=0.01) as server:
        ...     sorted(server.table("jobs"))
        ['1', '2']
    """

    def __init__(
        self,
        storage_dir: str | Path,
        *,
        access_token: str = ACCESS_TOKEN,
        tenant: str | None = TENANT,
        latency: float = 0.0,
    ) -> None:
        self.storage_dir = Path(storage_dir)
        (self.storage_dir / "uploads").mkdir(parents=True, exist_ok=True)
        (self.storage_dir / "files").mkdir(parents=True, exist_ok=True)
        self.access_token = access_token
        self.tenant = tenant
        self.protocol = ProtocolServer(latency=latency)
        self.lock = threading.RLock()
        self.ids = itertools.count(1000)
        self.chunk_bytes_received = 0  # file bytes appended by chunk PUTs (a chunk sent twice counts twice)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.files_by_checksum: dict[str, dict[str, Any]] = {}
        self.logs: list[Any] = []
        self.console_logs: dict[str, list[str]] = {}
        self.tag_calls: list[tuple[str, Any]] = []
        self.agents_connected: list[str] = []
        self._init_run_logging()

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> BackendServer:
        """Start serving with the seeded state (projects, tasks, jobs, a storage...); return the server."""
        self.protocol.start()
        self._routes()
        self._seed()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self.protocol.stop()

    def __enter__(self) -> BackendServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        return str(self.protocol.url)

    # -- faults and recording ----------------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds waited before every answer (settable)."""
        return self.protocol.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.protocol.latency = seconds

    def inject(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Queue ``faults`` for requests matching ``method`` and ``path_regex``, consumed in order.

        See [`ProtocolServer.inject`][synapse_client.testing.protocol_server.ProtocolServer.inject].
        """
        self.protocol.inject(method, path_regex, *faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        return self.protocol.requests

    def requests_for(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """The requests whose method and path match (``"*"`` for any method)."""
        return self.protocol.requests_for(method, path_regex)

    # -- state helpers -----------------------------------------------------------------------------------------------

    def next_id(self) -> int:
        """Return a fresh record id."""
        with self.lock:
            return next(self.ids)

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """Return the records of one resource (``"jobs"``, ``"tasks"``...) by id, to seed or inspect."""
        return self.tables.setdefault(name, {})

    def add(self, name: str, record: dict[str, Any]) -> dict[str, Any]:
        """Add a record to a resource (an ``id`` is given when missing); return it."""
        with self.lock:
            if "id" not in record:
                record["id"] = self.next_id()
            self.table(name)[str(record["id"])] = record
        return record

    def get(self, name: str, pk: str) -> dict[str, Any]:
        """Return one record, or raise [`HttpError`][synapse_client.testing.backend_server.HttpError] 404."""
        with self.lock:
            record = self.table(name).get(pk)
        if record is None:
            raise HttpError(404, {"detail": "Not found."})
        return record

    def store_file(self, name: str, content: bytes) -> dict[str, Any]:
        """Keep a data file; return its record ``{id, checksum, size, url}``."""
        checksum = hashlib.sha1(content, usedforsecurity=False).hexdigest()
        with self.lock:
            existing = self.files_by_checksum.get(checksum)
            if existing is not None:
                return existing
            (self.storage_dir / "files" / checksum).write_bytes(content)
            record = {
                "id": self.next_id(),
                "checksum": checksum,
                "size": len(content),
                "file_name_original": name,
                "url": f"{self.url}/files/{checksum}?X-Amz-Signature=presigned-{checksum[:8]}",
            }
            self.files_by_checksum[checksum] = record
        return record

    def page(self, request: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
        """A DRF page of ``items`` filtered by the query's equality filters, with absolute ``next``/``previous``."""
        query = {key: values[-1] for key, values in request.query.items()}
        page = int(query.pop("page", "1"))
        size = int(query.get("page_size", "100"))
        filters = {key: value for key, value in query.items() if key not in ("page_size", "expand", "ordering")}
        selected = [item for item in items if all(str(item.get(k)) == v for k, v in filters.items())]
        start = (page - 1) * size

        def link(number: int) -> str:
            return f"{self.url}{request.path}?{urlencode({**query, 'page': number})}"

        return {
            "count": len(selected),
            "next": link(page + 1) if start + size < len(selected) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": selected[start : start + size],
        }

    # -- routing -----------------------------------------------------------------------------------------------------

    def _route(self, method: str, pattern: str, func: Callable[..., Any], *, auth: bool = True) -> None:
        def handler(request: Any) -> Any:
            return self._answered(request, self._before_handling(request) or _handle(request))

        def _handle(request: Any) -> Any:
            try:
                if auth:
                    self._check_auth(request)
                return func(request, **request.params)
            except HttpError as exc:
                return json_reply(exc.body, exc.status)

        self.protocol.route(method, pattern, handler)

    def _check_auth(self, request: Any) -> None:
        if request.header("Synapse-Access-Token") != f"Token {self.access_token}":
            raise HttpError(401, {"detail": "Authentication credentials were not provided."})
        if self.tenant is not None and request.header("SYNAPSE-Tenant") != f"Token {self.tenant}":
            raise HttpError(403, {"detail": "You do not have permission to perform this action."})

    def _routes(self) -> None:
        r = self._route
        pk = r"(?P<pk>[^/]+)"
        r("GET", r"/files/(?P<name>[0-9a-f]+)", self._serve_file, auth=False)
        r("GET", rf"/projects/{pk}/", self._get_project)
        r("GET", rf"/tasks/{pk}/", lambda req, pk: self.get("tasks", pk))
        r("PUT", rf"/tasks/{pk}/annotate_task_data/", self._annotate)
        r("GET", r"/sdk/tasks/", lambda req: self.page(req, list(self.table("tasks").values())))
        r("POST", r"/tasks/", self._create_tasks)
        r("POST", r"/tasks/set_tags/", lambda req: self._set_tags("tasks", req))
        r("GET", r"/task_tags/", lambda req: self.page(req, list(self.table("task_tags").values())))
        r("GET", rf"/task_tags/{pk}/", lambda req, pk: self.get("task_tags", pk))
        r("GET", r"/data_collections/", lambda req: self.page(req, [self._collection(c, req) for c in self._all("dc")]))
        r("GET", rf"/data_collections/{pk}/", lambda req, pk: self._collection(self.get("dc", pk), req))
        r("POST", r"/data_files/", self._create_data_file)
        r("POST", r"/data_files/verify_checksums/", self._verify_checksums)
        r("GET", r"/data_units/", lambda req: self.page(req, self._all("data_units")))
        r("GET", rf"/data_units/{pk}/", lambda req, pk: self.get("data_units", pk))
        r("POST", r"/data_units/", self._create_data_units)
        r("GET", rf"/assignments/{pk}/", lambda req, pk: self.get("assignments", pk))
        r("GET", r"/sdk/assignments/", lambda req: self.page(req, self._all("assignments")))
        r("POST", r"/assignments/set_tags/", lambda req: self._set_tags("assignments", req))
        r("POST", r"/agents/(?P<token>[^/]+)/connect/", self._connect_agent)
        r("GET", r"/plugins/", lambda req: self.page(req, self._all("plugins")))
        r("POST", r"/plugins/", self._create_plugin)
        r("GET", rf"/plugins/{pk}/", lambda req, pk: self._plugin(pk))
        r("PUT", rf"/plugins/{pk}/", self._update_plugin)
        r("POST", rf"/plugins/{pk}/run/", self._run_plugin)
        r("GET", rf"/plugin_releases/{pk}/", lambda req, pk: self.get("plugin_releases", pk))
        r("POST", r"/plugin_releases/", self._create_release)
        r("GET", r"/jobs/", lambda req: self.page(req, self._all("jobs")))
        r("GET", rf"/jobs/{pk}/", lambda req, pk: self.get("jobs", pk))
        r("PATCH", rf"/jobs/{pk}/", self._update_job)
        r("GET", rf"/jobs/{pk}/console_logs/", lambda req, pk: {"results": self._console(pk)})
        r("GET", rf"/jobs/{pk}/tail_console_logs/", self._tail)
        r("POST", r"/logs/", self._create_logs)
        r("GET", r"/serve_applications/", lambda req: self.page(req, self._all("serve_applications")))
        r("POST", r"/serve_applications/", lambda req: self._create("serve_applications", req, required=("name",)))
        r("GET", rf"/storages/{pk}/", self._storage)
        r("GET", r"/models/", lambda req: self.page(req, self._all("models")))
        r("GET", rf"/models/{pk}/", lambda req, pk: self.get("models", pk))
        r("POST", r"/models/", self._create_model)
        r("GET", r"/sdk/ground_truth_events/", lambda req: self.page(req, self._all("gt_events")))
        r("GET", rf"/ground_truth_dataset_versions/{pk}/", lambda req, pk: self.get("gt_versions", pk))
        r("PUT", r"/chunked_upload/", lambda req: self._put_chunk(req, None))
        r("PUT", r"/chunked_upload/(?P<uid>[0-9a-f]+)/", self._put_chunk)
        r("POST", r"/chunked_upload/(?P<uid>[0-9a-f]+)/", self._complete_upload)
        r("POST", r"/logs/", self._create_logs_once)  # later routes win: replaces the plain POST logs/ above

    def _all(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.table(name).values())

    def _seed(self) -> None:
        self.add("projects", {"id": 1, "title": "Cats", "configuration": {"classes": [{"id": "cat"}]}, "x_new": 1})
        self.add("projects", {"id": 2, "title": "Secret", "configuration": {}, "forbidden": True})
        self.add(
            "dc",
            {
                "id": 1,
                "name": "Street",
                "file_specifications": [
                    {"name": "image_1", "is_required": True, "file_type": "image"},
                    {"name": "meta_json", "is_required": False, "file_type": "json"},
                ],
            },
        )
        for index in range(5):
            stored = self.store_file(f"seed_{index}.txt", f"seed file {index}\n".encode())
            unit = self.add(
                "data_units",
                {
                    "data_collection": 1,
                    "meta": {"index": index},
                    "files": {"image_1": {**stored, "is_primary": True}},
                },
            )
            self.add("tasks", {"project": 1, "data_unit": unit["id"], "data": None, "status": "pending",
                               "files": {"image_1": {"url": stored["url"], "size": stored["size"]}}})  # fmt: skip
            self.add("assignments", {"project": 1, "task": index, "data": {"labels": [index]},
                                     "files": {"image_1": stored["url"]}})  # fmt: skip
            self.add("gt_events", {"ground_truth_dataset_versions": 2, "data": {"n": index},
                                   "files": {"image_1": {"url": stored["url"]}}})  # fmt: skip
        self.add("task_tags", {"id": 1, "name": "hard", "project": 1})
        self.add("task_tags", {"id": 2, "name": "easy", "project": 1})
        self.add("plugins", {"id": 1, "code": "yolo-export", "name": "YOLO export", "category": "export"})
        self.add("plugin_releases", {"id": 1, "plugin": 1, "version": "0.9.0"})
        self.add("jobs", {"id": 1, "status": "RUNNING", "progress_record": None, "metrics_record": None})
        self.add("jobs", {"id": 2, "status": "SUCCEEDED", "result": {"ok": True}})
        self.console_logs["1"] = [f"line {i}" for i in range(5)]
        self.add("serve_applications", {"id": 1, "name": "yolo", "agent": 2})
        self.add(
            "storages",
            {"id": 1, "name": "main", "category": "internal", "provider": "amazon_s3", "is_default": True,
             "configuration": {"bucket_name": "data", "secret_access_key": STORAGE_SECRET}},
        )  # fmt: skip
        self.add("models", {"id": 1, "name": "yolo-v8", "plugin": 1, "file": None})
        self.add("gt_versions", {"id": 2, "name": "v2", "ground_truth_dataset": 1})

    # -- handlers ----------------------------------------------------------------------------------------------------

    def _serve_file(self, request: Any, name: str) -> Any:
        path = self.storage_dir / "files" / name
        if not path.is_file():
            raise HttpError(404, {"detail": "Not found."})
        return Reply(200, path.read_bytes(), {"Content-Type": "application/octet-stream"})

    def _get_project(self, request: Any, pk: str) -> Any:
        project = self.get("projects", pk)
        if project.get("forbidden"):
            raise HttpError(403, {"detail": "You do not have permission to perform this action."})
        return project

    def _annotate(self, request: Any, pk: str) -> Any:
        task = self.get("tasks", pk)
        body = request.json() or {}
        errors = {key: ["This field is required."] for key in ("action", "data") if key not in body}
        if errors:
            raise HttpError(400, errors)
        if body["action"] != "submit":
            raise HttpError(400, {"action": [f'"{body["action"]}" is not a valid choice.']})
        with self.lock:
            task["data"] = body["data"]
            task["status"] = "submitted"
        return task

    def _create_tasks(self, request: Any) -> Any:
        body = request.json()
        if not isinstance(body, list):
            raise HttpError(400, {"non_field_errors": ["Expected a list of items."]})
        created = []
        for item in body:
            missing = {key: ["This field is required."] for key in ("project", "data_unit") if key not in item}
            if missing:
                raise HttpError(400, missing)
            self.get("data_units", str(item["data_unit"]))
            created.append(self.add("tasks", {"project": item["project"], "data_unit": item["data_unit"],
                                              "data": None, "status": "pending"}))  # fmt: skip
        return json_reply(created, 201)

    def _set_tags(self, kind: str, request: Any) -> Any:
        body = request.json() or {}
        if not isinstance(body.get("ids"), list):
            raise HttpError(400, {"ids": ["This field is required."]})
        with self.lock:
            self.tag_calls.append((kind, body))
        return {"updated": len(body["ids"])}

    def _collection(self, collection: dict[str, Any], request: Any) -> dict[str, Any]:
        expand = request.query.get("expand", [""])[-1]
        if expand == "file_specifications":
            return collection
        return {key: value for key, value in collection.items() if key != "file_specifications"}

    def _create_data_file(self, request: Any) -> Any:
        content_type = request.header("Content-Type") or ""
        if content_type.startswith("multipart/form-data"):
            fields = parse_multipart(request.body, content_type)
            if "file" not in fields:
                raise HttpError(400, {"file": ["No file was submitted."]})
            name, content = fields["file"]
            record = self.store_file(name or "file", bytes(content))
        else:
            body = request.json() or {}
            upload = self.uploads.get(str(body.get("chunked_upload")))
            if upload is None or not upload["completed"]:
                raise HttpError(400, {"chunked_upload": ["Invalid or incomplete chunked upload."]})
            name = (body.get("meta") or {}).get("filename") or upload["filename"]
            record = self.store_file(name, Path(upload["path"]).read_bytes())
        return json_reply({key: record[key] for key in ("id", "checksum", "size")}, 201)

    def _verify_checksums(self, request: Any) -> Any:
        body = request.json() or {}
        checksums = body.get("checksums")
        if not isinstance(checksums, list):
            raise HttpError(400, {"checksums": ["This field is required."]})
        with self.lock:
            return {"checksums": [c for c in checksums if c in self.files_by_checksum]}

    def _create_data_units(self, request: Any) -> Any:
        body = request.json()
        if not isinstance(body, list):
            raise HttpError(400, {"non_field_errors": ["Expected a list of items."]})
        created = []
        for item in body:
            files = item.get("files") or {}
            for spec, entry in files.items():
                if entry.get("checksum") not in self.files_by_checksum:
                    raise HttpError(400, {"files": {spec: ["Unknown checksum."]}})
            created.append(self.add("data_units", {"data_collection": item.get("data_collection"),
                                                   "files": files, "meta": item.get("meta") or {}}))  # fmt: skip
        return json_reply(created, 201)

    def _connect_agent(self, request: Any, token: str) -> Any:
        if token != AGENT_TOKEN:
            raise HttpError(404, {"detail": "Agent not found."})
        with self.lock:
            self.agents_connected.append(token)
        return {"connected": True}

    def _plugin(self, pk: str) -> dict[str, Any]:
        with self.lock:
            for plugin in self.table("plugins").values():
                if pk in (str(plugin["id"]), plugin.get("code")):
                    return plugin
        raise HttpError(404, {"detail": "Not found."})

    def _create(self, name: str, request: Any, *, required: tuple[str, ...]) -> Any:
        body = request.json() or {}
        missing = {key: ["This field is required."] for key in required if key not in body}
        if missing:
            raise HttpError(400, missing)
        return json_reply(self.add(name, dict(body)), 201)

    def _create_plugin(self, request: Any) -> Any:
        return self._create("plugins", request, required=("code", "name"))

    def _update_plugin(self, request: Any, pk: str) -> Any:
        plugin = self._plugin(pk)
        with self.lock:
            plugin.update(request.json() or {})
        return plugin

    def _run_plugin(self, request: Any, pk: str) -> Any:
        plugin = self._plugin(pk)
        body = request.json() or {}
        missing = {key: ["This field is required."] for key in ("agent", "action") if key not in body}
        if missing:
            raise HttpError(400, missing)
        job = self.add("jobs", {"status": "PENDING", "plugin": plugin["id"], "action": body["action"],
                                "params": body.get("params", {})})  # fmt: skip
        return {"job_id": job["id"]}

    def _create_release(self, request: Any) -> Any:
        fields = parse_multipart(request.body, request.header("Content-Type") or "")
        if "file" not in fields:
            raise HttpError(400, {"file": ["No file was submitted."]})
        filename, content = fields.pop("file")
        record: dict[str, Any] = {key: bytes(value[1]).decode() for key, value in fields.items()}
        stored = self.store_file(filename or "plugin.zip", bytes(content))  # the archive stays downloadable
        record.update({"file_name": filename, "file_size": len(content), "file_sha1": stored["checksum"],
                       "file": stored["url"]})  # fmt: skip
        return json_reply(self.add("plugin_releases", record), 201)

    def _update_job(self, request: Any, pk: str) -> Any:
        job = self.get("jobs", pk)
        body = request.json() or {}
        allowed = {"status", "progress_record", "metrics_record", "console_logs", "result"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise HttpError(400, {key: ["Unknown field."] for key in unknown})
        # The current platform spells statuses in upper case (older records in lower case stay readable).
        if "status" in body and body["status"] not in ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED"):
            raise HttpError(400, {"status": [f'"{body["status"]}" is not a valid choice.']})
        with self.lock:
            job.update(body)
        return job

    def _console(self, pk: str) -> list[str]:
        self.get("jobs", pk)
        with self.lock:
            return list(self.console_logs.get(pk, []))

    def _tail(self, request: Any, pk: str) -> Any:
        lines = self._console(pk)
        return Stream([line + "\n" for line in lines], delay=0.01)

    def _create_logs(self, request: Any) -> Any:
        body = request.json()
        if not isinstance(body, list):
            raise HttpError(400, {"non_field_errors": ["Expected a list of items."]})
        for item in body:
            if "event" not in item:
                raise HttpError(400, {"event": ["This field is required."]})
        with self.lock:
            self.logs.extend(body)
        return json_reply({"created": len(body)}, 201)

    def _storage(self, request: Any, pk: str) -> Any:
        storage = dict(self.get("storages", pk))
        if request.query.get("with_configuration", [""])[-1] != "True":
            storage.pop("configuration", None)
        return storage

    def _create_model(self, request: Any) -> Any:
        body = request.json() or {}
        if "name" not in body:
            raise HttpError(400, {"name": ["This field is required."]})
        upload_id = body.get("chunked_upload")
        if upload_id is not None:
            upload = self.uploads.get(str(upload_id))
            if upload is None or not upload["completed"]:
                raise HttpError(400, {"chunked_upload": ["Invalid or incomplete chunked upload."]})
            body["file"] = self.store_file(upload["filename"], Path(upload["path"]).read_bytes())["url"]
        return json_reply(self.add("models", dict(body)), 201)

    # -- run logging (backend logger tests): latency, intermittent 503s, a timed answer log, logs deduped by ------
    # -- event_id. Kept in one block to ease moving the server into synapse_client.testing. -------------------------

    def _init_run_logging(self) -> None:
        # A slow backend is ``latency`` (the protocol server's, applied to every request).
        #: Every ``fail_every``-th request whose path matches ``fail_pattern`` answers 503 (0: never). With
        #: ``fail_after_handling`` the request was handled first (its effect stays): the answer, not the work, is lost.
        self.fail_every = 0
        self.fail_pattern = r"/(logs|jobs/[^/]+)/"
        self.fail_after_handling = True
        #: ``(received_at, answered_at, method, path, status)`` per request, ``time.monotonic()`` seconds.
        self.answers: list[tuple[float, float, str, str, int]] = []
        #: Every log entry received, duplicates included (``self.logs`` keeps each ``event_id`` once).
        self.logs_received: list[Any] = []
        self._event_ids: set[str] = set()
        self._fail_counter = 0

    def _before_handling(self, request: Any) -> Any:
        if self.fail_every and re.fullmatch(self.fail_pattern, request.path):
            with self.lock:
                self._fail_counter += 1
                fail = self._fail_counter % self.fail_every == 0
            if fail:
                injected = json_reply({"detail": "Injected 503"}, 503)
                if not self.fail_after_handling:
                    return injected
                request.fail_after_handling = injected
        return None

    def _answered(self, request: Any, reply: Any) -> Any:
        import time

        injected = getattr(request, "fail_after_handling", None)
        if injected is not None:
            reply = injected
        status = reply.status if isinstance(reply, (Reply, Stream)) else 200
        with self.lock:
            self.answers.append((request.received_at, time.monotonic(), request.method, request.path, status))
        return reply

    def answers_for(self, method: str, path_regex: str) -> list[tuple[float, float, str, str, int]]:
        """The timed answers to requests matching ``method`` and ``path_regex``."""
        return [a for a in self.answers if a[2] == method.upper() and re.fullmatch(path_regex, a[3])]

    def _create_logs_once(self, request: Any) -> Any:
        body = request.json()
        if isinstance(body, dict):
            body = [body]
        if not isinstance(body, list):
            raise HttpError(400, {"non_field_errors": ["Expected a list of items."]})
        for item in body:
            if not isinstance(item, dict) or "event" not in item:
                raise HttpError(400, {"event": ["This field is required."]})
        created = 0
        with self.lock:
            self.logs_received.extend(body)
            for item in body:
                event_id = item.get("event_id")
                if event_id is not None and event_id in self._event_ids:
                    continue
                if event_id is not None:
                    self._event_ids.add(event_id)
                self.logs.append(item)
                created += 1
        return json_reply({"created": created}, 201)

    # -- chunked upload (django-chunked-upload semantics) ------------------------------------------------------------

    def _put_chunk(self, request: Any, uid: str | None) -> Any:
        fields = parse_multipart(request.body, request.header("Content-Type") or "")
        if "file" not in fields:
            raise HttpError(400, {"detail": "No chunk file was submitted"})
        filename, chunk = fields["file"]
        content_range = request.header("Content-Range")
        if content_range is None:  # the whole file in one request
            start, end, total = 0, len(chunk) - 1, len(chunk)
        else:
            match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
            if match is None:
                raise HttpError(400, {"detail": "Error in request headers"})
            start, end, total = (int(group) for group in match.groups())
        with self.lock:
            if uid is None:
                if start != 0:
                    raise HttpError(400, {"detail": "Offsets do not match", "offset": 0})
                uid = hashlib.md5(str(self.next_id()).encode(), usedforsecurity=False).hexdigest()
                path = self.storage_dir / "uploads" / uid
                path.write_bytes(b"")
                self.uploads[uid] = {"id": uid, "path": str(path), "offset": 0, "total": total,
                                     "filename": filename or "file", "completed": False}  # fmt: skip
            upload = self.uploads.get(uid)
            if upload is None:
                raise HttpError(404, {"detail": "Not found."})
            if upload["completed"]:
                raise HttpError(400, {"detail": "Upload has already been marked as complete"})
            if start != upload["offset"]:
                raise HttpError(400, {"detail": "Offsets do not match", "offset": upload["offset"]})
            if len(chunk) != end - start + 1:
                raise HttpError(400, {"detail": "File size doesn't match headers"})
            with open(upload["path"], "ab") as file:
                file.write(chunk)
            upload["offset"] += len(chunk)
            self.chunk_bytes_received += len(chunk)
            return {"url": f"{self.url}/chunked_upload/{uid}/", "offset": upload["offset"],
                    "expires": "2099-01-01T00:00:00Z"}  # fmt: skip

    def _complete_upload(self, request: Any, uid: str) -> Any:
        body = request.json() or {}
        with self.lock:
            upload = self.uploads.get(uid)
            if upload is None:
                raise HttpError(404, {"detail": "Not found."})
            if upload["completed"]:
                raise HttpError(400, {"detail": "Upload has already been marked as complete"})
            if upload["offset"] != upload["total"]:
                raise HttpError(400, {"detail": "Upload is incomplete", "offset": upload["offset"]})
            digest = hashlib.md5(usedforsecurity=False)
            with open(upload["path"], "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
            if body.get("md5") != digest.hexdigest():
                raise HttpError(400, {"detail": "md5 checksum does not match"})
            upload["completed"] = True
            return {"id": uid, "filename": upload["filename"], "size": upload["offset"], "completed": True}


def _main(argv: list[str]) -> None:
    storage = Path(argv[1]) if len(argv) > 1 else Path(".")
    with BackendServer(storage) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    _main(sys.argv)
