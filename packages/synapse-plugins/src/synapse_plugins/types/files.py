"""``FileField``: a plugin parameter given as a URL or a ``data:`` URI, validated into a local file path.

The platform passes files to plugin actions as presigned HTTP(S) URLs; forms and tests often pass small files inline
as ``data:`` URIs. ``FileField`` accepts both and hands the action a :class:`~pathlib.Path` it can open:

- URLs are fetched with [`download_file`][synapse_fileutils.download.download_file] (per-user cache keyed by the URL
  without its query string, atomic writes, resumable, explicit timeouts), refusing files over ``max_size`` before they
  are written;
- ``data:`` URIs are decoded into the same cache, named by the content's SHA-256, so the same content is written once.

Failures are pydantic validation errors that name the field and say why (unreachable, HTTP status, too big, bad
base64, extension not allowed). Messages never contain a URL's query string, so presigned signatures stay secret.

Example:
    >>> from pathlib import Path
    >>> from pydantic import BaseModel
    >>> class Params(BaseModel):
    ...     sample: FileField
    >>> Params(sample="data:text/plain;base64,aGVsbG8=").sample.read_bytes()
    b'hello'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from synapse_fileutils.http import redact_url

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

__all__ = ["DEFAULT_MAX_SIZE", "FileField", "redact_url"]

#: Default size limit of a ``FileField``: 2 GiB.
DEFAULT_MAX_SIZE = 2 * 1024**3


class _RawInput:
    """The raw input, wrapped so pydantic's error text (``input_value=...``) shows it without secrets.

    pydantic prints the failing input in ``str(ValidationError)``; for a presigned URL that would leak its signature,
    and for a ``data:`` URI it would print megabytes of base64. Validation runs on this wrapper instead.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, str) and value[:5].lower() == "data:":
            return repr(value[: value.find(",") + 1] + "...")
        if isinstance(value, str):
            return repr(redact_url(value))
        return repr(value)


class _SchemaDescriptor:
    """Gives pydantic a schema method both on the class (bare ``FileField``) and on configured instances."""

    def __get__(self, instance: FileField | None, owner: type[FileField]) -> Any:
        return (instance if instance is not None else owner())._core_schema


class FileField:
    """A pydantic field type: an HTTP(S) URL or a ``data:`` URI in, the :class:`~pathlib.Path` of a local file out.

    Use it bare for the defaults, or as ``Annotated`` metadata to set limits (this spelling also tells type checkers
    that the value is a ``Path``).

    Args:
        max_size: Largest accepted file, in bytes (default 2 GiB). Larger files are refused before they are written:
            by the ``Content-Length`` header, while streaming, or by the decoded length of a ``data:`` URI.
        allowed_extensions: Accepted file name extensions such as ``{".jpg", ".png"}`` (case-insensitive), checked
            against the URL's path. A ``data:`` URI has no path: its extension is that of its ``name=`` parameter
            (``data:application/octet-stream;name=model.pt;base64,...``), else that of its media type
            (``image/png`` is ``.png``); ``application/octet-stream`` without ``name=`` names no type, so the rule
            accepts it. ``None`` accepts any.
        timeout: Connect and read timeout of the download, in seconds.
        attempts: Requests made for one file before giving up on transient failures (5xx, 429, dropped
            connections, timeouts), with backoff between them.
        cache_dir: Where files go; ``None`` uses the per-user Synapse cache
            ([`get_cache_dir`][synapse_fileutils.io.get_cache_dir], ``$SYNAPSE_CACHE_DIR`` to move it): URLs in its
            ``downloads`` folder, shared with ``download_file``, and ``data:`` URIs in ``data-uri``.

    Example:
        >>> from pathlib import Path
        >>> from typing import Annotated
        >>> from pydantic import BaseModel, ValidationError
        >>> class Params(BaseModel):
        ...     image: Annotated[Path, FileField(max_size=1024, allowed_extensions={".png"})]
        >>> try:
        ...     Params(image="data:text/plain;base64,aGVsbG8=")
        ... except ValidationError as exc:
        ...     print(exc.errors()[0]["msg"])
        File extension '.txt' is not allowed (allowed: .png)
    """

    __get_pydantic_core_schema__ = _SchemaDescriptor()

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        allowed_extensions: Iterable[str] | None = None,
        timeout: float = 30.0,
        attempts: int = 3,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if max_size <= 0:
            raise ValueError(f"max_size must be a positive number of bytes, got {max_size}")
        self.max_size = max_size
        self.allowed_extensions = (
            None if allowed_extensions is None else frozenset(f".{e.lower().lstrip('.')}" for e in allowed_extensions)
        )
        self.timeout = timeout
        self.attempts = attempts
        self.cache_dir = None if cache_dir is None else Path(cache_dir)

    def __repr__(self) -> str:
        allowed = sorted(self.allowed_extensions) if self.allowed_extensions is not None else None
        return f"FileField(max_size={self.max_size}, allowed_extensions={allowed}, timeout={self.timeout})"

    def _core_schema(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.chain_schema(
            [
                core_schema.no_info_plain_validator_function(
                    _RawInput, json_schema_input_schema=core_schema.str_schema()
                ),
                core_schema.no_info_plain_validator_function(self._validate),
            ],
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )

    def _validate(self, raw: _RawInput) -> Path:
        value = raw.value
        if isinstance(value, Path):  # only Python code passes a Path (JSON cannot): a file the caller already has
            if value.is_file():
                return value
            raise PydanticCustomError("file_missing", "No file at {path}", {"path": str(value)})
        if not isinstance(value, str):
            raise PydanticCustomError("file_source", "Expected an http(s) URL or a data: URI, got {kind}",
                                      {"kind": type(value).__name__})  # fmt: skip
        if value[:5].lower() == "data:":
            return self._from_data_uri(value)
        scheme = urlsplit(value).scheme.lower()
        if scheme in {"http", "https"}:
            return self._from_url(value)
        raise PydanticCustomError("file_source", "Expected an http(s) URL or a data: URI")

    def _check_extension(self, suffix: str) -> None:
        if self.allowed_extensions is None or suffix.lower() in self.allowed_extensions:
            return
        raise PydanticCustomError(
            "file_extension",
            "File extension '{suffix}' is not allowed (allowed: {allowed})",
            {"suffix": suffix or "(none)", "allowed": ", ".join(sorted(self.allowed_extensions))},
        )

    def _check_size(self, size: int) -> None:
        if size > self.max_size:
            raise PydanticCustomError(
                "file_too_large", "File is {size} bytes, more than the limit of {limit} bytes",
                {"size": size, "limit": self.max_size},
            )  # fmt: skip

    def _target_dir(self, sub: str) -> Path:
        if self.cache_dir is not None:
            folder = self.cache_dir / sub
        elif sub == "downloads":  # the very cache download_file uses: a file fetched by either is fetched once
            from synapse_fileutils.download import default_download_dir

            folder = default_download_dir()
        else:
            from synapse_fileutils.io import get_cache_dir

            folder = get_cache_dir(sub)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def _from_data_uri(self, value: str) -> Path:
        from synapse_fileutils.atomic import atomic_write
        from synapse_fileutils.encoding import parse_data_uri
        from synapse_fileutils.errors import EncodingError

        try:
            decoded = parse_data_uri(value, max_size=self.max_size)  # the size is checked before decoding
        except EncodingError as exc:
            if exc.reason == "too_large":
                raise PydanticCustomError(
                    "file_too_large", "File is more than the limit of {limit} bytes", {"limit": self.max_size}
                ) from None
            raise PydanticCustomError("file_data_uri", "Malformed data: URI ({reason})", {"reason": str(exc)}) from None
        # A data: URI has no file name: its extension is its `name=` parameter's, else its media type's. A plain
        # application/octet-stream names no type at all, so no extension rule can refuse it.
        if decoded.suffix:
            self._check_extension(decoded.suffix)
        target = self._target_dir("data-uri") / f"{hashlib.sha256(decoded.data).hexdigest()}{decoded.suffix or '.bin'}"
        if not target.exists():
            with atomic_write(target) as file:
                file.write(decoded.data)
        return target

    def _from_url(self, url: str) -> Path:
        from synapse_fileutils.download import DownloadTooLargeError, RetryPolicy, download_file
        from synapse_fileutils.errors import FileUtilsError

        self._check_extension(PurePosixPath(urlsplit(url).path).suffix)
        try:
            path = download_file(
                url,
                self._target_dir("downloads"),
                max_size=self.max_size,
                connect_timeout=self.timeout,
                read_timeout=self.timeout,
                retry=RetryPolicy(max_attempts=self.attempts),
                progress=False,
            )
        except DownloadTooLargeError:
            raise PydanticCustomError(
                "file_too_large", "File at {url} is larger than the limit of {limit} bytes",
                {"url": redact_url(url), "limit": self.max_size},
            ) from None  # fmt: skip
        except ValueError as exc:  # a URL that cannot be requested safely (bad port, parsers disagree)
            raise PydanticCustomError(
                "file_source", "Cannot fetch {url}: {reason}", {"url": redact_url(url), "reason": type(exc).__name__}
            ) from None
        except FileUtilsError as exc:
            status = getattr(exc, "status", None)
            reason = getattr(exc, "reason", None) or (f"HTTP {status}" if status else "connection failed")
            raise PydanticCustomError(
                "file_download", "Could not fetch {url}: {reason}", {"url": redact_url(url), "reason": reason}
            ) from None
        return path
