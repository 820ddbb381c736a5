"""The backend logger against the real backend protocol server: batching, coalescing, retries, deadlines, statuses."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import synapse_client.testing as backend_server_module
from synapse_client.backend import BackendClient
from synapse_client.testing import Fault
from synapse_plugins import run_plugin
from synapse_plugins.errors import ExecutionError, RunStoppedError
from synapse_plugins.execution import Invocation, execute
from synapse_plugins.run.loggers import MemoryLogger, TeeLogger
from synapse_plugins.run.loggers.backend import BackendLogger
from synapse_plugins.testing import backend_logger, backend_server, run_action
from synapse_testkit.plugin_factory import write_plugin

TOKEN = backend_server_module.ACCESS_TOKEN
TENANT = backend_server_module.TENANT

BUSY = """
import time

def busy(run, params):
    started = time.monotonic()
    for i in range(params["messages"]):
        run.log_message(f"message {i}")
    total = params["progress"]
    for i in range(1, total + 1):
        run.set_progress(i, total)
        if i % 1000 == 0:
            run.set_metrics({"done": i}, "items")
    if params.get("file"):
        run.log("export_data_file", {"name": "a.txt"}, file=params["file"])
    if params.get("fail"):
        raise RuntimeError("the action broke")
    if params.get("stop"):
        raise KeyboardInterrupt
    return {"ended_at": time.monotonic(), "seconds": time.monotonic() - started}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    with backend_server_module.BackendServer(tmp_path / "backend") as server:
        yield server


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    return write_plugin(tmp_path, {"busy": BUSY}, {"busy": {"entrypoint": "{pkg}.busy:busy"}})


def new_job(server: Any) -> str:
    return str(server.add("jobs", {"status": "pending", "progress_record": None, "metrics_record": None})["id"])


def client_for(server: Any, **kwargs: Any) -> BackendClient:
    return BackendClient(server.url, access_token=TOKEN, tenant=TENANT, backoff=0.05, **kwargs)


def run_busy(plugin: Path, logger: Any, job_id: str, **params: Any) -> Any:
    params = {"messages": 0, "progress": 0, **params}
    return execute(Invocation.create(plugin, "busy", params, job_id=job_id), logger=logger)


def job_patches(server: Any, job_id: str) -> list[dict[str, Any]]:
    return [r.json() for r in server.protocol.requests_for("PATCH", rf"/jobs/{job_id}/")]


def test_every_event_arrives_once_and_progress_is_coalesced_with_latency_and_503s(server, plugin):
    server.latency = 0.2
    server.fail_every = 3  # every third jobs/logs request is handled, then answered 503: the client must resend
    job = new_job(server)
    memory = MemoryLogger()
    backend = BackendLogger(client_for(server), job, batch_size=200)
    outcome = run_busy(plugin, TeeLogger(backend, memory), job, messages=2000, progress=5000)

    # Every event exactly once, in the order the run logged it, although batches were resent.
    assert [e["event_id"] for e in server.logs] == [e.event_id for e in memory.entries]
    assert len(server.logs_received) > len(server.logs)  # resends happened and were dropped by event_id
    assert all(e["job"] == job for e in server.logs)
    assert backend.dropped == 0
    assert backend.sent == len(memory.entries)
    keys = [r.header("Idempotency-Key") for r in server.protocol.requests_for("POST", "/logs/")]
    assert all(keys)
    assert len(set(keys)) < len(keys)

    # Progress: 5000 calls, a handful of PATCHes, about one a second (a slow machine only spaces them more).
    patches = job_patches(server, job)
    progress = [p for p in patches if "progress_record" in p]
    assert 1 <= len(progress) <= 20
    plain = [
        a for a, p in zip(server.answers_for("PATCH", rf"/jobs/{job}/"), patches, strict=False) if "status" not in p
    ]
    starts = [a[0] for a in plain]
    assert all(later - earlier >= 0.9 * backend.interval for earlier, later in itertools.pairwise(starts))
    record = server.get("jobs", job)
    assert record["progress_record"] == memory.progress[-1]  # the latest record wins
    assert record["metrics_record"] == memory.metrics[-1]

    # Statuses in order, SUCCEEDED after every event and carrying the result.
    statuses = [p["status"] for p in patches if "status" in p]
    assert statuses[0] == "RUNNING"
    assert statuses[-1] == "SUCCEEDED"
    assert record["status"] == "SUCCEEDED"
    assert record["result"] == outcome
    last_log = max(a[0] for a in server.answers_for("POST", "/logs/"))
    succeeded = [
        a for a, p in zip(server.answers_for("PATCH", rf"/jobs/{job}/"), patches, strict=False) if "status" in p
    ][-1]
    assert succeeded[0] > last_log

    # Not slowed: the action never waited for the queue, and it ended before the backend had its events.
    assert backend.producer_waits == 0
    assert outcome["ended_at"] < last_log
    baseline = run_busy(plugin, MemoryLogger(), job, messages=2000, progress=5000)
    print(f"action time with the backend logger / memory logger: {outcome['seconds'] / baseline['seconds']:.2f}")


def test_failed_action_sends_failed_with_the_error_after_its_traceback(server, plugin):
    job = new_job(server)
    backend = BackendLogger(client_for(server), job)
    with pytest.raises(ExecutionError, match="the action broke"):
        run_busy(plugin, backend, job, messages=3, fail=True)
    statuses = [p for p in job_patches(server, job) if "status" in p]
    assert [p["status"] for p in statuses] == ["RUNNING", "FAILED"]
    assert "the action broke" in statuses[-1]["result"]["error"]
    error = [e for e in server.logs if e["event"] == "error"]
    assert len(error) == 1
    assert "RuntimeError" in error[0]["data"]["traceback"]
    assert server.get("jobs", job)["status"] == "FAILED"


def test_an_interrupted_run_sends_stopped_after_its_events(server, plugin):
    job = new_job(server)
    backend = BackendLogger(client_for(server), job)
    with pytest.raises(RunStoppedError):
        run_busy(plugin, backend, job, messages=250, stop=True)
    statuses = [p for p in job_patches(server, job) if "status" in p]
    assert [p["status"] for p in statuses] == ["RUNNING", "STOPPED"]
    assert statuses[-1]["result"] == {"error": "interrupted"}
    assert [e["data"]["content"] for e in server.logs][-1] == "Run stopped: interrupted"
    assert len(server.logs) == 251
    assert backend.dropped == 0


def test_a_backend_that_is_down_costs_the_run_its_deadlines_and_the_drops_are_counted(tmp_path, plugin, caplog):
    with backend_server_module.BackendServer(tmp_path / "gone") as gone:
        url = gone.url  # nothing listens there once the server stops
    client = BackendClient(url, access_token=TOKEN, tenant=TENANT, backoff=0.01, retries=1)
    backend = BackendLogger(client, "5", queue_size=50, put_timeout=0.3, close_timeout=0.5)
    memory = MemoryLogger()
    with caplog.at_level(logging.WARNING, logger="synapse_plugins.run"):
        outcome = run_busy(plugin, TeeLogger(backend, memory), "5", messages=500, progress=100)
    assert outcome["seconds"] >= 0  # the run finished and returned its result
    assert backend.sent == 0
    assert backend.dropped == len(memory.entries)  # every event is accounted for
    assert backend.producer_waits == 1  # it waited once, then dropped without waiting again
    assert any(f"dropped {len(memory.entries)} event(s)" in r.getMessage() for r in caplog.records)
    assert any("status change" in r.getMessage() for r in caplog.records)


def test_run_plugin_selects_the_backend_logger_from_arguments_and_from_the_environment(server, plugin, monkeypatch):
    job = new_job(server)
    run_plugin(plugin, "busy", {"messages": 2, "progress": 3}, host=server.url, token=TOKEN, tenant=TENANT, job_id=job)
    assert server.get("jobs", job)["status"] == "SUCCEEDED"
    assert [e["data"]["content"] for e in server.logs] == ["message 0", "message 1"]

    env_job = new_job(server)
    monkeypatch.setenv("SYNAPSE_HOST", server.url)
    monkeypatch.setenv("SYNAPSE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SYNAPSE_TENANT", TENANT)
    monkeypatch.setenv("SYNAPSE_JOB_ID", env_job)
    run_plugin(plugin, "busy", {"messages": 1, "progress": 1})
    assert server.get("jobs", env_job)["status"] == "SUCCEEDED"
    assert [e["job"] for e in server.logs][-1] == env_job


def test_no_token_in_anything_the_logger_logs(server, plugin, caplog):
    job = new_job(server)
    echo = {"detail": f"rejected Synapse-Access-Token: Token {TOKEN}", "token": TOKEN}
    server.protocol.inject("POST", "/logs/", Fault.status(400, body=echo, times=None))
    server.protocol.inject("PATCH", rf"/jobs/{job}/", Fault.status(500, body=echo, times=None))
    backend = BackendLogger(client_for(server, retries=0), job, close_timeout=1.0)
    memory = MemoryLogger()
    with caplog.at_level(logging.DEBUG):
        run_busy(plugin, TeeLogger(backend, memory), job, messages=5, progress=5)
    messages = [r.getMessage() for r in caplog.records]
    assert any("failed" in m for m in messages)
    assert not [m for m in messages if TOKEN in m or TENANT in m]
    assert TOKEN not in repr(backend)
    assert backend.dropped == len(memory.entries) == 5  # a refused batch is dropped (not resent), and counted


def test_attached_files_go_inline_and_an_unreadable_one_is_left_off(server, plugin, tmp_path):
    job = new_job(server)
    attached = tmp_path / "a.txt"
    attached.write_text("hello")
    run_busy(plugin, BackendLogger(client_for(server), job), job, file=str(attached))
    [sent] = [e for e in server.logs if e["event"] == "export_data_file"]
    assert sent["file"].startswith("data:")
    assert sent["file"].endswith("aGVsbG8=")

    other = new_job(server)
    run_busy(plugin, BackendLogger(client_for(server), other), other, file=str(tmp_path / "missing.txt"))
    [sent] = [e for e in server.logs if e["event"] == "export_data_file" and e["job"] == other]
    assert "file" not in sent


def test_a_slow_backend_fills_the_queue_and_the_action_waits_at_most_the_deadline_once(server):
    server.latency = 0.3
    backend = BackendLogger(client_for(server), new_job(server), batch_size=5, max_batch=5, queue_size=10,
                            put_timeout=0.05, close_timeout=5.0)  # fmt: skip
    from synapse_plugins.run import Run

    run = Run(backend)
    for i in range(100):
        run.log_message(f"m{i}")
    backend.close()
    assert backend.producer_waits >= 1  # it waited for room, within one budget of put_timeout
    assert backend.sent + backend.dropped == 100
    assert backend.dropped > 0
    assert backend.sent >= 10
    assert len(server.logs) == backend.sent


def test_close_twice_and_calls_after_close(server):
    from synapse_plugins.run import Run

    backend = BackendLogger(client_for(server), new_job(server))
    run = Run(backend)
    run.log_message("before")
    backend.close()
    backend.close()
    run.log_message("after")
    run.set_progress(1, 2)
    assert backend.sent == 1
    assert backend.dropped == 1
    assert [e["data"]["content"] for e in server.logs] == ["before"]


def count_to_three(run, params):
    for i in range(1, 4):
        run.set_progress(i, 3)
        run.log_message(f"counted {i}")
    return 3


def test_testing_helpers_run_an_action_against_the_backend_server(server):
    logger = backend_logger(server, interval=0.1)
    outcome = run_action(count_to_three, logger=logger)
    assert outcome.result == 3
    assert [e["event_id"] for e in server.logs] == [e.event_id for e in outcome.entries]
    job = server.get("jobs", logger.job_id)
    assert job["status"] == "SUCCEEDED"
    assert job["result"] == 3
    assert job["progress_record"]["current_progress"]["overall"] == 100.0


def test_backend_server_helper_starts_the_public_server_or_says_what_is_missing():
    import synapse_client.testing as public

    if not hasattr(public, "BackendServer"):  # until the server moves into synapse_client.testing
        with pytest.raises(RuntimeError, match=r"synapse_client\.testing\.BackendServer"), backend_server():
            pass
        return
    with backend_server() as public_server:
        logger = backend_logger(public_server)
        run_action(count_to_three, logger=logger)
        assert public_server.get("jobs", logger.job_id)["status"] == "SUCCEEDED"
