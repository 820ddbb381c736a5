"""The resumable chunked upload against the backend-protocol server: offsets, MD5, faults, restarts, memory."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_client.backend import BackendClient, ChunkedUploader, FileChangedError, UploadState
from synapse_client.base import HttpEvent
from synapse_client.errors import BadRequestError, ServerError
from synapse_client.testing import ACCESS_TOKEN, TENANT, Fault

CHUNK = 4096
CHUNK_URL = r"/chunked_upload/[0-9a-f]+/"

# Run in a child process: upload with a state file and die (os._exit) once `stop_after` bytes are acknowledged, or,
# with stop_after == 0, upload completely and print the peak of Python allocations (tracemalloc) as JSON.
CHILD = """
import json, os, sys, tracemalloc
from synapse_client.backend import BackendClient

url, token, tenant, path, state, chunk, stop_after = sys.argv[1:8]
chunk, stop_after = int(chunk), int(stop_after)

def progress(done, total):
    if stop_after and done >= stop_after:
        os._exit(3)  # a crash: no cleanup, no finally blocks

client = BackendClient(url, access_token=token, tenant=tenant, retries=0)
client.get_project(1)  # warm up imports and the connection before measuring
tracemalloc.start()
record = client.create_chunked_upload(path, chunk_size=chunk, progress=progress, state_file=state or None)
print(json.dumps({"id": record["id"], "peak": tracemalloc.get_traced_memory()[1]}))
"""


@pytest.fixture
def client(backend_server: Any) -> Iterator[BackendClient]:
    with BackendClient(backend_server.url, access_token=ACCESS_TOKEN, tenant=TENANT, retries=3, backoff=0) as c:
        yield c


def _file(tmp_path: Path, size: int, name: str = "data.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def _uploaded(backend_server: Any, record: Any) -> bytes:
    return Path(backend_server.uploads[record["id"]]["path"]).read_bytes()


def _child(
    backend_server: Any, path: Path, state: Path | None, chunk: int, stop_after: int
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", CHILD, backend_server.url, ACCESS_TOKEN, TENANT, str(path), str(state or ""),
            str(chunk), str(stop_after)]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_chunks_carry_content_range_and_md5_finishes(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    path = _file(tmp_path, 2 * CHUNK + 5)
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False)
    assert _uploaded(backend_server, record) == path.read_bytes()
    puts = backend_server.protocol.requests_for("PUT", r"/chunked_upload/.*")
    assert [r.header("Content-Range") for r in puts] == [
        f"bytes 0-4095/{2 * CHUNK + 5}",
        f"bytes 4096-8191/{2 * CHUNK + 5}",
        f"bytes 8192-8196/{2 * CHUNK + 5}",
    ]
    assert puts[0].path == "/chunked_upload/"
    assert puts[1].path == puts[2].path == f"/chunked_upload/{record['id']}/"
    finish = backend_server.protocol.requests_for("POST", CHUNK_URL)
    assert [r.json() for r in finish] == [{"md5": hashlib.md5(path.read_bytes()).hexdigest()}]
    assert all(r.header("Synapse-Access-Token") == f"Token {ACCESS_TOKEN}" for r in [*puts, *finish])


def test_size_an_exact_multiple_of_the_chunk_size(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 3 * CHUNK)
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False)
    puts = backend_server.protocol.requests_for("PUT", r"/chunked_upload/.*")
    assert len(puts) == 3
    assert puts[-1].header("Content-Range") == f"bytes 8192-12287/{3 * CHUNK}"
    assert _uploaded(backend_server, record) == path.read_bytes()


def test_file_smaller_than_one_chunk(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 10)
    record = client.create_chunked_upload(path, progress=False)  # the default 50 MiB chunk
    assert _uploaded(backend_server, record) == path.read_bytes()
    assert [r.header("Content-Range") for r in backend_server.protocol.requests_for("PUT", r".*")] == ["bytes 0-9/10"]


def test_empty_file(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 0, "empty.txt")
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False)
    assert record["size"] == 0
    assert record["filename"] == "empty.txt"
    put = backend_server.protocol.requests_for("PUT", r"/chunked_upload/")
    assert len(put) == 1
    assert put[0].header("Content-Range") is None
    assert backend_server.protocol.requests_for("POST", CHUNK_URL)[0].json() == {"md5": hashlib.md5(b"").hexdigest()}


def test_progress_counts_acknowledged_bytes(client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 2 * CHUNK + 1)
    seen: list[tuple[int, int | None]] = []
    client.create_chunked_upload(path, chunk_size=CHUNK, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2 * CHUNK + 1)
    assert [done for done, _ in seen[1:4]] == [CHUNK, 2 * CHUNK, 2 * CHUNK + 1]
    assert seen[-1] == (2 * CHUNK + 1, 2 * CHUNK + 1)


def test_connection_reset_retries_the_chunk(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 3 * CHUNK)
    backend_server.protocol.inject("PUT", CHUNK_URL, Fault.reset(), Fault.status(502), Fault.rate_limit("0"))
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False)
    assert _uploaded(backend_server, record) == path.read_bytes()
    assert backend_server.chunk_bytes_received == 3 * CHUNK


def test_lost_response_resumes_from_the_server_offset(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    path = _file(tmp_path, 3 * CHUNK)
    # The server stores the second chunk, then the connection drops before its answer arrives.
    backend_server.protocol.inject("PUT", CHUNK_URL, Fault.close_mid_body(after=0))
    uploader = ChunkedUploader(client, path, chunk_size=CHUNK, progress=False)
    record = uploader.upload()
    assert _uploaded(backend_server, record) == path.read_bytes()
    assert backend_server.chunk_bytes_received == 3 * CHUNK  # nothing stored twice
    ranges = [r.header("Content-Range") for r in backend_server.protocol.requests_for("PUT", CHUNK_URL)]
    # second chunk, its retry (answered "Offsets do not match", offset 8192), then the third chunk
    assert ranges == ["bytes 4096-8191/12288", "bytes 4096-8191/12288", "bytes 8192-12287/12288"]


def test_state_file_resumes_after_failed_call(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 4 * CHUNK)
    state = tmp_path / "upload.state"
    backend_server.protocol.inject("PUT", CHUNK_URL, Fault.status(500, times=3))
    with pytest.raises(ServerError):
        client.create_chunked_upload(path, chunk_size=CHUNK, progress=False, state_file=state, retries=2)
    saved = UploadState.load(state)
    assert saved is not None
    assert saved.offset == CHUNK
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False, state_file=state)
    assert _uploaded(backend_server, record) == path.read_bytes()
    assert backend_server.chunk_bytes_received == 4 * CHUNK
    assert not state.exists()


def test_restarted_process_resumes_without_resending(backend_server: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, 5 * CHUNK)
    state = tmp_path / "upload.state"
    crashed = _child(backend_server, path, state, CHUNK, stop_after=2 * CHUNK)
    assert crashed.returncode == 3, crashed.stderr
    saved = UploadState.load(state)
    assert saved is not None
    assert saved.offset == 2 * CHUNK
    assert saved.url is not None
    resumed = _child(backend_server, path, state, CHUNK, stop_after=0)
    assert resumed.returncode == 0, resumed.stderr
    record_id = json.loads(resumed.stdout)["id"]
    assert Path(backend_server.uploads[record_id]["path"]).read_bytes() == path.read_bytes()
    assert backend_server.chunk_bytes_received == 5 * CHUNK
    assert len(backend_server.protocol.requests_for("PUT", r"/chunked_upload/.*")) == 5
    assert not state.exists()


def test_stale_state_file_catches_up_without_resending(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    path = _file(tmp_path, 4 * CHUNK)
    state = tmp_path / "upload.state"
    crashed = _child(backend_server, path, state, CHUNK, stop_after=3 * CHUNK)
    assert crashed.returncode == 3, crashed.stderr
    saved = UploadState.load(state)
    assert saved is not None
    saved.offset = CHUNK  # as if the process died before saving its last two acknowledgements
    saved.save(state)
    record = client.create_chunked_upload(path, chunk_size=CHUNK, progress=False, state_file=state)
    assert _uploaded(backend_server, record) == path.read_bytes()  # the MD5 covered the skipped bytes, from disk
    assert backend_server.chunk_bytes_received == 4 * CHUNK


def test_file_changing_during_upload_is_a_clear_error(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    path = _file(tmp_path, 3 * CHUNK)

    def grow(done: int, total: int | None) -> None:
        if done == CHUNK:
            with open(path, "ab") as file:
                file.write(b"more")

    with pytest.raises(FileChangedError) as info:
        client.create_chunked_upload(path, chunk_size=CHUNK, progress=grow)
    assert info.value.status == 409
    assert info.value.offset == CHUNK
    assert "changed during upload" in str(info.value)
    assert backend_server.protocol.requests_for("POST", CHUNK_URL) == []  # never finished


def test_file_changing_while_a_chunk_is_read_never_completes_that_chunk(backend_server: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, 3 * CHUNK)
    puts: list[str] = []

    def grow_when_the_second_chunk_starts(event: HttpEvent) -> None:
        # The "request" event comes after the check before the chunk and before its body is read.
        if event.kind == "request" and event.method == "PUT":
            puts.append(event.url)
            if len(puts) == 2:
                with open(path, "ab") as file:
                    file.write(b"more")

    client = BackendClient(
        backend_server.url, access_token=ACCESS_TOKEN, tenant=TENANT, retries=3, backoff=0,
        event_hook=grow_when_the_second_chunk_starts,
    )  # fmt: skip
    with client, pytest.raises(FileChangedError) as info:
        client.create_chunked_upload(path, chunk_size=CHUNK, progress=False)
    assert info.value.offset == CHUNK
    assert len(puts) == 2  # not retried: a changed file is not a transport failure
    assert backend_server.chunk_bytes_received == CHUNK  # the second chunk's body was cut before its end
    assert backend_server.protocol.requests_for("POST", CHUNK_URL) == []


def test_state_of_a_changed_file_is_refused(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 3 * CHUNK)
    state = tmp_path / "upload.state"
    crashed = _child(backend_server, path, state, CHUNK, stop_after=CHUNK)
    assert crashed.returncode == 3, crashed.stderr
    path.write_bytes(os.urandom(3 * CHUNK + 1))
    with pytest.raises(FileChangedError):
        client.create_chunked_upload(path, chunk_size=CHUNK, progress=False, state_file=state)


def test_invalid_arguments(client: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, 10)
    with pytest.raises(BadRequestError):
        client.create_chunked_upload(path, chunk_size=0)
    with pytest.raises(FileNotFoundError):
        client.create_chunked_upload(tmp_path / "missing.bin", progress=False)
    state = tmp_path / "bad.state"
    state.write_text("{not json")
    with pytest.raises(BadRequestError):
        client.create_chunked_upload(path, progress=False, state_file=state)


def test_memory_stays_within_two_chunks(backend_server: Any, tmp_path: Path) -> None:
    chunk = 1024 * 1024
    path = _file(tmp_path, 8 * chunk + 123)
    result = _child(backend_server, path, None, chunk, stop_after=0)
    assert result.returncode == 0, result.stderr
    peak = json.loads(result.stdout)["peak"]
    assert peak <= 2 * chunk
    assert backend_server.chunk_bytes_received == path.stat().st_size


def test_memory_does_not_grow_with_the_chunk_size(backend_server: Any, tmp_path: Path) -> None:
    # Chunks are read block by block as they are sent (1 MiB blocks, one for sending and one for hashing).
    chunk = 8 * 1024 * 1024
    path = _file(tmp_path, 2 * chunk + 123)
    result = _child(backend_server, path, None, chunk, stop_after=0)
    assert result.returncode == 0, result.stderr
    peak = json.loads(result.stdout)["peak"]
    assert peak <= chunk // 2
    assert backend_server.chunk_bytes_received == path.stat().st_size


def test_server_that_rewinds_after_each_acknowledgement_cannot_make_the_upload_loop(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    # Accepts chunk 1, then forgets it (offset back to 0) on every second chunk: each step forward resets a
    # consecutive-failure guard, so only a bound on total work ends this.
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(4 * CHUNK))

    def rewinding(request: Any, uid: str) -> Any:
        reply = backend_server._put_chunk(request, uid)
        with backend_server.lock:
            upload = backend_server.uploads[uid]
            if upload["offset"] >= 2 * CHUNK:
                upload["offset"] = 0
                Path(upload["path"]).write_bytes(b"")
        return reply

    backend_server._route("PUT", r"/chunked_upload/(?P<uid>[0-9a-f]+)/", rewinding)
    with pytest.raises(ServerError, match="does not converge"):
        client.create_chunked_upload(path, chunk_size=CHUNK, progress=False, retries=3)
    puts = backend_server.protocol.requests_for("PUT", r"/chunked_upload/.*")
    assert len(puts) <= 2 + 2 * 4  # a handful of chunks, not an endless loop
