"""The HTTP provider against a real PUT/GET/HEAD file server on 127.0.0.1 with fault injection."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from synapse_fileutils.storage import (
    HTTPStorage,
    StorageConfigError,
    StorageOperationError,
    get_storage,
)

TOKEN = "Token tk-9f8e7d6c5b4a-never-logged"


def test_server_error_is_typed_with_status_and_keeps_target(
    http_record: dict[str, Any], http_server: Any, tmp_path: Path
) -> None:
    storage = get_storage(http_record)
    storage.upload(io.BytesIO(b"v1"), "a.txt")
    target = tmp_path / "a.txt"
    target.write_bytes(b"local copy")
    _, faults = http_server
    faults.statuses.extend([503, 503, 503])  # the first try and both retries

    with pytest.raises(StorageOperationError) as caught:
        storage.download("a.txt", target)

    assert caught.value.status == 503
    assert caught.value.path == "a.txt"
    assert target.read_bytes() == b"local copy"


def test_truncated_body_is_an_error_and_leaves_no_file(
    http_record: dict[str, Any], http_server: Any, tmp_path: Path
) -> None:
    storage = get_storage(http_record)
    storage.upload(io.BytesIO(b"0123456789" * 1000), "big.txt")
    _, faults = http_server
    faults.truncate_next = 1

    with pytest.raises(StorageOperationError, match=r"truncated|Connection|IncompleteRead|ChunkedEncoding"):
        storage.download("big.txt", tmp_path / "big.txt")
    assert list(tmp_path.iterdir()) == []


def test_exists_is_false_on_404_and_an_error_on_500(http_record: dict[str, Any], http_server: Any) -> None:
    storage = get_storage(http_record)
    assert storage.exists("nope.txt") is False
    _, faults = http_server
    faults.statuses.extend([500, 500, 500])
    with pytest.raises(StorageOperationError) as caught:
        storage.exists("nope.txt")
    assert caught.value.status == 500


def test_headers_are_sent_and_never_shown(http_record: dict[str, Any], http_server: Any, tmp_path: Path) -> None:
    _, faults = http_server
    faults.required_header = ("Authorization", TOKEN)
    base_url = http_record["configuration"]["base_url"]
    with_token = get_storage(
        {"provider": "http", "configuration": {"base_url": base_url, "headers": {"Authorization": TOKEN}}}
    )
    without = HTTPStorage(base_url)

    with_token.upload(io.BytesIO(b"private"), "p.txt")
    assert with_token.download("p.txt", tmp_path / "p.txt").read_bytes() == b"private"
    with pytest.raises(StorageOperationError) as denied:
        without.download("p.txt", tmp_path / "q.txt")

    assert denied.value.status == 401
    for text in (repr(with_token), str(denied.value), with_token.get_url("p.txt")):
        assert "tk-9f8e7d6c5b4a" not in text


def test_password_in_base_url_is_redacted(http_record: dict[str, Any]) -> None:
    base_url = http_record["configuration"]["base_url"].replace("http://", "http://user:pa55-w0rd-x@")
    storage = get_storage(base_url)
    assert "pa55-w0rd-x" not in repr(storage)
    with pytest.raises(StorageConfigError) as caught:
        get_storage({"provider": "http", "configuration": {"base_url": "ftp://user:pa55-w0rd-x@host/"}})
    assert "pa55-w0rd-x" not in str(caught.value)


def test_upload_of_unknown_size_streams_chunked(http_record: dict[str, Any], http_server: Any, tmp_path: Path) -> None:
    class Unsized(io.RawIOBase):
        def __init__(self) -> None:
            self._left = 3

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            if not self._left:
                return b""
            self._left -= 1
            return b"chunk;"

    storage = get_storage(http_record)
    progress: list[tuple[int, int | None]] = []
    storage.upload(Unsized(), "stream.txt", progress=lambda d, t: progress.append((d, t)))  # type: ignore[arg-type]
    assert storage.download("stream.txt", tmp_path / "s.txt").read_bytes() == b"chunk;" * 3
    assert progress[-1] == (18, None)


def test_delete_sends_delete(http_record: dict[str, Any], http_server: Any) -> None:
    storage = get_storage(http_record)
    storage.upload(io.BytesIO(b"x"), "d.txt")
    storage.delete("d.txt")
    _, faults = http_server
    assert ("DELETE", "/" + http_record["configuration"]["base_url"].split("/", 3)[3] + "d.txt") in faults.requests
    assert storage.exists("d.txt") is False


def test_transient_failures_are_retried(http_record: dict[str, Any], http_server: Any, tmp_path: Path) -> None:
    storage = get_storage(http_record)
    source = tmp_path / "up.bin"
    source.write_bytes(b"u" * 50_000)
    _, faults = http_server

    faults.statuses.extend([503, 429])
    storage.upload(source, "retried.bin")  # a file body is rewound and sent again
    faults.statuses.extend([502])
    copy = storage.download("retried.bin", tmp_path / "copy.bin")

    assert copy.read_bytes() == b"u" * 50_000
    methods = [method for method, _ in faults.requests]
    assert methods == ["PUT", "PUT", "PUT", "GET", "GET"]


def test_streamed_body_is_not_resent(http_record: dict[str, Any], http_server: Any) -> None:
    storage = get_storage(http_record)
    _, faults = http_server
    faults.statuses.append(503)
    with pytest.raises(StorageOperationError) as caught:
        storage.upload(io.BytesIO(b"once"), "once.txt")  # a file object of unknown size is streamed, chunked
    assert caught.value.status == 503
    assert [method for method, _ in faults.requests] == ["PUT"]
    assert storage.exists("once.txt") is False


def test_retries_can_be_turned_off(http_record: dict[str, Any], http_server: Any) -> None:
    configuration = {**http_record["configuration"], "retries": 0}
    storage = get_storage({"provider": "http", "configuration": configuration})
    _, faults = http_server
    faults.statuses.append(503)
    with pytest.raises(StorageOperationError) as caught:
        storage.exists("x.txt")
    assert caught.value.status == 503
    assert len(faults.requests) == 1
