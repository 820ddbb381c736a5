r"""``Uploader`` and the default file organization: one data unit per file stem, one file per specification.

A source folder holds one subfolder per file specification of the collection, and a data unit's files share a stem
(the path relative to the spec folder, without suffix)::

    source/image_1/a.jpg  source/meta_json/a.json   ->  {"files": {"image_1": .../a.jpg, "meta_json": .../a.json}}
    source/image_1/b.jpg                            ->  {"files": {"image_1": .../b.jpg}}

When no spec folder exists and the collection has a single required specification, every file of the source is one
unit of that specification. A unit missing a required specification is not uploaded; it is reported.

Example:
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("image_1/a.jpg", "image_1/b.jpg", "meta_json/a.json"):
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     _ = (root / name).write_bytes(b"x")
    >>> specs = [{"name": "image_1", "is_required": True}, {"name": "meta_json", "is_required": False}]
    >>> entries, problems = organize_files(root, specs)
    >>> [(e["meta"]["origin_file_stem"], sorted(e["files"])) for e in entries], problems
    ([('a', ['image_1', 'meta_json']), ('b', ['image_1'])], [])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from ..run import Run

__all__ = ["UploadEntry", "Uploader", "organize_files"]


class UploadEntry(TypedDict):
    """One data unit to create: its files by specification name, and its metadata."""

    files: dict[str, Path]
    meta: dict[str, Any]


def _spec_name(spec: Any) -> str | None:
    name = spec.get("name") if isinstance(spec, Mapping) else getattr(spec, "name", None)
    return name if isinstance(name, str) and name else None


def _required(spec: Any) -> bool:
    value = spec.get("is_required") if isinstance(spec, Mapping) else getattr(spec, "is_required", False)
    return bool(value)


def _walk(folder: Path, recursive: bool) -> Iterable[Path]:
    if recursive:
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(base) / name
    else:
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                yield path


def organize_files(
    root: str | os.PathLike[str], specifications: Iterable[Any], *, is_recursive: bool = True
) -> tuple[list[UploadEntry], list[tuple[str, str]]]:
    """Group a source folder's files into data units by the collection's file specifications.

    Args:
        root: The local source folder.
        specifications: The collection's file specifications (``{"name", "is_required"}`` or records).
        is_recursive: Also read files in subfolders of each spec folder.

    Returns:
        ``(entries sorted by stem, problems)``; a problem is ``(stem, reason)`` for a unit that lacks a required
        specification.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "one.png").write_bytes(b"x")
        >>> [sorted(e["files"]) for e in organize_files(root, [{"name": "image_1", "is_required": True}])[0]]
        [['image_1']]
    """
    root = Path(root)
    specs = [spec for spec in specifications if _spec_name(spec)]
    names = [_spec_name(spec) for spec in specs]
    required = {_spec_name(spec) for spec in specs if _required(spec)}
    units: dict[str, dict[str, Path]] = {}
    folders = {name: root / name for name in names if name and (root / name).is_dir()}
    if not folders and len(required) == 1:
        (only,) = required
        folders = {str(only): root}
    for spec, folder in folders.items():
        for path in _walk(folder, is_recursive):
            stem = PurePosixPath(path.relative_to(folder).as_posix()).with_suffix("").as_posix()
            units.setdefault(stem, {}).setdefault(spec, path)
    entries: list[UploadEntry] = []
    problems: list[tuple[str, str]] = []
    for stem in sorted(units):
        files = units[stem]
        missing = sorted(str(name) for name in required - set(files))
        if missing:
            problems.append((stem, f"missing required file for {', '.join(missing)}"))
            continue
        entries.append({"files": files, "meta": {"origin_file_stem": stem}})
    return entries, problems


class Uploader:
    """Base class of upload plugins: ``handle_upload_files()`` decides which data units to create.

    Args:
        run: The run to report through.
        path: The local source folder.
        file_specification: The collection's file specifications.
        organized_files: The units the default organization found.
        **params: ``extra_params`` and the other upload params.

    Example:
        >>> from synapse_plugins.run import Run
        >>> Uploader(Run(), "src", [], [{"files": {}, "meta": {}}]).handle_upload_files()
        [{'files': {}, 'meta': {}}]
    """

    def __init__(
        self,
        run: Run,
        path: str | os.PathLike[str],
        file_specification: list[Any],
        organized_files: list[UploadEntry],
        **params: Any,
    ) -> None:
        self.run = run
        self.path = Path(path)
        self.file_specification = file_specification
        self.organized_files = organized_files
        self.params = params
        self.extra_params: dict[str, Any] = dict(params.get("extra_params") or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r})"

    def handle_upload_files(self) -> list[UploadEntry]:
        """Return the data units to upload: ``[{"files": {spec: path}, "meta": {...}}, ...]``.

        The default returns ``organized_files`` as found; override it to add metadata, drop or regroup files.
        """
        return self.organized_files
