"""File utilities for the Synapse platform.

Every documented function is importable from the package root and from its submodule, for example
``from synapse_fileutils import calculate_checksum`` or ``from synapse_fileutils.checksum import calculate_checksum``.
Importing the package is cheap: heavy dependencies (zipfile, tarfile, PyYAML, requests, aiohttp, ffmpeg) load only
when a function needs them.

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

from .__about__ import __version__
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
from .io import get_dict_from_file, get_temp_path

__all__ = [
    "ArchiveError",
    "ArchiveLimitError",
    "EncodingError",
    "FileFormatError",
    "FileUtilsError",
    "UnknownMimeTypeError",
    "UnsafeArchiveError",
    "__version__",
    "archive",
    "calculate_checksum",
    "calculate_checksums",
    "convert_file_to_base64",
    "get_checksum_from_file",
    "get_dict_from_file",
    "get_temp_path",
    "guess_mime_type",
    "iter_file_base64",
    "read_file_in_chunk_views",
    "read_file_in_chunks",
    "unarchive",
]
