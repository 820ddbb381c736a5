"""Agents, plugins, plugin releases, jobs and their logs, Serve applications and storages.

Example:
    ```python
    result = client.run_plugin("yolo-export", {"agent": 2, "version": "1.0.0", "action": "export", "params": {}})
    job = client.get_job(result["job_id"])
    ```
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from ..errors import BadRequestError, ClientTimeoutError, ServiceUnavailableError
from ..network import StreamLimits
from .listing import BackendMixinBase, Page, RecordPages, as_json_list
from .models import Job, JobStatus, Plugin, PluginRelease, Record, Storage

__all__ = ["IntegrationClientMixin"]


class IntegrationClientMixin(BackendMixinBase):
    """Agents, plugins, releases, jobs, logs, Serve applications and storages.

    Example:
        ```python
        jobs, count = client.list_jobs(params={"status": "running"}, list_all=True)
        ```
    """

    def health_check_agent(self, token: str) -> Any:
        """Report an agent as connected (its health check).

        Endpoint: ``POST agents/{token}/connect/``. The token is part of the path, so it is also sent as the
        ``SYNAPSE-Agent`` header, which keeps it out of logs and errors (they redact it).

        Args:
            token: The agent's token.

        Returns:
            The server's answer.

        Raises:
            BadRequestError: (400) if the token has characters that cannot be part of a path.
            NotFoundError: (404) for an unknown agent.

        Example:
            ```python
            client.health_check_agent("agent-token")
            ```
        """
        safe = self._id(token, "agent token")
        return self._post(f"agents/{safe}/connect/", headers={"SYNAPSE-Agent": f"Token {safe}"})

    def get_plugin(self, pk: int | str) -> Plugin:
        """Return a plugin.

        Endpoint: ``GET plugins/{pk}/``.

        Args:
            pk: The plugin's id or code.

        Returns:
            The plugin.

        Example:
            ```python
            client.get_plugin(1).code
            ```
        """
        result: Plugin = self._get_record(Plugin, f"plugins/{self._id(pk, 'plugin')}/")
        return result

    def create_plugin(self, data: Mapping[str, Any]) -> Plugin:
        """Register a plugin.

        Endpoint: ``POST plugins/``.

        Args:
            data: The plugin's fields (``code``, ``name``, ``category``...).

        Returns:
            The created plugin.

        Raises:
            BadRequestError: (400) with the field errors in ``body``.

        Example:
            ```python
            client.create_plugin({"code": "yolo-export", "name": "YOLO export", "category": "export"})
            ```
        """
        result: Plugin = self._record(Plugin, self._post("plugins/", json=dict(data)))
        return result

    def update_plugin(self, pk: int | str, data: Mapping[str, Any]) -> Plugin:
        """Update a plugin.

        Endpoint: ``PUT plugins/{pk}/``.

        Args:
            pk: The plugin's id.
            data: The plugin's fields.

        Returns:
            The updated plugin.

        Example:
            ```python
            client.update_plugin(1, {"name": "YOLO export v2"})
            ```
        """
        result: Plugin = self._record(Plugin, self._put(f"plugins/{self._id(pk, 'plugin')}/", json=dict(data)))
        return result

    def run_plugin(self, plugin: int | str, data: Mapping[str, Any]) -> Any:
        """Run a plugin action.

        Endpoint: ``POST plugins/{plugin}/run/`` with ``{agent, version, action, params, debug?}``. Not retried:
        a second request would start a second run.

        Args:
            plugin: The plugin's id or code.
            data: The run request.

        Returns:
            ``{"job_id": ...}`` for job actions, or the action's result.

        Example:
            ```python
            client.run_plugin("yolo-export", {"agent": 2, "version": "1.0.0", "action": "export", "params": {}})
            ```
        """
        return self._post(f"plugins/{self._id(plugin, 'plugin')}/run/", json=dict(data))

    def get_plugin_release(self, pk: int | str, params: Mapping[str, Any] | None = None) -> PluginRelease:
        """Return a plugin release.

        Endpoint: ``GET plugin_releases/{pk}/``.

        Args:
            pk: The release's id.
            params: Query parameters.

        Returns:
            The release.

        Example:
            ```python
            client.get_plugin_release(2).version
            ```
        """
        result: PluginRelease = self._get_record(
            PluginRelease, f"plugin_releases/{self._id(pk, 'plugin release')}/", params=params
        )
        return result

    def create_plugin_release(self, data: Mapping[str, Any]) -> PluginRelease:
        """Publish a plugin release.

        Endpoint: ``POST plugin_releases/``, multipart: ``file`` is the plugin archive, the other fields are form
        fields (non-string values are sent as JSON text).

        Args:
            data: The release's fields, with ``file`` the path of the plugin archive.

        Returns:
            The created release.

        Raises:
            BadRequestError: (400) if ``file`` is missing.
            FileNotFoundError: If the archive does not exist.

        Example:
            ```python
            client.create_plugin_release({"plugin": 1, "version": "1.0.0", "file": "dist/yolo-export.zip"})
            ```
        """
        import json

        fields = dict(data)
        file = fields.pop("file", None)
        if file is None:
            raise BadRequestError(400, "create_plugin_release needs 'file': the path of the plugin archive")
        form = {key: value if isinstance(value, str) else json.dumps(value) for key, value in fields.items()}
        path = Path(os.fspath(file))
        with open(path, "rb") as archive:
            result = self._post("plugin_releases/", data=form, files={"file": (path.name, archive, "application/zip")})
        release: PluginRelease = self._record(PluginRelease, result)
        return release

    def get_job(self, pk: int | str, params: Mapping[str, Any] | None = None) -> Job:
        """Return a job.

        Endpoint: ``GET jobs/{pk}/``.

        Args:
            pk: The job's id.
            params: Query parameters.

        Returns:
            The job; ``job.is_terminal`` tells whether it is stopped, succeeded or failed.

        Example:
            ```python
            client.get_job(12).status
            ```
        """
        result: Job = self._get_record(Job, f"jobs/{self._id(pk, 'job')}/", params=params)
        return result

    @overload
    def list_jobs(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_jobs(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Job], int | None]: ...

    @overload
    def list_jobs(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Job], int | None]: ...

    def list_jobs(
        self, params: Mapping[str, Any] | None = None, list_all: bool = False, page_size: int | None = None
    ) -> Page | tuple[RecordPages[Job], int | None]:
        """List jobs.

        Endpoint: ``GET jobs/``.

        Args:
            params: Filters, for example ``{"status": "running"}``; a ``status`` is sent in upper case, as the
                platform spells it (any case is accepted here).
            list_all: Return ``(jobs, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            page = client.list_jobs(params={"status": "running"})
            ```
        """
        query = _status_upper(params)
        return self._list_records("jobs/", query, list_all=list_all, page_size=page_size, record_type=Job)

    def update_job(self, pk: int | str, data: Mapping[str, Any]) -> Job:
        """Update a job's status, progress, metrics, console logs or result.

        Endpoint: ``PATCH jobs/{pk}/`` with any of ``{status, progress_record, metrics_record, console_logs,
        result}``.

        Args:
            pk: The job's id.
            data: The fields to change. A ``status`` may be a [`JobStatus`][synapse_client.ray.jobs.JobStatus] or a
                string in any case; it is sent in upper case.

        Returns:
            The updated job.

        Example:
            ```python
            client.update_job(12, {"status": JobStatus.SUCCEEDED, "result": {"exported": 10}})
            ```
        """
        body = _status_upper(data) or {}
        result: Job = self._record(Job, self._patch(f"jobs/{self._id(pk, 'job')}/", json=body))
        return result

    def list_job_console_logs(self, pk: int | str) -> Any:
        """Return a job's console logs.

        Endpoint: ``GET jobs/{pk}/console_logs/``.

        Args:
            pk: The job's id.

        Returns:
            The logs as the server sends them.

        Example:
            ```python
            client.list_job_console_logs(12)
            ```
        """
        return self._get(f"jobs/{self._id(pk, 'job')}/console_logs/")

    def tail_job_console_logs(
        self,
        pk: int | str,
        *,
        limits: StreamLimits | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> Iterator[str]:
        """Follow a job's console logs, line by line, as the server streams them.

        Endpoint: ``GET jobs/{pk}/tail_console_logs/`` (a streamed response). The request is sent when iteration
        starts; the stream is closed when iteration stops (also on ``break``).

        Args:
            pk: The job's id.
            limits: Bounds on messages, lines and bytes read
                ([`StreamLimits`][synapse_client.network.StreamLimits] defaults when None).
            timeout: Connect/read timeout for the stream; None uses the client's.

        Yields:
            Each line, without its line ending.

        Raises:
            RateLimitError: (429) when a limit of ``limits`` is passed.
            ServiceUnavailableError: (503) if the stream breaks off.
            ClientTimeoutError: (408) if no data comes within the read timeout.

        Example:
            ```python
            for line in client.tail_job_console_logs(12):
                print(line)
            ```
        """
        path = f"jobs/{self._id(pk, 'job')}/tail_console_logs/"
        budget = (limits or StreamLimits()).budget()
        return _stream_lines(self, path, budget, timeout)

    def create_logs(
        self, data: Sequence[Mapping[str, Any]] | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Any:
        """Record run events (messages, metrics, exported or uploaded files).

        Endpoint: ``POST logs/`` with a list of ``{event, data, datetime, job, file?, event_id?}``. A ``file`` given
        as a path is sent inline as a base64 data URI. A POST is not retried, unless it carries an
        ``idempotency_key``: then it is sent with an ``Idempotency-Key`` header and retried like an idempotent request
        (the server drops entries whose ``event_id`` it has already stored, so a resent batch cannot duplicate).

        Args:
            data: One event or a list of events.
            idempotency_key: A key unique to this batch, the same on every resend of it.

        Returns:
            The server's answer.

        Example:
            ```python
            client.create_logs([{"event": "message", "data": {"content": "done"}, "datetime": now, "job": 12}])
            ```
        """
        from synapse_fileutils.encoding import convert_file_to_base64

        events = as_json_list(data)
        for event in events:
            file = event.get("file") if isinstance(event, dict) else None
            if isinstance(file, (str, os.PathLike)) and not os.fspath(file).startswith("data:"):
                event["file"] = convert_file_to_base64(file)
        if idempotency_key is None:
            return self._post("logs/", json=events)
        return self._post("logs/", json=events, headers={"Idempotency-Key": idempotency_key}, retry=True)

    def create_serve_application(self, data: Mapping[str, Any]) -> Record:
        """Register a Ray Serve application.

        Endpoint: ``POST serve_applications/``.

        Args:
            data: The application's fields.

        Returns:
            The created application.

        Example:
            ```python
            client.create_serve_application({"name": "yolo", "job": 12, "agent": 2})
            ```
        """
        result: Record = self._record(Record, self._post("serve_applications/", json=dict(data)))
        return result

    @overload
    def list_serve_applications(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_serve_applications(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Record], int | None]: ...

    @overload
    def list_serve_applications(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]: ...

    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, list_all: bool = False, page_size: int | None = None
    ) -> Page | tuple[RecordPages[Record], int | None]:
        """List Ray Serve applications.

        Endpoint: ``GET serve_applications/``.

        Args:
            params: Filters.
            list_all: Return ``(applications, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            page = client.list_serve_applications(params={"agent": 2})
            ```
        """
        return self._list_records(
            "serve_applications/", params, list_all=list_all, page_size=page_size, record_type=Record
        )

    def get_storage(self, pk: int | str) -> Storage:
        """Return a storage with its configuration (credentials: never printed by the record's repr).

        Endpoint: ``GET storages/{pk}/?with_configuration=True``.

        Args:
            pk: The storage's id.

        Returns:
            The storage ``{id, name, category, provider, configuration, is_default}``.

        Example:
            ```python
            from synapse_fileutils.storage import get_storage

            provider = get_storage(client.get_storage(1).to_dict())
            ```
        """
        result: Storage = self._get_record(
            Storage, f"storages/{self._id(pk, 'storage')}/", params={"with_configuration": "True"}
        )
        return result


def _stream_lines(
    client: BackendMixinBase, path: str, budget: Any, timeout: float | tuple[float, float] | None
) -> Iterator[str]:
    """Yield the lines of a streamed log, bounding a line's length while it is read (not once it is whole)."""
    import codecs
    import itertools

    import requests.exceptions as rex

    from ..ray.logs import LogCursor

    cursor = LogCursor(max_line_chars=budget.limits.max_message_size)
    response = client._request("GET", path, stream=True, timeout=timeout)
    with response:
        decoder = codecs.getincrementaldecoder(response.encoding or "utf-8")("replace")
        try:
            for raw in itertools.chain(response.iter_content(chunk_size=64 * 1024), [None]):
                if raw is None:  # the stream ended: the decoder's tail and an unterminated last line
                    found = cursor.feed(decoder.decode(b"", final=True)) + cursor.flush()
                else:
                    found = cursor.feed(decoder.decode(raw))
                for text in found:
                    line = text.removesuffix("\r")
                    budget.consume(line, lines=1)
                    yield line
        except rex.Timeout:
            raise ClientTimeoutError(408, "Log stream timed out", method="GET", url=client._url(path)) from None
        except (rex.ChunkedEncodingError, rex.ConnectionError) as exc:
            reason = f"Log stream broke off ({type(exc).__name__})"
            raise ServiceUnavailableError(503, reason, method="GET", url=client._url(path)) from None


def _status_upper(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``data`` with a known ``status`` spelled as the platform does (upper case); unknown ones go as given."""
    if data is None:
        return None
    out = dict(data)
    status = out.get("status")
    if isinstance(status, str):
        with contextlib.suppress(ValueError):  # an unknown status goes as given: the server answers 400
            out["status"] = JobStatus(status).value
    return out
