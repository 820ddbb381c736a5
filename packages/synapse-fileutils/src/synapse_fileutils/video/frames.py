"""Cut clips and grab single frames (thumbnails) with ffmpeg; outputs appear only when complete.

Example:
    ```python
    extract_clip("match.mp4", "goal.mp4", start_time=95, duration=12, copy=True)
    extract_thumbnail("match.mp4", "poster.jpg", time=3.0, width=320)
    ```
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..progress import PercentCallback
from . import _ffmpeg
from ._ffmpeg import ProgressTracker
from ._job import run_to_file
from .binaries import find_ffmpeg
from .config import TranscodeConfig, _seconds
from .errors import InputNotFoundError, InvalidConfigError, UnsupportedFormatError
from .formats import MOVFLAGS_MUXERS, muxer_for
from .transcode import transcode_video

__all__ = ["THUMBNAIL_FORMATS", "extract_clip", "extract_thumbnail"]

#: Image extension -> ffmpeg encoder for :func:`extract_thumbnail`.
THUMBNAIL_FORMATS: dict[str, str] = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png", ".webp": "libwebp"}


def _check_time(name: str, value: float, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 or (allow_zero and value == 0)):
        raise InvalidConfigError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number of seconds")


def extract_clip(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    start_time: float,
    duration: float,
    config: TranscodeConfig | None = None,
    *,
    copy: bool = False,
    progress_callback: PercentCallback | None = None,
) -> Path:
    """Cut ``duration`` seconds starting at ``start_time`` into a new file.

    By default the clip is re-encoded with ``config`` (frame-accurate). With ``copy=True`` the streams are copied
    without re-encoding: much faster and lossless, but the cut snaps to the keyframe before ``start_time``.

    Args:
        input_path: The input video.
        output_path: The clip; its extension picks the container.
        start_time: Where the clip starts, in seconds.
        duration: Clip length, in seconds.
        config: Encoding options when re-encoding; its ``start_time``/``duration`` are replaced. Ignored with ``copy``.
        copy: Copy streams instead of re-encoding.
        progress_callback: As in :func:`~synapse_fileutils.video.transcode.transcode_video`.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        UnsupportedFormatError: If the input or output extension is not supported.
        InputNotFoundError: If the input does not exist.
        InvalidConfigError: If ``start_time`` or ``duration`` is invalid.
        FFmpegNotFoundError: If ffmpeg is missing.
        TranscodingFailedError: If ffmpeg fails or the range holds no frames.

    Example:
        ```python
        extract_clip("long_video.mp4", "clip.mp4", start_time=60.0, duration=30.0, copy=True)
        ```
    """
    _check_time("start_time", start_time, allow_zero=True)
    _check_time("duration", duration, allow_zero=False)
    if not copy:
        clip_config = dataclasses.replace(config or TranscodeConfig(), start_time=start_time, duration=duration)
        return transcode_video(input_path, output_path, clip_config, progress_callback)
    muxer_for(input_path)
    muxer = muxer_for(output_path)
    source, target = Path(input_path), Path(output_path)
    if not source.is_file():
        raise InputNotFoundError(input_path)
    ffmpeg = find_ffmpeg()
    target.parent.mkdir(parents=True, exist_ok=True)
    movflags = ["-movflags", "+faststart"] if muxer in MOVFLAGS_MUXERS else []

    def command(tmp: Path) -> list[str]:
        return [
            ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-nostats", "-progress", "pipe:1", "-stats_period", _ffmpeg.PROGRESS_PERIOD,
            "-ss", _seconds(start_time), *_ffmpeg.input_args(source), "-t", _seconds(duration),
            "-c", "copy", *movflags, "-f", muxer, _ffmpeg.file_url(tmp),
        ]  # fmt: skip

    return run_to_file(source, target, command, ProgressTracker(duration, progress_callback))


def extract_thumbnail(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    time: float = 0.0,
    width: int | None = None,
) -> Path:
    """Save the frame at ``time`` as an image (one frame is decoded, not the whole video).

    Args:
        input_path: The input video.
        output_path: The image: ``.jpg``, ``.jpeg``, ``.png`` or ``.webp``.
        time: Position of the frame, in seconds.
        width: Scale to this width in pixels, keeping the aspect ratio; ``None`` keeps the size.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        UnsupportedFormatError: If the input is not a supported video or the output is not a supported image type.
        InputNotFoundError: If the input does not exist.
        InvalidConfigError: If ``time`` or ``width`` is invalid.
        FFmpegNotFoundError: If ffmpeg is missing.
        TranscodingFailedError: If ffmpeg fails or ``time`` is past the end.

    Example:
        ```python
        extract_thumbnail("input.mp4", "poster.jpg", time=1.5, width=320)
        ```
    """
    muxer_for(input_path)
    target = Path(output_path)
    encoder = THUMBNAIL_FORMATS.get(target.suffix.lower())
    if encoder is None:
        raise UnsupportedFormatError(
            output_path, f"unsupported thumbnail format: {os.fspath(output_path)!r} (use .jpg, .png or .webp)"
        )
    _check_time("time", time, allow_zero=True)
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width <= 0):
        raise InvalidConfigError(f"width must be a positive number of pixels, got {width!r}")
    source = Path(input_path)
    if not source.is_file():
        raise InputNotFoundError(input_path)
    ffmpeg = find_ffmpeg()
    target.parent.mkdir(parents=True, exist_ok=True)
    scale = ["-vf", f"scale={width}:-2"] if width else []

    def command(tmp: Path) -> list[str]:
        return [
            ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats",
            "-ss", _seconds(time), *_ffmpeg.input_args(source),
            "-frames:v", "1", "-an", *scale, "-c:v", encoder, "-update", "1", "-f", "image2", _ffmpeg.file_url(tmp),
        ]  # fmt: skip

    return run_to_file(source, target, command, ProgressTracker(None, None))
