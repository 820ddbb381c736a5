"""The contract every storage provider passes, run against each provider on real servers on 127.0.0.1.

A new provider joins by adding a branch to the ``storage`` fixture; every test here then checks it the same way.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_fileutils.storage import (
    PathEscapeError,
    Storage,
    StorageNotFoundError,
    StorageUnsupportedError,
    get_storage,
)
from synapse_testkit.storage_servers import S3_ACCESS_KEY, FailingSource

PROVIDERS = ["local", "http", "s3", "gcs", "sftp", "memory"]
_memory_roots = itertools.count()


@pytest.fixture(params=PROVIDERS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    name = request.param
    if name == "local":
        yield get_storage({"provider": "file_system", "configuration": {"location": str(tmp_path / "root")}})
    elif name == "memory":
        # The generic fsspec base over fsspec's in-memory filesystem: what a new fsspec provider inherits.
        from fsspec.implementations.memory import MemoryFileSystem

        from synapse_fileutils.storage.remote import FsspecStorage

        yield FsspecStorage(MemoryFileSystem(), f"/contract-{next(_memory_roots)}-{os.getpid()}")
    else:
        record: dict[str, Any] = request.getfixturevalue(f"{name}_record")
        provider = get_storage(record)
        yield provider
        close = getattr(provider, "close", None)
        if close is not None:
            close()


def _secrets_of(request: pytest.FixtureRequest) -> list[str]:
    """The secret configuration values of the provider under test, to look for in text."""
    name = request.node.callspec.params["storage"]
    if name in ("s3", "sftp"):
        configuration = request.getfixturevalue(f"{name}_record")["configuration"]
        return [v for k, v in configuration.items() if k in ("secret_key", "access_key", "password")]
    return []


def test_upload_then_download_roundtrips_bytes_with_progress(storage: Storage, tmp_path: Path) -> None:
    payload = os.urandom(300_000)
    source = tmp_path / "source.bin"
    source.write_bytes(payload)
    uploads: list[tuple[int, int | None]] = []
    downloads: list[tuple[int, int | None]] = []

    storage.upload(source, "folder/data.bin", progress=lambda done, total: uploads.append((done, total)))
    result = storage.download(
        "folder/data.bin", tmp_path / "out" / "copy.bin", progress=lambda d, t: downloads.append((d, t))
    )

    assert result.read_bytes() == payload
    assert uploads[0] == (0, len(payload))
    assert uploads[-1] == (len(payload), len(payload))
    assert downloads[-1][0] == len(payload)
    assert [d for d, _ in downloads] == sorted(d for d, _ in downloads)


def test_upload_from_file_object_reads_from_its_position(storage: Storage, tmp_path: Path) -> None:
    buffer = io.BytesIO(b"skip|keep this")
    buffer.seek(5)
    storage.upload(buffer, "obj.txt")
    assert storage.download("obj.txt", tmp_path / "o.txt").read_bytes() == b"keep this"


def test_upload_returns_the_url_of_the_target(storage: Storage) -> None:
    url = storage.upload(io.BytesIO(b"x"), "a/b c.txt")
    assert url == storage.get_url("a/b c.txt")
    assert url.endswith("/a/b%20c.txt")


def test_upload_overwrites_an_existing_file(storage: Storage, tmp_path: Path) -> None:
    storage.upload(io.BytesIO(b"first version"), "same.txt")
    storage.upload(io.BytesIO(b"second"), "same.txt")
    assert storage.download("same.txt", tmp_path / "s.txt").read_bytes() == b"second"


def test_failed_upload_leaves_nothing_new_under_target(storage: Storage, tmp_path: Path) -> None:
    storage.upload(io.BytesIO(b"old version"), "keep/existing.txt")

    with pytest.raises(OSError, match="source went away"):
        storage.upload(FailingSource(70_000), "keep/fresh.txt")  # type: ignore[arg-type]
    with pytest.raises(OSError, match="source went away"):
        storage.upload(FailingSource(70_000), "keep/existing.txt")  # type: ignore[arg-type]

    assert not storage.exists("keep/fresh.txt")
    assert storage.download("keep/existing.txt", tmp_path / "e.txt").read_bytes() == b"old version"
    if storage.supports_listing:
        assert [e.path for e in storage.iter_files("keep")] == ["keep/existing.txt"]


def test_exists_tells_missing_from_present(storage: Storage) -> None:
    assert storage.exists("nothing/here.txt") is False
    storage.upload(io.BytesIO(b"1"), "nothing/here.txt")
    assert storage.exists("nothing/here.txt") is True


def test_unicode_and_space_names_roundtrip(storage: Storage, tmp_path: Path) -> None:
    storage.upload(io.BytesIO("안녕".encode()), "폴더/파일 1.txt")
    assert storage.exists("폴더/파일 1.txt")
    assert storage.download("폴더/파일 1.txt", tmp_path / "k.txt").read_text(encoding="utf-8") == "안녕"


def test_leading_slash_means_the_storage_root(storage: Storage) -> None:
    storage.upload(io.BytesIO(b"r"), "/rooted/file.txt")
    assert storage.exists("rooted/file.txt")
    assert storage.get_url("/rooted/file.txt") == storage.get_url("rooted/file.txt")


@pytest.mark.parametrize("path", ["../outside.txt", "a/../../outside.txt", "/../etc/passwd", "..", "a/\x00b"])
def test_paths_that_climb_out_are_refused_before_any_io(storage: Storage, path: str, tmp_path: Path) -> None:
    with pytest.raises(PathEscapeError) as caught:
        storage.upload(io.BytesIO(b"x"), path)
    assert caught.value.path == path
    with pytest.raises(PathEscapeError):
        storage.exists(path)
    with pytest.raises(PathEscapeError):
        storage.download(path, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_download_of_missing_file_raises_not_found_and_keeps_target(storage: Storage, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    target = downloads / "keep.txt"
    target.write_bytes(b"precious")
    with pytest.raises(StorageNotFoundError) as caught:
        storage.download("missing.bin", target)
    assert caught.value.path == "missing.bin"
    assert isinstance(caught.value, FileNotFoundError)
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in downloads.iterdir()) == ["keep.txt"]


def test_delete_removes_a_file_and_refuses_a_missing_one(storage: Storage) -> None:
    storage.upload(io.BytesIO(b"x"), "del/me.txt")
    storage.delete("del/me.txt")
    assert not storage.exists("del/me.txt")
    with pytest.raises(StorageNotFoundError):
        storage.delete("del/me.txt")


def test_listing_counts_and_sizes_stream_over_nested_files(storage: Storage) -> None:
    files = {"set/a.json": b"{}", "set/images/1.png": b"12345", "set/images/deep/2.png": b"123", "other.txt": b"o"}
    for key, data in files.items():
        storage.upload(io.BytesIO(data), key)

    if not storage.supports_listing:
        with pytest.raises(StorageUnsupportedError):
            storage.get_path_file_count("set")
        with pytest.raises(StorageUnsupportedError):
            list(storage.iter_files("set"))
        return

    listing = storage.iter_files("set")
    assert isinstance(listing, Iterator)
    found = {entry.path: entry.size for entry in listing}
    assert found == {k: len(v) for k, v in files.items() if k.startswith("set/")}
    assert storage.get_path_file_count("set") == 3
    assert storage.get_path_total_size("set") == 10
    assert storage.get_path_file_count() == 4
    assert storage.get_path_file_count("set/a.json") == 1
    assert storage.get_path_total_size("set/images/1.png") == 5
    assert storage.get_path_file_count("no-such-folder") == 0


def test_pathlib_object_reads_writes_and_walks(storage: Storage) -> None:
    if not storage.supports_listing:
        with pytest.raises(StorageUnsupportedError):
            storage.get_pathlib("p")
        return

    folder = storage.get_pathlib("p")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("안녕 storage", encoding="utf-8")
    (folder / "data.bin").write_bytes(b"\x00\x01")
    (folder / "sub").mkdir()
    (folder / "sub" / "more.txt").write_text("m", encoding="utf-8")

    assert (folder / "notes.txt").read_text(encoding="utf-8") == "안녕 storage"
    assert (folder / "data.bin").read_bytes() == b"\x00\x01"
    assert (folder / "notes.txt").stat().st_size == len("안녕 storage".encode())
    assert (folder / "notes.txt").is_file()
    assert not (folder / "notes.txt").is_dir()
    assert folder.is_dir()
    assert folder.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["data.bin", "notes.txt", "sub"]
    assert sorted(p.name for p in folder.glob("*.txt")) == ["notes.txt"]
    assert sorted(p.name for p in folder.rglob("*.txt")) == ["more.txt", "notes.txt"]
    with (folder / "streamed.txt").open("w", encoding="utf-8") as file:
        file.write("line\n")
    with (folder / "streamed.txt").open("r", encoding="utf-8") as file:
        assert file.read() == "line\n"


def test_pathlib_object_cannot_climb_out(storage: Storage) -> None:
    if not storage.supports_listing:
        return
    with pytest.raises(PathEscapeError):
        storage.get_pathlib("../x")
    if not isinstance(storage.get_pathlib(""), Path):  # a plain Path is the caller's own from then on
        with pytest.raises(PathEscapeError):
            _ = storage.get_pathlib("a") / ".." / ".." / "x"


def test_no_secret_in_repr_urls_or_errors(storage: Storage, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    secrets = _secrets_of(request)
    storage.upload(io.BytesIO(b"x"), "s.txt")
    texts = [repr(storage), str(storage), storage.get_url("s.txt"), storage.upload(io.BytesIO(b"y"), "t.txt")]
    with pytest.raises(StorageNotFoundError) as missing:
        storage.download("absent.txt", tmp_path / "a")
    texts.append(str(missing.value))
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_no_secret_in_logs_even_at_debug_level(
    storage: Storage, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Secret values only: botocore's own debug log of a signed request shows the access key *id* (an identifier,
    # like a user name), never the secret key.
    secrets = [s for s in _secrets_of(request) if s != S3_ACCESS_KEY]
    with caplog.at_level(logging.DEBUG):
        storage.upload(io.BytesIO(b"logged"), "log/a.txt")
        storage.download("log/a.txt", tmp_path / "a.txt")
        storage.exists("log/missing.txt")
        if storage.supports_listing:
            storage.get_path_file_count("log")
    if request.node.callspec.params["storage"] in ("s3", "gcs", "sftp"):
        assert caplog.records  # the backend libraries did log at debug level, so the check below means something
    for secret in secrets:
        assert secret not in caplog.text
