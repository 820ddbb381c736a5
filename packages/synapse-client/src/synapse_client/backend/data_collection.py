"""Data collections, data files and data units, and bulk upload of a dataset into a collection.

Example:
    ```python
    collection = client.get_data_collection(4)
    units = client.upload_data_collection(4, [{"image_1": "/data/a.jpg"}, {"image_1": "/data/b.jpg"}])
    ```
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ..errors import BadRequestError, InvalidResponseError
from .core import CoreClientMixin
from .listing import Page, RecordPages, UrlConversion, as_json_list
from .models import DataCollection, DataFile, DataUnit, Record
from .upload import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    from synapse_fileutils.progress import ProgressCallback, ProgressReporter

__all__ = ["DataCollectionClientMixin"]


@dataclass
class _Item:
    """One dataset entry after validation: file paths by specification name, and metadata."""

    files: dict[str, Path]
    meta: dict[str, Any]


class DataCollectionClientMixin(CoreClientMixin):
    """Data collections (``data_collections/``), files (``data_files/``) and units (``data_units/``).

    Example:
        ```python
        page = client.list_data_units(params={"data_collection": 4})
        ```
    """

    @overload
    def list_data_collection(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_data_collection(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[DataCollection], int | None]: ...

    @overload
    def list_data_collection(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[DataCollection], int | None]: ...

    def list_data_collection(
        self, params: Mapping[str, Any] | None = None, list_all: bool = False, page_size: int | None = None
    ) -> Page | tuple[RecordPages[DataCollection], int | None]:
        """List data collections.

        Endpoint: ``GET data_collections/``.

        Args:
            params: Filters.
            list_all: Return ``(collections, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            collections, count = client.list_data_collection(list_all=True)
            ```
        """
        return self._list_records(
            "data_collections/", params, list_all=list_all, page_size=page_size, record_type=DataCollection
        )

    def get_data_collection(self, pk: int | str) -> DataCollection:
        """Return a data collection with its file specifications (``[{name, is_required, file_type}]``).

        Endpoint: ``GET data_collections/{pk}/?expand=file_specifications``.

        Args:
            pk: The collection's id.

        Returns:
            The collection.

        Raises:
            NotFoundError: (404) if there is no such collection.

        Example:
            ```python
            names = [spec.name for spec in client.get_data_collection(4).specifications]
            ```
        """
        result: DataCollection = self._get_record(
            DataCollection,
            f"data_collections/{self._id(pk, 'data collection')}/",
            params={"expand": "file_specifications"},
        )
        return result

    def create_data_file(self, file_path: str | os.PathLike[str], use_chunked_upload: bool = False) -> DataFile:
        """Upload one data file.

        Endpoint: ``POST data_files/``, multipart with the ``file`` field, or, with ``use_chunked_upload``, after a
        [`create_chunked_upload`][synapse_client.backend.core.CoreClientMixin.create_chunked_upload], JSON
        ``{"chunked_upload": id, "meta": {"filename": name}}``.

        Args:
            file_path: The file.
            use_chunked_upload: Upload in resumable chunks first (for large files).

        Returns:
            The data file ``{id, checksum, size}``.

        Raises:
            FileNotFoundError: If the file does not exist.
            ClientError: As the server answers.

        Example:
            ```python
            data_file = client.create_data_file("/data/a.jpg")
            print(data_file.checksum)
            ```
        """
        path = Path(file_path)
        if use_chunked_upload:
            upload = self.create_chunked_upload(path, progress=False)
            data = self._post("data_files/", json={"chunked_upload": upload["id"], "meta": {"filename": path.name}})
        else:
            with open(path, "rb") as file:
                data = self._post("data_files/", files={"file": (path.name, file, "application/octet-stream")})
        result: DataFile = self._record(DataFile, data)
        return result

    def data_files_verify_checksums(self, checksums: Iterable[str]) -> Any:
        """Ask which files the server already has.

        Endpoint: ``POST data_files/verify_checksums/`` with ``{"checksums": [...]}`` (SHA-1 hex digests). Safe to
        retry: it changes nothing.

        Args:
            checksums: SHA-1 hex digests of the files.

        Returns:
            The server's answer: the checksums (or data-file records) it already holds.

        Example:
            ```python
            known = client.data_files_verify_checksums(["2fd4e1c6..."])
            ```
        """
        return self._post("data_files/verify_checksums/", json={"checksums": list(checksums)}, retry=True)

    def get_data_unit(self, pk: int | str, params: Mapping[str, Any] | None = None) -> DataUnit:
        """Return a data unit.

        Endpoint: ``GET data_units/{pk}/``.

        Args:
            pk: The data unit's id.
            params: Query parameters.

        Returns:
            The data unit ``{files, meta, data_collection}``.

        Example:
            ```python
            unit = client.get_data_unit(10)
            ```
        """
        result: DataUnit = self._get_record(DataUnit, f"data_units/{self._id(pk, 'data unit')}/", params=params)
        return result

    def create_data_units(self, data: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Any:
        """Create data units.

        Endpoint: ``POST data_units/`` with a list of ``{"data_collection", "files": {spec: {"checksum", "path"}},
        "meta"}``.

        Args:
            data: One data unit or a list of them.

        Returns:
            The created data units (a list of [`DataUnit`][synapse_client.backend.models.DataUnit] when the server
            answers with a list).

        Example:
            ```python
            client.create_data_units([{"data_collection": 4, "files": {"image_1": {"checksum": c, "path": "a.jpg"}}}])
            ```
        """
        result = self._post("data_units/", json=as_json_list(data))
        if isinstance(result, list):
            return [self._record(DataUnit, item) for item in result]
        return result

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[DataUnit], int | None]: ...

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[DataUnit], int | None]: ...

    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[DataUnit], int | None]:
        """List data units.

        Endpoint: ``GET data_units/``.

        Args:
            params: Filters, for example ``{"data_collection": 4}``.
            url_conversion: Download the files of each page's units (see
                [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).
            list_all: Return ``(units, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            units, count = client.list_data_units({"data_collection": 4}, url_conversion=True, list_all=True)
            ```
        """
        return self._list_records(
            "data_units/", params, list_all=list_all, page_size=page_size, record_type=DataUnit,
            url_conversion=url_conversion,
        )  # fmt: skip

    def upload_data_collection(  # noqa: PLR0917 - positional like earlier releases
        self,
        data_collection_id: int | str,
        dataset: Iterable[Mapping[str, Any]],
        project_id: int | str | None = None,
        batch_size: int = 1000,
        max_workers: int = 10,
        progress: ProgressReporter | ProgressCallback | bool | None = None,
        *,
        chunked_upload_threshold: int = DEFAULT_CHUNK_SIZE,
    ) -> list[Any]:
        """Upload a dataset into a data collection: files, then data units (and tasks when ``project_id`` is set).

        Each dataset entry maps specification names to file paths (``{"image_1": "/data/a.jpg"}``), or is
        ``{"files": {...}, "meta": {...}}``. The whole dataset is checked against the collection's file
        specifications first (unknown names, missing required files, missing paths: ``BadRequestError`` before
        anything is uploaded). Then, batch by batch: files are hashed (SHA-1) on a thread pool, the server is asked
        which it already has (``data_files/verify_checksums/``) and only the others are uploaded, ``max_workers`` at
        a time (files larger than ``chunked_upload_threshold`` in resumable chunks); then the batch's data units are
        created in one request, and its tasks in another. Threads share this client; nothing is pickled.

        Args:
            data_collection_id: The collection's id.
            dataset: The entries (any iterable; all are validated before the first upload).
            project_id: Also create a task per data unit in this project.
            batch_size: Entries per batch (data units created per request).
            max_workers: Files hashed and uploaded at once.
            progress: Counts files (uploaded or skipped): None for a terminal bar when stderr is a terminal, False
                for none, a reporter, or ``callback(done, total)`` (``total``: the distinct files of the dataset).
            chunked_upload_threshold: Files larger than this many bytes use the chunked upload.

        Returns:
            The created data units, in dataset order.

        Raises:
            BadRequestError: (400) for an invalid entry, ``batch_size`` or ``max_workers``.
            ClientError: As the server answers (units of earlier batches stay created).

        Example:
            ```python
            units = client.upload_data_collection(
                4, [{"image_1": "/data/a.jpg"}, {"image_1": "/data/b.jpg", "meta": {"camera": "front"}}], project_id=1
            )
            ```
        """
        from concurrent.futures import ThreadPoolExecutor

        from synapse_fileutils.progress import resolve_progress

        for name, value in (("batch_size", batch_size), ("max_workers", max_workers)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise BadRequestError(400, f"Invalid {name}: expected a positive integer, got {value!r}")
        collection = self.get_data_collection(data_collection_id)
        specs = {spec.name: spec for spec in collection.specifications if spec.name}
        entries = [_validate_entry(entry, specs, index) for index, entry in enumerate(dataset)]
        reporter = resolve_progress(progress, "upload", unit="files")
        reporter.start(len({path for entry in entries for path in entry.files.values()}))
        created: list[Any] = []
        counted: set[Path] = set()  # files already reported to `progress` (a file may recur in later batches)
        try:
            with ThreadPoolExecutor(max_workers, thread_name_prefix="synapse-upload") as pool:
                for batch in _batches(entries, batch_size):
                    units = self._upload_batch(
                        collection.id, batch, pool, reporter=reporter, counted=counted,
                        chunked_upload_threshold=chunked_upload_threshold,
                    )  # fmt: skip
                    if project_id is not None:
                        ids = [unit.get("id") if isinstance(unit, Mapping) else None for unit in units]
                        self._post("tasks/", json=[{"project": project_id, "data_unit": pk} for pk in ids])
                    created.extend(units)
        finally:
            reporter.finish()
        return created

    def _upload_batch(
        self,
        collection_id: Any,
        batch: list[_Item],
        pool: Any,
        *,
        reporter: ProgressReporter,
        counted: set[Path],
        chunked_upload_threshold: int,
    ) -> list[Any]:
        from concurrent.futures import as_completed

        from synapse_fileutils.checksum import calculate_checksum

        paths = list(dict.fromkeys(path for item in batch for path in item.files.values()))
        checksums = dict(zip(paths, pool.map(lambda p: calculate_checksum(p, "sha1"), paths), strict=True))
        known = _known_checksums(self.data_files_verify_checksums(sorted(set(checksums.values()))))
        missing = [path for path in paths if checksums[path] not in known]
        skipped = [path for path in paths if path not in missing and path not in counted]
        counted.update(skipped)
        reporter.advance(len(skipped))

        def upload(path: Path) -> DataFile:
            return self.create_data_file(path, use_chunked_upload=path.stat().st_size > chunked_upload_threshold)

        futures = {pool.submit(upload, path): path for path in missing}
        try:
            for future in as_completed(futures):  # progress is reported from this thread only
                path = futures[future]
                data_file = future.result()
                checksum = data_file.get("checksum") if isinstance(data_file, Mapping) else None
                if isinstance(checksum, str) and checksum:
                    checksums[path] = checksum
                if path not in counted:
                    counted.add(path)
                    reporter.advance(1)
        except BaseException:
            for future in futures:  # the first failure wins: drop uploads that have not started
                future.cancel()
            raise
        units = [
            {
                "data_collection": collection_id,
                "files": {spec: {"checksum": checksums[path], "path": path.name} for spec, path in item.files.items()},
                "meta": item.meta,
            }
            for item in batch
        ]
        result = self.create_data_units(units)
        if not isinstance(result, list) or len(result) != len(units):
            raise InvalidResponseError(502, "Creating data units did not return one record per unit", method="POST")
        return result


def _validate_entry(entry: Any, specs: Mapping[str, Any], index: int) -> _Item:
    if not isinstance(entry, Mapping):
        raise BadRequestError(400, f"Dataset entry {index}: expected a mapping of specification name to path")
    if "files" in entry and isinstance(entry["files"], Mapping):
        raw_files, meta = entry["files"], entry.get("meta") or {}
    else:
        raw_files = {key: value for key, value in entry.items() if key != "meta"}
        meta = entry.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise BadRequestError(400, f"Dataset entry {index}: 'meta' must be a mapping")
    unknown = sorted(set(raw_files) - set(specs))
    if unknown:
        raise BadRequestError(400, f"Dataset entry {index}: unknown file specification(s) {', '.join(unknown)}")
    missing = sorted(name for name, spec in specs.items() if spec.is_required and raw_files.get(name) is None)
    if missing:
        raise BadRequestError(400, f"Dataset entry {index}: required file(s) missing: {', '.join(missing)}")
    files: dict[str, Path] = {}
    for name, value in raw_files.items():
        if value is None:
            continue
        path = Path(value)
        if not path.is_file():
            raise BadRequestError(400, f"Dataset entry {index}: {name!r} is not a file: {os.fspath(path)!r}")
        files[name] = path
    return _Item(files, dict(meta))


def _batches(items: list[_Item], size: int) -> Iterator[list[_Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known_checksums(answer: Any) -> set[str]:
    """The checksums in a verify_checksums answer: a list of strings or records, or ``{"checksums": [...]}``."""
    if isinstance(answer, Mapping):
        for key in ("checksums", "results", "existing"):
            if key in answer:
                return _known_checksums(answer[key])
        return set()
    known: set[str] = set()
    if isinstance(answer, list):
        for item in answer:
            if isinstance(item, str):
                known.add(item)
            elif isinstance(item, (Mapping, Record)) and isinstance(item.get("checksum"), str):
                known.add(item["checksum"])
    return known
