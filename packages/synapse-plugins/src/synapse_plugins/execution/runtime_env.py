r"""The Ray ``runtime_env`` of a plugin's runs: its packaged folder, its requirements, its plain environment.

Every Ray method builds it here: ``working_dir`` is the plugin folder's content-addressed package; the plugin's
``requirements.txt`` becomes ``pip`` (or ``uv``, per ``package_manager`` in ``config.yaml``) with its install options;
``config.yaml``'s ``env`` (plain, non-secret values: Ray shows ``env_vars`` on its dashboard) becomes ``env_vars``.
Nothing secret is ever put here (see [`runfiles`][synapse_plugins.execution.runfiles]).

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.actions import Plugin
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: pre_annotation\nenv: {STAGE: dev}\n"
    ...     "actions:\n  greet:\n    entrypoint: hello:greet\n"
    ... )
    >>> _ = (folder / "requirements.txt").write_text("# pinned\nrequests>=2\n")
    >>> plugin_runtime_env(Plugin.load(folder), "gcs://_ray_pkg_x.zip")
    {'working_dir': 'gcs://_ray_pkg_x.zip', 'pip': {'packages': ['requests>=2']}, 'env_vars': {'STAGE': 'dev'}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..actions import Plugin

__all__ = ["plugin_runtime_env", "requirements"]


def requirements(plugin: Plugin) -> list[str]:
    """Read the plugin's ``requirements.txt`` (no file: none), without comments and blank lines.

    Args:
        plugin: The plugin.

    Returns:
        The requirement lines.

    Example:
        >>> import pathlib, tempfile
        >>> from synapse_plugins.actions import Plugin
        >>> requirements(Plugin(path=pathlib.Path(tempfile.mkdtemp()), config=None, config_file=None))
        []
    """
    file = plugin.path / "requirements.txt"
    if not file.is_file():
        return []
    lines = [line.split("#", 1)[0].strip() for line in file.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def plugin_runtime_env(plugin: Plugin, working_dir: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build a run's ``runtime_env``.

    Args:
        plugin: The plugin.
        working_dir: The URI of its package.
        extra: More fields from the caller (``py_modules``, ``config``...); ``env_vars`` merge over the plugin's.

    Returns:
        The runtime env.
    """
    env: dict[str, Any] = {"working_dir": working_dir}
    packages = requirements(plugin)
    if packages:
        manager = plugin.config.package_manager
        spec: dict[str, Any] = {"packages": packages}
        if plugin.config.package_manager_options:
            key = "pip_install_options" if manager == "pip" else "uv_pip_install_options"
            spec[key] = list(plugin.config.package_manager_options)
        env[manager] = spec
    env_vars = dict(plugin.config.env)
    for key, value in (extra or {}).items():
        if key == "env_vars":
            env_vars.update(value)
        else:
            env[key] = value
    if env_vars:
        env["env_vars"] = env_vars
    return env
