"""AgentClient against a real agent-protocol server (tests/agent_server.py) that forwards to a real Ray head."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from synapse_client.agent import AgentClient
from synapse_client.errors import AuthenticationError, BadRequestError, NotFoundError, RateLimitError
from synapse_client.network import StreamLimits
from synapse_client.ray import JobDetails, JobStatus, RayClient
from synapse_client.ray.protocol import RayOperations
from synapse_client.testing import LocalRayHead
from synapse_testkit import agent_server

pytestmark = pytest.mark.ray

AGENT_TOKEN = "agent-s3cret-token"
USER_TOKEN = "user-s3cret-token"
TENANT = "acme"
LINES = 15
COUNTER_SCRIPT = (
    "import sys, time\n"
    "for i in range(int(sys.argv[1])):\n"
    "    print(f'line {i:04d} ' + 'y' * 30, flush=True)\n"
    "    time.sleep(0.3)\n"
)


@pytest.fixture(scope="module")
def ray_client(ray_head: LocalRayHead) -> Iterator[RayClient]:
    with RayClient(ray_head.dashboard_url) as client:
        yield client


def _start_server(ray_head: LocalRayHead) -> object:
    return agent_server.AgentServer(ray_head.dashboard_url, AGENT_TOKEN, USER_TOKEN, TENANT).start()


@pytest.fixture(scope="module")
def server(ray_head: LocalRayHead) -> Iterator[object]:
    srv = _start_server(ray_head)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def agent(server: object) -> Iterator[AgentClient]:
    with AgentClient(server.url, AGENT_TOKEN, user_token=USER_TOKEN, tenant=TENANT) as client:  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def tailed_job(ray_head: LocalRayHead, ray_client: RayClient) -> dict[str, object]:
    """One job followed over both agent protocols at once, each stream cut once mid-way by its own server."""
    servers = {p: _start_server(ray_head) for p in ("stream", "websocket")}
    job_id = ray_client.submit_job([sys.executable, "-c", COUNTER_SCRIPT, str(LINES)])
    results: dict[str, list[str]] = {p: [] for p in servers}
    errors: list[BaseException] = []

    def follow(protocol: str) -> None:
        srv = servers[protocol]
        srv.drop_next_stream(after_chars=600)  # type: ignore[attr-defined]
        client = AgentClient(srv.url, AGENT_TOKEN, user_token=USER_TOKEN, tenant=TENANT)  # type: ignore[attr-defined]
        try:
            results[protocol].extend(client.tail_job_logs(job_id, protocol=protocol, stream_timeout=5))
        except BaseException as exc:  # reported by the tests below
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=follow, args=(p,)) for p in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stats = {p: (s.drops_done, s.stream_connections) for p, s in servers.items()}  # type: ignore[attr-defined]
    for srv in servers.values():
        srv.stop()  # type: ignore[attr-defined]
    return {"job_id": job_id, "tails": results, "errors": errors, "stats": stats}


@pytest.mark.parametrize("protocol", ["stream", "websocket"])
def test_tail_survives_a_dropped_connection_without_loss_or_repeat(
    ray_client: RayClient, tailed_job: dict[str, object], protocol: str
) -> None:
    assert tailed_job["errors"] == []
    drops, connections = tailed_job["stats"][protocol]  # type: ignore[index]
    assert drops == 1
    assert connections >= 2
    lines = tailed_job["tails"][protocol]  # type: ignore[index]
    assert lines == ray_client.list_job_logs(str(tailed_job["job_id"])).splitlines()
    assert [line for line in lines if line.startswith("line ")] == [f"line {i:04d} " + "y" * 30 for i in range(LINES)]


def test_job_records_and_logs_through_agent(agent: AgentClient, tailed_job: dict[str, object]) -> None:
    job_id = str(tailed_job["job_id"])
    job = agent.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED
    assert job["submission_id"] == job_id
    jobs = agent.list_jobs()
    assert all(isinstance(item, JobDetails) for item in jobs)
    assert job_id in [item.job_id for item in jobs]
    # The agent's pages are followed: one record per page still gives every job, once.
    with pytest.warns(DeprecationWarning, match="list_all"):
        one_per_page = agent.list_jobs({"page_size": 1}, list_all=True)
    assert [item.job_id for item in one_per_page] == [item.job_id for item in jobs]
    assert len({job.job_id for job in one_per_page}) == len(one_per_page)
    assert "line 0000" in agent.list_job_logs(job_id)
    assert agent.wait_for_job(job_id, timeout=5).is_terminal()


def test_stop_finished_job_is_400_and_unknown_is_404(agent: AgentClient, tailed_job: dict[str, object]) -> None:
    with pytest.raises(BadRequestError):
        agent.stop_job(str(tailed_job["job_id"]))
    with pytest.raises(NotFoundError):
        agent.stop_job("raysubmit_unknown")
    for protocol in ("stream", "websocket"):
        with pytest.raises(NotFoundError):
            next(agent.tail_job_logs("raysubmit_unknown", protocol=protocol))


def test_stop_job_through_agent_ends_stopped(agent: AgentClient, ray_client: RayClient) -> None:
    job_id = ray_client.submit_job([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"])
    assert agent.stop_job(job_id, wait=True, timeout=60)["status"] == "STOPPED"
    assert ray_client.get_job(job_id).status is JobStatus.STOPPED


@pytest.mark.parametrize("protocol", ["stream", "websocket"])
def test_agent_tail_over_limits_is_429(agent: AgentClient, tailed_job: dict[str, object], protocol: str) -> None:
    with pytest.raises(RateLimitError) as info:
        list(agent.tail_job_logs(str(tailed_job["job_id"]), protocol=protocol, limits=StreamLimits(max_lines=2)))
    assert info.value.status == 429


def test_requests_without_tokens_are_401(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    anonymous = AgentClient(url, "wrong-token", user_token=USER_TOKEN, tenant=TENANT)
    with pytest.raises(AuthenticationError) as info:
        anonymous.health_check()
    assert info.value.status == 401
    assert "wrong-token" not in str(info.value)
    assert "wrong-token" not in repr(anonymous)
    with pytest.raises(AuthenticationError):
        AgentClient(url, AGENT_TOKEN).list_jobs()  # user and tenant tokens missing
    for protocol in ("stream", "websocket"):
        with pytest.raises(AuthenticationError):
            next(anonymous.tail_job_logs("raysubmit_any", protocol=protocol))


def test_health_metrics_nodes_tasks(agent: AgentClient) -> None:
    assert agent.health_check()["status"] == "ok"
    assert agent.get_metrics("cpu")["total"] == 2
    with pytest.raises(NotFoundError):
        agent.get_metrics("gpu")
    nodes = agent.list_nodes()
    assert nodes
    assert agent.get_node(node_id=nodes[0]["node_id"])["state"] == "ALIVE"
    assert agent.list_nodes(filters={"state": "ALIVE"}) == [node for node in nodes if node["state"] == "ALIVE"]
    assert agent.list_nodes(filters={"state": "DEAD"}) == []
    with pytest.raises(NotFoundError):
        agent.get_node("0" * 56)
    assert isinstance(agent.list_tasks(limit=5), list)
    with pytest.raises(BadRequestError):
        agent.list_tasks(limit=0)
    with pytest.raises(NotFoundError):
        agent.get_task(task_id="f" * 48)


def test_agent_and_ray_client_satisfy_one_protocol(agent: AgentClient, ray_client: RayClient) -> None:
    assert isinstance(agent, RayOperations)
    assert isinstance(ray_client, RayOperations)
    # The same call on either client gives the same kind of answer.
    for client in (agent, ray_client):
        jobs = client.list_jobs()
        assert isinstance(jobs, list)
        assert all(isinstance(job, JobDetails) and isinstance(job.status, JobStatus) for job in jobs)
        nodes = client.list_nodes(limit=1, filters={"state": "ALIVE"})
        assert len(nodes) == 1
        assert client.get_node(node_id=nodes[0]["node_id"])["node_id"] == nodes[0]["node_id"]
        assert isinstance(client.list_serve_applications(), list)


def test_plugin_release_register_and_run_as_ray_job(agent: AgentClient, ray_client: RayClient) -> None:
    release = agent.create_plugin_release({"plugin": "hello", "version": "1.0.0"})
    assert release["code"] == "hello@1.0.0"
    job_id = agent.run_plugin_release("hello@1.0.0", {"action": "say", "params": {"text": "hi; rm -rf /"}})["job_id"]
    assert agent.wait_for_job(job_id, timeout=120).status is JobStatus.SUCCEEDED
    assert '"text": "hi; rm -rf /"' in ray_client.list_job_logs(job_id)  # passed as data, never run as shell
    with pytest.raises(NotFoundError):
        agent.run_plugin_release("missing@0.0.1", {"action": "say"})


def test_containers_crud(agent: AgentClient) -> None:
    created = agent.create_container({"plugin_release": "hello@1.0.0"})
    assert agent.get_container(created["id"])["status"] == "running"
    assert created["id"] in [c["id"] for c in agent.list_containers()["results"]]
    agent.delete_container(created["id"])
    with pytest.raises(NotFoundError):
        agent.get_container(created["id"])


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("get_job", ("a/b",), {}),
        ("stop_job", ("",), {}),
        ("stop_job", ("raysubmit_1",), {"timeout": 0}),
        ("tail_job_logs", ("raysubmit_1",), {"protocol": "grpc"}),
        ("tail_job_logs", ("raysubmit_1",), {"stream_timeout": -5}),
        ("list_job_logs", ("x y",), {}),
        ("get_node", ("../",), {}),
        ("get_task", (None,), {}),
        ("get_serve_application", ("a?b",), {}),
        ("delete_serve_application", ("a#b",), {}),
        ("get_container", ("1/2",), {}),
        ("get_metrics", ("cpu/../x",), {}),
        ("run_plugin_release", ("a b", {}), {}),
    ],
)
def test_bad_arguments_are_400_before_any_request(method: str, args: tuple[object, ...], kwargs: object) -> None:
    # Nothing listens on port 9: any request would fail with 503 instead of 400.
    client = AgentClient("http://127.0.0.1:9", AGENT_TOKEN, retries=0)
    with pytest.raises(BadRequestError) as info:
        getattr(client, method)(*args, **kwargs)  # type: ignore[arg-type]
    assert info.value.status == 400


def test_quiet_http_stream_is_reopened_without_repeating_lines(ray_head: LocalRayHead, ray_client: RayClient) -> None:
    # The job is silent longer than stream_timeout: the read times out, the client checks the job, reconnects and
    # skips the replayed part.
    script = "import time\nprint('before pause', flush=True)\ntime.sleep(3)\nprint('after pause', flush=True)\n"
    srv = _start_server(ray_head)
    try:
        with AgentClient(srv.url, AGENT_TOKEN, user_token=USER_TOKEN, tenant=TENANT) as client:  # type: ignore[attr-defined]
            job_id = ray_client.submit_job([sys.executable, "-c", script])
            lines = list(client.tail_job_logs(job_id, protocol="stream", stream_timeout=1))
        assert srv.stream_connections >= 2  # type: ignore[attr-defined]
    finally:
        srv.stop()  # type: ignore[attr-defined]
    assert lines == ray_client.list_job_logs(job_id).splitlines()
    assert lines[-2:] == ["before pause", "after pause"]
