r"""Find and load a plugin's ``config.yaml`` into a [`PluginConfig`][synapse_plugins.config.PluginConfig].

Every failure is one [`PluginConfigError`][synapse_plugins.errors.PluginConfigError] naming the file, the key path
and the bad value. Nothing from the plugin is imported here.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: export\n"
    ...     "actions:\n  export:\n    entrypoint: plugin.export:Exporter\n"
    ... )
    >>> load_plugin_config(folder).code
    'hello'
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..errors import PluginConfigError
from .model import PluginConfig

__all__ = ["CONFIG_FILE_NAMES", "check_requirements", "find_config_file", "load_plugin_config"]

#: File names a plugin's config is read from, in order of preference.
CONFIG_FILE_NAMES = ("config.yaml", "synapse.yaml")
# A config.yaml is a page of YAML; anything this big is not one (and is not read into memory).
_MAX_CONFIG_BYTES = 1024 * 1024


def find_config_file(plugin_path: str | os.PathLike[str]) -> Path:
    """Return the config file of a plugin folder (``config.yaml``, else ``synapse.yaml``), or the file itself.

    Args:
        plugin_path: The plugin folder, or its config file.

    Returns:
        The path of the config file.

    Raises:
        PluginConfigError: If there is no such folder or file.

    Example:
        >>> import tempfile
        >>> try:
        ...     find_config_file(tempfile.mkdtemp())
        ... except PluginConfigError as exc:
        ...     print(exc.reason)
        no config.yaml or synapse.yaml in this folder
    """
    path = Path(plugin_path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise PluginConfigError(str(path), "", "no such plugin folder")
    for name in CONFIG_FILE_NAMES:
        candidate = path / name
        if candidate.is_file():
            return candidate
    raise PluginConfigError(str(path), "", "no config.yaml or synapse.yaml in this folder")


def load_plugin_config(plugin_path: str | os.PathLike[str], *, check: bool = True) -> PluginConfig:
    r"""Read, parse and validate a plugin's config file.

    Args:
        plugin_path: The plugin folder, or its config file.
        check: Also check ``requires`` against this Python and this SDK.

    Returns:
        The validated config.

    Raises:
        PluginConfigError: If the file is missing, is not YAML, has unknown keys or bad values, or the plugin
            requires another Python or SDK. The error names the file, the key path and the value.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "config.yaml").write_text(
        ...     "code: hello\nname: Hello\nversion: '1.0'\ncategory: export\n"
        ...     "actions:\n  export:\n    entrypoint: plugin.export:Exporter\n"
        ... )
        >>> try:
        ...     load_plugin_config(folder)
        ... except PluginConfigError as exc:
        ...     print(exc.key, "|", exc.value)
        version | 1.0
    """
    from pydantic import ValidationError

    from synapse_fileutils.errors import FileUtilsError
    from synapse_fileutils.io import get_dict_from_file

    file = find_config_file(plugin_path)
    shown = str(file)
    if file.stat().st_size > _MAX_CONFIG_BYTES:
        raise PluginConfigError(shown, "", f"larger than {_MAX_CONFIG_BYTES} bytes: not a plugin config")
    try:
        data = get_dict_from_file(file)
    except FileUtilsError as exc:
        raise PluginConfigError(shown, "", str(exc).replace(f"{file}: ", "")) from None
    try:
        config = PluginConfig.model_validate(data)
    except ValidationError as exc:
        raise _config_error(shown, exc) from None
    if check:
        check_requirements(config, shown)
    return config


def _config_error(file: str, exc: Any) -> PluginConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"])
    reason = first["msg"]
    if first["type"] == "extra_forbidden":
        reason = "unknown key (check its spelling; see the config.yaml reference)"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    if first["type"] == "missing":
        return PluginConfigError(file, key, reason)
    error = PluginConfigError(file, key, reason, value=first.get("input"))
    error.errors = [  # type: ignore[attr-defined]
        {"key": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in errors
    ]
    return error


def check_requirements(config: PluginConfig, file: str = "config.yaml") -> None:
    """Check ``requires.python`` and ``requires.sdk`` against this interpreter and the installed SDK.

    Args:
        config: The plugin's config.
        file: The config file, for the error message.

    Raises:
        PluginConfigError: If this Python or SDK is outside what the plugin requires.

    Example:
        >>> from synapse_plugins.config import PluginConfig
        >>> config = PluginConfig.model_validate(
        ...     {
        ...         "code": "x",
        ...         "name": "X",
        ...         "version": "1.0.0",
        ...         "category": "export",
        ...         "requires": {"python": "<3"},
        ...         "actions": {"export": {"entrypoint": "p:E"}},
        ...     }
        ... )
        >>> try:
        ...     check_requirements(config)
        ... except PluginConfigError as exc:
        ...     print(exc.key)
        requires.python
    """
    from packaging.specifiers import SpecifierSet

    from ..__about__ import __version__

    python = ".".join(str(part) for part in sys.version_info[:3])
    for key, spec, have in (("python", config.requires.python, python), ("sdk", config.requires.sdk, __version__)):
        if spec and not SpecifierSet(spec).contains(have, prereleases=True):
            what = "Python" if key == "python" else "synapse-plugins"
            raise PluginConfigError(file, f"requires.{key}", f"needs {what} {spec}, this is {have}", value=spec)
