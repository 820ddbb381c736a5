"""``run_plugin(method="restapi")``: run an action behind a Ray Serve application, keyed by the plugin's content.

1. The params are validated here first.
2. The plugin folder is packaged by content (the same package jobs and tasks use) and uploaded if needed.
3. The application ``synapse-<hash>`` (route ``/<hash>``, the package's content hash) is deployed through the
   dashboard's declarative Serve API (``PUT /api/serve/applications/``) unless it already runs. The other
   applications' configs are sent unchanged, so Serve leaves them running: a new release is a new application next
   to the old one, never a delete-then-run, and requests in flight on the old one are all answered. Old releases
   stay until you remove them (``RayClient.delete_serve_application``).
4. The action runs as one ``POST`` to the route, with explicit connect and read timeouts; the response holds the
   run's events, replayed into ``logger``, and its end.

The token travels in the request body (Serve does not log bodies), never in the application's config or runtime
env. ``follow()`` on a restapi run yields its events when the call returns (a Serve call is one request, not a
stream), and a running call cannot be stopped (``stop()`` answers 400).

Example:
    ```python
    from synapse_plugins import run_plugin

    run_plugin("examples/hello", "greet", {"who": "Ada"}, method="restapi", ray_address="http://127.0.0.1:8265")
    ```
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from synapse_client.ray.jobs import JobStatus

from .events import RunEnded, RunEvent
from .invocation import Invocation

if TYPE_CHECKING:
    from synapse_client.ray import RayClient

    from ..actions import ActionRegistry
    from ..run.loggers import RunLogger
    from .cluster import RayAddress

__all__ = ["RestHandle", "deploy", "run_restapi"]

IMPORT_PATH = "synapse_plugins.execution.serve_app:build"
DEFAULT_SERVE_PORT = 8000
#: Seconds allowed to connect to Serve, and to deploy an application.
CONNECT_TIMEOUT = 5.0
DEPLOY_TIMEOUT = 300.0


def _status(client: RayClient) -> dict[str, Any]:
    return dict(client._get("api/serve/applications/"))


def deploy(
    client: RayClient,
    name: str,
    route: str,
    runtime_env: dict[str, Any],
    *,
    http_port: int = DEFAULT_SERVE_PORT,
    timeout: float = DEPLOY_TIMEOUT,
) -> None:
    """Make sure the application ``name`` runs; add it next to the others when it does not.

    Args:
        client: A client for the dashboard.
        name: The application's name.
        route: Its route prefix (``/<hash>``).
        runtime_env: Its runtime env.
        http_port: Serve's HTTP port when Serve is not running yet (it keeps its own otherwise).
        timeout: Seconds to wait for the application to run.

    Raises:
        ExecutionError: The application failed to deploy (Serve's message).
        ClientTimeoutError: It was not running after ``timeout`` seconds (408).
    """
    from synapse_client.errors import BadRequestError, ClientTimeoutError

    from ..errors import ExecutionError

    status = _status(client)
    applications = status.get("applications") or {}
    current = applications.get(name)
    if current is None or current.get("status") in ("DEPLOY_FAILED", "DELETING"):
        configs = []
        for other, app in applications.items():
            if other == name:
                continue
            config = app.get("deployed_app_config")
            if config is None:
                raise BadRequestError(400, f"Serve application {other} was deployed without a config: cannot add")
            configs.append(config)
        configs.append(
            {"name": name, "route_prefix": route, "import_path": IMPORT_PATH, "args": {}, "runtime_env": runtime_env}
        )
        http = dict(status.get("http_options") or {}) or {"host": "127.0.0.1", "port": http_port}
        body: dict[str, Any] = {
            "applications": configs,
            "http_options": {k: http[k] for k in ("host", "port") if k in http},
        }
        if status.get("proxy_location"):
            body["proxy_location"] = status["proxy_location"]
        client._put("api/serve/applications/", json=body, timeout=(CONNECT_TIMEOUT, 120.0))
    deadline = time.monotonic() + timeout
    while True:
        app = (_status(client).get("applications") or {}).get(name) or {}
        state = app.get("status")
        if state == "RUNNING":
            return
        if state == "DEPLOY_FAILED":
            raise ExecutionError(f"Serve application {name} failed to deploy: {app.get('message', '')}")
        if time.monotonic() > deadline:
            raise ClientTimeoutError(408, f"Serve application {name} not running after {timeout} s ({state})")
        time.sleep(0.5)


def _serve_url(client: RayClient, serve_url: str | None) -> str:
    if serve_url:
        return serve_url.rstrip("/")
    http = _status(client).get("http_options") or {}
    host = urlsplit(client.base_url).hostname or "127.0.0.1"
    if http.get("host") not in (None, "0.0.0.0", "::"):  # noqa: S104 - reading Serve's config, not binding
        host = str(http["host"])
    return f"http://{host}:{int(http.get('port') or DEFAULT_SERVE_PORT)}"


class RestHandle:
    """A plugin action running as one call to its Serve application.

    Args:
        url: The application's URL.
        body: The request body.
        read_timeout: Seconds the call may take.
        action: The action's name.
    """

    def __init__(self, url: str, body: dict[str, Any], read_timeout: float, action: str) -> None:
        self._id = uuid.uuid4().hex
        self.url = url
        self.action = action
        self._body = body
        self._read_timeout = read_timeout
        self._done = threading.Event()
        self._events: list[RunEvent] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._call, name=f"serve-{self._id}", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"RestHandle(id={self._id!r}, url={self.url!r})"

    @property
    def id(self) -> str:
        """This call's id (made here: a Serve request has no id of its own)."""
        return self._id

    def _call(self) -> None:
        import json

        import requests

        from .events import decode_event

        try:
            response = requests.post(self.url, json=self._body, timeout=(CONNECT_TIMEOUT, self._read_timeout))
            self._body = {}  # the credentials are not kept once sent
            if response.status_code != 200:
                from synapse_client.errors import error_for_status

                raise error_for_status(response.status_code, f"Serve answered {response.status_code}",
                                       body=response.text[:500], method="POST")  # fmt: skip
            payload = response.json()
            self._events = [decode_event(json.loads(frame)) for frame in [*payload["frames"], payload["end"]]]
        except BaseException as exc:
            self._error = exc
        finally:
            self._done.set()

    def _ended(self) -> RunEnded:
        if self._error is not None:
            raise self._error
        ended = self._events[-1]
        assert isinstance(ended, RunEnded)
        return ended

    def status(self) -> JobStatus:
        """Return RUNNING while the call is out, then the run's final status."""
        if not self._done.is_set():
            return JobStatus.RUNNING
        if self._error is not None:
            return JobStatus.FAILED
        return self._ended().status

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the call's answer; return the action's result or raise its error.

        Raises:
            ExecutionError: The action failed.
            ClientTimeoutError: No answer within ``timeout`` (408).
            ClientError: Serve could not be reached or refused the call.
        """
        from synapse_client.errors import ClientTimeoutError

        if not self._done.wait(timeout):
            raise ClientTimeoutError(408, f"restapi call {self._id} not answered within {timeout} s")
        return self._ended().outcome()

    def stop(self) -> dict[str, Any]:
        """A Serve call cannot be stopped once sent: always ``BadRequestError`` (400) saying why."""
        from synapse_client.errors import BadRequestError

        if self._done.is_set():
            raise BadRequestError(400, f"restapi call {self._id} has already ended")
        raise BadRequestError(400, f"restapi call {self._id} cannot be stopped: it ends with its request")

    def follow(self) -> Iterator[RunEvent]:
        """Yield the call's events once it is answered (a Serve call is not streamed)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        yield from self._events


def run_restapi(
    invocation: Invocation,
    *,
    logger: RunLogger | None = None,
    registry: ActionRegistry | None = None,
    host: str | None = None,
    token: str | None = None,
    tenant: str | None = None,
    ray_address: str | RayAddress | None = None,
    wait: bool = True,
    timeout: float | None = None,
    serve_url: str | None = None,
    http_port: int = DEFAULT_SERVE_PORT,
    excludes: tuple[str, ...] = (),
    runtime_env: dict[str, Any] | None = None,
) -> Any:
    """Run an invocation on Ray Serve (``run_plugin(method="restapi")``).

    Args:
        invocation: What to run.
        logger: Receives the run's events (default: the console).
        registry: Where actions are found for the local validation.
        host: The backend's URL (default ``SYNAPSE_HOST``).
        token: The access token (default ``SYNAPSE_ACCESS_TOKEN``), sent in the request body only.
        tenant: The tenant (default ``SYNAPSE_TENANT``).
        ray_address: The cluster's dashboard (default ``RAY_ADDRESS``, else a local head).
        wait: Wait for the result (True) or return a handle (False).
        timeout: Seconds the call may take (default 300).
        serve_url: Serve's HTTP address (default: the dashboard's host and Serve's port).
        http_port: Serve's port when this call starts Serve.
        excludes: More gitignore-style patterns left out of the plugin's package.
        runtime_env: More runtime env fields (never secrets).

    Returns:
        The action's result, or the handle when ``wait`` is false.

    Raises:
        ExecutionError: The action failed (its message and traceback).
        ClientTimeoutError: No answer in time (408).
    """
    from synapse_client.ray import RayClient
    from synapse_client.ray.packaging import build_package

    from .cluster import dashboard_url
    from .follow import wait_following
    from .local import prepare
    from .runfiles import Credentials
    from .runtime_env import plugin_runtime_env

    prepared = prepare(invocation, registry=registry)
    client = RayClient(dashboard_url(ray_address))
    package = build_package(prepared.plugin.path, excludes)
    client.upload_package(package)
    key = package.name.removeprefix("_ray_pkg_").removesuffix(".zip")[:16]
    name, route = f"synapse-{key}", f"/{key}"
    deploy(client, name, route, plugin_runtime_env(prepared.plugin, package.uri, runtime_env), http_port=http_port)
    credentials = Credentials.gather(invocation, host=host, token=token, tenant=tenant)
    body = {"invocation": replace(invocation, plugin_path=".").to_json(), "credentials": credentials.to_dict()}
    read_timeout = 300.0 if timeout is None else timeout
    handle = RestHandle(f"{_serve_url(client, serve_url)}{route}", body, read_timeout, invocation.action)
    if not wait:
        return handle
    return wait_following(handle, logger, None)
