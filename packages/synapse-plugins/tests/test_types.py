from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError, create_model

from synapse_plugins.types import FileField, NonBlankStr, SlugStr, to_field_errors


@pytest.fixture
def server(file_server: Any) -> Any:
    return file_server


def _model(field: FileField) -> type[BaseModel]:
    return create_model("Params", sample=(Annotated[Path, field], ...))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_url_becomes_local_file_with_the_same_bytes(server: Any, tmp_path: Path) -> None:
    server.files["/img/cat.png"] = b"\x89PNG-bytes" * 100
    params = _model(FileField(cache_dir=tmp_path)).model_validate({"sample": server.url("/img/cat.png?sig=abc")})
    assert params.sample.read_bytes() == b"\x89PNG-bytes" * 100
    assert params.sample.is_relative_to(tmp_path)


def test_second_validation_hits_the_cache(server: Any, tmp_path: Path) -> None:
    server.files["/a.txt"] = b"cached"
    model = _model(FileField(cache_dir=tmp_path))
    first = model(sample=server.url("/a.txt?X-Amz-Signature=one")).sample
    second = model(sample=server.url("/a.txt?X-Amz-Signature=two")).sample
    assert first == second
    assert server.hits["/a.txt"] == 1


def test_not_found_is_a_field_error_without_the_query_string(server: Any, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path))(sample=server.url("/missing.png?X-Amz-Signature=topsecret"))
    (error,) = info.value.errors()
    assert error["loc"] == ("sample",)
    assert error["type"] == "file_download"
    assert "404" in error["msg"]
    assert "topsecret" not in str(info.value)
    assert _files(tmp_path) == []


def test_slow_server_is_a_field_error(server: Any, tmp_path: Path) -> None:
    server.files["/slow.bin"] = b"late"
    server.delays["/slow.bin"] = 3.0
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path, timeout=0.5))(sample=server.url("/slow.bin"))
    assert info.value.errors()[0]["type"] == "file_download"
    assert _files(tmp_path) == []


def test_oversized_url_is_refused_without_writing_it(server: Any, tmp_path: Path) -> None:
    server.files["/big.bin"] = b"x" * 5000
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path, max_size=1000))(sample=server.url("/big.bin"))
    assert info.value.errors()[0]["type"] == "file_too_large"
    assert _files(tmp_path) == []


@given(content=st.binary(max_size=2048))
def test_data_uri_round_trips(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    cache = tmp_path_factory.mktemp("cache")
    uri = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    path = _model(FileField(cache_dir=cache))(sample=uri).sample
    assert path.read_bytes() == content


def test_bare_file_field_uses_defaults() -> None:
    class Params(BaseModel):
        sample: FileField

    path = Params(sample="data:text/plain,hello%20world").sample
    assert isinstance(path, Path)
    assert path.read_bytes() == b"hello world"


def test_percent_encoded_data_uri_decodes_to_octets(tmp_path: Path) -> None:
    path = _model(FileField(cache_dir=tmp_path))(sample="data:application/octet-stream,%FF%00%80").sample
    assert path.read_bytes() == b"\xff\x00\x80"  # RFC 2397: octets, not UTF-8 of U+00FF


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [
        ("data:application/octet-stream;base64,AAECAw==", True),  # names no type: no rule can refuse it
        ("data:application/octet-stream;name=model.pt;base64,AAECAw==", True),
        ("data:application/octet-stream;name=notes.txt;base64,AAECAw==", False),
        ("data:image/png;base64,AAECAw==", False),
    ],
)
def test_extension_rule_on_a_data_uri_uses_its_name_then_its_media_type(
    tmp_path: Path, uri: str, accepted: bool
) -> None:
    model = _model(FileField(cache_dir=tmp_path, allowed_extensions={".pt", ".onnx"}))  # the Types page example
    if accepted:
        assert model(sample=uri).sample.read_bytes() == b"\x00\x01\x02\x03"
    else:
        with pytest.raises(ValidationError) as info:
            model(sample=uri)
        assert info.value.errors()[0]["type"] == "file_extension"


def test_url_with_a_bad_port_is_a_field_error_without_the_signature(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path))(sample="https://bucket.example:99999/a.pt?X-Amz-Signature=topsecret")
    assert info.value.errors()[0]["type"] == "file_source"
    assert "topsecret" not in str(info.value)


def test_redirect_loop_is_a_field_error(server: Any, tmp_path: Path) -> None:
    server.redirects["/loop.bin"] = "/loop.bin"
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path))(sample=server.url("/loop.bin?X-Amz-Signature=topsecret"))
    (error,) = info.value.errors()
    assert error["type"] == "file_download"
    assert "redirects" in error["msg"]
    assert "topsecret" not in str(info.value)


def test_bad_base64_is_a_field_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path))(sample="data:image/png;base64,@@not-base64@@")
    assert info.value.errors()[0]["type"] == "file_data_uri"
    assert _files(tmp_path) == []


def test_oversized_data_uri_is_refused_without_writing_it(tmp_path: Path) -> None:
    uri = "data:application/octet-stream;base64," + base64.b64encode(b"y" * 4000).decode()
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path, max_size=3999))(sample=uri)
    assert info.value.errors()[0]["type"] == "file_too_large"
    assert _files(tmp_path) == []


def test_extension_not_allowed(server: Any, tmp_path: Path) -> None:
    server.files["/doc.pdf"] = b"%PDF"
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path, allowed_extensions=["jpg", ".PNG"]))(sample=server.url("/doc.pdf"))
    assert info.value.errors()[0]["type"] == "file_extension"
    assert server.hits["/doc.pdf"] == 0


@pytest.mark.parametrize("value", ["/etc/passwd", "ftp://host/file", "file:///etc/passwd", 42])
def test_other_inputs_are_rejected(value: Any, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        _model(FileField(cache_dir=tmp_path))(sample=value)
    assert info.value.errors()[0]["type"] == "file_source"


def test_non_blank_and_slug_strings() -> None:
    model = create_model("Form", name=(NonBlankStr, ...), code=(SlugStr, ...))
    assert model(name="  Cats ", code="coco-export").model_dump() == {"name": "Cats", "code": "coco-export"}
    with pytest.raises(ValidationError) as info:
        model(name=" \t", code="Bad Code")
    assert set(to_field_errors(info.value)) == {"name", "code"}


# A tree of field names: leaves are int fields, inner nodes nested models (or lists of them).
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
trees = st.recursive(
    st.just("int"),
    lambda children: st.one_of(
        st.dictionaries(names, children, min_size=1, max_size=3),
        st.tuples(st.just("list"), st.dictionaries(names, children, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)


def _build(tree: Any, name: str) -> Any:
    if tree == "int":
        return int
    if isinstance(tree, tuple):
        return list[_build(tree[1], name)]  # type: ignore[misc]
    fields = {key: (_build(sub, f"{name}_{key}"), ...) for key, sub in tree.items()}
    return create_model(name, __base__=BaseModel, **fields)  # type: ignore[call-overload]


def _data(tree: Any, draw: Any, path: tuple[Any, ...], bad: set[tuple[Any, ...]]) -> Any:
    if tree == "int":
        if draw(st.booleans()):
            bad.add(path)
            return "not-a-number"
        return 1
    if isinstance(tree, tuple):
        return [_data(tree[1], draw, (*path, i), bad) for i in range(draw(st.integers(1, 2)))]
    return {key: _data(sub, draw, (*path, key), bad) for key, sub in tree.items()}


def _leaf(errors: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        errors = errors[key]
    return errors


@given(tree=st.dictionaries(names, trees, min_size=1, max_size=4), data=st.data())
def test_field_errors_name_every_failing_field(tree: dict[str, Any], data: st.DataObject) -> None:
    model = _build(tree, "Root")
    bad: set[tuple[Any, ...]] = set()
    payload = _data(tree, data.draw, (), bad)
    if not bad:
        model.model_validate(payload)
        return
    with pytest.raises(ValidationError) as info:
        model.model_validate(payload)
    errors = to_field_errors(info.value)
    for path in bad:
        messages = _leaf(errors, path)
        assert isinstance(messages, list)
        assert messages
        assert all(isinstance(m, str) for m in messages)
    assert sum(1 for _ in _walk(errors)) == len(bad)


def _walk(errors: Any) -> Iterator[list[str]]:
    for value in errors.values():
        if isinstance(value, list):
            yield value
        else:
            yield from _walk(value)


def test_error_text_hides_the_signature_and_data_uri_payload(server: Any, tmp_path: Path) -> None:
    model = _model(FileField(cache_dir=tmp_path, max_size=10))
    with pytest.raises(ValidationError) as info:
        model(sample=server.url("/missing.bin?X-Amz-Signature=topsecret"))
    with pytest.raises(ValidationError) as too_big:
        model(sample="data:text/plain;base64," + base64.b64encode(b"z" * 600).decode())
    assert "topsecret" not in str(info.value)
    assert "enp6" not in str(too_big.value)  # base64 of "zzz"


def test_json_schema_says_string() -> None:
    class Params(BaseModel):
        sample: FileField

    assert Params.model_json_schema()["properties"]["sample"]["type"] == "string"


def test_file_field_and_download_file_share_one_cache(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synapse_fileutils import download_file

    monkeypatch.delenv("SYNAPSE_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))
    server.files["/w.pt"] = b"weights"
    field_path = _model(FileField())(sample=server.url("/w.pt?X-Amz-Signature=a")).sample
    assert field_path.is_relative_to(tmp_path / "cache" / "downloads")
    assert download_file(server.url("/w.pt?X-Amz-Signature=b"), progress=False) == field_path
    assert server.hits["/w.pt"] == 1  # fetched once, whichever asked first
    data_path = _model(FileField())(sample="data:text/plain,hi").sample
    assert data_path.is_relative_to(tmp_path / "cache" / "data-uri")
