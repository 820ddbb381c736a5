"""Read a video's metadata with ``ffprobe`` (JSON output, parsed without ``eval``), or from ffmpeg without one.

With no ``ffprobe`` installed (the FFmpeg of the ``video`` extra has none), the same fields come from ffmpeg's own
summary of the input (:mod:`._summary`), rounded as ffmpeg prints them.

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

from . import _ffmpeg, _summary
from .binaries import find_ffmpeg, find_ffprobe
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
    """Build the command that :func:`get_video_info` runs: ffprobe, or ffmpeg when there is no ffprobe.

    Args:
        path: The video file.

    Returns:
        The argv list, binary first.

    Raises:
        FFmpegNotFoundError: If neither ffprobe nor ffmpeg is found.
    """
    return _command(path)[0]


def _command(path: str | os.PathLike[str]) -> tuple[list[str], bool]:
    """The probe's argv, and whether it is ffprobe's (JSON on stdout) or ffmpeg's (a summary on stderr)."""
    ffprobe = find_ffprobe()
    if ffprobe is None:
        # ffmpeg with an input and no output prints the input's summary, then exits (with status 1).
        return [find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "info", *_ffmpeg.input_args(path)], False
    return [
        ffprobe,
        "-hide_banner",
        "-loglevel", "error",
        "-print_format", "json",
        "-show_format",
        "-show_streams",
        *_ffmpeg.input_args(path),
    ], True  # fmt: skip


def _check_input(path: str | os.PathLike[str]) -> Path:
    source = Path(path)
    if not source.is_file():
        raise InputNotFoundError(path)
    return source


def _parse_summary(path: Path, returncode: int, tail: list[str], stderr: bytes) -> VideoInfo:
    summary = _summary.parse_summary(stderr, _ffmpeg.file_url(path))
    if summary is None:
        raise VideoProbeError(path, "ffmpeg could not read the file", returncode, tail)
    videos = [s for s in summary.streams if s.kind == "video" and not s.attached_pic]
    audios = [s for s in summary.streams if s.kind == "audio"]
    if not videos:
        raise VideoProbeError(path, "no video stream", None, tail)
    video = videos[0]
    return VideoInfo(
        duration=summary.duration,
        width=video.width,
        height=video.height,
        video_codec=video.codec,
        audio_codec=audios[0].codec if audios else None,
        fps=video.fps,
        bitrate=summary.bitrate,
        size=path.stat().st_size,
        format_name=summary.format_name,
        has_audio=bool(audios),
        channels=audios[0].channels if audios else None,
        sample_rate=audios[0].sample_rate if audios else None,
    )


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


def _result(source: Path, ffprobe: bool, returncode: int, stdout: bytes, stderr: _ffmpeg.StderrTail) -> VideoInfo:
    tail = stderr.lines()
    if ffprobe:
        return _parse(source, returncode, tail, stdout)
    return _parse_summary(source, returncode, tail, bytes(stderr.head))


def get_video_info(video_path: str | os.PathLike[str]) -> VideoInfo:
    """Return a video's duration, size, codecs, frame rate and bit rate.

    The file is opened only as the container its extension claims (a supported extension), or as any supported video
    container recognised by its content (another extension); never as a playlist that would read other files. Without
    ``ffprobe`` the fields come from ffmpeg's summary of the input: the duration rounded to 10 ms, the bit rate to
    1 kbit/s and the frame rate to two decimals.

    Args:
        video_path: A local video file.

    Returns:
        A :class:`VideoInfo` dict with the keys ``duration``, ``width``, ``height``, ``video_codec``,
        ``audio_codec``, ``fps``, ``bitrate``, ``size``, ``format_name``, ``has_audio``, ``channels`` and
        ``sample_rate``.

    Raises:
        InputNotFoundError: If ``video_path`` is not an existing file.
        FFmpegNotFoundError: If neither ffprobe nor ffmpeg is found.
        VideoProbeError: If the file cannot be read as the container it claims, or it has no video stream.

    Example:
        ```python
        info = get_video_info("input.mp4")
        print(f"{info['width']}x{info['height']} {info['video_codec']} {info['fps']} fps, {info['duration']} s")
        ```
    """
    source = _check_input(video_path)
    argv, ffprobe = _command(source)
    stderr = _ffmpeg.StderrTail(head_bytes=0 if ffprobe else _summary.SUMMARY_LIMIT)
    returncode, _, stdout = _ffmpeg.run(argv, stderr=stderr)
    return _result(source, ffprobe, returncode, stdout, stderr)


async def aget_video_info(video_path: str | os.PathLike[str]) -> VideoInfo:
    """Async twin of :func:`get_video_info`: ffprobe runs as an asyncio subprocess.

    Args:
        video_path: A local video file.

    Returns:
        The same dict as :func:`get_video_info`.

    Raises:
        InputNotFoundError: If ``video_path`` is not an existing file.
        FFmpegNotFoundError: If neither ffprobe nor ffmpeg is found.
        VideoProbeError: If the file cannot be read as the container it claims, or it has no video stream.

    Example:
        ```python
        info = await aget_video_info("input.mp4")
        ```
    """
    source = _check_input(video_path)
    argv, ffprobe = _command(source)
    stderr = _ffmpeg.StderrTail(head_bytes=0 if ffprobe else _summary.SUMMARY_LIMIT)
    returncode, _, stdout = await _ffmpeg.arun(argv, stderr=stderr)
    return _result(source, ffprobe, returncode, stdout, stderr)
