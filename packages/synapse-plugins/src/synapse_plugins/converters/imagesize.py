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
from typing import BinaryIO

from .errors import ItemError

__all__ = ["IMAGE_SUFFIXES", "read_image_size"]

#: File suffixes treated as images when a converter looks for an item's picture.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".JPG", ".JPEG", ".PNG")

# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    r"""Return ``(width, height)`` in pixels read from the image header.

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
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            size = _read_size(file)
    except OSError as exc:
        raise ItemError(name, f"cannot read image: {exc.strerror or exc}") from exc
    except struct.error as exc:
        raise ItemError(name, "image header is truncated") from exc
    if size is None:
        raise ItemError(name, "not a PNG, JPEG, GIF, BMP or WebP image")
    if size[0] <= 0 or size[1] <= 0:
        raise ItemError(name, f"image header gives an empty size {size[0]}x{size[1]}")
    return size


def _read_size(file: BinaryIO) -> tuple[int, int] | None:
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
        file.seek(2)
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


def _jpeg_size(file: BinaryIO) -> tuple[int, int] | None:
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
        file.seek(length - 2, os.SEEK_CUR)
