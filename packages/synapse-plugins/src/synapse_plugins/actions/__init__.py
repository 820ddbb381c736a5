"""Actions: the ``Action`` base class, the registry that finds them, and the built-ins' defaults.

Example:
    >>> from synapse_plugins.actions import Action, ActionRegistry
    >>> "export" in ActionRegistry()
    True
"""

from __future__ import annotations

from .base import Action, ActionContext, AnyParams, function_action
from .builtin import BUILTIN_ACTIONS, DEFAULT_METHODS, default_method
from .importing import import_object, plugin_imports
from .registry import ENTRY_POINT_GROUP, ActionRegistry, Plugin, method_for

__all__ = [
    "BUILTIN_ACTIONS",
    "DEFAULT_METHODS",
    "ENTRY_POINT_GROUP",
    "Action",
    "ActionContext",
    "ActionRegistry",
    "AnyParams",
    "Plugin",
    "default_method",
    "function_action",
    "import_object",
    "method_for",
    "plugin_imports",
]
