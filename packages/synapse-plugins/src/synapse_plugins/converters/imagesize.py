r"""Read an image's width and height from its header, without decoding pixels or a third-party library.

YOLO stores coordinates relative to the image size, and COCO and Pascal VOC store the size itself, so every
conversion needs it; reading a few header bytes keeps that cheap. PNG, JPEG, GIF, BMP and WebP are understood.

Example:
    >>> import struct, tempfile, zlib, pathlib
    >>> png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII", 13, b"IHDR", 640, 480) + b"\x08\x02\x00\x00\x00"
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> _ = path.write_bytes(png)
    >>> read_image_size(path)
    (640, 480)
"""

from __future__ import annotations

import os
import struct

from .errors import ItemError
from .files import READ_FLAGS

__all__ = ["IMAGE_SUFFIXES", "image_size_if_present", "read_image_size"]

#: File suffixes treated as images when a converter looks for an item's picture.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".JPG", ".JPEG", ".PNG")

# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    r"""Return ``(width, height)`` in pixels read from the image header.

    The file is read with plain ``os.open`` / ``os.read`` (three system calls for a PNG, GIF, BMP or WebP: a
    buffered ``open`` adds four more, a noticeable share of a conversion that reads thousands of headers).

    Args:
        path: The image file.

    Returns:
        The width and height in pixels.

    Raises:
        ItemError: The file is missing, truncated, or not a PNG, JPEG, GIF, BMP or WebP image.

    Example:
        >>> import pathlib, tempfile
        >>> gif = pathlib.Path(tempfile.mkdtemp()) / "a.gif"
        >>> _ = gif.write_bytes(b"GIF89a" + (3).to_bytes(2, "little") + (2).to_bytes(2, "little") + b"\x00" * 8)
        >>> read_image_size(gif)
        (3, 2)
    """
    size = _image_size(os.fspath(path), missing_ok=False)
    assert size is not None  # only a missing file gives None, and that raised
    return size


def image_size_if_present(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """Return ``(width, height)`` like ``read_image_size``, or ``None`` when there is no file at ``path``.

    One open serves both questions (is the image there, how big is it), where a ``stat`` first costs another call.

    Args:
        path: The image file (a folder there counts as no file).

    Returns:
        The size, or ``None``.

    Raises:
        ItemError: The file is there but unreadable, truncated, or not a PNG, JPEG, GIF, BMP or WebP image.

    Example:
        >>> import pathlib, tempfile
        >>> image_size_if_present(pathlib.Path(tempfile.mkdtemp()) / "missing.png") is None
        True
    """
    return _image_size(os.fspath(path), missing_ok=True)


def _image_size(name: str, *, missing_ok: bool) -> tuple[int, int] | None:
    try:
        fd = os.open(name, READ_FLAGS)
        try:
            size = _read_size(_Header(fd))
        finally:
            os.close(fd)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        if missing_ok:
            return None
        raise ItemError(name, f"cannot read image: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise ItemError(name, f"cannot read image: {exc.strerror or exc}") from exc
    except struct.error as exc:
        raise ItemError(name, "image header is truncated") from exc
    if size is None:
        raise ItemError(name, "not a PNG, JPEG, GIF, BMP or WebP image")
    if size[0] <= 0 or size[1] <= 0:
        raise ItemError(name, f"image header gives an empty size {size[0]}x{size[1]}")
    return size


#: Bytes read at once: the first read holds every format's header but JPEG's, whose size comes after the EXIF and
#: other segments; those are walked a window at a time, seeking over what lies outside the window.
_FIRST_READ = 512
_WINDOW = 64 * 1024


class _Header:
    """Reads an open image file forward from the start, a window at a time (``pread``: a skip costs no call)."""

    __slots__ = ("_base", "_buffer", "_fd", "_to_end", "pos")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = os.read(fd, _FIRST_READ)
        self._base = 0
        self._to_end = len(self._buffer) < _FIRST_READ  # the buffer reaches the end of the file
        self.pos = 0

    def read(self, count: int) -> bytes:
        """Return the next ``count`` bytes (fewer at the end of the file)."""
        start = self.pos - self._base
        if start + count > len(self._buffer) and not self._to_end:
            wanted = max(count, _WINDOW)
            self._buffer, self._base, start = _pread(self._fd, wanted, self.pos), self.pos, 0
            self._to_end = len(self._buffer) < wanted
        self.pos += count
        return self._buffer[start : start + count]


def _pread(fd: int, count: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pread
    return os.read(fd, count)


def _read_size(file: _Header) -> tuple[int, int] | None:
    head = file.read(32)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", head[6:10])
        return int(width), int(height)
    if head.startswith(b"BM"):
        width, height = struct.unpack("<ii", head[18:26])
        return int(width), abs(int(height))  # negative height means top-down rows
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    if head.startswith(b"\xff\xd8"):
        file.pos = 2
        return _jpeg_size(file)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(file: _Header) -> tuple[int, int] | None:
    while True:
        byte = file.read(1)
        while byte and byte != b"\xff":
            byte = file.read(1)
        while byte == b"\xff":  # markers may be padded with extra 0xFF bytes
            byte = file.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length field
        (length,) = struct.unpack(">H", file.read(2))
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">xHH", file.read(5))
            return int(width), int(height)
        file.pos += length - 2
