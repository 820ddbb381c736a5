"""Encode files as base64 data URIs (``data:<mime>;base64,<payload>``), and decode data URIs (RFC 2397).

The file is read and encoded in chunks whose size is a multiple of 3 bytes, so the pieces concatenate to the same text
as encoding the whole file at once, and memory for the input stays at one chunk. :func:`convert_file_to_base64`
returns the whole URI as one string (its size is 4/3 of the file, plus the header); :func:`iter_file_base64` yields it
piece by piece for callers that write it somewhere (a request body, a file) and never need it whole.

The MIME type comes from the file name (:mod:`mimetypes`); when the name does not tell, the first bytes of the
content are matched against common signatures (:func:`guess_mime_type`).

Example:
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as f:
    ...     _ = f.write(b"hi")
    >>> convert_file_to_base64(f.name)
    'data:text/plain;base64,aGk='
    >>> os.remove(f.name)
"""

from __future__ import annotations

import os

from .errors import UnknownMimeTypeError

__all__ = [
    "DEFAULT_ENCODE_CHUNK_SIZE",
    "DataURI",
    "convert_file_to_base64",
    "guess_mime_type",
    "iter_file_base64",
    "parse_data_uri",
]

TYPE_CHECKING = False
# Annotations only: typing and collections.abc stay off the import path (import-time budget, DESIGN.md section 4).
if TYPE_CHECKING:
    from collections.abc import Iterator

#: Bytes read and encoded at a time: 3 MiB, a multiple of 3 so no padding appears inside the output.
DEFAULT_ENCODE_CHUNK_SIZE = 3 * 1024 * 1024

# (offset, signature, MIME type) of formats users send to the platform; checked in order.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "application/ogg"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (4, b"ftypqt", "video/quicktime"),
    (4, b"ftyp", "video/mp4"),
)
_SNIFF_SIZE = 16


def _sniff(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])
    for offset, signature, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime
    return None


def guess_mime_type(file_path: str | os.PathLike[str]) -> str:
    r"""Return a file's MIME type, from its name or, when the name does not tell, from its first bytes.

    Args:
        file_path: Path of the file.

    Returns:
        A MIME type such as ``"image/png"``.

    Raises:
        UnknownMimeTypeError: If neither the name nor the content tells the type.
        FileNotFoundError: If the name does not tell and the file does not exist.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(suffix=".bin-noext", delete=False) as f:
        ...     _ = f.write(b"\x89PNG\r\n\x1a\n" + bytes(8))
        >>> guess_mime_type(f.name)
        'image/png'
        >>> os.remove(f.name)
    """
    import mimetypes

    mime, _ = mimetypes.guess_type(os.fspath(file_path), strict=False)
    if mime:
        return mime
    with open(file_path, "rb") as file:
        sniffed = _sniff(file.read(_SNIFF_SIZE))
    if sniffed is None:
        raise UnknownMimeTypeError(file_path)
    return sniffed


def iter_file_base64(
    file_path: str | os.PathLike[str],
    *,
    mime_type: str | None = None,
    chunk_size: int = DEFAULT_ENCODE_CHUNK_SIZE,
) -> Iterator[str]:
    """Yield a file's data URI in pieces: the ``data:<mime>;base64,`` header, then the encoded content.

    The MIME type is determined (and errors raised) when the function is called; the content is read lazily.

    Args:
        file_path: Path of the file to encode.
        mime_type: The MIME type to declare; ``None`` guesses it with :func:`guess_mime_type`.
        chunk_size: Bytes encoded per piece; a positive multiple of 3.

    Returns:
        An iterator of strings whose concatenation is the data URI.

    Raises:
        ValueError: If ``chunk_size`` is not a positive multiple of 3.
        UnknownMimeTypeError: If ``mime_type`` is ``None`` and the type cannot be told.
        FileNotFoundError: If the file does not exist.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as f:
        ...     _ = f.write(b"abcdefg")
        >>> list(iter_file_base64(f.name, chunk_size=3))
        ['data:text/plain;base64,', 'YWJj', 'ZGVm', 'Zw==']
        >>> os.remove(f.name)
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0 or chunk_size % 3:
        raise ValueError(f"chunk_size must be a positive multiple of 3, got {chunk_size!r}")
    mime = mime_type or guess_mime_type(file_path)
    if not os.path.isfile(file_path):
        raise FileNotFoundError(f"cannot encode {os.fspath(file_path)!r}: no such file")
    return _iter_encoded(file_path, f"data:{mime};base64,", chunk_size)


def _iter_encoded(file_path: str | os.PathLike[str], header: str, chunk_size: int) -> Iterator[str]:
    import binascii

    yield header
    with open(file_path, "rb") as file:
        while chunk := file.read(chunk_size):
            yield binascii.b2a_base64(chunk, newline=False).decode("ascii")


def convert_file_to_base64(file_path: str | os.PathLike[str], *, mime_type: str | None = None) -> str:
    """Return a file's content as a base64 data URI; a string that already is a data URI is returned unchanged.

    The file is read in chunks and encoded into one preallocated buffer, so peak memory is about twice the size of the
    result (the buffer and the returned string) rather than several copies of the file.

    Args:
        file_path: Path of the file, or a string starting with ``data:`` (returned as it is).
        mime_type: The MIME type to declare; ``None`` guesses it from the name, then from the content.

    Returns:
        The data URI, ``data:<mime>;base64,<payload>``.

    Raises:
        UnknownMimeTypeError: If ``mime_type`` is ``None`` and the type cannot be told (also a ``ValueError``).
        FileNotFoundError: If the file does not exist.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        ...     _ = f.write(b"{}")
        >>> convert_file_to_base64(f.name)
        'data:application/json;base64,e30='
        >>> convert_file_to_base64("data:text/plain;base64,aGk=")
        'data:text/plain;base64,aGk='
        >>> os.remove(f.name)
    """
    import binascii

    if isinstance(file_path, str) and file_path[:5].lower() == "data:":
        return file_path
    mime = mime_type or guess_mime_type(file_path)
    header = f"data:{mime};base64,".encode("ascii")
    with open(file_path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        out = bytearray(len(header) + 4 * ((size + 2) // 3))
        out[: len(header)] = header
        position = len(header)
        while chunk := file.read(DEFAULT_ENCODE_CHUNK_SIZE):
            encoded = binascii.b2a_base64(chunk, newline=False)
            end = position + len(encoded)
            if end > len(out):  # the file grew while we read it
                out.extend(bytes(end - len(out)))
            out[position:end] = encoded
            position = end
    del out[position:]  # the file shrank while we read it
    return out.decode("ascii")


class DataURI:
    """A decoded ``data:`` URI: its media type, its parameters and its bytes.

    Attributes:
        mime: The media type, lower-case (``text/plain`` when the URI names none, as RFC 2397 says).
        params: The media type's parameters (``charset``, ``name``...), keys lower-case, values percent-decoded.
        data: The decoded bytes.
    """

    __slots__ = ("data", "mime", "params")

    def __init__(self, mime: str, params: dict[str, str], data: bytes) -> None:
        self.mime = mime
        self.params = params
        self.data = data

    def __repr__(self) -> str:
        return f"DataURI(mime={self.mime!r}, params={self.params!r}, size={len(self.data)})"

    @property
    def name(self) -> str | None:
        """The file name the URI carries in a ``name`` or ``filename`` parameter, if any (no folder part)."""
        value = self.params.get("name") or self.params.get("filename")
        if not value:
            return None
        value = value.replace("\\", "/").rsplit("/", 1)[-1]
        return value if value not in ("", ".", "..") else None

    @property
    def suffix(self) -> str:
        """The file extension this content should have: the ``name`` parameter's, else the media type's.

        ``application/octet-stream`` ("some bytes") names no type, so without a ``name`` its suffix is ``""``.
        """
        import mimetypes
        import posixpath

        if self.name is not None:
            return posixpath.splitext(self.name)[1].lower()
        if self.mime == "application/octet-stream":
            return ""
        return mimetypes.guess_extension(self.mime) or ""


def parse_data_uri(uri: str, *, max_size: int | None = None) -> DataURI:
    r"""Decode a ``data:`` URI into its media type and bytes, as RFC 2397 says.

    A ``;base64`` payload is base64 (whitespace ignored); any other payload is percent-encoded *octets*:
    ``%FF`` is the byte ``0xFF``, not a character to encode as UTF-8. The size limit is checked from the payload's
    length before anything is decoded.

    Args:
        uri: The URI, starting with ``data:`` (any case).
        max_size: Largest accepted decoded size in bytes, or None for no limit.

    Returns:
        The decoded URI.

    Raises:
        EncodingError: The URI is malformed (no ``,``, bad base64) or decodes to more than ``max_size`` bytes;
            ``.reason`` says which (``"malformed"`` or ``"too_large"``).

    Example:
        >>> parse_data_uri("data:application/octet-stream,%FF%00%80").data
        b'\xff\x00\x80'
        >>> uri = parse_data_uri("data:application/octet-stream;name=model.pt;base64,AAEC")
        >>> uri.data, uri.suffix
        (b'\x00\x01\x02', '.pt')
        >>> parse_data_uri("data:,a%20b").mime
        'text/plain'
    """
    import base64
    import binascii
    from urllib.parse import unquote, unquote_to_bytes

    from .errors import EncodingError

    if not isinstance(uri, str) or uri[:5].lower() != "data:":
        raise EncodingError("not a data: URI", reason="malformed")
    header, comma, payload = uri[5:].partition(",")
    if not comma:
        raise EncodingError("malformed data: URI: no ',' after the media type", reason="malformed")
    parts = header.split(";")
    is_base64 = len(parts) > 1 and parts[-1].strip().lower() == "base64"
    if is_base64:
        parts = parts[:-1]
    mime = parts[0].strip().lower() or "text/plain"
    params: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key.strip():
            params[key.strip().lower()] = unquote(value.strip())
    if is_base64:
        compact = "".join(payload.split())
        if max_size is not None and len(compact) * 3 // 4 - compact[-2:].count("=") > max_size:
            raise EncodingError(f"data: URI holds more than {max_size} bytes", reason="too_large")
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise EncodingError("malformed data: URI: invalid base64 payload", reason="malformed") from None
    else:
        # Every byte takes one to three characters ("%FF"), so a third of the length bounds the decoded size.
        if max_size is not None and len(payload) // 3 > max_size:
            raise EncodingError(f"data: URI holds more than {max_size} bytes", reason="too_large")
        data = unquote_to_bytes(payload)
    if max_size is not None and len(data) > max_size:
        raise EncodingError(f"data: URI holds more than {max_size} bytes", reason="too_large")
    return DataURI(mime, params, data)
