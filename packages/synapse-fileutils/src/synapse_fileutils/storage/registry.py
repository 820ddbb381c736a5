"""Build a provider from a URL or from the platform's storage record ``{provider, configuration}``.

Provider names accepted (the platform's names first):

| provider | aliases | class |
|---|---|---|
| ``file_system`` | ``local``, ``file`` | :class:`~synapse_fileutils.storage.local.LocalStorage` |
| ``amazon_s3`` | ``s3``, ``minio``, ``digital_ocean`` | :class:`~synapse_fileutils.storage.s3.S3Storage` |
| ``gcp`` | ``gcs``, ``gs`` | :class:`~synapse_fileutils.storage.gcs.GCSStorage` |
| ``sftp`` | | :class:`~synapse_fileutils.storage.sftp.SFTPStorage` |
| ``http`` | ``https`` | :class:`~synapse_fileutils.storage.http.HTTPStorage` |

Example:
    >>> import tempfile
    >>> get_storage({"provider": "file_system", "configuration": {"location": tempfile.mkdtemp()}}).provider
    'local'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..http.redact import redact_url
from .base import Storage
from .errors import StorageConfigError

__all__ = ["PROVIDER_ALIASES", "StorageConfig", "get_storage"]

#: What :func:`get_storage` accepts: a URL, a platform storage record, or a provider (returned as is).
StorageConfig = str | Mapping[str, Any] | Storage

#: Every accepted provider name (lower case) mapped to the canonical one.
PROVIDER_ALIASES: dict[str, str] = {
    "file_system": "local",
    "local": "local",
    "file": "local",
    "amazon_s3": "s3",
    "s3": "s3",
    "minio": "s3",
    "digital_ocean": "s3",
    "gcp": "gcs",
    "gcs": "gcs",
    "gs": "gcs",
    "sftp": "sftp",
    "http": "http",
    "https": "http",
}

# Configuration keys each provider reads: canonical name -> accepted spellings (first wins).
_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "local": {"location": ("location", "root_path", "path")},
    "s3": {
        "bucket_name": ("bucket_name", "bucket"),
        "access_key": ("access_key", "aws_access_key_id"),
        "secret_key": ("secret_key", "aws_secret_access_key"),
        "session_token": ("session_token", "aws_session_token"),
        "region_name": ("region_name", "region"),
        "endpoint_url": ("endpoint_url",),
        "location": ("location", "prefix"),
    },
    "gcs": {
        "bucket_name": ("bucket_name", "bucket"),
        "credentials": ("credentials", "token"),
        "project": ("project",),
        "location": ("location", "prefix"),
        "endpoint_url": ("endpoint_url",),
    },
    "sftp": {
        "host": ("host",),
        "port": ("port",),
        "username": ("username", "user"),
        "password": ("password",),
        "private_key": ("private_key",),
        "passphrase": ("passphrase",),
        "root_path": ("root_path", "location", "path"),
        "known_hosts": ("known_hosts",),
        "timeout": ("timeout",),
    },
    "http": {
        "base_url": ("base_url", "url"),
        "timeout": ("timeout",),
        "headers": ("headers",),
        "retries": ("retries",),
    },
}
_REQUIRED = {
    "local": ("location",),
    "s3": ("bucket_name",),
    "gcs": ("bucket_name",),
    "sftp": ("host",),
    "http": ("base_url",),
}


def get_storage(connection: StorageConfig) -> Storage:
    """Return the provider for a storage URL or a platform storage record.

    Args:
        connection: One of

            - a platform record ``{"provider": "amazon_s3", "configuration": {...}}`` (other record fields such as
              ``id`` and ``name`` are ignored);
            - a URL: ``file:///data``, ``s3://bucket/prefix?endpoint_url=...&access_key=...&secret_key=...``,
              ``gs://bucket/prefix?credentials=/path/key.json``, ``sftp://user:password@host:22/root``,
              ``http(s)://host/folder/``; query parameters are configuration keys;
            - a provider, returned unchanged.

    Returns:
        The provider.

    Raises:
        StorageConfigError: The provider is unknown or a required configuration key is missing. The message names
            the provider and the key, never a configuration value.
        MissingExtraError: The provider's optional dependency is not installed (the message names the extra).

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> get_storage(f"file://{folder}").root.as_posix() == folder
        True
        >>> try:
        ...     get_storage({"provider": "azure", "configuration": {"account_key": "k"}})
        ... except StorageConfigError as exc:
        ...     print(exc.provider)
        azure
    """
    if isinstance(connection, Storage):
        return connection
    if isinstance(connection, str):
        provider, configuration = _parse_url(connection)
    elif isinstance(connection, Mapping):
        provider, configuration = _parse_record(connection)
    else:
        raise StorageConfigError(f"expected a URL or a storage record, got {type(connection).__name__}")
    return _build(provider, configuration)


def _parse_record(record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    provider = record.get("provider")
    if not isinstance(provider, str) or not provider:
        raise StorageConfigError("storage record has no 'provider'")
    configuration = record.get("configuration") or {}
    if not isinstance(configuration, Mapping):
        raise StorageConfigError("storage record's 'configuration' must be a mapping", provider=provider)
    return provider, dict(configuration)


def _parse_url(url: str) -> tuple[str, dict[str, Any]]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise StorageConfigError(f"malformed storage URL {redact_url(url)!r}") from None
    scheme = parts.scheme.lower()
    query: dict[str, Any] = dict(parse_qsl(parts.query))
    if scheme == "file":
        return "local", {"location": unquote(parts.path), **query}
    if scheme in ("s3", "gs", "gcs"):
        return scheme, {"bucket_name": parts.hostname or "", "location": unquote(parts.path), **query}
    if scheme == "sftp":
        configuration: dict[str, Any] = {"host": parts.hostname or "", "root_path": unquote(parts.path) or "/"}
        if port is not None:
            configuration["port"] = port
        if parts.username:
            configuration["username"] = unquote(parts.username)
        if parts.password:
            configuration["password"] = unquote(parts.password)
        return "sftp", {**configuration, **query}
    if scheme in ("http", "https"):
        return "http", {"base_url": url}
    raise StorageConfigError(f"unknown storage URL scheme {scheme!r} in {redact_url(url)!r}", provider=scheme or None)


def _build(provider: str, configuration: dict[str, Any]) -> Storage:
    canonical = PROVIDER_ALIASES.get(provider.lower())
    if canonical is None:
        known = ", ".join(sorted(PROVIDER_ALIASES))
        raise StorageConfigError(f"unknown storage provider {provider!r}; known: {known}", provider=provider)
    options: dict[str, Any] = {}
    for name, spellings in _KEYS[canonical].items():
        for spelling in spellings:
            if configuration.get(spelling) not in (None, ""):
                options[name] = configuration[spelling]
                break
    missing = [key for key in _REQUIRED[canonical] if key not in options]
    if missing:
        raise StorageConfigError(
            f"storage provider {provider!r} needs configuration key(s): {', '.join(missing)}", provider=provider
        )
    return _FACTORIES[canonical](options)


def _local(options: dict[str, Any]) -> Storage:
    from .local import LocalStorage

    return LocalStorage(os.fspath(options["location"]))


def _s3(options: dict[str, Any]) -> Storage:
    from .s3 import S3Storage

    return S3Storage(options.pop("bucket_name"), **options)


def _gcs(options: dict[str, Any]) -> Storage:
    from .gcs import GCSStorage

    return GCSStorage(options.pop("bucket_name"), **options)


def _sftp(options: dict[str, Any]) -> Storage:
    from .sftp import SFTPStorage

    if "port" in options:
        try:
            options["port"] = int(options["port"])
        except (TypeError, ValueError):
            raise StorageConfigError("sftp 'port' must be an integer", provider="sftp") from None
    return SFTPStorage(options.pop("host"), **options)


def _http(options: dict[str, Any]) -> Storage:
    from .http import HTTPStorage

    try:
        if "timeout" in options:
            options["timeout"] = float(options["timeout"])
        if "retries" in options:
            options["retries"] = int(options["retries"])
    except (TypeError, ValueError):
        raise StorageConfigError("http 'timeout' and 'retries' must be numbers", provider="http") from None
    return HTTPStorage(options.pop("base_url"), **options)


_FACTORIES: dict[str, Callable[[dict[str, Any]], Storage]] = {
    "local": _local,
    "s3": _s3,
    "gcs": _gcs,
    "sftp": _sftp,
    "http": _http,
}
