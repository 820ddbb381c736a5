"""Run one ffmpeg command that writes one file, atomically: the output appears only if ffmpeg succeeded."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from .._atomic import atomic_path
from . import _ffmpeg
from ._ffmpeg import ProcessRegistry, ProgressTracker
from .errors import TranscodingFailedError

#: Builds the argv for a given temp output path.
CommandFor = Callable[[Path], list[str]]
#: Seconds to wait, after ffmpeg finished, for a probe still computing the expected duration.
PROBE_GRACE = 10.0


def _check_result(source: Path, target: Path, tmp: Path, returncode: int, tail: list[str]) -> None:
    if returncode != 0:
        raise TranscodingFailedError(source, target, returncode, tail)
    if not tmp.exists() or tmp.stat().st_size == 0:
        raise TranscodingFailedError(source, target, returncode, [*tail, "ffmpeg exited without writing any output"])


def run_to_file(
    source: Path,
    target: Path,
    command_for: CommandFor,
    tracker: ProgressTracker,
    *,
    registry: ProcessRegistry | None = None,
    total_probe: Callable[[], float | None] | None = None,
) -> Path:
    """Run ffmpeg into a temp file beside ``target`` and rename it onto ``target`` on success.

    ``total_probe`` (ffprobe) runs in a thread beside ffmpeg, so finding the expected duration for progress adds no
    wall time; the callback still runs only in this thread.
    """
    import threading

    def probe_total(probe: Callable[[], float | None]) -> None:
        try:
            tracker.set_total(probe())
        except Exception:  # best effort: without a duration, progress jumps to 100 at the end
            return

    probe = None
    if total_probe is not None and tracker.reports:
        probe = threading.Thread(target=probe_total, args=(total_probe,), name="ffprobe", daemon=True)
        probe.start()
    with atomic_path(target, suffix=target.suffix) as tmp:
        returncode, tail, _ = _ffmpeg.run(command_for(tmp), progress=tracker, registry=registry)
        _check_result(source, target, tmp, returncode, tail)
        if probe is not None:
            probe.join(PROBE_GRACE)
            tracker.flush()
    tracker.finish()
    return target


async def arun_to_file(
    source: Path,
    target: Path,
    command_for: CommandFor,
    tracker: ProgressTracker,
    *,
    total_probe: Callable[[], Awaitable[float | None]] | None = None,
) -> Path:
    """Async twin of :func:`run_to_file`; cancellation kills ffmpeg (and the probe) and removes the temp file."""
    import asyncio

    async def probe_total(probe: Callable[[], Awaitable[float | None]]) -> None:
        try:
            tracker.set_total(await probe())
        except Exception:  # best effort, as in run_to_file
            return

    probe = None
    if total_probe is not None and tracker.reports:
        probe = asyncio.ensure_future(probe_total(total_probe))
    try:
        with atomic_path(target, suffix=target.suffix) as tmp:
            returncode, tail, _ = await _ffmpeg.arun(command_for(tmp), progress=tracker)
            _check_result(source, target, tmp, returncode, tail)
            if probe is not None:
                await asyncio.wait([probe], timeout=PROBE_GRACE)
                tracker.flush()
            await asyncio.to_thread(_fsync, tmp)  # the slow flush off the loop; the rename's own fsync is then quick
    finally:
        if probe is not None and not probe.done():
            probe.cancel()
    tracker.finish()
    return target


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())
