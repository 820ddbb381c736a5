"""Ray jobs, logs, nodes, tasks and Serve applications straight from a Ray dashboard, over plain HTTP.

[`RayClient`][synapse_client.ray.client.RayClient] needs no ``import ray``: it speaks the dashboard's REST API
(``/api/jobs/``, the state API under ``/api/v0/``, ``/api/serve/applications/``) through
[`BaseClient`][synapse_client.base.BaseClient], so it gets the same timeouts, retries and typed errors as every other
client.

Example:
    ```python
    from synapse_client.ray import RayClient

    with RayClient("http://127.0.0.1:8265") as client:
        job_id = client.submit_job(["python", "-c", "print('hello')"])
        for line in client.tail_job_logs(job_id):
            print(line)
        print(client.get_job(job_id).status)  # JobStatus.SUCCEEDED
    ```
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..base import BaseClient
from ..errors import BadRequestError, NotFoundError, ServerError
from ..network import http_to_websocket_url, validate_resource_id, validate_timeout
from .async_logs import afollow_log, apolled_chunks, awebsocket_chunks
from .jobs import JobDetails, JobStatus
from .lifecycle import (
    MAX_WAIT_TIMEOUT,
    entrypoint_to_string,
    stop_and_wait,
    validate_limit,
    validate_poll_interval,
    validate_protocol,
    wait_until_terminal,
)
from .logs import follow_log
from .packaging import Package, build_package, is_local_working_dir, package_name
from .transports import polled_chunks, websocket_chunks

if TYPE_CHECKING:
    from ..network import StreamLimits

__all__ = ["DEFAULT_DASHBOARD_URL", "RAY_ADDRESS_ENV", "RayClient", "default_dashboard_url"]

DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8265"
#: Environment variable with the dashboard URL when ``base_url`` is not given (the variable Ray's job CLI reads).
RAY_ADDRESS_ENV = "RAY_ADDRESS"
_NO_AGENT = "No available agent to submit job"
_NO_AGENT_RETRIES = 3


def default_dashboard_url() -> str:
    """Return the dashboard URL a ``RayClient()`` without ``base_url`` talks to.

    Returns:
        ``$RAY_ADDRESS`` when it is an ``http://`` or ``https://`` URL, else ``http://127.0.0.1:8265``.

    Example:
        >>> import os
        >>> os.environ["RAY_ADDRESS"] = "http://10.0.0.5:8265"
        >>> default_dashboard_url()
        'http://10.0.0.5:8265'
        >>> os.environ["RAY_ADDRESS"] = "auto"  # for ray.init, not a dashboard
        >>> default_dashboard_url()
        'http://127.0.0.1:8265'
        >>> del os.environ["RAY_ADDRESS"]
    """
    import os

    address = os.environ.get(RAY_ADDRESS_ENV, "").strip()
    if address.lower().startswith(("http://", "https://")):
        return address
    return DEFAULT_DASHBOARD_URL


def _seg(value: str) -> str:
    return quote(value, safe="")


class RayClient(BaseClient):
    """A client for one Ray cluster's dashboard (jobs, logs, nodes, tasks, Serve).

    It satisfies [`RayOperations`][synapse_client.ray.protocol.RayOperations], as the agent's Ray operations do.

    Args:
        base_url: The dashboard URL, e.g. ``http://127.0.0.1:8265``. When omitted: ``$RAY_ADDRESS`` if it is an
            ``http(s)://`` URL (as for ``ray job submit``), else ``http://127.0.0.1:8265``. Other forms of
            ``RAY_ADDRESS`` (``auto``, ``ray://...``, a GCS ``host:6379``) name no dashboard and are ignored.
        timeout: Connect and read timeouts in seconds (one number for both, or a pair).
        retries: Retries for idempotent requests on connection errors and 429/502/503/504.
        backoff: First retry delay in seconds (doubles each time).
        **kwargs: Passed to [`BaseClient`][synapse_client.base.BaseClient] (``session``, ``event_hook``,
            ``max_retry_after``, ``pool_maxsize``).

    Example:
        ```python
        client = RayClient(base_url="http://127.0.0.1:8265", timeout=(3, 30))
        print(client.get_version()["ray_version"])
        ```
    """

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | tuple[float, float] | None = (5, 30),
        *,
        retries: int = 3,
        backoff: float = 0.5,
        **kwargs: Any,
    ) -> None:
        if base_url is None:
            base_url = default_dashboard_url()
        super().__init__(base_url, timeout, retries=retries, backoff=backoff, **kwargs)

    # -- cluster -------------------------------------------------------------------------------------------------

    def get_version(self) -> dict[str, Any]:
        """Return the dashboard's version record.

        Returns:
            ``{"version": ..., "ray_version": ..., "ray_commit": ..., "session_name": ...}``.

        Raises:
            ServiceUnavailableError: When the dashboard is unreachable (503).

        Example:
            ```python
            client.get_version()["ray_version"]  # '2.60.0'
            ```
        """
        return dict(self._get("api/version"))

    # -- jobs ----------------------------------------------------------------------------------------------------

    def submit_job(
        self,
        entrypoint: str | Sequence[str],
        *,
        submission_id: str | None = None,
        runtime_env: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        entrypoint_num_cpus: float | None = None,
        entrypoint_num_gpus: float | None = None,
        entrypoint_memory: int | None = None,
        entrypoint_resources: dict[str, float] | None = None,
    ) -> str:
        """Submit a job and return its id.

        Pass the command as an argv list: each item is quoted with `shlex.join`, so user data never becomes
        shell syntax. A string is used as given (you are responsible for its quoting).

        Args:
            entrypoint: The command, as an argv list (recommended) or a command string.
            submission_id: Your own job id; Ray makes one when ``None``.
            runtime_env: Ray runtime environment (``env_vars``, ``working_dir``, ``pip``...). A ``working_dir``
                naming a local folder is packaged and uploaded first, as Ray's own client does (see
                [`upload_working_dir`][synapse_client.ray.client.RayClient.upload_working_dir]); ``excludes``
                applies to it. ``env_vars`` are shown on the dashboard in plain text: never put secrets there.
            metadata: String key/values stored with the job.
            entrypoint_num_cpus: CPUs reserved for the entrypoint process.
            entrypoint_num_gpus: GPUs reserved for the entrypoint process.
            entrypoint_memory: Memory in bytes reserved for the entrypoint process.
            entrypoint_resources: Custom resources reserved for the entrypoint process.

        Returns:
            The job's submission id (use it with every other job method).

        Raises:
            BadRequestError: For an empty entrypoint, a bad ``submission_id`` or one already used (400).

        Example:
            ```python
            job_id = client.submit_job(
                ["python", "train.py", "--epochs", "3"],
                runtime_env={"env_vars": {"STAGE": "dev"}},
                metadata={"owner": "me"},
            )
            ```
        """
        body: dict[str, Any] = {"entrypoint": entrypoint_to_string(entrypoint)}
        runtime_env = self._upload_local_working_dir(runtime_env)
        if submission_id is not None:
            body["submission_id"] = validate_resource_id(submission_id, "submission_id")
        optional = {
            "runtime_env": runtime_env,
            "metadata": metadata,
            "entrypoint_num_cpus": entrypoint_num_cpus,
            "entrypoint_num_gpus": entrypoint_num_gpus,
            "entrypoint_memory": entrypoint_memory,
            "entrypoint_resources": entrypoint_resources,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        # Not retried on transport errors: a resent submission could start the job twice. Ray's "no available
        # agent" answer (a cluster still starting) means nothing was submitted, so that one is retried.
        for attempt in range(_NO_AGENT_RETRIES + 1):
            try:
                result = self._post("api/jobs/", json=body, retry=False)
                break
            except ServerError as exc:
                if _NO_AGENT not in str(exc.reason) + str(exc.body or "") or attempt == _NO_AGENT_RETRIES:
                    raise
                time.sleep(2**attempt)
        return str(result.get("submission_id") or result["job_id"])

    def _upload_local_working_dir(self, runtime_env: dict[str, Any] | None) -> dict[str, Any] | None:
        if not runtime_env or not is_local_working_dir(runtime_env.get("working_dir")):
            return runtime_env
        env = dict(runtime_env)
        env["working_dir"] = self.upload_working_dir(env["working_dir"], excludes=env.pop("excludes", None) or ())
        return env

    # -- packages ------------------------------------------------------------------------------------------------

    def has_package(self, uri: str) -> bool:
        """Tell whether the cluster holds a package (``GET /api/packages/gcs/<name>``).

        Args:
            uri: The package URI, ``gcs://<name>.zip``.

        Returns:
            True when the cluster has it (the check also pins it for a few minutes, as Ray's client relies on).

        Raises:
            ValueError: For a URI that is not ``gcs://<name>.zip``.

        Example:
            ```python
            client.has_package("gcs://_ray_pkg_0123456789abcdef.zip")  # False on a fresh cluster
            ```
        """
        try:
            self._get(f"api/packages/gcs/{_seg(package_name(uri))}")
        except NotFoundError:
            return False
        return True

    def put_package(self, uri: str, data: bytes) -> None:
        """Upload a package's bytes under a URI (``PUT /api/packages/gcs/<name>``).

        Args:
            uri: The package URI, ``gcs://<name>.zip``.
            data: The zip's bytes.

        Raises:
            ValueError: For a URI that is not ``gcs://<name>.zip``.

        Example:
            ```python
            client.put_package("gcs://_ray_pkg_mine.zip", zip_bytes)
            ```
        """
        self._put(f"api/packages/gcs/{_seg(package_name(uri))}", data=data, timeout=(self.timeout[0], 300.0))

    def upload_package(self, package: Package) -> bool:
        """Upload a built package unless the cluster already has it.

        Args:
            package: From [`build_package`][synapse_client.ray.packaging.build_package].

        Returns:
            True when it was uploaded, False when the cluster had it (nothing was sent).

        Example:
            ```python
            from synapse_client.ray.packaging import build_package

            client.upload_package(build_package("./my-plugin"))
            ```
        """
        if self.has_package(package.uri):
            return False
        self.put_package(package.uri, package.zip_bytes())
        return True

    def upload_working_dir(self, folder: str | os.PathLike[str], *, excludes: Sequence[str] = ()) -> str:
        """Package a local folder and upload it if the cluster lacks it; return its ``gcs://`` URI.

        The package honours ``.gitignore``/``.rayignore`` files and ``excludes``, never holds ``.env`` files,
        ``.git``, virtualenvs or caches, and is named by its content, so unchanged content uploads nothing.

        Args:
            folder: The folder.
            excludes: More gitignore-style patterns to leave out.

        Returns:
            The URI to use as ``runtime_env["working_dir"]``.

        Raises:
            ValueError: If ``folder`` is not a directory.

        Example:
            ```python
            uri = client.upload_working_dir("./my-plugin")
            client.submit_job(["python", "main.py"], runtime_env={"working_dir": uri})
            ```
        """
        package = build_package(folder, excludes)
        self.upload_package(package)
        return package.uri

    def list_jobs(self) -> list[JobDetails]:
        """List every job the cluster knows, newest state first as Ray returns them.

        Returns:
            Typed job records.

        Example:
            ```python
            running = [job for job in client.list_jobs() if job.status == "RUNNING"]
            ```
        """
        return [JobDetails.from_dict(item) for item in self._get("api/jobs/")]

    def get_job(self, pk: str) -> JobDetails:
        """Return one job's details.

        Args:
            pk: The job's submission id (or Ray job id).

        Returns:
            The typed record (``status``, ``message``, ``start_time``, ``end_time``, ``entrypoint``, ``metadata``,
            ``raw``).

        Raises:
            BadRequestError: For an invalid id (400, before any request).
            NotFoundError: For an unknown job (404).

        Example:
            ```python
            job = client.get_job(job_id)
            if job.status.is_terminal():
                print(job.status, job.end_time)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        return JobDetails.from_dict(self._get(f"api/jobs/{_seg(job_id)}"))

    def wait_for_job(self, pk: str, timeout: float = 300.0, poll_interval: float = 1.0) -> JobDetails:
        """Wait until a job is terminal (``STOPPED``, ``SUCCEEDED`` or ``FAILED``) and return it.

        Args:
            pk: The job id.
            timeout: Seconds to wait at most.
            poll_interval: Seconds between status polls.

        Returns:
            The terminal record.

        Raises:
            BadRequestError: For an invalid id, timeout or poll interval (400, before any request).
            NotFoundError: For an unknown job (404).
            ClientTimeoutError: When the job is not terminal after ``timeout`` seconds (408).

        Example:
            ```python
            job = client.wait_for_job(job_id, timeout=600)
            assert job.status == JobStatus.SUCCEEDED, job.message
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        limit = validate_timeout(timeout, MAX_WAIT_TIMEOUT)
        interval = validate_poll_interval(poll_interval)
        return wait_until_terminal(lambda: self.get_job(job_id), limit, interval)

    def stop_job(
        self, pk: str, *, wait: bool = False, timeout: float = 30.0, poll_interval: float = 0.5
    ) -> dict[str, Any]:
        """Stop a running or pending job.

        Ray sends the job's process SIGTERM, then SIGKILL after 3 seconds if it is still alive; the job ends as
        ``STOPPED``. Ray may accept a stop of a ``PENDING`` job and still start it, so pass ``wait=True`` to be sure
        the job has ended: the stop is repeated until the job is terminal or ``timeout`` passes.

        Args:
            pk: The job id.
            wait: Whether to wait until the job is terminal.
            timeout: Seconds to wait when ``wait`` is true.
            poll_interval: Seconds between status polls when waiting.

        Returns:
            ``{"job_id": ..., "stopped": True, "status": "RUNNING" | "STOPPED" | ...}``: the status right after the
            request, or the terminal one when waiting.

        Raises:
            BadRequestError: For an invalid id or timeout (before any request), or a job already terminal (400).
            NotFoundError: For an unknown job (404).
            ClientTimeoutError: When waiting and the job is not terminal in time (408).

        Example:
            ```python
            result = client.stop_job(job_id, wait=True, timeout=30)
            print(result["status"])  # 'STOPPED' (or 'SUCCEEDED'/'FAILED' if it ended on its own meanwhile)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        limit = validate_timeout(timeout, MAX_WAIT_TIMEOUT)
        interval = validate_poll_interval(poll_interval)

        def request_stop() -> bool:
            return bool(self._post(f"api/jobs/{_seg(job_id)}/stop", retry=True).get("stopped"))

        return stop_and_wait(
            lambda: self.get_job(job_id), request_stop, wait=wait, timeout=limit, poll_interval=interval
        )

    def delete_job(self, pk: str) -> bool:
        """Delete a terminal job's record and logs from the cluster.

        Args:
            pk: The job id.

        Returns:
            True when Ray deleted it.

        Raises:
            BadRequestError: For an invalid id, or a job that is not terminal yet (400).
            NotFoundError: For an unknown job (404).

        Example:
            ```python
            client.wait_for_job(job_id)
            client.delete_job(job_id)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        result = self._delete(f"api/jobs/{_seg(job_id)}")
        return bool(result.get("deleted")) if isinstance(result, dict) else True

    # -- logs ----------------------------------------------------------------------------------------------------

    def list_job_logs(self, pk: str) -> str:
        """Return a job's whole log as text (Ray keeps the last 16 MiB).

        Args:
            pk: The job id.

        Returns:
            The log text.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown job (404).

        Example:
            ```python
            print(client.list_job_logs(job_id))
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        return self._read_logs(job_id)

    def _read_logs(self, job_id: str) -> str:
        result = self._get(f"api/jobs/{_seg(job_id)}/logs")
        return str(result.get("logs", "")) if isinstance(result, dict) else str(result or "")

    def tail_job_logs(
        self,
        pk: str,
        stream_timeout: float = 10,
        protocol: str = "stream",
        *,
        limits: StreamLimits | None = None,
        poll_interval: float = 0.5,
    ) -> Iterator[str]:
        """Follow a job's log line by line until the job ends.

        ``protocol="websocket"`` reads the dashboard's ``/api/jobs/{id}/logs/tail`` WebSocket (needs the
        ``websocket`` extra). ``protocol="stream"`` polls ``/api/jobs/{id}/logs`` every ``poll_interval`` seconds and
        yields only the new part (the dashboard has no HTTP streaming endpoint). Either way, when the connection ends
        or stays quiet the job status is checked; while the job runs the client reconnects with backoff and skips
        what it already yielded (Ray replays the log from the start), so every line arrives once and in order.
        Arguments are checked when you call this method, before any request.

        Args:
            pk: The job id.
            stream_timeout: Seconds a read may wait for data before the job status is checked (1-300).
            protocol: ``"stream"`` or ``"websocket"``.
            limits: Bounds on messages, lines and bytes (``StreamLimits()`` when ``None``).
            poll_interval: Seconds between polls for ``protocol="stream"``.

        Returns:
            An iterator of log lines without the trailing newline; closing it closes the connection.

        Raises:
            BadRequestError: For an invalid id, timeout, protocol or poll interval (400, at call time).
            NotFoundError: For an unknown job (404, on first iteration).
            RateLimitError: When ``limits`` are exceeded (429).

        Example:
            ```python
            for line in client.tail_job_logs(job_id, protocol="websocket"):
                print(line)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        read_timeout = validate_timeout(stream_timeout)
        chosen = validate_protocol(protocol)
        interval = validate_poll_interval(poll_interval)
        get_status = lambda: self.get_job(job_id).status  # noqa: E731
        read_full: Callable[[], str] = lambda: self._read_logs(job_id)  # noqa: E731
        if chosen == "websocket":
            url = http_to_websocket_url(self._url(f"api/jobs/{_seg(job_id)}/logs/tail"))
            max_size = limits.max_message_size if limits is not None else None
            return follow_log(
                lambda: websocket_chunks(url, self._get_headers(), read_timeout, max_message_size=max_size),
                get_status,
                read_full,
                limits=limits,
            )
        return follow_log(lambda: polled_chunks(read_full, interval), get_status, read_full, limits=limits)

    def atail_job_logs(
        self,
        pk: str,
        stream_timeout: float = 10,
        protocol: str = "stream",
        *,
        limits: StreamLimits | None = None,
        poll_interval: float = 0.5,
    ) -> AsyncIterator[str]:
        """Follow a job's log line by line until the job ends, for asyncio code.

        The same behaviour as [`tail_job_logs`][synapse_client.ray.client.RayClient.tail_job_logs]: every line once,
        in order, across reconnects. The WebSocket uses websockets' asyncio client; the HTTP calls (status, full log,
        polls) run in the event loop's default executor. Arguments are checked at call time.

        Args:
            pk: The job id.
            stream_timeout: Seconds a read may wait for data before the job status is checked (1-300).
            protocol: ``"stream"`` or ``"websocket"``.
            limits: Bounds on messages, lines and bytes (``StreamLimits()`` when ``None``).
            poll_interval: Seconds between polls for ``protocol="stream"``.

        Returns:
            An async iterator of log lines; ``aclose()`` (or leaving ``async for``) closes the connection.

        Raises:
            BadRequestError: For an invalid id, timeout, protocol or poll interval (400, at call time).
            NotFoundError: For an unknown job (404, on first iteration).
            RateLimitError: When ``limits`` are exceeded (429).

        Example:
            ```python
            async for line in client.atail_job_logs(job_id, protocol="websocket"):
                print(line)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        read_timeout = validate_timeout(stream_timeout)
        chosen = validate_protocol(protocol)
        interval = validate_poll_interval(poll_interval)

        async def get_status() -> JobStatus:
            return (await asyncio.to_thread(self.get_job, job_id)).status

        async def read_full() -> str:
            return await asyncio.to_thread(self._read_logs, job_id)

        if chosen == "websocket":
            url = http_to_websocket_url(self._url(f"api/jobs/{_seg(job_id)}/logs/tail"))
            max_size = limits.max_message_size if limits is not None else None
            headers = self._get_headers()
            return afollow_log(
                lambda: awebsocket_chunks(url, headers, read_timeout, max_message_size=max_size),
                get_status,
                read_full,
                limits=limits,
            )
        return afollow_log(lambda: apolled_chunks(read_full, interval), get_status, read_full, limits=limits)

    # -- nodes and tasks (state API) -----------------------------------------------------------------------------

    def _state_list(self, resource: str, limit: int, detail: bool, filters: Mapping[str, str] | None) -> list[Any]:
        validate_limit(limit)
        # Ray zips the three filter lists by position: one key, predicate and value per filter.
        items = list((filters or {}).items())
        params: dict[str, Any] = {"limit": str(limit), "detail": "true" if detail else "false"}
        if items:
            params["filter_keys"] = [key for key, _ in items]
            params["filter_predicates"] = ["="] * len(items)
            params["filter_values"] = [str(value) for _, value in items]
        payload = self._get(f"api/v0/{resource}", params=params)
        if not isinstance(payload, dict) or not payload.get("result", False):
            message = payload.get("msg") if isinstance(payload, dict) else payload
            raise ServerError(500, f"Ray state API failed for {resource}: {message}")
        return list(payload["data"]["result"]["result"])

    def list_nodes(
        self, *, limit: int = 100, detail: bool = False, filters: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """List the cluster's nodes (state API ``/api/v0/nodes``).

        Args:
            limit: Most nodes to return (1-10000).
            detail: Whether Ray adds its detailed fields.
            filters: Equality filters, e.g. ``{"state": "ALIVE"}``.

        Returns:
            Node records (``node_id``, ``node_ip``, ``state``, ``resources_total``, ...).

        Raises:
            BadRequestError: For a bad limit (400).

        Example:
            ```python
            alive = client.list_nodes(filters={"state": "ALIVE"})
            ```
        """
        return self._state_list("nodes", limit, detail, filters)

    def get_node(self, node_id: str) -> dict[str, Any]:
        """Return one node's record.

        Args:
            node_id: The node's hex id.

        Returns:
            The node record, with details.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: When no node has that id (404).

        Example:
            ```python
            node = client.get_node(client.list_nodes()[0]["node_id"])
            ```
        """
        wanted = validate_resource_id(node_id, "node id")
        found = self._state_list("nodes", 1, True, {"node_id": wanted})
        if not found:
            raise NotFoundError(404, f"Node {wanted} not found")
        return dict(found[0])

    def list_tasks(
        self, *, limit: int = 100, detail: bool = False, filters: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """List tasks the cluster ran or runs (state API ``/api/v0/tasks``).

        Args:
            limit: Most tasks to return (1-10000).
            detail: Whether Ray adds its detailed fields.
            filters: Equality filters, e.g. ``{"state": "FINISHED"}`` or ``{"job_id": "02000000"}``.

        Returns:
            Task records (``task_id``, ``name``, ``state``, ``job_id``, ...).

        Raises:
            BadRequestError: For a bad limit (400).

        Example:
            ```python
            failed = client.list_tasks(filters={"state": "FAILED"})
            ```
        """
        return self._state_list("tasks", limit, detail, filters)

    def get_task(self, task_id: str) -> dict[str, Any]:
        """Return one task's record.

        Args:
            task_id: The task's hex id.

        Returns:
            The task record, with details.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: When no task has that id (404).

        Example:
            ```python
            task = client.get_task(client.list_tasks()[0]["task_id"])
            ```
        """
        wanted = validate_resource_id(task_id, "task id")
        found = self._state_list("tasks", 1, True, {"task_id": wanted})
        if not found:
            raise NotFoundError(404, f"Task {wanted} not found")
        return dict(found[0])

    # -- Serve ---------------------------------------------------------------------------------------------------

    def _serve_status(self) -> dict[str, Any]:
        return dict(self._get("api/serve/applications/"))

    def list_serve_applications(self) -> list[dict[str, Any]]:
        """List the Ray Serve applications with their status.

        Returns:
            One record per application (``name``, ``status``, ``route_prefix``, ``deployments``, ...).

        Raises:
            ServerError: When the cluster has no Serve support installed (501).

        Example:
            ```python
            for app in client.list_serve_applications():
                print(app["name"], app["status"])
            ```
        """
        applications = self._serve_status().get("applications") or {}
        return [{"name": name, **dict(app)} for name, app in applications.items()]

    def get_serve_application(self, name: str) -> dict[str, Any]:
        """Return one Serve application's status.

        Args:
            name: The application name.

        Returns:
            Its record (``name``, ``status``, ``deployments``, ``deployed_app_config``, ...).

        Raises:
            BadRequestError: For an invalid name (400).
            NotFoundError: When no application has that name (404).

        Example:
            ```python
            client.get_serve_application("default")["status"]  # 'RUNNING'
            ```
        """
        wanted = validate_resource_id(name, "application name")
        applications = self._serve_status().get("applications") or {}
        if wanted not in applications:
            raise NotFoundError(404, f"Serve application {wanted} not found")
        return {"name": wanted, **dict(applications[wanted])}

    def delete_serve_application(self, name: str) -> None:
        """Remove one Serve application, keeping the others.

        The dashboard's Serve API is declarative: the client re-deploys the configs of the other applications
        (``PUT /api/serve/applications/``), or shuts Serve down (``DELETE``) when this was the last one.

        Args:
            name: The application name.

        Raises:
            BadRequestError: For an invalid name, or an application deployed without a config (400).
            NotFoundError: When no application has that name (404).

        Example:
            ```python
            client.delete_serve_application("old-model")
            ```
        """
        wanted = validate_resource_id(name, "application name")
        status = self._serve_status()
        applications = status.get("applications") or {}
        if wanted not in applications:
            raise NotFoundError(404, f"Serve application {wanted} not found")
        others = {key: value for key, value in applications.items() if key != wanted}
        if not others:
            self._delete("api/serve/applications/")
            return
        configs = [app.get("deployed_app_config") for app in others.values()]
        if any(config is None for config in configs):
            raise BadRequestError(400, "Cannot remove one application: another was deployed without a config")
        self._put("api/serve/applications/", json={"applications": configs})
