"""Supported video containers and the ffmpeg muxer that writes each one.

Example:
    >>> validate_video_format("holiday.MKV")
    True
    >>> muxer_for("clip.m4v")
    'mp4'
"""

from __future__ import annotations

import os
from pathlib import PurePath

from .errors import UnsupportedFormatError

__all__ = ["SUPPORTED_FORMATS", "muxer_for", "validate_video_format"]

#: Extension (lower case, without the dot) -> ffmpeg muxer. The muxer is passed with ``-f`` because ffmpeg writes to
#: a temp name whose extension it cannot guess from.
_MUXERS: dict[str, str] = {
    "mp4": "mp4",
    "m4v": "mp4",  # Apple's .m4v is MP4; ffmpeg's own "m4v" muxer would write raw MPEG-4 video
    "avi": "avi",
    "mov": "mov",
    "mkv": "matroska",
    "webm": "webm",
    "flv": "flv",
    "wmv": "asf",
    "mpeg": "mpeg",
    "mpg": "mpeg",
    "3gp": "3gp",
    "ogv": "ogg",
}

#: Extensions accepted as video input and output, lower case, with the dot (as in earlier Synapse SDK releases).
SUPPORTED_FORMATS: frozenset[str] = frozenset(f".{extension}" for extension in _MUXERS)

#: Muxers that understand ``-movflags`` (the ISO base media family).
MOVFLAGS_MUXERS: frozenset[str] = frozenset({"mp4", "mov", "3gp"})


def _extension(path: str | os.PathLike[str]) -> str:
    return PurePath(os.fspath(path)).suffix.lower().removeprefix(".")


def validate_video_format(video_path: str | os.PathLike[str]) -> bool:
    """Tell whether a path has the extension of a supported video container.

    Only the name is checked (case-insensitively); the file need not exist. Supported: mp4, m4v, avi, mov, mkv, webm,
    flv, wmv, mpeg, mpg, 3gp and ogv.

    Args:
        video_path: A file name or path.

    Returns:
        ``True`` if the extension is supported.

    Example:
        >>> validate_video_format("video.mp4"), validate_video_format("notes.txt")
        (True, False)
    """
    return _extension(video_path) in _MUXERS


def muxer_for(path: str | os.PathLike[str]) -> str:
    """Return the ffmpeg muxer name for a supported video path.

    Args:
        path: A file name or path with a supported extension.

    Returns:
        The muxer name to pass to ffmpeg's ``-f`` option.

    Raises:
        UnsupportedFormatError: If the extension is not supported.

    Example:
        >>> muxer_for("movie.mkv")
        'matroska'
    """
    try:
        return _MUXERS[_extension(path)]
    except KeyError:
        raise UnsupportedFormatError(
            path, f"unsupported video format: {os.fspath(path)!r} (supported: {', '.join(sorted(_MUXERS))})"
        ) from None
