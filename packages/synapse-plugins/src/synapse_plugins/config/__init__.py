"""A plugin's ``config.yaml``: the typed model and its loader.

Example:
    >>> from synapse_plugins.config import PluginConfig, load_plugin_config
    >>> "actions" in PluginConfig.model_fields
    True
"""

from __future__ import annotations

from .load import CONFIG_FILE_NAMES, check_requirements, find_config_file, load_plugin_config
from .model import ActionConfig, PluginConfig, Requirements, split_entrypoint

__all__ = [
    "CONFIG_FILE_NAMES",
    "ActionConfig",
    "PluginConfig",
    "Requirements",
    "check_requirements",
    "find_config_file",
    "load_plugin_config",
    "split_entrypoint",
]
