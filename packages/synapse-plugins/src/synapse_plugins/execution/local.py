r"""Run an invocation in this process: the one place that loads, validates, runs and reports an action.

Every method ends here: ``run_plugin(method="local")`` calls it directly, a Ray task calls it in a worker, a Ray
job's fixed entrypoint calls it in the job's driver. The runner, not the action, sets the job's status: RUNNING,
then SUCCEEDED with the result, FAILED with the error (its traceback in the log), or STOPPED.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.run.loggers import MemoryLogger
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: pre_annotation\n"
    ...     "actions:\n  greet:\n    entrypoint: hello_local:greet\n"
    ... )
    >>> _ = (folder / "hello_local.py").write_text("def greet(run, params):\n    return 'hi ' + params['who']\n")
    >>> logger = MemoryLogger()
    >>> execute(Invocation.create(folder, "greet", {"who": "Ada"}), logger=logger)
    'hi Ada'
    >>> [change.status.value for change in logger.statuses]
    ['RUNNING', 'SUCCEEDED']
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..actions import Action, ActionContext, ActionRegistry, Plugin, plugin_imports
from ..errors import ExecutionError, PluginError, RunStoppedError
from ..run import Run
from .invocation import Invocation

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..run.loggers import RunLogger

__all__ = ["PreparedAction", "execute", "prepare"]


@dataclass(frozen=True)
class PreparedAction:
    """An action resolved and its params validated, ready to run.

    Attributes:
        plugin: The plugin.
        action_cls: The action class.
        params: The validated params model instance.
        invocation: The invocation it came from.
    """

    plugin: Plugin
    action_cls: type[Action[Any]]
    params: BaseModel
    invocation: Invocation


def prepare(invocation: Invocation, *, registry: ActionRegistry | None = None) -> PreparedAction:
    """Load the plugin, resolve the action and validate the params, without running anything.

    Args:
        invocation: What to run.
        registry: Where actions are found (default: a fresh ``ActionRegistry()``).

    Returns:
        The prepared action.

    Raises:
        PluginConfigError: Bad config.yaml.
        ActionNotFoundError: No such action.
        ActionLoadError: The entrypoint cannot be imported.
        ParamsError: The params fail the action's params model.
    """
    plugin = Plugin.load(invocation.plugin_path)
    registry = registry or ActionRegistry()
    registry.check(plugin)
    with plugin_imports(plugin.path):
        action_cls = registry.resolve(plugin, invocation.action)
        params = action_cls.validate_params(invocation.params, action=invocation.action)
    return PreparedAction(plugin, action_cls, params, invocation)


@contextlib.contextmanager
def _closing(logger: RunLogger) -> Iterator[RunLogger]:
    try:
        yield logger
    finally:
        try:
            logger.close()
        except Exception:  # closing a logger must not hide the action's own outcome
            import logging

            logging.getLogger("synapse_plugins.run").exception("closing the run logger failed")


def execute(
    invocation: Invocation,
    *,
    logger: RunLogger | None = None,
    registry: ActionRegistry | None = None,
    environ: dict[str, str] | None = None,
) -> Any:
    """Run an invocation here and return the action's result; the logger is closed (flushed) at the end.

    Args:
        invocation: What to run.
        logger: Where the run's events and statuses go (default: the console).
        registry: Where actions are found (default: a fresh ``ActionRegistry()``).
        environ: Where the allowed environment variables are read (default: ``os.environ``).

    Returns:
        What the action's ``start()`` returned.

    Raises:
        PluginConfigError, ActionNotFoundError, ActionLoadError, ParamsError: Before the action starts (the status
            is set to FAILED with the error's message).
        ExecutionError: The action raised; ``traceback`` holds its traceback, which is also in the run's log.
        RunStoppedError: The run was interrupted (KeyboardInterrupt, SIGTERM through Ray's stop).
    """
    from synapse_client.ray.jobs import JobStatus

    if logger is None:
        from ..run.loggers import ConsoleLogger

        logger = ConsoleLogger()
    name = invocation.action
    with _closing(logger):
        try:
            prepared = prepare(invocation, registry=registry)
        except PluginError as exc:
            logger.set_status(JobStatus.FAILED, error=str(exc))
            raise
        action_cls = prepared.action_cls
        run = Run(
            logger,
            job_id=invocation.job_id,
            action=name,
            progress_categories=action_cls.progress_categories,
            metrics_categories=action_cls.metrics_categories,
        )
        context = ActionContext(
            name=name,
            plugin_path=prepared.plugin.path,
            plugin=prepared.plugin.config,
            config=prepared.plugin.config.actions[name],
            job_id=invocation.job_id,
            env=invocation.allowed_env(environ),
        )
        logger.set_status(JobStatus.RUNNING)
        with plugin_imports(prepared.plugin.path):
            try:
                result = action_cls(prepared.params, run, context).start()
            except (KeyboardInterrupt, RunStoppedError) as exc:
                message = str(exc) if isinstance(exc, RunStoppedError) else "interrupted"
                run.log_message(f"Run stopped: {message}", context="warning")
                logger.set_status(JobStatus.STOPPED, error=message)
                raise (exc if isinstance(exc, RunStoppedError) else RunStoppedError(message, action=name,
                       job_id=invocation.job_id)) from None  # fmt: skip
            except Exception as exc:
                error = _execution_error(exc, name, invocation.job_id)
                run.log_message(error.message, context="danger")
                run.log("error", {"type": error.error_type, "message": error.message, "traceback": error.traceback})
                logger.set_status(JobStatus.FAILED, error=error.message)
                raise error from exc
        logger.set_status(JobStatus.SUCCEEDED, result=result)
        return result


def _execution_error(exc: BaseException, action: str, job_id: str | None) -> ExecutionError:
    from synapse_fileutils.http import redact_text, truncate

    kind = type(exc)
    qualified = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    message = truncate(redact_text(f"{kind.__name__}: {exc}"))  # the status line stays short; the trace is whole
    trace = redact_text("".join(traceback.format_exception(kind, exc, exc.__traceback__)))
    return ExecutionError(message, action=action, traceback=trace, job_id=job_id, error_type=qualified)
