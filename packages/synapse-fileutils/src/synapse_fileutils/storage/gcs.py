"""The Google Cloud Storage provider, through gcsfs.

Install with ``pip install 'synapse-fileutils[gcs]'``.

Example:
    >>> storage = GCSStorage("my-bucket", credentials="anon", project="example")
    >>> storage.get_url("a b.json")
    'https://storage.googleapis.com/my-bucket/a%20b.json'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..http.redact import redact_url
from ._paths import join_key
from .errors import StorageConfigError
from .remote import FsspecStorage, key_of, require_module

__all__ = ["GCSStorage"]

#: Fields of a service-account JSON whose values are secrets.
_SECRET_FIELDS = ("private_key", "private_key_id", "client_secret", "refresh_token", "token")


class GCSStorage(FsspecStorage):
    """Files in a Google Cloud Storage bucket, optionally under a prefix (platform providers ``gcp``, ``gcs``, ``gs``).

    Args:
        bucket_name: The bucket.
        credentials: A service-account JSON as a dict, a JSON string or a file path; ``"anon"`` for public buckets;
            ``None`` for Google's default credentials.
        project: The project id, when the credentials do not name it.
        location: A prefix under which every path lives.
        endpoint_url: An alternative API endpoint (an emulator).

    Raises:
        StorageConfigError: ``bucket_name`` is empty or holds a ``/``, or ``credentials`` is malformed JSON.
        MissingExtraError: gcsfs is not installed.

    Example:
        >>> GCSStorage("my-bucket", credentials="anon", project="example", location="exports")
        GCSStorage(bucket_name='my-bucket', location='exports')
    """

    provider = "gcs"
    _has_folders = False
    _rename_into_place = False

    def __init__(
        self,
        bucket_name: str,
        *,
        credentials: str | Mapping[str, Any] | None = None,
        project: str | None = None,
        location: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if not bucket_name or "/" in bucket_name:
            raise StorageConfigError(f"invalid GCS bucket_name {bucket_name!r}", provider="gcs")
        token, secrets = _token(credentials)
        gcsfs = require_module("gcsfs", provider="gcs", extra="gcs")
        options: dict[str, Any] = {"project": project, "token": token, "skip_instance_cache": True}
        filesystem = gcsfs.GCSFileSystem
        if endpoint_url:
            options["endpoint_url"] = endpoint_url
            # gcsfs' default class probes the bucket type over gRPC, which only Google's own endpoint speaks; the
            # JSON-API class talks to any endpoint (emulators, private gateways).
            filesystem = require_module("gcsfs.core", provider="gcs", extra="gcs").GCSFileSystem
        fs = filesystem(**options)
        self._bucket = bucket_name
        self._prefix = key_of(location)
        self._endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        super().__init__(fs, join_key(bucket_name, self._prefix), secrets=secrets)

    def __repr__(self) -> str:
        extra = f", endpoint_url={redact_url(self._endpoint_url)!r}" if self._endpoint_url else ""
        return f"GCSStorage(bucket_name={self._bucket!r}, location={self._prefix!r}{extra})"

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        full = self._full(key)
        if presigned:
            url: str = self._fs.sign(full, expiration=expires)
            return url
        base = self._endpoint_url or "https://storage.googleapis.com"
        return f"{base}/{self._bucket}/{quote(full.partition('/')[2])}"


def _token(credentials: str | Mapping[str, Any] | None) -> tuple[Any, tuple[str | None, ...]]:
    """Turn the configured credentials into a gcsfs token and the secrets to scrub."""
    if credentials is None or credentials in ("anon", "google_default", "cloud", "browser"):
        return credentials, ()
    if isinstance(credentials, str) and credentials.lstrip().startswith("{"):
        try:
            credentials = json.loads(credentials)
        except json.JSONDecodeError:
            raise StorageConfigError("credentials is not valid JSON", provider="gcs") from None
    if isinstance(credentials, Mapping):
        info = dict(credentials)
        return info, tuple(str(info[f]) for f in _SECRET_FIELDS if info.get(f))
    return str(credentials), ()
