"""Serve applications on a real Ray head: list, get, and delete one application while its neighbour keeps running.

The applications are deployed the way the platform does it, declaratively through the dashboard's
``PUT /api/serve/applications/``; the module they import lives in a temp folder put on the replicas' PYTHONPATH.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from synapse_client.errors import BadRequestError, NotFoundError
from synapse_client.ray import RayClient
from synapse_client.testing import LocalRayHead

APPS_MODULE = """
from ray import serve


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Echo:
    async def __call__(self, request):
        return "echo"


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Ping:
    async def __call__(self, request):
        return "pong"


echo = Echo.bind()
ping = Ping.bind()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _statuses(client: RayClient) -> dict[str, str]:
    return {app["name"]: app["status"] for app in client.list_serve_applications()}


def _wait_for(client: RayClient, done: Callable[[dict[str, str]], bool], timeout: float = 120.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = _statuses(client)
        if done(statuses) or time.monotonic() > deadline:
            return statuses
        time.sleep(1.0)


@pytest.fixture(scope="module")
def serve_apps(ray_head: LocalRayHead, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RayClient, int]]:
    folder = tmp_path_factory.mktemp("serve-apps")
    (folder / "serve_apps.py").write_text(APPS_MODULE, encoding="utf-8")
    port = _free_port()
    config = {
        "proxy_location": "HeadOnly",
        "http_options": {"host": "127.0.0.1", "port": port},
        "applications": [
            {
                "name": name,
                "route_prefix": f"/{name}",
                "import_path": f"serve_apps:{name}",
                "runtime_env": {"env_vars": {"PYTHONPATH": str(Path(folder))}},
            }
            for name in ("echo", "ping")
        ],
    }
    url = f"{ray_head.dashboard_url}/api/serve/applications/"
    requests.put(url, json=config, timeout=60).raise_for_status()
    with RayClient(base_url=ray_head.dashboard_url, timeout=(5, 60)) as client:
        statuses = _wait_for(client, lambda s: bool(s) and all(v == "RUNNING" for v in s.values()))
        assert statuses == {"echo": "RUNNING", "ping": "RUNNING"}
        yield client, port
    requests.delete(url, timeout=60)  # shut Serve down: the session's Ray head goes on serving other tests


@pytest.mark.ray
def test_list_and_get_serve_applications(serve_apps: tuple[RayClient, int]) -> None:
    client, port = serve_apps
    assert set(_statuses(client)) == {"echo", "ping"}
    app = client.get_serve_application("echo")
    assert app["status"] == "RUNNING"
    assert app["route_prefix"] == "/echo"
    assert requests.get(f"http://127.0.0.1:{port}/echo", timeout=30).text == "echo"


@pytest.mark.ray
def test_unknown_and_invalid_names(serve_apps: tuple[RayClient, int]) -> None:
    client, _ = serve_apps
    with pytest.raises(NotFoundError):
        client.get_serve_application("missing")
    with pytest.raises(NotFoundError):
        client.delete_serve_application("missing")
    with pytest.raises(BadRequestError):
        client.get_serve_application("../echo")


@pytest.mark.ray
def test_delete_one_application_keeps_the_other(serve_apps: tuple[RayClient, int]) -> None:
    client, port = serve_apps
    client.delete_serve_application("echo")
    statuses = _wait_for(client, lambda s: "echo" not in s)
    assert statuses == {"ping": "RUNNING"}
    with pytest.raises(NotFoundError):
        client.get_serve_application("echo")
    assert requests.get(f"http://127.0.0.1:{port}/ping", timeout=30).text == "pong"
