"""Transcode videos with the ffmpeg binary: one call, typed errors, progress, and an output that appears only whole.

This is the module path earlier Synapse SDK releases documented (``synapse_sdk.utils.file.video.transcode``), so it
also re-exports the format check, the probe, the config and the errors.

ffmpeg writes to a hidden temp file beside the output; the file is fsynced and renamed onto the output only when
ffmpeg succeeded. On failure, interruption (Ctrl-C) or cancellation ffmpeg is killed and the temp file removed.

Example:
    ```python
    from synapse_fileutils.video.transcode import TranscodeConfig, transcode_video

    transcode_video("input.avi", "output.mp4")
    transcode_video("input.mkv", "clip.mp4", TranscodeConfig(start_time=10, duration=60, resolution="1280x720"))
    ```
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from ..progress import PercentCallback
from . import _ffmpeg
from ._ffmpeg import ProcessRegistry, ProgressTracker
from ._job import arun_to_file, run_to_file
from .binaries import find_ffmpeg
from .config import TranscodeConfig
from .errors import (
    FFmpegNotFoundError,
    InputNotFoundError,
    InvalidConfigError,
    TranscodingFailedError,
    UnsupportedFormatError,
    VideoProbeError,
    VideoTranscodeError,
)
from .formats import SUPPORTED_FORMATS, muxer_for, validate_video_format
from .probe import VideoInfo, aget_video_info, get_video_info

__all__ = [
    "SUPPORTED_FORMATS",
    "FFmpegNotFoundError",
    "InputNotFoundError",
    "InvalidConfigError",
    "PercentCallback",
    "TranscodeConfig",
    "TranscodingFailedError",
    "UnsupportedFormatError",
    "VideoInfo",
    "VideoProbeError",
    "VideoTranscodeError",
    "atranscode_video",
    "build_transcode_command",
    "get_video_info",
    "optimize_for_web",
    "transcode_video",
    "validate_video_format",
    "web_config",
]


def web_config() -> TranscodeConfig:
    """Return the settings :func:`optimize_for_web` uses, as a new config you may adjust.

    Fast preset, CRF 23, the MP4 index at the front, and pixels every browser decodes.

    Returns:
        A fresh :class:`TranscodeConfig`.

    Example:
        >>> web_config().crf, web_config().pix_fmt
        (23, 'yuv420p')
    """
    return TranscodeConfig(preset="fast", crf=23, movflags="+faststart", pix_fmt="yuv420p")


def _ffmpeg_command(
    ffmpeg: str, source: str | os.PathLike[str], target: str | os.PathLike[str], *, muxer: str, config: TranscodeConfig
) -> list[str]:
    return [
        ffmpeg,
        "-hide_banner", "-nostdin", "-y",
        "-loglevel", "error",
        "-nostats", "-progress", "pipe:1", "-stats_period", _ffmpeg.PROGRESS_PERIOD,
        *config.input_args(),
        *_ffmpeg.input_args(source),
        *config.output_args(muxer),
        "-f", muxer,
        _ffmpeg.file_url(target),
    ]  # fmt: skip


def build_transcode_command(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    config: TranscodeConfig | None = None,
) -> list[str]:
    """Return the exact ffmpeg argv :func:`transcode_video` runs (except that it writes to a temp name first).

    Useful for logging, or to run the same transcode elsewhere.

    Args:
        input_path: The input video.
        output_path: The output video; its extension picks the container.
        config: Encoding options; the defaults of :class:`TranscodeConfig` when ``None``.

    Returns:
        The argv list, ffmpeg's path first. Files are given as ``file:`` URLs so names are never read as options or
        protocols, and the input may be opened only as the container its extension claims, from local files only.

    Raises:
        UnsupportedFormatError: If either extension is not a supported container.
        FFmpegNotFoundError: If ffmpeg is missing.
        InvalidConfigError: If a config field is invalid.

    Example:
        ```python
        argv = build_transcode_command("in.mov", "out.mp4", TranscodeConfig(crf=20))
        subprocess.run(argv, check=True)
        ```
    """
    muxer_for(input_path)
    muxer = muxer_for(output_path)
    return _ffmpeg_command(find_ffmpeg(), input_path, output_path, muxer=muxer, config=config or TranscodeConfig())


def _expected_seconds(config: TranscodeConfig, info: VideoInfo | None) -> float | None:
    """Output duration for progress: what is left after ``start_time``, capped by ``duration``."""
    length = info["duration"] if info is not None else None
    if length is not None:
        length = max(0.0, length - (config.start_time or 0.0))
    if config.duration is not None:
        length = config.duration if length is None else min(length, config.duration)
    return length


def _prepare(
    input_path: str | os.PathLike[str], output_path: str | os.PathLike[str], config: TranscodeConfig | None
) -> tuple[str, Path, Path, str, TranscodeConfig]:
    config = config or TranscodeConfig()
    config.validate()
    muxer_for(input_path)  # the documented check: unsupported input extensions fail before anything runs
    muxer = muxer_for(output_path)
    source = Path(input_path)
    if not source.is_file():
        raise InputNotFoundError(input_path)
    ffmpeg = find_ffmpeg()
    target = Path(output_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return ffmpeg, source, target, muxer, config


def _run_transcode(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    config: TranscodeConfig | None,
    progress_callback: PercentCallback | None,
    registry: ProcessRegistry | None,
) -> Path:
    ffmpeg, source, target, muxer, config = _prepare(input_path, output_path, config)

    def total_probe() -> float | None:
        try:
            return _expected_seconds(config, get_video_info(source))
        except VideoTranscodeError:  # unreadable input: ffmpeg itself reports the real error
            return None

    tracker = ProgressTracker(_expected_seconds(config, None), progress_callback)
    command = partial(_ffmpeg_command, ffmpeg, source, muxer=muxer, config=config)
    return run_to_file(source, target, command, tracker, registry=registry, total_probe=total_probe)


def transcode_video(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    config: TranscodeConfig | None = None,
    progress_callback: PercentCallback | None = None,
) -> Path:
    """Transcode a video with ffmpeg.

    The output container comes from ``output_path``'s extension. Audio is re-encoded and kept, also when the video
    is scaled. The output appears only when ffmpeg succeeded: ffmpeg writes a hidden temp file in the same folder,
    which is fsynced and renamed onto ``output_path`` (replacing an existing file). If ffmpeg fails, the callback
    raises, or the caller is interrupted (``KeyboardInterrupt``), ffmpeg is killed and the temp file removed.
    Missing parent folders of ``output_path`` are created.

    Args:
        input_path: The input video (a local file with a supported extension).
        output_path: Where to write the result; mp4, m4v, avi, mov, mkv, webm, flv, wmv, mpeg, mpg, 3gp or ogv.
        config: Encoding options; the defaults of :class:`TranscodeConfig` when ``None``.
        progress_callback: Called with the progress in percent (a float), strictly increasing, and a last time with
            exactly ``100.0`` once the output is in place. Runs in the calling thread; an exception it raises stops
            the transcode and propagates.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        UnsupportedFormatError: If the input or output extension is not supported.
        InputNotFoundError: If the input does not exist.
        FFmpegNotFoundError: If ffmpeg is missing.
        InvalidConfigError: If a config field is invalid.
        TranscodingFailedError: If ffmpeg fails; ``stderr_tail`` holds its last error lines.

    Example:
        ```python
        def show(percent: float) -> None:
            print(f"{percent:.1f}%")


        transcode_video("input.mp4", "output.mp4", TranscodeConfig(preset="fast", crf=20), progress_callback=show)
        ```
    """
    return _run_transcode(input_path, output_path, config, progress_callback, None)


async def atranscode_video(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    config: TranscodeConfig | None = None,
    progress_callback: PercentCallback | None = None,
) -> Path:
    """Transcode a video without blocking the event loop (ffmpeg runs as an asyncio subprocess).

    Behaves like :func:`transcode_video`. Cancelling the task kills ffmpeg, waits for it to exit and removes the
    temp file before the :class:`asyncio.CancelledError` propagates.

    Args:
        input_path: The input video (a local file with a supported extension).
        output_path: Where to write the result; its extension picks the container.
        config: Encoding options; the defaults of :class:`TranscodeConfig` when ``None``.
        progress_callback: Called on the event loop with strictly increasing percentages, then ``100.0``.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        UnsupportedFormatError: If the input or output extension is not supported.
        InputNotFoundError: If the input does not exist.
        FFmpegNotFoundError: If ffmpeg is missing.
        InvalidConfigError: If a config field is invalid.
        TranscodingFailedError: If ffmpeg fails.

    Example:
        ```python
        import asyncio

        asyncio.run(atranscode_video("input.mov", "output.mp4"))
        ```
    """
    ffmpeg, source, target, muxer, config = _prepare(input_path, output_path, config)

    async def total_probe() -> float | None:
        try:
            return _expected_seconds(config, await aget_video_info(source))
        except VideoTranscodeError:
            return None

    tracker = ProgressTracker(_expected_seconds(config, None), progress_callback)
    command = partial(_ffmpeg_command, ffmpeg, source, muxer=muxer, config=config)
    return await arun_to_file(source, target, command, tracker, total_probe=total_probe)


def optimize_for_web(
    video_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    progress_callback: PercentCallback | None = None,
) -> Path:
    """Transcode for web playback with :func:`web_config`.

    H.264 with the ``fast`` preset and CRF 23, AAC audio at 128 kbit/s, ``yuv420p`` pixels (which every browser
    decodes) and the MP4 index at the front (``+faststart``) so playback starts while the file downloads.

    Args:
        video_path: The input video.
        output_path: The output, normally an ``.mp4``.
        progress_callback: As in :func:`transcode_video`.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        UnsupportedFormatError: If the input or output extension is not supported.
        InputNotFoundError: If the input does not exist.
        FFmpegNotFoundError: If ffmpeg is missing.
        TranscodingFailedError: If ffmpeg fails.

    Example:
        ```python
        optimize_for_web("input.mov", "web_output.mp4")
        ```
    """
    return transcode_video(video_path, output_path, web_config(), progress_callback)
