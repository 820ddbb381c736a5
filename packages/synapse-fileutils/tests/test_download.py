"""download_file against a real HTTP server on 127.0.0.1 that drops, refuses, changes and throttles."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_fileutils._atomic import release_lock, try_lock
from synapse_fileutils.download import (
    ChecksumMismatchError,
    DownloadError,
    DownloadInProgressError,
    DownloadTooLargeError,
    RetryPolicy,
    cache_file_name,
    default_download_dir,
    download_file,
)
from synapse_fileutils.download import _state as download_state
from synapse_fileutils.download import _transfer as download_transfer
from synapse_fileutils.errors import FileUtilsError
from synapse_fileutils.progress import CallbackProgress, NullProgress, TerminalProgressBar, resolve_progress
from synapse_testkit import fileserver

Fault = fileserver.Fault
FAST_RETRY = RetryPolicy(max_attempts=4, backoff=0.01, max_backoff=0.02)
CONTENT = os.urandom(300_000)


@pytest.fixture
def server() -> Iterator[fileserver.FileServer]:
    yield from fileserver.serve()


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_download_writes_exact_bytes_under_the_cache_name(server, tmp_path: Path) -> None:
    url = server.add("/data/sample.bin", CONTENT)

    path = download_file(url, tmp_path, progress=False)

    assert path == tmp_path / cache_file_name(url)
    assert path.read_bytes() == CONTENT
    assert path.suffix == ".bin"
    assert _files_in(tmp_path) == [path.name]
    assert server.resource("/data/sample.bin").bytes_sent == len(CONTENT)


def test_dropped_connection_resumes_and_moves_only_missing_bytes(server, tmp_path: Path) -> None:
    url = server.add("/big.bin", CONTENT, faults={1: Fault(drop_after=100_000)})

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/big.bin")
    assert path.read_bytes() == CONTENT
    assert resource.bytes_sent == len(CONTENT)  # 100 000 + the missing 200 000, nothing twice
    assert [r.status for r in resource.requests] == [200, 206]
    assert resource.requests[1].range == "bytes=100000-"
    assert resource.requests[1].if_range == resource.etag_value()


@settings(max_examples=25, deadline=None)
@given(
    content=st.binary(min_size=1, max_size=40_000),
    cuts=st.lists(st.floats(min_value=0, max_value=0.99), max_size=3),
)
def test_any_sequence_of_dropped_connections_resumes_to_the_exact_bytes(content: bytes, cuts: list[float]) -> None:
    # Each attempt n drops after a fraction of what is still missing; the retries then finish the file.
    faults, remaining = {}, len(content)
    for attempt, fraction in enumerate(cuts, start=1):
        sent = int(remaining * fraction)
        faults[attempt] = Fault(drop_after=sent)
        remaining -= sent
    with fileserver.FileServer() as server, tempfile.TemporaryDirectory() as folder:
        url = server.add("/any.bin", content, faults=faults)

        path = download_file(url, folder, retry=FAST_RETRY, progress=False)

        assert path.read_bytes() == content
        assert server.resource("/any.bin").bytes_sent == len(content)
        assert os.listdir(folder) == [path.name]


def test_resume_is_guarded_by_last_modified_when_there_is_no_etag(server, tmp_path: Path) -> None:
    url = server.add("/lm.bin", CONTENT, faults={1: Fault(drop_after=1000)}, etag=False)

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/lm.bin")
    assert path.read_bytes() == CONTENT
    assert resource.requests[1].if_range == resource.last_modified_value()
    assert resource.bytes_sent == len(CONTENT)


def test_without_a_validator_the_download_restarts_from_zero(server, tmp_path: Path) -> None:
    url = server.add("/nv.bin", CONTENT, faults={1: Fault(drop_after=1000)}, etag=False, last_modified=False)

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/nv.bin")
    assert path.read_bytes() == CONTENT
    assert resource.requests[1].range is None  # an unguarded resume could splice two versions
    assert resource.bytes_sent == 1000 + len(CONTENT)


def test_server_ignoring_range_restarts_cleanly(server, tmp_path: Path) -> None:
    url = server.add("/ir.bin", CONTENT, faults={1: Fault(drop_after=5000), 2: Fault(ignore_range=True)})

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/ir.bin")
    assert path.read_bytes() == CONTENT
    assert [r.status for r in resource.requests] == [200, 200]
    assert resource.requests[1].range == "bytes=5000-"


def test_file_changed_between_attempts_is_downloaded_whole(server, tmp_path: Path) -> None:
    new_content = os.urandom(120_000)
    url = server.add("/ch.bin", CONTENT, faults={1: Fault(drop_after=5000), 2: Fault(replace_with=new_content)})

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/ch.bin")
    assert path.read_bytes() == new_content  # not 5000 old bytes followed by new ones
    assert [r.status for r in resource.requests] == [200, 200]


@pytest.mark.parametrize("changed", [False, True], ids=["resumed twice", "changed, restarted"])
def test_write_behind_windows_keep_every_byte_across_resumes_and_restarts(
    server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: bool
) -> None:
    monkeypatch.setattr(download_transfer, "WRITE_BEHIND_BYTES", 16_384)  # a window every 16 KiB: dozens per file
    new_content = os.urandom(250_000)
    second = Fault(replace_with=new_content) if changed else Fault(drop_after=70_000)
    url = server.add("/wb.bin", CONTENT, faults={1: Fault(drop_after=100_000), 2: second})

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    requests = server.resource("/wb.bin").requests
    assert path.read_bytes() == (new_content if changed else CONTENT)
    assert [r.status for r in requests] == ([200, 200] if changed else [200, 206, 206])


def test_unsatisfiable_range_restarts_without_range(server, tmp_path: Path) -> None:
    smaller = os.urandom(2000)
    faults = {1: Fault(drop_after=5000), 2: Fault(replace_with=smaller, ignore_if_range=True)}
    url = server.add("/416.bin", CONTENT, faults=faults)

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/416.bin")
    assert path.read_bytes() == smaller
    assert [r.status for r in resource.requests] == [200, 416, 200]
    assert resource.requests[2].range is None


def test_transient_statuses_are_retried(server, tmp_path: Path) -> None:
    url = server.add("/flaky.bin", CONTENT, faults={1: Fault(status=500), 2: Fault(status=503)})

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    assert path.read_bytes() == CONTENT
    assert [r.status for r in server.resource("/flaky.bin").requests] == [500, 503, 200]


def test_retry_after_is_honoured(server, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = server.add("/busy.bin", CONTENT, faults={1: Fault(status=429, retry_after="1")})
    caplog.set_level(logging.WARNING, logger="synapse_fileutils.download")

    download_file(url, tmp_path, retry=RetryPolicy(max_attempts=3, backoff=0.0), progress=False)

    assert server.resource("/busy.bin").attempts == 2
    # The computed backoff is 0 here, so a 1 s wait can only come from the server's Retry-After.
    assert any("HTTP 429; retry 1 of 2 in 1.00 s" in record.getMessage() for record in caplog.records)


def test_retry_after_is_capped(server, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = server.add("/cap.bin", b"x", faults={1: Fault(status=503, retry_after="3600")})
    caplog.set_level(logging.WARNING, logger="synapse_fileutils.download")

    download_file(url, tmp_path, retry=RetryPolicy(max_attempts=2, max_retry_after=0.05), progress=False)

    assert any("in 0.05 s" in record.getMessage() for record in caplog.records)


def test_retries_used_up_raise_download_error_and_leave_nothing(server, tmp_path: Path) -> None:
    url = server.add("/down.bin", CONTENT, faults={n: Fault(status=502) for n in range(1, 10)})

    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    assert caught.value.status == 502
    assert caught.value.attempts == 4
    assert server.resource("/down.bin").attempts == 4
    assert _files_in(tmp_path) == []


def test_connection_dropping_every_time_leaves_no_partial_file(server, tmp_path: Path) -> None:
    faults = {n: Fault(drop_after=1000) for n in range(1, 10)}
    url = server.add("/cut.bin", CONTENT, faults=faults, etag=False, last_modified=False)

    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    assert caught.value.status is None
    assert caught.value.attempts == 4
    assert caught.value.reason is not None
    assert _files_in(tmp_path) == []


def test_not_found_is_a_typed_error_without_retry(server, tmp_path: Path) -> None:
    url = server.base_url + "/missing.jpg"

    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    assert isinstance(caught.value, FileUtilsError)
    assert caught.value.status == 404
    assert caught.value.attempts == 1
    assert _files_in(tmp_path) == []


def test_errors_never_show_the_query_string(server, tmp_path: Path) -> None:
    secret = "X-Amz-Signature=SECRET123"
    with pytest.raises(DownloadError) as not_found:
        download_file(f"{server.base_url}/nope.jpg?{secret}", tmp_path, progress=False)
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(DownloadError) as refused:
        download_file(f"http://127.0.0.1:{free_port}/f.jpg?{secret}", tmp_path, retry=FAST_RETRY, progress=False)

    for error in (not_found.value, refused.value):
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        assert "SECRET123" not in text
        assert error.url.endswith("?X-Amz-Signature=***")
    assert refused.value.status is None
    assert refused.value.attempts == 4


def test_cache_hit_ignores_the_query_string(server, tmp_path: Path) -> None:
    url = server.add("/img.png", CONTENT)

    first = download_file(url + "?X-Amz-Signature=one&X-Amz-Expires=60", tmp_path, progress=False)
    second = download_file(url + "?X-Amz-Signature=two&X-Amz-Expires=60", tmp_path, progress=False)

    assert first == second
    assert server.resource("/img.png").attempts == 1


def test_use_cached_false_downloads_again(server, tmp_path: Path) -> None:
    url = server.add("/again.bin", CONTENT)

    download_file(url, tmp_path, progress=False)
    download_file(url, tmp_path, use_cached=False, progress=False)

    assert server.resource("/again.bin").attempts == 2


def test_name_keeps_the_url_suffix_and_disables_the_cache(server, tmp_path: Path) -> None:
    url = server.add("/photo.jpg", CONTENT)

    path = download_file(url, tmp_path, name="holiday", progress=False)
    download_file(url, tmp_path, name="holiday", progress=False)

    assert path == tmp_path / "holiday.jpg"
    assert server.resource("/photo.jpg").attempts == 2


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "", "nul\0"])
def test_names_with_a_folder_part_are_rejected(server, tmp_path: Path, name: str) -> None:
    url = server.add("/f.txt", b"x")
    with pytest.raises(ValueError, match="plain file name"):
        download_file(url, tmp_path / "inner", name=name, progress=False)
    assert server.resource("/f.txt").attempts == 0
    assert not (tmp_path / "inner").exists()


def test_only_http_urls_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only http and https"):
        download_file("file:///etc/passwd", tmp_path)


def test_checksum_is_verified(server, tmp_path: Path) -> None:
    url = server.add("/sum.bin", CONTENT)
    good = hashlib.sha256(CONTENT).hexdigest()

    path = download_file(url, tmp_path, checksum=good.upper(), checksum_algorithm="sha256", progress=False)

    assert path.read_bytes() == CONTENT


def test_checksum_mismatch_raises_and_keeps_nothing(server, tmp_path: Path) -> None:
    url = server.add("/bad.bin", CONTENT)

    with pytest.raises(ChecksumMismatchError) as caught:
        download_file(url, tmp_path, checksum="0" * 40, progress=False)

    assert isinstance(caught.value, DownloadError)
    assert caught.value.expected == "0" * 40
    assert caught.value.actual == hashlib.sha1(CONTENT).hexdigest()
    assert _files_in(tmp_path) == []


def test_cached_file_with_the_wrong_checksum_is_downloaded_again(server, tmp_path: Path) -> None:
    url = server.add("/stale.bin", CONTENT)
    (tmp_path / cache_file_name(url)).write_bytes(b"stale")

    path = download_file(url, tmp_path, checksum=hashlib.sha1(CONTENT).hexdigest(), progress=False)

    assert path.read_bytes() == CONTENT
    assert server.resource("/stale.bin").attempts == 1


def test_coerce_transforms_the_returned_path(server, tmp_path: Path) -> None:
    url = server.add("/c.txt", b"text")

    result = download_file(url, tmp_path, coerce=str, progress=False)

    assert isinstance(result, str)
    assert Path(result).read_bytes() == b"text"


def test_progress_callback_sees_every_byte_across_a_resume(server, tmp_path: Path) -> None:
    url = server.add("/p.bin", CONTENT, faults={1: Fault(drop_after=70_000)})
    seen: list[tuple[int, int | None]] = []

    download_file(url, tmp_path, retry=FAST_RETRY, progress=lambda done, total: seen.append((done, total)))

    assert seen[0] == (0, len(CONTENT))
    assert seen[-1] == (len(CONTENT), len(CONTENT))
    assert all(later[0] >= earlier[0] for earlier, later in itertools.pairwise(seen))


def test_progress_reporter_object_is_accepted(server, tmp_path: Path) -> None:
    url = server.add("/r.bin", CONTENT)
    reporter = CallbackProgress(lambda done, total: None)

    download_file(url, tmp_path, progress=reporter)

    assert (reporter.done, reporter.total) == (len(CONTENT), len(CONTENT))


def test_default_folder_is_the_per_user_cache(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNAPSE_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    url = server.add("/d.bin", b"abc")

    path = download_file(url, progress=False)

    assert path.parent == tmp_path / "xdg" / "synapse-sdk" / "downloads"
    assert default_download_dir() == path.parent
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_download_dir_env_var_overrides_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_DOWNLOAD_DIR", str(tmp_path / "mine"))

    assert default_download_dir() == tmp_path / "mine"
    assert (tmp_path / "mine").is_dir()


def test_invalid_timeouts_are_rejected(server, tmp_path: Path) -> None:
    url = server.add("/t.bin", b"x")
    with pytest.raises(ValueError, match="timeout"):
        download_file(url, tmp_path, read_timeout=0)


def test_terminal_bar_draws_percent_speed_and_ends_the_line() -> None:
    out = io.StringIO()
    bar = TerminalProgressBar("file.bin", stream=out, min_interval=0)

    bar.start(2 * 1024 * 1024)
    bar.advance(1024 * 1024)
    bar.finish()

    last = out.getvalue().rstrip("\n").split("\r")[-1]
    assert last.startswith("file.bin  50.0% [")
    assert "1.0 MiB/2.0 MiB" in last
    assert out.getvalue().endswith("\n")


def test_terminal_bar_without_total_shows_the_count() -> None:
    out = io.StringIO()
    bar = TerminalProgressBar(stream=out, unit="files", min_interval=0)

    bar.start(None)
    bar.advance(3)

    assert out.getvalue().split("\r")[-1] == "3 files"


def test_progress_defaults_to_silence_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())

    assert isinstance(resolve_progress(None), NullProgress)
    with pytest.raises(TypeError, match="progress must be"):
        resolve_progress(42)  # type: ignore[arg-type]


def test_file_over_max_size_is_refused_from_content_length_without_reading_the_body(server, tmp_path: Path) -> None:
    url = server.add("/too-big.bin", CONTENT)

    with pytest.raises(DownloadTooLargeError) as info:
        download_file(url, tmp_path, max_size=len(CONTENT) - 1, progress=False)

    assert info.value.max_size == len(CONTENT) - 1
    assert _files_in(tmp_path) == []


def test_announced_size_over_max_size_is_refused_before_any_byte_is_written() -> None:
    from synapse_fileutils.download._transfer import DownloadOptions, Transfer

    sink = io.BytesIO()
    transfer = Transfer("http://h/f.bin?sig=secret", sink, DownloadOptions(max_size=10))
    transfer.next_request_headers()
    with pytest.raises(DownloadTooLargeError) as info:
        transfer.on_response(200, {"Content-Length": "11"})
    assert sink.getvalue() == b""
    assert "secret" not in str(info.value)


def test_streamed_body_over_max_size_is_refused_before_the_excess_is_written() -> None:
    from synapse_fileutils.download._transfer import DownloadOptions, Transfer

    sink = io.BytesIO()
    transfer = Transfer("http://h/f.bin", sink, DownloadOptions(max_size=10))
    transfer.next_request_headers()
    assert transfer.on_response(200, {})  # no Content-Length: only streaming can tell
    transfer.write(b"0123456789")
    transfer.wrote(10)
    with pytest.raises(DownloadTooLargeError):
        transfer.write(b"x")
    assert sink.getvalue() == b"0123456789"


def test_file_exactly_max_size_is_accepted(server, tmp_path: Path) -> None:
    url = server.add("/exact.bin", CONTENT)

    assert download_file(url, tmp_path, max_size=len(CONTENT), progress=False).read_bytes() == CONTENT


def test_cached_file_over_a_smaller_limit_is_not_returned(server, tmp_path: Path) -> None:
    url = server.add("/cached.bin", CONTENT)
    download_file(url, tmp_path, progress=False)

    with pytest.raises(DownloadTooLargeError):
        download_file(url, tmp_path, max_size=1000, progress=False)


# --- resuming across calls and processes ------------------------------------------------------------------------------


def _leftovers(target: Path) -> tuple[Path, Path, Path]:
    """The partial file, its sidecar and the lock file a download of `target` uses."""
    return (
        target.with_name(f".{target.name}.incomplete"),
        target.with_name(f".{target.name}.incomplete.json"),
        target.with_name(f".{target.name}.lock"),
    )


def _fail_after_bytes(server, path: str, content: bytes, tmp_path: Path, *, per_attempt: int = 10_000) -> Path:
    """A first call whose 4 attempts each drop after `per_attempt` bytes: it fails with 4 * per_attempt on disk."""
    url = server.add(path, content, faults={n: Fault(drop_after=per_attempt) for n in range(1, 5)})
    with pytest.raises(DownloadError) as caught:
        download_file(url + "?X-Amz-Signature=SECRET", tmp_path, retry=FAST_RETRY, progress=False)
    assert caught.value.status is None  # transient: the connection dropped every time
    return tmp_path / cache_file_name(url)


def test_failed_call_keeps_the_partial_and_the_next_call_moves_only_the_missing_bytes(server, tmp_path: Path) -> None:
    target = _fail_after_bytes(server, "/resume.bin", CONTENT, tmp_path)
    partial, sidecar, lock = _leftovers(target)
    assert partial.stat().st_size == 40_000
    meta = json.loads(sidecar.read_text())
    resource = server.resource("/resume.bin")
    assert meta == {"url": server.base_url + "/resume.bin", "validator": resource.etag_value(), "total": len(CONTENT)}
    assert "SECRET" not in sidecar.read_text()
    assert not target.exists()  # the final name never holds a partial file
    assert not lock.exists()
    seen: list[tuple[int, int | None]] = []

    path = download_file(
        server.base_url + "/resume.bin?X-Amz-Signature=OTHER",
        tmp_path,
        retry=FAST_RETRY,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert path == target
    assert path.read_bytes() == CONTENT
    assert resource.bytes_sent == len(CONTENT)  # 40 000 by the first call + the missing 260 000, nothing twice
    second_call = resource.requests[4]
    assert (second_call.status, second_call.range, second_call.if_range) == (206, "bytes=40000-", resource.etag_value())
    assert len(resource.requests) == 5
    assert seen[:2] == [(0, len(CONTENT)), (40_000, len(CONTENT))]  # progress starts at the resumed offset
    assert seen[-1] == (len(CONTENT), len(CONTENT))
    assert _files_in(tmp_path) == [path.name]


_CHILD = """
import sys
from synapse_fileutils.download import RetryPolicy, download_file
download_file(sys.argv[1], sys.argv[2], progress=False, retry=RetryPolicy(max_attempts=1), read_timeout=30)
"""


def test_download_killed_mid_body_resumes_in_another_process(server, tmp_path: Path) -> None:
    content = os.urandom(200_000)
    url = server.add("/killed.bin", content, faults={1: Fault(stall_after=70_000)})
    target = tmp_path / cache_file_name(url)
    partial, sidecar, lock = _leftovers(target)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(tmp_path)])
    try:
        for _ in range(2000):  # the server now waits; the child has written what it received
            if child.poll() is not None or (partial.is_file() and partial.stat().st_size == 70_000):
                break
            threading.Event().wait(0.01)
        assert child.poll() is None
        assert partial.stat().st_size == 70_000
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        server.release.set()
    assert sidecar.is_file()
    assert lock.exists()  # the dead process could not clean up; its lock died with it

    path = download_file(url, tmp_path, retry=FAST_RETRY, progress=False)

    resource = server.resource("/killed.bin")
    assert path.read_bytes() == content
    assert resource.bytes_sent == len(content)  # 70 000 to the killed process, the other 130 000 to this one
    assert resource.requests[1].range == "bytes=70000-"
    assert _files_in(tmp_path) == [path.name]


def test_file_changed_on_the_server_between_calls_restarts_from_zero(server, tmp_path: Path) -> None:
    target = _fail_after_bytes(server, "/changing.bin", CONTENT, tmp_path)
    resource = server.resource("/changing.bin")
    old_etag = resource.etag_value()
    new_content = os.urandom(250_000)
    resource.faults[5] = Fault(replace_with=new_content)

    path = download_file(server.base_url + "/changing.bin", tmp_path, retry=FAST_RETRY, progress=False)

    assert path == target
    assert path.read_bytes() == new_content
    assert (resource.requests[4].range, resource.requests[4].if_range) == ("bytes=40000-", old_etag)
    assert resource.requests[4].status == 200  # If-Range named the old version: the whole new file came back
    assert resource.bytes_sent == 40_000 + len(new_content)
    assert _files_in(tmp_path) == [path.name]


def test_refused_second_call_removes_the_partial(server, tmp_path: Path) -> None:
    target = _fail_after_bytes(server, "/gone.bin", CONTENT, tmp_path)
    assert _leftovers(target)[0].is_file()
    server.resource("/gone.bin").faults[5] = Fault(status=404)

    with pytest.raises(DownloadError) as caught:
        download_file(server.base_url + "/gone.bin", tmp_path, retry=FAST_RETRY, progress=False)

    assert caught.value.status == 404
    assert _files_in(tmp_path) == []


def test_partial_of_another_url_under_the_same_name_is_not_resumed(server, tmp_path: Path) -> None:
    first = server.add("/one/c.bin", CONTENT, faults={n: Fault(drop_after=10_000) for n in range(1, 5)})
    with pytest.raises(DownloadError):
        download_file(first, tmp_path, name="c", retry=FAST_RETRY, progress=False)
    assert _leftovers(tmp_path / "c.bin")[0].stat().st_size == 40_000
    other_content = CONTENT[::-1]
    other = server.add("/two/c.bin", other_content)

    path = download_file(other, tmp_path, name="c", retry=FAST_RETRY, progress=False)

    assert path.read_bytes() == other_content
    assert server.resource("/two/c.bin").requests[0].range is None  # a fresh start, not a splice
    assert _files_in(tmp_path) == ["c.bin"]


def test_concurrent_calls_for_one_target_download_it_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with fileserver.FileServer(latency=0.05) as server:
        url = server.add("/shared.bin", CONTENT)
        with ThreadPoolExecutor(4) as pool:
            paths = list(pool.map(lambda _: download_file(url, tmp_path, progress=False), range(4)))

        assert len(set(paths)) == 1
        assert paths[0].read_bytes() == CONTENT
        assert server.resource("/shared.bin").bytes_sent == len(CONTENT)  # the waiting calls found it cached
        assert _files_in(tmp_path) == [paths[0].name]


def test_waiting_too_long_for_another_download_is_a_typed_error(
    server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.add("/busy.bin", CONTENT)
    target = tmp_path / cache_file_name(url)
    lock = _leftovers(target)[2]
    held = try_lock(lock)
    assert held is not None
    monkeypatch.setattr(download_state, "LOCK_WAIT_SECONDS", 0.05)
    try:
        with pytest.raises(DownloadInProgressError) as caught:
            download_file(url, tmp_path, progress=False)
    finally:
        release_lock(lock, held)

    assert isinstance(caught.value, DownloadError)
    assert server.resource("/busy.bin").attempts == 0
    assert _files_in(tmp_path) == []


# --- redirects: every hop checked, caller headers kept on their origin -------------------------------------------


SECRET_HEADERS = {"Authorization": "Token tok-123456", "X-Api-Key": "key-123456", "Synapse-Access-Token": "t-123456"}


def test_cross_origin_redirect_drops_every_caller_given_header(server, tmp_path: Path) -> None:
    with fileserver.FileServer() as other:
        target = other.add("/f.bin", CONTENT)
        url = server.redirect("/go.bin", target)
        path = download_file(url, tmp_path, headers=SECRET_HEADERS, progress=False)
        assert path.read_bytes() == CONTENT
        (seen,) = other.resource("/f.bin").requests
    assert not set(seen.headers) & {"Authorization", "X-Api-Key", "Synapse-Access-Token"}
    assert server.seen_headers[0]["X-Api-Key"] == "key-123456"  # the URL's own origin got them


def test_same_origin_redirect_keeps_the_caller_headers(server, tmp_path: Path) -> None:
    server.add("/f.bin", CONTENT)
    url = server.redirect("/go.bin", "/f.bin", status=307)
    download_file(url, tmp_path, headers=SECRET_HEADERS, progress=False)
    assert server.resource("/f.bin").requests[0].headers["X-Api-Key"] == "key-123456"


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("file:///etc/passwd", "non-HTTP"),
        ("/loop.bin", "more than 10 redirects"),
        ("http://127.0.0.1:1\\@127.0.0.1:2/x", "ambiguous"),
    ],
)
def test_bad_redirects_are_typed_download_errors(server, tmp_path: Path, location: str, reason: str) -> None:
    url = server.redirect("/loop.bin", location)
    with pytest.raises(DownloadError, match=reason) as info:
        download_file(url + "?sig=SECRET123", tmp_path, retry=FAST_RETRY, progress=False)
    assert info.value.attempts == 1  # a refused redirect is not retried
    assert "SECRET123" not in str(info.value)
    assert _files_in(tmp_path) == []


def test_url_the_parsers_read_differently_is_refused_before_any_request(server, tmp_path: Path) -> None:
    port = server.base_url.rsplit(":", 1)[1]
    with pytest.raises(ValueError, match="ambiguous"):
        download_file(f"http://127.0.0.1:1\\@127.0.0.1:{port}/f.bin", tmp_path, progress=False)
    assert server.total_requests == 0


def test_retry_warnings_name_the_root_cause_not_the_transport_wrapper(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    caplog.set_level(logging.WARNING, logger="synapse_fileutils.download")
    with pytest.raises(DownloadError) as info:
        download_file(f"http://127.0.0.1:{free_port}/f.bin", tmp_path, retry=FAST_RETRY, progress=False)
    warnings = [r.getMessage() for r in caplog.records if r.name == "synapse_fileutils.download"]
    assert len(warnings) == FAST_RETRY.max_attempts - 1
    assert all("Connection refused" in w and "Max retries exceeded" not in w for w in warnings)
    assert "Max retries exceeded" not in str(info.value)


def test_library_loggers_stay_quiet_without_logging_configuration(tmp_path: Path) -> None:
    code = (
        "import logging, sys\n"
        "from synapse_fileutils.logs import get_logger\n"
        "get_logger('synapse_fileutils.download').warning('retry 1 of 5')\n"
        "get_logger('synapse_client').warning('retry 1 of 5')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stderr == ""  # no "lastResort" output: the library does not choose where records go


def test_transport_debug_log_shows_no_signature(server, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = server.add("/a.pt", CONTENT)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    download_file(url + "?X-Amz-Signature=SECRET123", tmp_path, progress=False)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any('"GET /a.pt?' in line for line in lines)  # urllib3 logged the request line...
    assert all("SECRET123" not in line for line in lines)  # ...without the signature
