"""The Synapse agent client and its Ray operations.

Example:
    ```python
    from synapse_client.agent import AgentClient

    agent = AgentClient("http://127.0.0.1:8000", agent_token="...")
    ```
"""

from __future__ import annotations

from .client import AgentClient
from .ray import AgentRayMixin

__all__ = ["AgentClient", "AgentRayMixin"]
