"""The SDK's built-in actions: default run methods by action name, and the actions that call a plugin's hook class.

A built-in action such as ``export`` is an [`Action`][synapse_plugins.actions.Action] the SDK ships; a plugin fills
it in by naming a hook class in ``config.yaml`` (``entrypoint: plugin.export:Exporter``, a ``BaseExporter``
subclass). Built-ins are listed here by import string, so nothing is imported until one is used.

Example:
    >>> default_method("export").value, default_method("inference").value, default_method("my_step").value
    ('job', 'restapi', 'task')
"""

from __future__ import annotations

from ..categories import RunMethod

__all__ = ["BUILTIN_ACTIONS", "DEFAULT_METHODS", "default_method"]

#: How the platform runs a built-in action when neither config.yaml nor the action class says.
DEFAULT_METHODS: dict[str, RunMethod] = {
    **dict.fromkeys(
        ["export", "upload", "download", "convert", "train", "test", "tune", "deployment", "to_task"], RunMethod.JOB
    ),
    "inference": RunMethod.RESTAPI,
    "auto_label": RunMethod.TASK,
}

#: Built-in actions that wrap a plugin's hook class: action name -> ``module:Class`` of the SDK's action.
BUILTIN_ACTIONS: dict[str, str] = {
    "export": "synapse_plugins.export.action:ExportAction",
    "upload": "synapse_plugins.upload.action:UploadAction",
}


def default_method(action: str) -> RunMethod:
    """Return the default run method of an action name (``task`` for names the SDK does not know).

    Args:
        action: The action's name.

    Returns:
        Its default method.

    Example:
        >>> default_method("train")
        <RunMethod.JOB: 'job'>
    """
    return DEFAULT_METHODS.get(action, RunMethod.TASK)
