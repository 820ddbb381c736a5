"""Read a video's metadata with ``ffprobe`` (JSON output, parsed without ``eval``).

Example:
    >>> parse_frame_rate("30000/1001")
    29.97002997002997
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, TypedDict

from . import _ffmpeg
from .errors import InputNotFoundError, VideoProbeError

__all__ = ["VideoInfo", "aget_video_info", "get_video_info", "parse_frame_rate", "probe_command"]


class VideoInfo(TypedDict):
    """Metadata returned by :func:`get_video_info` (a plain ``dict`` at run time).

    Attributes:
        duration: Length in seconds, or ``None`` if the container does not say.
        width: Width of the first video stream, in pixels.
        height: Height of the first video stream, in pixels.
        video_codec: Codec name of the first video stream (``"h264"``, ``"vp9"``, ...).
        audio_codec: Codec name of the first audio stream, or ``None`` when there is no audio.
        fps: Average frame rate in frames per second, or ``None`` if unknown.
        bitrate: Overall bit rate in bits per second, or ``None`` if unknown.
        size: File size in bytes.
        format_name: ffprobe's container name (``"mov,mp4,m4a,3gp,3g2,mj2"``, ``"matroska,webm"``, ...).
        has_audio: Whether the file has an audio stream.
        channels: Audio channels of the first audio stream, or ``None`` without audio.
        sample_rate: Audio sample rate in Hz of the first audio stream, or ``None`` without audio.
    """

    duration: float | None
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    fps: float | None
    bitrate: int | None
    size: int
    format_name: str | None
    has_audio: bool
    channels: int | None
    sample_rate: int | None


def parse_frame_rate(value: str | None) -> float | None:
    """Parse an ffprobe frame rate such as ``"30000/1001"`` or ``"25"`` (no ``eval``).

    Args:
        value: The rate as ffprobe prints it.

    Returns:
        Frames per second, or ``None`` for missing, zero (``"0/0"``) or malformed values.

    Example:
        >>> parse_frame_rate("25/1"), parse_frame_rate("0/0"), parse_frame_rate("__import__('os')")
        (25.0, None, None)
    """
    if not value:
        return None
    numerator, _, denominator = value.partition("/")
    try:
        rate = float(numerator) / float(denominator or "1")
    except (ValueError, ZeroDivisionError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def probe_command(path: str | os.PathLike[str]) -> list[str]:
    """Build the ffprobe command that :func:`get_video_info` runs.

    Args:
        path: The video file.

    Returns:
        The argv list, binary first.

    Raises:
        FFmpegNotFoundError: If ffprobe is missing.
    """
    return [
        _ffmpeg.find_binary("ffprobe"),
        "-hide_banner",
        "-loglevel", "error",
        "-print_format", "json",
        "-show_format",
        "-show_streams",
        _ffmpeg.file_url(path),
    ]  # fmt: skip


def _check_input(path: str | os.PathLike[str]) -> Path:
    source = Path(path)
    if not source.is_file():
        raise InputNotFoundError(path)
    return source


def _parse(path: Path, returncode: int, tail: list[str], stdout: bytes) -> VideoInfo:
    if returncode != 0:
        raise VideoProbeError(path, "ffprobe failed", returncode, tail)
    try:
        data = json.loads(stdout)
    except ValueError:
        raise VideoProbeError(path, "ffprobe printed invalid JSON", None, tail) from None
    streams: list[dict[str, Any]] = data.get("streams") or []
    fmt: dict[str, Any] = data.get("format") or {}
    # Cover art in MP4/MKV is a one-frame "video" stream flagged attached_pic; it is not the video.
    videos = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        raise VideoProbeError(path, "no video stream", None, tail)
    video = videos[0]
    duration = _number(fmt.get("duration"), float)
    if duration is None:
        duration = _number(video.get("duration"), float)
    size = _number(fmt.get("size"), int)
    return VideoInfo(
        duration=duration,
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        video_codec=str(video.get("codec_name") or "unknown"),
        audio_codec=str(audios[0].get("codec_name") or "unknown") if audios else None,
        fps=parse_frame_rate(video.get("avg_frame_rate")) or parse_frame_rate(video.get("r_frame_rate")),
        bitrate=_number(fmt.get("bit_rate"), int),
        size=size if size is not None else path.stat().st_size,
        format_name=fmt.get("format_name"),
        has_audio=bool(audios),
        channels=_number(audios[0].get("channels"), int) if audios else None,
        sample_rate=_number(audios[0].get("sample_rate"), int) if audios else None,
    )


def get_video_info(video_path: str | os.PathLike[str]) -> VideoInfo:
    """Return a video's duration, size, codecs, frame rate and bit rate.

    The container is recognised by its content, not its extension.

    Args:
        video_path: A local video file.

    Returns:
        A :class:`VideoInfo` dict with the keys ``duration``, ``width``, ``height``, ``video_codec``,
        ``audio_codec``, ``fps``, ``bitrate``, ``size``, ``format_name``, ``has_audio``, ``channels`` and
        ``sample_rate``.

    Raises:
        InputNotFoundError: If ``video_path`` is not an existing file.
        FFmpegNotFoundError: If ffprobe is missing.
        VideoProbeError: If ffprobe cannot read the file or it has no video stream.

    Example:
        ```python
        info = get_video_info("input.mp4")
        print(f"{info['width']}x{info['height']} {info['video_codec']} {info['fps']} fps, {info['duration']} s")
        ```
    """
    source = _check_input(video_path)
    returncode, tail, stdout = _ffmpeg.run(probe_command(source))
    return _parse(source, returncode, tail, stdout)


async def aget_video_info(video_path: str | os.PathLike[str]) -> VideoInfo:
    """Async twin of :func:`get_video_info`: ffprobe runs as an asyncio subprocess.

    Args:
        video_path: A local video file.

    Returns:
        The same dict as :func:`get_video_info`.

    Raises:
        InputNotFoundError: If ``video_path`` is not an existing file.
        FFmpegNotFoundError: If ffprobe is missing.
        VideoProbeError: If ffprobe cannot read the file or it has no video stream.

    Example:
        ```python
        info = await aget_video_info("input.mp4")
        ```
    """
    source = _check_input(video_path)
    returncode, tail, stdout = await _ffmpeg.arun(probe_command(source))
    return _parse(source, returncode, tail, stdout)
