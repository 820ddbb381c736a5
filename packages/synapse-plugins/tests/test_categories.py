from __future__ import annotations

import pytest

from synapse_plugins import PluginCategory, RunMethod


@pytest.mark.parametrize(
    "value",
    ["neural_net", "export", "upload", "smart_tool", "post_annotation", "pre_annotation", "data_validation"],
)
def test_every_documented_category_parses(value: str) -> None:
    assert PluginCategory(value).value == value


def test_run_methods_are_job_task_restapi() -> None:
    assert [m.value for m in RunMethod] == ["job", "task", "restapi"]


def test_unknown_category_is_rejected() -> None:
    with pytest.raises(ValueError, match="'training'"):
        PluginCategory("training")
