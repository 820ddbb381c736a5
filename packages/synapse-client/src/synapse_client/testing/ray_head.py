"""Moved: [`LocalRayHead`][synapse_client.ray.local.LocalRayHead] now lives in ``synapse_client.ray.local``.

This module keeps the old import path working.

Example:
    >>> from synapse_client.testing.ray_head import LocalRayHead as Old
    >>> from synapse_client.ray.local import LocalRayHead
    >>> Old is LocalRayHead
    True
"""

from __future__ import annotations

from ..ray.local import LocalRayHead, RayNotInstalledError, RayStartError, find_ray_executable

__all__ = ["LocalRayHead", "RayNotInstalledError", "RayStartError", "find_ray_executable"]
