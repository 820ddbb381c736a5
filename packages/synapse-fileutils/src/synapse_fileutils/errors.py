"""Errors raised by synapse-fileutils.

Every error derives from one base class, so ``except FileUtilsError`` catches anything this package raises on purpose::

    FileUtilsError
     ├── ArchiveError                 archive / unarchive failed (.path)
     │    ├── UnsafeArchiveError      a member would escape the target or is not a plain file (.member, .reason)
     │    └── ArchiveLimitError       a safety limit was exceeded (.limit, .value, .maximum, .member)
     ├── EncodingError                convert_file_to_base64 failed (also a ValueError)
     │    └── UnknownMimeTypeError    no MIME type from the name or the content (.path)
     ├── FileFormatError              a JSON/YAML file is malformed (.path, .line, .column; also a ValueError)
     ├── DownloadError                a download failed (.url redacted, .status, .attempts, .reason)   [download]
     │    ├── ChecksumMismatchError   the content does not match the expected checksum
     │    ├── DownloadInProgressError another call kept the same target locked too long (.waited)
     │    └── DownloadTooLargeError   the file is larger than max_size (.max_size)
     ├── StorageError                 a storage provider failed                                        [storage]
     │    ├── StorageConfigError      unknown provider or bad configuration (also a ValueError)
     │    │    └── MissingExtraError  the provider's extra is not installed (also an ImportError)
     │    ├── PathEscapeError         a path would leave the storage root (also a ValueError)
     │    ├── StorageNotFoundError    no such object (also a FileNotFoundError)
     │    ├── StorageUnsupportedError the provider cannot do this (also a NotImplementedError)
     │    └── StorageOperationError   the backend refused or failed (also an OSError)
     └── VideoTranscodeError          ffmpeg/ffprobe work failed                                       [video]
          ├── UnsupportedFormatError  the file extension is not a supported video format
          ├── FFmpegNotFoundError     the ffmpeg or ffprobe binary is missing
          ├── InvalidConfigError      a TranscodeConfig value is out of range (also a ValueError)
          ├── InputNotFoundError      the input file does not exist (also a FileNotFoundError)
          ├── VideoProbeError         ffprobe failed or found no video stream
          └── TranscodingFailedError  ffmpeg failed (.returncode, .stderr_tail)

    The download, storage and video families are defined next to the code that raises them
    (``synapse_fileutils.download.errors``, ``synapse_fileutils.storage.errors``, ``synapse_fileutils.video.errors``)
    and re-exported from the package root.

Errors carry the data a caller needs to react (a path, an offset, a status) as attributes, and never contain secrets
such as tokens or presigned query strings.

Example:
    >>> from synapse_fileutils.errors import FileUtilsError, UnsafeArchiveError
    >>> issubclass(UnsafeArchiveError, FileUtilsError)
    True
"""

from __future__ import annotations

import os

__all__ = [
    "ArchiveError",
    "ArchiveLimitError",
    "EncodingError",
    "FileFormatError",
    "FileUtilsError",
    "UnknownMimeTypeError",
    "UnsafeArchiveError",
]


class FileUtilsError(Exception):
    """Base class of every error raised by synapse-fileutils.

    Example:
        >>> try:
        ...     raise FileUtilsError("something failed")
        ... except FileUtilsError as exc:
        ...     print(exc)
        something failed
    """


class ArchiveError(FileUtilsError):
    """Creating or extracting an archive failed; the target was left as it was.

    Args:
        message: What was attempted and why it failed.
        path: The archive file concerned, if known.

    Attributes:
        path: The archive file concerned, or ``None``.

    Example:
        >>> err = ArchiveError("not a zip or tar archive", path="data.bin")
        >>> err.path
        'data.bin'
    """

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None


class UnsafeArchiveError(ArchiveError):
    """An archive member would be written outside the target, or is a link, device or fifo that is not allowed.

    Args:
        member: The member name as stored in the archive.
        reason: Why the member was refused (for example ``"absolute path"``).
        path: The archive file concerned, if known.

    Attributes:
        member: The member name as stored in the archive.
        reason: Why the member was refused.

    Example:
        >>> err = UnsafeArchiveError("../etc/passwd", "path goes above the target folder", path="evil.zip")
        >>> print(err)
        refusing to extract 'evil.zip': member '../etc/passwd': path goes above the target folder
        >>> err.member, err.reason
        ('../etc/passwd', 'path goes above the target folder')
    """

    def __init__(self, member: str, reason: str, *, path: str | os.PathLike[str] | None = None) -> None:
        where = f" {os.fspath(path)!r}" if path is not None else ""
        super().__init__(f"refusing to extract{where}: member {member!r}: {reason}", path=path)
        self.member = member
        self.reason = reason


class ArchiveLimitError(ArchiveError):
    """An archive exceeds a safety limit (total size, member count or compression ratio).

    Args:
        limit: The name of the keyword argument that sets the limit (``"max_total_size"``, ``"max_members"``,
            ``"max_ratio"``).
        value: The value found in the archive (bytes, members, or a ratio).
        maximum: The limit in force.
        member: The member at which the limit was crossed, if any.
        path: The archive file concerned, if known.

    Attributes:
        limit: The name of the limit.
        value: The value found.
        maximum: The limit in force.
        member: The member at which the limit was crossed, or ``None``.

    Example:
        >>> err = ArchiveLimitError("max_members", 20, 10, path="many.zip")
        >>> print(err)
        refusing to extract 'many.zip': max_members exceeded (20 > 10)
    """

    def __init__(
        self,
        limit: str,
        value: float,
        maximum: float,
        *,
        member: str | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        where = f" {os.fspath(path)!r}" if path is not None else ""
        at = f" at member {member!r}" if member is not None else ""
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        super().__init__(f"refusing to extract{where}: {limit} exceeded ({shown} > {maximum}){at}", path=path)
        self.limit = limit
        self.value = value
        self.maximum = maximum
        self.member = member


class EncodingError(FileUtilsError, ValueError):
    """Encoding a file or decoding a ``data:`` URI failed. Also a :class:`ValueError`, which earlier releases raised.

    Args:
        message: What went wrong.
        reason: A short code for callers that react to the kind of failure (``"malformed"``, ``"too_large"``), or
            None.

    Attributes:
        reason: The code, or None.

    Example:
        >>> issubclass(EncodingError, ValueError)
        True
        >>> EncodingError("too big", reason="too_large").reason
        'too_large'
    """

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class UnknownMimeTypeError(EncodingError):
    """Neither the file name nor the first bytes of the content tell the file's MIME type.

    Args:
        path: The file concerned.

    Attributes:
        path: The file concerned.

    Example:
        >>> print(UnknownMimeTypeError("notes.unknownext"))
        cannot tell the MIME type of 'notes.unknownext' from its name or content; pass mime_type=...
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        super().__init__(f"cannot tell the MIME type of {self.path!r} from its name or content; pass mime_type=...")


class FileFormatError(FileUtilsError, ValueError):
    """A structured file (JSON or YAML) could not be parsed. Also a :class:`ValueError`.

    Args:
        path: The file concerned.
        problem: What is wrong, in the parser's words.
        line: 1-based line of the problem, if known.
        column: 1-based column of the problem, if known.

    Attributes:
        path: The file concerned.
        problem: What is wrong.
        line: 1-based line of the problem, or ``None``.
        column: 1-based column of the problem, or ``None``.

    Example:
        >>> print(FileFormatError("config.json", "Expecting value", line=3, column=5))
        config.json:3:5: Expecting value
    """

    def __init__(
        self, path: str | os.PathLike[str], problem: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {problem}")
