"""Plugin categories and run methods the Synapse platform knows.

Example:
    >>> PluginCategory("export")
    <PluginCategory.EXPORT: 'export'>
    >>> RunMethod.JOB.value
    'job'
"""

from __future__ import annotations

from enum import Enum

__all__ = ["PluginCategory", "RunMethod"]


class PluginCategory(str, Enum):
    """What a plugin does on the platform; set as ``category`` in a plugin's ``config.yaml``.

    Example:
        >>> PluginCategory.NEURAL_NET.value
        'neural_net'
    """

    NEURAL_NET = "neural_net"
    EXPORT = "export"
    UPLOAD = "upload"
    SMART_TOOL = "smart_tool"
    POST_ANNOTATION = "post_annotation"
    PRE_ANNOTATION = "pre_annotation"
    DATA_VALIDATION = "data_validation"


class RunMethod(str, Enum):
    """How an action runs: as a Ray job, a Ray task, or behind a REST endpoint (Ray Serve).

    Example:
        >>> RunMethod("task")
        <RunMethod.TASK: 'task'>
    """

    JOB = "job"
    TASK = "task"
    RESTAPI = "restapi"
