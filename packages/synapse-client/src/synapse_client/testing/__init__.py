"""Public test helpers: a real local Ray head, and real servers speaking the platform protocol.

- [`LocalRayHead`][synapse_client.testing.ray_head.LocalRayHead]: a Ray head on 127.0.0.1 for tests and demos;
- [`BackendServer`][synapse_client.testing.backend_server.BackendServer]: a stateful Synapse backend (jobs, logs,
  tasks, data collections, chunked uploads, plugins...) with request recording, latency and fault injection, for
  plugin authors' own tests;
- [`ProtocolServer`][synapse_client.testing.protocol_server.ProtocolServer] and
  [`Fault`][synapse_client.testing.protocol_server.Fault]: the HTTP server it is built on, with your own routes.

Nothing here is a mock: each is a real server on a loopback port. Only the standard library is needed (Ray for
``LocalRayHead``), and importing this module starts nothing.

[`LocalRayHead`][synapse_client.ray.local.LocalRayHead] lives in ``synapse_client.ray.local`` (the embedded cluster
that ``run_plugin`` starts on demand); it is re-exported here for tests written against the earlier path.

Example:
    ```python
    from synapse_client.backend import BackendClient
    from synapse_client.testing import ACCESS_TOKEN, TENANT, BackendServer, Fault

    with BackendServer(tmp_path) as server:
        server.inject("PATCH", r"/jobs/1/", Fault.status(503))
        client = BackendClient(server.url, access_token=ACCESS_TOKEN, tenant=TENANT)
        client.update_job(1, {"status": "RUNNING"})  # retried after the 503
    ```
"""

from __future__ import annotations

from ..ray.local import LocalRayHead, RayNotInstalledError, RayStartError, find_ray_executable
from .backend_server import ACCESS_TOKEN, AGENT_TOKEN, STORAGE_SECRET, TENANT, BackendServer, HttpError
from .protocol_server import Fault, ProtocolServer, RecordedRequest, Reply, Stream, json_reply

__all__ = [
    "ACCESS_TOKEN",
    "AGENT_TOKEN",
    "STORAGE_SECRET",
    "TENANT",
    "BackendServer",
    "Fault",
    "HttpError",
    "LocalRayHead",
    "ProtocolServer",
    "RayNotInstalledError",
    "RayStartError",
    "RecordedRequest",
    "Reply",
    "Stream",
    "find_ray_executable",
    "json_reply",
]
