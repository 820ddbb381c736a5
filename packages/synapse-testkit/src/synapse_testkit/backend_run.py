"""Run a plugin action against the backend protocol test server, with the environment a platform job gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import synapse_client.testing as backend_server
from synapse_plugins.errors import ExecutionError
from synapse_plugins.execution import Invocation, execute
from synapse_plugins.run.loggers import MemoryLogger
from synapse_testkit.plugin_factory import write_plugin

#: The job environment the actions may read (the token is a secret: allowed explicitly).
ENV_NAMES = ("SYNAPSE_HOST", "SYNAPSE_ACCESS_TOKEN", "SYNAPSE_TENANT")


def server_env(server: Any) -> dict[str, str]:
    """The environment that points an action at ``server``."""
    return {"SYNAPSE_HOST": server.url, "SYNAPSE_ACCESS_TOKEN": backend_server.ACCESS_TOKEN,
            "SYNAPSE_TENANT": backend_server.TENANT}  # fmt: skip


def run_with_backend(
    tmp_path: Path,
    server: Any,
    action: str,
    params: dict[str, Any],
    *,
    category: str,
    hook: tuple[str, str] | None = None,
    check: bool = True,
) -> tuple[Any, MemoryLogger]:
    """Write a plugin whose ``action`` is the built-in one (or ``hook`` = (module source, class name)) and run it.

    Returns ``(result, logger)``; with ``check=False`` a failed run gives ``(None, logger)``.
    """
    modules = {action: hook[0]} if hook else {}
    actions = {action: {"entrypoint": f"{{pkg}}.{action}:{hook[1]}"} if hook else {}}
    plugin = write_plugin(tmp_path, modules, actions, category=category)
    logger = MemoryLogger()
    invocation = Invocation.create(plugin, action, params, env_names=ENV_NAMES)
    try:
        return execute(invocation, logger=logger, environ=server_env(server)), logger
    except ExecutionError:
        if check:
            raise
        return None, logger
