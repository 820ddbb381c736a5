"""Core backend operations: the resumable chunked upload every file upload builds on.

Example:
    ```python
    from synapse_client.backend import BackendClient

    client = BackendClient("https://api.example.com", access_token="...")
    upload = client.create_chunked_upload("/path/to/large_file.zip")
    print(upload["id"])
    ```
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .listing import BackendMixinBase
from .models import ChunkedUploadRecord
from .upload import DEFAULT_CHUNK_SIZE, ChunkedUploader

if TYPE_CHECKING:
    from synapse_fileutils.progress import ProgressCallback, ProgressReporter

__all__ = ["CoreClientMixin"]


class CoreClientMixin(BackendMixinBase):
    """Chunked upload (``PUT chunked_upload/``, then ``PUT``/``POST`` to the upload's URL).

    Example:
        ```python
        client.create_chunked_upload("video.mp4", chunk_size=16 * 1024 * 1024, progress=print)
        ```
    """

    def create_chunked_upload(
        self,
        file_path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressReporter | ProgressCallback | bool | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        retries: int | None = None,
    ) -> ChunkedUploadRecord:
        """Upload a file in chunks and return the finished upload's record.

        Endpoints: ``PUT chunked_upload/`` (first chunk), ``PUT <url>`` (next chunks, ``Content-Range``), ``POST
        <url>`` with ``{"md5": ...}`` (finish). Chunks are streamed from the file block by block and the MD5 is
        computed on a helper thread meanwhile; memory stays near 2 MiB whatever the chunk size. Each chunk is retried
        on its own (dropped connection, timeout, 429, 5xx) and the upload continues from the offset the server
        reports, so an acknowledged chunk is never sent twice. See
        [`synapse_client.backend.upload`][synapse_client.backend.upload] for every guarantee.

        Args:
            file_path: The file to upload.
            chunk_size: Bytes per chunk; 50 MiB by default.
            progress: None for a terminal bar when stderr is a terminal, False for none, a reporter with
                ``start/advance/finish``, or ``callback(done_bytes, total_bytes)``.
            state_file: A JSON file where the upload's URL and acknowledged offset are saved after every chunk. If
                it exists when the call starts, the upload resumes from it (a restarted process loses nothing); it is
                deleted once the upload is finished.
            retries: Retries per chunk; None uses the client's ``retries``.

        Returns:
            The finished upload (a mapping with at least ``id``).

        Raises:
            FileNotFoundError: If the file does not exist.
            FileChangedError: (409) if the file changes during the upload (or since the saved state).
            BadRequestError: (400) for an invalid ``chunk_size``, or when the server refuses a chunk or the checksum.
            ClientError: The typed error of a chunk that still fails after its retries.

        Example:
            ```python
            record = client.create_chunked_upload("/data/model.zip", state_file="/data/model.zip.upload")
            client.create_model({"name": "yolo", "plugin": 1, "chunked_upload": record["id"]})
            ```
        """
        uploader = ChunkedUploader(
            self, file_path, chunk_size=chunk_size, progress=progress, state_file=state_file, retries=retries
        )
        return uploader.upload()
