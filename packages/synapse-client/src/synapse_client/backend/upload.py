"""Resumable chunked upload (the django-chunked-upload protocol the backend speaks).

Each chunk is a multipart ``PUT`` (field ``file``) with ``Content-Range: bytes <start>-<end>/<total>``: the first to
``chunked_upload/``, the rest to the ``url`` the server answered. A ``POST`` of ``{"md5": <hex>}`` to that ``url``
finishes the upload. How this implementation behaves:

- **Streaming, bounded memory.** Each chunk is read block by block (1 MiB, ``readinto`` one reused buffer) as it is
  sent, so memory does not grow with the chunk size: about 2 MiB whatever the chunk (a quarter chunk per buffer for
  chunks under 4 MiB). The connection is kept alive from chunk to chunk.
- **Hashing overlaps everything else.** The MD5 of the whole file is computed on a helper thread that reads the file
  in order, at most one chunk ahead of the chunk being sent; it runs while blocks are sent, while the server
  acknowledges a chunk and while the next one starts. A retried or rewound chunk is not hashed again.
- **Per-chunk retries, resume from the server's offset.** A dropped connection, a timeout, 429 or 5xx retries that
  chunk (with backoff, ``Retry-After`` honoured). When the server answers ``400 {"detail": "Offsets do not match",
  "offset": N}`` (it already had the chunk, its response was lost), the upload continues from ``N``: a chunk the
  server acknowledged is never sent again.
- **Resume after a restart.** With ``state_file``, the upload URL and acknowledged offset are saved (atomically) after
  every chunk; a new process passing the same ``state_file`` continues where the last one stopped, hashing the
  already-uploaded bytes from disk (on the helper thread, while the rest is sent) without sending them. The state
  file is deleted when the upload finishes.
- **The file must not change.** Size and modification time are checked before each chunk, after its last block is
  read (before the body ends, so that chunk is never completed) and before finishing; a change raises
  [`FileChangedError`][synapse_client.backend.upload.FileChangedError].
- **Edge cases.** A file whose size is an exact multiple of the chunk size is sent in exactly ``size / chunk_size``
  chunks (no empty trailing chunk); an empty file is sent as one empty ``PUT`` without ``Content-Range`` (the
  protocol's whole-file form), then finished with the MD5 of no bytes.

Example:
    ```python
    from synapse_client.backend import BackendClient

    client = BackendClient("https://api.example.com", access_token="...")
    record = client.create_chunked_upload("model.zip", state_file="model.zip.upload.json")
    print(record["id"])
    ```
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse_fileutils.http.retry import backoff_delay

from ..errors import (
    BadRequestError,
    ClientError,
    ClientTimeoutError,
    ConflictError,
    InvalidResponseError,
    RateLimitError,
    ServerError,
)
from .models import ChunkedUploadRecord

if TYPE_CHECKING:
    from synapse_fileutils.progress import ProgressCallback, ProgressReporter

    from ..base import BaseClient

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkedUploader",
    "FileChangedError",
    "UploadState",
]

DEFAULT_CHUNK_SIZE = 50 * 1024 * 1024
"""Default chunk size in bytes (50 MiB), as in earlier Synapse SDK releases."""
_BLOCK = 1024 * 1024  # the largest block read from the file at a time, to send it or to hash it
_STATE_VERSION = 1
_SHORTER = "it is shorter than when the upload started"


class FileChangedError(ConflictError):
    """409: the file changed (size or modification time) while it was being uploaded, or since an interrupted upload.

    Nothing is finished on the server: fix the file (or delete the state file) and upload again.

    Args:
        reason: What changed.
        path: The file's path.
        offset: Bytes the server had acknowledged when the change was seen.

    Attributes:
        path: The file's path.
        offset: Bytes acknowledged by the server when the change was seen.

    Example:
        >>> err = FileChangedError("size changed from 10 to 12 bytes", path="a.bin", offset=4)
        >>> err.status, err.offset
        (409, 4)
    """

    def __init__(self, reason: str, *, path: str, offset: int) -> None:
        super().__init__(409, f"{path}: file changed during upload ({reason})")
        self.path = path
        self.offset = offset


@dataclass
class UploadState:
    """What a process needs to resume an interrupted upload; saved as JSON in the ``state_file``.

    Attributes:
        path: The uploaded file's absolute path.
        size: The file's size in bytes when the upload started.
        mtime_ns: The file's modification time (ns) when the upload started.
        url: The upload's URL on the server (None before the first chunk is acknowledged).
        offset: Bytes the server acknowledged.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> UploadState("/data/a.bin", 10, 1, "http://h/chunked_upload/1/", 4).save(target)
        >>> UploadState.load(target).offset
        4
    """

    path: str
    size: int
    mtime_ns: int
    url: str | None = None
    offset: int = 0

    @classmethod
    def load(cls, state_file: str | os.PathLike[str]) -> UploadState | None:
        """Read a state file.

        Args:
            state_file: The state file's path.

        Returns:
            The state, or None when the file does not exist.

        Raises:
            BadRequestError: (400) if the file is not a state file written by this module.

        Example:
            >>> UploadState.load("/nonexistent/state.json") is None
            True
        """
        try:
            raw = Path(state_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            if data.pop("version", None) != _STATE_VERSION:
                raise ValueError("unknown version")
            state = cls(**data)
            if not isinstance(state.offset, int) or not isinstance(state.size, int) or state.offset < 0:
                raise ValueError("bad offset or size")
        except (ValueError, TypeError, AttributeError) as exc:
            raise BadRequestError(400, f"Invalid upload state file {os.fspath(state_file)!r}: {exc}") from None
        return state

    def save(self, state_file: str | os.PathLike[str]) -> None:
        """Write the state atomically (temp file in the same folder, fsync, rename).

        Args:
            state_file: The state file's path; its folder must exist.

        Example:
            >>> import tempfile, pathlib
            >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
            >>> UploadState("/data/a.bin", 10, 1).save(target)
            >>> target.exists()
            True
        """
        target = Path(state_file)
        payload = json.dumps({"version": _STATE_VERSION, **asdict(self)}).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class _FileMd5:
    """The whole file's MD5, computed on a helper thread from its own reads of the file while the chunks are sent.

    The thread reads the file in order, once, whatever the server does with the offsets (a retried chunk, a server
    that went back, bytes acknowledged before a restart: none changes the MD5 of the whole file). It may run ahead
    of the chunk being sent by at most ``ahead`` bytes, so the two readers stay close and a file larger than the page
    cache is read from disk about once. ``hashlib`` and file reads release the GIL: hashing overlaps sending, the
    waits for acknowledgements and the server's own work.
    """

    def __init__(self, path: Path, stat: os.stat_result, block_size: int, ahead: int) -> None:
        self._path = path
        self._stat = stat
        self._block_size = block_size
        self._ahead = ahead
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._allowed = 0
        self._stopped = False
        self._error: Exception | None = None
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="synapse-upload-md5", daemon=True)
        self._thread.start()

    def allow(self, position: int) -> None:
        """Let the thread hash up to ``ahead`` bytes past ``position`` (where the chunk being sent ends)."""
        with self._ready:
            if position + self._ahead > self._allowed:
                self._allowed = position + self._ahead
                self._ready.notify()

    def hexdigest(self) -> str:
        """The MD5 of the whole file, once the thread has read it all.

        Raises:
            FileChangedError: If the file was shorter than its size, or was replaced, when the thread read it.
        """
        self.allow(self._stat.st_size)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._md5.hexdigest()

    def close(self) -> None:
        """Stop the thread (it finishes the block it is hashing) and wait for it."""
        with self._ready:
            self._stopped = True
            self._ready.notify()
        self._thread.join()

    def _run(self) -> None:
        try:
            with open(self._path, "rb") as file:
                now = os.fstat(file.fileno())
                if (now.st_dev, now.st_ino) != (self._stat.st_dev, self._stat.st_ino):
                    raise FileChangedError("it was replaced by another file", path=str(self._path), offset=0)
                view = memoryview(bytearray(self._block_size))
                hashed, size = 0, self._stat.st_size
                while hashed < size:
                    with self._ready:
                        while self._allowed <= hashed and not self._stopped:
                            self._ready.wait()
                        if self._stopped:
                            return
                        want = min(self._allowed, size) - hashed
                    read = file.readinto(view[: min(len(view), want)])
                    if not read:
                        raise FileChangedError(_SHORTER, path=str(self._path), offset=0)
                    self._md5.update(view[:read])
                    hashed += read
        except Exception as exc:  # handed to the uploading thread by hexdigest()
            self._error = exc


class _MultipartChunk:
    """A ``multipart/form-data`` body with one ``file`` field: one chunk of the file, read block by block as it is sent.

    It is an iterable with a length, so ``requests`` streams it with a ``Content-Length``: each block is read
    (``readinto``) into one reused buffer and given to the socket as a view, so the chunk is never held in memory
    nor copied. Each iteration starts from the chunk's start, so the same body can be sent again on a retry. The
    file is checked for changes before the closing boundary: a chunk of a file that changed while it was read is
    never completed.
    """

    def __init__(self, filename: str, chunk: _ChunkSource | None = None) -> None:
        self.boundary = uuid.uuid4().hex
        safe_name = filename.replace("\\", "_").replace('"', "%22").replace("\r", "").replace("\n", "")
        head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._head = head
        self._chunk = chunk
        self._tail = tail

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + (self._chunk.length if self._chunk else 0) + len(self._tail)

    def __iter__(self) -> Iterator[bytes | memoryview]:
        yield self._head
        if self._chunk is not None:
            yield from self._chunk.blocks()
        yield self._tail


@dataclass
class _ChunkSource:
    """Where one chunk's bytes come from: ``length`` bytes of ``file`` at ``start``, read into ``buffer``."""

    file: Any
    start: int
    length: int
    path: str
    buffer: memoryview
    check: Callable[[int], None]  # raises FileChangedError (the argument: the chunk's start)

    def blocks(self) -> Iterator[memoryview]:
        """Read the chunk block by block into the one buffer; each block is sent before the next is read."""
        position, end = self.start, self.start + self.length
        self.file.seek(position)
        while position < end:
            block = self.buffer[: min(len(self.buffer), end - position)]
            read = 0
            while read < len(block):
                got = self.file.readinto(block[read:])
                if not got:
                    raise FileChangedError(_SHORTER, path=self.path, offset=self.start)
                read += got
            yield block  # requests hands it to sendall(), which returns once the socket has taken it all
            position += read
        self.check(self.start)


def _block_size(chunk_size: int) -> int:
    """Bytes read at a time (by the sender, and by the hasher): 1 MiB, and a quarter chunk for chunks under 4 MiB."""
    return max(1, min(_BLOCK, -(-chunk_size // 4)))


def _offset_from(body: Any) -> int | None:
    """The server's offset from an "Offsets do not match" body, if that is what it is."""
    if isinstance(body, dict):
        offset = body.get("offset")
        if isinstance(offset, int) and not isinstance(offset, bool):
            return offset
    return None


class ChunkedUploader:
    """Upload one file with the chunked-upload protocol (see the module doc for the guarantees).

    Most code calls [`create_chunked_upload`][synapse_client.backend.core.CoreClientMixin.create_chunked_upload]
    instead of using this class.

    Args:
        client: The client whose session, auth headers, timeouts and retry settings are used.
        file_path: The file to upload.
        chunk_size: Bytes per chunk (positive).
        progress: None for a terminal bar when stderr is a terminal, False for none, a reporter with
            ``start/advance/finish``, or ``callback(done_bytes, total_bytes)``.
        state_file: Where to save the resume state after every chunk (None: resume within this call only).
        retries: Retries per chunk (None: the client's ``retries``).

    Raises:
        BadRequestError: (400) if ``chunk_size`` or ``retries`` is invalid.

    Attributes:
        bytes_sent: File bytes sent in chunk bodies by the last
            [`upload`][synapse_client.backend.upload.ChunkedUploader.upload] call (a retried chunk counts again; bytes
            skipped on resume do not count).

    Example:
        ```python
        uploader = ChunkedUploader(client, "big.bin", chunk_size=8 * 1024 * 1024, state_file="big.bin.state")
        record = uploader.upload()
        ```
    """

    def __init__(
        self,
        client: BaseClient,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressReporter | ProgressCallback | bool | None = None,
        state_file: str | os.PathLike[str] | None = None,
        retries: int | None = None,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise BadRequestError(400, f"Invalid chunk_size: expected a positive number of bytes, got {chunk_size!r}")
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
            raise BadRequestError(400, f"Invalid retries: expected a non-negative integer, got {retries!r}")
        self._client = client
        self._path = Path(file_path)
        self._chunk_size = chunk_size
        self._progress = progress
        self._state_file = Path(state_file) if state_file is not None else None
        self._retries = client.retries if retries is None else retries
        self.bytes_sent = 0

    def upload(self) -> ChunkedUploadRecord:
        """Upload the file and finish the upload.

        Returns:
            The server's record of the finished upload (its ``id`` goes to ``create_data_file`` or ``create_model``).

        Raises:
            FileNotFoundError: If the file does not exist.
            FileChangedError: (409) if the file changes during the upload or since the saved state.
            BadRequestError: (400) for a state file of another file, or when the server refuses a chunk or the MD5.
            ClientError: The typed error of the last attempt when a chunk fails after its retries (the state file, if
                any, lets a later call resume).

        Example:
            ```python
            record = ChunkedUploader(client, "big.bin").upload()
            ```
        """
        from synapse_fileutils.progress import resolve_progress

        reporter = resolve_progress(self._progress, "upload", unit="bytes")
        self.bytes_sent = 0
        with open(self._path, "rb") as file:
            stat = os.fstat(file.fileno())
            state = self._initial_state(stat)
            reporter.start(state.size)
            md5 = _FileMd5(self._path, stat, _block_size(self._chunk_size), ahead=self._chunk_size)
            try:
                if state.offset:
                    reporter.advance(state.offset)
                if state.size == 0:
                    state.url = self._put_empty()
                else:
                    self._send_chunks(file, state, md5, reporter)
                try:
                    digest = md5.hexdigest()
                except FileChangedError:
                    self._check_unchanged(file, state)  # the same change, told with the acknowledged offset
                    raise
                self._check_unchanged(file, state)
                assert state.url is not None
                result = self._client._post(state.url, json={"md5": digest})
            finally:
                md5.close()
                reporter.finish()
        if self._state_file is not None:
            with contextlib.suppress(FileNotFoundError):
                self._state_file.unlink()
        if not isinstance(result, dict):
            raise InvalidResponseError(502, "Finishing the upload returned no record", method="POST", url=state.url)
        return ChunkedUploadRecord.from_dict(result)

    # -- steps ---------------------------------------------------------------------------------------------------

    def _initial_state(self, stat: os.stat_result) -> UploadState:
        path = str(self._path.resolve())
        fresh = UploadState(path, stat.st_size, stat.st_mtime_ns)
        if self._state_file is None:
            return fresh
        saved = UploadState.load(self._state_file)
        if saved is None or saved.url is None:
            return fresh
        if saved.path != path:
            raise BadRequestError(400, f"Upload state file {str(self._state_file)!r} belongs to another file")
        if (saved.size, saved.mtime_ns) != (fresh.size, fresh.mtime_ns):
            changed = "it differs from the interrupted upload's"
            raise FileChangedError(changed, path=str(self._path), offset=saved.offset)
        if saved.offset > saved.size:
            raise BadRequestError(400, f"Upload state file {str(self._state_file)!r} has an offset past the end")
        return saved

    def _check_unchanged(self, file: Any, state: UploadState, offset: int | None = None) -> None:
        offset = state.offset if offset is None else offset
        now = os.fstat(file.fileno())
        if now.st_size != state.size:
            raise FileChangedError(
                f"size changed from {state.size} to {now.st_size} bytes", path=str(self._path), offset=offset
            )
        if now.st_mtime_ns != state.mtime_ns:
            raise FileChangedError("modification time changed", path=str(self._path), offset=offset)

    def _send_chunks(self, file: Any, state: UploadState, md5: _FileMd5, reporter: ProgressReporter) -> None:
        stalled = 0
        # Total work is bounded, not only consecutive failures: a server that acknowledges a chunk and then says the
        # offset is back at 0 would otherwise be sent the file forever. Over the whole upload, the server may move
        # the offset back by at most `retries` chunks' worth of bytes.
        high_water = state.offset
        rewound = 0
        rewind_allowance = self._retries * self._chunk_size
        buffer = memoryview(bytearray(_block_size(self._chunk_size)))

        def check(start: int) -> None:
            self._check_unchanged(file, state, start)

        while state.offset < state.size:
            start = state.offset
            check(start)
            length = min(self._chunk_size, state.size - start)
            md5.allow(start + length)
            chunk = _ChunkSource(file, start, length, str(self._path), buffer, check)
            new_offset, state.url = self._put_chunk(state.url, chunk, state.size)
            if not 0 <= new_offset <= state.size:
                raise InvalidResponseError(
                    502, f"Server reported offset {new_offset} outside the file (0-{state.size})", url=state.url
                )
            state.offset = new_offset
            if self._state_file is not None:  # saved before anything else can interrupt us
                state.save(self._state_file)
            if new_offset < high_water:
                rewound += high_water - new_offset
                if rewound > rewind_allowance:
                    raise ServerError(
                        500,
                        f"Upload does not converge: the server moved the offset back by {rewound} bytes in total "
                        f"(more than {self._retries} chunks)",
                        url=state.url,
                    )
            high_water = max(high_water, new_offset)
            if new_offset > start:
                reporter.advance(new_offset - start)
                stalled = 0
            else:
                reporter.start(state.size)  # the server went back: restart the count from its offset
                reporter.advance(new_offset)
                stalled += 1
                if stalled > self._retries:
                    raise ServerError(500, f"Upload made no progress at offset {start}", url=state.url)

    def _put_empty(self) -> str:
        body = _MultipartChunk(self._path.name)
        data = self._client._put("chunked_upload/", data=body, headers={"Content-Type": body.content_type}, retry=True)
        return self._url_from(data, None)

    def _put_chunk(self, url: str | None, chunk: _ChunkSource, total: int) -> tuple[int, str]:
        start, end = chunk.start, chunk.start + chunk.length - 1
        body = _MultipartChunk(self._path.name, chunk)
        headers = {"Content-Type": body.content_type, "Content-Range": f"bytes {start}-{end}/{total}"}
        attempt = 0
        while True:
            attempt += 1
            try:
                data = self._client._put(url or "chunked_upload/", data=body, headers=headers, retry=False)
            except BadRequestError as exc:
                server_offset = _offset_from(exc.body)
                if server_offset is None or url is None:
                    raise
                return server_offset, url  # the server holds a different offset: continue from there
            except (ClientTimeoutError, RateLimitError, ServerError) as exc:
                if attempt > self._retries:
                    raise
                self._wait(exc, attempt)
                continue
            self.bytes_sent += chunk.length
            new_url = self._url_from(data, url)
            offset = data.get("offset") if isinstance(data, dict) else None
            if isinstance(offset, bool) or not isinstance(offset, int):
                offset = end + 1
            return offset, new_url

    def _wait(self, exc: ClientError, attempt: int) -> None:
        delay = backoff_delay(attempt, self._client.backoff)
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            delay = min(exc.retry_after, self._client.max_retry_after)
        if delay > 0:
            time.sleep(delay)

    @staticmethod
    def _url_from(data: Any, current: str | None) -> str:
        url = data.get("url") if isinstance(data, dict) else None
        if isinstance(url, str) and url:
            return url
        if current is not None:
            return current
        raise InvalidResponseError(502, "Chunked upload response has no 'url'", method="PUT")
