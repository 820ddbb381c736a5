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

__all__ = ["SUPPORTED_FORMATS", "demuxers_for", "muxer_for", "validate_video_format"]

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

#: Extension -> the ffmpeg demuxers allowed to open it (a ``-format_whitelist`` value). An input is opened only as
#: the container it claims: never as a playlist (hls, concat, dash, ...) that would read other files or hosts.
_DEMUXERS: dict[str, str] = {
    "mp4": "mov",  # ffmpeg's "mov,mp4,m4a,3gp,3g2,mj2" demuxer; external data references stay off (its default)
    "m4v": "mov",
    "mov": "mov",
    "3gp": "mov",
    "avi": "avi",
    "mkv": "matroska",  # "matroska,webm"
    "webm": "matroska",
    "flv": "flv",
    "wmv": "asf",
    "mpeg": "mpeg,mpegts",  # .mpg files are program streams, and now and then transport streams
    "mpg": "mpeg,mpegts",
    "ogv": "ogg",
}
#: What a file with another extension may be opened as: any supported video container.
_ANY_VIDEO_DEMUXER = ",".join(sorted({name for names in _DEMUXERS.values() for name in names.split(",")}))

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


def demuxers_for(path: str | os.PathLike[str]) -> str:
    """Return the ffmpeg demuxers allowed to open a path, as a ``-format_whitelist`` value.

    A supported extension allows only its own container; any other extension (``.m4a``, none) allows the supported
    video containers, recognised by content. Playlist and list demuxers (hls, concat, dash, image sequences) are
    never allowed.

    Args:
        path: A file name or path.

    Returns:
        Comma-separated demuxer names.

    Example:
        >>> demuxers_for("clip.MP4"), demuxers_for("clip.webm")
        ('mov', 'matroska')
        >>> demuxers_for("upload.bin")
        'asf,avi,flv,matroska,mov,mpeg,mpegts,ogg'
    """
    return _DEMUXERS.get(_extension(path), _ANY_VIDEO_DEMUXER)
