r"""One registry of actions: the SDK's built-ins, installed packages' entry points, and a plugin's own config.yaml.

A [`Plugin`][synapse_plugins.actions.registry.Plugin] is a folder with a validated config; its actions are resolved
through an [`ActionRegistry`][synapse_plugins.actions.registry.ActionRegistry] instance (no module-level state: a
test makes a fresh one). An action's config ``entrypoint`` may name:

- an ``Action`` subclass: that is the action (a plugin can add any action name);
- a function ``fn(run, params)``: wrapped as an action;
- a hook class that a registered action accepts (a ``BaseExporter`` subclass for ``export``): the registered action,
  bound to that hook.

An action without ``entrypoint`` uses the action registered under its name (a built-in, or one that an installed
package declares in the ``synapse_plugins.actions`` entry-point group). Loading a plugin imports none of its code;
a broken module fails only the action that needs it, with its traceback.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.yaml").write_text(
    ...     "code: hello\nname: Hello\nversion: 0.1.0\ncategory: pre_annotation\n"
    ...     "actions:\n  greet:\n    entrypoint: hello_main:greet\n"
    ... )
    >>> _ = (folder / "hello_main.py").write_text("def greet(run, params):\n    return 'hi ' + params['who']\n")
    >>> plugin = Plugin.load(folder)
    >>> plugin.action_names
    ['greet']
    >>> action_cls = ActionRegistry().resolve(plugin, "greet")
    >>> action_cls.name, method_for(action_cls, plugin, "greet").value
    ('greet', 'task')
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..categories import RunMethod
from ..config import ActionConfig, PluginConfig, load_plugin_config
from ..errors import ActionLoadError, ActionNotFoundError, PluginConfigError
from .base import Action, function_action
from .builtin import BUILTIN_ACTIONS, default_method
from .importing import import_object, plugin_imports

__all__ = ["ENTRY_POINT_GROUP", "ActionRegistry", "Plugin", "method_for"]

#: Installed packages add actions under this entry-point group: ``name = "package.module:ActionClass"``.
ENTRY_POINT_GROUP = "synapse_plugins.actions"


@dataclass(frozen=True)
class Plugin:
    """A plugin folder and its validated config.

    Attributes:
        path: The plugin folder (resolved).
        config: Its validated ``config.yaml``.
        config_file: The config file it was read from.
    """

    path: Path
    config: PluginConfig
    config_file: Path

    @classmethod
    def load(cls, plugin_path: str | os.PathLike[str], *, check: bool = True) -> Plugin:
        """Read and validate a plugin folder's config (nothing of the plugin is imported).

        Args:
            plugin_path: The folder (or its config file).
            check: Check ``requires`` against this Python and SDK.

        Returns:
            The plugin.

        Raises:
            PluginConfigError: If the config is missing or invalid.
        """
        from ..config import find_config_file

        file = find_config_file(plugin_path).resolve()
        return cls(path=file.parent, config=load_plugin_config(file, check=check), config_file=file)

    @property
    def action_names(self) -> list[str]:
        """The plugin's action names, in config order."""
        return list(self.config.actions)

    def action_config(self, name: str) -> ActionConfig:
        """Return one action's config entry.

        Args:
            name: The action.

        Returns:
            Its config.

        Raises:
            ActionNotFoundError: If the plugin has no such action.
        """
        try:
            return self.config.actions[name]
        except KeyError:
            raise ActionNotFoundError(name, self.action_names, plugin=self.config.code) from None


def method_for(action_cls: type[Action[Any]], plugin: Plugin | None, name: str) -> RunMethod:
    """Decide how the platform runs an action: config.yaml's ``method``, else the class's, else the name's default.

    Args:
        action_cls: The action class.
        plugin: The plugin (None for an action outside a plugin).
        name: The action's name.

    Returns:
        The run method.

    Example:
        >>> class Train(Action):
        ...     pass
        >>> method_for(Train, None, "train").value
        'job'
    """
    configured = plugin.config.actions[name].method if plugin and name in plugin.config.actions else None
    return configured or action_cls.method or default_method(name)


class ActionRegistry:
    """Actions known by name, and how to turn a plugin's config entry into an action class.

    Args:
        builtins: Register the SDK's built-in actions (``export``, ``upload``).
        entry_points: Register actions that installed packages declare in the ``synapse_plugins.actions`` group.

    Example:
        >>> registry = ActionRegistry(builtins=False, entry_points=False)
        >>> class Ping(Action):
        ...     def start(self):
        ...         return "pong"
        >>> registry.register("ping", Ping)
        >>> registry.get("ping") is Ping, registry.names()
        (True, ['ping'])
    """

    def __init__(self, *, builtins: bool = True, entry_points: bool = True) -> None:
        self._actions: dict[str, type[Action[Any]] | str] = {}
        if builtins:
            self._actions.update(BUILTIN_ACTIONS)
        if entry_points:
            self._actions.update(_entry_point_actions())

    def register(self, name: str, action: type[Action[Any]] | str) -> None:
        """Register an action class (or a ``module:Class`` string, imported on first use) under a name.

        Args:
            name: The action name.
            action: The action class or its import string.
        """
        self._actions[name] = action

    def names(self) -> list[str]:
        """The registered action names, sorted."""
        return sorted(self._actions)

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def get(self, name: str) -> type[Action[Any]]:
        """Return the action registered under a name, importing it if needed.

        Args:
            name: The action name.

        Returns:
            The action class.

        Raises:
            ActionNotFoundError: If nothing is registered under the name.
            ActionLoadError: If its module cannot be imported.
        """
        try:
            action = self._actions[name]
        except KeyError:
            raise ActionNotFoundError(name, self.names(), plugin="(registry)") from None
        if isinstance(action, str):
            module, _, attribute = action.partition(":")
            try:
                action = getattr(importlib.import_module(module), attribute)
            except (ImportError, AttributeError) as exc:
                raise ActionLoadError(name, str(self._actions[name]), str(exc),
                                      traceback=traceback.format_exc()) from exc  # fmt: skip
            self._actions[name] = action
        return action

    def check(self, plugin: Plugin) -> None:
        """Check, without importing anything, that every action lacking an entrypoint has a registered one.

        Args:
            plugin: The plugin.

        Raises:
            PluginConfigError: Naming the action whose entrypoint is missing.
        """
        for name, config in plugin.config.actions.items():
            if config.entrypoint is None and name not in self._actions:
                raise PluginConfigError(
                    str(plugin.config_file), f"actions.{name}.entrypoint",
                    f"required: no built-in or installed action is called {name!r}",
                )  # fmt: skip

    def resolve(self, plugin: Plugin, name: str) -> type[Action[Any]]:
        """Import and return the action class for one of a plugin's actions.

        Call it inside [`plugin_imports`][synapse_plugins.actions.importing.plugin_imports] when the action will also
        run (its lazy imports need the folder on ``sys.path``); on its own it adds the folder for the import only.

        Args:
            plugin: The plugin.
            name: The action's name.

        Returns:
            The action class (its ``name`` set to ``name``).

        Raises:
            ActionNotFoundError: If the plugin has no such action.
            ActionLoadError: If the entrypoint cannot be imported or names something that is not an action.
        """
        config = plugin.action_config(name)
        if config.entrypoint is None:
            return _named(self.get(name), name)
        entrypoint = config.entrypoint
        with plugin_imports(plugin.path):
            try:
                target = import_object(plugin.path, entrypoint)
            except Exception as exc:  # any error raised by the plugin's module while importing it
                raise ActionLoadError(name, entrypoint, f"{type(exc).__name__}: {exc}",
                                      traceback=traceback.format_exc()) from exc  # fmt: skip
        return _named(self._as_action(name, entrypoint, target), name)

    def _as_action(self, name: str, entrypoint: str, target: Any) -> type[Action[Any]]:
        if isinstance(target, type) and issubclass(target, Action):
            return target
        if isinstance(target, type) and name in self._actions:
            registered = self.get(name)
            hook_base = getattr(registered, "hook_base", None)
            if hook_base is not None and issubclass(target, hook_base):
                bound: type[Action[Any]] = registered.bind(target)  # type: ignore[attr-defined]
                return bound
            expected = f"an Action subclass or a {hook_base.__name__} subclass" if hook_base else "an Action subclass"
            raise ActionLoadError(name, entrypoint, f"{target.__name__} is not {expected}")
        if isinstance(target, type):
            raise ActionLoadError(name, entrypoint, f"{target.__name__} is not an Action subclass")
        if callable(target):
            try:
                return function_action(target, name)
            except TypeError as exc:
                raise ActionLoadError(name, entrypoint, str(exc)) from None
        raise ActionLoadError(name, entrypoint, f"names a {type(target).__name__}, not an action or a function")


def _named(action_cls: type[Action[Any]], name: str) -> type[Action[Any]]:
    if action_cls.name == name:
        return action_cls
    # A subclass per name, so one class can serve two action names without sharing a mutable attribute.
    return type(action_cls.__name__, (action_cls,), {"name": name, "__module__": action_cls.__module__,
                                                     "__qualname__": action_cls.__qualname__})  # fmt: skip


def _entry_point_actions() -> dict[str, str]:
    from importlib.metadata import entry_points

    found: Iterable[Any] = entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep.value for ep in found}
