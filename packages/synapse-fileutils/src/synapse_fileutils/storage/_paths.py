"""Path confinement and secret redaction shared by the storage providers.

Every provider turns the caller's path into a key relative to its root with :func:`normalize_key`, so ``..`` can never
climb above the root and a leading ``/`` means "from the root". Messages that may carry backend text go through a
:class:`Scrubber` holding the configuration's secrets, and URLs shown to people go through
:func:`synapse_fileutils.http.redact_url`.

Example:
    >>> normalize_key("/exports/./a/../b.json")
    'exports/b.json'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath

from ..http.redact import redact_text
from .errors import PathEscapeError

__all__ = ["Scrubber", "join_key", "normalize_key"]


def normalize_key(path: str | os.PathLike[str]) -> str:
    """Turn a caller's path into a clean key relative to the storage root.

    A leading ``/`` is read as the storage root (the platform's records write ``/uploads`` for "uploads in this
    storage"), ``.`` and empty parts are dropped and ``..`` removes the previous part.

    Args:
        path: A POSIX-style path (``str`` or path-like). Backslashes are treated as ordinary characters.

    Returns:
        The key without leading or trailing slashes; ``""`` is the root itself.

    Raises:
        PathEscapeError: ``..`` climbs above the root, or the path holds a NUL byte.

    Example:
        >>> normalize_key("a//b/")
        'a/b'
        >>> normalize_key("../secret")
        Traceback (most recent call last):
        ...
        synapse_fileutils.storage.errors.PathEscapeError: refusing path '../secret': it climbs above the storage root
    """
    text = path.as_posix() if isinstance(path, PurePath) else os.fspath(path)
    if "\x00" in text:
        raise PathEscapeError(text, "it contains a NUL byte")
    parts: list[str] = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise PathEscapeError(text)
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def join_key(root: str, key: str) -> str:
    """Join a backend root and a normalized key with exactly one slash.

    Args:
        root: The backend path of the storage root (``"bucket/prefix"``, ``"/srv/data"``).
        key: A key from :func:`normalize_key`.

    Returns:
        The backend path; the root itself when ``key`` is empty.

    Example:
        >>> join_key("bucket/prefix/", "a/b.txt")
        'bucket/prefix/a/b.txt'
    """
    if not key:
        return root.rstrip("/") or "/"
    return f"{root.rstrip('/')}/{key}"


class Scrubber:
    """Remove a configuration's secret values from text that came from a backend, with the usual redaction rules.

    The rules are those of :func:`synapse_fileutils.http.redact_text`; this class only holds the secrets.

    Args:
        secrets: The secret values (keys, passwords, tokens). Empty and very short values are ignored, since
            replacing them would mangle ordinary text without protecting anything.

    Example:
        >>> Scrubber(["s3cr3t-value"]).scrub("auth failed for s3cr3t-value")
        'auth failed for ***'
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``***`` and URLs' query values hidden.

        Args:
            text: The message to clean.

        Returns:
            The cleaned message.

        Example:
            >>> Scrubber([]).scrub("GET https://h/k?X-Amz-Signature=abc failed")
            'GET https://h/k?X-Amz-Signature=*** failed'
        """
        return redact_text(text, self._secrets)
