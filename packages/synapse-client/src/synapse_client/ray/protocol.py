"""The Ray operations contract: what every client that runs Ray jobs offers, with one signature per method.

[`RayClient`][synapse_client.ray.client.RayClient] (the dashboard, directly) and
[`AgentClient`][synapse_client.agent.client.AgentClient] (through a Synapse agent) both satisfy
[`RayOperations`][synapse_client.ray.protocol.RayOperations], so code written against it runs on either:

- jobs are named by ``pk`` and come back as [`JobDetails`][synapse_client.ray.jobs.JobDetails] whose ``status`` is the
  one [`JobStatus`][synapse_client.ray.jobs.JobStatus];
- every ``list_*`` method returns a complete ``list`` of records (the agent's pages are followed for you), filtered by
  ``filters`` and capped by ``limit`` where the method takes them;
- nodes, tasks and Serve applications are named ``node_id``, ``task_id`` and ``name``.

A client may take more optional arguments than the protocol names (``RayClient.tail_job_logs`` takes
``poll_interval``, ``RayClient.list_nodes`` takes ``detail``); what the protocol names means the same everywhere.

Example:
    >>> from synapse_client.agent import AgentClient
    >>> from synapse_client.ray import RayClient
    >>> isinstance(RayClient(), RayOperations), isinstance(AgentClient("http://127.0.0.1:9", "t"), RayOperations)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..network import StreamLimits
    from .jobs import JobDetails

__all__ = ["RayOperations"]


@runtime_checkable
class RayOperations(Protocol):
    """Jobs, logs, nodes, tasks and Serve applications of one Ray cluster, whoever serves them.

    ``isinstance(client, RayOperations)`` checks only that the methods exist; mypy checks the signatures.

    Example:
        ```python
        def failed_jobs(ray: RayOperations) -> list[str]:
            return [job.job_id for job in ray.list_jobs() if job.status is JobStatus.FAILED]


        failed_jobs(RayClient("http://127.0.0.1:8265"))
        failed_jobs(AgentClient("http://agent:8000", agent_token="..."))
        ```
    """

    # -- jobs ----------------------------------------------------------------------------------------------------

    def list_jobs(self) -> list[JobDetails]:
        """Return every job the cluster knows."""

    def get_job(self, pk: str) -> JobDetails:
        """Return one job (400 for a bad id, 404 for an unknown one)."""

    def wait_for_job(self, pk: str, timeout: float = 300.0, poll_interval: float = 1.0) -> JobDetails:
        """Wait until the job is terminal and return it (408 after ``timeout`` seconds)."""

    def stop_job(
        self, pk: str, *, wait: bool = False, timeout: float = 30.0, poll_interval: float = 0.5
    ) -> dict[str, Any]:
        """Stop the job; ``{"job_id", "stopped", "status"}`` (400 when it is already terminal)."""

    # -- logs ----------------------------------------------------------------------------------------------------

    def list_job_logs(self, pk: str) -> str:
        """Return the job's whole log."""

    def tail_job_logs(
        self,
        pk: str,
        stream_timeout: float = 10,
        protocol: str = "stream",
        *,
        limits: StreamLimits | None = None,
    ) -> Iterator[str]:
        """Follow the job's log line by line until it ends, every line once and in order."""

    # -- nodes, tasks, Serve -------------------------------------------------------------------------------------

    def list_nodes(self, *, limit: int = 100, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Return at most ``limit`` nodes matching the equality ``filters``."""

    def get_node(self, node_id: str) -> dict[str, Any]:
        """Return one node (404 when unknown)."""

    def list_tasks(self, *, limit: int = 100, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Return at most ``limit`` tasks matching the equality ``filters``."""

    def get_task(self, task_id: str) -> dict[str, Any]:
        """Return one task (404 when unknown)."""

    def list_serve_applications(self) -> list[dict[str, Any]]:
        """Return every Serve application, each with its ``name``."""

    def get_serve_application(self, name: str) -> dict[str, Any]:
        """Return one Serve application (404 when unknown)."""

    def delete_serve_application(self, name: str) -> None:
        """Remove one Serve application, keeping the others."""


if TYPE_CHECKING:  # mypy proves here that both clients satisfy the protocol with the same signatures

    def _both_clients_conform(ray: RayClient, agent: AgentRayMixin) -> tuple[RayOperations, RayOperations]:
        return ray, agent

    from ..agent.ray import AgentRayMixin
    from .client import RayClient
