r"""The fixed entrypoint of every remote run: ``python -m synapse_plugins.execution.entrypoint <run package>``.

A Ray job runs this module with one argument, the name of its run package (see
[`runfiles`][synapse_plugins.execution.runfiles]); nothing from the user is ever on the command line. It reads the
invocation and the credentials, runs the action through [`execute`][synapse_plugins.execution.local.execute] (the
one runner every method shares) with a logger that prints structured frames to the job's log (plus the platform's
backend when credentials for it came along), prints the end frame and exits 0 on success, 1 otherwise.

Ray's ``stop`` sends SIGTERM, then SIGKILL 3 seconds later: the handler turns SIGTERM into
[`RunStoppedError`][synapse_plugins.errors.RunStoppedError] inside the action, so the run logs its stop, sets
STOPPED, flushes its loggers and prints the end frame well before the deadline.

A Ray task and a Serve replica call [`run_remote`][synapse_plugins.execution.entrypoint.run_remote] directly.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.execution.invocation import Invocation
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: pre_annotation\n"
    ...     "actions:\n  greet:\n    entrypoint: hello_entry:greet\n"
    ... )
    >>> _ = (folder / "hello_entry.py").write_text("def greet(run, params):\n    return 'hi ' + params['who']\n")
    >>> import json
    >>> frames = []
    >>> run_remote(Invocation.create(folder, "greet", {"who": "Ada"}), Credentials(), frames.append).result
    'hi Ada'
    >>> [json.loads(frame)["k"] for frame in frames]
    ['status', 'end']
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from types import FrameType
from typing import Any

from synapse_client.ray.jobs import JobStatus

from ..errors import ExecutionError, PluginError, RunStoppedError
from .events import FrameLogger, RunEnded
from .invocation import Invocation
from .joblog import MAX_RESULT_BYTES, end_line, frame_line
from .runfiles import Credentials, find_run_folder, read_run_files

__all__ = ["main", "run_remote", "stop_on_sigterm"]


def _qualified(kind: type[BaseException]) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _backend_logger(invocation: Invocation, credentials: Credentials) -> Any:
    from .api import make_logger

    return make_logger(
        job_id=invocation.job_id,
        host=credentials.host or "",
        token=credentials.token or "",
        tenant=credentials.tenant or "",
        console=False,
    )


def _outcome(invocation: Invocation, logger: Any, credentials: Credentials) -> RunEnded:
    from .local import execute

    base: dict[str, Any] = {"action": invocation.action, "job_id": invocation.job_id}
    try:
        result = execute(invocation, logger=logger, environ=credentials.environ())
    except RunStoppedError as exc:
        return RunEnded(JobStatus.STOPPED, error=exc.message, **base)
    except ExecutionError as exc:
        return RunEnded(JobStatus.FAILED, error=exc.message, error_type=exc.error_type, traceback=exc.traceback, **base)
    except PluginError as exc:  # the plugin did not load or validate here (a dependency missing on the node...)
        return RunEnded(JobStatus.FAILED, error=str(exc), error_type=_qualified(type(exc)), **base)
    return RunEnded(JobStatus.SUCCEEDED, result=result, **base)


def run_remote(
    invocation: Invocation,
    credentials: Credentials,
    write: Callable[[str], None],
    *,
    write_end: Callable[[str], None] | None = None,
    max_end_bytes: int | None = None,
    after_action: Callable[[], None] | None = None,
    result_in_end: bool = True,
) -> RunEnded:
    """Run an invocation, writing its event frames with ``write`` and ending with the end frame.

    Args:
        invocation: What to run.
        credentials: Backend credentials (for the backend logger) and the allowed environment values.
        write: Receives each event frame's JSON text, in order.
        write_end: Receives the end frame's text (default: ``write``).
        max_end_bytes: The largest end frame allowed; a bigger one (or a result that is not JSON) ends the run
            FAILED with a message saying so.
        after_action: Called once the action has ended (the job entrypoint stops turning SIGTERM into a stop).
        result_in_end: Put the result in the end frame (a Ray task returns it through Ray instead, so any
            picklable result works there).

    Returns:
        The final event (also written as the end frame).
    """
    from ..run.loggers import TeeLogger

    frames = FrameLogger(write)
    logger = TeeLogger(frames, _backend_logger(invocation, credentials))
    ended = _outcome(invocation, logger, credentials)
    if after_action is not None:
        after_action()
    sink = write_end or write
    try:
        text = frames.end_text(ended if result_in_end else replace(ended, result=None))
        if max_end_bytes is not None and len(text) > max_end_bytes:
            raise ValueError(
                f"the result is {len(text)} bytes as JSON, over the {max_end_bytes}-byte limit of a run's result: "
                "store it (a file, the platform's storage) and return a reference"
            )
    except (TypeError, ValueError) as exc:
        message = f"the result cannot be returned: {exc}"
        ended = RunEnded(JobStatus.FAILED, error=message, error_type=_qualified(type(exc)),
                         action=invocation.action, job_id=invocation.job_id)  # fmt: skip
        text = frames.end_text(ended)
    sink(text)
    return ended


@contextlib.contextmanager
def stop_on_sigterm(action: str) -> Iterator[None]:
    """Turn the first SIGTERM into a ``RunStoppedError`` raised in the running action (main thread only).

    Later SIGTERMs are ignored, so the stop path (logging, statuses, flushing) runs to its end.

    Args:
        action: The action's name, for the error.

    Yields:
        Nothing; the previous handler is restored afterwards.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise RunStoppedError("stopped (SIGTERM from Ray's stop)", action=action)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ignore_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job whose run package is named in ``argv``; return the exit code.

    Args:
        argv: ``[<run package name>]`` (default: ``sys.argv[1:]``).

    Returns:
        0 when the action succeeded, 1 otherwise (2 for a bad command line).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m synapse_plugins.execution.entrypoint <run package name>", file=sys.stderr)
        return 2
    files = read_run_files(find_run_folder(args[0]))
    marker = files.marker
    with stop_on_sigterm(files.invocation.action):
        ended = run_remote(
            files.invocation,
            files.credentials,
            lambda text: _print(frame_line(marker, text)),
            write_end=lambda text: _print(end_line(marker, text)),
            max_end_bytes=MAX_RESULT_BYTES,
            after_action=_ignore_sigterm,
        )
    return 0 if ended.status is JobStatus.SUCCEEDED else 1


if __name__ == "__main__":  # pragma: no cover - run by Ray as the job's entrypoint
    sys.exit(main())
