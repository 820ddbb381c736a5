"""The S3 provider (Amazon S3, MinIO, DigitalOcean Spaces and other S3-compatible servers), through s3fs.

Install with ``pip install 'synapse-fileutils[s3]'``. Uploads are multipart in 8 MiB parts (an object appears only
when complete), :data:`PARTS_IN_FLIGHT` parts sent at once, so memory stays at those parts; downloads read 8 MiB
ranges, and listings page through ``ListObjectsV2`` without collecting all keys.

Example:
    >>> storage = S3Storage("my-bucket", access_key="AKIAEXAMPLE", secret_key="wJalrEXAMPLEKEY")
    >>> storage
    S3Storage(bucket_name='my-bucket', location='', endpoint_url=None)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from ..http.redact import redact_url
from ._paths import join_key
from .base import CHUNK_SIZE, FileEntry, ProgressCallback
from .errors import StorageConfigError
from .remote import FsspecStorage, key_of, require_module

__all__ = ["S3Storage"]

#: Multipart part size: S3 needs >= 5 MiB; 8 MiB keeps memory flat (the client holds about three copies of a part
#: while signing and sending it) and allows objects up to 78 GiB within S3's 10,000 parts.
PART_SIZE = 8 * 1024 * 1024
#: Parts uploaded at once. Each part is read only when a slot is free, so an upload holds at most this many parts.
PARTS_IN_FLIGHT = 3


class S3Storage(FsspecStorage):
    """Files in an S3 bucket, optionally under a key prefix (platform providers ``amazon_s3``, ``minio``, ``s3``).

    Args:
        bucket_name: The bucket.
        access_key: The access key id (``None``: the usual AWS credential chain).
        secret_key: The secret access key.
        session_token: A temporary session token, if any.
        region_name: The region, e.g. ``"ap-northeast-2"``.
        endpoint_url: The server URL for S3-compatible services (MinIO, a local server).
        location: A key prefix under which every path lives.

    Raises:
        StorageConfigError: ``bucket_name`` is empty or holds a ``/``.
        MissingExtraError: s3fs is not installed.

    Example:
        >>> storage = S3Storage("data", location="exports", endpoint_url="http://127.0.0.1:9000")
        >>> storage.get_url("a.json")
        'http://127.0.0.1:9000/data/exports/a.json'
    """

    provider = "s3"
    _has_folders = False
    _rename_into_place = False

    def __init__(
        self,
        bucket_name: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        location: str | None = None,
    ) -> None:
        if not bucket_name or "/" in bucket_name:
            raise StorageConfigError(f"invalid S3 bucket_name {bucket_name!r}", provider="s3")
        s3fs = require_module("s3fs", provider="s3", extra="s3")
        client_kwargs: dict[str, Any] = {"region_name": region_name} if region_name else {}
        fs = s3fs.S3FileSystem(
            key=access_key,
            secret=secret_key,
            token=session_token,
            endpoint_url=endpoint_url,
            client_kwargs=client_kwargs,
            skip_instance_cache=True,
            use_listings_cache=False,
        )
        self._bucket = bucket_name
        self._prefix = key_of(location)
        self._endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self._region_name = region_name
        super().__init__(fs, join_key(bucket_name, self._prefix), secrets=(access_key, secret_key, session_token))

    def __repr__(self) -> str:
        endpoint = redact_url(self._endpoint_url) if self._endpoint_url else None
        return f"S3Storage(bucket_name={self._bucket!r}, location={self._prefix!r}, endpoint_url={endpoint!r})"

    def _write_options(self) -> dict[str, Any]:
        return {"block_size": PART_SIZE}

    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        if total is None or total < 2 * PART_SIZE:  # small or of unknown size: fsspec's sequential writer is enough
            super()._write(key, source, total, progress)
            return
        from fsspec.asyn import sync

        bucket, _, object_key = self._full(key).partition("/")
        sync(self._fs.loop, self._put_parts, bucket, object_key, source, total, progress)

    async def _put_parts(
        self, bucket: str, key: str, source: IO[bytes], total: int, progress: ProgressCallback | None
    ) -> None:
        """Multipart upload with :data:`PARTS_IN_FLIGHT` parts in flight; aborted on any failure (nothing appears)."""
        import asyncio

        fs = self._fs
        upload = await fs._call_s3("create_multipart_upload", Bucket=bucket, Key=key)
        upload_id = upload["UploadId"]
        slots = asyncio.Semaphore(PARTS_IN_FLIGHT)
        etags: dict[int, str] = {}
        done = 0
        if progress is not None:
            progress(0, total)

        async def send(number: int, body: bytes) -> None:
            nonlocal done
            try:
                answer = await fs._call_s3(
                    "upload_part", Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
                )
                etags[number] = answer["ETag"]
                done += len(body)
                if progress is not None:
                    progress(done, total)
            finally:
                slots.release()

        tasks: list[asyncio.Task[None]] = []
        try:
            number = 0
            while True:
                await slots.acquire()  # read the next part only when it can be sent: memory <= parts in flight
                body = await asyncio.to_thread(source.read, PART_SIZE)
                if not body:
                    slots.release()
                    break
                number += 1
                tasks.append(asyncio.create_task(send(number, body)))
                del body
                if any(task.done() and task.exception() is not None for task in tasks):
                    break  # a part failed: stop reading, the gather below raises its error
            await asyncio.gather(*tasks)
            parts = [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]
            await fs._call_s3(
                "complete_multipart_upload",
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):  # the original failure is what the caller must see
                await fs._call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        fs.invalidate_cache(f"{bucket}/{key}")

    def _read_options(self) -> dict[str, Any]:
        # No read-ahead cache: each read of CHUNK_SIZE is one ranged GET, so memory stays at one chunk.
        return {"block_size": CHUNK_SIZE, "cache_type": "none"}

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        full = self._full(key)
        if presigned:
            url: str = self._fs.sign(full, expiration=expires)
            return url
        object_key = quote(full.partition("/")[2])
        if self._endpoint_url:
            return f"{self._endpoint_url}/{self._bucket}/{object_key}"
        region = f".{self._region_name}" if self._region_name else ""
        return f"https://{self._bucket}.s3{region}.amazonaws.com/{object_key}"

    def _walk_files(self, full: str) -> Iterator[FileEntry]:
        """Page through the keys under ``full`` with ListObjectsV2, one page (<= 1000 keys) in memory at a time."""
        from fsspec.asyn import sync

        if not hasattr(self._fs, "_iterdir"):  # older s3fs: walk folder by folder instead
            yield from super()._walk_files(full)
            return
        bucket, _, prefix = full.partition("/")
        pages = self._fs._iterdir(bucket, delimiter="", prefix=f"{prefix}/" if prefix else "")
        while True:
            try:
                info = sync(self._fs.loop, pages.__anext__)
            except StopAsyncIteration:
                return
            if info.get("type") == "file":
                yield FileEntry(self._relative(info["name"]), int(info.get("size") or 0))
