"""The Synapse plugin framework: plugin config, actions and runs, execution locally or on Ray, converters.

Names that need pydantic (actions, config, parameter types) and the converters load on first use, so
``import synapse_plugins`` stays cheap.

Example:
    >>> from synapse_plugins import PluginCategory
    >>> PluginCategory.EXPORT.value
    'export'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synapse_fileutils.lazy import lazy_exports

from .__about__ import __version__
from .categories import PluginCategory, RunMethod

if TYPE_CHECKING:
    from .actions import Action, ActionRegistry, Plugin
    from .config import ActionConfig, PluginConfig, load_plugin_config
    from .converters import (
        ConversionError,
        ConversionReport,
        convert_coco_to_dm,
        convert_dm_to_coco,
        convert_dm_to_voc,
        convert_dm_to_yolo,
        convert_v1_to_v2,
        convert_v2_to_v1,
        convert_voc_to_dm,
        convert_yolo_to_dm,
    )
    from .errors import (
        ActionLoadError,
        ActionNotFoundError,
        ExecutionError,
        ExportError,
        ParamsError,
        PluginConfigError,
        PluginError,
        RunStoppedError,
        UploadError,
    )
    from .execution import Invocation, run_plugin
    from .export import BaseExporter
    from .run import MetricsRecord, Run
    from .types import FileField, NonBlankStr, SlugStr, to_field_errors
    from .upload import Uploader

# Public name -> submodule that defines it, imported on first attribute access (PEP 562).
_LAZY = {
    **dict.fromkeys(["Action", "ActionRegistry", "Plugin"], "actions"),
    **dict.fromkeys(["ActionConfig", "PluginConfig", "load_plugin_config"], "config"),
    **dict.fromkeys(
        [
            "ActionLoadError",
            "ActionNotFoundError",
            "ExecutionError",
            "ExportError",
            "ParamsError",
            "PluginConfigError",
            "PluginError",
            "RunStoppedError",
            "UploadError",
        ],
        "errors",
    ),
    **dict.fromkeys(["Invocation", "run_plugin"], "execution"),
    "BaseExporter": "export",
    "Uploader": "upload",
    **dict.fromkeys(["MetricsRecord", "Run"], "run"),
    **dict.fromkeys(["FileField", "NonBlankStr", "SlugStr", "to_field_errors"], "types"),
    **dict.fromkeys(
        [
            "ConversionError",
            "ConversionReport",
            "convert_coco_to_dm",
            "convert_dm_to_coco",
            "convert_dm_to_voc",
            "convert_dm_to_yolo",
            "convert_v1_to_v2",
            "convert_v2_to_v1",
            "convert_voc_to_dm",
            "convert_yolo_to_dm",
        ],
        "converters",
    ),
}

__all__ = [
    "Action",
    "ActionConfig",
    "ActionLoadError",
    "ActionNotFoundError",
    "ActionRegistry",
    "BaseExporter",
    "ConversionError",
    "ConversionReport",
    "ExecutionError",
    "ExportError",
    "FileField",
    "Invocation",
    "MetricsRecord",
    "NonBlankStr",
    "ParamsError",
    "Plugin",
    "PluginCategory",
    "PluginConfig",
    "PluginConfigError",
    "PluginError",
    "Run",
    "RunMethod",
    "RunStoppedError",
    "SlugStr",
    "UploadError",
    "Uploader",
    "__version__",
    "convert_coco_to_dm",
    "convert_dm_to_coco",
    "convert_dm_to_voc",
    "convert_dm_to_yolo",
    "convert_v1_to_v2",
    "convert_v2_to_v1",
    "convert_voc_to_dm",
    "convert_yolo_to_dm",
    "load_plugin_config",
    "run_plugin",
    "to_field_errors",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
