"""Find the FFmpeg programs the video utilities run: the system's first, else the one the ``video`` extra installs.

``ffmpeg`` is looked up at every call, in this order:

1. ``SYNAPSE_FFMPEG_BINARY``, a path or a command name (an error if it names no executable);
2. ``ffmpeg`` on ``PATH`` (the system FFmpeg, e.g. ``apt-get install ffmpeg``);
3. the binary inside the ``imageio-ffmpeg`` wheel, which ``pip install "synapse-fileutils[video]"`` installs.

``ffprobe`` comes from ``SYNAPSE_FFPROBE_BINARY`` or ``PATH``. The wheel ships no ``ffprobe``; without one,
:func:`~synapse_fileutils.video.get_video_info` reads ffmpeg's own summary of the input instead. Nothing is ever
downloaded at run time.

Example:
    ```python
    import subprocess

    from synapse_fileutils.video import find_ffmpeg

    subprocess.run([find_ffmpeg(), "-version"], check=True)
    ```
"""

from __future__ import annotations

import os
import shutil

from .errors import FFmpegNotFoundError

__all__ = ["BINARY_ENV", "find_ffmpeg", "find_ffprobe"]

#: Environment variables that name a specific binary instead of the one found on PATH.
BINARY_ENV = {"ffmpeg": "SYNAPSE_FFMPEG_BINARY", "ffprobe": "SYNAPSE_FFPROBE_BINARY"}


def _override(name: str) -> str | None:
    variable = BINARY_ENV[name]
    value = os.environ.get(variable)
    if not value:
        return None
    found = shutil.which(value)
    if found is None:
        raise FFmpegNotFoundError(name, f"{variable}={value!r} is not an executable {name}")
    return found


def _from_wheel() -> str | None:
    try:
        import imageio_ffmpeg  # the `video` extra; imported only when no system FFmpeg is found
    except ImportError:
        return None
    try:
        exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # the wheel has no binary for this platform
        return None
    return shutil.which(exe)


def find_ffmpeg() -> str:
    """Return the path of the ``ffmpeg`` executable the video utilities run.

    The system FFmpeg wins: ``SYNAPSE_FFMPEG_BINARY``, then ``ffmpeg`` on ``PATH``, then the binary of the
    ``imageio-ffmpeg`` wheel that the ``video`` extra installs. Use it to run ffmpeg yourself with the same binary.

    Returns:
        An absolute path to an executable.

    Raises:
        FFmpegNotFoundError: If ``SYNAPSE_FFMPEG_BINARY`` names no executable, or no FFmpeg is installed.

    Example:
        ```python
        argv = [find_ffmpeg(), "-hide_banner", "-version"]
        ```
    """
    found = _override("ffmpeg") or shutil.which("ffmpeg") or _from_wheel()
    if found is None:
        raise FFmpegNotFoundError(
            "ffmpeg",
            'ffmpeg not found: pip install "synapse-fileutils[video]" (an FFmpeg from PyPI), install the system '
            "FFmpeg (e.g. `apt-get install ffmpeg`), or set SYNAPSE_FFMPEG_BINARY",
        )
    return os.path.abspath(found)


def find_ffprobe() -> str | None:
    """Return the path of ``ffprobe``, or ``None`` when there is none (probing then asks ffmpeg itself).

    Looked up in ``SYNAPSE_FFPROBE_BINARY``, then on ``PATH``.

    Returns:
        An absolute path to an executable, or ``None``.

    Raises:
        FFmpegNotFoundError: If ``SYNAPSE_FFPROBE_BINARY`` names no executable.

    Example:
        ```python
        if find_ffprobe() is None:
            print("get_video_info reads ffmpeg's summary of the input")
        ```
    """
    found = _override("ffprobe") or shutil.which("ffprobe")
    return os.path.abspath(found) if found is not None else None
