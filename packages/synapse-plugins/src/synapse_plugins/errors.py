"""Errors raised by the plugin framework.

Every error the framework raises on purpose derives from [`PluginError`][synapse_plugins.errors.PluginError]; each
carries the data a caller needs to react as attributes, keeps secrets out of its message, and survives pickling
(Ray ships errors between processes)::

    PluginError                   anything the plugin framework refuses or reports
     ├── PluginConfigError        config.yaml is missing, malformed or invalid (file, key, value)   (ValueError)
     ├── ActionNotFoundError      the plugin has no action of that name (action, available)        (LookupError)
     ├── ActionLoadError          an action's entrypoint cannot be imported or is not an action (entrypoint)
     ├── ParamsError              the params fail the action's params model (field_errors)           (ValueError)
     ├── ExecutionError           the action ran and failed, or the run could not finish (action, traceback)
     │    └── RunStoppedError     the run was stopped before it finished
     ├── ExportError              an export could not run (its per-item failures are recorded, not raised)
     ├── UploadError              an upload could not run (its per-file failures are recorded, not raised)
     └── ConversionError          a dataset conversion failed (see synapse_plugins.converters.errors)

Example:
    >>> err = PluginConfigError("plugin/config.yaml", "actions.export.entrypoint", "Field required")
    >>> str(err)
    'plugin/config.yaml: actions.export.entrypoint: Field required'
    >>> isinstance(err, ValueError), err.key
    (True, 'actions.export.entrypoint')
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActionLoadError",
    "ActionNotFoundError",
    "ExecutionError",
    "ExportError",
    "ParamsError",
    "PluginConfigError",
    "PluginError",
    "RunStoppedError",
    "UploadError",
]

_MAX_VALUE_CHARS = 80


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


class PluginError(Exception):
    """Base class of every error the plugin framework raises on purpose.

    Example:
        >>> issubclass(ParamsError, PluginError)
        True
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the attributes, not from __init__'s arguments: subclasses take different ones.
        return (_rebuild, (type(self), self.args, self.__dict__.copy()))


def _rebuild(cls: type[PluginError], args: tuple[Any, ...], state: dict[str, Any]) -> PluginError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class PluginConfigError(PluginError, ValueError):
    """A plugin's ``config.yaml`` is missing, malformed or invalid.

    Args:
        file: The config file (or plugin folder when no config file was found).
        key: The dotted key path of the bad value (``actions.export.entrypoint``); empty for the whole file.
        reason: What is wrong, in words a user can act on.
        value: The offending value, if there is one (shown shortened in the message).

    Example:
        >>> err = PluginConfigError("config.yaml", "version", "must be SemVer (X.Y.Z)", value="1.0")
        >>> str(err)
        "config.yaml: version: must be SemVer (X.Y.Z) (got '1.0')"
    """

    _NO_VALUE: Any = object()

    def __init__(self, file: str, key: str, reason: str, *, value: Any = _NO_VALUE) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        self.value = None if value is self._NO_VALUE else value
        text = f"{self.file}: {key}: {reason}" if key else f"{self.file}: {reason}"
        if value is not self._NO_VALUE:
            text += f" (got {_short(value)})"
        super().__init__(text)


class ActionNotFoundError(PluginError, LookupError):
    """The plugin declares no action of this name.

    Args:
        action: The requested action.
        available: The actions the plugin has.
        plugin: The plugin's code, for the message.

    Example:
        >>> str(ActionNotFoundError("train", ["export"], plugin="yolo-export"))
        "plugin 'yolo-export' has no action 'train' (it has: export)"
    """

    def __init__(self, action: str, available: list[str], *, plugin: str = "") -> None:
        self.action = action
        self.available = list(available)
        self.plugin = plugin
        owner = f"plugin {plugin!r}" if plugin else "the plugin"
        has = ", ".join(self.available) or "no actions"
        super().__init__(f"{owner} has no action {action!r} (it has: {has})")


class ActionLoadError(PluginError):
    """An action's entrypoint cannot be imported, or what it names is not an action.

    Args:
        action: The action's name.
        entrypoint: The entrypoint string from ``config.yaml``.
        reason: Why loading failed (the import error's message, or what the object was).
        traceback: The formatted traceback of the import failure, if any.

    Example:
        >>> str(ActionLoadError("export", "plugin.export:Exporter", "No module named 'plugin'"))
        "action 'export': cannot load 'plugin.export:Exporter': No module named 'plugin'"
    """

    def __init__(self, action: str, entrypoint: str, reason: str, *, traceback: str | None = None) -> None:
        self.action = action
        self.entrypoint = entrypoint
        self.reason = reason
        self.traceback = traceback
        super().__init__(f"action {action!r}: cannot load {entrypoint!r}: {reason}")


class ParamsError(PluginError, ValueError):
    """The params fail the action's params model.

    Args:
        field_errors: The platform's field-error shape ``{field: [messages]}`` (nested for nested models), as
            [`to_field_errors`][synapse_plugins.types.to_field_errors] builds it.
        action: The action whose params failed.

    Example:
        >>> err = ParamsError({"name": ["Field required"]}, action="export")
        >>> str(err)
        "invalid params for action 'export': name: Field required"
        >>> err.field_errors
        {'name': ['Field required']}
    """

    def __init__(self, field_errors: dict[Any, Any], *, action: str = "") -> None:
        self.field_errors = field_errors
        self.action = action
        owner = f" for action {action!r}" if action else ""
        super().__init__(f"invalid params{owner}: {'; '.join(_flatten(field_errors)) or 'rejected'}")


def _flatten(tree: Any, prefix: str = "") -> list[str]:
    if isinstance(tree, dict):
        lines: list[str] = []
        for key, value in tree.items():
            lines += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return lines
    if isinstance(tree, list):
        return [f"{prefix}: {message}" for message in tree]
    return [f"{prefix}: {tree}"]


class ExecutionError(PluginError):
    """The action ran and raised, or its run could not be carried out.

    Args:
        message: What failed (the action's own error message, prefixed with its type).
        action: The action's name.
        traceback: The action's formatted traceback (also sent to the run's log), if it raised.
        job_id: The run's job id, when it had one.
        error_type: The qualified name of the exception the action raised, if it raised.

    Example:
        >>> err = ExecutionError("ValueError: no images", action="export", error_type="ValueError")
        >>> str(err)
        "action 'export' failed: ValueError: no images"
    """

    def __init__(
        self,
        message: str,
        *,
        action: str = "",
        traceback: str | None = None,
        job_id: str | None = None,
        error_type: str | None = None,
    ) -> None:
        self.message = message
        self.action = action
        self.traceback = traceback
        self.job_id = job_id
        self.error_type = error_type
        owner = f"action {action!r}" if action else "the action"
        super().__init__(f"{owner} failed: {message}")


class RunStoppedError(ExecutionError):
    """The run was stopped (by a user, a signal or Ray) before the action finished.

    Example:
        >>> str(RunStoppedError("stopped by the user", action="export"))
        "action 'export' failed: stopped by the user"
    """


class ExportError(PluginError):
    """An export could not run at all (bad target, unreachable storage); per-item failures are recorded instead.

    Example:
        >>> ExportError("target 'local' needs filter.path").args[0]
        "target 'local' needs filter.path"
    """


class UploadError(PluginError):
    """An upload could not run at all (no collection, unreadable source); per-file failures are recorded instead.

    Example:
        >>> UploadError("collection 4 has no file specifications").args[0]
        'collection 4 has no file specifications'
    """
