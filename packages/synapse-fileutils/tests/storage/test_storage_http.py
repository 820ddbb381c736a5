"""The HTTP provider against a real PUT/GET/HEAD file server on 127.0.0.1 with fault injection."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from synapse_fileutils.http import USER_AGENT
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


def test_every_request_names_the_sdk(http_record: dict[str, Any], http_server: Any, tmp_path: Path) -> None:
    _, faults = http_server
    storage = get_storage(http_record)
    storage.upload(io.BytesIO(b"x"), "ua.txt")
    storage.download("ua.txt", tmp_path / "ua.txt")
    assert faults.headers
    assert {seen["User-Agent"] for seen in faults.headers} == {USER_AGENT}


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


def test_credentials_in_base_url_are_sent_as_basic_auth_and_never_returned(
    http_record: dict[str, Any], http_server: Any
) -> None:
    _, faults = http_server
    base_url = http_record["configuration"]["base_url"].replace("http://", "http://user:pa55-w0rd-x@")
    storage = get_storage(base_url)
    returned = storage.upload(io.BytesIO(b"x"), "c.txt")
    for url in (returned, storage.get_url("c.txt")):
        assert "pa55-w0rd-x" not in url
        assert "user" not in url
    assert faults.headers[-1]["Authorization"] == "Basic dXNlcjpwYTU1LXcwcmQteA=="  # user:pa55-w0rd-x


def test_gzip_encoded_download_is_whole(http_record: dict[str, Any], http_server: Any, tmp_path: Path) -> None:
    _, faults = http_server
    storage = get_storage(http_record)
    content = b"repetitive text " * 5000  # compresses to a tiny fraction
    storage.upload(io.BytesIO(content), "g.txt")
    faults.gzip = True
    assert storage.download("g.txt", tmp_path / "g.txt").read_bytes() == content


def test_redirect_to_another_origin_drops_every_configured_header(
    http_record: dict[str, Any], http_server: Any, tmp_path: Path
) -> None:
    from synapse_testkit.storage_servers import http_file_server

    _, faults = http_server
    secrets = {"X-Api-Key": "key-123456", "Synapse-Access-Token": "t-123456", "Authorization": "Token a-123456"}
    configuration = {**http_record["configuration"], "headers": secrets}
    storage = get_storage({"provider": "http", "configuration": configuration})
    other_root = tmp_path / "other"
    other_root.mkdir()
    (other_root / "f.txt").write_bytes(b"elsewhere")
    with http_file_server(other_root) as (other_url, other_faults):
        prefix = "/" + configuration["base_url"].split("/", 3)[3]
        faults.redirects[prefix + "f.txt"] = (302, other_url + "f.txt")
        assert storage.download("f.txt", tmp_path / "f.txt").read_bytes() == b"elsewhere"
        (seen,) = other_faults.headers
    assert not {name.lower() for name in seen} & {name.lower() for name in secrets}
    assert faults.headers[0]["X-Api-Key"] == "key-123456"


@pytest.mark.parametrize(("location", "reason"), [("file:///etc/passwd", "non-HTTP"), (None, "redirects")])
def test_bad_redirects_are_typed_storage_errors(
    http_record: dict[str, Any], http_server: Any, tmp_path: Path, location: str | None, reason: str
) -> None:
    _, faults = http_server
    storage = get_storage(http_record)
    path = "/" + http_record["configuration"]["base_url"].split("/", 3)[3] + "r.txt"
    faults.redirects[path] = (302, location or path)  # None: a loop back to itself
    with pytest.raises(StorageOperationError, match=reason):
        storage.download("r.txt", tmp_path / "r.txt")
    assert not (tmp_path / "r.txt").exists()
