from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils import calculate_checksum, calculate_checksums, get_checksum_from_file

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


@given(content=st.text(max_size=2048), buffer_size=st.integers(1, 3000), algorithm=st.sampled_from(ALGORITHMS))
def test_checksum_of_text_file_object_equals_hashlib_of_utf8(
    tmp_path_factory: pytest.TempPathFactory, content: str, buffer_size: int, algorithm: str
) -> None:
    path = tmp_path_factory.mktemp("t") / "f.txt"
    path.write_text(content, encoding="utf-8", newline="")
    with path.open("r", encoding="utf-8", newline="") as file:
        file.read(1)
        position = file.tell()
        digest = get_checksum_from_file(file, algorithm, buffer_size)
        assert file.tell() == position
    assert digest == hashlib.new(algorithm, content.encode("utf-8")).hexdigest()


@given(content=st.binary(max_size=4096), buffer_size=st.integers(1, 5000), algorithm=st.sampled_from(ALGORITHMS))
def test_checksum_of_open_binary_file_equals_hashlib(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, buffer_size: int, algorithm: str
) -> None:
    path = tmp_path_factory.mktemp("b") / "f.bin"
    path.write_bytes(content)
    with path.open("rb") as file:
        assert get_checksum_from_file(file, getattr(hashlib, algorithm), buffer_size) == (
            hashlib.new(algorithm, content).hexdigest()
        )


class _ReadOnlyStream:
    """A minimal reader: read() only, not seekable, no readinto (like some framework upload objects)."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)

    def seekable(self) -> bool:
        return False


def test_checksum_of_minimal_reader_without_readinto() -> None:
    data = bytes(range(256)) * 50
    assert get_checksum_from_file(_ReadOnlyStream(data), "sha256", 1000) == hashlib.sha256(data).hexdigest()  # type: ignore[arg-type]


@given(
    contents=st.lists(st.binary(max_size=2048), min_size=0, max_size=12),
    algorithm=st.sampled_from(ALGORITHMS),
    workers=st.integers(1, 6),
)
def test_parallel_checksums_equal_hashlib_for_every_file(
    tmp_path_factory: pytest.TempPathFactory, contents: list[bytes], algorithm: str, workers: int
) -> None:
    folder = tmp_path_factory.mktemp("many")
    paths = []
    for index, content in enumerate(contents):
        path = folder / f"{index}.bin"
        path.write_bytes(content)
        paths.append(path)
    digests = calculate_checksums(paths, algorithm=algorithm, max_workers=workers)
    assert list(digests) == paths
    assert digests == {path: hashlib.new(algorithm, path.read_bytes()).hexdigest() for path in paths}


def test_parallel_checksums_keep_the_callers_keys_and_dedupe(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    keys = [str(tmp_path / "a"), str(tmp_path / "a")]
    assert calculate_checksums(keys) == {keys[0]: hashlib.sha1(b"a").hexdigest()}


def test_parallel_checksums_raise_for_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    with pytest.raises(FileNotFoundError):
        calculate_checksums([tmp_path / "a", tmp_path / "missing"], max_workers=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"max_workers": 0}, "max_workers"), ({"buffer_size": 0}, "buffer_size"), ({"algorithm": "no-such-hash"}, "hash")],
)
def test_parallel_checksums_reject_bad_arguments(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    (tmp_path / "a").write_bytes(b"a")
    with pytest.raises(ValueError, match=match):
        calculate_checksums([tmp_path / "a"], **kwargs)  # type: ignore[arg-type]
