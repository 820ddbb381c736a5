"""File utilities for the Synapse platform.

Every documented function is importable from the package root and from its submodule, for example
``from synapse_fileutils import calculate_checksum`` or ``from synapse_fileutils.checksum import calculate_checksum``.
Importing the package is cheap: heavy dependencies (requests, aiohttp, ffmpeg) load only when a function needs them.

Example:
    >>> import synapse_fileutils
    >>> synapse_fileutils.__version__
    '0.1.0'
"""

from __future__ import annotations

from .__about__ import __version__
from .checksum import calculate_checksum, get_checksum_from_file
from .errors import FileUtilsError

__all__ = [
    "FileUtilsError",
    "__version__",
    "calculate_checksum",
    "get_checksum_from_file",
]
