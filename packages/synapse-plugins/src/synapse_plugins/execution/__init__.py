"""Running actions: one invocation, one runner per method, one ``run_plugin`` entry point.

Example:
    >>> from synapse_plugins.execution import Invocation, run_plugin
    >>> Invocation.create("plugin", "export", {}).action
    'export'
"""

from __future__ import annotations

from .api import METHODS, Method, make_logger, run_local, run_plugin
from .invocation import ENV_ALLOWED_BY_DEFAULT, Invocation
from .local import PreparedAction, execute, prepare

__all__ = [
    "ENV_ALLOWED_BY_DEFAULT",
    "METHODS",
    "Invocation",
    "Method",
    "PreparedAction",
    "execute",
    "make_logger",
    "prepare",
    "run_local",
    "run_plugin",
]
