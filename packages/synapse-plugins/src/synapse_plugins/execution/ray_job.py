"""``run_plugin(method="job")``: run an action as a Ray job through the Jobs API, over HTTP only.

1. The params are validated here first ([`prepare`][synapse_plugins.execution.local.prepare]): a bad param fails
   before anything is uploaded.
2. The plugin folder is packaged by content (``gcs://_ray_pkg_<hash>.zip``, ``.env``/``.git``/virtualenvs never
   packed) and uploaded unless the cluster already has it (see [`packaging`][synapse_client.ray.packaging]).
3. The invocation and credentials go in a small per-run package (see
   [`runfiles`][synapse_plugins.execution.runfiles]), listed in ``py_modules``.
4. The job runs the fixed argv ``python -m synapse_plugins.execution.entrypoint <run package>`` (no user data in it),
   with the submission id ``job_id`` when one is given; its metadata holds only the run's frame marker.
5. With ``wait=True`` the caller follows the job's structured log, replays its events into ``logger`` and returns
   the result from the end frame (see [`joblog`][synapse_plugins.execution.joblog]); with ``wait=False`` it returns a
   [`JobHandle`][synapse_plugins.execution.handle.JobHandle].

The cluster needs ``synapse-plugins`` installed where jobs run (the local head started on demand uses this
environment).

Example:
    ```python
    from synapse_plugins import run_plugin

    result = run_plugin("examples/hello", "greet", {"who": "Ada"}, method="job", ray_address="http://127.0.0.1:8265")
    ```
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .invocation import Invocation

if TYPE_CHECKING:
    from synapse_client.ray import RayClient

    from ..actions import ActionRegistry
    from ..run.loggers import RunLogger
    from .cluster import RayAddress
    from .handle import JobHandle

__all__ = ["ENTRYPOINT_MODULE", "run_job", "submit_job"]

ENTRYPOINT_MODULE = "synapse_plugins.execution.entrypoint"


def submit_job(
    invocation: Invocation,
    *,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    ray_address: str | RayAddress | None = None,
    runtime_env: dict[str, Any] | None = None,
    excludes: Sequence[str] = (),
    python: str = "python",
    entrypoint_num_cpus: float | None = None,
    entrypoint_num_gpus: float | None = None,
    entrypoint_memory: int | None = None,
) -> JobHandle:
    """Validate, package, upload and submit; return the job's handle.

    Args:
        invocation: What to run.
        registry: Where actions are found for the local validation (the job itself uses the default registry).
        host: The backend's URL for the job's backend logger (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``), sent through the credentials channel only.
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        ray_address: The cluster (see [`cluster`][synapse_plugins.execution.cluster]).
        runtime_env: More runtime env fields (``env_vars`` are shown by Ray: never put secrets there).
        excludes: More gitignore-style patterns left out of the plugin's package.
        python: The interpreter command on the cluster.
        entrypoint_num_cpus: CPUs reserved for the job's entrypoint.
        entrypoint_num_gpus: GPUs reserved for it.
        entrypoint_memory: Memory in bytes reserved for it.

    Returns:
        The handle.

    Raises:
        PluginConfigError, ActionNotFoundError, ActionLoadError, ParamsError: Before anything is sent.
        ClusterError: No cluster can be reached.
        ClientError: The dashboard refused the upload or the submission.
    """
    from synapse_client.ray import RayClient
    from synapse_client.ray.packaging import build_package

    from .cluster import dashboard_url
    from .follow import MARKER_KEY
    from .handle import JobHandle
    from .local import prepare
    from .runfiles import Credentials, build_run_package
    from .runtime_env import plugin_runtime_env

    prepared = prepare(invocation, registry=registry)
    client = RayClient(dashboard_url(ray_address))
    if invocation.job_id is not None:
        _check_unused(client, invocation.job_id)
    package = build_package(prepared.plugin.path, excludes)
    client.upload_package(package)
    marker = secrets.token_hex(8)
    credentials = Credentials.gather(invocation, host=host, token=token, tenant=tenant)
    run_package = build_run_package(replace(invocation, plugin_path="."), credentials, marker=marker)
    client.put_package(run_package.uri, run_package.data)
    extra = dict(runtime_env or {})
    extra["py_modules"] = [*extra.get("py_modules", []), run_package.uri]
    job_id = client.submit_job(
        [python, "-m", ENTRYPOINT_MODULE, run_package.name],
        submission_id=invocation.job_id,
        runtime_env=plugin_runtime_env(prepared.plugin, package.uri, extra),
        metadata={MARKER_KEY: marker},
        entrypoint_num_cpus=entrypoint_num_cpus,
        entrypoint_num_gpus=entrypoint_num_gpus,
        entrypoint_memory=entrypoint_memory,
    )
    return JobHandle(client, job_id, marker)


def _check_unused(client: RayClient, job_id: str) -> None:
    # Before the credentials are uploaded: a refused submission would leave them in a package no job ever uses.
    from synapse_client.errors import BadRequestError, NotFoundError

    try:
        client.get_job(job_id)
    except NotFoundError:
        return
    raise BadRequestError(400, f"Job {job_id} already exists: a submission id is used once")


def run_job(
    invocation: Invocation,
    *,
    logger: RunLogger | None = None,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    ray_address: str | RayAddress | None = None,
    wait: bool = True,
    timeout: float | None = None,
    **options: Any,
) -> Any:
    """Run an invocation as a Ray job (``run_plugin(method="job")``).

    Args:
        invocation: What to run.
        logger: Receives the job's events live when waiting (default: the console; the backend is logged to by
            the job itself).
        registry: Where actions are found for the local validation.
        host: The backend's URL (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``).
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        ray_address: The cluster (default ``RAY_ADDRESS``, else a local head).
        wait: Wait for the result (True) or return a handle (False).
        timeout: Seconds to wait for the result at most, when waiting.
        **options: ``runtime_env``, ``excludes``, ``python``, ``entrypoint_num_cpus``, ``entrypoint_num_gpus``,
            ``entrypoint_memory`` (see [`submit_job`][synapse_plugins.execution.ray_job.submit_job]).

    Returns:
        The action's result, or the handle when ``wait`` is false.

    Raises:
        ExecutionError: The action failed (its message and traceback); ``RunStoppedError`` when stopped.
        ClientTimeoutError: ``timeout`` passed first (408); the job keeps running.
    """
    handle = submit_job(
        invocation, registry=registry, host=host, token=token, tenant=tenant, ray_address=ray_address, **options
    )
    if not wait:
        return handle
    from .follow import wait_following

    return wait_following(handle, logger, timeout)
