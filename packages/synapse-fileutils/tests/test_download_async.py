"""adownload_file and the batch helpers against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_fileutils.download import (
    ChecksumMismatchError,
    DownloadError,
    RetryPolicy,
    adownload_file,
    afiles_url_to_path,
    afiles_url_to_path_from_objs,
    cache_file_name,
    download_file,
    files_url_to_path,
    files_url_to_path_from_objs,
)
from synapse_testkit import fileserver

Fault = fileserver.Fault
FAST_RETRY = RetryPolicy(max_attempts=4, backoff=0.01, max_backoff=0.02)
CONTENT = os.urandom(300_000)


@pytest.fixture
def server() -> Iterator[fileserver.FileServer]:
    yield from fileserver.serve()


@pytest.fixture
def slow_server() -> Iterator[fileserver.FileServer]:
    yield from fileserver.serve(latency=0.05)


# --- adownload_file -----------------------------------------------------------------------------------------------


def test_async_download_writes_exact_bytes(server, tmp_path: Path) -> None:
    url = server.add("/a.bin", CONTENT)

    path = asyncio.run(adownload_file(url, tmp_path, progress=False))

    assert path == tmp_path / cache_file_name(url)
    assert path.read_bytes() == CONTENT


def test_async_download_resumes_moving_only_missing_bytes(server, tmp_path: Path) -> None:
    url = server.add("/r.bin", CONTENT, faults={1: Fault(drop_after=120_000)})

    path = asyncio.run(adownload_file(url, tmp_path, retry=FAST_RETRY, progress=False))

    resource = server.resource("/r.bin")
    assert path.read_bytes() == CONTENT
    assert [r.status for r in resource.requests] == [200, 206]
    assert resource.requests[1].range == "bytes=120000-"
    assert resource.bytes_sent == len(CONTENT)


def test_async_download_restarts_when_the_file_changed(server, tmp_path: Path) -> None:
    new_content = os.urandom(50_000)
    url = server.add("/c.bin", CONTENT, faults={1: Fault(drop_after=4000), 2: Fault(replace_with=new_content)})

    path = asyncio.run(adownload_file(url, tmp_path, retry=FAST_RETRY, progress=False))

    assert path.read_bytes() == new_content


def test_async_download_retries_transient_statuses(server, tmp_path: Path) -> None:
    url = server.add("/f.bin", CONTENT, faults={1: Fault(status=500), 2: Fault(status=429, retry_after="0")})

    path = asyncio.run(adownload_file(url, tmp_path, retry=FAST_RETRY, progress=False))

    assert path.read_bytes() == CONTENT
    assert server.resource("/f.bin").attempts == 3


def test_async_not_found_is_a_typed_error_and_leaves_nothing(server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        asyncio.run(adownload_file(server.base_url + "/none.bin?token=SECRET", tmp_path, progress=False))

    assert caught.value.status == 404
    assert "SECRET" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_async_checksum_mismatch_leaves_nothing(server, tmp_path: Path) -> None:
    url = server.add("/s.bin", CONTENT)

    with pytest.raises(ChecksumMismatchError):
        asyncio.run(adownload_file(url, tmp_path, checksum="00" * 32, checksum_algorithm="sha256", progress=False))

    assert list(tmp_path.iterdir()) == []


def test_async_cache_hit_and_shared_session(server, tmp_path: Path) -> None:
    import aiohttp

    url = server.add("/k.bin", CONTENT)

    async def main() -> list[Path]:
        async with aiohttp.ClientSession() as session:
            first = await adownload_file(url + "?sig=1", tmp_path, session=session, progress=False)
            second = await adownload_file(url + "?sig=2", tmp_path, session=session, progress=False)
            return [first, second]

    first, second = asyncio.run(main())

    assert first == second
    assert server.resource("/k.bin").attempts == 1


def test_async_download_keeps_the_event_loop_responsive(server, tmp_path: Path) -> None:
    url = server.add("/big.bin", os.urandom(4 * 1024 * 1024))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> Path:
        task = asyncio.create_task(ticker())
        try:
            return await adownload_file(url, tmp_path, progress=False)
        finally:
            task.cancel()

    asyncio.run(main())

    assert ticks > 10  # other coroutines kept running while the body streamed and the file was written


def test_missing_aiohttp_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # what an install without the extra looks like to import

    with pytest.raises(ImportError, match=r"synapse-fileutils\[async\]"):
        asyncio.run(adownload_file("http://127.0.0.1:1/x", tmp_path))


# --- batches --------------------------------------------------------------------------------------------------------


def _many(server, count: int) -> dict[str, str]:
    return {f"f{i}": server.add(f"/many/{i}.txt", f"file {i}".encode()) for i in range(count)}


def test_files_url_to_path_replaces_urls_and_nested_entries(server, tmp_path: Path) -> None:
    image = server.add("/img.jpg", b"jpeg")
    video = server.add("/vid.mp4", b"mp4")
    files = {"image": image + "?sig=1", "video": {"url": video, "size": 3}, "none": None}

    result = files_url_to_path(files, path_download=tmp_path, progress=False)

    assert result is files
    assert files["image"].read_bytes() == b"jpeg"
    assert files["video"]["path"].read_bytes() == b"mp4"
    assert "url" not in files["video"]
    assert files["video"]["size"] == 3
    assert files["none"] is None


def test_files_url_to_path_file_field_and_coerce(server, tmp_path: Path) -> None:
    files = {"a": server.add("/a.txt", b"A"), "b": server.add("/b.txt", b"B")}
    b_url = files["b"]

    files_url_to_path(files, str, "a", path_download=tmp_path, progress=False)

    assert isinstance(files["a"], str)
    assert Path(files["a"]).read_bytes() == b"A"
    assert files["b"] == b_url
    assert server.resource("/b.txt").attempts == 0


def test_same_url_twice_is_downloaded_once(server, tmp_path: Path) -> None:
    url = server.add("/dup.bin", b"dup")
    files = {"x": url + "?sig=1", "y": url + "?sig=1"}

    files_url_to_path(files, path_download=tmp_path, progress=False)

    assert files["x"] == files["y"]
    assert server.resource("/dup.bin").attempts == 1


def test_sync_batch_is_concurrent_and_bounded(slow_server, tmp_path: Path) -> None:
    files = _many(slow_server, 24)

    files_url_to_path(files, path_download=tmp_path, max_workers=4, progress=False)

    assert all(files[f"f{i}"].read_bytes() == f"file {i}".encode() for i in range(24))
    assert 1 < slow_server.max_concurrent <= 4


def test_async_batch_is_concurrent_and_bounded(slow_server, tmp_path: Path) -> None:
    files = _many(slow_server, 24)

    asyncio.run(afiles_url_to_path(files, path_download=tmp_path, max_workers=5, progress=False))

    assert all(files[f"f{i}"].read_bytes() == f"file {i}".encode() for i in range(24))
    assert 1 < slow_server.max_concurrent <= 5


@pytest.mark.parametrize("use_async", [False, True])
def test_failed_batch_leaves_the_record_unchanged(server, tmp_path: Path, use_async: bool) -> None:
    files = {"ok": server.add("/ok.txt", b"ok"), "gone": server.base_url + "/gone.txt"}
    before = copy.deepcopy(files)

    def run() -> None:
        if use_async:
            asyncio.run(afiles_url_to_path(files, path_download=tmp_path, progress=False))
        else:
            files_url_to_path(files, path_download=tmp_path, progress=False)

    with pytest.raises(DownloadError) as caught:
        run()

    assert caught.value.status == 404
    assert files == before


@pytest.mark.parametrize("is_async", [False, True])
def test_files_url_to_path_from_objs_follows_dotted_fields(server, tmp_path: Path, is_async: bool) -> None:
    records = [
        {"data": {"files": {"img": server.add("/1.png", b"one")}}, "thumb": server.add("/t.png", b"thumb")},
        {"data": {"files": {"img": {"url": server.add("/2.png", b"two")}}}},
        {"other": 1},
    ]

    files_url_to_path_from_objs(
        records, ["data.files", "thumb"], is_list=True, is_async=is_async, path_download=tmp_path, progress=False
    )

    assert records[0]["data"]["files"]["img"].read_bytes() == b"one"
    assert records[0]["thumb"].read_bytes() == b"thumb"
    assert records[1]["data"]["files"]["img"]["path"].read_bytes() == b"two"
    assert records[2] == {"other": 1}


def test_afiles_url_to_path_from_objs_single_record(server, tmp_path: Path) -> None:
    record = {"files": {"doc": server.add("/doc.pdf", b"%PDF")}}

    asyncio.run(afiles_url_to_path_from_objs(record, ["files"], str, path_download=tmp_path, progress=False))

    assert Path(record["files"]["doc"]).read_bytes() == b"%PDF"
    assert record["files"]["doc"].endswith(".pdf")


def test_data_uris_are_decoded_without_network(tmp_path: Path) -> None:
    payload = b"\x89PNG fake"
    import base64

    files = {"png": "data:image/png;base64," + base64.b64encode(payload).decode()}

    files_url_to_path(files, path_download=tmp_path, progress=False)

    assert files["png"].read_bytes() == payload
    assert files["png"].name == hashlib.md5(payload).hexdigest() + ".png"


def test_batch_rejects_non_http_urls_before_downloading(server, tmp_path: Path) -> None:
    files = {"ok": server.add("/ok2.txt", b"ok"), "bad": "file:///etc/passwd"}

    with pytest.raises(ValueError, match="only http and https"):
        files_url_to_path(files, path_download=tmp_path, progress=False)

    assert server.resource("/ok2.txt").attempts == 0


def test_max_workers_must_be_positive(server, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_workers"):
        files_url_to_path({"a": server.add("/z.txt", b"z")}, path_download=tmp_path, max_workers=0)


# --- resuming across calls --------------------------------------------------------------------------------------------


def test_async_download_resumes_the_partial_a_sync_call_left(server, tmp_path: Path) -> None:
    url = server.add("/handover.bin", CONTENT, faults={n: Fault(drop_after=25_000) for n in range(1, 5)})
    target = tmp_path / cache_file_name(url)
    with pytest.raises(DownloadError):
        download_file(url, tmp_path, retry=FAST_RETRY, progress=False)
    assert target.with_name(f".{target.name}.incomplete").stat().st_size == 100_000
    seen: list[tuple[int, int | None]] = []

    path = asyncio.run(
        adownload_file(url, tmp_path, retry=FAST_RETRY, progress=lambda done, total: seen.append((done, total)))
    )

    resource = server.resource("/handover.bin")
    assert path.read_bytes() == CONTENT
    assert resource.bytes_sent == len(CONTENT)  # 100 000 by the sync call, 200 000 by the async one
    assert (resource.requests[4].status, resource.requests[4].range) == (206, "bytes=100000-")
    assert seen[1] == (100_000, len(CONTENT))
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_async_failure_keeps_the_partial_for_a_sync_call(server, tmp_path: Path) -> None:
    url = server.add("/back.bin", CONTENT, faults={n: Fault(drop_after=30_000) for n in range(1, 5)})
    target = tmp_path / cache_file_name(url)
    with pytest.raises(DownloadError):
        asyncio.run(adownload_file(url, tmp_path, retry=FAST_RETRY, progress=False))
    assert target.with_name(f".{target.name}.incomplete").stat().st_size == 120_000
    assert not target.exists()

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    assert path.read_bytes() == CONTENT
    assert server.resource("/back.bin").bytes_sent == len(CONTENT)
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_async_concurrent_calls_for_one_target_download_it_once(slow_server, tmp_path: Path) -> None:
    url = slow_server.add("/together.bin", CONTENT)

    async def main() -> list[Path]:
        return list(await asyncio.gather(*(adownload_file(url, tmp_path, progress=False) for _ in range(3))))

    paths = asyncio.run(main())

    assert len(set(paths)) == 1
    assert paths[0].read_bytes() == CONTENT
    assert slow_server.resource("/together.bin").bytes_sent == len(CONTENT)
    assert sorted(os.listdir(tmp_path)) == [paths[0].name]


def test_async_cross_origin_redirect_drops_every_caller_given_header(server, tmp_path: Path) -> None:
    headers = {"Authorization": "Token tok-123456", "X-Api-Key": "key-123456"}
    with fileserver.FileServer() as other:
        target = other.add("/f.bin", CONTENT)
        url = server.redirect("/go.bin", target)
        path = asyncio.run(adownload_file(url, tmp_path, headers=headers, progress=False))
        assert path.read_bytes() == CONTENT
        (seen,) = other.resource("/f.bin").requests
    assert not set(seen.headers) & {"Authorization", "X-Api-Key"}


def test_async_redirect_loop_and_file_scheme_are_typed_errors(server, tmp_path: Path) -> None:
    loop = server.redirect("/loop.bin", "/loop.bin")
    local = server.redirect("/local.bin", "file:///etc/passwd")
    with pytest.raises(DownloadError, match="more than 10 redirects"):
        asyncio.run(adownload_file(loop, tmp_path, retry=FAST_RETRY, progress=False))
    with pytest.raises(DownloadError, match="non-HTTP"):
        asyncio.run(adownload_file(local, tmp_path, retry=FAST_RETRY, progress=False))
