"""The Synapse plugin framework.

Example:
    >>> from synapse_plugins import PluginCategory
    >>> PluginCategory.EXPORT.value
    'export'
"""

from __future__ import annotations

from .__about__ import __version__
from .categories import PluginCategory, RunMethod

__all__ = ["PluginCategory", "RunMethod", "__version__"]
