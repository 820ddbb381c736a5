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

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..base import BaseClient
from ..network import http_to_websocket_url, validate_resource_id, validate_timeout
from ..ray.jobs import JobDetails
from ..ray.lifecycle import (
    MAX_WAIT_TIMEOUT,
    stop_and_wait,
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

    def list_jobs(self, params: dict[str, Any] | None = None, *, list_all: bool = False) -> Any:
        """List the Ray jobs the agent knows.

        Args:
            params: Query parameters (filters, ``page_size``).
            list_all: Return a lazy iterator over every page instead of the first page.

        Returns:
            The first page ``{"count", "next", "previous", "results"}``, or a page iterator with ``list_all=True``.

        Example:
            ```python
            for job in agent.list_jobs()["results"]:
                print(job["submission_id"], job["status"])
            ```
        """
        return self._list("jobs/", params, list_all=list_all)

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

    def list_nodes(self, params: dict[str, Any] | None = None, *, list_all: bool = False) -> Any:
        """List the cluster's nodes.

        Args:
            params: Query parameters.
            list_all: Return a lazy iterator over every page.

        Returns:
            The first page, or a page iterator with ``list_all=True``.

        Example:
            ```python
            nodes = agent.list_nodes()["results"]
            ```
        """
        return self._list("nodes/", params, list_all=list_all)

    def get_node(self, pk: str) -> dict[str, Any]:
        """Return one node.

        Args:
            pk: The node id.

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
        return dict(self._get(f"nodes/{_seg(validate_resource_id(pk, 'node id'))}/"))

    def list_tasks(self, params: dict[str, Any] | None = None, *, list_all: bool = False) -> Any:
        """List the cluster's tasks.

        Args:
            params: Query parameters.
            list_all: Return a lazy iterator over every page.

        Returns:
            The first page, or a page iterator with ``list_all=True``.

        Example:
            ```python
            tasks = agent.list_tasks()["results"]
            ```
        """
        return self._list("tasks/", params, list_all=list_all)

    def get_task(self, pk: str) -> dict[str, Any]:
        """Return one task.

        Args:
            pk: The task id.

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
        return dict(self._get(f"tasks/{_seg(validate_resource_id(pk, 'task id'))}/"))

    def list_serve_applications(self, params: dict[str, Any] | None = None, *, list_all: bool = False) -> Any:
        """List Ray Serve applications.

        Args:
            params: Query parameters.
            list_all: Return a lazy iterator over every page.

        Returns:
            The first page, or a page iterator with ``list_all=True``.

        Example:
            ```python
            apps = agent.list_serve_applications()["results"]
            ```
        """
        return self._list("serve_applications/", params, list_all=list_all)

    def get_serve_application(self, pk: str) -> dict[str, Any]:
        """Return one Serve application.

        Args:
            pk: The application id (its name).

        Returns:
            The application record.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown application (404).

        Example:
            ```python
            agent.get_serve_application("default")["status"]
            ```
        """
        return dict(self._get(f"serve_applications/{_seg(validate_resource_id(pk, 'application id'))}/"))

    def delete_serve_application(self, pk: str) -> None:
        """Delete one Serve application.

        Args:
            pk: The application id (its name).

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown application (404).

        Example:
            ```python
            agent.delete_serve_application("old-model")
            ```
        """
        self._delete(f"serve_applications/{_seg(validate_resource_id(pk, 'application id'))}/")
