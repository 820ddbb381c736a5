from __future__ import annotations

import base64
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils import (
    EncodingError,
    FileUtilsError,
    UnknownMimeTypeError,
    convert_file_to_base64,
    guess_mime_type,
    iter_file_base64,
)

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@given(content=st.binary(max_size=3000), chunk_size=st.integers(1, 400).map(lambda n: n * 3))
def test_streamed_pieces_equal_one_shot_base64(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, chunk_size: int
) -> None:
    path = tmp_path_factory.mktemp("e") / "blob.bin"
    path.write_bytes(content)
    expected = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    assert "".join(iter_file_base64(path, chunk_size=chunk_size)) == expected
    assert convert_file_to_base64(path) == expected


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("photo.jpg", "image/jpeg"),
        ("scan.PNG", "image/png"),
        ("notes.txt", "text/plain"),
        ("a.json", "application/json"),
    ],
)
def test_mime_type_comes_from_the_name(tmp_path: Path, name: str, mime: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"abc")
    assert convert_file_to_base64(path) == f"data:{mime};base64,YWJj"


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (PNG_HEADER + bytes(8), "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(8), "image/jpeg"),
        (b"GIF89a" + bytes(8), "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"PK\x03\x04" + bytes(8), "application/zip"),
    ],
)
def test_mime_type_is_sniffed_from_content_when_the_name_has_none(tmp_path: Path, content: bytes, mime: str) -> None:
    path = tmp_path / "upload"  # no extension
    path.write_bytes(content)
    assert guess_mime_type(path) == mime
    assert convert_file_to_base64(path).startswith(f"data:{mime};base64,")


def test_unknown_type_raises_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "mystery"
    path.write_bytes(b"\x00\x01 nothing recognisable")
    with pytest.raises(UnknownMimeTypeError) as info:
        convert_file_to_base64(path)
    assert info.value.path == str(path)
    assert isinstance(info.value, EncodingError)
    assert isinstance(info.value, ValueError)  # what earlier releases raised
    assert isinstance(info.value, FileUtilsError)


def test_explicit_mime_type_wins(tmp_path: Path) -> None:
    path = tmp_path / "mystery"
    path.write_bytes(b"abc")
    assert convert_file_to_base64(path, mime_type="application/x-custom") == "data:application/x-custom;base64,YWJj"


@pytest.mark.parametrize("uri", ["data:image/png;base64,iVBORw0KGgo=", "DATA:text/plain,hello"])
def test_data_uri_strings_pass_through(uri: str) -> None:
    assert convert_file_to_base64(uri) == uri


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        convert_file_to_base64(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError):
        iter_file_base64(tmp_path / "missing.png")


@pytest.mark.parametrize("chunk_size", [0, 4, -3, 1.5])
def test_chunk_size_must_be_a_positive_multiple_of_three(tmp_path: Path, chunk_size: object) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match="multiple of 3"):
        iter_file_base64(path, chunk_size=chunk_size)  # type: ignore[arg-type]


def test_memory_stays_near_the_size_of_the_result(tmp_path: Path) -> None:
    size = 6 * 1024 * 1024
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(size))
    result_size = 4 * size // 3
    tracemalloc.start()
    try:
        uri = convert_file_to_base64(path, mime_type="application/octet-stream")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(uri) == len("data:application/octet-stream;base64,") + result_size
    # The buffer and the returned string (2 x result) plus one read chunk; reading the whole file first, then
    # b64encode, then decode and concatenate (the earlier implementation) needs about 5 x the file size.
    assert peak < 2 * result_size + 2 * 3 * 1024 * 1024


def test_streaming_memory_is_flat(tmp_path: Path) -> None:
    size = 6 * 1024 * 1024
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(size))
    tracemalloc.start()
    try:
        total = sum(len(piece) for piece in iter_file_base64(path, mime_type="x/y", chunk_size=300 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len("data:x/y;base64,") + 4 * size // 3
    assert peak < 2 * 1024 * 1024


@given(st.binary(max_size=512))
def test_percent_encoded_data_uri_decodes_to_the_same_octets(content: bytes) -> None:
    from urllib.parse import quote_from_bytes

    from synapse_fileutils.encoding import parse_data_uri

    assert parse_data_uri("data:application/octet-stream," + quote_from_bytes(content)).data == content


def test_data_uri_over_max_size_is_refused_before_decoding() -> None:
    from synapse_fileutils.encoding import parse_data_uri
    from synapse_fileutils.errors import EncodingError

    with pytest.raises(EncodingError) as info:
        parse_data_uri("data:;base64," + "A" * 4000, max_size=100)
    assert info.value.reason == "too_large"
    with pytest.raises(EncodingError) as malformed:
        parse_data_uri("data:text/plain")
    assert malformed.value.reason == "malformed"
