"""File utilities for the Synapse platform.

Every documented function is importable from the package root and from its submodule, for example
``from synapse_fileutils import calculate_checksum`` or ``from synapse_fileutils.checksum import calculate_checksum``.
Importing the package is cheap: heavy dependencies (zipfile, tarfile, PyYAML, requests, aiohttp, ffmpeg) load only
when a function needs them, and the download, video and storage names load their modules on first use.

The functions are imported eagerly on purpose: ``synapse_fileutils.archive`` is the :func:`archive` function (as the
earlier SDK documented), which a lazily imported submodule of the same name would otherwise replace. The submodule stays
importable with ``from synapse_fileutils.archive import archive, unarchive``.

Example:
    >>> import synapse_fileutils
    >>> synapse_fileutils.__version__
    '0.1.0'
    >>> from synapse_fileutils import archive, unarchive
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .__about__ import __version__
from ._lazy import lazy_exports
from .archive import archive, unarchive
from .checksum import calculate_checksum, calculate_checksums, get_checksum_from_file
from .chunking import read_file_in_chunk_views, read_file_in_chunks
from .encoding import convert_file_to_base64, guess_mime_type, iter_file_base64
from .errors import (
    ArchiveError,
    ArchiveLimitError,
    EncodingError,
    FileFormatError,
    FileUtilsError,
    UnknownMimeTypeError,
    UnsafeArchiveError,
)
from .io import get_cache_dir, get_dict_from_file, get_temp_path

if TYPE_CHECKING:
    from .download import (
        ChecksumMismatchError,
        DownloadError,
        DownloadInProgressError,
        DownloadTooLargeError,
        RetryPolicy,
        adownload_file,
        afiles_url_to_path,
        afiles_url_to_path_from_objs,
        default_download_dir,
        download_file,
        files_url_to_path,
        files_url_to_path_from_objs,
    )
    from .storage import (
        FileEntry,
        HTTPStorage,
        LocalStorage,
        MissingExtraError,
        PathEscapeError,
        Storage,
        StorageConfigError,
        StorageError,
        StorageNotFoundError,
        StorageOperationError,
        StorageUnsupportedError,
        get_path_file_count,
        get_path_total_size,
        get_pathlib,
        get_storage,
    )
    from .video import (
        FFmpegNotFoundError,
        TranscodeConfig,
        TranscodingFailedError,
        UnsupportedFormatError,
        VideoTranscodeError,
        atranscode_video,
        extract_clip,
        extract_thumbnail,
        get_video_info,
        optimize_for_web,
        transcode_batch,
        transcode_video,
        validate_video_format,
    )

# Names whose modules load on first use (PEP 562): the download, video and storage modules are larger and most
# imports need none of them. No name here is also a submodule name, so a lazy import cannot shadow anything.
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        [
            "ChecksumMismatchError",
            "DownloadError",
            "DownloadInProgressError",
            "DownloadTooLargeError",
            "RetryPolicy",
            "adownload_file",
            "afiles_url_to_path",
            "afiles_url_to_path_from_objs",
            "default_download_dir",
            "download_file",
            "files_url_to_path",
            "files_url_to_path_from_objs",
        ],
        "download",
    ),
    **dict.fromkeys(
        [
            "FFmpegNotFoundError",
            "TranscodeConfig",
            "TranscodingFailedError",
            "UnsupportedFormatError",
            "VideoTranscodeError",
            "atranscode_video",
            "extract_clip",
            "extract_thumbnail",
            "get_video_info",
            "optimize_for_web",
            "transcode_batch",
            "transcode_video",
            "validate_video_format",
        ],
        "video",
    ),
    **dict.fromkeys(
        [
            "FileEntry",
            "HTTPStorage",
            "LocalStorage",
            "MissingExtraError",
            "PathEscapeError",
            "Storage",
            "StorageConfigError",
            "StorageError",
            "StorageNotFoundError",
            "StorageOperationError",
            "StorageUnsupportedError",
            "get_path_file_count",
            "get_path_total_size",
            "get_pathlib",
            "get_storage",
        ],
        "storage",
    ),
}

__all__ = [
    "ArchiveError",
    "ArchiveLimitError",
    "ChecksumMismatchError",
    "DownloadError",
    "DownloadInProgressError",
    "DownloadTooLargeError",
    "EncodingError",
    "FFmpegNotFoundError",
    "FileEntry",
    "FileFormatError",
    "FileUtilsError",
    "HTTPStorage",
    "LocalStorage",
    "MissingExtraError",
    "PathEscapeError",
    "RetryPolicy",
    "Storage",
    "StorageConfigError",
    "StorageError",
    "StorageNotFoundError",
    "StorageOperationError",
    "StorageUnsupportedError",
    "TranscodeConfig",
    "TranscodingFailedError",
    "UnknownMimeTypeError",
    "UnsafeArchiveError",
    "UnsupportedFormatError",
    "VideoTranscodeError",
    "__version__",
    "adownload_file",
    "afiles_url_to_path",
    "afiles_url_to_path_from_objs",
    "archive",
    "atranscode_video",
    "calculate_checksum",
    "calculate_checksums",
    "convert_file_to_base64",
    "default_download_dir",
    "download_file",
    "extract_clip",
    "extract_thumbnail",
    "files_url_to_path",
    "files_url_to_path_from_objs",
    "get_cache_dir",
    "get_checksum_from_file",
    "get_dict_from_file",
    "get_path_file_count",
    "get_path_total_size",
    "get_pathlib",
    "get_storage",
    "get_temp_path",
    "get_video_info",
    "guess_mime_type",
    "iter_file_base64",
    "optimize_for_web",
    "read_file_in_chunk_views",
    "read_file_in_chunks",
    "transcode_batch",
    "transcode_video",
    "unarchive",
    "validate_video_format",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
