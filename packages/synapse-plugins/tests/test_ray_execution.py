"""Every Ray method against a real local Ray head: same result, events and errors as local; stop; secrets; params."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from synapse_client.errors import BadRequestError
from synapse_client.ray import JobStatus, RayClient
from synapse_client.ray.local import LocalRayHead
from synapse_plugins import run_plugin
from synapse_plugins.errors import ExecutionError, ParamsError, RunStoppedError
from synapse_plugins.execution.cluster import RayAddress
from synapse_plugins.execution.events import LogRecord, ProgressUpdate, RunEnded, StatusUpdate
from synapse_plugins.run.loggers import MemoryLogger
from synapse_testkit.plugin_factory import write_plugin

pytestmark = pytest.mark.ray

ACTIONS = """
import hashlib
import os
import time

from pydantic import BaseModel

from synapse_plugins import Action


class GreetParams(BaseModel):
    who: str
    times: int = 2


class Greet(Action[GreetParams]):
    progress_categories = {"greet": 1}

    def start(self):
        for i in range(1, self.params.times + 1):
            self.run.log_message(f"hello {self.params.who} #{i}")
            self.run.set_progress(i, self.params.times, "greet")
        self.run.set_metrics({"greeted": self.params.times}, "people")
        return {"who": self.params.who, "times": self.params.times}


def echo(run, params):
    run.log_message("echoing")
    return dict(params)


def boom(run, params):
    run.log_message("about to fail")
    raise ValueError("no images in " + params.get("where", "dataset"))


def slow(run, params):
    for i in range(int(params.get("ticks", 600))):
        run.log_message(f"tick {i}")
        time.sleep(0.05)
    return "finished"


def listing(run, params):
    found = []
    for root, dirs, files in os.walk("."):
        found += [os.path.join(root, name)[2:] for name in files]
    return sorted(found)
"""

TOKEN = "tok-9f2c1e-SECRET-do-not-show"


CONTEXT_ACTION = """
import hashlib

from synapse_plugins import Action


class TokenDigest(Action):
    def start(self):
        token = (self.context.env or {}).get("SYNAPSE_ACCESS_TOKEN", "")
        return {"digest": hashlib.sha256(token.encode()).hexdigest(), "names": sorted(self.context.env or {})}
"""


@pytest.fixture(scope="module")
def address(ray_head: LocalRayHead) -> RayAddress:
    return RayAddress(dashboard_url=ray_head.dashboard_url, gcs_address=ray_head.address)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_plugin(
        tmp_path_factory.mktemp("plugins"),
        {"actions": ACTIONS, "context_actions": CONTEXT_ACTION},
        {
            "greet": {"entrypoint": "{pkg}.actions:Greet"},
            "echo": {"entrypoint": "{pkg}.actions:echo"},
            "boom": {"entrypoint": "{pkg}.actions:boom"},
            "slow": {"entrypoint": "{pkg}.actions:slow"},
            "listing": {"entrypoint": "{pkg}.actions:listing"},
            "token_digest": {"entrypoint": "{pkg}.context_actions:TokenDigest"},
        },
        code="ray-exec",
    )
    (folder / ".env").write_text(f"SYNAPSE_ACCESS_TOKEN={TOKEN}\n")
    (folder / ".gitignore").write_text("scratch/\n")
    (folder / "scratch").mkdir()
    (folder / "scratch" / "big.bin").write_bytes(b"0" * 1024)
    return folder


def _events(logger: MemoryLogger) -> dict[str, Any]:
    return {
        "entries": [(entry.event, entry.data) for entry in logger.entries],
        "progress": logger.progress,
        "metrics": logger.metrics,
        "statuses": [(change.status, change.result, change.error) for change in logger.statuses],
    }


REMOTE = ["task", "job"]
EVERY = ["task", "job", "restapi"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def serve(plugin: Path, address: RayAddress) -> int:
    """Serve started on the head, on a free loopback port, with the plugin's application deployed."""
    port = _free_port()
    run_plugin(plugin, "echo", {}, method="restapi", ray_address=address, http_port=port, logger=MemoryLogger())
    return port


@pytest.fixture
def ready(request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params.get("method") == "restapi":
        request.getfixturevalue("serve")


def test_each_method_returns_the_same_result_and_events(plugin: Path, address: RayAddress, serve: int) -> None:
    params = {"who": "Ada", "times": 3}
    local = MemoryLogger()
    expected = run_plugin(plugin, "greet", params, logger=local)
    for method in EVERY:
        logger = MemoryLogger()
        result = run_plugin(plugin, "greet", params, method=method, ray_address=address, logger=logger)
        assert result == expected == {"who": "Ada", "times": 3}, method
        assert _events(logger) == _events(local), method
        assert logger.closed


HOSTILE = {
    "dollar": "$(id) ${HOME} $PATH",
    "backticks": "`id` `rm -rf /`",
    "quotes": "it's \"quoted\" and 'single' \\ backslash",
    "newlines": "line1\nline2\r\nline3\n",
    "controls": "".join(chr(c) for c in range(1, 32)) + "\x7f",
    "unicode": "한글 ünïcödé 🚀 \u2028\u2029",
    "big": "x" * (1024 * 1024 - 7) + "$(id)\n",
    "nested": {"a": ["$(id)", "`id`", {"b": "\"'"}]},
}


@pytest.mark.parametrize("method", EVERY)
@pytest.mark.usefixtures("ready")
def test_hostile_params_reach_the_action_byte_for_byte(plugin: Path, address: RayAddress, method: str) -> None:
    result = run_plugin(plugin, "echo", HOSTILE, method=method, ray_address=address, logger=MemoryLogger())
    assert result == HOSTILE
    assert json.dumps(result, ensure_ascii=False).encode() == json.dumps(HOSTILE, ensure_ascii=False).encode()


@pytest.mark.parametrize("method", EVERY)
@pytest.mark.usefixtures("ready")
def test_a_failing_action_ends_failed_with_its_traceback_and_a_typed_error(
    plugin: Path, address: RayAddress, method: str
) -> None:
    logger = MemoryLogger()
    with pytest.raises(ExecutionError) as caught:
        run_plugin(plugin, "boom", {"where": "batch 7"}, method=method, ray_address=address, logger=logger)
    error = caught.value
    assert not isinstance(error, RunStoppedError)
    assert error.message == "ValueError: no images in batch 7"
    assert error.error_type == "ValueError"
    assert error.action == "boom"
    assert "raise ValueError" in (error.traceback or "")
    assert logger.status is JobStatus.FAILED
    logged = logger.events("error")[0].data
    assert logged["type"] == "ValueError"
    assert "raise ValueError" in logged["traceback"]
    assert "about to fail" in logger.messages


def test_a_failed_job_has_the_traceback_in_its_ray_log(plugin: Path, address: RayAddress) -> None:
    handle = run_plugin(plugin, "boom", {}, method="job", ray_address=address, wait=False)
    with pytest.raises(ExecutionError):
        handle.wait(timeout=300)
    client = RayClient(address.dashboard_url)
    assert client.get_job(handle.id).status is JobStatus.FAILED
    log = client.list_job_logs(handle.id)
    assert "raise ValueError" in log
    assert "no images in dataset" in log


@pytest.mark.parametrize("method", REMOTE)
def test_bad_params_fail_before_anything_is_submitted(plugin: Path, address: RayAddress, method: str) -> None:
    client = RayClient(address.dashboard_url)
    jobs_before = len(client.list_jobs())
    with pytest.raises(ParamsError) as caught:
        run_plugin(plugin, "greet", {"times": "many"}, method=method, ray_address=address)
    assert set(caught.value.field_errors) == {"who", "times"}
    assert len(client.list_jobs()) == jobs_before


@pytest.mark.parametrize("method", REMOTE)
def test_a_stopped_run_ends_stopped_with_its_last_lines_delivered(
    plugin: Path, address: RayAddress, method: str
) -> None:
    handle = run_plugin(plugin, "slow", {"ticks": 6000}, method=method, ray_address=address, wait=False)
    events = handle.follow()
    seen: list[Any] = []
    for event in events:
        seen.append(event)
        if isinstance(event, LogRecord) and event.entry.data.get("content") == "tick 3":
            break
    stopped = handle.stop()
    assert stopped["status"] == "STOPPED"
    seen += list(events)
    ended = seen[-1]
    assert isinstance(ended, RunEnded)
    assert ended.status is JobStatus.STOPPED
    messages = [e.entry.data.get("content") for e in seen if isinstance(e, LogRecord)]
    assert any(str(m).startswith("Run stopped") for m in messages), messages[-3:]
    ticks = [int(m.split()[1]) for m in messages if str(m).startswith("tick ")]
    assert ticks == list(range(len(ticks)))  # in order, none lost before the stop
    with pytest.raises(RunStoppedError):
        handle.wait(timeout=60)
    assert handle.status() is JobStatus.STOPPED
    with pytest.raises(BadRequestError) as again:
        handle.stop()
    assert again.value.status == 400


@pytest.mark.parametrize("method", REMOTE)
def test_follow_yields_progress_then_the_final_status(plugin: Path, address: RayAddress, method: str) -> None:
    handle = run_plugin(plugin, "greet", {"who": "Bo", "times": 4}, method=method, ray_address=address, wait=False)
    events = list(handle.follow())
    assert isinstance(events[-1], RunEnded)
    assert events[-1].result == {"who": "Bo", "times": 4}
    assert [e.status for e in events if isinstance(e, StatusUpdate)] == [JobStatus.RUNNING]
    assert [e.overall for e in events if isinstance(e, ProgressUpdate)] == [25.0, 50.0, 75.0, 100.0]
    assert handle.wait(timeout=60) == {"who": "Bo", "times": 4}


def test_the_token_reaches_the_action_but_no_ray_view_shows_it(plugin: Path, address: RayAddress) -> None:
    names = ("SYNAPSE_LANGUAGE", "SYNAPSE_ACCESS_TOKEN")
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    handle = run_plugin(
        plugin, "token_digest", {}, method="job", ray_address=address, wait=False, token=TOKEN, host="", env_names=names
    )
    assert handle.wait(timeout=300)["digest"] == digest
    client = RayClient(address.dashboard_url)
    shown = [
        json.dumps(client._get(f"api/jobs/{handle.id}")),
        json.dumps(client._get("api/jobs/")),
        client.list_job_logs(handle.id),
        json.dumps(client.list_tasks(detail=True, limit=1000)),
        json.dumps(client._get("api/v0/runtime_envs", params={"detail": "true"})),
    ]
    for text in shown:
        assert TOKEN not in text
    task_result = run_plugin(
        plugin, "token_digest", {}, method="task", ray_address=address, token=TOKEN, env_names=names
    )
    assert task_result["digest"] == digest
    assert TOKEN not in json.dumps(client.list_tasks(detail=True, limit=1000))


@pytest.mark.parametrize("method", REMOTE)
def test_the_plugin_package_holds_no_env_file_nor_ignored_files(plugin: Path, address: RayAddress, method: str) -> None:
    files = run_plugin(plugin, "listing", {}, method=method, ray_address=address, logger=MemoryLogger())
    assert "config.yaml" in files
    assert "plugin/actions.py" in files
    assert ".env" not in files
    assert not any(name.startswith("scratch/") or "__pycache__" in name for name in files)


def test_an_unchanged_plugin_is_uploaded_once(plugin: Path, address: RayAddress) -> None:
    from synapse_client.ray.packaging import build_package

    client = RayClient(address.dashboard_url)
    package = build_package(plugin)
    client.upload_package(package)  # the earlier tests may have uploaded it already
    assert client.upload_package(build_package(plugin)) is False


VERSIONED = """
import time


def version(run, params):
    time.sleep(float(params.get("sleep", 0)))
    return "{version}"
"""


def test_a_redeploy_adds_the_new_release_while_requests_in_flight_are_answered(
    tmp_path: Path, address: RayAddress, serve: int
) -> None:
    def release(version: str) -> Path:
        return write_plugin(
            tmp_path,
            {"versioned": VERSIONED.format(version=version)},
            {"version": {"entrypoint": "{pkg}.versioned:version"}},
        )

    first, second = release("v1"), release("v2")
    assert run_plugin(first, "version", {}, method="restapi", ray_address=address, logger=MemoryLogger()) == "v1"
    answers: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                answers.append(
                    run_plugin(
                        first,
                        "version",
                        {"sleep": 0.2},
                        method="restapi",
                        ray_address=address,
                        logger=MemoryLogger(),
                        timeout=60,
                    )
                )
            except BaseException as exc:  # recorded: every request must be answered
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        assert run_plugin(second, "version", {}, method="restapi", ray_address=address, logger=MemoryLogger()) == "v2"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert answers
    assert set(answers) == {"v1"}
    names = {app["name"] for app in RayClient(address.dashboard_url).list_serve_applications()}
    assert len({name for name in names if name.startswith("synapse-")}) >= 2


def test_a_used_job_id_is_refused_before_anything_is_uploaded(plugin: Path, address: RayAddress) -> None:
    job_id = f"synapse-test-{time.time_ns()}"
    handle = run_plugin(plugin, "echo", {"n": 1}, method="job", ray_address=address, job_id=job_id, wait=False)
    assert handle.id == job_id
    assert handle.wait(timeout=300) == {"n": 1}
    with pytest.raises(BadRequestError) as refused:
        run_plugin(plugin, "echo", {"n": 2}, method="job", ray_address=address, job_id=job_id)
    assert refused.value.status == 400
