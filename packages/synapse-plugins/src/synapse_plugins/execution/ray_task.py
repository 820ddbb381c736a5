"""``run_plugin(method="task")``: run an action as a Ray task (``ray.remote`` around the shared entrypoint function).

The caller connects with ``ray.init`` (the GCS address: see [`cluster`][synapse_plugins.execution.cluster]),
validates the params here, uploads the plugin's content-addressed package (the same one a job uses, so
``.env`` and virtualenvs never reach the cluster) and calls one remote function,
[`task_main`][synapse_plugins.execution.ray_task.task_main], with the invocation as JSON and the credentials as task
arguments (Ray's state API and dashboard show a task's function, not its arguments). The plugin's requirements are
the task's runtime env; the task is never retried by Ray (an action may have side effects).

**Events** travel in the cluster's internal key-value store: the worker appends batches of frames under
``<run id>/<n>`` every 50 ms and once more when the action ends; the caller's ``follow()`` reads them in order and
deletes them when the run is over. **The result** is the task's return value, read with ``ray.get``: any picklable
object, of any size, as in a local run. **Stop** is a key in the same store: the worker's event thread sees it and
signals the task's thread, the action gets ``RunStoppedError``, the run logs its stop, ends STOPPED and flushes its
events; a task that has not ended 10 seconds later is killed with ``ray.cancel(force=True)``.

Example:
    ```python
    from synapse_plugins import run_plugin

    run_plugin("examples/hello", "greet", {"who": "Ada"}, method="task", ray_address="127.0.0.1:6379")
    ```
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from synapse_client.ray.jobs import JobStatus

from .events import RunEnded, RunEvent, StatusUpdate
from .invocation import Invocation

if TYPE_CHECKING:
    from ..actions import ActionRegistry
    from ..run.loggers import RunLogger
    from .cluster import RayAddress

__all__ = ["TaskHandle", "run_task", "submit_task", "task_main"]

_NAMESPACE = "synapse_runs"
_FLUSH_INTERVAL = 0.05
_POLL_INTERVAL = 0.05
_KILL_AFTER = 10.0
_remote: dict[str, Any] = {}  # the remote function, made once per process


def _kv() -> Any:
    from ray.experimental import internal_kv

    return internal_kv


class _ChannelWriter:
    """Append frames to the run's channel in batches, from a background thread (worker side)."""

    def __init__(self, channel: str, on_stop: Any = None) -> None:
        self._channel = channel
        self._on_stop = on_stop
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._batch = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="synapse-events", daemon=True)
        self._thread.start()

    def write(self, frame: str) -> None:
        with self._lock:
            self._pending.append(frame)

    def _flush(self) -> None:
        with self._lock:
            frames, self._pending = self._pending, []
            if not frames:
                return
            key = f"{self._channel}/{self._batch:08d}"
            self._batch += 1
            # Written under the lock: batches land in order.
            _kv()._internal_kv_put(key, "\n".join(frames), overwrite=True, namespace=_NAMESPACE)

    def _loop(self) -> None:
        while not self._done.wait(_FLUSH_INTERVAL):
            self._flush()
            if self._on_stop is not None and _kv()._internal_kv_exists(f"{self._channel}/stop", namespace=_NAMESPACE):
                on_stop, self._on_stop = self._on_stop, None
                on_stop()

    def close(self) -> None:
        self._done.set()
        self._thread.join()
        self._flush()


def task_main(invocation_json: str, credentials: dict[str, Any], channel: str) -> Any:
    """Run an invocation inside a Ray worker: the body of every ``method="task"`` run.

    Args:
        invocation_json: The invocation (``plugin_path`` is ``.``: the task's working dir is the plugin package).
        credentials: [`Credentials.to_dict`][synapse_plugins.execution.runfiles.Credentials.to_dict].
        channel: The run's key prefix in the event channel.

    Returns:
        The action's result.

    Raises:
        ExecutionError: The action failed (Ray marks the task failed; the caller reads the details from the
            channel's end frame).
    """
    from .entrypoint import run_remote
    from .runfiles import Credentials

    invocation = Invocation.from_json(invocation_json)
    with _stoppable(invocation.action) as interrupt:
        writer = _ChannelWriter(channel, on_stop=interrupt)
        try:
            ended = run_remote(invocation, Credentials.from_dict(credentials), writer.write, result_in_end=False)
        finally:
            writer.close()
    return ended.outcome()


@contextlib.contextmanager
def _stoppable(action: str) -> Iterator[Any]:
    """Let the event thread stop the action: SIGUSR2 sent to this (the worker's main) thread raises RunStoppedError.

    Ray's own ``ray.cancel`` did not interrupt a task blocked in a sleep here (Ray's workers block SIGINT); a signal
    Ray leaves alone, sent to the task's thread, does. The handler is ours only while the action runs.
    """
    import signal

    from ..errors import RunStoppedError

    if threading.current_thread() is not threading.main_thread():
        yield None  # a threaded worker: the stop falls back to killing the task after the deadline
        return
    main = threading.get_ident()

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        raise RunStoppedError("stopped (run.stop())", action=action)

    previous = signal.signal(signal.SIGUSR2, handler)
    try:
        yield lambda: signal.pthread_kill(main, signal.SIGUSR2)
    finally:
        signal.signal(signal.SIGUSR2, previous)


class TaskHandle:
    """A plugin action running as a Ray task.

    Args:
        ref: The task's object ref.
        channel: The run's key prefix in the event channel.
        action: The action's name.
        job_id: The run's platform job id, if any.
    """

    def __init__(self, ref: Any, channel: str, action: str, job_id: str | None) -> None:
        self.ref = ref
        self.channel = channel
        self.action = action
        self.job_id = job_id
        self._lock = threading.Lock()
        self._events: list[RunEvent] = []
        self._batch = 0
        self._ended: RunEnded | None = None
        self._status = JobStatus.PENDING
        self._finish_lock = threading.Lock()
        self._cancelled = False
        self._cleaned = False

    def __repr__(self) -> str:
        return f"TaskHandle(id={self.id!r})"

    @property
    def id(self) -> str:
        """The Ray task id (hex), as the dashboard and ``list_tasks`` show it."""
        return str(self.ref.task_id().hex())

    def _read_new(self) -> list[RunEvent]:
        """Read the batches written since the last read (events in order), noting the status."""
        import json

        from .events import decode_event

        new: list[RunEvent] = []
        with self._lock:
            while True:
                value = _kv()._internal_kv_get(f"{self.channel}/{self._batch:08d}", namespace=_NAMESPACE)
                if value is None:
                    break
                self._batch += 1
                for frame in value.decode("ascii").split("\n"):
                    event = decode_event(json.loads(frame))
                    if isinstance(event, StatusUpdate):
                        self._status = event.status
                    if isinstance(event, RunEnded):
                        event = self._with_result(event)
                        self._ended = event
                        self._status = event.status
                    new.append(event)
            self._events += new
        return new

    def _with_result(self, ended: RunEnded) -> RunEnded:
        if ended.status is not JobStatus.SUCCEEDED:
            return ended
        import ray

        return replace(ended, result=ray.get(self.ref))

    def _consume_error(self) -> None:
        # The details come from the end frame; reading the task's error keeps Ray from reporting it as unhandled.
        import ray

        ready, _ = ray.wait([self.ref], timeout=_KILL_AFTER)
        if ready:
            with contextlib.suppress(Exception):
                ray.get(self.ref)

    def _pause(self) -> None:
        # Wait for the next poll, waking at once when the task ends (its last events are written by then).
        import ray

        ray.wait([self.ref], timeout=_POLL_INTERVAL)

    def _task_done(self) -> bool:
        import ray

        ready, _ = ray.wait([self.ref], timeout=0)
        return bool(ready)

    def _synthesize_end(self) -> RunEnded:
        # The task ended without an end frame: cancelled before it started, or its worker died.
        import ray

        try:
            result = ray.get(self.ref)
        except Exception as exc:
            stopped = type(exc).__name__ == "TaskCancelledError"
            status = JobStatus.STOPPED if stopped else JobStatus.FAILED
            message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return RunEnded(status, error=message, error_type=type(exc).__name__, action=self.action,
                            job_id=self.job_id)  # fmt: skip
        return RunEnded(JobStatus.SUCCEEDED, result=result, action=self.action, job_id=self.job_id)

    def _finish(self) -> RunEnded:
        with self._finish_lock:
            if self._ended is None:
                self._read_new()
            deadline = time.monotonic() + _KILL_AFTER
            while self._ended is None and self._cancelled and time.monotonic() < deadline:
                # Ray reports a cancelled task at once; its stop path (logs, STOPPED) is still being flushed.
                time.sleep(_POLL_INTERVAL)
                self._read_new()
            if self._ended is None:
                self._ended = self._synthesize_end()
                self._status = self._ended.status
                with self._lock:
                    self._events.append(self._ended)
            elif self._ended.status is not JobStatus.SUCCEEDED:
                self._consume_error()
            if not self._cleaned:
                _kv()._internal_kv_del(f"{self.channel}/", del_by_prefix=True, namespace=_NAMESPACE)
                self._cleaned = True
            return self._ended

    def status(self) -> JobStatus:
        """Return the run's status (PENDING until the action starts)."""
        if self._ended is None:
            self._read_new()
            if self._ended is None and self._task_done():
                self._finish()
        return self._status

    def follow(self) -> Iterator[RunEvent]:
        """Yield the task's events as they happen, ending with its final status."""
        seen = 0
        while True:
            if self._ended is None:
                self._read_new()
                if self._ended is None and self._task_done():
                    self._finish()
            with self._lock:
                pending = self._events[seen:]
            for event in pending:
                seen += 1
                yield event
            if self._ended is not None and seen >= len(self._events):
                self._finish()
                return
            if not pending:
                self._pause()

    def wait(self, timeout: float | None = None) -> Any:
        """Wait until the task ends; return the action's result or raise its error.

        Args:
            timeout: Seconds to wait at most (None: no limit).

        Returns:
            The result.

        Raises:
            ExecutionError: The action failed; ``RunStoppedError`` when stopped.
            ClientTimeoutError: Not ended in time (408).
        """
        import ray

        from synapse_client.errors import ClientTimeoutError

        ready, _ = ray.wait([self.ref], timeout=timeout)
        if not ready:
            raise ClientTimeoutError(408, f"task {self.id} did not end within {timeout} s (it keeps running)")
        return self._finish().outcome()

    def stop(self) -> dict[str, Any]:
        """Stop the task (``KeyboardInterrupt`` in the action: it logs its stop and ends STOPPED); wait for the end.

        Returns:
            ``{"task_id": ..., "stopped": True, "status": ...}``.

        Raises:
            BadRequestError: The task has already ended (400).
        """
        import ray

        from synapse_client.errors import BadRequestError

        if self.status().is_terminal():
            raise BadRequestError(400, f"Task {self.id} is already terminal ({self._status.value})")
        self._cancelled = True
        _kv()._internal_kv_put(f"{self.channel}/stop", "1", overwrite=True, namespace=_NAMESPACE)
        deadline = time.monotonic() + _KILL_AFTER
        while self._ended is None and time.monotonic() < deadline:
            time.sleep(_POLL_INTERVAL)
            self._read_new()
        if self._ended is None:
            ray.cancel(self.ref, force=True)
        ended = self._finish()
        return {"task_id": self.id, "stopped": True, "status": ended.status.value}


def _upload(package: Any) -> None:
    from ray._private.runtime_env.packaging import package_exists, pin_runtime_env_uri, upload_package_to_gcs

    pin_runtime_env_uri(package.uri)
    if not package_exists(package.uri):
        upload_package_to_gcs(package.uri, package.zip_bytes())


def submit_task(
    invocation: Invocation,
    *,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    ray_address: str | RayAddress | None = None,
    runtime_env: dict[str, Any] | None = None,
    excludes: tuple[str, ...] = (),
    num_cpus: float = 1,
    num_gpus: float = 0,
) -> TaskHandle:
    """Validate, package, upload and start the task; return its handle.

    Args:
        invocation: What to run.
        registry: Where actions are found for the local validation (the worker uses the default registry).
        host: The backend's URL for the worker's backend logger (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``), a task argument only.
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        ray_address: The cluster (its GCS address; see [`cluster`][synapse_plugins.execution.cluster]).
        runtime_env: More runtime env fields (``env_vars`` are shown by Ray: never put secrets there).
        excludes: More gitignore-style patterns left out of the plugin's package.
        num_cpus: CPUs the task reserves.
        num_gpus: GPUs the task reserves.

    Returns:
        The handle.

    Raises:
        PluginConfigError, ActionNotFoundError, ActionLoadError, ParamsError: Before anything is sent.
        ClusterError: No cluster can be reached, or Ray is not installed here.
    """
    from synapse_client.ray.packaging import build_package

    from .cluster import connect_ray
    from .local import prepare
    from .runfiles import Credentials
    from .runtime_env import plugin_runtime_env

    prepared = prepare(invocation, registry=registry)
    connect_ray(ray_address)
    import ray

    package = build_package(prepared.plugin.path, excludes)
    _upload(package)
    remote = _remote.setdefault("task_main", ray.remote(task_main)) if not _remote else _remote["task_main"]
    credentials = Credentials.gather(invocation, host=host, token=token, tenant=tenant)
    channel = uuid.uuid4().hex
    ref = remote.options(
        runtime_env=plugin_runtime_env(prepared.plugin, package.uri, runtime_env),
        num_cpus=num_cpus,
        num_gpus=num_gpus,
        max_retries=0,
        retry_exceptions=False,
        name=f"synapse:{invocation.action}",
    ).remote(replace(invocation, plugin_path=".").to_json(), credentials.to_dict(), channel)
    return TaskHandle(ref, channel, invocation.action, invocation.job_id)


def run_task(
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
    """Run an invocation as a Ray task (``run_plugin(method="task")``).

    Args:
        invocation: What to run.
        logger: Receives the task's events live when waiting (default: the console).
        registry: Where actions are found for the local validation.
        host: The backend's URL (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``).
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        ray_address: The cluster (default ``RAY_ADDRESS``, else a local head).
        wait: Wait for the result (True) or return a handle (False).
        timeout: Seconds to wait for the result at most, when waiting.
        **options: ``runtime_env``, ``excludes``, ``num_cpus``, ``num_gpus``.

    Returns:
        The action's result, or the handle when ``wait`` is false.

    Raises:
        ExecutionError: The action failed (its message and traceback); ``RunStoppedError`` when stopped.
        ClientTimeoutError: ``timeout`` passed first (408); the task keeps running.
    """
    handle = submit_task(
        invocation, registry=registry, host=host, token=token, tenant=tenant, ray_address=ray_address, **options
    )
    if not wait:
        return handle
    from .follow import wait_following

    return wait_following(handle, logger, timeout)
