from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils import FileFormatError, FileUtilsError, get_dict_from_file, get_temp_path

# PyYAML itself does not round-trip some control characters (e.g. NEL, U+0085); they are not what this test is about.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=10,
)


@given(data=st.dictionaries(TEXT, JSON_VALUES, max_size=5), suffix=st.sampled_from([".json", ".yaml", ".yml"]))
def test_round_trips_json_and_yaml(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, object], suffix: str
) -> None:
    path = tmp_path_factory.mktemp("io") / f"config{suffix}"
    text = json.dumps(data) if suffix == ".json" else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    assert get_dict_from_file(path) == data


def test_yml_is_read_as_yaml_and_str_paths_work(tmp_path: Path) -> None:
    path = tmp_path / "settings.yml"
    path.write_text("name: demo\nitems:\n  - 1\n  - 2\n")
    assert get_dict_from_file(str(path)) == {"name": "demo", "items": [1, 2]}


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "a": 1,\n  "b": ,\n}\n')
    with pytest.raises(FileFormatError) as info:
        get_dict_from_file(path)
    assert (info.value.path, info.value.line, info.value.column) == (str(path), 3, 8)
    assert str(info.value).startswith(f"{path}:3:8: invalid JSON")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FileUtilsError)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(FileFormatError) as info:
        get_dict_from_file(path)
    assert info.value.path == str(path)
    assert info.value.line == 3  # where the parser noticed
    assert "invalid YAML" in str(info.value)
    assert "started at line 2" in str(info.value)  # where the unclosed list began


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    marker = tmp_path / "pwned"
    path.write_text(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(FileFormatError):
        get_dict_from_file(path)
    assert not marker.exists()


@pytest.mark.parametrize(("name", "text"), [("list.json", "[1, 2]"), ("scalar.yaml", "just text"), ("n.json", "null")])
def test_top_level_must_be_a_mapping(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FileFormatError, match="mapping"):
        get_dict_from_file(path)


def test_empty_yaml_is_an_empty_dict_and_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    assert get_dict_from_file(tmp_path / "empty.yaml") == {}
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert get_dict_from_file(tmp_path / "bom.json") == {"a": 1}


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(FileFormatError, match="UTF-8") as info:
        get_dict_from_file(path)
    assert info.value.line == 2


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        get_dict_from_file(tmp_path / "missing.json")


def test_yaml_is_not_imported_with_the_package() -> None:
    code = "import sys, synapse_fileutils; assert 'yaml' not in sys.modules, 'yaml imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_temp_path_is_a_private_per_user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("SYNAPSE_TEMP_DIR", raising=False)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    base = get_temp_path()
    assert base == tmp_path / f"synapse-{os.getuid()}"
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert get_temp_path("sub/file.tmp") == base / "sub" / "file.tmp"
    assert not (base / "sub").exists()


def test_temp_path_honours_the_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_TEMP_DIR", str(tmp_path / "mine"))
    assert get_temp_path("x") == tmp_path / "mine" / "x"
    assert (tmp_path / "mine").is_dir()


def test_temp_path_refuses_a_planted_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "planted").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("SYNAPSE_TEMP_DIR", str(tmp_path / "planted"))
    with pytest.raises(FileUtilsError, match="link"):
        get_temp_path()


@pytest.mark.parametrize("sub_path", ["/etc/passwd", "../escape", "a/../../b"])
def test_temp_path_refuses_escaping_sub_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sub_path: str) -> None:
    monkeypatch.setenv("SYNAPSE_TEMP_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="relative"):
        get_temp_path(sub_path)


@pytest.mark.parametrize(("suffix", "text"), [(".json", "[" * 100_000 + "]" * 100_000), (".yaml", "[" * 100_000)])
def test_document_nested_too_deeply_is_a_format_error(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text('{"a": ' + text + "}" if suffix == ".json" else "a: " + text)
    with pytest.raises(FileFormatError, match="nested too deeply"):
        get_dict_from_file(path)


def test_cache_dir_is_one_per_user_root_moved_by_one_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synapse_fileutils import default_download_dir, get_cache_dir

    monkeypatch.delenv("SYNAPSE_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))
    assert get_cache_dir() == tmp_path / "cache"
    assert default_download_dir() == tmp_path / "cache" / "downloads"
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    with pytest.raises(ValueError, match="inside the cache folder"):
        get_cache_dir("../elsewhere")
    monkeypatch.delenv("SYNAPSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_cache_dir() == tmp_path / "xdg" / "synapse-sdk"


def test_cache_dir_that_is_a_link_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synapse_fileutils import get_cache_dir

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "link"))
    with pytest.raises(FileUtilsError, match="link or belongs to another user"):
        get_cache_dir()
