"""The SFTP provider, through sshfs (asyncssh).

Install with ``pip install 'synapse-fileutils[sftp]'``. Paths are confined to ``root_path`` on the server: ``..`` is
refused before anything is sent, and every path is resolved by the server (``realpath``) so a symbolic link that leads
outside the root is refused too. Uploads go to a temp name and are renamed into place.

Example:
    >>> issubclass(SFTPStorage, FsspecStorage)
    True
"""

from __future__ import annotations

import os
import posixpath
from typing import Any
from urllib.parse import quote

from ._paths import Scrubber
from .errors import PathEscapeError, StorageConfigError, StorageOperationError
from .remote import FsspecStorage, require_module

__all__ = ["SFTPStorage"]


class SFTPStorage(FsspecStorage):
    """Files on an SFTP server under ``root_path`` (platform provider ``sftp``).

    The connection is opened when the storage is created. Host keys are checked against ``known_hosts`` (asyncssh's
    default, ``~/.ssh/known_hosts``, when not given).

    Args:
        host: The server's host name or address.
        port: The SSH port.
        username: The login name.
        password: The password (or use ``private_key``).
        private_key: Path to a private key file.
        passphrase: The private key's passphrase, if it has one.
        root_path: The folder on the server that every path is relative to; a relative one is resolved against the
            login folder.
        known_hosts: Path to a known_hosts file that holds the server's host key.
        timeout: Connect timeout in seconds.

    Raises:
        StorageConfigError: ``host`` is empty.
        MissingExtraError: sshfs is not installed.
        StorageOperationError: The connection or login failed, or ``root_path`` does not exist.

    Example:
        A storage on a server whose host key is in ``known_hosts``::

            storage = SFTPStorage(
                "sftp.example.com",
                username="exporter",
                password="...",
                root_path="/data/exports",
                known_hosts="/etc/synapse/known_hosts",
            )
            storage.upload("result.zip", "2024/result.zip")
    """

    provider = "sftp"

    def __init__(
        self,
        host: str,
        *,
        port: int = 22,
        username: str | None = None,
        password: str | None = None,
        private_key: str | os.PathLike[str] | None = None,
        passphrase: str | None = None,
        root_path: str = "/",
        known_hosts: str | os.PathLike[str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not host:
            raise StorageConfigError("sftp needs a host", provider="sftp")
        sshfs = require_module("sshfs", provider="sftp", extra="sftp")
        options: dict[str, Any] = {"port": int(port), "username": username, "connect_timeout": timeout}
        if password is not None:
            options["password"] = password
        if private_key is not None:
            options["client_keys"] = [os.fspath(private_key)]
        if passphrase is not None:
            options["passphrase"] = passphrase
        if known_hosts is not None:
            options["known_hosts"] = os.fspath(known_hosts)
        self._host = host
        self._port = int(port)
        self._username = username
        secrets = (password, passphrase)
        try:
            fs = sshfs.SSHFileSystem(host, skip_instance_cache=True, **options)
        except Exception as exc:
            reason = Scrubber(secrets).scrub(f"{type(exc).__name__}: {exc}")
            raise StorageOperationError("connect", f"{host}:{port}", reason) from None
        super().__init__(fs, root_path, secrets=secrets)
        with self._errors("connect", root_path):
            self._root = self._realpath(root_path)
            if not fs.isdir(self._root):
                raise StorageOperationError("connect", root_path, "root_path is not a folder on the server")

    def __repr__(self) -> str:
        return (
            f"SFTPStorage(host={self._host!r}, port={self._port}, username={self._username!r}, "
            f"root_path={self._root!r})"
        )

    def close(self) -> None:
        """Close the SSH connection (it is also closed when the storage is garbage collected).

        Example:
            A storage used in a ``try``/``finally``::

                storage = SFTPStorage("127.0.0.1", port=2222, username="u", password="...")
                try:
                    storage.upload("a.txt", "a.txt")
                finally:
                    storage.close()
        """
        client = getattr(self._fs, "client", None)
        if client is not None:
            client.close()

    def _realpath(self, path: str) -> str:
        """Ask the server where ``path`` really leads (symbolic links followed)."""
        from fsspec.asyn import sync

        async def resolve() -> str:
            async with self._fs._pool.get() as channel:
                resolved: str = await channel.realpath(path)
                return resolved

        return sync(self._fs.loop, resolve)  # type: ignore[no-any-return]

    def _key(self, path: str | os.PathLike[str]) -> str:
        key = super()._key(path)
        if key:
            self._check_links(key, str(path))
        return key

    def _check_links(self, key: str, shown: str) -> None:
        """Refuse ``key`` when its deepest existing part resolves outside the root on the server."""
        import asyncssh

        candidate = self._full(key)
        while candidate != self._root and candidate.startswith(self._root):
            try:
                resolved = self._realpath(candidate)
            except (asyncssh.SFTPError, FileNotFoundError):
                candidate = posixpath.dirname(candidate)
                continue
            root = self._root.rstrip("/") + "/"
            if resolved != self._root and not resolved.startswith(root):
                raise PathEscapeError(shown, "a symbolic link leads outside the storage root")
            return

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        port = "" if self._port == 22 else f":{self._port}"
        return f"sftp://{self._host}{port}{quote(self._full(key))}"
