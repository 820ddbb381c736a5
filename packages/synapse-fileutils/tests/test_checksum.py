from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils import calculate_checksum, get_checksum_from_file

ALGORITHMS = ["md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"]


@given(content=st.binary(max_size=4096), buffer_size=st.integers(1, 5000), algorithm=st.sampled_from(ALGORITHMS))
def test_checksum_of_path_equals_hashlib(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, buffer_size: int, algorithm: str
) -> None:
    path = tmp_path_factory.mktemp("c") / "f.bin"
    path.write_bytes(content)
    assert calculate_checksum(path, algorithm, buffer_size) == hashlib.new(algorithm, content).hexdigest()


@given(content=st.binary(max_size=4096), buffer_size=st.integers(1, 5000), algorithm=st.sampled_from(ALGORITHMS))
def test_checksum_of_binary_object_equals_hashlib_and_keeps_position(
    content: bytes, buffer_size: int, algorithm: str
) -> None:
    buffer = io.BytesIO(content)
    buffer.seek(len(content) // 2)
    digest = get_checksum_from_file(buffer, algorithm, buffer_size)
    assert digest == hashlib.new(algorithm, content).hexdigest()
    assert buffer.tell() == len(content) // 2


@given(text=st.text(max_size=2048), buffer_size=st.integers(1, 3000))
def test_checksum_of_text_object_hashes_utf8(text: str, buffer_size: int) -> None:
    digest = get_checksum_from_file(io.StringIO(text), hashlib.sha256, buffer_size)
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_default_algorithm_is_sha1(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    assert calculate_checksum(path) == hashlib.sha1(b"hello").hexdigest()
    with path.open("rb") as file:
        assert get_checksum_from_file(file) == hashlib.sha1(b"hello").hexdigest()


@pytest.mark.parametrize("buffer_size", [0, -1])
def test_non_positive_buffer_size_is_rejected(tmp_path: Path, buffer_size: int) -> None:
    path = tmp_path / "a"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="buffer_size"):
        calculate_checksum(path, buffer_size=buffer_size)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        calculate_checksum(tmp_path / "missing")
