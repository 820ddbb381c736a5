"""The Synapse agent client: health, metrics, plugin releases, containers and Ray operations.

Example:
    ```python
    from synapse_client.agent import AgentClient

    agent = AgentClient("http://agent:8000", agent_token="agent-secret", user_token="user-secret", tenant="acme")
    print(agent.health_check())
    ```
"""

from __future__ import annotations

from typing import Any, Literal, overload

from ..network import validate_resource_id
from ..pagination import Page, PageIterator
from .ray import AgentRayMixin

__all__ = ["AgentClient"]


class AgentClient(AgentRayMixin):
    """A client for one Synapse agent.

    Sends ``Authorization: <agent_token>``, ``SYNAPSE-User: Token <user_token>`` and ``SYNAPSE-Tenant: Token
    <tenant>`` (each when set); streaming calls also send ``Agent-Token: Token <agent_token>``. Tokens never appear in
    reprs or errors.

    Args:
        base_url: The agent's URL.
        agent_token: The agent's token.
        user_token: The acting user's token, if any.
        tenant: The tenant's token, if any.
        timeout: Connect and read timeouts in seconds (one number for both, or a pair).
        retries: Retries for idempotent requests on connection errors and 429/502/503/504.
        backoff: First retry delay in seconds (doubles each time).
        **kwargs: Passed to [`BaseClient`][synapse_client.base.BaseClient] (``session``, ``event_hook``,
            ``max_retry_after``, ``pool_maxsize``).

    Example:
        ```python
        agent = AgentClient("http://127.0.0.1:8000", agent_token="t0k3n", tenant="acme")
        jobs = agent.list_jobs()["results"]
        ```
    """

    def __init__(
        self,
        base_url: str,
        agent_token: str,
        user_token: str | None = None,
        tenant: str | None = None,
        timeout: float | tuple[float, float] | None = (5, 30),
        *,
        retries: int = 3,
        backoff: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, timeout, retries=retries, backoff=backoff, **kwargs)
        self._agent_token = agent_token
        self._user_token = user_token
        self._tenant = tenant

    def _get_headers(self) -> dict[str, str]:
        headers = dict(super()._get_headers())
        headers["Authorization"] = self._agent_token
        if self._user_token:
            headers["SYNAPSE-User"] = f"Token {self._user_token}"
        if self._tenant:
            headers["SYNAPSE-Tenant"] = f"Token {self._tenant}"
        return headers

    def _get_stream_headers(self) -> dict[str, str]:
        return {**self._get_headers(), "Agent-Token": f"Token {self._agent_token}"}

    # -- agent -----------------------------------------------------------------------------------------------------

    def health_check(self) -> Any:
        """Ask the agent whether it is healthy.

        Returns:
            The agent's health record.

        Raises:
            AuthenticationError: When the agent refuses the token (401).
            ServiceUnavailableError: When the agent is unreachable (503).

        Example:
            ```python
            agent.health_check()  # {'status': 'ok', ...}
            ```
        """
        return self._get("health/")

    def get_metrics(self, panel: str) -> Any:
        """Return one metrics panel of the agent.

        Args:
            panel: The panel name, e.g. ``"cpu"``.

        Returns:
            The panel's data.

        Raises:
            BadRequestError: For an invalid panel name (400).
            NotFoundError: For an unknown panel (404).

        Example:
            ```python
            agent.get_metrics("cpu")
            ```
        """
        return self._get(f"metrics/{validate_resource_id(panel, 'panel')}/")

    # -- plugin releases -------------------------------------------------------------------------------------------

    def run_plugin_release(self, code: str, data: dict[str, Any]) -> Any:
        """Run an action of a registered plugin release.

        Args:
            code: The release code (e.g. ``"my-plugin@1.0.0"``).
            data: The run request: ``{"action": ..., "params": {...}, ...}``.

        Returns:
            The agent's answer (a job id for job actions, or the action's result).

        Raises:
            BadRequestError: For an invalid code or a rejected request (400).

        Example:
            ```python
            agent.run_plugin_release("my-plugin@1.0.0", {"action": "export", "params": {"project": 1}})
            ```
        """
        return self._post(f"plugin_releases/{validate_resource_id(code, 'release code')}/run/", json=data)

    def run_debug_plugin_release(self, data: dict[str, Any]) -> Any:
        """Run a plugin action in debug mode (plugin source sent with the request).

        Args:
            data: The debug run request.

        Returns:
            The agent's answer.

        Example:
            ```python
            agent.run_debug_plugin_release({"action": "export", "plugin_path": "...", "params": {}})
            ```
        """
        return self._post("plugin_releases/run_debug/", json=data)

    def create_plugin_release(self, data: dict[str, Any]) -> Any:
        """Register a plugin release with the agent.

        Args:
            data: The release record (``plugin``, ``version``, ``config``...).

        Returns:
            The created release.

        Example:
            ```python
            agent.create_plugin_release({"plugin": "my-plugin", "version": "1.0.0"})
            ```
        """
        return self._post("plugin_releases/", json=data)

    # -- containers ------------------------------------------------------------------------------------------------

    @overload
    def list_containers(self, params: dict[str, Any] | None = None, *, list_all: Literal[False] = False) -> Page: ...

    @overload
    def list_containers(self, params: dict[str, Any] | None = None, *, list_all: Literal[True]) -> PageIterator: ...

    @overload
    def list_containers(
        self, params: dict[str, Any] | None = None, *, list_all: bool = False
    ) -> Page | PageIterator: ...

    def list_containers(self, params: dict[str, Any] | None = None, *, list_all: bool = False) -> Page | PageIterator:
        """List plugin UI containers.

        Args:
            params: Query parameters.
            list_all: Return a lazy iterator over every page.

        Returns:
            The first page, or a page iterator with ``list_all=True``.

        Example:
            ```python
            agent.list_containers()["results"]
            ```
        """
        result: Page | PageIterator = self._list("containers/", params, list_all=list_all)
        return result

    def get_container(self, pk: str | int) -> Any:
        """Return one container.

        Args:
            pk: The container id.

        Returns:
            The container record.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown container (404).

        Example:
            ```python
            agent.get_container(3)
            ```
        """
        return self._get(f"containers/{validate_resource_id(pk, 'container id')}/")

    def create_container(self, data: dict[str, Any]) -> Any:
        """Start a plugin UI container.

        Args:
            data: The container request (``plugin_release``, ``params``...).

        Returns:
            The created container.

        Example:
            ```python
            agent.create_container({"plugin_release": "my-plugin@1.0.0"})
            ```
        """
        return self._post("containers/", json=data)

    def delete_container(self, pk: str | int) -> None:
        """Stop and remove a container.

        Args:
            pk: The container id.

        Raises:
            BadRequestError: For an invalid id (400).
            NotFoundError: For an unknown container (404).

        Example:
            ```python
            agent.delete_container(3)
            ```
        """
        self._delete(f"containers/{validate_resource_id(pk, 'container id')}/")
