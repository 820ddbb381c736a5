r"""Publish a plugin: pack its files with Python, name the archive by its content, and create a release.

The archive holds the plugin folder's files minus ``.gitignore``, ``.rayignore`` and ``.synapseignore`` patterns and
the files that never leave a machine (``.env``, ``.git``, virtualenvs, caches): the same selection and the same
content-addressed name as the package a Ray job runs
([`build_package`][synapse_client.ray.packaging.build_package]), so a release and a job of the same files are the
same bytes. No shell, ``git`` or ``zip`` program is needed. The release is ``POST plugin_releases/`` with the
plugin's code, its **version**, the content checksum and the validated ``config.yaml``.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.scaffold import create_plugin
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "hello"
    >>> _ = create_plugin(folder, code="hello", name="Hello", category="smart_tool")
    >>> _ = (folder / ".env").write_text("TOKEN=secret\n")
    >>> release = prepare_release(folder)
    >>> release.code, release.version, ".env" in release.files, "config.yaml" in release.files
    ('hello', '0.1.0', False, True)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_client.backend import BackendClient
    from synapse_client.ray.packaging import Package

__all__ = ["IGNORE_FILE", "Release", "prepare_release", "publish_release"]

#: A plugin's own ignore file (gitignore syntax), read on top of ``.gitignore`` and ``.rayignore``.
IGNORE_FILE = ".synapseignore"


@dataclass(frozen=True)
class Release:
    """What a release of a plugin holds, before it is sent.

    Attributes:
        code: The plugin's code.
        version: Its version (sent explicitly: the backend need not read it out of the archive).
        checksum: The content checksum (SHA-256 over the packed files' names, modes and contents).
        files: The packed files, sorted.
        size: Their total size in bytes.
        config: The validated config, as JSON data.
        package: The package the archive is built from.
    """

    code: str
    version: str
    checksum: str
    files: tuple[str, ...]
    size: int
    config: dict[str, Any]
    package: Package

    def fields(self) -> dict[str, Any]:
        """The release's form fields for ``POST plugin_releases/`` (without the archive).

        Example:
            >>> sorted(Release("a", "1.0.0", "c", (), 0, {}, None).fields())  # type: ignore[arg-type]
            ['checksum', 'config', 'plugin', 'version']
        """
        return {"plugin": self.code, "version": self.version, "checksum": self.checksum, "config": self.config}


def _ignore_patterns(folder: Path) -> list[str]:
    path = folder / IGNORE_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in (raw.strip() for raw in lines) if line and not line.startswith("#")]


def prepare_release(plugin_path: str | os.PathLike[str]) -> Release:
    """Validate a plugin and select the files of its release; nothing is written or sent.

    Args:
        plugin_path: The plugin folder.

    Returns:
        The release.

    Raises:
        PluginConfigError: If ``config.yaml`` is invalid.
    """
    from synapse_client.ray.packaging import build_package

    from .actions import Plugin

    plugin = Plugin.load(plugin_path)
    package = build_package(plugin.path, excludes=_ignore_patterns(plugin.path))
    checksum = package.name.removeprefix("_ray_pkg_").removesuffix(".zip")
    return Release(
        code=plugin.config.code,
        version=plugin.config.version,
        checksum=checksum,
        files=package.files,
        size=package.size,
        config=plugin.config.model_dump(mode="json", exclude_none=True),
        package=package,
    )


def publish_release(release: Release, client: BackendClient) -> Any:
    """Build the archive in a temp folder and create the release on the backend.

    Args:
        release: From [`prepare_release`][synapse_plugins.publish.prepare_release].
        client: The backend client (its token is sent, never printed).

    Returns:
        The created release record.
    """
    with tempfile.TemporaryDirectory(prefix="synapse-publish-") as tmp:
        archive = Path(tmp) / f"{release.code}-{release.version}.zip"
        archive.write_bytes(release.package.zip_bytes())
        return client.create_plugin_release({**release.fields(), "file": archive})
