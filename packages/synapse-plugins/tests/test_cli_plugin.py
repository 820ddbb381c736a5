from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from synapse_plugins.cli import cli
from synapse_plugins.templates import CATEGORY_ACTIONS
from synapse_testkit.plugin_factory import write_plugin

CATEGORIES = sorted(CATEGORY_ACTIONS)
# Tests each template ships: 3 per generic action; the export and upload templates have 2.
TEMPLATE_TESTS = {"export": 2, "upload": 2}


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("category", CATEGORIES)
def test_create_writes_a_plugin_whose_tests_pass(tmp_path, category):
    folder = tmp_path / "p"
    result = invoke("plugin", "create", str(folder), "--code", "demo-plugin", "--name", "Demo", "--category",
                    category, "--action", "extra-step", "--yes")  # fmt: skip
    assert result.exit_code == 0, result.output
    config = (folder / "config.yaml").read_text()
    assert "extra-step" in config
    assert (folder / "requirements.txt").read_text().startswith("synapse-plugins==")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
                         capture_output=True, text=True, env=env, timeout=300, check=False)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    expected = sum(TEMPLATE_TESTS.get(action, 3) for action in CATEGORY_ACTIONS[category]) + 3
    assert f"{expected} passed" in out.stdout


def test_create_without_values_and_no_terminal_fails_cleanly(tmp_path):
    result = invoke("plugin", "create", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "missing --code, --name, --category" in result.output
    assert not (tmp_path / "x").exists()


def test_create_refuses_a_non_empty_folder_and_bad_names(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    result = invoke("plugin", "create", str(tmp_path / "taken"), "--code", "a", "--name", "A", "--category",
                    "smart_tool", "--yes")  # fmt: skip
    assert result.exit_code == 2
    assert "not empty" in result.output
    result = invoke("plugin", "create", str(tmp_path / "y"), "--code", "Bad Code", "--name", "A", "--category",
                    "smart_tool", "--yes")  # fmt: skip
    assert result.exit_code == 2
    assert "code 'Bad Code'" in result.output


ACTION = """
from pydantic import BaseModel, ConfigDict

from synapse_plugins import Action


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    times: int = 1
    flag: bool = False
    extra: dict = {}


class Echo(Action[Params]):
    progress_categories = {"echo": 1}

    def start(self):
        self.run.log_message("echoing")
        self.run.set_progress(1, 1, "echo")
        return {"text": self.params.text * self.params.times, "flag": self.params.flag, "extra": self.params.extra}


def boom(run, params):
    raise RuntimeError("it broke")
"""


@pytest.fixture
def echo_plugin(tmp_path):
    return write_plugin(
        tmp_path,
        {"main": ACTION},
        {"echo": {"entrypoint": "{pkg}.main:Echo"}, "boom": {"entrypoint": "{pkg}.main:boom"}},
    )


def test_run_prints_logs_progress_and_result(echo_plugin):
    result = invoke("plugin", "run", "echo", "--path", str(echo_plugin), "--params", '{"text": "ab"}',
                    "-p", "times=int:2", "-p", "flag=bool:yes", "-p", 'extra=json:{"k": [1]}')  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[info] echoing" in result.output
    assert "progress 100.0%" in result.output
    assert "run succeeded" in result.output
    assert '"text": "abab"' in result.output


def test_run_json_prints_only_the_result(echo_plugin, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"text": "$(id) `x` \"q\" 'q'\nline"}))
    runner = CliRunner()
    result = runner.invoke(cli, ["plugin", "run", "echo", "--path", str(echo_plugin), "--params", f"@{params}",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["text"] == "$(id) `x` \"q\" 'q'\nline"


def test_run_params_from_stdin(echo_plugin):
    result = invoke("plugin", "run", "echo", "--path", str(echo_plugin), "--params", "@-", "--json",
                    input='{"text": "in"}')  # fmt: skip
    assert json.loads(result.stdout)["text"] == "in"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", '{"times": "x", "colour": 1}'], "invalid params for action 'echo'"),
        (["--params", "[1, 2]"], "must be a JSON object"),
        (["--params", "@/no/such/file.json"], "cannot read"),
        (["-p", "times=int:many", "--params", '{"text": "a"}'], "times=int:many"),
        (["-p", "novalue"], "NAME=VALUE"),
    ],
)
def test_bad_params_exit_2_with_a_clear_message(echo_plugin, args, message):
    result = invoke("plugin", "run", "echo", "--path", str(echo_plugin), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_field_errors_are_printed_per_field(echo_plugin):
    result = invoke("plugin", "run", "echo", "--path", str(echo_plugin), "--params", '{"times": "x", "colour": 1}')
    lines = result.output.splitlines()
    assert "  text: Field required" in lines
    assert any(line.startswith("  times: ") for line in lines)
    assert any(line.startswith("  colour: ") for line in lines)


def test_failing_action_exits_1_and_bad_config_exits_2(echo_plugin, tmp_path):
    result = invoke("plugin", "run", "boom", "--path", str(echo_plugin))
    assert result.exit_code == 1
    assert "RuntimeError: it broke" in result.output
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yaml").write_text("code: x\nname: X\nversion: 1\n")
    result = invoke("plugin", "run", "a", "--path", str(tmp_path / "broken"))
    assert result.exit_code == 2
    assert "config.yaml" in result.output
    result = invoke("plugin", "run", "nope", "--path", str(echo_plugin))
    assert result.exit_code == 2
    assert "has no action 'nope'" in result.output


def test_console_script_runs_as_a_subprocess(echo_plugin):
    out = subprocess.run([sys.executable, "-m", "synapse_plugins", "plugin", "run", "echo", "--path",
                          str(echo_plugin), "-p", "text=hi", "--json"], capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["text"] == "hi"


def test_config_file_is_private_and_tokens_are_masked(tmp_path, monkeypatch):
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("SYNAPSE_CONFIG_FILE", str(path))
    for name in ("SYNAPSE_HOST", "SYNAPSE_ACCESS_TOKEN", "SYNAPSE_TENANT", "RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("config", "set", "host", "http://backend.test").exit_code == 0
    assert invoke("config", "set", "access_token", input="supersecrettoken\n").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = invoke("config", "show", "--json")
    data = json.loads(shown.stdout)
    assert data["host"]["value"] == "http://backend.test"
    assert "supersecrettoken" not in shown.output
    monkeypatch.setenv("SYNAPSE_HOST", "http://env.test")
    assert json.loads(invoke("config", "show", "--json").stdout)["host"]["source"] == "environment SYNAPSE_HOST"
    assert invoke("config", "unset", "access_token").exit_code == 0
    assert "access_token" not in json.loads(path.read_text())


def test_help_and_version(echo_plugin):
    assert invoke("-V").output.startswith("synapse-plugins ")
    for command in (["plugin", "run"], ["plugin", "create"], ["job", "logs"], ["convert"], ["config"]):
        result = invoke(*command, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.output


def test_importing_the_cli_is_cheap():
    heavy = "('pydantic', 'yaml', 'ray', 'rich')"
    code = f"import sys, synapse_plugins.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_docs_help_is_the_real_help():
    # Commands are listed lazily but all of them resolve.
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert cli.get_command(None, name) is not None  # type: ignore[arg-type]


def test_sdk_loggers_turn_on_with_verbose(echo_plugin):
    result = CliRunner().invoke(cli, ["--verbose", "plugin", "run", "echo", "--path", str(Path(echo_plugin)),
                                      "-p", "text=a", "--json"])  # fmt: skip
    assert result.exit_code == 0


def _make_plugin(tmp_path: Path) -> Path:
    folder = tmp_path / "hello"
    assert invoke("plugin", "create", str(folder), "--code", "hello", "--name", "Hello", "--category", "smart_tool",
                  "--yes").exit_code == 0  # fmt: skip
    (folder / ".env").write_text("SYNAPSE_ACCESS_TOKEN=do-not-ship\n")
    (folder / ".venv").mkdir()
    (folder / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (folder / "notes.tmp").write_text("scratch")
    (folder / ".synapseignore").write_text("tests/\n*.tmp\n")
    return folder


def test_publish_dry_run_lists_files_and_changes_nothing(tmp_path):
    folder = _make_plugin(tmp_path)
    before = sorted((p.relative_to(folder), p.stat().st_mtime_ns) for p in folder.rglob("*"))
    result = invoke("plugin", "publish", "--path", str(folder), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == "0.1.0"
    assert data["plugin"] == "hello"
    assert "config.yaml" in data["files"]
    assert "plugin/auto_label.py" in data["files"]
    for left_out in (".env", ".venv/pyvenv.cfg", "notes.tmp", "tests/test_auto_label.py"):
        assert left_out not in data["files"]
    assert sorted((p.relative_to(folder), p.stat().st_mtime_ns) for p in folder.rglob("*")) == before


def test_publish_sends_version_checksum_and_an_archive_without_secrets(tmp_path, backend_server):
    import io
    import zipfile

    import requests

    from synapse_client.testing import ACCESS_TOKEN, TENANT

    folder = _make_plugin(tmp_path)
    result = invoke("plugin", "publish", "--path", str(folder), "--host", backend_server.url, "--token",
                    ACCESS_TOKEN, "--tenant", TENANT, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ACCESS_TOKEN not in result.output
    (release,) = [r for r in backend_server.table("plugin_releases").values() if r.get("plugin") == "hello"]
    assert release["plugin"] == "hello"
    assert release["version"] == "0.1.0"
    assert json.loads(release["config"])["actions"]["auto_label"]["entrypoint"] == "plugin.auto_label:AutoLabelAction"
    assert len(release["checksum"]) == 32
    archive = zipfile.ZipFile(io.BytesIO(requests.get(release["file"], timeout=10).content))
    names = archive.namelist()
    assert "config.yaml" in names
    assert not any(name.startswith((".env", ".venv", "tests/")) or name.endswith(".tmp") for name in names)
    again = invoke("plugin", "publish", "--path", str(folder), "--dry-run", "--json")
    assert json.loads(again.stdout)["checksum"] == release["checksum"]  # same content, same checksum


def test_publish_without_credentials_or_with_a_bad_token(tmp_path, backend_server, monkeypatch):
    folder = _make_plugin(tmp_path)
    monkeypatch.setenv("SYNAPSE_CONFIG_FILE", str(tmp_path / "none.json"))
    for name in ("SYNAPSE_HOST", "SYNAPSE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = invoke("plugin", "publish", "--path", str(folder))
    assert result.exit_code == 2
    assert "needs --host and --token" in result.output
    result = invoke("plugin", "publish", "--path", str(folder), "--host", backend_server.url, "--token", "wrong-token")
    assert result.exit_code == 1
    assert "wrong-token" not in result.output
    assert "Traceback" not in result.output
