"""Transcode many videos with a bounded number of ffmpeg processes at a time.

Example:
    ```python
    results = transcode_batch(["a.avi", "b.mov"], "output", max_workers=2)  # output/a_transcoded.mp4, ...
    failed = [r for r in results if not r.ok]
    ```
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from ._ffmpeg import ProcessRegistry
from .config import TranscodeConfig
from .transcode import _run_transcode

__all__ = ["BatchItem", "BatchResult", "transcode_batch"]

PathLike: TypeAlias = "str | os.PathLike[str]"
#: A path (with ``output_dir``), ``(input, output)``, or ``(input, output, config)`` to override the config.
BatchItem: TypeAlias = "PathLike | tuple[PathLike, PathLike] | tuple[PathLike, PathLike, TranscodeConfig | None]"


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one item of :func:`transcode_batch`.

    It is also path-like (``os.fspath(result)`` is the output path), so code written for earlier releases, which got
    a list of output paths back, keeps working for the items that succeeded.

    Attributes:
        index: Position of the item in the input.
        input_path: The item's input.
        output_path: The item's output (it exists only when ``error`` is ``None``).
        error: The exception that item raised, or ``None`` on success.

    Example:
        >>> import os
        >>> result = BatchResult(0, Path("a.avi"), Path("out/a_transcoded.mp4"))
        >>> result.ok, os.fspath(result)
        (True, 'out/a_transcoded.mp4')
    """

    index: int
    input_path: Path
    output_path: Path
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the item was transcoded.

        Returns:
            ``True`` when ``error`` is ``None``.
        """
        return self.error is None

    def __fspath__(self) -> str:
        return os.fspath(self.output_path)


def _jobs(
    video_paths: Iterable[BatchItem], output_dir: PathLike | None, config: TranscodeConfig | None
) -> list[tuple[Path, Path, TranscodeConfig | None]]:
    jobs: list[tuple[Path, Path, TranscodeConfig | None]] = []
    for item in video_paths:
        if isinstance(item, tuple):
            if len(item) not in (2, 3):
                raise ValueError(f"a batch item must be (input, output) or (input, output, config), got {item!r}")
            own = item[2] if len(item) == 3 else None
            jobs.append((Path(item[0]), Path(item[1]), own if own is not None else config))
        elif isinstance(item, (str, os.PathLike)):
            if output_dir is None:
                raise ValueError(f"output_dir is needed for a bare input path, got {item!r} without it")
            source = Path(item)
            jobs.append((source, Path(output_dir) / f"{source.stem}_transcoded.mp4", config))
        else:
            raise ValueError(f"a batch item must be a path or a tuple, got {item!r}")
    return jobs


def transcode_batch(
    video_paths: Iterable[BatchItem],
    output_dir: PathLike | None = None,
    config: TranscodeConfig | None = None,
    max_workers: int = 4,
    progress_callback: Callable[[int, float], object] | None = None,
) -> list[BatchResult]:
    """Transcode several videos, at most ``max_workers`` ffmpeg processes at a time.

    Called as in earlier releases, ``transcode_batch(paths, output_dir)`` writes ``<output_dir>/<stem>_transcoded.mp4``
    for each input. Items may also be ``(input, output)`` pairs or ``(input, output, config)`` triples.

    A failing item does not stop the others: its exception is returned in its :class:`BatchResult`, and its output
    is not created. If the caller is interrupted (``KeyboardInterrupt``), every running ffmpeg is killed, items not
    started are dropped, temp files are removed, and the interrupt propagates.

    Args:
        video_paths: Input paths (with ``output_dir``), ``(input, output)`` pairs, or ``(input, output, config)``
            triples.
        output_dir: Folder for the outputs of bare input paths (created if missing).
        config: Encoding options for items without their own; the :class:`TranscodeConfig` defaults when ``None``.
        max_workers: Most ffmpeg processes running at once (each uses several threads itself). At least 1.
        progress_callback: Called as ``progress_callback(index, percent)`` from worker threads, per item as in
            :func:`~synapse_fileutils.video.transcode.transcode_video`.

    Returns:
        One result per item, in input order.

    Raises:
        ValueError: If ``max_workers`` is less than 1, or an item is neither a path nor a pair or triple, or a bare
            path comes without ``output_dir``.

    Example:
        ```python
        for result in transcode_batch(["in1.avi", "in2.mkv"], "out", max_workers=2):
            print(result.input_path, "ok" if result.ok else result.error)
        results = transcode_batch(
            [("a.mov", "web/a.mp4"), ("b.avi", "web/b.webm", TranscodeConfig(vcodec="libvpx-vp9"))]
        )
        ```
    """
    from concurrent.futures import ThreadPoolExecutor

    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ValueError(f"max_workers must be an integer >= 1, got {max_workers!r}")
    jobs = _jobs(video_paths, output_dir, config)
    if not jobs:
        return []
    registry = ProcessRegistry()

    def work(index: int) -> BatchResult:
        source, target, item_config = jobs[index]
        callback = None if progress_callback is None else (lambda percent: progress_callback(index, percent))
        try:
            _run_transcode(source, target, item_config, callback, registry)
        except Exception as exc:  # reported per item, by design
            return BatchResult(index, source, target, exc)
        return BatchResult(index, source, target)

    executor = ThreadPoolExecutor(max_workers=min(max_workers, len(jobs)), thread_name_prefix="transcode")
    try:
        futures = [executor.submit(work, index) for index in range(len(jobs))]
        results = [future.result() for future in futures]
    except BaseException:
        registry.kill_all()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return results
