r"""Where export items come from: the platform's assignments, ground-truth events and tasks, or a local DM folder.

| target | ``filter`` must have | items from |
|---|---|---|
| ``assignment`` | ``project`` | ``BackendClient.list_assignments(filter, list_all=True)`` |
| ``ground_truth`` | ``ground_truth_dataset_version`` | ``list_ground_truth_events`` of that version |
| ``task`` | ``project`` | ``list_tasks(filter + expand data_unit, assignment, workshop)`` |
| ``local`` | ``path`` (a DM dataset folder) | ``synapse_plugins.converters.iter_dm_items``, no backend |

Backend lists are read lazily page by page; the first page (which carries the count) is fetched once. Each item is
``{"id", "data", "files": {"url", "file_name_original", "checksum"?}, "file_specs": {spec: file}}``: ``files`` is the
primary file (the spec marked ``is_primary``, else the first), ``file_specs`` every file of the item. Local items
carry ``"path"`` instead of ``"url"`` and ``"split"`` (``train``, ``valid``, ``test`` or None); DM schema v1 files are
read as v2.

Example:
    >>> import json, pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "json").mkdir()
    >>> _ = (root / "json" / "a.json").write_text(json.dumps({"images": [{}]}))
    >>> found = open_target("local", {"path": str(root)})
    >>> found.count, [item["id"] for item in found.items]
    (1, ['json/a.json'])
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ExportError

if TYPE_CHECKING:
    from synapse_client.backend import BackendClient
    from synapse_fileutils.storage import Storage

__all__ = [
    "TARGETS",
    "TargetName",
    "TargetResults",
    "backend_client",
    "export_item",
    "open_storage",
    "open_target",
    "primary_file",
]

TargetName = Literal["assignment", "ground_truth", "task", "local"]
#: Each target and the ``filter`` key it needs.
TARGETS: dict[str, str] = {
    "assignment": "project",
    "ground_truth": "ground_truth_dataset_version",
    "task": "project",
    "local": "path",
}
_FILE_KEYS = ("url", "file_name_original", "checksum", "size", "file_type", "is_primary")


@dataclass
class TargetResults:
    """The items of one target, streamed.

    Attributes:
        items: The export items, read lazily (iterate once).
        count: How many the target holds (from the first page).
        configuration: The project's configuration (None when the target has no project).
        project_id: The project, when there is one.
    """

    items: Iterator[dict[str, Any]]
    count: int
    configuration: dict[str, Any] | None = None
    project_id: Any = None


def _file_entry(value: Any, spec: str) -> dict[str, Any] | None:
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, Mapping):
        return None
    entry = {key: value[key] for key in _FILE_KEYS if key in value}
    url = entry.get("url")
    if not isinstance(url, str) or not url:
        return None
    if not entry.get("file_name_original"):
        entry["file_name_original"] = PurePosixPath(url.split("?", 1)[0]).name or spec
    return entry


def primary_file(files: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Return an item's primary file and all its files by spec, from the shapes the platform sends.

    Args:
        files: ``{spec: {url, ...}}``, ``{spec: url}``, or one file ``{url, file_name_original}``.

    Returns:
        ``(primary file or {}, {spec: file})``. Only ``url``, ``file_name_original``, ``checksum``, ``size``,
        ``file_type`` and ``is_primary`` are kept (a ``path`` from the server is never trusted).

    Example:
        >>> primary_file({"image_1": "https://h/f/a.jpg?sig=1"})[0]["file_name_original"]
        'a.jpg'
        >>> primary_file({"url": "https://h/b.png", "file_name_original": "b.png"})[0]["url"]
        'https://h/b.png'
    """
    if not isinstance(files, Mapping):
        return {}, {}
    if "url" in files:
        single = _file_entry(files, "file")
        return (single, {"file": single}) if single else ({}, {})
    specs = {str(spec): entry for spec, value in files.items() if (entry := _file_entry(value, str(spec)))}
    if not specs:
        return {}, {}
    primary = next((entry for entry in specs.values() if entry.get("is_primary")), next(iter(specs.values())))
    return primary, specs


def export_item(record: Mapping[str, Any], files: Any) -> dict[str, Any]:
    """Build one export item ``{id, data, files, file_specs}`` from a backend record and its files.

    Example:
        >>> export_item({"id": 3, "data": {"a": 1}}, {"image_1": "https://h/x.jpg"})["files"]["url"]
        'https://h/x.jpg'
    """
    primary, specs = primary_file(files)
    return {"id": record.get("id"), "data": record.get("data"), "files": primary, "file_specs": specs}


def _data_unit_files(record: Mapping[str, Any]) -> Any:
    unit = record.get("data_unit")
    if isinstance(unit, Mapping) and unit.get("files"):
        return unit["files"]
    return record.get("files")


def _mapped(records: Any, build: Any) -> Iterator[dict[str, Any]]:
    for record in records:
        yield build(dict(record) if isinstance(record, Mapping) else {"data": record})


def _require(target: str, filters: Mapping[str, Any]) -> Any:
    key = TARGETS[target]
    value = filters.get(key)
    if value in (None, ""):
        raise ExportError(f"target {target!r} needs filter.{key}")
    return value


def open_target(
    target: str, filters: Mapping[str, Any] | None, *, client: BackendClient | None = None
) -> TargetResults:
    """Open a target and return its items (lazily), their count and the project configuration.

    Args:
        target: ``assignment``, ``ground_truth``, ``task`` or ``local``.
        filters: The export's ``filter``.
        client: The backend client (not needed for ``local``).

    Returns:
        The target's results.

    Raises:
        ExportError: Unknown target, a missing filter key, no client for a backend target, or a local folder that
            is not a DM dataset.
        ClientError: The backend refused the first request (synapse_client errors carry status and body).
    """
    filters = dict(filters or {})
    if target not in TARGETS:
        raise ExportError(f"unknown export target {target!r}: one of {', '.join(TARGETS)}")
    value = _require(target, filters)
    if target == "local":
        return _local_target(value)
    if client is None:
        raise ExportError(f"target {target!r} needs the backend: give host and token (or use target 'local')")
    records: Iterable[Any]  # each list method pages its own record type
    if target == "assignment":
        records, count = client.list_assignments(params=filters, list_all=True)
        items = _mapped(records, lambda r: export_item(r, r.get("file") or r.get("files")))
    elif target == "task":
        params = {**filters, "expand": ["data_unit", "assignment", "workshop"]}
        records, count = client.list_tasks(params=params, list_all=True)
        items = _mapped(records, lambda r: export_item(r, _data_unit_files(r)))
    else:
        client.get_ground_truth_version(value)
        params = {key: item for key, item in filters.items() if key != "ground_truth_dataset_version"}
        params["ground_truth_dataset_versions"] = value
        records, count = client.list_ground_truth_events(params=params, list_all=True)
        items = _mapped(records, lambda r: export_item(r, _data_unit_files(r)))
    configuration = None
    project = filters.get("project")
    if project not in (None, ""):
        configuration = dict(client.get_project(project).get("configuration") or {})
    return TargetResults(items=items, count=int(count or 0), configuration=configuration, project_id=project)


def _local_target(path: Any) -> TargetResults:
    from ..converters import LayoutError, iter_dm_items

    root = Path(os.fspath(path)).expanduser()
    if not root.is_dir():
        raise ExportError(f"local target: {root} is not a folder")
    try:
        count = sum(1 for _ in iter_dm_items(root))
    except LayoutError as exc:
        raise ExportError(f"local target: {exc}") from exc
    return TargetResults(items=_local_items(root), count=count)


def _local_items(root: Path) -> Iterator[dict[str, Any]]:
    from ..converters import ConversionError, convert_v1_to_v2, iter_dm_items, read_image_size

    for dm in iter_dm_items(root):
        error = None
        data: Any = None
        try:
            data = json.loads(dm.json_path.read_bytes())
            if isinstance(data, dict) and "images" not in data and isinstance(data.get("annotations"), dict):
                data = convert_v1_to_v2(data)
            if not isinstance(data, dict):
                data, error = None, "annotation file must hold a JSON object"
        except (OSError, ValueError) as exc:
            data, error = None, f"not readable JSON: {exc}"
        except ConversionError as exc:
            data, error = None, str(exc)
        files: dict[str, Any] = {"file_name_original": f"{dm.name}.json"}
        if dm.image_path is not None:
            files = {"path": str(dm.image_path), "file_name_original": dm.image_path.name}
            with contextlib.suppress(ConversionError):
                files["width"], files["height"] = read_image_size(dm.image_path)
        item: dict[str, Any] = {"id": dm.label, "data": data, "files": files, "file_specs": {"image_1": files},
                                "split": dm.split}  # fmt: skip
        if error:
            item["error"] = error
        yield item


def backend_client(env: Mapping[str, str] | None) -> BackendClient | None:
    """Build the backend client from the run's allowed environment (None when no host or token is set).

    Reads ``SYNAPSE_HOST``, ``SYNAPSE_ACCESS_TOKEN`` (allow it with ``run_plugin(..., env_names=...)``: it is a
    secret, so no action sees it by default) and ``SYNAPSE_TENANT``.

    Example:
        >>> backend_client({}) is None
        True
    """
    env = env or {}
    host, token = env.get("SYNAPSE_HOST"), env.get("SYNAPSE_ACCESS_TOKEN")
    if not host or not token:
        return None
    from synapse_client.backend import BackendClient

    return BackendClient(host, access_token=token, tenant=env.get("SYNAPSE_TENANT") or None)


def open_storage(storage: int | None, path: str, client: BackendClient | None) -> tuple[Storage, Any]:
    """Return the storage to read or write and the pathlib-like object of ``path`` in it.

    Args:
        storage: A platform storage id (its configuration is fetched once), or None: then ``path`` is a local folder
            or any URL ``synapse_fileutils.storage.get_storage`` accepts (``s3://bucket/prefix``...).
        path: The path relative to the storage root (with a storage id), or the folder/URL itself.
        client: The backend client (needed with a storage id).

    Returns:
        ``(storage, path object)``.

    Raises:
        ExportError: A storage id without a backend, or a storage that cannot be used.

    Example:
        >>> import tempfile
        >>> storage, root = open_storage(None, tempfile.mkdtemp(), None)
        >>> storage.provider, root.is_dir()
        ('local', True)
    """
    from synapse_fileutils.storage import LocalStorage, StorageError, get_storage

    try:
        if storage is not None:
            if client is None:
                raise ExportError("a storage id needs the backend: set SYNAPSE_HOST and SYNAPSE_ACCESS_TOKEN")
            provider = get_storage(dict(client.get_storage(storage).to_dict()))
            return provider, provider.get_pathlib(path)
        if "://" in path:
            provider = get_storage(path)
            return provider, provider.get_pathlib("")
        local = LocalStorage(Path(path).expanduser())
        local.root.mkdir(parents=True, exist_ok=True)
        return local, local.get_pathlib("")
    except StorageError as exc:
        raise ExportError(f"cannot use the storage: {exc}") from exc
