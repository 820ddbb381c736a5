from __future__ import annotations

import json
import sys
import textwrap

import pytest

from synapse_plugins import (
    Action,
    ActionLoadError,
    ActionNotFoundError,
    ActionRegistry,
    ExecutionError,
    ParamsError,
    Plugin,
    PluginConfigError,
)
from synapse_plugins.actions import default_method, method_for
from synapse_plugins.testing import run_action
from synapse_testkit.plugin_factory import write_plugin

NEW_ACTION = """
from pydantic import BaseModel, Field

from synapse_plugins import Action


class Params(BaseModel):
    name: str
    repeat: int = 2
    tags: list[str] = Field(default_factory=lambda: ["a"])


class Shout(Action[Params]):
    progress_categories = {"prepare": 1, "shout": 3}

    def start(self):
        self.run.set_progress(1, 1, "prepare")
        for i in range(1, self.params.repeat + 1):
            self.run.set_progress(i, self.params.repeat, "shout")
        self.run.log_message(f"shouted {self.params.name}", context="success")
        return {"text": (self.params.name.upper() + "!") * self.params.repeat, "tags": self.params.tags}
"""


def test_plugin_adds_its_own_action_name(tmp_path):
    folder = write_plugin(tmp_path, {"shout": NEW_ACTION}, {"shout": {"entrypoint": "{pkg}.shout:Shout"}})
    outcome = run_action(folder, "shout", {"name": "hi"})
    assert outcome.result == {"text": "HI!HI!", "tags": ["a"]}
    assert outcome.status.value == "SUCCEEDED"
    assert outcome.messages == ["shouted hi"]
    assert outcome.progress[-1]["current_progress"]["overall"] == 100.0
    assert outcome.progress[-1]["record"]["categories"]["prepare"]["proportion"] == 25.0


def test_declared_defaults_apply_and_params_is_the_model(tmp_path):
    source = NEW_ACTION + textwrap.dedent("""
        class Inspect(Action[Params]):
            def start(self):
                return {"type": type(self.params).__name__, "repeat": self.params.repeat}
    """)
    folder = write_plugin(tmp_path, {"shout": source}, {"inspect": {"entrypoint": "{pkg}.shout:Inspect"}})
    assert run_action(folder, "inspect", {"name": "x"}).result == {"type": "Params", "repeat": 2}


def test_bad_params_give_field_errors_naming_the_fields(tmp_path):
    folder = write_plugin(tmp_path, {"shout": NEW_ACTION}, {"shout": {"entrypoint": "{pkg}.shout:Shout"}})
    with pytest.raises(ParamsError) as info:
        run_action(folder, "shout", {"repeat": "loud", "tags": "x"})
    errors = info.value.field_errors
    assert set(errors) == {"name", "repeat", "tags"}
    assert errors["name"] == ["Field required"]
    assert info.value.action == "shout"
    outcome = run_action(folder, "shout", {"repeat": "loud"}, check=False)
    assert outcome.status.value == "FAILED"
    assert isinstance(outcome.error, ParamsError)


def test_params_schema_is_json_schema(tmp_path):
    folder = write_plugin(tmp_path, {"shout": NEW_ACTION}, {"shout": {"entrypoint": "{pkg}.shout:Shout"}})
    plugin = Plugin.load(folder)
    schema = ActionRegistry().resolve(plugin, "shout").params_schema()
    assert schema["required"] == ["name"]
    assert schema["properties"]["repeat"]["default"] == 2
    json.dumps(schema)


def test_function_entrypoint_gets_run_and_params(tmp_path):
    source = """
        def hello(run, params):
            run.log_message("hello")
            return sorted(params)
    """
    folder = write_plugin(tmp_path, {"main": source}, {"hello": {"entrypoint": "{pkg}.main.hello"}})
    outcome = run_action(folder, "hello", {"b": 1, "a": 2})
    assert outcome.result == ["a", "b"]
    assert outcome.messages == ["hello"]


def test_function_with_model_annotation_is_validated(tmp_path):
    source = """
        from pydantic import BaseModel

        class P(BaseModel):
            n: int = 5

        def double(run, params: P):
            return params.n * 2
    """
    folder = write_plugin(tmp_path, {"main": source}, {"double": {"entrypoint": "{pkg}.main:double"}})
    assert run_action(folder, "double", {}).result == 10
    with pytest.raises(ParamsError):
        run_action(folder, "double", {"n": "x"})


def test_action_that_raises_fails_with_traceback_in_log(tmp_path):
    source = """
        def explode(run, params):
            run.log_message("about to fail")
            raise RuntimeError("disk on fire")
    """
    folder = write_plugin(tmp_path, {"main": source}, {"explode": {"entrypoint": "{pkg}.main:explode"}})
    outcome = run_action(folder, "explode", {}, check=False)
    assert outcome.status.value == "FAILED"
    assert isinstance(outcome.error, ExecutionError)
    assert outcome.error.message == "RuntimeError: disk on fire"
    assert outcome.error.error_type == "RuntimeError"
    assert "explode" in outcome.error.traceback
    assert "disk on fire" in outcome.error.traceback
    assert outcome.logger.statuses[-1].error == "RuntimeError: disk on fire"
    (error_event,) = outcome.events("error")
    assert "Traceback" in error_event.data["traceback"]
    assert outcome.messages == ["about to fail", "RuntimeError: disk on fire"]
    with pytest.raises(ExecutionError, match="disk on fire"):
        run_action(folder, "explode", {})


def test_secrets_in_the_error_are_redacted(tmp_path):
    source = """
        def leak(run, params):
            raise ValueError("GET https://h/x?X-Amz-Signature=SECRETSIG failed, Token abcdef123456")
    """
    folder = write_plugin(tmp_path, {"main": source}, {"leak": {"entrypoint": "{pkg}.main:leak"}})
    outcome = run_action(folder, "leak", {}, check=False)
    text = outcome.error.message + outcome.error.traceback + json.dumps([e.to_wire() for e in outcome.entries])
    assert "SECRETSIG" not in text
    assert "abcdef123456" not in text


def test_broken_module_fails_only_its_action(tmp_path):
    folder = write_plugin(
        tmp_path,
        {"good": "def ok(run, params):\n    return 'ok'\n", "bad": "import not_a_module_anywhere\n"},
        {"ok": {"entrypoint": "{pkg}.good:ok"}, "broken": {"entrypoint": "{pkg}.bad:run"}},
    )
    plugin = Plugin.load(folder)  # loading imports nothing
    assert plugin.action_names == ["ok", "broken"]
    assert run_action(folder, "ok").result == "ok"
    with pytest.raises(ActionLoadError) as info:
        run_action(folder, "broken")
    assert info.value.entrypoint.endswith(".bad:run")
    assert "not_a_module_anywhere" in info.value.reason
    assert "Traceback" in info.value.traceback


def test_entrypoint_naming_a_non_action(tmp_path):
    folder = write_plugin(tmp_path, {"main": "VALUE = 3\nclass NotAnAction:\n    pass\n"},
                          {"a": {"entrypoint": "{pkg}.main:VALUE"}, "b": {"entrypoint": "{pkg}.main:NotAnAction"},
                           "c": {"entrypoint": "{pkg}.main:Missing"}})  # fmt: skip
    for name, text in (("a", "int"), ("b", "not an Action"), ("c", "no attribute")):
        with pytest.raises(ActionLoadError, match=text):
            run_action(folder, name)


def test_unknown_action(tmp_path):
    folder = write_plugin(tmp_path, {"main": "def ok(run, params):\n    return 1\n"},
                          {"ok": {"entrypoint": "{pkg}.main:ok"}}, code="demo")  # fmt: skip
    with pytest.raises(ActionNotFoundError) as info:
        run_action(folder, "train")
    assert info.value.available == ["ok"]
    assert "demo" in str(info.value)


def test_two_plugins_with_the_same_package_name_do_not_mix(tmp_path):
    one = write_plugin(tmp_path, {"main": "def who(run, params):\n    return 'one'\n"},
                       {"who": {"entrypoint": "{pkg}.main:who"}})  # fmt: skip
    two = write_plugin(tmp_path, {"main": "def who(run, params):\n    return 'two'\n"},
                       {"who": {"entrypoint": "{pkg}.main:who"}})  # fmt: skip
    assert [run_action(p, "who").result for p in (one, two, one)] == ["one", "two", "one"]
    assert str(one) not in sys.path
    assert str(two) not in sys.path


def test_two_runs_share_no_state(tmp_path):
    source = """
        from synapse_plugins import Action

        class Step(Action):
            progress_categories = {"work": 1}
            def start(self):
                self.run.set_progress(self.params.done, 10, "work")
                self.run.set_metrics({"seen": self.params.done}, "items")
                return self.run.progress.overall
    """
    folder = write_plugin(tmp_path, {"main": source}, {"step": {"entrypoint": "{pkg}.main:Step"}})
    first = run_action(folder, "step", {"done": 9})
    second = run_action(folder, "step", {"done": 1})
    assert (first.result, second.result) == (90.0, 10.0)
    assert second.metrics == {"items": {"seen": 1}}
    assert len(second.progress) == 1


def test_entry_point_actions_are_found_like_builtins(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "extra_actions").mkdir(parents=True)
    (site / "extra_actions" / "__init__.py").write_text(
        textwrap.dedent("""
        from synapse_plugins import Action

        class Ping(Action):
            def start(self):
                return "pong " + self.context.name
    """)
    )
    dist = site / "extra_actions-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-actions\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[synapse_plugins.actions]\nping = extra_actions:Ping\n")
    monkeypatch.syspath_prepend(str(site))
    registry = ActionRegistry()
    assert "ping" in registry
    assert "export" in registry
    assert "ping" not in ActionRegistry(entry_points=False)
    folder = write_plugin(tmp_path, {}, {"ping": {}})
    assert run_action(folder, "ping", registry=registry).result == "pong ping"


def test_action_without_entrypoint_needs_a_registered_one(tmp_path):
    folder = write_plugin(tmp_path, {}, {"nothing_here": {}})
    with pytest.raises(PluginConfigError) as info:
        run_action(folder, "nothing_here", registry=ActionRegistry(entry_points=False))
    assert info.value.key == "actions.nothing_here.entrypoint"


def test_methods_default_by_name_and_config_wins(tmp_path):
    assert default_method("export").value == "job"
    assert default_method("inference").value == "restapi"
    assert default_method("whatever").value == "task"
    folder = write_plugin(tmp_path, {"main": "def f(run, params):\n    return 1\n"},
                          {"train": {"entrypoint": "{pkg}.main:f"},
                           "tune": {"entrypoint": "{pkg}.main:f", "method": "task"}})  # fmt: skip
    plugin = Plugin.load(folder)
    registry = ActionRegistry()
    assert method_for(registry.resolve(plugin, "train"), plugin, "train").value == "job"
    assert method_for(registry.resolve(plugin, "tune"), plugin, "tune").value == "task"


def test_run_action_on_a_class_directly():
    outcome = run_action(Echo, params={"say": "x"})
    assert outcome.result == {"say": "x"}


class Echo(Action):
    def start(self):
        return self.params.model_dump()
