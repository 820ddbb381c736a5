"""Test helpers for plugin authors: run an action with the memory logger and look at what it did.

``run_action`` takes a plugin folder and an action name, or an ``Action`` subclass (or a ``fn(run, params)``)
directly, and returns an [`ActionRun`][synapse_plugins.testing.ActionRun] with the result, the log entries, the
progress and metrics records and the statuses the runner set. It goes through the same code as
``run_plugin(method="local")``: same validation, same events.

To test a plugin against the platform's backend, [`backend_server`][synapse_plugins.testing.backend_server] starts
the real HTTP server that speaks the backend's jobs and logs protocol (``synapse_client.testing.BackendServer``: it
records requests and injects latency and 5xx answers) and
[`backend_logger`][synapse_plugins.testing.backend_logger] makes a backend logger that reports to it; pass it as
``run_action(..., logger=...)``.

Example:
    >>> from pydantic import BaseModel
    >>> from synapse_plugins import Action
    >>> class Params(BaseModel):
    ...     count: int = 3
    >>> class Count(Action[Params]):
    ...     def start(self):
    ...         for i in range(1, self.params.count + 1):
    ...             self.run.set_progress(i, self.params.count)
    ...         self.run.log_message("counted")
    ...         return self.params.count
    >>> outcome = run_action(Count)
    >>> outcome.result, outcome.messages, outcome.status.value
    (3, ['counted'], 'SUCCEEDED')
    >>> outcome.progress[-1]["current_progress"]["overall"]
    100.0
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PluginError
from .run.loggers import MemoryLogger, TeeLogger

if TYPE_CHECKING:
    from collections.abc import Iterator

    from synapse_client.ray.jobs import JobStatus

    from .actions import Action, ActionRegistry
    from .run.loggers import RunLogger
    from .run.loggers.backend import BackendLogger
    from .run.records import LogEntry

__all__ = ["ActionRun", "backend_logger", "backend_server", "run_action"]


@dataclass
class ActionRun:
    """What one action run did.

    Attributes:
        result: What the action returned (None if it failed).
        error: The error it raised (a ``PluginError``), or None.
        logger: The memory logger with every record.
    """

    result: Any
    error: PluginError | None
    logger: MemoryLogger

    @property
    def status(self) -> JobStatus | None:
        """The final status the runner set (SUCCEEDED, FAILED, STOPPED)."""
        return self.logger.status

    @property
    def entries(self) -> list[LogEntry]:
        """Every log entry."""
        return list(self.logger.entries)

    @property
    def messages(self) -> list[str]:
        """The text of every ``message`` entry."""
        return self.logger.messages

    @property
    def progress(self) -> list[dict[str, Any]]:
        """Every progress record, in order."""
        return list(self.logger.progress)

    @property
    def metrics(self) -> dict[str, Any]:
        """The last metrics record's categories (``{}`` if none was set)."""
        return dict(self.logger.metrics[-1]["record"]["categories"]) if self.logger.metrics else {}

    def events(self, event: str) -> list[LogEntry]:
        """The entries of one kind (``message``, ``export_data_file``...)."""
        return self.logger.events(event)


def _plugin_for(folder: Path, name: str, category: str) -> Path:
    """Write a throwaway plugin folder with one action and no entrypoint (the registry supplies the class)."""
    (folder / "config.yaml").write_text(
        f"code: test-plugin\nname: Test plugin\nversion: 0.0.0\ncategory: {category}\nactions:\n  {name}: {{}}\n",
        encoding="utf-8",
    )
    return folder


def run_action(
    target: str | os.PathLike[str] | type[Action[Any]] | Callable[..., Any],
    action: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    job_id: str | None = None,
    registry: ActionRegistry | None = None,
    check: bool = True,
    logger: RunLogger | None = None,
) -> ActionRun:
    """Run an action with the memory logger and return what it did.

    Args:
        target: A plugin folder, or an ``Action`` subclass or ``fn(run, params)`` defined at module level.
        action: The action's name (required with a folder; defaults to the class's ``name`` or ``"action"``).
        params: The params.
        job_id: A job id to put on log entries.
        registry: Where actions are found.
        check: Raise the action's error (``ParamsError``, ``ExecutionError``...) instead of returning it.
        logger: Another logger the run also reports to (such as
            [`backend_logger(server)`][synapse_plugins.testing.backend_logger]); it is closed when the run ends.

    Returns:
        The run's outcome.

    Raises:
        PluginError: With ``check=True``, whatever the run raised.
    """
    from .actions import Action, ActionRegistry, function_action
    from .execution import Invocation, execute

    scratch = contextlib.ExitStack()
    if isinstance(target, (str, os.PathLike)):
        if action is None:
            raise TypeError("run_action(folder, action, ...) needs the action's name")
        folder = Path(target)
    else:
        name = action or getattr(target, "name", "") or "action"
        action_cls = (
            target if isinstance(target, type) and issubclass(target, Action) else function_action(target, name)
        )
        registry = registry or ActionRegistry()
        registry.register(name, action_cls)
        category = action_cls.category.value if action_cls.category else "pre_annotation"
        tmp = scratch.enter_context(tempfile.TemporaryDirectory(prefix="synapse-test-plugin-"))
        folder = _plugin_for(Path(tmp), name, category)
        action = name
    memory = MemoryLogger()
    if job_id is None and logger is not None:
        job_id = getattr(logger, "job_id", None)
    invocation = Invocation.create(folder, action, params, job_id=job_id)
    try:
        with scratch:
            result = execute(invocation, logger=memory if logger is None else TeeLogger(memory, logger),
                             registry=registry)  # fmt: skip
    except PluginError as exc:
        if check:
            raise
        return ActionRun(None, exc, memory)
    return ActionRun(result, None, memory)


@contextlib.contextmanager
def backend_server(storage_dir: str | os.PathLike[str] | None = None, **options: Any) -> Iterator[Any]:
    """Start the backend protocol test server on 127.0.0.1 for the duration of a ``with`` block.

    The server is ``synapse_client.testing.BackendServer``: a real, stateful HTTP server speaking the backend's
    jobs and logs protocol (and the rest of it), which records every request and can slow down or fail requests.

    Args:
        storage_dir: Where the server keeps uploaded files (default: a temporary folder, removed afterwards).
        **options: Passed to ``BackendServer`` (``access_token``, ``tenant``).

    Yields:
        The running server (``.url``, ``.access_token``, ``.tenant``, ``.logs``, ``.get("jobs", id)``...).

    Example:
        ```python
        from synapse_plugins.testing import backend_logger, backend_server, run_action

        with backend_server() as server:
            outcome = run_action("my-plugin", "export", {"name": "x"}, logger=backend_logger(server))
            assert server.get("jobs", outcome.logger.entries[0].job)["status"] == "SUCCEEDED"
        ```
    """
    from synapse_client.testing import BackendServer

    with contextlib.ExitStack() as stack:
        folder = storage_dir if storage_dir is not None else stack.enter_context(tempfile.TemporaryDirectory())
        server = stack.enter_context(BackendServer(Path(folder), **options))
        yield server


def backend_logger(server: Any, job_id: str | int | None = None, **options: Any) -> BackendLogger:
    """Make a backend logger that reports to a backend protocol test server.

    Args:
        server: A running server (from [`backend_server`][synapse_plugins.testing.backend_server]); anything with
            ``url``, ``access_token`` and ``tenant`` attributes, and an ``add(table, record)`` method when
            ``job_id`` is None.
        job_id: The job to report to (default: a new pending job created on the server).
        **options: Passed to [`BackendLogger`][synapse_plugins.run.loggers.backend.BackendLogger] (``interval``,
            ``put_timeout``, ``close_timeout``...).

    Returns:
        The logger (it closes its client when it closes).
    """
    from synapse_client.backend import BackendClient

    from .run.loggers.backend import BackendLogger

    if job_id is None:
        job_id = server.add("jobs", {"status": "PENDING", "progress_record": None, "metrics_record": None})["id"]
    client = BackendClient(server.url, access_token=server.access_token, tenant=server.tenant)
    return BackendLogger(client, str(job_id), close_client=True, **options)
