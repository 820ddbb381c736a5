"""Public test helpers: a real local Ray head for tests, demos and experiments.

[`LocalRayHead`][synapse_client.ray.local.LocalRayHead] lives in ``synapse_client.ray.local`` (the embedded cluster
that ``run_plugin`` starts on demand); it is re-exported here for tests written against the earlier path.

Example:
    ```python
    from synapse_client.testing import LocalRayHead

    with LocalRayHead() as head:
        ...
    ```
"""

from __future__ import annotations

from ..ray.local import LocalRayHead, RayNotInstalledError, RayStartError, find_ray_executable

__all__ = ["LocalRayHead", "RayNotInstalledError", "RayStartError", "find_ray_executable"]
