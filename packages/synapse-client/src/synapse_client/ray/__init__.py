"""Ray job lifecycle over HTTP: submit, inspect, follow, stop; nodes, tasks and Serve applications.

Example:
    ```python
    from synapse_client.ray import JobStatus, RayClient

    client = RayClient("http://127.0.0.1:8265")
    job = client.wait_for_job(client.submit_job(["python", "-c", "print(1)"]))
    assert job.status is JobStatus.SUCCEEDED
    ```
"""

from __future__ import annotations

from .client import RayClient
from .jobs import JobDetails, JobStatus

__all__ = ["JobDetails", "JobStatus", "RayClient"]
