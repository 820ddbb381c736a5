"""The built-in ``upload`` action: organize a source folder by the collection's file specifications and upload it.

Steps and their progress categories: ``analyze_collection`` (read the collection's file specifications),
``upload_data_files`` (files sent, or skipped because the server has them), ``generate_data_units`` (data units
created, in batches). Files go through ``BackendClient.upload_data_collection`` (bounded concurrency, SHA-1 checks
against what the server holds, chunked upload for large files). A batch that fails is retried unit by unit, so one
bad file fails its own data unit only; every failure is in the result and the metrics.

Example:
    >>> UploadAction.validate_params({"name": "u", "path": "/data", "data_collection": 4}).collection
    4
    >>> UploadAction.progress_categories
    {'analyze_collection': 2, 'upload_data_files': 38, 'generate_data_units': 60}
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from ..actions.hooks import HookAction
from ..categories import PluginCategory, RunMethod
from ..errors import ExportError, UploadError
from ..items import ItemReport, describe
from ..types import NonBlankStr
from .uploader import UploadEntry, Uploader, organize_files

if TYPE_CHECKING:
    from synapse_client.backend import BackendClient
    from synapse_fileutils.storage import Storage

__all__ = ["UploadAction", "UploadParams"]


class UploadParams(BaseModel):
    """The ``upload`` action's params.

    Attributes:
        name: The upload's name.
        description: Free text.
        path: The source folder: relative to the storage root with ``storage``, else a local folder or storage URL.
        storage: A platform storage id.
        collection: The data collection (``data_collection`` is accepted too).
        project: Also create a task per data unit in this project.
        excel_metadata_path: Not supported yet (refused rather than ignored).
        is_recursive: Read files in subfolders of each specification folder.
        max_file_size_mb: Files larger than this use the chunked, resumable upload.
        creating_data_unit_batch_size: Data units created per request.
        use_async_upload: Accepted for compatibility; uploads always run ``upload_max_workers`` at a time.
        upload_max_workers: Files hashed and uploaded at once.
        extra_params: Plugin-specific params (``Uploader.extra_params``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: NonBlankStr
    description: str | None = None
    path: NonBlankStr
    storage: int | None = None
    collection: int = Field(validation_alias=AliasChoices("collection", "data_collection"))
    project: int | None = None
    excel_metadata_path: str | None = None
    is_recursive: bool = True
    max_file_size_mb: int = Field(default=50, ge=1)
    creating_data_unit_batch_size: int = Field(default=100, ge=1, le=1000)
    use_async_upload: bool = True
    upload_max_workers: int = Field(default=10, ge=1, le=64)
    extra_params: dict[str, Any] | None = None

    @field_validator("excel_metadata_path")
    @classmethod
    def _no_excel(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("Excel metadata is not supported yet: put metadata in Uploader.handle_upload_files")
        return value


class UploadAction(HookAction[UploadParams]):
    """Upload a folder's files into a data collection through the plugin's ``Uploader`` subclass.

    The result is ``{"uploaded_files_count", "generated_data_units_count", "failed_files_count",
    "failed_data_units"}`` (the last: ``[[stem, reason], ...]``).
    """

    name = "upload"
    category = PluginCategory.UPLOAD
    method = RunMethod.JOB
    params_model = UploadParams
    progress_categories: ClassVar[dict[str, Any]] = {
        "analyze_collection": 2,
        "upload_data_files": 38,
        "generate_data_units": 60,
    }
    metrics_categories: ClassVar[list[str]] = ["data_files", "data_units"]
    hook_base: ClassVar[type[Uploader]] = Uploader
    hook_cls: ClassVar[type[Uploader]] = Uploader

    def start(self) -> dict[str, Any]:
        """Run the upload.

        Returns:
            The counts and the failed units.

        Raises:
            UploadError: No backend, the source cannot be read, or the collection has no file specifications.
        """
        from ..export.targets import backend_client, open_storage

        params = self.params
        client = backend_client(self.context.env)
        if client is None:
            raise UploadError("upload needs the backend: set SYNAPSE_HOST and SYNAPSE_ACCESS_TOKEN")
        self.run.log_message("Upload started.")
        try:
            storage, source = open_storage(params.storage, params.path, client)
        except ExportError as exc:
            raise UploadError(str(exc)) from exc
        with _local_source(storage, source) as root:
            self.run.set_progress(0, 1, "analyze_collection")
            specs = [dict(spec) for spec in client.get_data_collection(params.collection).file_specifications]
            if not specs:
                raise UploadError(f"data collection {params.collection} has no file specifications")
            organized, problems = organize_files(root, specs, is_recursive=params.is_recursive)
            self.run.set_progress(1, 1, "analyze_collection")
            uploader = self.hook_cls(self.run, root, specs, organized, **params.model_dump(exclude={"path"}),
                                     source_path=params.path)  # fmt: skip
            entries = list(uploader.handle_upload_files())
            return self._upload(client, entries, problems)

    def _upload(
        self, client: BackendClient, entries: list[UploadEntry], problems: list[tuple[str, str]]
    ) -> dict[str, Any]:
        params = self.params
        files_total = len({path for entry in entries for path in entry["files"].values()})
        totals = {"data_files": files_total, "data_units": len(entries) + len(problems)}
        report = ItemReport(["data_files", "data_units"], total=totals)
        for stem, reason in problems:
            report.fail("data_units", stem, reason)
        self.run.log_message(f"{len(entries)} data units of {files_total} files to upload.")
        state = {"files": 0, "units": 0, "files_total": files_total, "units_total": len(entries)}
        self.run.set_progress(0, files_total, "upload_data_files")
        self.run.set_progress(0, len(entries), "generate_data_units")
        size = params.creating_data_unit_batch_size
        for start in range(0, len(entries), size):
            batch = entries[start : start + size]
            try:
                self._send(client, batch, report, state)
            except Exception:  # one bad file fails the batch: send its units one by one to find it
                for entry in batch:
                    try:
                        self._send(client, [entry], report, state)
                    except Exception as exc:
                        self._fail(entry, describe(exc), report)
        result: dict[str, Any] = {
            "uploaded_files_count": report.counts("data_files")["success"],
            "generated_data_units_count": report.counts("data_units")["success"],
            "failed_files_count": report.counts("data_files")["failed"],
            "failed_data_units": [t.as_pair() for t in report.failures("data_units")],
        }
        self.run.log_message(
            f"Uploaded {result['uploaded_files_count']} files, created {result['generated_data_units_count']} data "
            f"units; {len(result['failed_data_units'])} failed.",
            context="warning" if result["failed_data_units"] else "success",
        )
        self.run.end_log()
        return result

    def _send(self, client: BackendClient, batch: list[UploadEntry], report: ItemReport, state: dict[str, int]) -> None:
        params = self.params
        base, files_total, units_total = state["files"], state["files_total"], state["units_total"]

        def progress(done: int, _total: int | None) -> None:
            self.run.set_progress(min(base + done, files_total), files_total, "upload_data_files")

        units = client.upload_data_collection(
            params.collection,
            [{"files": dict(entry["files"]), "meta": dict(entry["meta"])} for entry in batch],
            params.project,
            batch_size=len(batch),
            max_workers=params.upload_max_workers,
            progress=progress,
            chunked_upload_threshold=params.max_file_size_mb * 1024 * 1024,
        )
        for entry, unit in zip(batch, units, strict=False):
            for _ in entry["files"]:
                report.succeed("data_files")
            report.succeed("data_units")
            unit_id = unit.get("id") if hasattr(unit, "get") else None
            self.run.log("upload_data_unit", {"data_unit_id": unit_id, "status": "success",
                                              "data_unit_meta": entry["meta"]})  # fmt: skip
        state["files"] += len({path for entry in batch for path in entry["files"].values()})
        state["units"] += len(batch)
        self.run.set_progress(min(state["files"], files_total), files_total, "upload_data_files")
        self.run.set_progress(state["units"], units_total, "generate_data_units")
        self.run.log_metrics(report.counts("data_files"), "data_files")
        self.run.log_metrics(report.counts("data_units"), "data_units")

    def _fail(self, entry: UploadEntry, reason: str, report: ItemReport) -> None:
        stem = str(entry["meta"].get("origin_file_stem") or next(iter(entry["files"].values()), "unit"))
        for spec, path in entry["files"].items():
            report.fail("data_files", PurePosixPath(str(path)).name, reason)
            self.run.log("upload_data_file", {"spec": spec, "file": PurePosixPath(str(path)).name,
                                              "status": "failed", "error": reason})  # fmt: skip
        report.fail("data_units", stem, reason)
        self.run.log_metrics(report.counts("data_files"), "data_files")
        self.run.log_metrics(report.counts("data_units"), "data_units")


class _local_source:  # noqa: N801 - used as a context manager, reads like one
    """A local folder for the source: the folder itself for local storage, else a scratch copy removed at the end."""

    def __init__(self, storage: Storage, source: Any) -> None:
        self.storage = storage
        self.source = source
        self.scratch: Path | None = None

    def __enter__(self) -> Path:
        if isinstance(self.source, Path):
            if not self.source.is_dir():
                raise UploadError(f"source folder not found: {self.source}")
            return self.source
        self.scratch = Path(tempfile.mkdtemp(prefix="synapse-upload-"))
        prefix = str(getattr(self.source, "key", "")).strip("/")
        for entry in self.storage.iter_files(prefix):
            relative = entry.path[len(prefix) :].lstrip("/") if prefix else entry.path
            self.storage.download(entry.path, self.scratch / relative)
        return self.scratch

    def __exit__(self, *exc_info: object) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
