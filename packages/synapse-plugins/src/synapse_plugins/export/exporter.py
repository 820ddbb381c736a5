r"""``BaseExporter``: the export workflow as a template method, with a hook for every step a plugin may change.

``BaseExporter(run, export_items, path_root, **params).export()``:

1. picks the unique export folder ``path_root/<name>``, else ``<name>(1)``, ``<name>(2)``... (or the unfinished
   folder of an interrupted export with the same params, which it resumes);
2. ``setup_output_directories(unique_export_path, save_original_file)``: ``json/`` and, with the flag,
   ``origin_files/``;
3. per item: ``before_convert`` -> ``convert_data`` -> ``after_convert`` (``process_data_conversion``), then
   ``process_file_saving``, which calls ``save_original_file`` and ``save_as_json``; a failing item is recorded and
   the export goes on; originals download ahead of the loop on a bounded pool;
4. ``additional_file_saving(unique_export_path)`` once, after the last item;
5. ``error_file_list.json`` when anything failed, then ``run.end_log()``;
6. returns the unique export folder.

Example:
    >>> import tempfile
    >>> from synapse_plugins.run import Run
    >>> items = [{"id": 1, "data": {"label": "cat"}, "files": {"file_name_original": "a.jpg"}}]
    >>> root = tempfile.mkdtemp()
    >>> folder = BaseExporter(Run(), items, root, name="demo", count=1, save_original_file=False).export()
    >>> folder.name, sorted(p.name for p in (folder / "json").iterdir())
    ('demo', ['a.json'])
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..errors import ExportError
from ..items import ItemFailed, ItemStatus, describe
from .files import ExportFolder, NameAllocator, safe_file_name, split_name
from .manifest import ExportManifest, fingerprint
from .originals import OriginalFetcher

if TYPE_CHECKING:
    from synapse_fileutils.storage import Storage

    from ..run import Run
from ..run.records import MetricsRecord

__all__ = ["ERROR_LIST_FILE", "BaseExporter", "ExportStatus"]

#: Written into the export folder when any file failed: ``{"json_file_name": [...], "origin_file_name": [...]}``.
ERROR_LIST_FILE = "error_file_list.json"


class ExportStatus:
    """What ``save_original_file`` and ``save_as_json`` return.

    Example:
        >>> ExportStatus.SUCCESS
        'success'
    """

    SUCCESS = ItemStatus.SUCCESS
    FAILED = ItemStatus.FAILED
    STAND_BY = ItemStatus.STAND_BY


def _is_pathlike(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


@dataclass
class _Write:
    """A file write in flight: where its failure goes once it ends."""

    future: Future[None]
    errors: list[list[str]]
    name: str
    category: str


@dataclass
class _Pass:
    """What one export pass carries from item to item."""

    flag: bool
    done: set[str]
    manifest: ExportManifest
    original: MetricsRecord
    data: MetricsRecord
    number: int = 0
    errors_json: list[list[str]] = field(default_factory=list)
    errors_original: list[list[str]] = field(default_factory=list)
    #: Items whose files are still being written: (manifest key or None, their writes).
    pending: deque[tuple[str | None, list[_Write]]] = field(default_factory=deque)

    @property
    def failed(self) -> int:
        return len(self.errors_json) + len(self.errors_original)


class BaseExporter:
    """Base class of export plugins: subclass it and override the hooks you need (usually ``convert_data``).

    Args:
        run: The run to report through (``self.run``).
        export_items: The items, an iterable read once, one at a time (a generator is fine). Each item is a
            mapping ``{"id", "data", "files": {"url" | "path", "file_name_original", ...}}``.
        path_root: Where export folders are made: a local folder (``str`` or ``Path``) or a path from a storage's
            ``get_pathlib`` (``synapse_fileutils.storage``).
        **params: The export params; read here: ``name`` (required, the folder name), ``count`` (items expected, for
            progress), ``save_original_file`` (default True); all of them are in ``self.params``.

    Attributes:
        download_workers: Original files downloading at the same time (class attribute, default 8).
        write_workers: Files written to the storage at the same time (default 4). Writes of the default hooks run in
            the background; a write that fails is recorded as the item's failure when it ends, before
            ``additional_file_saving``.
        json_dir: Folder of the JSON files (``json``).
        originals_dir: Folder of the original files (``origin_files``).

    Example:
        >>> import tempfile
        >>> from synapse_plugins.run import Run
        >>> class Upper(BaseExporter):
        ...     def convert_data(self, data):
        ...         return {**data, "data": {"label": data["data"]["label"].upper()}}
        >>> items = [{"id": 1, "data": {"label": "cat"}, "files": {"file_name_original": "a.jpg"}}]
        >>> folder = Upper(Run(), items, tempfile.mkdtemp(), name="up", save_original_file=False).export()
        >>> json.loads((folder / "json" / "a.json").read_text())
        {'label': 'CAT'}
    """

    download_workers: int = 8
    write_workers: int = 4
    json_dir: str = "json"
    originals_dir: str = "origin_files"

    def __init__(self, run: Run, export_items: Iterable[Any], path_root: Any, **params: Any) -> None:
        self.run = run
        self.export_items = export_items
        self.path_root = Path(path_root) if _is_pathlike(path_root) else path_root
        self.params: dict[str, Any] = params
        #: The storage that ``path_root`` lives in (set by the export action; derived from ``path_root`` otherwise).
        self.export_storage: Storage | None = None
        self.unique_export_path: Any = None
        self.output_paths: dict[str, Any] = {}
        self.folder: ExportFolder | None = None
        self._names = NameAllocator()
        self._fetcher: OriginalFetcher | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._tally: _Pass | None = None
        self._current: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.params.get('name')!r})"

    # -- hooks --------------------------------------------------------------------------------------------------

    def before_convert(self, data: Any) -> Any:
        """Prepare an item before conversion (default: unchanged)."""
        return data

    def convert_data(self, data: Any) -> Any:
        """Convert an item to the export format (default: unchanged). Track dataset-wide state here."""
        return data

    def after_convert(self, data: Any) -> Any:
        """Finish an item after conversion (default: unchanged)."""
        return data

    def process_data_conversion(self, export_item: Any) -> Any:
        """Run ``before_convert`` -> ``convert_data`` -> ``after_convert`` on one item and return the result."""
        return self.after_convert(self.convert_data(self.before_convert(export_item)))

    def setup_output_directories(self, unique_export_path: Any, save_original_file_flag: bool) -> dict[str, Any]:
        """Create the output folders and return them (``json_output_path``, ``origin_files_output_path``).

        Args:
            unique_export_path: The export folder.
            save_original_file_flag: Whether original files are saved (then ``origin_files/`` is made).

        Returns:
            The folders by role.
        """
        paths = {"json_output_path": unique_export_path / self.json_dir}
        if save_original_file_flag:
            paths["origin_files_output_path"] = unique_export_path / self.originals_dir
        for path in paths.values():
            with contextlib.suppress(AttributeError, NotImplementedError):
                path.mkdir(parents=True, exist_ok=True)
        return paths

    def get_original_file_name(self, files: Mapping[str, Any]) -> str:
        """Return the original file name of an item's ``files`` entry (``file_name_original``, else the URL's).

        The exporter makes it safe (no folders, no ``..``) and unique before using it.
        """
        name = files.get("file_name_original") if isinstance(files, Mapping) else None
        if isinstance(name, str) and name:
            return name
        source = (files.get("path") or files.get("url") or "") if isinstance(files, Mapping) else ""
        return PurePosixPath(str(source).split("?", 1)[0]).name

    def process_file_saving(  # noqa: PLR0917 - the documented hook signature
        self,
        final_data: Any,
        unique_export_path: Any,
        save_original_file_flag: bool,
        errors_json_file_list: list[list[str]],
        errors_original_file_list: list[list[str]],
        original_file_metrics_record: MetricsRecord,
        data_file_metrics_record: MetricsRecord,
        current_index: int,
    ) -> bool:
        """Save one converted item: its original file (with the flag), then its JSON; update the metrics.

        Args:
            final_data: The converted item.
            unique_export_path: The export folder.
            save_original_file_flag: Whether to save the original file.
            errors_json_file_list: Where JSON failures go (``[name, reason]``).
            errors_original_file_list: Where original-file failures go.
            original_file_metrics_record: Counts of original files.
            data_file_metrics_record: Counts of JSON files.
            current_index: The item's number, from 1.

        Returns:
            False when the item's files were not all saved.
        """
        if save_original_file_flag:
            if current_index == 1:
                self.run.log_message("Saving original file.")
            status = self.save_original_file(
                final_data, self.output_paths.get("origin_files_output_path"), errors_original_file_list
            )
            original_file_metrics_record.stand_by = max(original_file_metrics_record.stand_by - 1, 0)
            if status == ExportStatus.FAILED:
                original_file_metrics_record.failed += 1
                self.run.log_metrics(original_file_metrics_record, "original_file")
                data_file_metrics_record.stand_by = max(data_file_metrics_record.stand_by - 1, 0)
                data_file_metrics_record.failed += 1
                self.run.log_metrics(data_file_metrics_record, "data_file")
                return False
            original_file_metrics_record.success += 1
            self.run.log_metrics(original_file_metrics_record, "original_file")
        if current_index == 1:
            self.run.log_message("Saving json file.")
        status = self.save_as_json(final_data, self.output_paths.get("json_output_path"), errors_json_file_list)
        data_file_metrics_record.stand_by = max(data_file_metrics_record.stand_by - 1, 0)
        if status == ExportStatus.FAILED:
            data_file_metrics_record.failed += 1
        else:
            data_file_metrics_record.success += 1
        self.run.log_metrics(data_file_metrics_record, "data_file")
        return status != ExportStatus.FAILED

    def save_original_file(self, result: Any, base_path: Any, error_file_list: list[list[str]]) -> str:
        """Store an item's original file in ``base_path`` under its unique name.

        Args:
            result: The converted item.
            base_path: The originals folder (``origin_files_output_path``).
            error_file_list: Where a failure is recorded as ``[file name, reason]``.

        Returns:
            ``ExportStatus.SUCCESS`` or ``ExportStatus.FAILED``.
        """
        file_name = self.output_file_name(result)
        error = None
        try:
            source = self.original_source(result)
            self._write_file(base_path, file_name, source, error_file_list)
            status = ExportStatus.SUCCESS
        except Exception as exc:  # a failed file fails this item only
            error = describe(exc)
            error_file_list.append([file_name, error])
            status = ExportStatus.FAILED
        self._log_file_event("export_original_file", result, file_name, status, error)
        return status

    def save_as_json(self, result: Any, base_path: Any, error_file_list: list[list[str]]) -> str:
        """Write an item's ``data`` as ``<unique stem>.json`` in ``base_path``.

        Args:
            result: The converted item.
            base_path: The JSON folder (``json_output_path``).
            error_file_list: Where a failure is recorded as ``[file name, reason]``.

        Returns:
            ``ExportStatus.SUCCESS`` or ``ExportStatus.FAILED`` (also for ``data`` that is None).
        """
        file_name = f"{self.output_stem(result)}.json"
        data = result.get("data") if isinstance(result, Mapping) else None
        error = None
        if data is None:
            error = str(result.get("error") or "data is null") if isinstance(result, Mapping) else "data is null"
            self.run.log_message(f"Null data detected in item {self._item_id(result)}: {file_name} skipped.",
                                 context="warning")  # fmt: skip
        else:
            try:
                payload = json.dumps(data, indent=4, ensure_ascii=False).encode("utf-8")
                self._write_bytes(base_path, file_name, payload, error_file_list)
            except Exception as exc:  # an unserializable item fails this item only
                error = describe(exc)
        status = ExportStatus.FAILED if error else ExportStatus.SUCCESS
        if error:
            error_file_list.append([file_name, error])
        self._log_file_event("export_data_file", result, file_name, status, error)
        return status

    def additional_file_saving(self, unique_export_path: Any) -> None:
        """Save files that depend on every item (class lists, dataset configs, statistics, manifests).

        Called once, after the last item, with the real export folder (also for an empty export).

        Args:
            unique_export_path: The unique export folder where additional files should be saved.
        """

    # -- helpers for hooks ----------------------------------------------------------------------------------------

    def output_stem(self, result: Any) -> str:
        """Return the current item's unique output stem (``a``, or ``a(1)`` for a second ``a.jpg``)."""
        if "stem" not in self._current:
            self._claim_names(result)
        return str(self._current["stem"])

    def output_file_name(self, result: Any) -> str:
        """Return the current item's unique original file name (unique stem + the original suffix)."""
        return self.output_stem(result) + str(self._current.get("suffix", ""))

    def original_source(self, result: Any) -> Path:
        """Return a local copy of the current item's original file (downloaded once, shared by the hooks).

        Raises:
            ItemFailed: It could not be fetched (missing, 404, checksum mismatch...).
        """
        if "source" in self._current:
            return Path(self._current["source"])
        future: Future[Path] | None = self._current.get("future")
        files = result.get("files") if isinstance(result, Mapping) else None
        if not isinstance(files, Mapping):
            raise ItemFailed("the item has no files entry")
        if future is not None:
            path = future.result()
        else:
            path = self._fetcher_for().fetch(self._current.get("token", 0), files)
        self._current["source"] = path
        return path

    def write_export_file(self, relative: str, data: bytes | str | Any) -> None:
        """Write a file into the export folder through its storage (atomic, confined to the folder).

        ``bytes`` are written as they are, ``str`` as UTF-8, a ``Path`` (or other ``os.PathLike``) is copied from
        that local file (streamed), anything else is written as indented JSON. Use it in
        ``additional_file_saving`` so the export works on every storage, not only local folders.

        Args:
            relative: The path inside the export folder (``data/classes.txt``).
            data: The content.
        """
        folder = self._folder()
        if isinstance(data, bytes):
            folder.write_bytes(relative, data)
        elif isinstance(data, str):
            folder.write_text(relative, data)
        elif isinstance(data, os.PathLike):
            folder.write_file(relative, data)
        else:
            folder.write_json(relative, data, indent=2)

    def read_export_file(self, relative: str) -> bytes:
        """Read back a file of the export folder (``json/a.json``), from any storage.

        Args:
            relative: The path inside the export folder.

        Returns:
            Its bytes.
        """
        folder = self._folder()
        local = getattr(folder.storage, "root", None)
        if local is not None:  # read in place (resolved and checked for escapes), no copy
            return Path(folder.storage.get_pathlib(folder.key(relative))).read_bytes()
        return folder.read_bytes(relative)

    def list_export_files(self, relative: str = "") -> list[str]:
        """List the files at or under a folder of the export (paths relative to the export folder, sorted).

        Args:
            relative: A folder inside the export folder (``images``); the whole export by default.

        Returns:
            The paths, sorted (names only: about 100 bytes per file).
        """
        return sorted(path for path in self._folder().files(relative) if not path.startswith(".synapse-export/"))

    # -- the workflow ---------------------------------------------------------------------------------------------

    def export(self, export_items: Iterable[Any] | None = None, **kwargs: Any) -> Any:
        """Run the export and return the unique export folder (a ``Path`` for local storage).

        Args:
            export_items: Items to export instead of ``self.export_items``.
            **kwargs: Ignored (accepted for compatibility with earlier releases).

        Returns:
            The unique export folder.

        Raises:
            ExportError: The export folder cannot be chosen or written (per-item failures are recorded instead).
        """
        items = self.export_items if export_items is None else export_items
        manifest, done = self._open_folder()
        flag = bool(self.params.get("save_original_file", True))
        self.output_paths = self.setup_output_directories(self.unique_export_path, flag)
        count = self.params.get("count")
        total = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
        tally = _Pass(flag, done, manifest, self.run.MetricsRecord(stand_by=total),
                      self.run.MetricsRecord(stand_by=total))  # fmt: skip
        self._tally = tally
        self._set_progress(0, total)
        scratch = self._folder().local_scratch() or Path(tempfile.mkdtemp(prefix="synapse-export-"))
        self._fetcher = fetcher = OriginalFetcher(scratch, workers=self.download_workers)
        self._writer = writer = ThreadPoolExecutor(self.write_workers, thread_name_prefix="synapse-export-write")
        try:
            for number, item, future in self._prefetched(items, flag, done):
                tally.number = number
                self._set_progress(min(number, total) if total else number, total or number)
                if number == 1:
                    self.run.log_message("Converting dataset.")
                self._current = {"token": number, "future": future}
                try:
                    self._export_one(item, number, tally)
                finally:
                    source = self._current.get("source")
                    if source is not None and not self._current.get("placed"):
                        fetcher.release(Path(source))
                    elif source is None and future is not None:  # fetched, never used (the item failed first)
                        future.add_done_callback(fetcher.release_when_done)
                    self._current = {}
                self._drain(tally, wait=len(tally.pending) > 4 * self.write_workers)
            self._drain(tally, wait=True, everything=True)
            self.additional_file_saving(self.unique_export_path)
            if tally.failed:
                self._folder().write_json(ERROR_LIST_FILE, {"json_file_name": tally.errors_json,
                                                            "origin_file_name": tally.errors_original})  # fmt: skip
            manifest.remove()
        except BaseException:
            with contextlib.suppress(Exception):
                self._drain(tally, wait=True, everything=True)
            with contextlib.suppress(Exception):
                manifest.flush()
            raise
        finally:
            writer.shutdown(wait=True)
            self._writer = None
            fetcher.close()
            self._fetcher = None
            self._tally = None
        self._log_summary(tally)
        self.run.end_log()
        return self.unique_export_path

    # -- internals ------------------------------------------------------------------------------------------------

    def _open_folder(self) -> tuple[ExportManifest, set[str]]:
        """Choose (or find, to resume) the unique export folder; return its manifest and the items already done."""
        name = self.params.get("name")
        if not isinstance(name, str) or not name.strip() or safe_file_name(name, fallback="") != name:
            raise ExportError(f"export name must be a plain folder name, got {name!r}")
        storage, root_key = self._resolve_root()
        fp = fingerprint(f"{type(self).__module__}.{type(self).__qualname__}", self.params)
        unique_name, resuming = self._choose_folder(storage, root_key, name, fp)
        self.folder = ExportFolder(storage, "/".join(p for p in (root_key, unique_name) if p))
        self.unique_export_path = self.path_root / unique_name
        manifest = ExportManifest(self.folder, fp)
        done = manifest.load() if resuming else set()
        manifest.start()
        self.run.log_message("Resuming export process." if resuming else "Starting export process.")
        return manifest, done

    def _log_summary(self, tally: _Pass) -> None:
        if tally.failed:
            text = f"; {tally.failed} files failed (see {ERROR_LIST_FILE})."
            self.run.log_message(f"Exported {tally.data.success} of {tally.number} items{text}", context="warning")
        else:
            self.run.log_message(f"Exported {tally.data.success} of {tally.number} items.", context="success")

    def _export_one(self, item: Any, number: int, tally: _Pass) -> None:
        key = self._item_key(item, number)
        try:
            final = self.process_data_conversion(item)
        except Exception as exc:  # one bad item is recorded, the rest export
            tally.errors_json.append([self._label(item), f"conversion failed: {describe(exc)}"])
            self._count_failed(tally.data, "data_file")
            if tally.flag:
                self._count_failed(tally.original, "original_file")
            info = {"error": describe(exc)}
            self.run.log("export_event", {"target_id": self._item_id(item), "info": info,
                                          "status": ExportStatus.FAILED, "created": time.time()})  # fmt: skip
            return
        if key in tally.done:  # written by an earlier, interrupted run: claim its names so later items get the same
            self._claim_names(final)
            for record, category in ((tally.data, "data_file"), (tally.original, "original_file")):
                if category == "data_file" or tally.flag:
                    record.stand_by = max(record.stand_by - 1, 0)
                    record.success += 1
                    self.run.log_metrics(record, category)
            return
        before = tally.failed
        writes: list[_Write] = []
        self._current["writes"] = writes
        try:
            saved = self.process_file_saving(final, self.unique_export_path, tally.flag, tally.errors_json,
                                             tally.errors_original, tally.original, tally.data, number)  # fmt: skip
        except Exception as exc:  # a raising saving hook fails this item only
            tally.errors_json.append([self._label(final), describe(exc)])
            saved = False
        tally.pending.append((key if saved is not False and tally.failed == before else None, writes))

    def _drain(self, tally: _Pass, *, wait: bool, everything: bool = False) -> None:
        """Settle finished writes in item order: record late failures, mark fully written items done."""
        while tally.pending:
            key, writes = tally.pending[0]
            if not (wait or all(w.future.done() for w in writes)):
                return
            tally.pending.popleft()
            failed = False
            for write in writes:
                try:
                    write.future.result()
                except Exception as exc:  # the file did not reach the storage: the item failed after all
                    failed = True
                    write.errors.append([write.name, describe(exc)])
                    record = tally.data if write.category == "data_file" else tally.original
                    record.success = max(record.success - 1, 0)
                    record.failed += 1
                    self.run.log_metrics(record, write.category)
            if key is not None and not failed:
                tally.manifest.add(key)
            if not everything:
                wait = False

    def _set_progress(self, current: int, total: int) -> None:
        try:
            self.run.set_progress(current, total, "dataset_conversion")
        except ValueError:  # a Run made without the export's progress category (tests, docs): one unnamed bar
            self.run.set_progress(current, total)

    def _count_failed(self, record: MetricsRecord, category: str) -> None:
        record.stand_by = max(record.stand_by - 1, 0)
        record.failed += 1
        self.run.log_metrics(record, category)

    def _prefetched(self, items: Iterable[Any], flag: bool, done: set[str]) -> Iterator[tuple[int, Any, Any]]:
        """Yield ``(number, item, future of its original)``, downloads running a bounded window ahead."""
        assert self._fetcher is not None
        window: deque[tuple[int, Any, Any]] = deque()
        ahead = 2 * self._fetcher.workers
        iterator = iter(items)
        number = 0
        exhausted = False
        failure: BaseException | None = None
        while True:
            while not exhausted and len(window) < ahead:
                try:
                    item = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as exc:  # the source failed (a page that never came): finish what is in first
                    exhausted, failure = True, exc
                    break
                number += 1
                future = None
                files = item.get("files") if isinstance(item, Mapping) else None
                if flag and isinstance(files, Mapping) and self._item_key(item, number) not in done:
                    future = self._fetcher.submit(number, files)
                window.append((number, item, future))
            if not window:
                if failure is not None:
                    raise failure
                return
            yield window.popleft()

    def _fetcher_for(self) -> OriginalFetcher:
        if self._fetcher is None:
            self._fetcher = OriginalFetcher(Path(tempfile.mkdtemp(prefix="synapse-export-")), workers=1)
        return self._fetcher

    def _claim_names(self, result: Any) -> None:
        files = result.get("files") if isinstance(result, Mapping) else None
        raw = self.get_original_file_name(files) if isinstance(files, Mapping) else ""
        fallback = f"item_{self._item_id(result)}"
        safe = safe_file_name(raw, fallback=safe_file_name(fallback, fallback="item"))
        self._current["stem"] = self._names.allocate(safe)
        self._current["suffix"] = split_name(safe)[1]

    @staticmethod
    def _item_id(item: Any) -> Any:
        return item.get("id") if isinstance(item, Mapping) else None

    def _item_key(self, item: Any, number: int) -> str:
        item_id = self._item_id(item)
        text = f"id:{item_id}" if item_id is not None else f"n:{number}"
        return text.replace("\n", " ").replace("\r", " ")

    def _label(self, item: Any) -> str:
        files = item.get("files") if isinstance(item, Mapping) else None
        with contextlib.suppress(Exception):
            if isinstance(files, Mapping):
                name = self.get_original_file_name(files)
                if name:
                    return safe_file_name(name)
        return f"item {self._item_id(item)}"

    def _log_file_event(self, event: str, result: Any, file_name: str, status: str, error: str | None) -> None:
        self.run.log(event, {"target_id": self._item_id(result), "data_file_info": json.dumps({"file_name": file_name}),
                             "status": status, "error": error, "created": time.time()})  # fmt: skip

    def _folder(self) -> ExportFolder:
        if self.folder is None:
            raise ExportError("the export folder exists only while export() runs")
        return self.folder

    def _relative(self, base_path: Any, file_name: str) -> str:
        if base_path is None:
            return file_name
        root = self.unique_export_path
        key = getattr(base_path, "key", None)
        if key is not None and getattr(root, "key", None) is not None:
            inner = str(key)[len(str(root.key)) :].strip("/")
        else:
            inner = Path(base_path).relative_to(Path(root)).as_posix()
            inner = "" if inner == "." else inner
        return f"{inner}/{file_name}" if inner else file_name

    def _submit(self, function: Any, *args: Any, errors: list[list[str]], name: str, category: str) -> None:
        """Run a write on the writer pool (inline outside ``export()``); its failure is recorded when it ends."""
        writes = self._current.get("writes")
        if self._writer is None or writes is None:
            function(*args)
            return
        writes.append(_Write(self._writer.submit(function, *args), errors, name, category))

    def _write_bytes(self, base_path: Any, file_name: str, data: bytes, errors: list[list[str]]) -> None:
        self._submit(self._folder().write_bytes, self._relative(base_path, file_name), data,
                     errors=errors, name=file_name, category="data_file")  # fmt: skip

    def _write_file(self, base_path: Any, file_name: str, source: Path, errors: list[list[str]]) -> None:
        relative = self._relative(base_path, file_name)
        scratch = self._fetcher is not None and source.parent == self._fetcher.scratch
        if scratch and self._current.get("source") == source:
            self._current["placed"] = True  # the write moves it; the loop must not delete it first
        function = self._folder().place_file if scratch else self._folder().write_file
        self._submit(function, relative, source, errors=errors, name=file_name, category="original_file")

    def _resolve_root(self) -> tuple[Storage, str]:
        if self.export_storage is not None:
            key = getattr(self.path_root, "key", None)
            if key is None:
                storage_root = getattr(self.export_storage, "root", None)
                if storage_root is None:
                    raise ExportError("path_root must come from the export storage's get_pathlib")
                key = Path(self.path_root).resolve().relative_to(Path(storage_root).resolve()).as_posix()
            return self.export_storage, "" if key == "." else str(key)
        if isinstance(self.path_root, Path):
            from synapse_fileutils.storage import LocalStorage

            return LocalStorage(self.path_root), ""
        storage = getattr(self.path_root, "storage", None)
        if storage is None:
            raise ExportError(f"cannot export into {type(self.path_root).__name__}: give a local folder or a "
                              "storage path (synapse_fileutils.storage get_pathlib)")  # fmt: skip
        return storage, str(self.path_root.key)

    def _choose_folder(self, storage: Storage, root_key: str, name: str, fp: str) -> tuple[str, bool]:
        number = 0
        while True:
            candidate = name if number == 0 else f"{name}({number})"
            folder = ExportFolder(storage, "/".join(p for p in (root_key, candidate) if p))
            if not folder.exists():
                local = getattr(storage, "root", None)
                if local is None:
                    return candidate, False
                try:  # claim the folder: a concurrent export with the same name takes the next one
                    os.makedirs(os.path.join(local, folder.prefix))
                    return candidate, False
                except FileExistsError:
                    pass
            elif ExportManifest.read_fingerprint(folder) == fp:
                return candidate, True
            number += 1
