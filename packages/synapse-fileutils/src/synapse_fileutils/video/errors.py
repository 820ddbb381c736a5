"""Errors raised by the video utilities.

The tree, under the package's base error::

    FileUtilsError
     └── VideoTranscodeError
          ├── UnsupportedFormatError      the file extension is not a supported video container
          ├── FFmpegNotFoundError         ffmpeg or ffprobe is not installed (or not on PATH)
          ├── InvalidConfigError          a TranscodeConfig field is out of range (also a ValueError)
          ├── InputNotFoundError          the input file does not exist (also a FileNotFoundError)
          ├── VideoProbeError             ffprobe could not read the file, or it has no video stream
          └── TranscodingFailedError      ffmpeg exited with an error; carries its last stderr lines

Example:
    >>> from synapse_fileutils.video.errors import VideoTranscodeError, UnsupportedFormatError
    >>> issubclass(UnsupportedFormatError, VideoTranscodeError)
    True
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import FileUtilsError

__all__ = [
    "FFmpegNotFoundError",
    "InputNotFoundError",
    "InvalidConfigError",
    "TranscodingFailedError",
    "UnsupportedFormatError",
    "VideoProbeError",
    "VideoTranscodeError",
]


class VideoTranscodeError(FileUtilsError):
    """Base class of every error raised by the video utilities.

    Example:
        >>> isinstance(VideoTranscodeError("x"), FileUtilsError)
        True
    """


class UnsupportedFormatError(VideoTranscodeError):
    """The file's extension is not one of the supported video containers.

    Args:
        path: The offending path.
        message: What was attempted; a default naming the path and the supported formats is used when omitted.

    Attributes:
        path: The offending path.

    Example:
        >>> err = UnsupportedFormatError("clip.xyz")
        >>> err.path
        'clip.xyz'
    """

    def __init__(self, path: str | os.PathLike[str], message: str | None = None) -> None:
        self.path = os.fspath(path)
        super().__init__(message or f"unsupported video format: {self.path!r}")


class FFmpegNotFoundError(VideoTranscodeError):
    """The ``ffmpeg`` or ``ffprobe`` binary could not be found.

    Args:
        binary: The program that is missing (``"ffmpeg"`` or ``"ffprobe"``).
        message: Why it was not found.

    Attributes:
        binary: The program that is missing.

    Example:
        >>> FFmpegNotFoundError("ffprobe", "ffprobe not found on PATH").binary
        'ffprobe'
    """

    def __init__(self, binary: str, message: str) -> None:
        self.binary = binary
        super().__init__(message)


class InvalidConfigError(VideoTranscodeError, ValueError):
    """A transcode option is invalid (for example ``crf=99`` or ``resolution='big'``).

    It is also a :class:`ValueError`, so code that validates arguments the usual way catches it.

    Example:
        >>> issubclass(InvalidConfigError, ValueError)
        True
    """


class InputNotFoundError(VideoTranscodeError, FileNotFoundError):
    """The input video does not exist or is not a regular file.

    Args:
        path: The missing input.

    Attributes:
        path: The missing input.

    Example:
        >>> InputNotFoundError("missing.mp4").path
        'missing.mp4'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        super().__init__(f"input video not found: {self.path!r}")


def _format_tail(tail: Sequence[str]) -> str:
    return "".join(f"\n  {line}" for line in tail)


class VideoProbeError(VideoTranscodeError):
    """``ffprobe`` could not read the file, or the file has no video stream.

    Args:
        path: The probed file.
        reason: Why probing failed.
        returncode: ffprobe's exit code, or ``None`` if it exited cleanly.
        stderr_tail: ffprobe's last stderr lines (bounded, with URL credentials and query strings redacted).

    Attributes:
        path: The probed file.
        returncode: ffprobe's exit code, or ``None``.
        stderr_tail: ffprobe's last stderr lines.

    Example:
        >>> err = VideoProbeError("a.mp4", "no video stream")
        >>> str(err)
        "cannot probe 'a.mp4': no video stream"
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        returncode: int | None = None,
        stderr_tail: Sequence[str] = (),
    ) -> None:
        self.path = os.fspath(path)
        self.returncode = returncode
        self.stderr_tail = tuple(stderr_tail)
        super().__init__(f"cannot probe {self.path!r}: {reason}{_format_tail(self.stderr_tail)}")


class TranscodingFailedError(VideoTranscodeError):
    """``ffmpeg`` exited with an error; the output file was not created.

    Args:
        input_path: The input being transcoded.
        output_path: The output that was not written.
        returncode: ffmpeg's exit code (negative when it was killed by a signal).
        stderr_tail: ffmpeg's last stderr lines (bounded, with URL credentials and query strings redacted).

    Attributes:
        input_path: The input being transcoded.
        output_path: The output that was not written.
        returncode: ffmpeg's exit code.
        stderr_tail: ffmpeg's last stderr lines, oldest first.

    Example:
        >>> err = TranscodingFailedError("in.mp4", "out.mp4", 1, ["in.mp4: Invalid data found when processing input"])
        >>> err.returncode, err.stderr_tail[-1]
        (1, 'in.mp4: Invalid data found when processing input')
    """

    def __init__(
        self,
        input_path: str | os.PathLike[str],
        output_path: str | os.PathLike[str],
        returncode: int,
        stderr_tail: Sequence[str] = (),
    ) -> None:
        self.input_path = os.fspath(input_path)
        self.output_path = os.fspath(output_path)
        self.returncode = returncode
        self.stderr_tail = tuple(stderr_tail)
        super().__init__(
            f"ffmpeg failed to transcode {self.input_path!r} to {self.output_path!r} "
            f"(exit code {returncode}){_format_tail(self.stderr_tail)}"
        )
