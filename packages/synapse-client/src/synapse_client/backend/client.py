"""The Synapse backend client: every backend endpoint, grouped in mixins by domain.

Example:
    >>> client = BackendClient("https://api.example.com", access_token="s3cr3t-t0ken", tenant="acme-tenant")
    >>> client
    BackendClient(base_url='https://api.example.com', timeout=(5.0, 30.0))
    >>> sorted(client._get_headers())
    ['SYNAPSE-Tenant', 'Synapse-Access-Token']
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..base import DEFAULT_TIMEOUT, TimeoutType
from ..errors import BadRequestError
from .annotation import AnnotationClientMixin
from .core import CoreClientMixin
from .data_collection import DataCollectionClientMixin
from .hitl import HITLClientMixin
from .integration import IntegrationClientMixin
from .ml import MLClientMixin

__all__ = ["ACCESS_TOKEN_ENV", "HOST_ENV", "TENANT_ENV", "BackendClient"]

#: Environment variable with the backend URL, used when ``base_url`` is not given.
HOST_ENV = "SYNAPSE_HOST"
#: Environment variable with the user's access token, used when ``access_token`` is not given.
ACCESS_TOKEN_ENV = "SYNAPSE_ACCESS_TOKEN"  # noqa: S105 - the name of a variable, not a secret
#: Environment variable with the tenant's token, used when ``tenant`` is not given.
TENANT_ENV = "SYNAPSE_TENANT"


def _env(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


class BackendClient(
    AnnotationClientMixin,
    DataCollectionClientMixin,
    HITLClientMixin,
    IntegrationClientMixin,
    MLClientMixin,
    CoreClientMixin,
):
    """A client for the Synapse backend API.

    Sends each auth header whose value is set: ``Synapse-Access-Token: Token <access_token>``, ``Authorization:
    Token <token>``, ``SYNAPSE-Tenant: Token <tenant>``, ``SYNAPSE-Agent: Token <agent_token>``. Tokens never appear
    in reprs, logs or errors. Timeouts, retries (idempotent requests only) and typed errors come from
    [`BaseClient`][synapse_client.base.BaseClient]. The client can be shared by threads; when it is pickled (for
    example to a Ray worker) the copy opens its own connections.

    Args:
        base_url: The backend's URL, such as ``"https://api.example.com"``; ``$SYNAPSE_HOST`` when omitted.
        access_token: The user's access token; ``$SYNAPSE_ACCESS_TOKEN`` when omitted.
        token: An API token (``Authorization: Token ...``).
        tenant: The tenant's token; ``$SYNAPSE_TENANT`` when omitted.
        agent_token: The calling agent's token.
        timeout: Connect and read timeouts in seconds (one number for both, or a pair); ``(5, 30)`` by default.
        **kwargs: Passed to [`BaseClient`][synapse_client.base.BaseClient] (``retries``, ``backoff``, ``session``,
            ``event_hook``, ``max_retry_after``, ``pool_maxsize``).

    Raises:
        BadRequestError: (400) for an invalid ``base_url`` or ``timeout``, or when there is neither a ``base_url``
            nor ``$SYNAPSE_HOST``.

    Example:
        >>> with BackendClient("http://127.0.0.1:8000", token="api-t0ken-123") as client:
        ...     client._get_headers()["Authorization"]
        'Token api-t0ken-123'
    """

    def __init__(  # noqa: PLR0917 - the documented signature takes the tokens positionally
        self,
        base_url: str | None = None,
        access_token: str | None = None,
        token: str | None = None,
        tenant: str | None = None,
        agent_token: str | None = None,
        timeout: TimeoutType = DEFAULT_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        base_url = base_url if base_url is not None else _env(HOST_ENV)
        if base_url is None:
            raise BadRequestError(400, f"No backend URL: pass base_url or set {HOST_ENV}")
        super().__init__(base_url, timeout, **kwargs)
        self._access_token = access_token if access_token is not None else _env(ACCESS_TOKEN_ENV)
        self._token = token
        self._tenant = tenant if tenant is not None else _env(TENANT_ENV)
        self._agent_token = agent_token

    def _get_headers(self) -> dict[str, str]:
        headers = dict(super()._get_headers())
        if self._access_token:
            headers["Synapse-Access-Token"] = f"Token {self._access_token}"
        if self._token:
            headers["Authorization"] = f"Token {self._token}"
        if self._tenant:
            headers["SYNAPSE-Tenant"] = f"Token {self._tenant}"
        if self._agent_token:
            headers["SYNAPSE-Agent"] = f"Token {self._agent_token}"
        return headers


if TYPE_CHECKING:  # mypy proves here that list_all picks the return type (the overloads of every list method)

    def _lists_say_what_they_return(client: BackendClient) -> None:
        first: Page = client.list_jobs({"status": "RUNNING"})
        jobs: RecordPages[Job]
        count: int | None
        jobs, count = client.list_jobs(list_all=True)
        tasks: RecordPages[Task] = client.list_tasks({"project": 1}, list_all=True)[0]
        units: RecordPages[DataUnit] = client.list_data_units(url_conversion=True, list_all=True)[0]
        statuses: list[str | None] = [job.status for job in jobs]
        del first, count, tasks, units, statuses

    from .listing import Page, RecordPages
    from .models import DataUnit, Job, Task
