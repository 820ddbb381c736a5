"""The CLI against a real Ray head: plugin run --method job/task, and job list/get/logs/stop."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from synapse_plugins.cli import cli
from synapse_testkit.plugin_factory import write_plugin

pytestmark = pytest.mark.ray

ACTION = """
import time

from synapse_plugins import Action


class Count(Action):
    progress_categories = {"count": 1}

    def start(self):
        total = int(self.params.model_dump().get("n", 3))
        for i in range(1, total + 1):
            self.run.set_progress(i, total, "count")
            self.run.log_message(f"counted {i}")
        return {"counted": total, "echo": self.params.model_dump().get("text")}


def slow(run, params):
    for i in range(600):
        run.log_message(f"tick {i}")
        time.sleep(0.2)
"""


@pytest.fixture
def count_plugin(tmp_path):
    return write_plugin(
        tmp_path,
        {"main": ACTION},
        {"count": {"entrypoint": "{pkg}.main:Count"}, "slow": {"entrypoint": "{pkg}.main:slow"}},
    )


def test_run_as_a_job_follows_logs_and_prints_the_result(count_plugin, ray_head):
    text = "$(id) `uname` \"q\" 'q'"
    out = subprocess.run(
        [sys.executable, "-m", "synapse_plugins", "plugin", "run", "count", "--path", str(count_plugin), "--method",
         "job", "--ray-address", ray_head.dashboard_url, "-p", "n=int:3", "-p", f"text={text}"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "[info] counted 3" in out.stderr
    assert "run succeeded" in out.stderr
    assert json.loads(out.stdout.split("result:", 1)[1]) == {"counted": 3, "echo": text}


def test_job_commands_list_get_logs_and_stop(count_plugin, ray_head):
    runner = CliRunner()
    address = ["--ray-address", ray_head.dashboard_url]
    submitted = runner.invoke(cli, ["plugin", "run", "slow", "--path", str(count_plugin), "--method", "job",
                                    *address, "--detach"], catch_exceptions=False)  # fmt: skip
    assert submitted.exit_code == 0, submitted.output
    job_id = submitted.stdout.strip().splitlines()[-1]
    listed = json.loads(runner.invoke(cli, ["job", "list", *address, "--json"]).stdout)
    assert job_id in [row["id"] for row in listed]
    deadline = time.monotonic() + 120
    while "tick 1" not in runner.invoke(cli, ["job", "logs", job_id, *address]).stdout:
        assert time.monotonic() < deadline, "the job never logged"
        time.sleep(0.5)
    stopped = runner.invoke(cli, ["job", "stop", job_id, *address, "--wait"])
    assert stopped.exit_code == 0, stopped.output
    details = json.loads(runner.invoke(cli, ["job", "get", job_id, *address, "--json"]).stdout)
    assert details["status"] == "STOPPED"
    again = runner.invoke(cli, ["job", "stop", job_id, *address])
    assert again.exit_code == 1
    assert "error:" in again.output
    missing = runner.invoke(cli, ["job", "get", "raysubmit_nosuchjob", *address])
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output


def test_job_commands_need_an_address(monkeypatch, tmp_path):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("SYNAPSE_CONFIG_FILE", str(tmp_path / "none.json"))
    result = CliRunner().invoke(cli, ["job", "list"])
    assert result.exit_code == 2
    assert "no Ray address" in result.output
