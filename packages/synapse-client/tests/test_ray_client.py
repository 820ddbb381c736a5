"""RayClient against a real local Ray head: jobs, stop semantics, log tailing, nodes, tasks, validation."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import closing

import pytest

from synapse_client.errors import BadRequestError, ClientError, NotFoundError, RateLimitError
from synapse_client.network import StreamLimits
from synapse_client.ray import JobDetails, JobStatus, RayClient
from synapse_client.testing import LocalRayHead

pytestmark = pytest.mark.ray

LINES = 12
# Numbered lines over ~3.6 s, so tails see the log grow; parameters go in as argv, never as shell text.
COUNTER_SCRIPT = (
    "import sys, time\n"
    "for i in range(int(sys.argv[1])):\n"
    "    print(f'line {i:04d} ' + 'x' * 20, flush=True)\n"
    "    time.sleep(0.3)\n"
)
SLEEPER_SCRIPT = "import time\nprint('started', flush=True)\ntime.sleep(120)\n"
TASK_SCRIPT = (
    "import time, ray\n"
    "ray.init()\n"
    "print('task result', ray.get(ray.remote(lambda: 41 + 1).remote()), flush=True)\n"
    "print('started', flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture(scope="module")
def client(ray_head: LocalRayHead) -> Iterator[RayClient]:
    with RayClient(base_url=ray_head.dashboard_url, timeout=(5, 30)) as ray_client:
        yield ray_client


def collect(iterator: Iterator[str], into: list[str]) -> None:
    into.extend(iterator)


def collect_async(iterator: AsyncIterator[str], into: list[str]) -> None:
    async def run() -> None:
        async for line in iterator:
            into.append(line)

    asyncio.run(run())


@pytest.fixture(scope="module")
def counter_job(client: RayClient) -> dict[str, object]:
    """One job printing numbered lines, followed at the same time over both protocols from its submission."""
    job_id = client.submit_job([sys.executable, "-c", COUNTER_SCRIPT, str(LINES)], metadata={"test": "counter"})
    results: dict[str, list[str]] = {"stream": [], "websocket": [], "async-stream": [], "async-websocket": []}
    threads = [
        threading.Thread(target=collect, args=(client.tail_job_logs(job_id, protocol=p), results[p]))
        for p in ("stream", "websocket")
    ] + [
        threading.Thread(target=collect_async, args=(client.atail_job_logs(job_id, protocol=p), results[f"async-{p}"]))
        for p in ("stream", "websocket")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return {"job_id": job_id, "tails": results, "job": client.get_job(job_id)}


@pytest.fixture(scope="module")
def running_job(client: RayClient) -> Iterator[str]:
    """A job that runs a Ray task, prints 'started' and then sleeps; stopped by the test that needs it gone."""
    job_id = client.submit_job([sys.executable, "-c", TASK_SCRIPT])
    with closing(client.tail_job_logs(job_id, protocol="websocket")) as tail:
        assert "started" in tail  # consumes the log up to that line, then the tail is closed
    yield job_id
    if not client.get_job(job_id).is_terminal():
        client.stop_job(job_id, wait=True)


@pytest.mark.parametrize(
    ("ray_address", "expected"),
    [
        ("http://10.1.2.3:8265", "http://10.1.2.3:8265"),
        ("https://ray.example.com", "https://ray.example.com"),
        ("auto", "http://127.0.0.1:8265"),  # what ray.init reads, not a dashboard
        ("ray://10.1.2.3:10001", "http://127.0.0.1:8265"),
        (None, "http://127.0.0.1:8265"),
    ],
)
def test_ray_address_is_the_default_dashboard(
    monkeypatch: pytest.MonkeyPatch, ray_address: str | None, expected: str
) -> None:
    if ray_address is None:
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("RAY_ADDRESS", ray_address)
    assert RayClient().base_url == expected
    assert RayClient("http://127.0.0.1:9999").base_url == "http://127.0.0.1:9999"  # an explicit URL wins


def test_submit_and_get_job_returns_typed_record(client: RayClient, counter_job: dict[str, object]) -> None:
    job = counter_job["job"]
    assert isinstance(job, JobDetails)
    assert job.status is JobStatus.SUCCEEDED
    assert job.is_terminal()
    assert job.metadata == {"test": "counter"}
    assert job.start_time is not None
    assert job.end_time is not None
    assert job.end_time >= job.start_time
    assert "line" in job.entrypoint
    assert job["status"] == "SUCCEEDED"
    assert counter_job["job_id"] in [listed.job_id for listed in client.list_jobs()]


@pytest.mark.parametrize("protocol", ["stream", "websocket", "async-stream", "async-websocket"])
def test_tail_yields_every_line_once_in_order(client: RayClient, counter_job: dict[str, object], protocol: str) -> None:
    tails = counter_job["tails"]
    assert isinstance(tails, dict)
    lines = tails[protocol]
    full_log = client.list_job_logs(str(counter_job["job_id"]))
    assert lines == full_log.splitlines()
    assert [line for line in lines if line.startswith("line ")] == [f"line {i:04d} " + "x" * 20 for i in range(LINES)]


def test_tail_of_finished_job_replays_whole_log(client: RayClient, counter_job: dict[str, object]) -> None:
    job_id = str(counter_job["job_id"])
    assert list(client.tail_job_logs(job_id, protocol="websocket")) == client.list_job_logs(job_id).splitlines()


@pytest.mark.parametrize("protocol", ["stream", "websocket"])
def test_tail_over_stream_limits_raises_429(client: RayClient, counter_job: dict[str, object], protocol: str) -> None:
    with pytest.raises(RateLimitError) as info:
        list(client.tail_job_logs(str(counter_job["job_id"]), protocol=protocol, limits=StreamLimits(max_lines=3)))
    assert info.value.status == 429


def test_tail_with_oversized_message_raises_429(client: RayClient, counter_job: dict[str, object]) -> None:
    limits = StreamLimits(max_message_size=64)
    with pytest.raises(RateLimitError):
        list(client.tail_job_logs(str(counter_job["job_id"]), protocol="websocket", limits=limits))


def test_closing_a_tail_leaves_no_thread_behind(client: RayClient, running_job: str) -> None:
    before = set(threading.enumerate())
    tail = client.tail_job_logs(running_job, protocol="websocket", stream_timeout=2)
    assert isinstance(next(tail), str)
    assert set(threading.enumerate()) - before  # the WebSocket client's reader thread is running
    tail.close()  # type: ignore[attr-defined]
    assert [thread for thread in set(threading.enumerate()) - before if thread.is_alive()] == []


def test_stop_running_job_ends_stopped_and_second_stop_is_400(client: RayClient, running_job: str) -> None:
    result = client.stop_job(running_job, wait=True, timeout=60)
    assert result == {"job_id": running_job, "stopped": True, "status": "STOPPED"}
    assert client.get_job(running_job).status is JobStatus.STOPPED
    with pytest.raises(BadRequestError) as info:
        client.stop_job(running_job)
    assert info.value.status == 400
    assert "terminal" in str(info.value.reason)


def test_stop_pending_job_with_wait_reaches_terminal(client: RayClient) -> None:
    job_id = client.submit_job([sys.executable, "-c", SLEEPER_SCRIPT])
    result = client.stop_job(job_id, wait=True, timeout=60)
    assert result["status"] == "STOPPED"
    assert client.wait_for_job(job_id, timeout=5).status is JobStatus.STOPPED
    assert client.delete_job(job_id) is True
    with pytest.raises(NotFoundError):
        client.get_job(job_id)


def test_stop_finished_job_is_400(client: RayClient, counter_job: dict[str, object]) -> None:
    with pytest.raises(BadRequestError):
        client.stop_job(str(counter_job["job_id"]))


def test_unknown_job_is_404_everywhere(client: RayClient) -> None:
    for call in (client.get_job, client.stop_job, client.list_job_logs, client.delete_job):
        with pytest.raises(NotFoundError) as info:
            call("raysubmit_doesnotexist")
        assert info.value.status == 404
    with pytest.raises(NotFoundError):
        next(client.tail_job_logs("raysubmit_doesnotexist"))


def test_nodes_and_tasks_are_listed(client: RayClient, running_job: str) -> None:
    nodes = client.list_nodes()
    assert nodes
    assert nodes[0]["state"] == "ALIVE"
    assert client.get_node(nodes[0]["node_id"])["node_ip"] == "127.0.0.1"
    tasks = client.list_tasks()
    assert tasks
    assert client.get_task(tasks[0]["task_id"])["task_id"] == tasks[0]["task_id"]
    with pytest.raises(NotFoundError):
        client.get_node("0" * 56)
    with pytest.raises(NotFoundError):
        client.get_task("f" * 48)


def test_version_names_ray(client: RayClient) -> None:
    assert client.get_version()["ray_version"]


class _CountingServer:
    """A real HTTP server that counts requests, to prove validation happens before any request."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        counter = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                counter.requests += 1
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting_server() -> Iterator[_CountingServer]:
    server = _CountingServer()
    yield server
    server.close()


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("get_job", ("../etc/passwd",), {}),
        ("get_job", ("",), {}),
        ("stop_job", ("job 1",), {}),
        ("stop_job", ("raysubmit_1",), {"timeout": -1}),
        ("wait_for_job", ("raysubmit_1",), {"timeout": "soon"}),
        ("wait_for_job", ("raysubmit_1",), {"poll_interval": 0}),
        ("tail_job_logs", ("raysubmit_1",), {"protocol": "ftp"}),
        ("tail_job_logs", ("raysubmit_1",), {"stream_timeout": 0}),
        ("tail_job_logs", ("raysubmit_1",), {"stream_timeout": 10_000}),
        ("tail_job_logs", ("a/b",), {}),
        ("list_job_logs", (None,), {}),
        ("delete_job", ("x?y=1",), {}),
        ("get_node", ("n/1",), {}),
        ("get_task", ("",), {}),
        ("list_nodes", (), {"limit": 0}),
        ("submit_job", ([],), {}),
        ("submit_job", ("  ",), {}),
        ("submit_job", (["python"],), {"submission_id": "bad id"}),
        ("get_serve_application", ("a/b",), {}),
    ],
)
def test_bad_arguments_are_400_before_any_request(
    counting_server: _CountingServer, method: str, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    client = RayClient(counting_server.url)
    with pytest.raises(BadRequestError) as info:
        getattr(client, method)(*args, **kwargs)
    assert info.value.status == 400
    assert counting_server.requests == 0


def test_unreachable_dashboard_is_503() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RayClient(f"http://127.0.0.1:{port}", timeout=2, retries=0)
    with pytest.raises(ClientError) as info:
        client.get_version()
    assert info.value.status == 503


def test_serve_with_nothing_deployed_lists_nothing(client: RayClient) -> None:
    # Serve is installed on the test cluster but not started here (test_ray_serve.py deploys real applications).
    assert client.list_serve_applications() == []
    with pytest.raises(NotFoundError):
        client.get_serve_application("default")


def test_async_tail_checks_arguments_at_call_time_and_closes(client: RayClient, counter_job: dict[str, object]) -> None:
    with pytest.raises(BadRequestError):
        client.atail_job_logs("a/b")
    with pytest.raises(BadRequestError):
        client.atail_job_logs("raysubmit_1", protocol="ftp")

    async def first_then_close() -> str:
        tail = client.atail_job_logs(str(counter_job["job_id"]), protocol="websocket")
        line = await tail.__anext__()
        await tail.aclose()  # type: ignore[attr-defined]
        return line

    assert asyncio.run(first_then_close()) == client.list_job_logs(str(counter_job["job_id"])).splitlines()[0]

    async def unknown() -> None:
        async for _ in client.atail_job_logs("raysubmit_doesnotexist", protocol="websocket"):
            pass

    with pytest.raises(NotFoundError):
        asyncio.run(unknown())
