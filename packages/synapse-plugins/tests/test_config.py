from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synapse_plugins import PluginConfigError, load_plugin_config
from synapse_plugins.config import CONFIG_FILE_NAMES
from synapse_testkit.plugin_factory import write_plugin

VALID = """\
code: yolo-export
name: YOLO export
version: 1.2.0
category: export
description: Export to YOLO
data_types: [image]
package_manager: uv
package_manager_options: [--no-cache]
requires: {python: ">=3.10"}
env: {LOG_LEVEL: debug}
actions:
  export:
    entrypoint: plugin.export:Exporter
    annotation_types: [image]
"""


def _write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_valid_config_loads_every_documented_key(tmp_path):
    config = load_plugin_config(_write(tmp_path, VALID))
    assert config.code == "yolo-export"
    assert config.version == "1.2.0"
    assert config.category.value == "export"
    assert config.package_manager == "uv"
    assert config.package_manager_options == ["--no-cache"]
    assert config.data_types == ["image"]
    assert config.env == {"LOG_LEVEL": "debug"}
    assert config.actions["export"].entrypoint == "plugin.export:Exporter"
    assert config.actions["export"].method is None
    assert config.actions["export"].data_expand is True


def test_synapse_yaml_is_read_when_there_is_no_config_yaml(tmp_path):
    assert CONFIG_FILE_NAMES == ("config.yaml", "synapse.yaml")
    assert load_plugin_config(_write(tmp_path, VALID, "synapse.yaml")).code == "yolo-export"


def test_misspelled_key_is_refused_with_file_and_key(tmp_path):
    text = VALID.replace("description: Export to YOLO", "smart_tool_type: box")
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, text))
    err = info.value
    assert err.key == "smart_tool_type"
    assert err.file.endswith("config.yaml")
    assert "unknown key" in err.reason
    assert str(err).count("\n") == 0
    assert "smart_tool_type" in str(err)
    assert "config.yaml" in str(err)


def test_nested_unknown_key_names_the_whole_path(tmp_path):
    text = VALID.replace("    annotation_types: [image]", "    annotation_type: [image]")
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, text))
    assert info.value.key == "actions.export.annotation_type"


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        ("version: 1.2.0", "version: '1.2'", "version", "1.2"),
        ("category: export", "category: exporter", "category", "exporter"),
        ("package_manager: uv", "package_manager: conda", "package_manager", "conda"),
        (
            "entrypoint: plugin.export:Exporter",
            "entrypoint: 'os; rm -rf /'",
            "actions.export.entrypoint",
            "os; rm -rf /",
        ),
        ('requires: {python: ">=3.10"}', 'requires: {python: "three"}', "requires.python", "three"),
        ("code: yolo-export", "code: Yolo Export", "code", "Yolo Export"),
    ],
)
def test_bad_values_name_key_and_value(tmp_path, old, new, key, value):
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, VALID.replace(old, new)))
    assert info.value.key == key
    assert info.value.value == value
    assert repr(value)[:20] in str(info.value)


def test_missing_required_key(tmp_path):
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, VALID.replace("code: yolo-export\n", "")))
    assert info.value.key == "code"
    assert "required" in info.value.reason.lower()


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, VALID + "actions: [unclosed\n"))
    assert "config.yaml" in str(info.value)
    assert "line" in str(info.value)


def test_yaml_python_tags_are_not_executed(tmp_path):
    text = VALID.replace("description: Export to YOLO", "description: !!python/object/apply:os.getcwd []")
    with pytest.raises(PluginConfigError):
        load_plugin_config(_write(tmp_path, text))


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(PluginConfigError):
        load_plugin_config(_write(tmp_path, "- a\n- b\n"))


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(PluginConfigError, match="no such plugin folder"):
        load_plugin_config(tmp_path / "nope")
    with pytest.raises(PluginConfigError, match=r"no config\.yaml"):
        load_plugin_config(tmp_path)


def test_requires_python_is_checked_at_load(tmp_path):
    text = VALID.replace('">=3.10"', '"<3.0"')
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, text))
    assert info.value.key == "requires.python"
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in info.value.reason
    assert load_plugin_config(tmp_path, check=False).requires.python == "<3.0"


def test_requires_sdk_is_checked_at_load(tmp_path):
    text = VALID.replace('requires: {python: ">=3.10"}', 'requires: {sdk: ">=999"}')
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, text))
    assert info.value.key == "requires.sdk"


def test_a_plugin_needs_at_least_one_action(tmp_path):
    text = VALID.split("actions:", maxsplit=1)[0] + "actions: {}\n"
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(_write(tmp_path, text))
    assert info.value.key == "actions"


def test_huge_config_is_refused_before_reading(tmp_path):
    (tmp_path / "config.yaml").write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(PluginConfigError, match="larger than"):
        load_plugin_config(tmp_path)


def test_written_plugins_load(tmp_path):
    folder = write_plugin(
        tmp_path,
        {"main": "def go(run, params):\n    return 1\n"},
        {"go": {"entrypoint": "{pkg}.main:go", "method": "job"}},
    )
    config = load_plugin_config(folder)
    assert config.actions["go"].method.value == "job"
