from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils import read_file_in_chunk_views, read_file_in_chunks
from synapse_fileutils.chunking import DEFAULT_CHUNK_SIZE


@given(content=st.binary(max_size=5000), chunk_size=st.integers(1, 6000))
def test_chunks_concatenate_to_file_and_all_but_last_are_full(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, chunk_size: int
) -> None:
    path = tmp_path_factory.mktemp("c") / "f.bin"
    path.write_bytes(content)
    chunks = list(read_file_in_chunks(path, chunk_size))
    assert b"".join(chunks) == content
    assert all(isinstance(chunk, bytes) for chunk in chunks)
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    assert all(0 < len(chunk) <= chunk_size for chunk in chunks)
    assert len(chunks) == -(-len(content) // chunk_size)


@given(content=st.binary(max_size=5000), chunk_size=st.integers(1, 6000))
def test_chunk_views_concatenate_to_file_and_all_but_last_are_full(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, chunk_size: int
) -> None:
    path = tmp_path_factory.mktemp("v") / "f.bin"
    path.write_bytes(content)
    pieces = []
    sizes = []
    for view in read_file_in_chunk_views(path, chunk_size):
        assert view.readonly
        sizes.append(len(view))
        pieces.append(bytes(view))
    assert b"".join(pieces) == content
    assert all(size == chunk_size for size in sizes[:-1])
    assert len(sizes) == -(-len(content) // chunk_size)


def test_chunk_views_reuse_one_buffer(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abcdef")
    views = read_file_in_chunk_views(path, 3)
    first = next(views)
    assert bytes(first) == b"abc"
    second = next(views)
    assert bytes(second) == b"def"
    assert bytes(first) == b"def"  # documented: a view is valid only until the next chunk
    assert first.obj is second.obj


def test_default_chunk_size_is_50_mib() -> None:
    assert DEFAULT_CHUNK_SIZE == 52_428_800


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert list(read_file_in_chunks(path)) == []
    assert list(read_file_in_chunk_views(path, 10)) == []


@pytest.mark.parametrize("chunk_size", [0, -1, 1.5, "10", True, None])
@pytest.mark.parametrize("reader", [read_file_in_chunks, read_file_in_chunk_views])
def test_invalid_chunk_size_raises_value_error_at_call(tmp_path: Path, reader: object, chunk_size: object) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        reader(tmp_path / "not-even-opened", chunk_size)  # type: ignore[operator]


@pytest.mark.parametrize("reader", [read_file_in_chunks, read_file_in_chunk_views])
def test_missing_file_raises_on_first_next(tmp_path: Path, reader: object) -> None:
    chunks = reader(tmp_path / "missing", 10)  # type: ignore[operator]
    with pytest.raises(FileNotFoundError):
        next(chunks)


def test_generator_closes_the_file_when_closed_early(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    chunks = read_file_in_chunks(path, 10)
    next(chunks)
    frame = chunks.gi_frame  # type: ignore[attr-defined]
    file = frame.f_locals["file"]
    chunks.close()
    assert file.closed
