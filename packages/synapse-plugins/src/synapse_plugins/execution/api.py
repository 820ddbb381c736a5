r"""``run_plugin``: the one entry point that runs a plugin's action locally, as a Ray task, as a Ray job, or on Serve.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.run.loggers import MemoryLogger
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: pre_annotation\n"
    ...     "actions:\n  greet:\n    entrypoint: hello_api:greet\n"
    ... )
    >>> _ = (folder / "hello_api.py").write_text("def greet(run, params):\n    return 'hi ' + params['who']\n")
    >>> run_plugin(folder, "greet", {"who": "Ada"}, logger=MemoryLogger())
    'hi Ada'
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .invocation import ENV_ALLOWED_BY_DEFAULT, Invocation

if TYPE_CHECKING:
    from ..actions import ActionRegistry
    from ..run.loggers import RunLogger

__all__ = ["METHODS", "Method", "make_logger", "run_plugin"]

Method = Literal["local", "task", "job", "restapi"]
#: Execution method -> ``module:function`` (relative to this package) that runs an invocation that way.
METHODS: dict[str, str] = {
    "local": "local:run_local",
    "task": "ray_task:run_task",
    "job": "ray_job:run_job",
    "restapi": "serve:run_restapi",
}


def make_logger(
    *,
    job_id: str | None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    console: bool = True,
) -> RunLogger:
    """Build the logger for a run: the platform's backend when a host, token and job id are known, plus the console.

    Missing arguments are read from ``SYNAPSE_JOB_ID``, ``SYNAPSE_HOST``, ``SYNAPSE_ACCESS_TOKEN``,
    ``SYNAPSE_TENANT``. The backend logger
    ([`BackendLogger`][synapse_plugins.run.loggers.backend.BackendLogger]) sends from a background thread and never
    fails or stalls the run beyond its deadlines.

    Args:
        job_id: The platform job id (no backend logging without one).
        host: The backend's base URL.
        token: The access token.
        tenant: The tenant.
        console: Also print to the terminal.

    Returns:
        The logger.

    Example:
        >>> type(make_logger(job_id=None, host="", token="")).__name__
        'ConsoleLogger'
    """
    from ..run.loggers import ConsoleLogger, NullLogger, TeeLogger

    job_id = os.environ.get("SYNAPSE_JOB_ID") if job_id is None else job_id
    host = os.environ.get("SYNAPSE_HOST") if host is None else host
    token = os.environ.get("SYNAPSE_ACCESS_TOKEN") if token is None else token
    tenant = os.environ.get("SYNAPSE_TENANT") if tenant is None else tenant
    local: RunLogger = ConsoleLogger() if console else NullLogger()
    if not (host and token and job_id):
        return local
    from synapse_client.backend import BackendClient

    from ..run.loggers.backend import BackendLogger

    backend = BackendLogger(BackendClient(host, access_token=token, tenant=tenant), job_id, close_client=True)
    return TeeLogger(backend, local) if console else backend


def run_local(
    invocation: Invocation,
    *,
    logger: RunLogger | None = None,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    **options: Any,
) -> Any:
    """Run an invocation in this process (``run_plugin(method="local")``).

    Args:
        invocation: What to run.
        logger: Where events go (default: [`make_logger`][synapse_plugins.execution.api.make_logger]).
        registry: Where actions are found.
        host: Backend URL for backend logging.
        token: Access token for backend logging.
        tenant: Tenant for backend logging.
        **options: Options of other methods, refused here.

    Returns:
        The action's result.

    Raises:
        TypeError: For an option only other methods take.
    """
    from .local import execute

    if options:
        raise TypeError(f"run_plugin(method='local') takes no {', '.join(sorted(options))}")
    if invocation.job_id is None and os.environ.get("SYNAPSE_JOB_ID"):
        import dataclasses

        invocation = dataclasses.replace(invocation, job_id=os.environ["SYNAPSE_JOB_ID"])
    if logger is None:
        logger = make_logger(job_id=invocation.job_id, host=host, token=token, tenant=tenant)
    return execute(invocation, logger=logger, registry=registry)


def run_plugin(
    plugin_path: str | os.PathLike[str],
    action: str,
    params: Mapping[str, Any] | None = None,
    *,
    method: Method = "local",
    job_id: str | int | None = None,
    logger: RunLogger | None = None,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    env_names: Iterable[str] = ENV_ALLOWED_BY_DEFAULT,
    **options: Any,
) -> Any:
    """Run a plugin's action and return its result.

    ``method`` picks where: ``local`` (this process), ``task`` (a Ray task), ``job`` (a Ray job through the Jobs
    API) or ``restapi`` (a Ray Serve application). It wins over the method in ``config.yaml``. Every method
    validates the params with the same model, emits the same run events and returns the same result.

    Args:
        plugin_path: The plugin folder.
        action: The action's name.
        params: The params (a JSON object).
        method: Where to run it.
        job_id: The platform job id the run reports to (with ``host`` and ``token``, through the backend logger;
            default ``SYNAPSE_JOB_ID``).
        logger: Where the run's events go (default: the console, plus the backend when it is configured).
        registry: Where actions are found (default: built-ins, entry points and the plugin's config).
        host: The backend's URL (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``); never sent to Ray in the clear.
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        env_names: Environment variables the action may read (an allow-list).
        **options: Options of the Ray methods: ``ray_address`` (the dashboard URL or GCS address; default
            ``RAY_ADDRESS``, else a local head started on demand), ``wait`` (False returns a handle with ``id``,
            ``status()``, ``wait()``, ``stop()``, ``follow()``), ``timeout``, ``runtime_env``, ``excludes``... (see
            ``docs/plugins/running.md`` and [`ray_job`][synapse_plugins.execution.ray_job],
            [`ray_task`][synapse_plugins.execution.ray_task], [`serve`][synapse_plugins.execution.serve]).

    Returns:
        The action's result (or, for Ray methods with ``wait=False``, a handle to the run).

    Raises:
        PluginConfigError, ActionNotFoundError, ActionLoadError, ParamsError: Before anything runs.
        ExecutionError: The action raised (the message and traceback are the action's).
        ValueError: For an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
    invocation = Invocation.create(plugin_path, action, params, job_id=job_id, env_names=env_names)
    module_name, _, function_name = METHODS[method].partition(":")
    if module_name == "local":
        runner: Any = run_local
    else:
        runner = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
    return runner(invocation, logger=logger, registry=registry, host=host, token=token, tenant=tenant, **options)
