"""Ray operations through a Synapse agent: jobs, logs, stop, nodes, tasks and Serve applications.

[`AgentRayMixin`][synapse_client.agent.ray.AgentRayMixin] gives [`AgentClient`][synapse_client.agent.client.AgentClient]
the same Ray methods as [`RayClient`][synapse_client.ray.client.RayClient], on the agent's paths (``jobs/``,
``ray/jobs/{id}/logs/stream/``...) and with the same rules: 400 before any request for a bad id, timeout or protocol;
400 when stopping a terminal job; every log line once, in order, across reconnects.

Example:
    ```python
    from synapse_client.agent import AgentClient

    agent = AgentClient("http://agent:8000", agent_token="...")
    for line in agent.tail_job_logs("raysubmit_abc", protocol="websocket"):
        print(line)
    ```
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..base import BaseClient
from ..network import http_to_websocket_url, validate_resource_id, validate_timeout
from ..ray.jobs import JobDetails
from ..ray.lifecycle import (
    MAX_WAIT_TIMEOUT,
    stop_and_wait,
    validate_limit,
    validate_poll_interval,
    validate_protocol,
    wait_until_terminal,
)
from ..ray.logs import follow_log
from ..ray.transports import http_stream_chunks, websocket_chunks

if TYPE_CHECKING:
    import requests

    from ..network import StreamLimits

__all__ = ["AgentRayMixin"]


def _seg(value: str) -> str:
    return quote(value, safe="")


class AgentRayMixin(BaseClient):
    """Ray job, log, node, task and Serve methods on the agent's REST paths.

    The methods satisfy [`RayOperations`][synapse_client.ray.protocol.RayOperations] with the signatures and return
    types of [`RayClient`][synapse_client.ray.client.RayClient]: lists are complete lists of records (the agent's
    pages are followed), jobs are [`JobDetails`][synapse_client.ray.jobs.JobDetails].

    Example:
        ```python
        class MyAgentClient(AgentRayMixin):
            def _get_stream_headers(self) -> dict[str, str]:
                return {**self._get_headers(), "Agent-Token": "Token ..."}
        ```
    """

    def _get_stream_headers(self) -> dict[str, str]:
        """Headers for streaming calls (the agent wants its token again as ``Agent-Token``).

        Returns:
            The request headers; this default sends the normal ones.

        Example:
            ```python
            headers = client._get_stream_headers()
            ```
        """
        return self._get_headers()

    def _connect_timeout(self) -> float | None:
        timeout = self.timeout
        return timeout[0] if isinstance(timeout, tuple) else timeout

    # -- jobs ----------------------------------------------------------------------------------------------------

    def list_jobs(self, params: Mapping[str, Any] | None = None, *, list_all: bool | None = None) -> list[JobDetails]:
        """List every Ray job the agent knows, following the agent's pages.

        Args:
            params: Extra query parameters (deprecated: the list is complete without them).
            list_all: Deprecated and ignored: the list always holds every job (earlier releases returned the first
                page unless this was true).

        Returns:
            Typed job records, as [`RayClient.list_jobs`][synapse_client.ray.client.RayClient.list_jobs] returns.

        Example:
            ```python
            for job in agent.list_jobs():
                print(job.job_id, job.status)
            ```
        """
        query = _legacy_query("list_jobs", params, list_all)
        return [JobDetails.from_dict(item) for item in self._list_every("jobs/", query, None)]

    def get_job(self, pk: str) -> JobDetails:
        """Return one job's details.

        Args:
            pk: The job id.

        Returns:
            The typed record (``job["status"]`` still reads the raw field).

        Raises:
            BadRequestError: For an invalid id (400, before any request).
            NotFoundError: For an unknown job (404).

        Example:
            ```python
            job = agent.get_job("raysubmit_abc")
            print(job.status, job.message)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        return JobDetails.from_dict(self._get(f"jobs/{_seg(job_id)}/"))

    def wait_for_job(self, pk: str, timeout: float = 300.0, poll_interval: float = 1.0) -> JobDetails:
        """Wait until a job is terminal and return it.

        Args:
            pk: The job id.
            timeout: Seconds to wait at most.
            poll_interval: Seconds between status polls.

        Returns:
            The terminal record.

        Raises:
            BadRequestError: For an invalid id, timeout or poll interval (400).
            NotFoundError: For an unknown job (404).
            ClientTimeoutError: When the job is still running after ``timeout`` (408).

        Example:
            ```python
            agent.wait_for_job("raysubmit_abc", timeout=600)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        limit = validate_timeout(timeout, MAX_WAIT_TIMEOUT)
        interval = validate_poll_interval(poll_interval)
        return wait_until_terminal(lambda: self.get_job(job_id), limit, interval)

    def stop_job(
        self, pk: str, *, wait: bool = False, timeout: float = 30.0, poll_interval: float = 0.5
    ) -> dict[str, Any]:
        """Stop a running or pending job through the agent.

        Ray sends SIGTERM, then SIGKILL after 3 seconds. A ``PENDING`` job may be reported stopped and still start:
        pass ``wait=True`` to repeat the stop until the job is terminal.

        Args:
            pk: The job id.
            wait: Whether to wait until the job is terminal.
            timeout: Seconds to wait when ``wait`` is true.
            poll_interval: Seconds between status polls when waiting.

        Returns:
            ``{"job_id": ..., "stopped": True, "status": ...}``.

        Raises:
            BadRequestError: For an invalid id or timeout, or a job already terminal (400).
            NotFoundError: For an unknown job (404).
            ClientTimeoutError: When waiting and the job is not terminal in time (408).

        Example:
            ```python
            result = agent.stop_job("raysubmit_abc", wait=True)
            print(result["status"])  # 'STOPPED'
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        limit = validate_timeout(timeout, MAX_WAIT_TIMEOUT)
        interval = validate_poll_interval(poll_interval)

        def request_stop() -> bool:
            result = self._post(f"jobs/{_seg(job_id)}/stop/", retry=True)
            return bool(result.get("stopped", True)) if isinstance(result, dict) else True

        return stop_and_wait(
            lambda: self.get_job(job_id), request_stop, wait=wait, timeout=limit, poll_interval=interval
        )

    # -- logs ----------------------------------------------------------------------------------------------------

    def list_job_logs(self, pk: str) -> str:
        """Return a job's whole log as text.

        Args:
            pk: The job id.

        Returns:
            The log text.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown job (404).

        Example:
            ```python
            print(agent.list_job_logs("raysubmit_abc"))
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        return self._read_logs(job_id)

    def _read_logs(self, job_id: str) -> str:
        result = self._get(f"jobs/{_seg(job_id)}/logs/")
        return str(result.get("logs", "")) if isinstance(result, dict) else str(result or "")

    def tail_job_logs(
        self,
        pk: str,
        stream_timeout: float = 10,
        protocol: str = "stream",
        *,
        limits: StreamLimits | None = None,
    ) -> Iterator[str]:
        """Follow a job's log line by line until the job ends.

        ``protocol="stream"`` reads the agent's chunked ``ray/jobs/{id}/logs/stream/``; ``protocol="websocket"``
        its ``ray/jobs/{id}/logs/ws/`` (needs the ``websocket`` extra). When a connection ends or stays quiet the
        job status is checked; while the job runs the client reconnects with backoff and skips what it already
        yielded, so every line arrives once and in order.

        Args:
            pk: The job id.
            stream_timeout: Seconds a read may wait for data (1-300); an HTTP stream quiet that long is reopened.
            protocol: ``"stream"`` or ``"websocket"``.
            limits: Bounds on messages, lines and bytes (``StreamLimits()`` when ``None``).

        Returns:
            An iterator of log lines without the trailing newline; closing it closes the connection.

        Raises:
            BadRequestError: For an invalid id, timeout or protocol (400, at call time).
            AuthenticationError: When the agent refuses the tokens (401, on first iteration).
            NotFoundError: For an unknown job (404, on first iteration).
            RateLimitError: When ``limits`` are exceeded (429).

        Example:
            ```python
            for line in agent.tail_job_logs("raysubmit_abc", stream_timeout=30):
                print(line)
            ```
        """
        job_id = validate_resource_id(pk, "job id")
        read_timeout = validate_timeout(stream_timeout)
        chosen = validate_protocol(protocol)
        get_status = lambda: self.get_job(job_id).status  # noqa: E731
        read_full: Callable[[], str] = lambda: self._read_logs(job_id)  # noqa: E731
        headers = self._get_stream_headers()
        if chosen == "websocket":
            url = http_to_websocket_url(self._url(f"ray/jobs/{_seg(job_id)}/logs/ws/"))
            max_size = limits.max_message_size if limits is not None else None
            return follow_log(
                lambda: websocket_chunks(url, headers, read_timeout, max_message_size=max_size),
                get_status,
                read_full,
                limits=limits,
            )
        path = f"ray/jobs/{_seg(job_id)}/logs/stream/"
        connect_timeout = self._connect_timeout() or read_timeout

        def open_response() -> requests.Response:
            return self._request("GET", path, headers=headers, stream=True, timeout=(connect_timeout, read_timeout))

        return follow_log(lambda: http_stream_chunks(open_response), get_status, read_full, limits=limits)

    # -- nodes, tasks, Serve -------------------------------------------------------------------------------------

    def _list_every(self, path: str, query: Mapping[str, Any], limit: int | None) -> list[dict[str, Any]]:
        pages = self._list(path, query, list_all=True)
        return [dict(item) for item in islice(pages, limit)]

    def _list_state(
        self, path: str, query: dict[str, Any], limit: int, filters: Mapping[str, str] | None
    ) -> list[dict[str, Any]]:
        wanted = validate_limit(limit)
        query.update({key: str(value) for key, value in (filters or {}).items()})
        return self._list_every(path, query, wanted)

    def list_nodes(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        filters: Mapping[str, str] | None = None,
        list_all: bool | None = None,
    ) -> list[dict[str, Any]]:
        """List the cluster's nodes, following the agent's pages.

        Args:
            params: Extra query parameters (deprecated: use ``filters``).
            limit: Most nodes to return (1-10000).
            filters: Equality filters sent as query parameters, e.g. ``{"state": "ALIVE"}``.
            list_all: Deprecated and ignored: the list is complete up to ``limit``.

        Returns:
            Node records.

        Raises:
            BadRequestError: For a bad limit (400).

        Example:
            ```python
            nodes = agent.list_nodes(filters={"state": "ALIVE"})
            ```
        """
        query = _legacy_query("list_nodes", params, list_all)
        return self._list_state("nodes/", query, limit, filters)

    def get_node(self, node_id: str) -> dict[str, Any]:
        """Return one node.

        Args:
            node_id: The node's hex id.

        Returns:
            The node record.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown node (404).

        Example:
            ```python
            agent.get_node(node_id)["state"]  # 'ALIVE'
            ```
        """
        return dict(self._get(f"nodes/{_seg(validate_resource_id(node_id, 'node id'))}/"))

    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        filters: Mapping[str, str] | None = None,
        list_all: bool | None = None,
    ) -> list[dict[str, Any]]:
        """List the cluster's tasks, following the agent's pages.

        Args:
            params: Extra query parameters (deprecated: use ``filters``).
            limit: Most tasks to return (1-10000).
            filters: Equality filters sent as query parameters, e.g. ``{"state": "FAILED"}``.
            list_all: Deprecated and ignored: the list is complete up to ``limit``.

        Returns:
            Task records.

        Raises:
            BadRequestError: For a bad limit (400).

        Example:
            ```python
            tasks = agent.list_tasks(filters={"state": "FAILED"})
            ```
        """
        query = _legacy_query("list_tasks", params, list_all)
        return self._list_state("tasks/", query, limit, filters)

    def get_task(self, task_id: str) -> dict[str, Any]:
        """Return one task.

        Args:
            task_id: The task's hex id.

        Returns:
            The task record.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown task (404).

        Example:
            ```python
            agent.get_task(task_id)["state"]  # 'FINISHED'
            ```
        """
        return dict(self._get(f"tasks/{_seg(validate_resource_id(task_id, 'task id'))}/"))

    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, *, list_all: bool | None = None
    ) -> list[dict[str, Any]]:
        """List every Ray Serve application, following the agent's pages.

        Args:
            params: Extra query parameters (deprecated).
            list_all: Deprecated and ignored: the list always holds every application.

        Returns:
            One record per application, each with its ``name``.

        Example:
            ```python
            names = [app["name"] for app in agent.list_serve_applications()]
            ```
        """
        query = _legacy_query("list_serve_applications", params, list_all)
        return self._list_every("serve_applications/", query, None)

    def get_serve_application(self, name: str) -> dict[str, Any]:
        """Return one Serve application.

        Args:
            name: The application name.

        Returns:
            The application record.

        Raises:
            BadRequestError: For an invalid name (400).
            NotFoundError: For an unknown application (404).

        Example:
            ```python
            agent.get_serve_application("default")["status"]
            ```
        """
        return dict(self._get(f"serve_applications/{_seg(validate_resource_id(name, 'application name'))}/"))

    def delete_serve_application(self, name: str) -> None:
        """Delete one Serve application.

        Args:
            name: The application name.

        Raises:
            BadRequestError: For an invalid name (400).
            NotFoundError: For an unknown application (404).

        Example:
            ```python
            agent.delete_serve_application("old-model")
            ```
        """
        self._delete(f"serve_applications/{_seg(validate_resource_id(name, 'application name'))}/")


def _legacy_query(method: str, params: Mapping[str, Any] | None, list_all: bool | None) -> dict[str, Any]:
    """Accept the arguments of earlier releases with a warning; the lists are complete now."""
    if list_all is not None:
        warnings.warn(
            f"{method}(list_all=...) is deprecated and ignored: the list now holds every record",
            DeprecationWarning,
            stacklevel=3,
        )
    if params is not None:
        warnings.warn(
            f"{method}(params) is deprecated: pass equality filters as filters=... where the method takes them",
            DeprecationWarning,
            stacklevel=3,
        )
    return dict(params or {})
