"""Public test helpers: a real local Ray head for tests, demos and experiments.

Example:
    ```python
    from synapse_client.testing import LocalRayHead

    with LocalRayHead() as head:
        ...
    ```
"""

from __future__ import annotations

from .ray_head import LocalRayHead, RayNotInstalledError, RayStartError, find_ray_executable

__all__ = ["LocalRayHead", "RayNotInstalledError", "RayStartError", "find_ray_executable"]
